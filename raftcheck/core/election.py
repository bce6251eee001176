"""Leader election (paper 5.2, 5.4.1): timeouts, votes and becoming leader."""

from __future__ import annotations

from msgspec.structs import replace

from raftcheck.core.log import is_up_to_date, last_index, last_term
from raftcheck.core.messages import (
    ConfigChange,
    Message,
    Noop,
    RequestVoteRequest,
    RequestVoteResponse,
    TimeoutNow,
)
from raftcheck.core.quorum import vote_won
from raftcheck.core.replication import (
    advance_commit,
    append_as_leader,
    broadcast_append_entries,
    fresh_progress,
    removed_by_newest_config,
    replication_targets,
)
from raftcheck.core.state import BOOTSTRAP, CANDIDATE, LEADER, NodeState
from raftcheck.core.terms import reset_election_timer


def can_campaign(state: NodeState) -> bool:
    """Only members time out into elections; Bootstrap nodes and removed servers wait."""
    return state.role is not BOOTSTRAP and state.role is not LEADER and state.id in state.config


def heard_from_leader(state: NodeState) -> bool:
    """This server heard from a current leader (or is one) within the minimum election timeout."""
    return state.leader_id is not None and (
        state.role is LEADER or state.election_elapsed < state.params.election_timeout_low
    )


def in_leader_lease(state: NodeState) -> bool:
    """Thesis 4.2.3: a RequestVote that arrives while this server hears from a leader comes from a server
    that cannot win without deposing a healthy leader (a removed or partitioned one), and is ignored."""
    return state.params.features.ignore_disruptive_votes and heard_from_leader(state)


def time_out(state: NodeState, out: list[Message]) -> NodeState:
    """The election timer fired: ask for pre-votes first under PreVote, else start an election."""
    if not state.params.features.pre_vote:
        return start_election(state, out)
    state = replace(reset_election_timer(state), pre_votes=(state.id,), leader_id=None)
    if vote_won(state.config, state.pre_votes):
        return start_election(state, out)
    request = RequestVoteRequest(
        state.id, "", state.current_term + 1, last_index(state.log, state.snapshot), last_term(state.log, state.snapshot), True
    )
    for server in state.config:
        if server != state.id:
            out.append(replace(request, dst=server))
    return state


def handle_timeout_now(state: NodeState, message: TimeoutNow, out: list[Message]) -> NodeState:
    """Thesis 3.10: the current leader hands over; a member starts an election at once, without pre-votes."""
    if message.term != state.current_term or message.src != state.leader_id or not can_campaign(state):
        return state
    return start_election(state, out, transfer=True)


def start_election(state: NodeState, out: list[Message], transfer: bool = False) -> NodeState:
    """Paper 5.2: new term, vote for self, reset the timer, ask every other member.

    `transfer`: a leader handed over (thesis 3.10), so the requests say so and
    leader leases do not ignore them.
    """
    state = reset_election_timer(state)
    state = replace(
        state,
        role=CANDIDATE,
        current_term=state.current_term + 1,
        voted_for=state.id,
        votes=(state.id,),
        leader_id=None,
        pre_votes=(),
    )
    if vote_won(state.config, state.votes):
        return become_leader(state, out)
    request = RequestVoteRequest(state.id, "", state.current_term, last_index(state.log, state.snapshot),
                                 last_term(state.log, state.snapshot),
                                 transfer=transfer)
    for server in state.config:
        if server != state.id:
            out.append(replace(request, dst=server))
    return state


def handle_request_vote(state: NodeState, message: RequestVoteRequest, out: list[Message]) -> NodeState:
    if message.pre_vote:
        return _answer_pre_vote(state, message, out)
    rules = state.params.rules
    waiting = state.role is BOOTSTRAP
    if waiting and rules.bootstrap_does_not_vote:
        granted = False
    else:
        granted = (
            message.term == state.current_term
            and (not rules.vote_once_per_term or state.voted_for in (None, message.src))
            and (not rules.log_up_to_date_check or is_up_to_date(message.last_log_term, message.last_log_index, state.log, state.snapshot))
        )
    if granted and not waiting:
        state = replace(reset_election_timer(state), voted_for=message.src)
    out.append(RequestVoteResponse(state.id, message.src, state.current_term, granted))
    return state


def _answer_pre_vote(state: NodeState, message: RequestVoteRequest, out: list[Message]) -> NodeState:
    """Would this server vote for the sender in `message.term`? Answered without changing any state."""
    granted = (
        message.term > state.current_term
        and state.role is not BOOTSTRAP
        and not heard_from_leader(state)
        and is_up_to_date(message.last_log_term, message.last_log_index, state.log, state.snapshot)
    )
    term = message.term if granted else state.current_term
    out.append(RequestVoteResponse(state.id, message.src, term, granted, True))
    return state


def _count_pre_vote(state: NodeState, message: RequestVoteResponse, out: list[Message]) -> NodeState:
    asking = state.pre_votes and state.role is not LEADER and message.term == state.current_term + 1
    if not asking or not message.vote_granted or message.src in state.pre_votes or message.src not in state.config:
        return state
    state = replace(state, pre_votes=state.pre_votes + (message.src,))
    return start_election(state, out) if vote_won(state.config, state.pre_votes) else state


def handle_request_vote_response(state: NodeState, message: RequestVoteResponse, out: list[Message]) -> NodeState:
    if message.pre_vote:
        return _count_pre_vote(state, message, out)
    if state.role is not CANDIDATE or not message.vote_granted:
        return state
    rules = state.params.rules
    if message.term != state.current_term and rules.count_current_term_votes_only:
        return state
    if message.src in state.votes and rules.count_each_voter_once:
        return state
    state = replace(state, votes=state.votes + (message.src,))
    if vote_won(state.config, state.votes):
        return become_leader(state, out)
    return state


def _to_notify(state: NodeState) -> tuple[str, ...]:
    return removed_by_newest_config(state) if state.params.features.notify_removed_servers else ()


def become_leader(state: NodeState, out: list[Message]) -> NodeState:
    """Take office: the first leader writes the configuration into the log, then a no-op."""
    state = replace(
        state,
        role=LEADER,
        leader_id=state.id,
        progress=fresh_progress(state, replication_targets(state) + _to_notify(state)),
        catchup=None,
        pending_changes=(),
        heartbeat_elapsed=0,
        election_elapsed=0,
        heard_from=(),
    )
    if state.config_index == 0:
        state = append_as_leader(state, ConfigChange(state.config))
    if state.params.rules.leader_noop_on_election:
        state = append_as_leader(state, Noop())
    state = broadcast_append_entries(state, out)
    return advance_commit(state, out)
