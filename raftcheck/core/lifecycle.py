"""Booting a node and restarting it after a crash."""

from __future__ import annotations

from raftcheck.core.log import latest_config, names_member
from raftcheck.core.messages import Entry, Snapshot
from raftcheck.core.params import NodeParams
from raftcheck.core.state import BOOTSTRAP, FOLLOWER, NodeState
from raftcheck.core.timer import draw_timeout, initial_rng


def boot(node_id: str, bootstrap: bool = False, params: NodeParams = NodeParams()) -> NodeState:
    """A fresh node knowing only its own id and whether it boots in Bootstrap mode."""
    return recover(node_id, bootstrap, params, 0, None, ())


def restart(state: NodeState) -> NodeState:
    """The node after a crash: what a real process keeps on disk survives, the rest is reset.

    Durable: id, bootstrap flag, current term, vote, log and snapshot. With
    `persist_vote_and_term` off the node forgets its term and vote, as the
    original example app did.
    """
    if state.params.rules.persist_vote_and_term:
        term, voted_for = state.current_term, state.voted_for
    else:
        term, voted_for = 0, None
    return recover(state.id, state.bootstrap, state.params, term, voted_for, state.log, state.snapshot)


def durable(state: NodeState) -> tuple[int, str | None, tuple[Entry, ...], Snapshot | None]:
    """The part of a state that must reach stable storage before messages leave."""
    return state.current_term, state.voted_for, state.log, state.snapshot


def recover(
    node_id: str,
    bootstrap: bool,
    params: NodeParams,
    term: int,
    voted_for: str | None,
    log: tuple[Entry, ...],
    snapshot: Snapshot | None = None,
) -> NodeState:
    """A node started from durable state (as read back from disk): volatile state starts fresh.

    A snapshot holds only committed entries, so the node starts with them committed and applied.
    Raises ValueError if the snapshot's state machine does not decode.
    """
    machine = params.state_machine.initial()
    if snapshot is not None:
        machine = params.state_machine.restore(snapshot.machine)
        if machine is None:
            raise ValueError("the snapshot's state machine does not decode")
    config, config_index = latest_config(log, node_id, bootstrap, snapshot)
    waiting = bootstrap and not names_member(log, node_id, snapshot)
    timeout, rng = draw_timeout(params, initial_rng(node_id, params.seed))
    return NodeState(
        id=node_id,
        bootstrap=bootstrap,
        params=params,
        role=BOOTSTRAP if waiting else FOLLOWER,
        current_term=term,
        voted_for=voted_for,
        log=log,
        config=config,
        config_index=config_index,
        commit_index=snapshot.index if snapshot is not None else 0,
        machine=machine,
        sessions=snapshot.sessions if snapshot is not None else (),
        leader_id=None,
        votes=(),
        progress=(),
        catchup=None,
        pending_changes=(),
        election_elapsed=0,
        election_timeout=timeout,
        heartbeat_elapsed=0,
        rng=rng,
        snapshot=snapshot,
    )
