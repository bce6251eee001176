"""Raft's liveness properties: what must eventually happen once faults stop, and what must not happen then.

Each property is "eventually P" (some state after the last fault satisfies
P), "eventually always P" (from some point on, every state, or every step,
satisfies P) or "always P" (every step after the last fault satisfies P).
They read only what the quotient keeps: roles, configurations, the order of
terms and indexes, and the links cut for good.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Literal, NamedTuple

from raftcheck.core import NodeState, Role
from raftcheck.core.log import snapshot_index, term_at
from raftcheck.core.quorum import vote_won
from raftcheck.model.actions import Action, FireTimer

Nodes = tuple[NodeState, ...]
Links = frozenset[frozenset[str]]  # links cut for good, each as the pair of node names it joined
LEADER, BOOTSTRAP = Role.LEADER, Role.BOOTSTRAP


class LivenessProperty(NamedTuple):
    """`holds(nodes, links_cut)` for a state property, `holds(before, action, after, links_cut)` for a step property.

    `given(nodes, messages_in_flight)`: the property is asked only of runs
    whose faults stop in a state where it holds. `timeouts`: whether
    followers' and candidates' election timers fire once faults stop (see
    fairness). `describe_break(before, action, after, links_cut)`: what a step
    that breaks an "always" property did, for its counterexample.
    """

    name: str
    form: Literal["eventually", "eventually_always", "always"]
    holds: Callable[..., bool]
    on_steps: bool
    explanation: str
    given: Callable[[Nodes, int], bool] | None = None
    timeouts: bool = True
    describe_break: Callable[..., str] | None = None


def latest_config(nodes: Nodes) -> tuple[str, ...]:
    """The configuration of the node whose log holds the newest configuration entry (highest index, then term)."""
    return max(nodes, key=_config_age).config


def _config_age(node: NodeState) -> tuple[int, int]:
    """A configuration entry compacted into a snapshot was committed, so it outranks any other entry at its
    index (those can only be of older terms, never applied)."""
    if not node.config_index:
        return 0, -1
    if node.config_index <= snapshot_index(node.snapshot):
        return node.config_index, sys.maxsize
    return node.config_index, term_at(node.log, node.config_index, node.snapshot)


def _serving_leader(nodes: Nodes, links_cut: Links) -> bool:
    return any(n.role is LEADER and n.id in n.config for n in nodes)


def _one_leader(nodes: Nodes, links_cut: Links) -> bool:
    return sum(n.role is LEADER for n in nodes) <= 1


def _no_term_rises(before: Nodes, action: Action, after: Nodes, links_cut: Links) -> bool:
    return all(b.current_term == a.current_term for b, a in zip(before, after))


def _heard_leader(nodes: Nodes, links_cut: Links) -> NodeState | None:
    """A leader of the highest term that is a member of its configuration and is followed by a majority of it
    (members at its term that know it as leader, on links that work), if there is one."""
    top = max(n.current_term for n in nodes)
    for leader in nodes:
        if leader.role is LEADER and leader.current_term == top and leader.id in leader.config:
            followers = {n.id for n in nodes if n.leader_id == leader.id and n.current_term == top
                         and frozenset((leader.id, n.id)) not in links_cut}
            if vote_won(leader.config, followers | {leader.id}):
                return leader
    return None


def _leader_undisturbed(before: Nodes, action: Action, after: Nodes, links_cut: Links) -> bool:
    leader = _heard_leader(before, links_cut)
    return leader is None or all(n.current_term <= leader.current_term for n in after)


def _disturbance(before: Nodes, action: Action, after: Nodes, links_cut: Links) -> str:
    leader = _heard_leader(before, links_cut)
    risen = ", ".join(f"{n.id} to {n.current_term}" for n in after if n.current_term > leader.current_term)
    return f"a term rises ({risen}) while {leader.id} leads term {leader.current_term}, followed by a majority"


def _settled(nodes: Nodes, in_flight: int) -> bool:
    """No message is in flight: none sent before the faults stopped (a pre-vote granted while no leader was
    heard, say) is still to arrive."""
    return not in_flight


def _no_outsider_campaigns(before: Nodes, action: Action, after: Nodes, links_cut: Links) -> bool:
    if type(action) is not FireTimer:
        return True
    members = latest_config(after)
    for b, a in zip(before, after):
        if a.id == action.node and a.current_term > b.current_term:
            return a.id in members or a.role is BOOTSTRAP
    return True


def _leader_leaving(nodes: Nodes, in_flight: int) -> bool:
    """A leader in the highest term has appended a configuration that leaves it out."""
    top = max(n.current_term for n in nodes)
    return any(n.role is LEADER and n.current_term == top and n.id not in n.config for n in nodes)


def _commits_everywhere(nodes: Nodes, links_cut: Links) -> bool:
    """Members agree on the commit index, leaving out those cut off from the leader: only leaders send it."""
    members = set(latest_config(nodes))
    leaders = [n for n in nodes if n.role is LEADER]
    if leaders:
        leader = max(leaders, key=lambda n: n.current_term).id
        members -= {m for m in members if frozenset((leader, m)) in links_cut}
    commits = {n.commit_index for n in nodes if n.id in members}
    return len(commits) <= 1


LIVENESS_PROPERTIES: tuple[LivenessProperty, ...] = (
    LivenessProperty("LeaderElected", "eventually", _serving_leader, False,
                     "Some member of its own configuration is eventually leader."),
    LivenessProperty("LeaderStaysElected", "eventually_always", _serving_leader, False,
                     "From some point on there is always a leader that is a member of its own configuration."),
    LivenessProperty("StaleLeadersStepDown", "eventually_always", _one_leader, False,
                     "From some point on at most one node believes it is leader: a leader cut off from its "
                     "majority steps down."),
    LivenessProperty("TermsStopGrowing", "eventually_always", _no_term_rises, True,
                     "From some point on no step raises any node's term: elections stop."),
    LivenessProperty("RemovedServersStopCampaigning", "eventually_always", _no_outsider_campaigns, True,
                     "From some point on no server outside the newest configuration starts an election."),
    LivenessProperty("CommitsReachEveryMember", "eventually_always", _commits_everywhere, False,
                     "From some point on every member of the newest configuration has the same commit index, "
                     "but for members cut off for good from the leader of the highest term, which no leader can reach."),
    LivenessProperty("LeaderHandsOver", "eventually", _serving_leader, False,
                     "A leader that removes itself is followed by a member of the new configuration as leader "
                     "without any election timeout: asked where faults stop while such a leader is in office, "
                     "with followers' and candidates' timers never firing.",
                     given=_leader_leaving, timeouts=False),
    LivenessProperty("LeaderUndisturbed", "always", _leader_undisturbed, True,
                     "Once faults stop, no step raises a term above that of a leader of the highest term who is "
                     "followed by a majority of its configuration (members at its term that know it as leader, on "
                     "links that work): a server that cannot hear from that leader does not depose it, which is "
                     "what PreVote is for. Asked of runs whose faults stop with no message in flight, as an "
                     "answer sent before then may carry a pre-vote granted while no leader was heard.",
                     given=_settled, describe_break=_disturbance),
)
