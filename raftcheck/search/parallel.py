"""Breadth-first search sharded over worker processes, level by level.

Each worker owns the fingerprints `fp % workers == index`: it keeps their
parent links and expands the states it owns. A successor owned by another
worker is shipped to it once (`sent` remembers what this worker already
shipped, so a state found again costs a set look-up), and the owner keeps the
first copy it sees. All workers finish a level before any starts the next,
so every state is found at its BFS depth and a pass explores exactly the
states and transitions of `breadth_first`. A violation found in level d is
d + 1 steps from the start, the length `breadth_first` reports; its path is
rebuilt from the owners' parent links and replayed in this process.

Worlds cross processes through the model's codec (`model.codec()`), which
ships each interned object once per peer. Workers are forked, so the model
(and a test's mutant handler) need not be picklable.
"""

from __future__ import annotations

import multiprocessing
import time
from multiprocessing.connection import Connection, wait
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

BUDGET_CHECK_EVERY = 64


def parallel_breadth_first(
    model: Model, limits: Limits = Limits(), workers: int = 2, progress: Progress | None = None
) -> SearchResult:
    """`breadth_first` over `workers` processes: the same verdict, states, transitions and depth."""
    goals = GoalTracker(model)
    stats = Stats(goals=goals)
    roots: dict[int, int] = {}
    for index, state in enumerate(model.initial_states()):
        key = model.fingerprint(state)
        if key in roots:
            continue
        roots[key] = index
        stats.states += 1
        broken = first_broken(model.properties, state)
        if broken:
            return stats.result("violation", Violation(*broken, index, []))
        if goals.pending:
            goals.state(state)
    with _Pool(model, workers, limits.max_depth) as pool:
        return _search(model, pool, roots, stats, limits, progress)


def _search(model: Model, pool: _Pool, roots: dict[int, int], stats: Stats, limits: Limits,
            progress: Progress | None) -> SearchResult:
    frontier = len(roots)
    depth = 0
    while frontier:
        stats.depth = depth
        remaining = None if limits.max_states is None else limits.max_states - stats.states
        deadline = None if limits.max_seconds is None else time.monotonic() + limits.max_seconds - stats.seconds
        reports = pool.ask_all(("level", depth, deadline, remaining))
        frontier = 0
        found = stopped = None
        for states, transitions, unexpanded, violation, halted, fresh, reached in reports:
            stats.states += states
            stats.transitions += transitions
            for reason, count in unexpanded.items():
                stats.unexpanded[reason] = stats.unexpanded.get(reason, 0) + count
            for name, how in reached.items():
                if stats.goals.reached[name] is None:
                    stats.goals.reached[name] = how
            found = found or violation
            if halted and not stopped:
                stopped = f"reached {halted} = {getattr(limits, halted):g}"
            frontier += fresh
        if found:
            return stats.result("violation", _rebuild(model, pool, roots, stats, found))
        stopped = stopped or (stats.out_of_budget(limits) if frontier else None)
        if stopped:
            return stats.result("partial", stopped=stopped)
        stats.queued = frontier
        if progress is not None:
            progress(stats)
        depth += 1
    return stats.result("pass")


def _rebuild(model: Model, pool: _Pool, roots: dict[int, int], stats: Stats, found: tuple) -> Violation:
    """The path to a worker's violation: parent links from the owners, actions by replaying them here."""
    kind, (name, message), key = found
    chain = [key]
    while (parent := pool.parent(chain[-1])) is not None:
        chain.append(parent)
    chain.reverse()
    index = roots[chain[0]]
    state = model.initial_states()[index]
    actions = []
    for key in chain[1:]:
        action, state = next((a, s) for a, s in model.successors(state) if model.fingerprint(s) == key)
        actions.append(action)
    if kind == "state":
        stats.depth = len(actions)
        name, message = first_broken(model.properties, state) or (name, message)
    else:
        properties = [p for p in model.transition_properties if p.name == name]
        for action, successor in model.successors(state):
            broken = first_broken_step(properties, state, action, successor)
            if broken:
                name, message = broken
                actions.append(action)
                break
    return Violation(name, message, index, actions)


class _Pool:
    """The forked workers, a command pipe to each, and an inbox per worker for shipped states."""

    def __init__(self, model: Model, workers: int, max_depth: int | None) -> None:
        context = multiprocessing.get_context("fork")
        inboxes = [context.Queue() for _ in range(workers)]
        found = context.Event()
        self._pipes: list[Connection] = []
        self._processes = []
        for index in range(workers):
            mine, theirs = context.Pipe()
            process = context.Process(
                target=_serve, args=(model, index, workers, max_depth, inboxes, found, theirs), name=f"raftcheck-bfs-{index}", daemon=True
            )
            self._pipes.append(mine)
            self._processes.append(process)

    def __enter__(self) -> _Pool:
        for process in self._processes:
            process.start()
        return self

    def __exit__(self, failed: type | None, *exc: object) -> None:
        """Stop the workers: politely after a search, at once after an error (a peer may wait on the failed one)."""
        for pipe in self._pipes:
            try:
                pipe.send(("stop",))
            except OSError:
                pass
        for process in self._processes:
            process.join(timeout=0 if failed else 5)
            if process.is_alive():
                process.kill()
                process.join()

    def ask_all(self, command: tuple) -> list:
        for pipe in self._pipes:
            pipe.send(command)
        answers: dict[Connection, Any] = {}
        while len(answers) < len(self._pipes):
            for pipe in wait([p for p in self._pipes if p not in answers]):
                answers[pipe] = self._answer(pipe)
        return [answers[pipe] for pipe in self._pipes]

    def parent(self, key: int) -> int | None:
        """The parent link of fingerprint `key`, from whichever worker owns it."""
        pipe = self._pipes[key % len(self._pipes)]
        pipe.send(("parent", key))
        return self._answer(pipe)

    def _answer(self, pipe: Connection) -> Any:
        try:
            kind, value = pipe.recv()
        except EOFError:
            raise RuntimeError("a search worker died (out of memory?)") from None
        if kind == "error":
            raise value
        return value


