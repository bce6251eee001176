"""Depth-first search with a depth bound, for memory-light runs.

Keeps only a fingerprint -> shallowest-depth map and the current path, so a
state first reached deep is explored again if later reached shallower (else a
depth bound would silently hide states). Counterexamples are valid but not
necessarily shortest; use breadth-first search for those.
"""

from __future__ import annotations

from raftcheck.search.model import (
    GoalTracker,
    Limits,
    Model,
    Progress,
    SearchResult,
    Stats,
    Violation,
    first_broken_step,
    state_checker,
)

PROGRESS_EVERY = 20_000
BUDGET_CHECK_EVERY = 64


def depth_first(model: Model, limits: Limits, progress: Progress | None = None) -> SearchResult:
    if limits.max_depth is None:
        raise ValueError("depth-first search needs a depth bound")
    goals = GoalTracker(model)
    stats = Stats(goals=goals)
    check_state = state_checker(model)
    seen: dict[int, int] = {}
    next_report = PROGRESS_EVERY
    for index, initial in enumerate(model.initial_states()):
        key = model.fingerprint(initial)
        if key in seen:
            continue
        seen[key] = 0
        stats.states += 1
        broken = check_state(initial)
        if broken:
            return stats.result("violation", Violation(*broken, index, []))
        if goals.pending:
            goals.state(initial)
        path: list = []
        stack = [(initial, iter(model.successors(initial)) if _expandable(model, stats, initial) else iter(()))]
        while stack:
            state, successors = stack[-1]
            step = next(successors, None)
            if step is None:
                stack.pop()
                if path:
                    path.pop()
                continue
            action, successor = step
            stats.transitions += 1
            broken = first_broken_step(model.transition_properties, state, action, successor)
            if broken:
                return stats.result("violation", Violation(*broken, index, path + [action]))
            if goals.pending:
                goals.step(state, action, successor)
            depth = len(stack)
            key = model.fingerprint(successor)
            known = seen.get(key)
            if known is not None and known <= depth:
                continue
            if known is None:
                stats.states += 1
                broken = check_state(successor)
                if broken:
                    return stats.result("violation", Violation(*broken, index, path + [action]))
                if goals.pending:
                    goals.state(successor)
            seen[key] = depth
            stats.depth = max(stats.depth, depth)
            if stats.states % BUDGET_CHECK_EVERY == 0:
                stopped = stats.out_of_budget(limits)
                if stopped:
                    return stats.result("partial", stopped=stopped)
            if progress is not None and stats.states >= next_report:
                next_report = stats.states + PROGRESS_EVERY
                stats.queued = len(stack)
                progress(stats)
            if depth >= limits.max_depth:
                stats.not_expanded("max_depth")
            elif _expandable(model, stats, successor):
                path.append(action)
                stack.append((successor, iter(model.successors(successor))))
    return stats.result("pass")


def _expandable(model: Model, stats: Stats, state) -> bool:
    beyond = model.beyond_bounds(state)
    if beyond is not None:
        stats.not_expanded(beyond)
    return beyond is None
