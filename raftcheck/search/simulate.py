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

import dataclasses
import multiprocessing
import random
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from raftcheck.search.model import (
    GoalTracker,
    Limits,
    Model,
    Progress,
    SearchResult,
    Stats,
    Violation,
    moves_of,
    state_checker,
    step_checker,
)

PROGRESS_EVERY = 20_000
CORPUS_SHARE = 0.5


@dataclass(frozen=True)
class Walks:
    """The simulation's budget and its randomness: `walks` walks of at most `steps` actions, from `seed`."""

    walks: int = 1000
    steps: int = 100
    seed: int = 0
    # A walk ends after this many steps in a row that reach no new state: long walks otherwise circle in a
    # steady cluster (heartbeats and their answers) and spend the budget on states already seen.
    patience: int = 20
    swarm: bool = True
    first: int = 0  # this run takes walks first, first + stride, ... (several runs share one budget)
    stride: int = 1


def simulate(model: Model, limits: Limits, budget: Walks, progress: Progress | None = None,
             kind_of: Callable[[Any], str] = lambda action: type(action).__name__,
             abstraction: Callable[[Any], Hashable] | None = None,
             seen: set[int] | None = None, covered: set[Hashable] | None = None) -> SearchResult:
    """Random walks until a property breaks, the walks run out, or `limits` stop the run.

    `seen` and `covered` collect the fingerprints and abstract states reached, for a caller that merges runs.
    """
    goals = GoalTracker(model)
    stats = Stats(goals=goals)
    check_state, check_step = state_checker(model), step_checker(model)
    moves = moves_of(model)
    seen = set() if seen is None else seen
    covered = set() if covered is None else covered
    corpus: list[tuple[int, list, Any]] = []
    initials = model.initial_states()
    for index, initial in enumerate(initials):
        broken = check_state(initial)
        if broken:
            return _finish(stats, 0, covered, None, Violation(*broken, index, []))
        if goals.pending:
            goals.state(initial)
        if abstraction is not None:
            covered.add(abstraction(initial))
    next_report = PROGRESS_EVERY
    taken = 0
    for walk in range(budget.first, budget.walks, budget.stride):
        stopped = stats.out_of_budget(limits)
        if stopped:
            return _finish(stats, taken, covered, stopped)
        taken += 1
        rng = random.Random(f"{budget.seed}:{walk}")
        weights: dict[str, float] | None = {} if budget.swarm else None
        if corpus and rng.random() < CORPUS_SHARE:
            index, path, state = rng.choice(corpus)
            path = list(path)
        else:
            index = rng.randrange(len(initials))
            path, state = [], initials[index]
        since_new = 0
        for _ in range(budget.steps):
            if since_new > budget.patience:
                break
            beyond = model.beyond_bounds(state)
            if beyond is not None:
                stats.not_expanded(beyond)
                break
            if limits.max_depth is not None and len(path) >= limits.max_depth:
                stats.not_expanded("max_depth")
                break
            move = _choose(rng, list(moves(state)), weights, kind_of)
            if move is None:
                break
            action, build, args = move
            successor = build(*args)
            path.append(action)
            stats.transitions += 1
            broken = check_step(state, action, successor) or check_state(successor)
            if broken:
                stats.depth = max(stats.depth, len(path))
                return _finish(stats, taken, covered, None, Violation(*broken, index, path))
            if goals.pending:
                goals.step(state, action, successor)
                goals.state(successor)
            key = model.fingerprint(successor)
            if key not in seen:
                seen.add(key)
                stats.states += 1
                since_new = 0
            else:
                since_new += 1
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
    return _finish(stats, taken, covered, None)


def _finish(stats: Stats, walks: int, covered: set, stopped: str | None,
            violation: Violation | None = None) -> SearchResult:
    """The run's result, with the walks taken and the abstract states reached (found or not)."""
    if violation is not None:
        result = stats.result("violation", violation)
    else:
        result = stats.result("pass", None, stopped or _all_walks_taken(walks))
    result.exhaustive = False
    result.coverage = len(covered) or None
    result.walks = walks
    return result


def _all_walks_taken(walks: int, processes: int = 1) -> str:
    shared = f" in {processes} processes" if processes > 1 else ""
    return f"simulated {walks} walks{shared}: no violation (not exhaustive)"


def _choose(rng: random.Random, steps: Sequence, weights: dict[str, float] | None,
            kind_of: Callable[[Any], str]) -> Any:
    if not steps:
        return None
    if weights is None:
        return rng.choice(steps)
    chosen = []
    for move in steps:
        kind = kind_of(move[0])
        if kind not in weights:
            # Swarm: each walk switches about a third of the kinds off and weighs the rest at random.
            weights[kind] = 0.0 if rng.random() < 1 / 3 else rng.uniform(0.1, 1.0)
        chosen.append(weights[kind])
    if not any(chosen):
        return rng.choice(steps)
    return rng.choices(steps, weights=chosen)[0]


def walks_in_parallel(model: Model, run: Callable[..., SearchResult], limits: Limits, budget: Walks,
                      workers: int) -> SearchResult:
    """`run(model, limits, walks, None, seen, covered)` in `workers` forked processes sharing the walks: process i
    takes walks i, i + workers, ...; the first violation to come back wins and the other processes are stopped."""
    context = multiprocessing.get_context("fork")
    started = time.perf_counter()
    answers = context.Queue()
    processes = [
        context.Process(target=_walk_in_child, args=(answers, run, model, limits, replace(budget, first=i, stride=workers)),
                        daemon=True)
        for i in range(workers)
    ]
    for process in processes:
        process.start()
    runs: list[tuple[SearchResult, set, set]] = []
    try:
        while len(runs) < workers:
            kind, answer = answers.get()
            if kind == "error":
                raise answer
            runs.append(answer)
            if answer[0].violation is not None:
                break
    finally:
        for process in processes:
            process.kill()
            process.join()
    return merge_runs(runs, time.perf_counter() - started)


def _walk_in_child(answers: Any, run: Callable[..., SearchResult], model: Model, limits: Limits, budget: Walks) -> None:
    seen: set[int] = set()
    covered: set[Hashable] = set()
    try:
        answers.put(("ok", (run(model, limits, budget, None, seen, covered), seen, covered)))
    except BaseException as error:  # raised again by the parent
        answers.put(("error", error))


def merge_runs(runs: list[tuple[SearchResult, set, set]], seconds: float) -> SearchResult:
    """One result for simulations that shared a budget: the first violation, the union of what they reached."""
    results = [result for result, _, _ in runs]
    merged = next((r for r in results if r.violation is not None), results[0])
    unexpanded: dict[str, int] = {}
    goals: dict[str, str | None] = dict.fromkeys(results[0].goals)
    for result in results:
        for reason, count in result.unexpanded.items():
            unexpanded[reason] = unexpanded.get(reason, 0) + count
        for name, how in result.goals.items():
            goals[name] = goals[name] or how
    seen = set().union(*(states for _, states, _ in runs))
    covered = set().union(*(keys for _, _, keys in runs))
    walks = sum(r.walks or 0 for r in results)
    stopped = merged.stopped_because
    if merged.violation is None and all(r.stopped_because == _all_walks_taken(r.walks or 0) for r in results):
        stopped = _all_walks_taken(walks, len(results))
    return dataclasses.replace(
        merged, states=len(seen), transitions=sum(r.transitions for r in results),
        depth=max(r.depth for r in results), seconds=seconds, unexpanded=unexpanded, goals=goals,
        coverage=len(covered) or None, walks=walks, stopped_because=stopped,
    )
