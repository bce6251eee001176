"""How big entries are on the wire, for the byte cap on AppendEntries."""

from __future__ import annotations

import msgspec

from raftcheck.core.messages import Entry

_encode = msgspec.json.Encoder().encode


def entries_within(entries: tuple[Entry, ...], budget: int) -> int:
    """How many leading entries fit in `budget` bytes as sent (JSON); at least one, so a log always moves."""
    used = 0
    for count, entry in enumerate(entries):
        used += len(_encode(entry))
        if used > budget and count:
            return count
    return len(entries)
