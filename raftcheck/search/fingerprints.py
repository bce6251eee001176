"""The visited set of a big search: 64-bit fingerprints (and their parents) in 8 (16) bytes a slot.

A dict from int to int costs about 100 bytes a state (two int objects and a
slot); at 100 million states that is more than this kind of machine has.
A search starts with a dict, which is faster, and moves to a table once it
holds `COMPACT_AFTER` states (`compact`). In the table, fingerprints and
parents live in flat arrays of machine words (a sharded search's set of
fingerprints it asked about needs no parents: `FingerprintSet`), probed linearly (fingerprints
are hashes, so their low bits are already spread). The table is
`SEGMENTS` tables, picked by a fingerprint's top bits, each doubling on
its own when it is 70% full: a doubling needs a sixteenth of the table's
memory again, not twice it (a search of 188 million states once peaked at
16.7 GB while its one table doubled), and the search stalls for a
sixteenth as long. Fingerprints are signed 64-bit ints, as hash() gives.
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
SEGMENT_BITS = 4  # a fingerprint's top bits pick its segment, its low bits its slot there
SEGMENTS = 1 << SEGMENT_BITS
SEGMENT_SHIFT, SEGMENT_MASK = 64 - SEGMENT_BITS, SEGMENTS - 1


class Segment:
    """One of a table's `SEGMENTS` open-addressing tables: its arrays of words, and how full it is."""

    __slots__ = ("arrays", "keys", "mask", "size", "grow_at")

    def __init__(self, slots: int, columns: int) -> None:
        self.arrays = [array("q", bytes(8 * slots)) for _ in range(columns)]
        self.keys = self.arrays[0]
        self.mask = slots - 1
        self.size = 0
        self.grow_at = int(slots * FULL)


class FingerprintSet:
    """A set of fingerprints in arrays of machine words (8 bytes a slot)."""

    columns = 1  # arrays of words per slot: the fingerprints, and in a table their parents

    def __init__(self, expected: int = 0) -> None:
        slots = 1 << 12
        while slots * SEGMENTS * FULL <= expected:
            slots *= 2
        self._segments = [self._allocate(slots) for _ in range(SEGMENTS)]

    def _allocate(self, slots: int) -> Segment:
        return Segment(slots, self.columns)

    def _place(self, key: int) -> tuple[Segment, int]:
        """The segment of `key` and its slot there that holds `key` (never 0: see ZERO), or the empty one where
        it would go."""
        segment = self._segments[key >> SEGMENT_SHIFT & SEGMENT_MASK]
        keys, mask = segment.keys, segment.mask
        slot = key & mask
        while (held := keys[slot]) and held != key:
            slot = (slot + 1) & mask
        return segment, slot

    def __contains__(self, key: int) -> bool:
        # `_place`, inlined: the search asks this once per transition
        key = key or ZERO
        segment = self._segments[key >> SEGMENT_SHIFT & SEGMENT_MASK]
        keys, mask = segment.keys, segment.mask
        slot = key & mask
        while held := keys[slot]:
            if held == key:
                return True
            slot = (slot + 1) & mask
        return False

    def __len__(self) -> int:
        return sum(segment.size for segment in self._segments)

    def add(self, key: int) -> None:
        self._insert(key or ZERO)

    def _insert(self, key: int) -> tuple[Segment, int]:
        """The segment and slot of `key`, added if it was not there."""
        index = key >> SEGMENT_SHIFT & SEGMENT_MASK
        segment = self._segments[index]
        keys, mask = segment.keys, segment.mask
        slot = key & mask
        while (held := keys[slot]) and held != key:  # `_place`, inlined: once per new state
            slot = (slot + 1) & mask
        if not held:
            keys[slot] = key
            segment.size += 1
            if segment.size >= segment.grow_at:
                self._grow(index)
                return self._place(key)
        return segment, slot

    def _grow(self, index: int) -> None:
        """Double one segment: its entries move to a new one twice its size."""
        old = self._segments[index]
        new = self._allocate(2 * (old.mask + 1))
        keys, mask = new.keys, new.mask
        if self.columns == 1:  # a set: no rows to zip, which makes its rehash 2.7 times as fast
            for key in old.keys:
                if key:
                    slot = key & mask
                    while keys[slot]:
                        slot = (slot + 1) & mask
                    keys[slot] = key
        else:
            for row in zip(*old.arrays):
                if row[0]:
                    slot = row[0] & mask
                    while keys[slot]:
                        slot = (slot + 1) & mask
                    for column, value in zip(new.arrays, row):
                        column[slot] = value
        new.size = old.size
        self._segments[index] = new


class FingerprintTable(FingerprintSet):
    """A mapping from fingerprint to parent fingerprint (None for an initial state), as the search uses a dict:
    16 bytes a slot."""

    columns = 2

    def __setitem__(self, key: int, parent: int | None) -> None:
        segment, slot = self._insert(key or ZERO)
        segment.arrays[1][slot] = NO_PARENT if parent is None else parent or ZERO

    def __getitem__(self, key: int) -> int | None:
        segment, slot = self._place(key or ZERO)
        if not segment.keys[slot]:
            raise KeyError(key)
        parent = segment.arrays[1][slot]
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
