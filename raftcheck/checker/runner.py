"""Running specs: the scripted start, the search, the verdict against the expectation."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

from raftcheck.core import Role, handle
from raftcheck.checker.spec import Spec
from raftcheck.checker.trace import Trace, trace_of
from raftcheck.errors import RayError, SpecError
from raftcheck.liveness import LIVENESS_PROPERTIES, check_liveness
from raftcheck.liveness.graph import StateGraph
from raftcheck.model.actions import Action
from raftcheck.model.checks import select
from raftcheck.model.cluster import RaftClusterModel, World, swarm_kind
from raftcheck.model.steps import Election, StepPattern, describe_step, matching, pattern_table, step_text
from raftcheck.model.universe import Handler
from raftcheck.properties import raft_model
from raftcheck.search import Limits, SearchResult, breadth_first, depth_first
from raftcheck.search.model import Progress, Violation
from raftcheck.search.parallel import parallel_breadth_first
from raftcheck.search.shrink import shortest_nearby, shrink
from raftcheck.search.simulate import Walks, simulate, walks_in_parallel


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
    def error(self) -> str | None:
        """Why the spec could not run at all (its start does not fit its settings), if it could not."""
        return self.search.stopped_because if self.verdict == "error" else None

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
        if self.error is not None:
            return f"error: {self.error}"
        if self.verdict == "violation":
            return f"violation of {self.invariant}"
        if self.verdict == "partial":
            return f"partial ({self.search.stopped_because})"
        unreached = self.search.unreached_goals
        if unreached:
            return f"pass, but goals not reached: {', '.join(unreached)}"
        return "pass" if self.search.exhaustive else f"no violation ({self.search.stopped_because})"


def run_spec(spec: Spec, progress: Progress | None = None, handler: Handler = handle, keep_graph: bool = False,
             ray_address: str | None = None) -> Result:
    """Explore the spec's cluster from where its start steps lead (with `keep_graph`, keep a liveness check's graph).

    With `ray_address` (an address, or "local" to start Ray here), bfs and simulation run on Ray.
    """
    settings = spec.settings
    model = raft_model(settings, handler)
    prefix, broken_in_start = start_at(model, spec)
    if broken_in_start is not None:
        found = SearchResult("violation", len(prefix) + 1, len(prefix), len(prefix), 0.0, violation=broken_in_start)
        return Result(spec, found, trace_of(settings, broken_in_start))
    check = settings.check
    limits = Limits(settings.bounds.max_depth, check.max_states, check.max_seconds)
    graph = None
    with collector_paused():
        if check.liveness:
            result, graph = check_liveness(model, select(LIVENESS_PROPERTIES, check.liveness, "check.liveness"), limits,
                                           progress, len(prefix))
        elif check.search == "simulate":
            result = _simulation(model, spec, handler, limits, progress, ray_address)
            if result.violation:
                result.violation = shortest_nearby(model, shrink(model, result.violation))
        elif check.search == "bfs" and ray_address is not None:
            on_ray, workers = _ray(ray_address, check.workers)
            result = on_ray.breadth_first(model, partial(model_at_start, spec, handler), limits, workers, progress)
        elif check.search == "bfs" and check.workers > 1:
            result = parallel_breadth_first(model, limits, check.workers, progress)
        else:
            result = (breadth_first if check.search == "bfs" else depth_first)(model, limits, progress)
    trace = None
    if result.violation:
        result.violation.actions[:0] = prefix
        result.violation.shift(len(prefix))
        trace = trace_of(settings, result.violation)
    return Result(spec, result, trace, graph if keep_graph else None)


def run_or_refuse(spec: Spec, progress: Progress | None = None, ray_address: str | None = None) -> Result:
    """run_spec, but a start that cannot be played is this spec's "error" verdict rather than the end of a batch.

    A spec set run with an override (`--feature pre_vote`, say) may hold
    scripted starts that the override makes impossible; the other specs still
    run, and the one that could not is reported with its one-line reason.
    """
    try:
        return run_spec(spec, progress, ray_address=ray_address)
    except SpecError as error:
        return Result(spec, SearchResult("error", 0, 0, 0, 0.0, stopped_because=str(error)), None)


def _simulation(model: RaftClusterModel, spec: Spec, handler: Handler, limits: Limits, progress: Progress | None,
                ray_address: str | None) -> SearchResult:
    check = spec.settings.check
    walks = Walks(check.walks, check.walk_steps, check.seed)
    if ray_address is not None:
        on_ray, workers = _ray(ray_address, check.workers)
        return on_ray.simulate(partial(model_at_start, spec, handler), walk_model, limits, walks, workers)
    if check.workers > 1:
        return walks_in_parallel(model, walk_model, limits, walks, check.workers)
    return walk_model(model, limits, walks, progress)


def _ray(address: str, workers: int):
    """The Ray backend, joined to `address`, and how many workers to use (1: one per CPU of the cluster).

    Imported only when asked for: Ray is an optional dependency and slow to import.
    """
    try:
        from raftcheck.search import on_ray
    except ImportError:
        raise RayError("Ray is not installed: pip install 'raftcheck[ray]'") from None
    cpus = on_ray.connect(address)
    return on_ray, workers if workers > 1 else cpus


def walk_model(model: RaftClusterModel, limits: Limits, walks: Walks, progress: Progress | None = None,
               seen: set[int] | None = None, covered: set | None = None) -> SearchResult:
    """A simulation of the cluster, steered by coverage of its abstract states."""
    return simulate(model, limits, walks, progress, kind_of=swarm_kind,
                    abstraction=model.coverage,
                    seen=seen, covered=covered)


def model_at_start(spec: Spec, handler: Handler = handle) -> RaftClusterModel:
    """The spec's model, ready to search from where its start steps lead: what each Ray worker builds for itself."""
    model = raft_model(spec.settings, handler)
    start_at(model, spec)
    return model


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


