"""Folds over log prefixes that resume from a shorter prefix instead of starting over.

Checking a long live run (`raftcheck validate`) reads ever longer prefixes
of one log at every global state; folding each from the first entry is
quadratic in the run's length. A fold (a replay of the state machine, the
configurations in a log) resumed from a shorter prefix's result gives the
same value. Logs share their entry objects, so testing for a prefix is a
C-speed tuple comparison.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

Value = TypeVar("Value")


class RecentPrefixes(Generic[Value]):
    """The last few (key, entries, value) folds; `resume` finds the longest kept prefix of `entries`."""

    SIZE = 8

    def __init__(self) -> None:
        self._kept: list[tuple[Any, tuple, Value]] = []

    def resume(self, key: Any, entries: tuple) -> tuple[Value | None, int]:
        """The value of the longest kept prefix of `entries` under `key`, and its length (None, 0 if none)."""
        best, done = None, 0
        for kept_key, kept_entries, value in self._kept:
            length = len(kept_entries)
            if done < length <= len(entries) and kept_key == key and entries[:length] == kept_entries:
                best, done = value, length
        return best, done

    def keep(self, key: Any, entries: tuple, value: Value) -> None:
        self._kept = [(key, entries, value)] + self._kept[: self.SIZE - 1]
