"""Breadth-first search storing fingerprints with parent links.

Only 64-bit fingerprints and (parent, action) links are kept for visited
states; the frontier holds whole states. Because states are checked when first
discovered, level by level, the first violation found is at minimal depth, and
its path is rebuilt from the parent links: the shortest counterexample.
"""

from __future__ import annotations

from collections import deque

from raftcheck.search.model import (
    GoalTracker,
    Limits,
    Model,
    Progress,
    SearchResult,
    Stats,
    Violation,
    state_checker,
    step_checker,
)

PROGRESS_EVERY = 20_000
BUDGET_CHECK_EVERY = 64


def breadth_first(model: Model, limits: Limits = Limits(), progress: Progress | None = None) -> SearchResult:
    goals = GoalTracker(model)
    stats = Stats(goals=goals)
    check_state, check_step = state_checker(model), step_checker(model)
    parents: dict[int, tuple[int | None, object]] = {}
    queue: deque = deque()
    for index, state in enumerate(model.initial_states()):
        key = model.fingerprint(state)
        if key in parents:
            continue
        parents[key] = (None, index)
        stats.states += 1
        broken = check_state(state)
        if broken:
            return stats.result("violation", _violation(parents, key, broken))
        if goals.pending:
            goals.state(state)
        queue.append((state, key, 0))
    max_depth = limits.max_depth
    max_states = limits.max_states if limits.max_states is not None else float("inf")
    expanded = 0
    next_report = PROGRESS_EVERY
    while queue:
        state, key, depth = queue.popleft()
        if depth > stats.depth:
            stats.depth = depth
        beyond = "max_depth" if max_depth is not None and depth >= max_depth else model.beyond_bounds(state)
        if beyond is not None:
            stats.not_expanded(beyond)
            continue
        for action, successor in model.successors(state):
            stats.transitions += 1
            if model.transition_properties:
                broken = check_step(state, action, successor)
                if broken:
                    return stats.result("violation", _violation(parents, key, broken, action))
            if goals.pending:
                goals.step(state, action, successor)
            next_key = model.fingerprint(successor)
            if next_key in parents:
                continue
            parents[next_key] = (key, action)
            stats.states += 1
            broken = check_state(successor)
            if broken:
                stats.depth = depth + 1
                return stats.result("violation", _violation(parents, next_key, broken))
            if goals.pending:
                goals.state(successor)
            queue.append((successor, next_key, depth + 1))
        expanded += 1
        # The state budget is an int comparison, checked after every expansion; the clock every 64.
        if queue and (stats.states >= max_states or expanded % BUDGET_CHECK_EVERY == 0):
            stopped = stats.out_of_budget(limits)
            if stopped:
                return stats.result("partial", stopped=stopped)
        if progress is not None and stats.states >= next_report:
            next_report = stats.states + PROGRESS_EVERY
            stats.queued = len(queue)
            progress(stats)
    return stats.result("pass")


def _violation(parents, key: int, broken: tuple[str, str], last_action=None) -> Violation:
    """Walk parent links back to an initial state; return the path forward."""
    actions = [] if last_action is None else [last_action]
    parent, link = parents[key]
    while parent is not None:
        actions.append(link)
        parent, link = parents[parent]
    actions.reverse()
    name, message = broken
    return Violation(name, message, link, actions)
