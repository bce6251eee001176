"""Log compaction (thesis 5.1): taking a snapshot of the applied prefix, and installing a leader's.

A node compacts by itself once `compact_log_after` applied entries follow its
snapshot, so the checker and the service see the same compaction points. It
does so when it takes its next input, before handling it: every entry it
compacts was then in its log before that step, where an observer (the
checker's history of committed entries, trace validation) can read it. A
snapshot covers only committed entries, so it never has to be undone.
"""

from __future__ import annotations

from msgspec.structs import replace

from raftcheck.core.log import last_index, latest_config, removed_at, snapshot_index, term_at
from raftcheck.core.messages import AppendEntriesResponse, InstallSnapshotRequest, Message, Snapshot
from raftcheck.core.replication import heed_leader
from raftcheck.core.state import BOOTSTRAP, FOLLOWER, NodeState


def compact_if_due(state: NodeState) -> NodeState:
    """Fold the applied prefix into a snapshot once it is `compact_log_after` entries long."""
    every = state.params.compact_log_after
    if not every or state.commit_index - snapshot_index(state.snapshot) < every:
        return state
    return compact(state)


def compact(state: NodeState) -> NodeState:
    """Replace the log up to the commit index with a snapshot of what applying it produced."""
    index, log, old = state.commit_index, state.log, state.snapshot
    kept_from = index - snapshot_index(old)
    if state.config_index <= index:
        config, config_index = state.config, state.config_index
    else:
        config, config_index = latest_config(log[:kept_from], state.id, state.bootstrap, old)
    machine = state.params.state_machine.dump(state.machine)
    removed = removed_at(log, config_index, state.id, old)
    snapshot = Snapshot(index, term_at(log, index, old), config, config_index, machine, state.sessions, removed)
    return replace(state, snapshot=snapshot, log=log[kept_from:])


def _plausible(message: InstallSnapshotRequest) -> bool:
    """A snapshot a leader of `term` could have taken: terms and indexes in range, members named."""
    snapshot = message.snapshot
    return (
        1 <= snapshot.index
        and 0 <= snapshot.term <= message.term
        and 0 <= snapshot.config_index <= snapshot.index
        and bool(snapshot.config)
    )


def handle_install_snapshot(state: NodeState, message: InstallSnapshotRequest, out: list[Message]) -> NodeState:
    """Thesis 5.1 (Fig. 5.3): adopt the leader's snapshot; keep any log suffix that follows it.

    Answered like AppendEntries, with the snapshot's last index as match index.
    A snapshot at or below this node's commit index adds nothing and is only
    acknowledged, so a duplicate or a stale one never moves the node back.
    """
    if message.term < 0 or not _plausible(message):
        return state
    machine = state.params.state_machine.restore(message.snapshot.machine)
    if machine is None:
        return state
    following = heed_leader(state, message, out)
    if following is None:
        return state
    state, index = following, message.snapshot.index
    if index > state.commit_index:
        state = _install(state, message.snapshot, machine)
    out.append(AppendEntriesResponse(state.id, message.src, state.current_term, True, index))
    return state


def _install(state: NodeState, snapshot: Snapshot, machine: object) -> NodeState:
    log, old = state.log, state.snapshot
    base, index = snapshot_index(old), snapshot.index
    agrees = base <= index <= last_index(log, old) and term_at(log, index, old) == snapshot.term
    kept = log[index - base :] if agrees else ()
    config, config_index = latest_config(kept, state.id, state.bootstrap, snapshot)
    role = FOLLOWER if state.role is BOOTSTRAP and state.id in config else state.role
    return replace(
        state,
        snapshot=snapshot,
        log=kept,
        commit_index=index,
        machine=machine,
        sessions=snapshot.sessions,
        config=config,
        config_index=config_index,
        role=role,
    )
