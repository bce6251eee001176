"""The visited set of a big search: 64-bit fingerprints (and their parents) in 8 (16) bytes a slot.

A dict from int to int costs about 100 bytes a state (two int objects and a
slot); at 100 million states that is more than this kind of machine has.
A search starts with a dict, which is faster, and moves to a table once it
holds `COMPACT_AFTER` states (`compact`). In the table, fingerprints and
parents live in flat arrays of machine words (a sharded search's set of
fingerprints it asked about needs no parents: `FingerprintSet`), probed linearly (fingerprints
are hashes, so their low bits are already spread), and the table doubles
when it is 70% full. Fingerprints are signed 64-bit ints, as hash() gives.
Zero marks an empty slot, so the fingerprint 0 is stored as `ZERO` instead:
one more possible collision in 2**64, of the kind the search already accepts
by treating equal fingerprints as one state.
"""

from __future__ import annotations

from array import array

COMPACT_AFTER = 16_000_000  # a dict of this many is about 1.6 GB; below it the dict is worth its speed
ZERO = -(2**63)  # stands for the fingerprint 0
NO_PARENT = 0  # an initial state's parent: the fingerprint 0 is stored as ZERO, so 0 is free to mean "none"
FULL = 0.7


class FingerprintSet:
    """A set of fingerprints in one array of machine words (8 bytes a slot)."""

    columns = 1  # arrays of words per slot: the fingerprints, and in a table their parents

    def __init__(self, expected: int = 0) -> None:
        slots = 1 << 16
        while slots * FULL <= expected:
            slots *= 2
        self._allocate(slots)
        self._size = 0

    def _allocate(self, slots: int) -> None:
        self._arrays = [array("q", bytes(8 * slots)) for _ in range(self.columns)]
        self._keys = self._arrays[0]
        self._mask = slots - 1
        self._grow_at = int(slots * FULL)

    def _place(self, key: int) -> int:
        """The slot that holds `key` (never 0: see ZERO), or the empty one where it would go."""
        keys, mask = self._keys, self._mask
        slot = key & mask
        while (held := keys[slot]) and held != key:
            slot = (slot + 1) & mask
        return slot

    def __contains__(self, key: int) -> bool:
        # `_place`, inlined: the search asks this once per transition
        keys, mask = self._keys, self._mask
        key = key or ZERO
        slot = key & mask
        while held := keys[slot]:
            if held == key:
                return True
            slot = (slot + 1) & mask
        return False

    def __len__(self) -> int:
        return self._size

    def add(self, key: int) -> None:
        self._insert(key or ZERO)

    def _insert(self, key: int) -> int:
        """The slot of `key`, added if it was not there."""
        keys, mask = self._keys, self._mask
        slot = key & mask
        while (held := keys[slot]) and held != key:  # `_place`, inlined: once per new state
            slot = (slot + 1) & mask
        if not held:
            keys[slot] = key
            self._size += 1
            if self._size >= self._grow_at:
                self._grow()
                slot = self._place(key)
        return slot

    def _grow(self) -> None:
        old = self._arrays
        self._allocate(2 * len(self._keys))
        new, keys, mask = self._arrays, self._keys, self._mask
        for row in zip(*old):
            if row[0]:
                slot = row[0] & mask
                while keys[slot]:
                    slot = (slot + 1) & mask
                for column, value in zip(new, row):
                    column[slot] = value


class FingerprintTable(FingerprintSet):
    """A mapping from fingerprint to parent fingerprint (None for an initial state), as the search uses a dict:
    16 bytes a slot."""

    columns = 2

    def __setitem__(self, key: int, parent: int | None) -> None:
        slot = self._insert(key or ZERO)
        self._arrays[1][slot] = NO_PARENT if parent is None else parent or ZERO

    def __getitem__(self, key: int) -> int | None:
        slot = self._place(key or ZERO)
        if not self._keys[slot]:
            raise KeyError(key)
        parent = self._arrays[1][slot]
        if parent == NO_PARENT:
            return None
        return 0 if parent == ZERO else parent


Visited = dict[int, int | None] | set[int] | FingerprintSet


def compact(visited: Visited) -> Visited:
    """`visited` (a dict of parents, or a set) as a table (or a set of words) once it holds `COMPACT_AFTER`
    fingerprints; else as it is.

    The dict or set is emptied as it is copied, so the int objects it held are freed along the way. The new
    one has room for twice as many.
    """
    if isinstance(visited, FingerprintSet) or len(visited) < COMPACT_AFTER:
        return visited
    if isinstance(visited, set):
        words = FingerprintSet(2 * len(visited))
        while visited:
            words.add(visited.pop())
        return words
    table = FingerprintTable(2 * len(visited))
    while visited:
        key, parent = visited.popitem()
        table[key] = parent
    return table
