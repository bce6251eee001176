"""Breadth-first search storing fingerprints with parent links.

Only 64-bit fingerprints, each with its parent's, are kept for visited
states: in a dict, and past 16 million states in a table of 16-byte
slots (`fingerprints.py`); the frontier holds whole states, and past a few
million of them, if the model can write them, keeps most on disk
(`frontier.py`). Because
states are checked when first discovered, level by level, the first violation
found is at minimal depth, and its path is rebuilt from the parent links, each
action found again among its parent's successors: the shortest
counterexample.
"""

from __future__ import annotations

from collections import deque

from raftcheck.search.fingerprints import FingerprintTable, compact
from raftcheck.search.frontier import spilling
from raftcheck.search.model import (
    GoalTracker,
    Limits,
    Model,
    Progress,
    SearchResult,
    Stats,
    Violation,
    actions_along,
    moves_of,
    state_checker,
    step_checker,
)

PROGRESS_EVERY = 20_000
BUDGET_CHECK_EVERY = 64


def breadth_first(model: Model, limits: Limits = Limits(), progress: Progress | None = None) -> SearchResult:
    """The shortest counterexample, or a pass; a partial verdict if a limit, or memory, runs out first."""
    stats = Stats(goals=GoalTracker(model))
    try:
        return _search(model, limits, progress, stats)
    except MemoryError:
        pass  # leaving the handler frees the search's frame, and with it the visited set and the queue
    return stats.out_of_memory()


def _search(model: Model, limits: Limits, progress: Progress | None, stats: Stats) -> SearchResult:
    goals = stats.goals
    check_state, check_step = state_checker(model), step_checker(model)
    parents: dict[int, int | None] | FingerprintTable = {}
    roots: dict[int, int] = {}  # an initial state's fingerprint: its index
    queue: deque = deque()  # state, fingerprint, state, fingerprint, ...: level after level, no tuple per state
    for index, state in enumerate(model.initial_states()):
        key = model.fingerprint(state)
        if key in parents:
            continue
        parents[key] = None
        roots[key] = index
        stats.states += 1
        broken = check_state(state)
        if broken:
            return stats.result("violation", _violation(model, parents, roots, key, broken))
        if goals.pending:
            goals.state(state)
        queue.append(state)
        queue.append(key)
    max_depth = limits.max_depth
    max_states = limits.max_states if limits.max_states is not None else float("inf")
    expanded = 0
    next_report = PROGRESS_EVERY
    depth, left_in_level = 0, len(queue) // 2
    pop = queue.popleft
    moves, fingerprint, check_steps = moves_of(model), model.fingerprint, bool(model.transition_properties)
    make_spill_codec = getattr(model, "spill_codec", None)
    # Counted in locals and written to `stats` once per expanded state, not once per transition: part of the
    # 1.8 to 5.8% fewer instructions per transition of session 21 (`benchmarks/instructions.py`).
    states, transitions = stats.states, stats.transitions
    while queue:
        if not left_in_level:
            depth += 1
            stats.depth = depth
            left_in_level = len(queue) // 2
            parents = compact(parents)
            queue = spilling(queue, make_spill_codec)
            pop = queue.popleft
        left_in_level -= 1
        state = pop()
        key = pop()
        beyond = "max_depth" if max_depth is not None and depth >= max_depth else model.beyond_bounds(state)
        if beyond is not None:
            stats.not_expanded(beyond)
            continue
        for action, build, args in moves(state):
            successor = build(*args)
            transitions += 1
            if check_steps:
                broken = check_step(state, action, successor)
                if broken:
                    stats.states, stats.transitions = states, transitions
                    return stats.result("violation", _violation(model, parents, roots, key, broken, action))
            if goals.pending:
                goals.step(state, action, successor)
            next_key = fingerprint(successor)
            if next_key in parents:
                continue
            parents[next_key] = key
            states += 1
            broken = check_state(successor)
            if broken:
                stats.depth = depth + 1
                stats.states, stats.transitions = states, transitions
                return stats.result("violation", _violation(model, parents, roots, next_key, broken))
            if goals.pending:
                goals.state(successor)
            queue.append(successor)
            queue.append(next_key)
        stats.states, stats.transitions = states, transitions
        expanded += 1
        # The state budget is an int comparison, checked after every expansion; the clock every 64.
        if queue and (states >= max_states or expanded % BUDGET_CHECK_EVERY == 0):
            stopped = stats.out_of_budget(limits)
            if stopped:
                return stats.result("partial", stopped=stopped)
        if progress is not None and states >= next_report:
            next_report = states + PROGRESS_EVERY
            stats.queued = len(queue) // 2
            progress(stats)
    return stats.result("pass")


def _violation(model: Model, parents: dict[int, int | None] | FingerprintTable, roots: dict[int, int], key: int,
               broken: tuple[str, str], last_action=None) -> Violation:
    """Walk parent links back to an initial state; return the path forward."""
    chain = [key]
    while (parent := parents[chain[-1]]) is not None:
        chain.append(parent)
    chain.reverse()
    actions, _ = actions_along(model, roots[chain[0]], chain[1:])
    if last_action is not None:
        actions.append(last_action)
    name, message = broken
    return Violation(name, message, roots[chain[0]], actions)
