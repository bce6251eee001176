"""Random walks over a model (swarm testing with coverage guidance), for depth that exhaustive search cannot reach.

Each walk starts from an initial state, or from a corpus entry (a path that
reached an abstract state no earlier walk had reached), and takes random
enabled actions, checking every property on every step, as breadth-first
search does. Swarm testing: each walk draws its own set of enabled action
kinds and their weights, so some walks never drop a message and others
crash often. Walk `w` of seed `s` draws from `random.Random(f"{s}:{w}")`, so
any walk can be replayed, and a counterexample is a plain path that the
shrinker (`shrink.py`) then makes short.

A simulation never proves anything: a run without a violation is reported as
`pass` with `exhaustive` False.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from raftcheck.search.model import (
    GoalTracker,
    Limits,
    Model,
    Progress,
    SearchResult,
    Stats,
    Violation,
    first_broken,
    first_broken_step,
)

PROGRESS_EVERY = 20_000
CORPUS_SHARE = 0.5


@dataclass(frozen=True)
class Walks:
    """The simulation's budget and its randomness: `walks` walks of at most `steps` actions, from `seed`."""

    walks: int = 1000
    steps: int = 100
    seed: int = 0
    swarm: bool = True


def simulate(model: Model, limits: Limits, budget: Walks, progress: Progress | None = None,
             kind_of: Callable[[Any], str] = lambda action: type(action).__name__,
             abstraction: Callable[[Any], Hashable] | None = None) -> SearchResult:
    """Random walks until a property breaks, the walks run out, or `limits` stop the run."""
    goals = GoalTracker(model)
    stats = Stats(goals=goals)
    seen: set[int] = set()
    covered: set[Hashable] = set()
    corpus: list[tuple[int, list, Any]] = []
    initials = model.initial_states()
    for index, initial in enumerate(initials):
        broken = first_broken(model.properties, initial)
        if broken:
            return stats.result("violation", Violation(*broken, index, []))
        if goals.pending:
            goals.state(initial)
        if abstraction is not None:
            covered.add(abstraction(initial))
    next_report = PROGRESS_EVERY
    walk = 0
    for walk in range(budget.walks):
        stopped = stats.out_of_budget(limits)
        if stopped:
            return _finish(stats, walk, covered, stopped)
        rng = random.Random(f"{budget.seed}:{walk}")
        weights: dict[str, float] | None = {} if budget.swarm else None
        if corpus and rng.random() < CORPUS_SHARE:
            index, path, state = rng.choice(corpus)
            path = list(path)
        else:
            index = rng.randrange(len(initials))
            path, state = [], initials[index]
        for _ in range(budget.steps):
            if model.beyond_bounds(state) is not None:
                stats.not_expanded(model.beyond_bounds(state))
                break
            if limits.max_depth is not None and len(path) >= limits.max_depth:
                stats.not_expanded("max_depth")
                break
            step = _choose(rng, list(model.successors(state)), weights, kind_of)
            if step is None:
                break
            action, successor = step
            path.append(action)
            stats.transitions += 1
            broken = first_broken_step(model.transition_properties, state, action, successor) or first_broken(
                model.properties, successor)
            if broken:
                stats.depth = max(stats.depth, len(path))
                return stats.result("violation", Violation(*broken, index, path))
            if goals.pending:
                goals.step(state, action, successor)
                goals.state(successor)
            key = model.fingerprint(successor)
            if key not in seen:
                seen.add(key)
                stats.states += 1
            if abstraction is not None:
                abstract = abstraction(successor)
                if abstract not in covered:
                    covered.add(abstract)
                    corpus.append((index, list(path), successor))
            state = successor
        stats.depth = max(stats.depth, len(path))
        if progress is not None and stats.transitions >= next_report:
            next_report = stats.transitions + PROGRESS_EVERY
            progress(stats)
    return _finish(stats, walk + 1, covered, None)


def _finish(stats: Stats, walks: int, covered: set, stopped: str | None) -> SearchResult:
    result = stats.result("pass", None, stopped or f"simulated {walks} walks: no violation (not exhaustive)")
    result.exhaustive = False
    result.coverage = len(covered) or None
    return result


def _choose(rng: random.Random, steps: Sequence, weights: dict[str, float] | None,
            kind_of: Callable[[Any], str]) -> Any:
    if not steps:
        return None
    if weights is None:
        return rng.choice(steps)
    chosen = []
    for action, successor in steps:
        kind = kind_of(action)
        if kind not in weights:
            # Swarm: each walk switches about a third of the kinds off and weighs the rest at random.
            weights[kind] = 0.0 if rng.random() < 1 / 3 else rng.uniform(0.1, 1.0)
        chosen.append(weights[kind])
    if not any(chosen):
        return rng.choice(steps)
    return rng.choices(steps, weights=chosen)[0]
