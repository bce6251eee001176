"""Single-server membership changes (thesis ch. 4): AddServer and RemoveServer.

A change is one ConfigChange entry, in effect as soon as it is appended. The
leader refuses to start a change while the previous one is uncommitted, and
until it has committed an entry of its own term (Ongaro's 2015 fix); it
answers the requester when the entry commits.
"""

from __future__ import annotations

from msgspec.structs import replace

from raftcheck.core.log import last_index, term_at
from raftcheck.core.messages import (
    AddServerRequest,
    AddServerResponse,
    ConfigChange,
    Message,
    RemoveServerRequest,
    RemoveServerResponse,
    Status,
    TimeoutNow,
)
from raftcheck.core.replication import (
    advance_commit,
    append_as_leader,
    broadcast_append_entries,
    fresh_progress,
    handing_over,
    progress_of,
    send_append_entries,
    with_progress,
)
from raftcheck.core.state import LEADER, CatchUp, NodeState, PendingChange
from raftcheck.core.terms import become_follower


def change_refusal(state: NodeState) -> str | None:
    """Why this leader may not start a membership change now, or None."""
    rules = state.params.rules
    if handing_over(state):
        return Status.NOT_LEADER
    if state.catchup is not None:
        return Status.CHANGE_IN_PROGRESS
    if rules.config_change_waits_for_commit and state.config_index > state.commit_index:
        return Status.CHANGE_IN_PROGRESS
    if rules.config_change_waits_for_term_commit and term_at(state.log, state.commit_index, state.snapshot) != state.current_term:
        return Status.LEADER_NOT_READY
    return None


def handle_add_server(state: NodeState, message: AddServerRequest, out: list[Message]) -> NodeState:
    if state.role is not LEADER:
        status = Status.NOT_LEADER
    elif message.server in state.config:
        status = Status.ALREADY_MEMBER
    else:
        status = change_refusal(state)
    if status is not None:
        out.append(AddServerResponse(state.id, message.src, message.server, status, state.leader_id))
        return state
    state = replace(state, catchup=CatchUp(message.server, message.src, 1, last_index(state.log, state.snapshot), 0))
    state = with_progress(state, fresh_progress(state, (message.server,))[0])
    return send_append_entries(state, message.server, out)


def handle_remove_server(state: NodeState, message: RemoveServerRequest, out: list[Message]) -> NodeState:
    if state.role is not LEADER:
        status = Status.NOT_LEADER
    elif message.server not in state.config:
        status = Status.NOT_MEMBER
    elif state.config == (message.server,):
        status = Status.LAST_SERVER
    else:
        status = change_refusal(state)
    if status is not None:
        out.append(RemoveServerResponse(state.id, message.src, message.server, status, state.leader_id))
        return state
    servers = tuple(server for server in state.config if server != message.server)
    change = PendingChange(False, message.server, message.src, last_index(state.log, state.snapshot) + 1)
    return _append_change(state, servers, change, out)


def _append_change(
    state: NodeState, servers: tuple[str, ...], pending: PendingChange, out: list[Message]
) -> NodeState:
    state = append_as_leader(state, ConfigChange(servers))
    state = replace(state, pending_changes=state.pending_changes + (pending,))
    state = broadcast_append_entries(state, out)
    return advance_commit(state, out)


def advance_catchup_clock(state: NodeState, ticks: int, out: list[Message]) -> NodeState:
    """A new server that makes no progress for an election timeout is unavailable: the AddServer fails.

    Only that, and the length of the last round (see `settle_membership`),
    is timed: the first round may ship the whole log and take long.
    """
    catchup = state.catchup
    if catchup is None:
        return state
    if catchup.idle_ticks + ticks > state.params.election_timeout_low:
        return _abort_catchup(state, out)
    return replace(state, catchup=replace(catchup, round_ticks=catchup.round_ticks + ticks,
                                          idle_ticks=catchup.idle_ticks + ticks))


def _abort_catchup(state: NodeState, out: list[Message]) -> NodeState:
    catchup = state.catchup
    out.append(AddServerResponse(state.id, catchup.requester, catchup.server, Status.TIMEOUT, state.id))
    return replace(state, catchup=None, progress=tuple(p for p in state.progress if p.peer != catchup.server))


def settle_membership(state: NodeState, out: list[Message]) -> NodeState:
    """After each step of a leader: finish catch-up rounds, answer committed changes, leave if removed."""
    catchup = state.catchup
    match = progress_of(state, catchup.server).match_index if catchup is not None else 0
    if catchup is not None and match >= catchup.round_target:
        last = last_index(state.log, state.snapshot)
        quick = catchup.round_ticks <= state.params.election_timeout_low
        if quick and (match >= last or catchup.round >= state.params.catchup_rounds):
            state = replace(state, catchup=None)
            servers = tuple(sorted(state.config + (catchup.server,)))
            state = _append_change(state, servers, PendingChange(True, catchup.server, catchup.requester, last + 1), out)
        elif catchup.round >= state.params.catchup_rounds:
            state = _abort_catchup(state, out)  # thesis 4.2.1: the last round outlasted an election timeout
        else:
            state = replace(state, catchup=CatchUp(catchup.server, catchup.requester, catchup.round + 1, last, 0))
    if state.pending_changes and state.pending_changes[0].index <= state.commit_index:
        done = tuple(p for p in state.pending_changes if p.index <= state.commit_index)
        for change in done:
            response = AddServerResponse if change.add else RemoveServerResponse
            out.append(response(state.id, change.requester, change.server, Status.OK, state.id))
        state = replace(state, pending_changes=state.pending_changes[len(done) :])
    if handing_over(state):
        if state.params.features.leadership_transfer:
            successor = _caught_up_member(state)
            if successor is None:
                return state  # it goes on replicating until one is
            out.append(TimeoutNow(state.id, successor, state.current_term))
        state = replace(become_follower(state), leader_id=None)
    return state


def _caught_up_member(state: NodeState) -> str | None:
    """Thesis 3.10: a member of the configuration that holds the leader's whole log, to hand over to.

    Handing over to a member that lacks an entry another member holds stalls:
    the others refuse it their votes. The liveness check found that lasso
    when the most up-to-date member was picked by matchIndex alone.
    """
    last = last_index(state.log, state.snapshot)
    members = sorted(p.peer for p in state.progress if p.peer in state.config and p.match_index == last)
    return members[-1] if members else None
