"""The steps a cluster takes once faults stop, and the fairness each of them is owed.

After the last fault (loss, duplication, crash, a link that fails or heals,
a client or membership request) only two kinds of step remain, and the model assumes partial
synchrony from then on, as Raft's timing requirement does (broadcast time
well below the election timeout):

- delivering a message in flight;
- a node's next timer firing, but only when no message is in flight (every
  message is delivered before any timer fires), and a follower's or
  candidate's election timer only if no leader's next heartbeat (what the
  core sends when the leader's timer fires) carries it an AppendEntries of a
  term at least its own: heartbeats come before election timeouts.

Fairness is strong and per step: each message value in flight, and each
node's timer, that is enabled infinitely often is taken infinitely often.
Without the quiet-network rule a model whose timers may always fire first
has trivial livelocks (a candidate times out before its votes arrive, for
ever); with it, those runs do not exist.

A property may also be checked without election timeouts (`timeouts=False`):
a follower's or candidate's timer then never fires, as if election timeouts
were longer than any run of deliveries and heartbeats. That asks what the
cluster does within message delays alone, which is what leadership transfer
is for.
"""

from __future__ import annotations

from typing import NamedTuple

from raftcheck.core import AppendEntriesRequest, NodeState, Role
from raftcheck.model.actions import Action, Deliver, FireTimer
from raftcheck.model.cluster import RaftClusterModel, World

LEADER = Role.LEADER
TIMEOUT = "timeout"  # the obligation kind of a follower's or candidate's timer; a leader's is "heartbeat"


class FairStep(NamedTuple):
    """One step after the faults: the obligation it discharges, the action, and the concrete successor."""

    obligation: tuple[str, int]
    action: Action
    successor: World


def fair_steps(model: RaftClusterModel, world: World, timeouts: bool = True) -> list[FairStep]:
    """Every step enabled in `world` once faults have stopped (without election timeouts if not `timeouts`).

    A leader's timer discharges ("heartbeat", position), any other node's
    ("timeout", position).
    """
    u = model.universe
    steps: list[FairStep] = []
    if not world.network:
        states = [u.node_states[n] for n in world.nodes]
        fired = [model.fire_timer(world, position) for position in range(len(states))]
        covered = _sent_heartbeats(model, states, fired)
        for position, state in enumerate(states):
            if fired[position] is None:
                continue
            if state.role is LEADER:
                steps.append(FairStep(("heartbeat", position), FireTimer(model.names[position]), fired[position]))
            elif timeouts and state.id not in covered:
                steps.append(FairStep((TIMEOUT, position), FireTimer(model.names[position]), fired[position]))
    previous = None
    for message in world.network:
        if message != previous:
            steps.append(FairStep(("deliver", message), Deliver(u.messages[message]), model.deliver(world, message)))
        previous = message
    return steps


def _sent_heartbeats(model: RaftClusterModel, states: list[NodeState], fired: list[World | None]) -> set[str]:
    """The nodes to which a leader's next timer sends an AppendEntries of a term at least theirs.

    Read from what the core actually sends, so a core that stops sending
    heartbeats lets its followers time out.
    """
    u = model.universe
    term = {state.id: state.current_term for state in states}
    covered = set()
    for state, after in zip(states, fired):
        if state.role is LEADER and after is not None:
            for message in map(u.messages.__getitem__, after.network):
                if type(message) is AppendEntriesRequest and message.term >= term.get(message.dst, message.term + 1):
                    covered.add(message.dst)
    return covered
