"""The state graph a liveness check runs on: every reachable state, then the fault-free steps from each.

Built in two passes. The first is a breadth-first search of the whole model,
faults included, over concrete states: it checks the safety invariants as
usual and keeps a shortest path to each state. Each state it reaches within
the bounds is a place where faults may stop. The second pass explores the
fault-free steps (see fairness) from the quotient of each such state (see
quotient), and records every edge with the obligation it discharges and
whether it keeps each step property.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import networkx as nx

from raftcheck.core import NodeState
from raftcheck.liveness.fairness import TIMEOUT, fair_steps
from raftcheck.liveness.properties import LivenessProperty
from raftcheck.liveness.quotient import quotient
from raftcheck.model.actions import Action
from raftcheck.model.cluster import RaftClusterModel, World
from raftcheck.search.model import GoalTracker, Limits, Progress, Stats, first_broken_step

PROGRESS_EVERY = 5_000


class Edge(tuple):
    """(target, obligation, action, step properties kept): one fault-free step of the quotient graph."""

    __slots__ = ()

    @property
    def target(self) -> World:
        return self[0]

    @property
    def obligation(self) -> tuple[str, int]:
        return self[1]

    @property
    def action(self) -> Action:
        return self[2]

    @property
    def kept(self) -> tuple[bool, ...]:
        return self[3]


@dataclass
class StateGraph:
    """The reachable states (by fingerprint) and the fault-free quotient graph over them."""

    parents: dict[int, tuple[int | None, object]] = field(default_factory=dict)
    concrete: dict[int, World] = field(default_factory=dict)
    starts: dict[World, int] = field(default_factory=dict)
    edges: dict[World, list[Edge]] = field(default_factory=dict)
    cut_off: set[World] = field(default_factory=set)
    safety: tuple[int, tuple[str, str], Action | None] | None = None  # where, what, and the breaking step
    stopped: str | None = None
    node_states: list[NodeState] = field(default_factory=list)

    def prefix(self, key: int) -> list[Action]:
        """The actions of the shortest path from an initial state to the reachable state `key`."""
        actions = []
        while True:
            parent, action = self.parents[key]
            if parent is None:
                return actions[::-1]
            actions.append(action)
            key = parent

    def initial_of(self, key: int) -> int:
        """The index of the initial state the shortest path to `key` starts from."""
        while True:
            parent, action = self.parents[key]
            if parent is None:
                return action
            key = parent

    def networkx(self, describe_action: Callable[[Action], str],
                 describe_node: Callable[[NodeState], str]) -> nx.MultiDiGraph:
        """The fault-free quotient graph for export: nodes numbered in discovery order, with what they look like,
        whether faults may stop there and whether the bounds cut them off; edges labelled by their action."""
        number = {world: index for index, world in enumerate(self.edges)}
        for world in self.cut_off:
            number.setdefault(world, len(number))
        graph = nx.MultiDiGraph()
        for world, index in number.items():
            nodes = " | ".join(f"{s.id}: {describe_node(s)}" for s in map(self.node_states.__getitem__, world.nodes))
            graph.add_node(index, label=f"{nodes} | {len(world.network)} in flight", start=world in self.starts,
                           cut_off=world in self.cut_off)
        for world, edges in self.edges.items():
            for edge in edges:
                graph.add_edge(number[world], number[edge.target], label=describe_action(edge.action))
        return graph


def without_timeouts(graph: StateGraph) -> StateGraph:
    """The same graph without the steps in which a follower's or candidate's election timer fires."""
    edges = {world: [e for e in out if e.obligation[0] != TIMEOUT] for world, out in graph.edges.items()}
    return replace(graph, edges=edges)


def build(
    model: RaftClusterModel,
    properties: Sequence[LivenessProperty],
    limits: Limits,
    stats: Stats,
    progress: Progress | None = None,
) -> StateGraph:
    graph = StateGraph(node_states=model.universe.node_states)
    _reachable(model, graph, limits, stats, progress)
    if graph.safety is None and graph.stopped is None:
        _fault_free(model, graph, [p for p in properties if p.on_steps], limits, stats, progress)
    return graph


def _reachable(model: RaftClusterModel, graph: StateGraph, limits: Limits, stats: Stats,
               progress: Progress | None) -> None:
    goals = stats.goals = GoalTracker(model)
    check_state = model.first_broken
    queue: deque = deque()
    for index, world in enumerate(model.initial_states()):
        key = model.fingerprint(world)
        graph.parents[key] = (None, index)
        queue.append((world, key, 0))
    while queue:
        world, key, depth = queue.popleft()
        stats.states += 1
        stats.depth = max(stats.depth, depth)
        broken = check_state(world)
        if broken:
            graph.safety = (key, broken, None)
            return
        if goals.pending:
            goals.state(world)
        beyond = model.beyond_bounds(world)
        if beyond is None:
            graph.concrete[key] = world
            graph.starts.setdefault(quotient(world, model.universe), key)
            if limits.max_depth is not None and depth >= limits.max_depth:
                beyond = "max_depth"
        if beyond is not None:
            stats.not_expanded(beyond)
            continue
        for action, successor in model.successors(world):
            stats.transitions += 1
            broken = first_broken_step(model.transition_properties, world, action, successor)
            if broken:
                graph.safety = (key, broken, action)
                return
            if goals.pending:
                goals.step(world, action, successor)
            next_key = model.fingerprint(successor)
            if next_key not in graph.parents:
                graph.parents[next_key] = (key, action)
                queue.append((successor, next_key, depth + 1))
        if _stop_here(graph, stats, limits, progress):
            return


def _fault_free(model: RaftClusterModel, graph: StateGraph, step_properties: list[LivenessProperty],
                limits: Limits, stats: Stats, progress: Progress | None) -> None:
    u = model.universe
    queue = deque(graph.starts)
    seen = set(graph.starts)
    while queue:
        world = queue.popleft()
        if _beyond_bounds(model, world):
            graph.cut_off.add(world)
            continue
        before = tuple(u.node_states[n] for n in world.nodes)
        links_cut = model.links_cut(world)
        edges = []
        for step in fair_steps(model, world):
            stats.transitions += 1
            after = tuple(u.node_states[n] for n in step.successor.nodes)
            kept = tuple(p.holds(before, step.action, after, links_cut) for p in step_properties)
            target = quotient(step.successor, u)
            edges.append(Edge((target, step.obligation, step.action, kept)))
            if target not in seen:
                seen.add(target)
                queue.append(target)
                stats.states += 1
                if _stop_here(graph, stats, limits, progress):
                    return
        graph.edges[world] = edges


def _stop_here(graph: StateGraph, stats: Stats, limits: Limits, progress: Progress | None) -> bool:
    """Every PROGRESS_EVERY states: report progress, or stop (recording why) when a budget is spent."""
    if stats.states % PROGRESS_EVERY:
        return False
    graph.stopped = stats.out_of_budget(limits)
    if progress and not graph.stopped:
        progress(stats)
    return graph.stopped is not None


def _beyond_bounds(model: RaftClusterModel, world: World) -> bool:
    """The bounds on messages and logs; terms need none, as the quotient keeps them few.

    Messages from before the faults stopped drain while a new leader
    broadcasts, so the network gets room for two broadcasts more than the
    bound of the faulty part, and logs room for two more elections' no-ops.
    """
    bounds = model.settings.bounds
    logs, bases = model.universe.log, model.universe.base
    in_flight = bounds.max_in_flight + 2 * (len(world.nodes) - 1)
    return len(world.network) > in_flight or any(len(logs[n]) + bases[n] > bounds.max_log + 2 for n in world.nodes)
