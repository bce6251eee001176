"""One worker of a sharded breadth-first search: its part of the visited set, and the states it found.

A shard owns the fingerprints `fp % workers == index`: it keeps their parent
links and decides which of them are new. States stay where they are found:
a shard that finds a successor another shard owns asks that owner, with the
fingerprint alone, whether it is new, and if so checks it and expands it
next level itself. Only fingerprints cross between shards, every new state
is checked exactly once, and a shard keeps expanding states like the ones it
expanded before (its caches stay warm). States move only to even out the
shards' frontiers (`give` and `take`), which after the first levels is rare.

A shard's frontier and the successors it waits to hear about are flat FIFOs
(state, fingerprint, ...); once its frontier holds `SPILL_AFTER` states they
are `SpillingQueue`s whose middle waits on disk, as in the one-process search.

One level is four steps, each run on every shard before any shard starts the
next: `give` / `take` (the balancing the coordinator planned), `expand`
(successors; the asks for each owner), `decide` (the owner's answers) and
`accept` (the finder keeps and checks what its owners accepted). Whoever runs
the shards (forked processes, Ray actors) only moves what one step returns
to the next.
"""

from __future__ import annotations

import time
from array import array
from collections import deque
from typing import Any, NamedTuple, Protocol

from raftcheck.search.fingerprints import Visited, compact
from raftcheck.search.frontier import SpillingQueue, spilling
from raftcheck.search.model import GoalTracker, Model, moves_of, state_checker, step_checker

