"""Breadth-first search sharded over workers, level by level (see shard.py for one worker).

All shards finish a level before any starts the next, so every state is
found at its BFS depth and a pass explores exactly the states and
transitions of `breadth_first`. A violation found in level d is d + 1 steps
from the start, the length `breadth_first` reports; its path is rebuilt from
the owners' parent links and replayed in this process, so its actions are
this process's own.

`parallel_breadth_first` runs the shards in forked processes on this
machine: the model (and a test's mutant handler) need not be picklable, and
asks, answers and balancing moves go straight from shard to shard through
per-shard queues.
`on_ray.py` runs the same shards as Ray actors.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.connection import Connection, wait
from typing import Any, Protocol

from raftcheck.errors import SearchError
from raftcheck.search.model import (
    GoalTracker,
    Limits,
    Model,
    Progress,
    SearchResult,
    Stats,
    Violation,
    actions_along,
    first_broken_step,
    state_checker,
)
from raftcheck.search.shard import LevelReport, Shard, balance


class Shards(Protocol):
    """Runs one level on every shard, after moving states as `plan` says (see `shard.balance`); answers parent
    links."""

    workers: int

    def level(self, depth: int, seconds_left: float | None, remaining: int | None,
              plan: list[dict[int, int]]) -> list[LevelReport]: ...

    def parent(self, key: int) -> int | None: ...


def parallel_breadth_first(
    model: Model, limits: Limits = Limits(), workers: int = 2, progress: Progress | None = None
) -> SearchResult:
    """`breadth_first` over `workers` forked processes: the same verdict, states, transitions and depth."""
    stats, roots, early = start_search(model)
    if early is not None:
        return early
    with ForkedShards(model, workers, limits.max_depth) as shards:
        return sharded_search(model, shards, roots, stats, limits, progress)


def start_search(model: Model) -> tuple[Stats, dict[int, int], SearchResult | None]:
    """Check the initial states here: the stats so far, each root's index by fingerprint, and a result if one broke."""
    stats = Stats(goals=GoalTracker(model))
    check_state = state_checker(model)
    roots: dict[int, int] = {}
    for index, state in enumerate(model.initial_states()):
        key = model.fingerprint(state)
        if key in roots:
            continue
        roots[key] = index
        stats.states += 1
        broken = check_state(state)
        if broken:
            return stats, roots, stats.result("violation", Violation(*broken, index, []))
        if stats.goals.pending:
            stats.goals.state(state)
    return stats, roots, None


def sharded_search(model: Model, shards: Shards, roots: dict[int, int], stats: Stats, limits: Limits,
                   progress: Progress | None) -> SearchResult:
    frontiers = [sum(1 for key in roots if key % shards.workers == index) for index in range(shards.workers)]
    depth = 0
    while sum(frontiers):
        stats.depth = depth
        remaining = None if limits.max_states is None else limits.max_states - stats.states
        seconds_left = None if limits.max_seconds is None else limits.max_seconds - stats.seconds
        found = stopped = None
        try:
            reports = shards.level(depth, seconds_left, remaining, balance(frontiers))
        except MemoryError:
            return stats.out_of_memory()
        frontiers = [report.frontier for report in reports]
        frontier = sum(frontiers)
        for report in reports:
            stats.states += report.states
            stats.transitions += report.transitions
            for reason, count in report.unexpanded.items():
                stats.unexpanded[reason] = stats.unexpanded.get(reason, 0) + count
            for name, how in report.reached.items():
                if stats.goals.reached[name] is None:
                    stats.goals.reached[name] = how
            found = found or report.violation
            if report.halted and not stopped:
                stopped = f"reached {report.halted} = {getattr(limits, report.halted):g}"
        if found:
            return stats.result("violation", _rebuild(model, shards, roots, stats, found))
        stopped = stopped or (stats.out_of_budget(limits) if frontier else None)
        if stopped:
            return stats.result("partial", stopped=stopped)
        stats.queued = frontier
        if progress is not None:
            progress(stats)
        depth += 1
    return stats.result("pass")


def _rebuild(model: Model, shards: Shards, roots: dict[int, int], stats: Stats, found: tuple) -> Violation:
    """The path to a shard's violation: parent links from the owners, actions by replaying them here."""
    kind, (name, message), key, last = found
    chain = [key]
    while (parent := shards.parent(chain[-1])) is not None:
        chain.append(parent)
    chain.reverse()
    index = roots[chain[0]]
    actions, state = actions_along(model, index, chain[1:])
    if kind == "state":
        action, state = next((a, s) for a, s in model.successors(state) if model.fingerprint(s) == last)
        actions.append(action)
        stats.depth = len(actions)
        name, message = state_checker(model)(state) or (name, message)
    else:
        properties = [p for p in model.transition_properties if p.name == name]
        for action, successor in model.successors(state):
            broken = first_broken_step(properties, state, action, successor)
            if broken:
                name, message = broken
                actions.append(action)
                break
    return Violation(name, message, index, actions)


