"""Running specs: the scripted start, the search, the verdict against the expectation."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from raftcheck.core import handle
from raftcheck.checker.spec import Spec
from raftcheck.checker.trace import Trace, trace_of
from raftcheck.errors import SpecError
from raftcheck.liveness import LIVENESS_PROPERTIES, check_liveness
from raftcheck.liveness.graph import StateGraph
from raftcheck.model.actions import Action
from raftcheck.model.checks import select
from raftcheck.model.cluster import RaftClusterModel, coverage_key
from raftcheck.model.steps import describe_step, matching, step_text
from raftcheck.model.universe import Handler
from raftcheck.properties import raft_model
from raftcheck.search import Limits, SearchResult, breadth_first, depth_first
from raftcheck.search.model import Progress
from raftcheck.search.parallel import parallel_breadth_first
from raftcheck.search.shrink import shortest_nearby, shrink
from raftcheck.search.simulate import Walks, simulate


@dataclass
class Result:
    """A spec's run: the search result, the counterexample trace if any, and the verdict's match."""

    spec: Spec
    search: SearchResult
    trace: Trace | None
    graph: StateGraph | None = None

    @property
    def verdict(self) -> str:
        return self.search.verdict

    @property
    def invariant(self) -> str | None:
        return self.search.violation.property if self.search.violation else None

    @property
    def matches(self) -> bool:
        """The verdict is the one the spec expects (a partial run never matches; a pass reaches every goal)."""
        if self.verdict != self.spec.expected_verdict:
            return False
        if self.verdict == "pass":
            return not self.search.unreached_goals
        return self.invariant == self.spec.expected_invariant

    @property
    def expected(self) -> str:
        if self.spec.expected_verdict == "pass":
            return "pass"
        return f"violation of {self.spec.expected_invariant}"

    @property
    def found(self) -> str:
        if self.verdict == "violation":
            return f"violation of {self.invariant}"
        if self.verdict == "partial":
            return f"partial ({self.search.stopped_because})"
        unreached = self.search.unreached_goals
        if unreached:
            return f"pass, but goals not reached: {', '.join(unreached)}"
        return "pass" if self.search.exhaustive else f"no violation ({self.search.stopped_because})"


def run_spec(spec: Spec, progress: Progress | None = None, handler: Handler = handle, keep_graph: bool = False) -> Result:
    """Explore the spec's cluster from where its start steps lead (with `keep_graph`, keep a liveness check's graph)."""
    settings = spec.settings
    model = raft_model(settings, handler)
    prefix = start_at(model, spec)
    check = settings.check
    limits = Limits(settings.bounds.max_depth, check.max_states, check.max_seconds)
    graph = None
    with collector_paused():
        if check.liveness:
            result, graph = check_liveness(model, select(LIVENESS_PROPERTIES, check.liveness, "check.liveness"), limits,
                                       progress)
        elif check.search == "simulate":
            walks = Walks(check.walks, check.walk_steps, check.seed)
            result = simulate(model, limits, walks, progress, abstraction=lambda world: coverage_key(model.view(world)))
            if result.violation:
                result.violation = shortest_nearby(model, shrink(model, result.violation))
        elif check.workers > 1 and check.search == "bfs":
            result = parallel_breadth_first(model, limits, check.workers, progress)
        else:
            result = (breadth_first if check.search == "bfs" else depth_first)(model, limits, progress)
    trace = None
    if result.violation:
        result.violation.actions[:0] = prefix
        result.violation.shift(len(prefix))
        trace = trace_of(settings, result.violation)
    return Result(spec, result, trace, graph if keep_graph else None)


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection during a search: states are acyclic tuples and frozen structs, so
    the collector only rescans the growing visited set (628 collections, 7% of the default spec's search
    time, measured with gc.callbacks)."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


def start_at(model: RaftClusterModel, spec: Spec) -> list[Action]:
    """Play the spec's start steps, each of which must match exactly one possible action."""
    world = model.initial_states()[0]
    prefix = []
    for number, pattern in enumerate(spec.start):
        successors = dict(model.successors(world))
        found = matching(pattern, successors)
        if len(found) != 1:
            shown = found if found else list(successors)
            listed = "; ".join(step_text(describe_step(a)) for a in shown[:12])
            problem = "matches several steps" if found else "is not possible there"
            step = step_text(spec.start_tables[number]) if spec.start_tables else str(pattern)
            raise SpecError(f"{spec.where}start[{number}]: {step} {problem}; possible: {listed}")
        action = found[0]
        prefix.append(action)
        world = successors[action]
    if prefix and model.beyond_bounds(world) is not None:
        raise SpecError(f"{spec.where}start: the steps lead beyond the bounds; raise them")
    model.start_from(world)
    return prefix
