"""Term changes and the election timer: the transitions every role shares."""

from __future__ import annotations

from msgspec.structs import replace

from raftcheck.core.state import BOOTSTRAP, FOLLOWER, LEADER, NodeState
from raftcheck.core.timer import draw_timeout


def reset_election_timer(state: NodeState) -> NodeState:
    """Restart the election clock with a fresh random timeout (paper 5.2)."""
    timeout, rng = draw_timeout(state.params, state.rng)
    return replace(state, election_elapsed=0, election_timeout=timeout, rng=rng)


def adopt_term(state: NodeState, term: int) -> NodeState:
    """A message carried a higher term: take it, forget the vote, step down.

    With `step_down_on_higher_term` off the node takes the term but keeps its
    role, so a leader stays leader in a term it did not win.
    """
    if not state.params.rules.step_down_on_higher_term or state.role is BOOTSTRAP:
        role = state.role
    else:
        role = FOLLOWER
    if role is LEADER:
        return replace(state, current_term=term, voted_for=None, votes=())
    return replace(
        state,
        role=role,
        current_term=term,
        voted_for=None,
        votes=(),
        leader_id=None,
        progress=(),
        catchup=None,
        pending_changes=(),
        pre_votes=(),
    )


def become_follower(state: NodeState) -> NodeState:
    """Leave candidacy or leadership within the same term."""
    return replace(state, role=FOLLOWER, votes=(), progress=(), catchup=None, pending_changes=(), heard_from=(),
                   pre_votes=())
