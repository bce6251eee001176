"""One client operation as a linearizability checker sees it: what was asked, what came back, and when."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable


@dataclass(frozen=True)
class Operation:
    """One client call on one key (`key` is None for a single register).

    `argument` is what the call carried (the value written, or (expected, new)
    for compare-and-set); `result` is what came back (the value read, or
    whether a compare-and-set succeeded). `returned` is None when the outcome
    is unknown (a timeout or a crash): the call may have taken effect at any
    time after `invoked`, or never, and `result` is then meaningless.
    """

    client: str
    kind: str
    key: str | None
    argument: Hashable
    result: Hashable
    invoked: float
    returned: float | None

    @property
    def known(self) -> bool:
        return self.returned is not None
