"""The sharded breadth-first search and the simulation on a Ray cluster.

Each shard of the search (shard.py) is a Ray actor; a level's batches go
from actor to actor as Ray object references, never through this process.
A simulation splits its walks among Ray tasks: task i of n takes walks
i, i + n, ..., so the walks are those of a one-process run with the same
seed, though each task steers by its own coverage corpus.

Actors and tasks build their own model from `factory`, a picklable
callable: a Ray worker may be another machine, where nothing can be forked.
Importing this module imports Ray, so callers import it only when asked to.
"""

from __future__ import annotations

import gc
import os
import socket
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import ray

from raftcheck.errors import RayError
from raftcheck.search.model import Limits, Model, Progress, SearchResult
from raftcheck.search.parallel import sharded_search, start_search
from raftcheck.search.shard import LevelReport, Shard
from raftcheck.search.simulate import Walks, merge_runs

LOCAL = "local"
CONNECT_TIMEOUT = 5.0


def connect(address: str) -> int:
    """Join the Ray cluster at `address`, or start one on this machine for `LOCAL`; how many CPUs it has."""
    if not ray.is_initialized():
        if address == LOCAL:
            os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # a cluster of our own reports nothing anywhere
            ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False)
        else:
            _check_reachable(address)
            try:
                ray.init(address=address, log_to_driver=False, configure_logging=False)
            except (ConnectionError, ValueError, RuntimeError) as error:
                raise RayError(f"--ray-address {address}: cannot join a Ray cluster: "
                               f"{str(error).strip().splitlines()[0]}") from None
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def _check_reachable(address: str) -> None:
    """Fail in seconds where Ray would retry for minutes: the head's host:port must accept a connection."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise RayError(f"--ray-address {address}: expected HOST:PORT of a Ray head node (e.g. 10.0.0.5:6379)")
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT).close()
    except OSError as error:
        raise RayError(f"--ray-address {address}: no Ray head answers there ({error.strerror or error})") from None


def breadth_first(model: Model, factory: Callable[[], Model], limits: Limits, workers: int,
                  progress: Progress | None = None) -> SearchResult:
    """`breadth_first` over `workers` Ray actors; `model` (built by `factory` here) checks roots and replays."""
    stats, roots, early = start_search(model)
    if early is not None:
        return early
    shards = _ActorShards(factory, workers, limits.max_depth)
    try:
        return sharded_search(model, shards, roots, stats, limits, progress)
    finally:
        shards.close()


def simulate(factory: Callable[[], Model], run: Callable[..., SearchResult], limits: Limits, walks: Walks,
             workers: int) -> SearchResult:
    """`run(model, limits, walks, None, seen, covered)` in `workers` Ray tasks sharing the walks; the first
    violation to come back wins, and the other tasks are cancelled."""
    started = time.perf_counter()
    pending = [_walk.remote(factory, run, limits, replace(walks, first=i, stride=workers)) for i in range(workers)]
    runs = []
    while pending:
        [done], pending = ray.wait(pending, num_returns=1)
        runs.append(ray.get(done))
        if runs[-1][0].violation is not None:
            for ref in pending:
                ray.cancel(ref, force=True)
            break
    return merge_runs(runs, time.perf_counter() - started)


@ray.remote
def _walk(factory: Callable[[], Model], run: Callable[..., SearchResult], limits: Limits,
          walks: Walks) -> tuple[SearchResult, set, set]:
    gc.disable()
    seen: set[int] = set()
    covered: set = set()
    result = run(factory(), limits, walks, None, seen, covered)
    return result, seen, covered


@ray.remote
class _ShardActor:
    def __init__(self, factory: Callable[[], Model], index: int, workers: int, max_depth: int | None) -> None:
        gc.disable()  # states are acyclic: the collector would only rescan the visited set
        self.shard = Shard(factory(), index, workers, max_depth)

    def give(self, counts: dict[int, int]) -> tuple:
        return tuple(self.shard.give(counts))

    def take(self, peers: list[int], *batches: Any) -> None:
        self.shard.take(list(zip(peers, batches)))

    def expand(self, depth: int, seconds_left: float | None, remaining: int | None, taken: None = None) -> tuple:
        """`taken` is the result of this level's `take`: passing it makes a failed take fail the level."""
        return tuple(self.shard.expand(depth, seconds_left, remaining))

    def decide(self, peers: list[int], *asks: Any) -> tuple:
        return tuple(self.shard.decide(list(zip(peers, asks))))

    def accept(self, peers: list[int], *answers: Any) -> LevelReport:
        return self.shard.accept(list(zip(peers, answers)))

    def parent(self, key: int) -> int | None:
        return self.shard.parents[key]


class _ActorShards:
    """The shards as actors: each step of a level is one call per actor, fed the per-peer outputs of the
    step before as object references (an actor runs one caller's calls in the order they were made)."""

    def __init__(self, factory: Callable[[], Model], workers: int, max_depth: int | None) -> None:
        self.workers = workers
        self.actors = [_ShardActor.remote(factory, index, workers, max_depth) for index in range(workers)]

    def level(self, depth: int, seconds_left: float | None, remaining: int | None,
              plan: list[dict[int, int]]) -> list[LevelReport]:
        n = self.workers
        gives = [self._per_peer(actor.give, plan[me]) for me, actor in enumerate(self.actors)]
        taken = []
        for me, actor in enumerate(self.actors):
            givers = [giver for giver in range(n) if me in plan[giver]]
            taken.append(actor.take.remote(givers, *(gives[giver][me] for giver in givers)))
        asks = [self._per_peer(actor.expand, depth, seconds_left, remaining, taken[me])
                for me, actor in enumerate(self.actors)]
        answers = [self._per_peer(actor.decide, self._peers(me), *(asks[peer][me] for peer in self._peers(me)))
                   for me, actor in enumerate(self.actors)]
        return ray.get([actor.accept.remote(self._peers(me), *(answers[peer][me] for peer in self._peers(me)))
                        for me, actor in enumerate(self.actors)])

    def _peers(self, me: int) -> list[int]:
        return [peer for peer in range(self.workers) if peer != me]

    def _per_peer(self, method: Any, *args: Any) -> list:
        """Call `method` for one object reference per peer (Ray returns a bare reference when there is one)."""
        refs = method.options(num_returns=self.workers).remote(*args)
        return [refs] if self.workers == 1 else refs

    def parent(self, key: int) -> int | None:
        return ray.get(self.actors[key % self.workers].parent.remote(key))

    def close(self) -> None:
        for actor in self.actors:
            ray.kill(actor)
