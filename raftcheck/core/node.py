"""The one entry point: `handle(state, message) -> (new_state, outgoing)`.

`handle` is pure and deterministic: it never reads a clock, sleeps, does I/O
or uses global randomness. A message of an unknown type, addressed to another
node, or with out-of-range fields is ignored, leaving the state unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

from msgspec.structs import replace

from raftcheck.core.check_quorum import check_quorum, note_heard
from raftcheck.core.election import (
    can_campaign,
    handle_request_vote,
    handle_request_vote_response,
    handle_timeout_now,
    in_leader_lease,
    time_out,
)
from raftcheck.core.membership import (
    advance_catchup_clock,
    handle_add_server,
    handle_remove_server,
    settle_membership,
)
from raftcheck.core.messages import (
    AddServerRequest,
    AppendEntriesRequest,
    AppendEntriesResponse,
    ClientRequest,
    InstallSnapshotRequest,
    Message,
    RemoveServerRequest,
    RequestVoteRequest,
    RequestVoteResponse,
    Tick,
    TimeoutNow,
)
from raftcheck.core.replication import (
    broadcast_append_entries,
    handle_append_entries,
    handle_append_entries_response,
    handle_client_request,
)
from raftcheck.core.snapshots import compact_if_due, handle_install_snapshot
from raftcheck.core.state import LEADER, NodeState
from raftcheck.core.terms import adopt_term

Handler = Callable[[NodeState, Message, list[Message]], NodeState]


def handle_tick(state: NodeState, message: Tick, out: list[Message]) -> NodeState:
    """Advance the logical clock: leaders send heartbeats, members time out into elections."""
    ticks = message.ticks
    if ticks < 1:
        return state
    state = compact_if_due(state)
    if state.role is LEADER:
        state = check_quorum(state, ticks)
        if state.role is not LEADER:
            return state
        elapsed = state.heartbeat_elapsed + ticks
        if elapsed >= state.params.heartbeat_interval:
            state = broadcast_append_entries(state, out)
            elapsed = 0
        state = replace(state, heartbeat_elapsed=elapsed)
        return advance_catchup_clock(state, ticks, out)
    if not can_campaign(state):
        elapsed = min(state.election_elapsed + ticks, state.election_timeout)
        return state if elapsed == state.election_elapsed else replace(state, election_elapsed=elapsed)
    elapsed = state.election_elapsed + ticks
    if elapsed >= state.election_timeout:
        return time_out(state, out)
    return replace(state, election_elapsed=elapsed)


def ticks_until_timer(state: NodeState) -> int | None:
    """Ticks until this node's next timer fires, or None if it has no timer to fire."""
    if state.role is LEADER:
        ticks = state.params.heartbeat_interval - state.heartbeat_elapsed
        if state.catchup is not None:
            ticks = min(ticks, state.params.election_timeout_low - state.catchup.idle_ticks + 1)
        return max(ticks, 1)
    if can_campaign(state):
        return max(state.election_timeout - state.election_elapsed, 1)
    return None


_HANDLERS: dict[type, Handler] = {
    AppendEntriesRequest: handle_append_entries,
    AppendEntriesResponse: handle_append_entries_response,
    InstallSnapshotRequest: handle_install_snapshot,
    RequestVoteRequest: handle_request_vote,
    RequestVoteResponse: handle_request_vote_response,
    ClientRequest: handle_client_request,
    AddServerRequest: handle_add_server,
    RemoveServerRequest: handle_remove_server,
    TimeoutNow: handle_timeout_now,
}

_CARRIES_TERM = (AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, RequestVoteRequest, RequestVoteResponse)


def _asks_about_a_term(message: Message) -> bool:
    """A pre-vote request, or a granted pre-vote, names a term that no one has taken yet: no one adopts it."""
    return getattr(message, "pre_vote", False) and (type(message) is RequestVoteRequest or message.vote_granted)


def handle(state: NodeState, message: Message) -> tuple[NodeState, tuple[Message, ...]]:
    """Apply one message to one node; return its new state and the messages it sends."""
    kind = type(message)
    out: list[Message] = []
    if kind is Tick:
        state = handle_tick(state, message, out)
    else:
        handler = _HANDLERS.get(kind)
        if handler is None or message.dst != state.id or message.src == state.id:
            return state, ()
        if kind in _CARRIES_TERM:
            if message.term < 0:
                return state, ()
            if kind is RequestVoteRequest and not message.transfer and in_leader_lease(state):
                return state, ()
            if message.term > state.current_term and not _asks_about_a_term(message):
                state = adopt_term(state, message.term)
        state = handler(compact_if_due(state), message, out)
        if state.role is LEADER:
            state = note_heard(state, message)
    if state.role is LEADER:
        state = settle_membership(state, out)
    return state, tuple(out)
