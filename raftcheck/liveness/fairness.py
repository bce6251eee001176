"""The steps a cluster takes once faults stop, and the fairness each of them is owed.

After the last fault (loss, duplication, crash, client or membership
request) only two kinds of step remain, and the model assumes partial
synchrony from then on, as Raft's timing requirement does (broadcast time
well below the election timeout):

- delivering a message in flight;
- a node's next timer firing, but only when no message is in flight (every
  message is delivered before any timer fires), and a follower's or
  candidate's election timer only if no leader with a term at least its own
  sends it heartbeats (heartbeats come before election timeouts).

Fairness is strong and per step: each message value in flight, and each
node's timer, that is enabled infinitely often is taken infinitely often.
Without the quiet-network rule a model whose timers may always fire first
has trivial livelocks (a candidate times out before its votes arrive, for
ever); with it, those runs do not exist.
"""

from __future__ import annotations

from typing import NamedTuple

from raftcheck.core import NodeState, Role
from raftcheck.core.replication import replication_targets
from raftcheck.model.actions import Action, Deliver, FireTimer
from raftcheck.model.cluster import RaftClusterModel, World

LEADER = Role.LEADER


class FairStep(NamedTuple):
    """One step after the faults: the obligation it discharges, the action, and the concrete successor."""

    obligation: tuple[str, int]
    action: Action
    successor: World


def fair_steps(model: RaftClusterModel, world: World) -> list[FairStep]:
    """Every step enabled in `world` once faults have stopped."""
    u = model.universe
    steps: list[FairStep] = []
    if not world.network:
        states = [u.node_states[n] for n in world.nodes]
        for position, state in enumerate(states):
            if state.role is not LEADER and _hears_heartbeats(state, states):
                continue
            fired = model.fire_timer(world, position)
            if fired is not None:
                steps.append(FairStep(("timer", position), FireTimer(model.names[position]), fired))
    previous = None
    for message in world.network:
        if message != previous:
            steps.append(FairStep(("deliver", message), Deliver(u.messages[message]), model.deliver(world, message)))
        previous = message
    return steps


def _hears_heartbeats(state: NodeState, states: list[NodeState]) -> bool:
    """Some leader whose term is at least this node's sends it heartbeats."""
    return any(
        other.role is LEADER and other.current_term >= state.current_term and state.id in replication_targets(other)
        for other in states
    )
