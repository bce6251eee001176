"""CheckQuorum: a leader that has not heard from a majority within an election timeout steps down.

A leader cut off from its majority otherwise keeps believing it leads (and
answering reads from its own state, in systems that serve them locally) until
it hears a higher term. The leader's election clock, unused while it leads,
times the check; any message from a member counts as hearing from it.
"""

from __future__ import annotations

from msgspec.structs import replace

from raftcheck.core.messages import Message
from raftcheck.core.quorum import vote_won
from raftcheck.core.state import NodeState
from raftcheck.core.terms import become_follower


def note_heard(state: NodeState, message: Message) -> NodeState:
    """A leader records that a member spoke to it in this period (called for leaders only)."""
    if state.params.features.check_quorum and message.src in state.config and message.src not in state.heard_from:
        return replace(state, heard_from=tuple(sorted(state.heard_from + (message.src,))))
    return state


def check_quorum(state: NodeState, ticks: int) -> NodeState:
    """At the end of each election timeout, a leader that heard from no majority steps down."""
    if not state.params.features.check_quorum:
        return state
    elapsed = state.election_elapsed + ticks
    if elapsed < state.params.election_timeout_low:
        return replace(state, election_elapsed=elapsed)
    if vote_won(state.config, state.heard_from + (state.id,)):
        return replace(state, election_elapsed=0, heard_from=())
    return replace(become_follower(state), leader_id=None, election_elapsed=0)
