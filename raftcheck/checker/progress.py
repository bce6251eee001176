"""Progress of long searches: live on a terminal, periodic plain lines in CI logs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console

from raftcheck.search.model import Progress, Stats

PLAIN_EVERY_SECONDS = 5.0


def describe(stats: Stats) -> str:
    rate = stats.states / stats.seconds if stats.seconds else 0.0
    return (
        f"{stats.states:,} states, {stats.transitions:,} transitions, depth {stats.depth}, "
        f"{rate:,.0f} states/s, queue {stats.queued:,}"
    )


@contextmanager
def progress_reporter(console: Console, label: str) -> Iterator[Progress]:
    """A search progress callback: a live status line on a terminal, else a line every few seconds."""
    if console.is_terminal:
        with console.status(f"{label}: starting") as status:
            yield lambda stats: status.update(f"{label}: {describe(stats)}")
        return
    last = [time.monotonic()]

    def plain(stats: Stats) -> None:
        now = time.monotonic()
        if now - last[0] >= PLAIN_EVERY_SECONDS:
            last[0] = now
            console.print(f"  {label}: {describe(stats)}", markup=False)

    yield plain
