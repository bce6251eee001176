"""A breadth-first frontier too big for memory: the middle of the queue waits on disk.

A search keeps its frontier in a deque, flat (state, fingerprint, state,
...). Once it holds `SPILL_AFTER` states and the model can write its states
as bytes (`spill_codec`), `spilling` moves it into a `SpillingQueue`: the
head (being expanded) and the tail (being appended to) stay in memory, and
each `CHUNK` states in between go to a file of their own in a temporary
directory, read back in order and deleted when the head reaches them. In
the five-node spec with every feature, a frontier of 12 million states held
about 4 GB; on disk it takes 49 bytes a state.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

SPILL_AFTER = 2_000_000  # states
CHUNK = 100_000  # states a file
PREFIX = "raftcheck-frontier-"  # then the process id, so a killed search's files can be told from a live one's

Codec = tuple[Callable[[list], bytes], Callable[[bytes], list]]


class SpillingQueue:
    """A FIFO of items, as `deque.append` / `popleft` / `len` use them, whose middle lives in files."""

    def __init__(self, codec: Codec, items: deque | None = None, chunk: int | None = None) -> None:
        self._encode, self._decode = codec
        # items a file: two a state in a frontier (state, fingerprint); a shard's queue of asks has three an ask
        self._chunk = 2 * (chunk or CHUNK)
        self._head: deque = items if items is not None else deque()
        self._tail: list = []
        self._files: deque[str] = deque()
        self._spilled = 0  # items in files
        self._written = 0  # files written, which names the next
        _remove_abandoned()
        self._directory = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-")
        weakref.finalize(self, shutil.rmtree, self._directory, True)  # also at exit, if the queue outlives the search

    def append(self, item: Any) -> None:
        tail = self._tail
        tail.append(item)
        if len(tail) >= self._chunk:  # popleft reads files in order, so a file may end mid-state
            self._spill()

    def _spill(self) -> None:
        path = os.path.join(self._directory, f"{self._written:012d}")
        self._written += 1
        with open(path, "wb") as file:
            file.write(self._encode(self._tail))
        self._files.append(path)
        self._spilled += len(self._tail)
        self._tail = []

    def popleft(self) -> Any:
        head = self._head
        if not head:
            if self._files:
                path = self._files.popleft()
                with open(path, "rb") as file:
                    head.extend(self._decode(file.read()))
                os.remove(path)
                self._spilled -= len(head)
            else:
                head.extend(self._tail)
                self._tail = []
        return head.popleft()

    def __len__(self) -> int:
        return len(self._head) + self._spilled + len(self._tail)

    def __bool__(self) -> bool:
        return len(self) > 0


def _remove_abandoned() -> None:
    """Delete the frontiers of searches whose process is gone (killed, so nothing cleaned up after them)."""
    for entry in os.scandir(tempfile.gettempdir()):
        owner = entry.name.removeprefix(PREFIX).split("-")[0]
        if entry.name.startswith(PREFIX) and owner.isdigit() and not _running(int(owner)):
            shutil.rmtree(entry.path, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def spilling(queue: deque | SpillingQueue, make_codec: Callable[[], Codec] | None) -> deque | SpillingQueue:
    """`queue` as a SpillingQueue once it holds `SPILL_AFTER` states and the model can write its states
    (`make_codec`, called only then); else as it is."""
    if make_codec is None or isinstance(queue, SpillingQueue) or len(queue) < 2 * SPILL_AFTER:
        return queue
    return SpillingQueue(make_codec(), queue)
