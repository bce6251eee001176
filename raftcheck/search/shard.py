"""One worker of a sharded breadth-first search: its part of the visited set and of each level.

A shard owns the fingerprints `fp % workers == index`: it keeps their parent
links and expands the states it owns. `expand` works through this level's
frontier and returns, per peer, the successors that peer owns, packed by the
model's codec; `sent` remembers what it already shipped, so a state found
again costs a set look-up. Each new successor is checked by the shard that
finds it, shipped or not. `absorb` takes the peers' batches and keeps the
states it sees first. Whoever runs the shards (forked processes, Ray actors)
only moves the batches and the reports.
"""

from __future__ import annotations

import time
from typing import Any, NamedTuple, Protocol

from raftcheck.search.model import GoalTracker, Model, state_checker, step_checker

BUDGET_CHECK_EVERY = 64


class StopFlag(Protocol):
    """Shared by the shards of one search: the first to find a violation tells the others to stop."""

    def set(self) -> None: ...

    def is_set(self) -> bool: ...


class LevelReport(NamedTuple):
    states: int
    transitions: int
    unexpanded: dict[str, int]
    violation: tuple | None  # ("state" or "step", (name, message), parent's fingerprint, state's or None)
    halted: str | None  # the budget that ran out: "max_seconds" or "max_states"
    frontier: int  # states this shard expands next level
    reached: dict[str, str]  # goals reached so far


class _NoFlag:
    def set(self) -> None:
        pass

    def is_set(self) -> bool:
        return False


class Shard:
    def __init__(self, model: Model, index: int, workers: int, max_depth: int | None,
                 stop: StopFlag | None = None) -> None:
        self.model = model
        self.index = index
        self.workers = workers
        self.max_depth = max_depth
        self.stop = stop or _NoFlag()
        self.codec = model.codec()
        self.check_state, self.check_step = state_checker(model), step_checker(model)
        self.goals = GoalTracker(model)
        self.parents: dict[int, int | None] = {}
        self.sent: set[int] = set()
        self.frontier: list[tuple[Any, int]] = []
        self._fresh: list[tuple[Any, int]] = []
        self._partial = LevelReport(0, 0, {}, None, None, 0, {})
        for state in model.initial_states():
            key = model.fingerprint(state)
            if key % workers == index and key not in self.parents:
                self.parents[key] = None
                self.frontier.append((state, key))

    def expand(self, depth: int, seconds_left: float | None, remaining: int | None) -> list:
        """Expand this shard's part of level `depth`; keep the successors it owns, return the rest per peer."""
        model, me, workers, goals = self.model, self.index, self.workers, self.goals
        parents, sent = self.parents, self.sent
        check_state, check_step, step_properties = self.check_state, self.check_step, model.transition_properties
        max_depth = self.max_depth
        deadline = None if seconds_left is None else time.monotonic() + seconds_left
        outgoing: list[list] = [[] for _ in range(workers)]
        fresh: list[tuple[Any, int]] = []
        unexpanded: dict[str, int] = {}
        states = transitions = 0
        violation = halted = None
        for expanded, (state, key) in enumerate(self.frontier, 1):
            beyond = "max_depth" if max_depth is not None and depth >= max_depth else model.beyond_bounds(state)
            if beyond is not None:
                unexpanded[beyond] = unexpanded.get(beyond, 0) + 1
                continue
            for action, successor in model.successors(state):
                transitions += 1
                if step_properties:
                    broken = check_step(state, action, successor)
                    if broken:
                        violation = ("step", broken, key, None)
                        break
                if goals.pending:
                    goals.step(state, action, successor)
                next_key = model.fingerprint(successor)
                owner = next_key % workers
                if owner == me:
                    if next_key in parents:
                        continue
                    parents[next_key] = key
                    states += 1
                    fresh.append((successor, next_key))
                elif next_key in sent:
                    continue
                else:
                    sent.add(next_key)
                    outgoing[owner].append((next_key, key, successor))
                # A new successor is checked where it is found, so a violation stops the level at once.
                broken = check_state(successor)
                if broken:
                    violation = ("state", broken, key, next_key)
                    break
                if goals.pending:
                    goals.state(successor)
            if violation:
                self.stop.set()
                break
            if expanded % BUDGET_CHECK_EVERY == 0:
                halted = _out_of_budget(deadline, remaining, states * workers)
                if halted or self.stop.is_set():
                    break
        self._fresh = fresh
        self._partial = LevelReport(states, transitions, unexpanded, violation, halted, 0, {})
        return [self.codec.pack(peer, outgoing[peer]) if peer != me else None for peer in range(workers)]

    def absorb(self, batches: list[tuple[int, Any]]) -> LevelReport:
        """Keep the peers' successors this shard sees first (their senders checked them); this level's report."""
        parents, fresh = self.parents, self._fresh
        states, transitions, unexpanded, violation, halted, _, _ = self._partial
        for peer, packed in batches:
            for next_key, key, successor in self.codec.unpack(peer, packed):
                if next_key not in parents:
                    parents[next_key] = key
                    states += 1
                    fresh.append((successor, next_key))
        self.frontier, self._fresh = fresh, []
        reached = {name: how for name, how in self.goals.reached.items() if how is not None}
        return LevelReport(states, transitions, unexpanded, violation, halted, len(fresh), reached)


def _out_of_budget(deadline: float | None, remaining: int | None, estimate: int) -> str | None:
    if deadline is not None and time.monotonic() >= deadline:
        return "max_seconds"
    if remaining is not None and estimate >= remaining:
        return "max_states"
    return None