class ForkedShards:
    """Shards in forked processes: a command pipe to each, and an inbox per shard for its peers' batches."""

    def __init__(self, model: Model, workers: int, max_depth: int | None) -> None:
        context = multiprocessing.get_context("fork")
        inboxes = [context.Queue() for _ in range(workers)]
        stop = context.Event()
        self.workers = workers
        self._pipes: list[Connection] = []
        self._processes = []
        for index in range(workers):
            mine, theirs = context.Pipe()
            process = context.Process(target=_serve, args=(model, index, workers, max_depth, inboxes, stop, theirs),
                                      name=f"raftcheck-bfs-{index}", daemon=True)
            self._pipes.append(mine)
            self._processes.append(process)

    def __enter__(self) -> ForkedShards:
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

    def level(self, depth: int, seconds_left: float | None, remaining: int | None,
              plan: list[dict[int, int]]) -> list[LevelReport]:
        for index, pipe in enumerate(self._pipes):
            givers = sum(1 for gives in plan if index in gives)
            pipe.send(("level", depth, seconds_left, remaining, plan[index], givers))
        answers: dict[Connection, Any] = {}
        while len(answers) < len(self._pipes):
            for pipe in wait([p for p in self._pipes if p not in answers]):
                answers[pipe] = self._answer(pipe)
        return [answers[pipe] for pipe in self._pipes]

    def parent(self, key: int) -> int | None:
        pipe = self._pipes[key % len(self._pipes)]
        pipe.send(("parent", key))
        return self._answer(pipe)

    def _answer(self, pipe: Connection) -> Any:
        try:
            kind, value = pipe.recv()
        except EOFError:
            raise SearchError("a search worker died (killed by the system, perhaps for memory); "
                              "give the search more memory, fewer workers or a --max-states budget") from None
        if kind == "error":
            raise value
        return value


class _Inbox:
    """A shard's queue, read one step at a time: what a fast peer sent for a later step waits its turn."""

    def __init__(self, queue: Any) -> None:
        self._queue = queue
        self._early: list[tuple[str, int, Any]] = []

    def take(self, step: str, count: int) -> list[tuple[int, Any]]:
        """`count` batches of `step`, in peer order: (peer, batch)."""
        batches = [(peer, batch) for kind, peer, batch in self._early if kind == step]
        self._early = [item for item in self._early if item[0] != step]
        while len(batches) < count:
            kind, peer, batch = self._queue.get()
            if kind == step:
                batches.append((peer, batch))
            else:
                self._early.append((kind, peer, batch))
        return sorted(batches, key=lambda item: item[0])


def _serve(model: Model, index: int, workers: int, max_depth: int | None, inboxes: list, stop: Any,
           pipe: Connection) -> None:
    try:
        _run_shard(Shard(model, index, workers, max_depth, stop), inboxes, pipe)
        return
    except EOFError:
        return
    except MemoryError:
        failure: BaseException = MemoryError()  # sent once the handler has let go of the shard
    except BaseException as error:  # reported to the coordinator, which raises it
        failure = error
    try:
        pipe.send(("error", failure))
    except Exception:
        pipe.send(("error", RuntimeError(f"search worker {index}: {type(failure).__name__}: {failure}")))


def _run_shard(shard: Shard, inboxes: list, pipe: Connection) -> None:
    index, peers = shard.index, shard.workers - 1
    inbox = _Inbox(inboxes[index])

    def send(step: str, batches: list) -> None:
        for peer, batch in enumerate(batches):
            if batch is not None:
                inboxes[peer].put((step, index, batch))

    while (command := pipe.recv())[0] != "stop":
        if command[0] == "parent":
            pipe.send(("ok", shard.parents[command[1]]))
            continue
        _, depth, seconds_left, remaining, gives, givers = command
        send("give", shard.give(gives))
        shard.take(inbox.take("give", givers))
        send("ask", shard.expand(depth, seconds_left, remaining))
        send("answer", shard.decide(inbox.take("ask", peers)))
        pipe.send(("ok", shard.accept(inbox.take("answer", peers))))
