"""The visited set of a big search: 64-bit fingerprints and their parents in 16-byte slots.

A dict from int to int costs about 100 bytes a state (two int objects and a
slot); at 100 million states that is more than this kind of machine has.
A search starts with a dict, which is faster, and moves to a table once it
holds `COMPACT_AFTER` states (`compact`). In the table, fingerprints and
parents live in flat arrays of machine words, probed linearly (fingerprints
are hashes, so their low bits are already spread), and the table doubles
when it is 70% full. Fingerprints are signed 64-bit ints, as hash() gives.
Zero marks an empty slot, so the fingerprint 0 is stored as `ZERO` instead:
one more possible collision in 2**64, of the kind the search already accepts
by treating equal fingerprints as one state.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable

COMPACT_AFTER = 4_000_000
ZERO = -(2**63)  # stands for the fingerprint 0
NO_PARENT = 0  # an initial state's parent: the fingerprint 0 is stored as ZERO, so 0 is free to mean "none"
FULL = 0.7


class FingerprintTable:
    """A mapping from fingerprint to parent fingerprint (None for an initial state), as the search uses a dict."""

    def __init__(self, expected: int = 0) -> None:
        slots = 1 << 16
        while slots * FULL <= expected:
            slots *= 2
        self._allocate(slots)
        self._size = 0

    @classmethod
    def holding(cls, items: Iterable[tuple[int, int | None]], expected: int) -> FingerprintTable:
        """A table of `items` (fingerprint, parent), sized for `expected` of them and room to grow."""
        table = cls(2 * expected)
        for key, parent in items:
            table[key] = parent
        return table

    def _allocate(self, slots: int) -> None:
        self._keys = array("q", bytes(8 * slots))
        self._parents = array("q", bytes(8 * slots))
        self._mask = slots - 1
        self._grow_at = int(slots * FULL)

    def __contains__(self, key: int) -> bool:
        if not key:
            key = ZERO
        keys, mask = self._keys, self._mask
        slot = key & mask
        while held := keys[slot]:
            if held == key:
                return True
            slot = (slot + 1) & mask
        return False

    def __setitem__(self, key: int, parent: int | None) -> None:
        if not key:
            key = ZERO
        keys, mask = self._keys, self._mask
        slot = key & mask
        while held := keys[slot]:
            if held == key:
                break
            slot = (slot + 1) & mask
        else:
            keys[slot] = key
            self._size += 1
        self._parents[slot] = NO_PARENT if parent is None else parent or ZERO
        if self._size >= self._grow_at:
            self._grow()

    def __getitem__(self, key: int) -> int | None:
        if not key:
            key = ZERO
        keys, mask = self._keys, self._mask
        slot = key & mask
        while (held := keys[slot]) != key:
            if not held:
                raise KeyError(key)
            slot = (slot + 1) & mask
        parent = self._parents[slot]
        if parent == NO_PARENT:
            return None
        return 0 if parent == ZERO else parent

    def __len__(self) -> int:
        return self._size

    def add(self, key: int) -> None:
        """Use as a set: record `key` with no parent."""
        self[key] = None

    def _grow(self) -> None:
        keys, parents = self._keys, self._parents
        self._allocate(2 * len(keys))
        new_keys, new_parents, mask = self._keys, self._parents, self._mask
        for key, parent in zip(keys, parents):
            if key:
                slot = key & mask
                while new_keys[slot]:
                    slot = (slot + 1) & mask
                new_keys[slot] = key
                new_parents[slot] = parent


Visited = dict[int, int | None] | set[int] | FingerprintTable


def compact(visited: Visited) -> Visited:
    """`visited` (a dict of parents, or a set) as a table once it holds `COMPACT_AFTER` fingerprints; else as it is.

    The dict or set is emptied as it is copied, so the int objects it held are freed along the way.
    """
    if isinstance(visited, FingerprintTable) or len(visited) < COMPACT_AFTER:
        return visited
    return FingerprintTable.holding(_draining(visited), len(visited))


def _draining(visited: dict[int, int | None] | set[int]) -> Iterable[tuple[int, int | None]]:
    if isinstance(visited, set):
        while visited:
            yield visited.pop(), None
    while visited:
        yield visited.popitem()
