"""Safety-rule switches: each rule Raft's safety rests on, as a named flag.

All rules are on by default. Each is read in exactly one place in the core, so
turning one off produces the classic bug it names and nothing else; this is how
a researcher asks "what breaks if Raft drops this rule?" and how the checker
proves that its invariants can fail.
"""

from __future__ import annotations

import msgspec

RULE_DESCRIPTIONS: dict[str, str] = {
    "vote_once_per_term": "A server grants at most one vote per term.",
    "log_up_to_date_check": "Grant a vote only to a candidate whose log is at least as up to date (last term, then last index).",
    "count_current_term_votes_only": "A candidate counts only votes granted in its current term.",
    "count_each_voter_once": "A candidate counts each voter once, however many responses arrive.",
    "step_down_on_higher_term": "A leader or candidate that sees a higher term steps down to follower.",
    "check_prev_log_term": "A follower rejects AppendEntries whose previous entry's term does not match its log.",
    "truncate_only_on_conflict": "A follower deletes entries only on a real conflict, never because a request is shorter than its log.",
    "follower_commit_to_last_new_entry": "A follower advances commit to min(leaderCommit, index of the last new entry).",
    "commit_current_term_only": "A leader counts replicas only for entries of its current term (paper Fig. 8).",
    "match_index_from_current_term_only": "A leader takes matchIndex only from successful responses of its current term.",
    "leader_noop_on_election": "A new leader appends a no-op entry of its term so earlier entries commit.",
    "config_change_waits_for_commit": "A leader does not start a membership change while a previous one is uncommitted.",
    "config_change_waits_for_term_commit": "A leader does not start a membership change before committing an entry of its term (2015 fix).",
    "persist_vote_and_term": "currentTerm and votedFor survive a crash.",
    "bootstrap_does_not_vote": "A server in Bootstrap mode never grants a vote (the original granted them unrecorded, so it could vote twice in a term).",
}


class Rules(msgspec.Struct, frozen=True, gc=False):
    """One boolean per rule of RULE_DESCRIPTIONS; all True is correct Raft."""

    vote_once_per_term: bool = True
    log_up_to_date_check: bool = True
    count_current_term_votes_only: bool = True
    count_each_voter_once: bool = True
    step_down_on_higher_term: bool = True
    check_prev_log_term: bool = True
    truncate_only_on_conflict: bool = True
    follower_commit_to_last_new_entry: bool = True
    commit_current_term_only: bool = True
    match_index_from_current_term_only: bool = True
    leader_noop_on_election: bool = True
    config_change_waits_for_commit: bool = True
    config_change_waits_for_term_commit: bool = True
    persist_vote_and_term: bool = True
    bootstrap_does_not_vote: bool = True

    def without(self, *names: str) -> Rules:
        """These rules switched off; an unknown name raises ValueError."""
        unknown = [name for name in names if name not in RULE_DESCRIPTIONS]
        if unknown:
            raise ValueError(f"unknown rule {unknown[0]!r}; known rules: {', '.join(RULE_DESCRIPTIONS)}")
        return msgspec.structs.replace(self, **{name: False for name in names})

    def disabled(self) -> tuple[str, ...]:
        return tuple(name for name in RULE_DESCRIPTIONS if not getattr(self, name))

