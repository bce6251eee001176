"""Running specs: search, verdict against expectation, and the counterexample trace."""

from __future__ import annotations

from dataclasses import dataclass, replace

from raftcheck.core import handle
from raftcheck.model.universe import Handler
from raftcheck.properties import checked_model
from raftcheck.search import Limits, SearchResult, breadth_first, depth_first
from raftcheck.search.model import Progress
from raftcheck.model.actions import Action
from raftcheck.model.cluster import RaftClusterModel
from raftcheck.spec import Spec, SpecError
from raftcheck.timeline import short_action
from raftcheck.trace import Trace, trace_of


@dataclass
class Outcome:
    spec: Spec
    result: SearchResult
    trace: Trace | None

    @property
    def verdict(self) -> str:
        return self.result.verdict

    @property
    def invariant(self) -> str | None:
        return self.result.violation.property if self.result.violation else None

    @property
    def matches(self) -> bool:
        """The verdict is the one the spec expects (a partial run never matches)."""
        if self.verdict != self.spec.expected_verdict:
            return False
        return self.verdict == "pass" or self.invariant == self.spec.expected_invariant

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
            return f"partial ({self.result.stopped_because})"
        return "pass"


def run_spec(
    spec: Spec, progress: Progress | None = None, overrides: Limits | None = None, handler: Handler = handle
) -> Outcome:
    """Explore the spec's cluster; `overrides` replaces the spec's state and time budgets."""
    limits = spec.limits
    if overrides is not None:
        limits = replace(
            limits,
            max_states=overrides.max_states or limits.max_states,
            max_seconds=overrides.max_seconds or limits.max_seconds,
        )
    model = checked_model(spec.settings, spec.invariants, handler)
    prefix = start_at(model, spec)
    search = breadth_first if spec.search == "bfs" else depth_first
    result = search(model, limits, progress)
    trace = None
    if result.violation:
        result.violation.actions[:0] = prefix
        trace = trace_of(spec.settings, spec.invariants, result.violation)
    return Outcome(spec, result, trace)


def start_at(model: RaftClusterModel, spec: Spec) -> list[Action]:
    """Play the spec's `start` steps, each matched against the timeline text of the possible
    steps (e.g. "deliver RequestVote n1->n2"); the search starts where they lead."""
    world = model.initial_states()[0]
    prefix = []
    for number, step in enumerate(spec.start):
        possible = list(model.successors(world))
        match = next(((a, w) for a, w in possible if short_action(a).startswith(step)), None)
        if match is None:
            choices = "; ".join(short_action(a) for a, _ in possible[:12])
            raise SpecError(f"{spec.path}: start[{number}]: {step!r} is not possible there; possible: {choices}")
        action, world = match
        prefix.append(action)
    if prefix and not model.expandable(world):
        raise SpecError(f"{spec.path}: start: the steps lead beyond the bounds; raise them")
    model.start_from(world)
    return prefix
