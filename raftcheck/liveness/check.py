"""Checking liveness properties: build the graph, find a fair bad cycle, confirm it on the concrete cluster."""

from __future__ import annotations

from collections.abc import Sequence

from raftcheck.liveness.graph import StateGraph, build, without_timeouts
from raftcheck.liveness.lassos import Lasso, fair_components, lasso_to, run_to
from raftcheck.liveness.properties import LivenessProperty
from raftcheck.liveness.replay import follow, liveness_problem
from raftcheck.model.actions import Action
from raftcheck.model.cluster import RaftClusterModel, World
from raftcheck.search.model import Limits, Progress, SearchResult, Stats, Violation


def check_liveness(
    model: RaftClusterModel,
    properties: Sequence[LivenessProperty],
    limits: Limits = Limits(),
    progress: Progress | None = None,
    steps_before: int = 0,
) -> tuple[SearchResult, StateGraph]:
    """The verdict on `properties` (and the model's safety invariants on the way), and the graph it came from.

    A pass is "pass" only if no fault-free state was cut off by the bounds;
    otherwise no violation was found within them and the verdict is "partial". `steps_before` is the length
    of a scripted prefix that led to the model's initial state, so a lasso's message counts steps as its
    trace will.
    """
    stats = Stats()
    graph = build(model, properties, limits, stats, progress)
    if graph.safety is not None:
        key, (name, message), step = graph.safety
        path = graph.prefix(key) + ([step] if step is not None else [])
        return stats.result("violation", Violation(name, message, graph.initial_of(key), path)), graph
    if graph.stopped is not None:
        return stats.result("partial", stopped=graph.stopped), graph
    unconfirmed = 0
    step_index = {p.name: i for i, p in enumerate(p for p in properties if p.on_steps)}
    for prop in properties:
        for lasso in _lassos(model, graph, prop, step_index.get(prop.name)):
            violation = _confirmed(model, graph, prop, lasso, steps_before)
            if violation is not None:
                return stats.result("violation", violation), graph
            unconfirmed += 1
    if unconfirmed:
        return stats.result("partial", stopped=f"{unconfirmed} cycles of the quotient did not repeat on the cluster"), graph
    if graph.cut_off:
        stats.unexpanded["fault-free states beyond the bounds"] = len(graph.cut_off)
        return stats.result("partial", stopped=f"{len(graph.cut_off)} fault-free states beyond the bounds"), graph
    return stats.result("pass"), graph


def _lassos(model: RaftClusterModel, graph: StateGraph, prop: LivenessProperty, step: int | None):
    """Lassos to each fair component that breaks `prop` (for an "always" property, a shortest run to a step that
    breaks it); `step` is its position among the step properties."""
    expanded = set(graph.edges)
    node_states = model.universe.node_states

    def nodes_of(world: World) -> tuple:
        return tuple(node_states[n] for n in world.nodes)

    def holds(world: World) -> bool:
        return prop.holds(nodes_of(world), model.links_cut(world))

    if not prop.timeouts:
        graph = without_timeouts(graph)
    may_stop = None if prop.given is None else (lambda world: prop.given(nodes_of(world), len(world.network)))
    if prop.form == "always":
        run = run_to(graph, lambda world, edge: not edge.kept[step], may_stop)
        if run is not None:
            yield run
        return
    if prop.form == "eventually":
        within = {w for w in expanded if not holds(w)}
        for component in fair_components(graph, within):
            lasso = lasso_to(graph, component, within, None, may_stop)
            if lasso is not None:
                yield lasso
        return
    for component in fair_components(graph, expanded):
        if step is not None:
            def bad(world, edge, index=step):
                return not edge.kept[index]
        else:
            def bad(world, edge):
                return not holds(world)
        inside = [(w, e) for w in component for e in graph.edges[w] if e.target in component]
        stutters = not inside and step is None and not holds(next(iter(component)))
        if stutters or any(bad(w, e) for w, e in inside):
            lasso = lasso_to(graph, component, expanded, None if stutters else bad, may_stop)
            if lasso is not None:
                yield lasso


def _confirmed(model: RaftClusterModel, graph: StateGraph, prop: LivenessProperty, lasso: Lasso,
               steps_before: int) -> Violation | None:
    """The lasso as concrete actions from an initial state, if it replays and repeats; else None."""
    start = graph.concrete[lasso.start]
    stem = follow(model, start, [(e.action, e.target) for _, e in lasso.stem])
    if stem is None:
        return None
    loop_from = stem[-1][1] if stem else start
    cycle = follow(model, loop_from, [(e.action, e.target) for _, e in lasso.cycle])
    if cycle is None:
        return None
    prefix = graph.prefix(lasso.start)
    fault_free: list[tuple[Action, World]] = stem + cycle
    loop_start = None if prop.form == "always" else len(stem)
    problem, how = liveness_problem(model, prop.name, [start] + [w for _, w in fault_free],
                                    [a for a, _ in fault_free], loop_start, steps_before + len(prefix))
    if problem is not None:
        return None
    actions = prefix + [a for a, _ in fault_free]
    return Violation(prop.name, how, graph.initial_of(lasso.start), actions,
                     loop_start=None if loop_start is None else len(prefix) + loop_start, stable_from=len(prefix))