def _patterns(model: RaftClusterModel, world: World, step: StepPattern | Election) -> Iterator[tuple[StepPattern, bool]]:
    """A start step's patterns, each with whether it is optional (played only if it matches one action that
    moves no node, see `_moves_a_node`). An election is expanded for the candidate's term and the cluster's features."""
    if not isinstance(step, Election):
        yield step, False
        return
    candidate = model.node_state(world, step.candidate)
    pre_vote = candidate.params.features.pre_vote
    for pattern in step.steps(candidate.current_term, pre_vote):
        yield pattern, False
    if pre_vote:
        for pattern in step.pre_votes_left(candidate.config):
            yield pattern, True


def _moves_a_node(model: RaftClusterModel, before: World, after: World) -> bool:
    """Whether a step changes some node's role, term, vote or leader (an answered pre-vote does not, unless
    it carries a higher term)."""
    return any(
        (a.role, a.current_term, a.voted_for, a.leader_id) != (b.role, b.current_term, b.voted_for, b.leader_id)
        for a, b in ((model.node_state(before, n), model.node_state(after, n)) for n in model.names)
    )


def start_at(model: RaftClusterModel, spec: Spec) -> tuple[list[Action], Violation | None]:
    """Play the spec's start steps, each of which must match exactly one possible action.

    Each step is checked like a searched one: a start that breaks an invariant
    stops there and returns that violation, since the search would never see
    a violation that the state it starts from has already left behind.
    """
    world = model.initial_states()[0]
    prefix: list[Action] = []
    for number, step in enumerate(spec.start):
        where = f"{spec.where}start[{number}]: " + (step_text(spec.start_tables[number]) if spec.start_tables
                                                     else str(step))
        for pattern, optional in _patterns(model, world, step):
            successors = dict(model.successors(world))
            found = matching(pattern, successors)
            if optional:
                if len(found) != 1 or _moves_a_node(model, world, successors[found[0]]):
                    continue
            elif len(found) != 1:
                shown = found if found else list(successors)
                listed = "; ".join(step_text(describe_step(a)) for a in shown[:12])
                problem = "matches several steps" if found else "is not possible there"
                part = f" (its step {step_text(pattern_table(pattern))})" if isinstance(step, Election) else ""
                raise SpecError(f"{where}{part} {problem}; possible: {listed}")
            action = found[0]
            prefix.append(action)
            before, world = world, successors[action]
            broken = model.first_broken_step(before, action, world) or model.first_broken(world)
            if broken is not None:
                return prefix, Violation(broken[0], broken[1], 0, list(prefix))
        lost = model.node_state(world, step.candidate) if isinstance(step, Election) else None
        if lost is not None and lost.role is not Role.LEADER:
            raise SpecError(f"{where}: {step.candidate} did not win: it is a {lost.role.value} in term "
                            f"{lost.current_term}")
    if prefix and model.beyond_bounds(world) is not None:
        raise SpecError(f"{spec.where}start: the steps lead beyond the bounds; raise them")
    model.start_from(world)
    return prefix, None
