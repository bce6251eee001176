"""Finding a fair cycle that breaks a liveness property, and the lasso that reaches it.

A run that breaks "eventually P" stays in states without P for ever; one that
breaks "eventually always P" leaves P infinitely often. On a finite graph an
infinite run ends inside a strongly connected component, and under strong
fairness it can stay there only if every obligation enabled somewhere in the
component is also discharged by an edge inside it. A component that fails
this loses the states where the neglected obligation is enabled, and what is
left is split again (the Streett emptiness check). A state with no step at
all is a component of its own: the run stutters there for ever.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import NamedTuple

import networkx as nx

from raftcheck.liveness.graph import Edge, StateGraph
from raftcheck.model.cluster import World


class Lasso(NamedTuple):
    """Where faults stop (a reachable state's fingerprint), the fault-free edges to the cycle, and the cycle."""

    start: int
    stem: list[tuple[World, Edge]]
    cycle: list[tuple[World, Edge]]


def fair_components(graph: StateGraph, within: set[World]) -> Iterable[set[World]]:
    """The fair strongly connected parts of the graph restricted to `within` (largest first)."""
    work = [within]
    while work:
        part = work.pop()
        digraph = nx.DiGraph()
        digraph.add_nodes_from(part)
        digraph.add_edges_from((w, e.target) for w in part for e in graph.edges.get(w, ()) if e.target in part)
        for component in nx.strongly_connected_components(digraph):
            inside = [e for w in component for e in graph.edges.get(w, ()) if e.target in component]
            if not inside:
                world = next(iter(component))
                if world in graph.edges and not graph.edges[world]:
                    yield component  # no step at all: it stutters for ever
                continue
            taken = {e.obligation for e in inside}
            neglected = {e.obligation for w in component for e in graph.edges[w]} - taken
            if not neglected:
                yield component
                continue
            rest = {w for w in component if not any(e.obligation in neglected for e in graph.edges[w])}
            if rest:
                work.append(rest)


def lasso_to(graph: StateGraph, component: set[World], within: set[World],
             must_visit: Callable[[World, Edge], bool] | None,
             may_stop: Callable[[World], bool] | None = None) -> Lasso | None:
    """A lasso from a place where faults may stop (one `may_stop` accepts, if given), through `within`, to a fair
    cycle in `component`.

    The cycle starts with a loop through an edge `must_visit` accepts (any
    edge if None), then adds a loop through an edge for each obligation
    enabled on the cycle but not yet taken, until none is left: a fair cycle,
    far shorter than one through every edge of the component.
    """
    sources = [w for w in graph.starts if w in within and (may_stop is None or may_stop(w))]
    stem = _path(graph, sources, component, within)
    if stem is None:
        return None
    first, path = stem
    entry = path[-1][1].target if path else first
    inside = [(w, e) for w in component for e in graph.edges.get(w, ()) if e.target in component]
    if not inside:
        return Lasso(graph.starts[first], path, [])
    cycle = _through(graph, entry, [(w, e) for w, e in inside if must_visit is None or must_visit(w, e)], component)
    while True:
        enabled = {e.obligation for w, _ in cycle for e in graph.edges[w]}
        missing = enabled - {e.obligation for _, e in cycle}
        if not missing:
            break
        wanted = min(missing)
        cycle += _through(graph, entry, [(w, e) for w, e in inside if e.obligation == wanted], component)
    return Lasso(graph.starts[first], path, cycle)


def run_to(graph: StateGraph, bad: Callable[[World, Edge], bool],
           may_stop: Callable[[World], bool] | None = None) -> Lasso | None:
    """A shortest run from a place where faults may stop (one `may_stop` accepts, if given) to an edge `bad`
    accepts, ending with that edge: the counterexample to an "always" property, a lasso with no cycle whose
    stem's last step is the bad one."""
    ends = {w: e for w, edges in graph.edges.items() for e in edges if bad(w, e)}
    if not ends:
        return None
    expanded = set(graph.edges)
    sources = [w for w in graph.starts if w in expanded and (may_stop is None or may_stop(w))]
    found = _path(graph, sources, set(ends), expanded)
    if found is None:
        return None
    first, path = found
    world = path[-1][1].target if path else first
    return Lasso(graph.starts[first], path + [(world, ends[world])], [])


def _through(graph: StateGraph, entry: World, choices: list[tuple[World, Edge]],
             component: set[World]) -> list[tuple[World, Edge]]:
    """The shortest loop from `entry` back to itself that takes one of the `choices` (edges inside `component`)."""
    sources = {w for w, _ in choices}
    _, there = _path(graph, [entry], sources, component)
    world = there[-1][1].target if there else entry
    edge = next(e for w, e in choices if w == world)
    _, back = _path(graph, [edge.target], {entry}, component)
    return there + [(world, edge)] + back


def _path(graph: StateGraph, sources: list[World], targets: set[World],
          within: set[World]) -> tuple[World, list[tuple[World, Edge]]] | None:
    """A shortest path through `within` from one of `sources` to one of `targets` (empty if a source is one)."""
    parents: dict[World, tuple[World, Edge] | None] = {}
    queue = deque()
    for source in sources:
        if source not in parents:
            parents[source] = None
            queue.append(source)
    while queue:
        world = queue.popleft()
        if world in targets:
            path = []
            while parents[world] is not None:
                previous, edge = parents[world]
                path.append((previous, edge))
                world = previous
            return world, path[::-1]
        for edge in graph.edges.get(world, ()):
            if edge.target in within and edge.target not in parents:
                parents[edge.target] = (world, edge)
                queue.append(edge.target)
    return None
