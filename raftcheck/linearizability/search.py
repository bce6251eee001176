"""Wing & Gong's search for a linearization of one key's operations, with Lowe's memoisation.

The history is a doubly linked list of call and return events in real-time
order. The search walks it from the front: at a call it tries to linearize
that operation now (the model must accept it), lifts the operation out of the
list and starts over; at a return it has met an operation that should have
taken effect already, so it undoes the last choice. Lowe's cache of
(linearized set, state) pairs keeps it from exploring the same configuration
twice, which is what makes real histories tractable. An operation whose
outcome is unknown returns at infinity, so it never forces a backtrack and
never has to be linearized.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Hashable

from raftcheck.linearizability.history import Operation
from raftcheck.linearizability.models import Model

LINEARIZABLE = "linearizable"
NOT_LINEARIZABLE = "not linearizable"
UNKNOWN = "unknown"

CLOCK_EVERY = 2048


@dataclass(frozen=True)
class SearchOutcome:
    """The verdict on one key, and the longest linearizable prefix the search found.

    `prefix` lists (operation index, state after it) in linearization order;
    `stuck` is the operation that could not be placed after that prefix. A
    linearizable key has neither: no one needs its order, and it is costly to ship.
    """

    status: str
    prefix: tuple[tuple[int, Hashable], ...]
    stuck: int | None
    steps: int


def search(operations: list[Operation], model: Model, deadline: float = math.inf) -> SearchOutcome:
    """Decide whether `operations` (one key's) are linearizable, giving up at `deadline` (time.monotonic())."""
    count = len(operations)
    if not any(op.known for op in operations):
        return SearchOutcome(LINEARIZABLE, (), None, 0)
    events = sorted([(op.invoked, 0, index) for index, op in enumerate(operations)]
                    + [(op.returned if op.known else math.inf, 1, index) for index, op in enumerate(operations)])
    size = len(events)
    head = size
    next_ = list(range(1, size + 1)) + [0]
    next_[size - 1] = -1 if size else 0
    prev = [head] + list(range(size - 1)) + [-1]
    op_of = [index for _, _, index in events]
    is_call = [kind == 0 for _, kind, _ in events]
    return_of = [0] * size
    call_at = [0] * count
    for node, (_, kind, index) in enumerate(events):
        if kind == 0:
            call_at[index] = node
    for node, (_, kind, index) in enumerate(events):
        if kind == 1:
            return_of[call_at[index]] = node

    step = model.step
    kinds = [op.kind for op in operations]
    arguments = [op.argument for op in operations]
    results = [op.result for op in operations]
    known = [op.known for op in operations]
    reads = [not model.kinds[op.kind].writes for op in operations]
    required = sum(1 << index for index in range(count) if known[index])

    state: Hashable = model.initial
    linearized = 0
    stack: list[tuple[int, Hashable, bool]] = []
    cache: set[tuple[int, Hashable]] = set()
    best: tuple[tuple[int, Hashable], ...] = ()
    stuck: int | None = None
    at_best = True
    steps = 0
    entry = next_[head]
    while linearized & required != required:
        steps += 1
        if steps % CLOCK_EVERY == 0 and time.monotonic() > deadline:
            return SearchOutcome(UNKNOWN, best, stuck, steps)
        if is_call[entry]:
            index = op_of[entry]
            legal, after = step(state, kinds[index], arguments[index], results[index], known[index])
            if legal:
                key = (linearized | 1 << index, after)
                if key not in cache:
                    cache.add(key)
                    stack.append((entry, state, reads[index]))
                    state, linearized = after, key[0]
                    # Lift the call and its return out of the list.
                    back = return_of[entry]
                    next_[prev[entry]] = next_[entry]
                    prev[next_[entry]] = prev[entry]
                    next_[prev[back]] = next_[back]
                    if next_[back] >= 0:
                        prev[next_[back]] = prev[back]
                    if len(stack) > len(best):
                        best = _path(stack, state, op_of)
                        stuck, at_best = None, True
                    else:
                        at_best = False
                    entry = next_[head]
                    continue
            entry = next_[entry]
        else:
            if at_best and stuck is None:
                stuck = op_of[entry]
            at_best = False
            # Undo the last choice. A read that could go when it went needs no alternative: if
            # any order works from there, one that takes the read first does (it changes no
            # state, and nothing pending had returned before it was called), so undo further.
            read = True
            while read:
                if not stack:
                    return SearchOutcome(NOT_LINEARIZABLE, best, stuck, steps)
                entry, state, read = stack.pop()
                linearized ^= 1 << op_of[entry]
                # Put the return back, then the call: the reverse of lifting them.
                back = return_of[entry]
                next_[prev[back]] = back
                if next_[back] >= 0:
                    prev[next_[back]] = back
                next_[prev[entry]] = entry
                prev[next_[entry]] = entry
            entry = next_[entry]
    return SearchOutcome(LINEARIZABLE, (), None, steps)


def _path(stack: list[tuple[int, Hashable, bool]], state: Hashable,
          op_of: list[int]) -> tuple[tuple[int, Hashable], ...]:
    """The linearized operations on the stack, each with the state it left behind."""
    afters = [before for _, before, _ in stack[1:]] + [state]
    return tuple((op_of[entry], after) for (entry, _, _), after in zip(stack, afters))
