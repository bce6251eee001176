"""Judge a whole history: split it per key, search the keys in parallel, stop at the first bad one.

Keys go to worker processes smallest first, so a small bad key is not stuck
behind a large good one, and the first violation cancels the rest (as
Porcupine does). A time budget bounds every run: when it runs out with no
violation found, the verdict is `unknown`, never a guess.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Hashable

from raftcheck.linearizability.history import Operation
from raftcheck.linearizability.models import Model, model_named
from raftcheck.linearizability.search import LINEARIZABLE, NOT_LINEARIZABLE, UNKNOWN, SearchOutcome, search

# Below this many operations, starting worker processes costs more than it saves (unless asked for).
PARALLEL_FROM = 400


@dataclass(frozen=True)
class Witness:
    """Why one key is not linearizable: its operations, the longest prefix that is, and the one that cannot follow."""

    key: str | None
    operations: tuple[Operation, ...]
    prefix: tuple[tuple[int, Hashable], ...]
    stuck: int | None


@dataclass(frozen=True)
class Verdict:
    status: str
    model: str
    operations: int
    keys: int
    seconds: float
    witness: Witness | None = None
    undecided: tuple[str | None, ...] = field(default=())

    @property
    def linearizable(self) -> bool:
        return self.status == LINEARIZABLE

    @property
    def key(self) -> str | None:
        return self.witness.key if self.witness else None

    def __bool__(self) -> bool:
        return self.linearizable


def check_history(history: list[Operation], model: Model | str = "service", *, timeout: float | None = None,
                  jobs: int | None = None) -> Verdict:
    """Linearizable, not linearizable (with a witness), or unknown when `timeout` seconds run out.

    Raises HistoryError when an operation is outside the model.
    """
    started = time.monotonic()
    model = model_named(model) if isinstance(model, str) else model
    deadline = math.inf if timeout is None else started + timeout
    partitions = split_by_key(history, model)
    total = sum(len(ops) for ops in partitions.values())
    ordered = sorted(partitions.items(), key=lambda item: len(item[1]))
    if jobs is None:
        jobs = (os.cpu_count() or 1) if total >= PARALLEL_FROM else 1
    if jobs > 1 and len(ordered) > 1:
        outcomes = _parallel(ordered, model, deadline, jobs)
    else:
        outcomes = _serial(ordered, model, deadline)
    seconds = time.monotonic() - started
    undecided = []
    for key, outcome in outcomes:
        if outcome.status == NOT_LINEARIZABLE:
            witness = Witness(key, tuple(partitions[key]), outcome.prefix, outcome.stuck)
            return Verdict(NOT_LINEARIZABLE, model.name, total, len(ordered), seconds, witness)
        if outcome.status == UNKNOWN:
            undecided.append(key)
    status = UNKNOWN if undecided or len(outcomes) < len(ordered) else LINEARIZABLE
    return Verdict(status, model.name, total, len(ordered), seconds, undecided=tuple(undecided))


def split_by_key(history: list[Operation], model: Model) -> dict[str | None, list[Operation]]:
    """Each key's operations in order of invocation; reads with unknown outcome constrain nothing and are left out."""
    partitions: dict[str | None, list[Operation]] = defaultdict(list)
    for operation in history:
        model.check(operation)
        if operation.known or model.writes(operation):
            partitions[operation.key].append(operation)
    for operations in partitions.values():
        operations.sort(key=lambda op: op.invoked)
    return dict(partitions)


def _serial(ordered, model: Model, deadline: float) -> list[tuple[str | None, SearchOutcome]]:
    outcomes = []
    for key, operations in ordered:
        outcome = search(operations, model, deadline)
        outcomes.append((key, outcome))
        if outcome.status != LINEARIZABLE:
            break
    return outcomes


# What the forked workers search: set before the pool forks, so each worker inherits the
# operations and the model instead of unpickling them (and any Model works, not only named ones).
_WORK: tuple[list, Model, float] | None = None


def _search_key(position: int) -> tuple[str | None, SearchOutcome]:
    ordered, model, deadline = _WORK
    key, operations = ordered[position]
    return key, search(operations, model, deadline)


def _parallel(ordered, model: Model, deadline: float, jobs: int) -> list[tuple[str | None, SearchOutcome]]:
    """Search keys in worker processes; the first violation, or the deadline, stops them all."""
    global _WORK
    outcomes = []
    _WORK = (ordered, model, deadline)
    try:
        pool = multiprocessing.get_context("fork").Pool(min(jobs, len(ordered)))
    finally:
        _WORK = None
    try:
        for key, outcome in pool.imap_unordered(_search_key, range(len(ordered))):
            outcomes.append((key, outcome))
            if outcome.status == NOT_LINEARIZABLE:
                break
    finally:
        pool.terminate()
        pool.join()
    return outcomes
