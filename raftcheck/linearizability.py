"""Linearizability of key-value histories: Wing & Gong's search with Lowe's memoisation.

As in Porcupine, the history is split per key (a map of registers is
linearizable exactly when each register is), and each key is searched
separately. An operation whose outcome is unknown (a timeout) may take effect
at any point after its invocation, or never; an unknown read constrains
nothing and is dropped.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass


@dataclass(frozen=True)
class Operation:
    """One client call: `kind` is "set" or "get"; `value` is what was written or read.

    `returned` is None when the outcome is unknown.
    """

    client: str
    kind: str
    key: str
    value: str | None
    invoked: float
    returned: float | None


@dataclass(frozen=True)
class Verdict:
    linearizable: bool
    key: str | None = None
    operations: int = 0

    def __bool__(self) -> bool:
        return self.linearizable


def check_history(history: list[Operation]) -> Verdict:
    """Linearizable, or the first key (in sorted order) whose operations are not."""
    by_key: dict[str, list[Operation]] = defaultdict(list)
    for operation in history:
        if operation.kind == "get" and operation.returned is None:
            continue
        by_key[operation.key].append(operation)
    for key in sorted(by_key):
        if not _register_linearizable(by_key[key]):
            return Verdict(False, key, len(by_key[key]))
    return Verdict(True, None, sum(map(len, by_key.values())))


def _register_linearizable(operations: list[Operation]) -> bool:
    """Depth-first search over linearization orders of one register, starting empty (None).

    A state of the search is (operations linearized so far, register value);
    Lowe's memoisation never revisits one. An operation may go next only if it
    was invoked before every pending operation returned.
    """
    ops = sorted(operations, key=lambda o: o.invoked)
    returned = [math.inf if o.returned is None else o.returned for o in ops]
    required = 0
    for index, operation in enumerate(ops):
        if operation.returned is not None:
            required |= 1 << index
    seen: set[tuple[int, str | None]] = set()
    stack: list[tuple[int, str | None]] = [(0, None)]
    while stack:
        done, value = stack.pop()
        if done & required == required:
            return True
        if (done, value) in seen:
            continue
        seen.add((done, value))
        pending = [i for i in range(len(ops)) if not done >> i & 1]
        deadline = min(returned[i] for i in pending)
        for i in pending:
            operation = ops[i]
            if operation.invoked > deadline:
                break
            if operation.kind == "set":
                stack.append((done | 1 << i, operation.value))
            elif operation.value == value:
                stack.append((done | 1 << i, value))
    return False
