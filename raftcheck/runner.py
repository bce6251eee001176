"""Running specs: search, verdict against expectation, and the counterexample trace."""

from __future__ import annotations

from dataclasses import dataclass, replace

from raftcheck.core import handle
from raftcheck.model.universe import Handler
from raftcheck.properties import checked_model
from raftcheck.search import Limits, SearchResult, breadth_first, depth_first
from raftcheck.search.model import Progress
from raftcheck.spec import Spec
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
    search = breadth_first if spec.search == "bfs" else depth_first
    result = search(model, limits, progress)
    trace = trace_of(spec.settings, spec.invariants, result.violation) if result.violation else None
    return Outcome(spec, result, trace)
