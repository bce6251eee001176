"""Shrinking a counterexample: delta debugging (Zeller's ddmin) over its actions, then a bounded BFS.

A candidate path is kept if every action is still enabled where it is taken,
no state it passes through is beyond the model's bounds (the search would not
have expanded it), and the same property still breaks; the path is cut where
it first breaks.
The result is 1-minimal: removing any single action loses the violation.
ddmin does not find the shortest path; `shortest_nearby` then searches
breadth-first for a shorter one, where that is cheap.
"""

from __future__ import annotations

from typing import Any

from raftcheck.search.bfs import breadth_first
from raftcheck.search.model import Limits, Model, Violation, first_broken, first_broken_step

MAX_REPLAYS = 5000
NEARBY_STATES = 100_000


def shrink(model: Model, violation: Violation, max_replays: int = MAX_REPLAYS) -> Violation:
    """The shortest path ddmin finds that still breaks `violation.property`."""
    start = model.initial_states()[violation.initial]
    best = _replay(model, start, violation.actions, violation.property) or (violation.actions, violation.message)
    path, message = best
    chunks = 2
    replays = 0
    while len(path) >= 2 and replays < max_replays:
        size = max(1, len(path) // chunks)
        for begin in range(0, len(path), size):
            candidate = path[:begin] + path[begin + size:]
            replays += 1
            kept = _replay(model, start, candidate, violation.property)
            if kept is not None:
                path, message = kept
                chunks = max(chunks - 1, 2)
                break
        else:
            if size == 1:
                break
            chunks = min(chunks * 2, len(path))
    return Violation(violation.property, message, violation.initial, path)


def shortest_nearby(model: Model, violation: Violation, max_states: int = NEARBY_STATES) -> Violation:
    """A shorter path to the same broken property, by breadth-first search bounded in depth and states."""
    if len(violation.actions) <= 1:
        return violation
    found = breadth_first(model, Limits(max_depth=len(violation.actions) - 1, max_states=max_states)).violation
    if found is not None and found.property == violation.property and len(found.actions) < len(violation.actions):
        return found
    return violation


def _replay(model: Model, state: Any, actions: list, wanted: str) -> tuple[list, str] | None:
    """(the path up to where `wanted` breaks, its message), or None if the path does not get there."""
    for number, action in enumerate(actions, 1):
        if model.beyond_bounds(state) is not None:
            return None  # as in the search: a state beyond the bounds is checked, never expanded
        try:
            successor = model.next_state(state, action)
        except ValueError:
            return None
        broken = first_broken_step(model.transition_properties, state, action, successor) or first_broken(
            model.properties, successor)
        if broken is not None:
            name, message = broken
            return (actions[:number], message) if name == wanted else None
        state = successor
    return None