def _serve(model: Model, index: int, workers: int, max_depth: int | None, inboxes: list, found: Any,
           pipe: Connection) -> None:
    try:
        shard = _Shard(model, index, workers, max_depth, inboxes, found)
        while (command := pipe.recv())[0] != "stop":
            if command[0] == "parent":
                pipe.send(("ok", shard.parents[command[1]]))
            else:
                pipe.send(("ok", shard.level(*command[1:])))
    except EOFError:
        return
    except BaseException as error:  # reported to the coordinator, which raises it
        try:
            pipe.send(("error", error))
        except Exception:
            pipe.send(("error", RuntimeError(f"search worker {index}: {type(error).__name__}: {error}")))


class _Shard:
    """One worker: its part of the visited set, its part of the frontier, and what it shipped."""

    def __init__(self, model: Model, index: int, workers: int, max_depth: int | None, inboxes: list,
                 found: Any) -> None:
        self.model = model
        self.found = found
        self.max_depth = max_depth
        self.index = index
        self.workers = workers
        self.inboxes = inboxes
        self.codec = model.codec()
        self.goals = GoalTracker(model)
        self.parents: dict[int, int | None] = {}
        self.sent: set[int] = set()
        self.frontier: list[tuple[Any, int]] = []
        for state in model.initial_states():
            key = model.fingerprint(state)
            if key % workers == index and key not in self.parents:
                self.parents[key] = None
                self.frontier.append((state, key))

    def level(self, depth: int, deadline: float | None, remaining: int | None) -> tuple:
        """Expand this worker's part of level `depth`, exchange successors, keep the new ones it owns."""
        model, me, workers, goals = self.model, self.index, self.workers, self.goals
        parents, sent = self.parents, self.sent
        properties, step_properties = model.properties, model.transition_properties
        max_depth = self.max_depth
        outgoing: list[list] = [[] for _ in range(workers)]
        fresh: list[tuple[Any, int]] = []
        unexpanded: dict[str, int] = {}
        states = transitions = 0
        violation = stopped = None
        for expanded, (state, key) in enumerate(self.frontier, 1):
            beyond = "max_depth" if max_depth is not None and depth >= max_depth else model.beyond_bounds(state)
            if beyond is not None:
                unexpanded[beyond] = unexpanded.get(beyond, 0) + 1
                continue
            for action, successor in model.successors(state):
                transitions += 1
                if step_properties:
                    broken = first_broken_step(step_properties, state, action, successor)
                    if broken:
                        violation = ("step", broken, key)
                        break
                if goals.pending:
                    goals.step(state, action, successor)
                next_key = model.fingerprint(successor)
                owner = next_key % workers
                if owner != me:
                    if next_key not in sent:
                        sent.add(next_key)
                        outgoing[owner].append((next_key, key, successor))
                    continue
                if next_key in parents:
                    continue
                parents[next_key] = key
                states += 1
                broken = first_broken(properties, successor)
                if broken:
                    violation = ("state", broken, next_key)
                    break
                if goals.pending:
                    goals.state(successor)
                fresh.append((successor, next_key))
            if violation:
                self.found.set()
                break
            if expanded % BUDGET_CHECK_EVERY == 0:
                stopped = _out_of_budget(deadline, remaining, states * workers)
                if stopped or self.found.is_set():
                    break
        for peer in range(workers):
            if peer != me:
                self.inboxes[peer].put((me, self.codec.pack(peer, outgoing[peer])))
        for _ in range(workers - 1):
            peer, packed = self.inboxes[me].get()
            for next_key, key, successor in self.codec.unpack(peer, packed):
                if violation or next_key in parents:
                    continue
                parents[next_key] = key
                states += 1
                broken = first_broken(properties, successor)
                if broken:
                    violation = ("state", broken, next_key)
                    continue
                if goals.pending:
                    goals.state(successor)
                fresh.append((successor, next_key))
        self.frontier = fresh
        reached = {name: how for name, how in goals.reached.items() if how is not None}
        return states, transitions, unexpanded, violation, stopped, len(fresh), reached


def _out_of_budget(deadline: float | None, remaining: int | None, estimate: int) -> str | None:
    if deadline is not None and time.monotonic() >= deadline:
        return "max_seconds"
    if remaining is not None and estimate >= remaining:
        return "max_states"
    return None
