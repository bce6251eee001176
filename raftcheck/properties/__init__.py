"""Raft's safety properties over the cluster model, ready for the search."""

from __future__ import annotations

from collections.abc import Iterable

from raftcheck.core import handle
from raftcheck.model.cluster import RaftClusterModel
from raftcheck.model.settings import ClusterSettings
from raftcheck.model.universe import Handler
from raftcheck.properties.invariants import ALL_INVARIANTS, INVARIANTS, STEP_INVARIANTS
from raftcheck.search import Property, TransitionProperty


def checked_model(
    settings: ClusterSettings, invariants: Iterable[str] = ALL_INVARIANTS, handler: Handler = handle
) -> RaftClusterModel:
    """A cluster model whose properties are the named invariants, over the given core handler."""
    model = RaftClusterModel(settings, handler)
    names = list(invariants)
    unknown = [name for name in names if name not in ALL_INVARIANTS]
    if unknown:
        raise ValueError(f"unknown invariant {unknown[0]!r}; known: {', '.join(ALL_INVARIANTS)}")
    state_checks = _Memoised(model, [INVARIANTS[name] for name in names if name in INVARIANTS])
    for index, name in enumerate(name for name in names if name in INVARIANTS):
        model.properties.append(Property(name, lambda world, index=index: state_checks.results(world)[index]))
    for name in names:
        if name in STEP_INVARIANTS:
            step = _MemoisedStep(model, STEP_INVARIANTS[name])
            model.transition_properties.append(TransitionProperty(name, step.check))
    return model


class _Memoised:
    """All state invariants of a world at once, memoised on what they read.

    Invariants read the node states and the history variables, never the
    network or the budgets, so worlds that differ only there share results.
    """

    def __init__(self, model: RaftClusterModel, checks: list) -> None:
        self._view = model.view
        self._checks = checks
        self._memo: dict = {}
        self._last: tuple = (None, ())

    def results(self, world) -> tuple:
        if self._last[0] is world:
            return self._last[1]
        key = (world.nodes, world.committed, world.commit_terms, world.elected)
        results = self._memo.get(key)
        if results is None:
            view = self._view(world)
            results = self._memo[key] = tuple(check(view) for check in self._checks)
        self._last = (world, results)
        return results


class _MemoisedStep:
    """A step invariant compares node states: a step that changes no node cannot break it,
    and the same change of nodes gives the same answer."""

    def __init__(self, model: RaftClusterModel, check) -> None:
        self._view = model.view
        self._check = check
        self._memo: dict = {}

    def check(self, before, action, after) -> str | None:
        if before.nodes == after.nodes:
            return None
        key = (before.nodes, after.nodes)
        if key not in self._memo:
            self._memo[key] = self._check(self._view(before), self._view(after))
        return self._memo[key]


__all__ = ["ALL_INVARIANTS", "checked_model"]
