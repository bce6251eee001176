"""Feature flags: mechanisms that keep a cluster available, each named and switchable.

Unlike the safety-rule switches (all on is correct Raft), a feature is an
extension beyond the paper's core algorithm. Each is read in exactly one place
in the core, so the checker can explore a cluster with and without it.
"""

from __future__ import annotations

import msgspec

FEATURE_DESCRIPTIONS: dict[str, str] = {
    "notify_removed_servers": (
        "A leader keeps replicating to a server its newest configuration entry removed until that server has the "
        "entry, so it learns it is out and stops campaigning (off in the checker's default; the service turns it on)."
    ),
    "ignore_disruptive_votes": (
        "Thesis 4.2.3: a server that heard from a current leader within the minimum election timeout ignores "
        "RequestVote: it neither adopts the term nor votes (etcd does this under CheckQuorum)."
    ),
    "pre_vote": (
        "Thesis 9.6: a server that times out first asks whether it would win (a pre-vote for the next term, "
        "changing no one's term), and starts an election only if a majority would vote for it. A server grants a "
        "pre-vote only to an up-to-date log and only if it has not heard from a leader within the minimum election "
        "timeout (etcd's PreVote)."
    ),
    "leadership_transfer": (
        "Thesis 3.10: a leader that the committed configuration leaves out hands leadership with TimeoutNow to a "
        "member that holds its whole log (replicating, and taking no new command, until one does), then steps down; "
        "the member starts an election at once, which leader leases (ignore_disruptive_votes) and PreVote do not "
        "hold up."
    ),
    "check_quorum": (
        "A leader that has not heard from a majority within the minimum election timeout steps down "
        "(etcd's CheckQuorum). Timed by ticks: under timer = \"fire\" the check never runs."
    ),
}


class Features(msgspec.Struct, frozen=True, gc=False):
    """One boolean per feature of FEATURE_DESCRIPTIONS."""

    notify_removed_servers: bool = False
    ignore_disruptive_votes: bool = False
    pre_vote: bool = False
    leadership_transfer: bool = False
    check_quorum: bool = False

    def with_enabled(self, *names: str) -> Features:
        """These features on; an unknown name raises ValueError."""
        unknown = [name for name in names if name not in FEATURE_DESCRIPTIONS]
        if unknown:
            raise ValueError(f"unknown feature {unknown[0]!r}; known features: {', '.join(FEATURE_DESCRIPTIONS)}")
        return msgspec.structs.replace(self, **{name: True for name in names})

    def enabled(self) -> tuple[str, ...]:
        return tuple(name for name in FEATURE_DESCRIPTIONS if getattr(self, name))