BUDGET_CHECK_EVERY = 64
# Frontiers are evened out only when one is this share of the total away from its fair share.
IMBALANCE = 0.01


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
        self.parents: Visited = {}
        self.asked: Visited = set()  # fingerprints owned elsewhere that this shard asked about once
        self._make_spill_codec = getattr(model, "spill_codec", None)
        self.frontier: deque | SpillingQueue = deque()  # state, fingerprint, state, ...
        self._fresh: deque | SpillingQueue = deque()
        self._waiting: list[deque | SpillingQueue] = []  # per owner: successor, fingerprint, parent, ... as asked
        self._partial = LevelReport(0, 0, {}, None, None, 0, {})
        for state in model.initial_states():
            key = model.fingerprint(state)
            if key % workers == index and key not in self.parents:
                self.parents[key] = None
                self.frontier += (state, key)

    def frontier_size(self) -> int:
        """States this shard expands next."""
        return len(self.frontier) // 2

    def _queue(self) -> deque | SpillingQueue:
        """A new FIFO for this level: on disk in part once the frontier is."""
        if isinstance(self.frontier, SpillingQueue):
            return SpillingQueue(self._make_spill_codec())
        return deque()

    def give(self, counts: dict[int, int]) -> list:
        """Take `counts[peer]` states off this frontier's end for each peer; per peer, packed (None: nothing)."""
        packed: list = [None] * self.workers
        pop = self.frontier.popleft
        for peer, count in counts.items():
            moved = [(pop(), pop()) for _ in range(count)]
            packed[peer] = self.codec.pack(peer, [(key, 0, state) for state, key in moved])
        return packed

    def take(self, batches: list[tuple[int, Any]]) -> None:
        """Add states peers gave to this frontier."""
        append = self.frontier.append
        for peer, packed in batches:
            for key, _, state in self.codec.unpack(peer, packed):
                append(state)
                append(key)

    def expand(self, depth: int, seconds_left: float | None, remaining: int | None) -> list:
        """Expand this shard's frontier; keep the new successors it owns; per peer, the (fingerprint, parent)
        pairs to ask that peer about, flattened (None for this shard)."""
        model, me, workers, goals = self.model, self.index, self.workers, self.goals
        self.parents, self.asked = parents, asked = compact(self.parents), compact(self.asked)
        check_state, check_step, step_properties = self.check_state, self.check_step, model.transition_properties
        max_depth, moves = self.max_depth, moves_of(model)
        deadline = None if seconds_left is None else time.monotonic() + seconds_left
        asks = [array("q") for _ in range(workers)]  # 64-bit ints: pickled as one bytes object
        waiting = [self._queue() if peer != me else deque() for peer in range(workers)]
        fresh = self._queue()
        unexpanded: dict[str, int] = {}
        states = transitions = expanded = 0
        violation = halted = None
        frontier = self.frontier
        pop = frontier.popleft
        while frontier:
            state, key = pop(), pop()
            expanded += 1
            beyond = "max_depth" if max_depth is not None and depth >= max_depth else model.beyond_bounds(state)
            if beyond is not None:
                unexpanded[beyond] = unexpanded.get(beyond, 0) + 1
                continue
            for action, build, args in moves(state):
                successor = build(*args)
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
                if owner != me:
                    if next_key not in asked:
                        asked.add(next_key)
                        ask = asks[owner]
                        ask.append(next_key)
                        ask.append(key)
                        wait = waiting[owner]
                        wait.append(successor)
                        wait.append(next_key)
                        wait.append(key)
                    continue
                if next_key in parents:
                    continue
                parents[next_key] = key
                states += 1
                fresh.append(successor)
                fresh.append(next_key)
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
        self._fresh, self._waiting = fresh, waiting
        self._partial = LevelReport(states, transitions, unexpanded, violation, halted, 0, {})
        return [asks[peer] if peer != me else None for peer in range(workers)]

    def decide(self, asks: list[tuple[int, array]]) -> list:
        """Answer each peer's asks, in peer order: per peer, one byte per ask (1: new, now this shard's)."""
        parents = self.parents
        answers: list = [None] * self.workers
        states = 0
        for peer, pairs in asks:
            answer = bytearray(len(pairs) // 2)
            for i in range(0, len(pairs), 2):
                next_key = pairs[i]
                if next_key not in parents:
                    parents[next_key] = pairs[i + 1]
                    answer[i // 2] = 1
                    states += 1
            answers[peer] = bytes(answer)
        self._partial = self._partial._replace(states=self._partial.states + states)
        return answers

    def accept(self, answers: list[tuple[int, bytes]]) -> LevelReport:
        """Keep and check the successors their owners found new; this level's report."""
        goals, check_state, fresh = self.goals, self.check_state, self._fresh
        states, transitions, unexpanded, violation, halted, _, _ = self._partial
        for peer, answer in answers:
            if violation:
                break
            pop = self._waiting[peer].popleft
            for new in answer:
                successor, next_key, key = pop(), pop(), pop()
                if not new:
                    continue
                fresh.append(successor)
                fresh.append(next_key)
                broken = check_state(successor)
                if broken:
                    violation = ("state", broken, key, next_key)
                    self.stop.set()
                    break
                if goals.pending:
                    goals.state(successor)
        self.frontier, self._fresh, self._waiting = spilling(fresh, self._make_spill_codec), deque(), []
        reached = {name: how for name, how in goals.reached.items() if how is not None}
        return LevelReport(states, transitions, unexpanded, violation, halted, len(fresh) // 2, reached)


def balance(frontiers: list[int]) -> list[dict[int, int]]:
    """Per shard, how many states to give each peer so that every frontier is within one of the mean.

    Nothing moves while every frontier is within `IMBALANCE` of the total from its fair share.
    """
    total, workers = sum(frontiers), len(frontiers)
    plan: list[dict[int, int]] = [{} for _ in frontiers]
    fair = [total // workers + (1 if i < total % workers else 0) for i in range(workers)]
    if all(abs(size - share) <= IMBALANCE * total for size, share in zip(frontiers, fair)):
        return plan
    surplus = [[i, size - share] for i, (size, share) in enumerate(zip(frontiers, fair)) if size > share]
    for receiver, (size, share) in enumerate(zip(frontiers, fair)):
        need = share - size
        for giver in surplus:
            if need <= 0:
                break
            moved = min(need, giver[1])
            if moved > 0:
                plan[giver[0]][receiver] = moved
                giver[1] -= moved
                need -= moved
    return plan


def _out_of_budget(deadline: float | None, remaining: int | None, estimate: int) -> str | None:
    if deadline is not None and time.monotonic() >= deadline:
        return "max_seconds"
    if remaining is not None and estimate >= remaining:
        return "max_states"
    return None
