"""A search that runs out of memory says so in its verdict, and a worker that dies is one line, not a traceback."""

import os

import pytest

from raftcheck.errors import SearchError
from raftcheck.search import breadth_first
from raftcheck.search.parallel import parallel_breadth_first
from test_search_engine import Counter


class SameObjects:
    """A codec for a toy model whose states are ints: they cross between processes as they are."""

    def pack(self, peer, items):
        return items

    def unpack(self, peer, packed):
        return packed


class Exhausting(Counter):
    """The toy model, except that expanding a state of `limit` or more runs out of memory (or, with `die`,
    kills the process, as the system's out-of-memory killer would)."""

    def __init__(self, limit: int, die: bool = False) -> None:
        super().__init__(forbidden=-1, cap=10_000)
        self.limit, self.die = limit, die

    def successors(self, state):
        if state >= self.limit:
            if self.die:
                os._exit(9)
            raise MemoryError
        return super().successors(state)

    def codec(self):
        return SameObjects()


@pytest.mark.parametrize("workers", [1, 2])
def test_running_out_of_memory_is_a_partial_verdict_with_what_was_explored(workers):
    model = Exhausting(limit=40)
    result = breadth_first(model) if workers == 1 else parallel_breadth_first(model, workers=workers)
    assert result.verdict == "partial"
    assert result.stopped_because.startswith("ran out of memory after ")
    assert 30 < result.states < 60


def test_a_worker_killed_by_the_system_is_a_search_error():
    with pytest.raises(SearchError, match="a search worker died"):
        parallel_breadth_first(Exhausting(limit=40, die=True), workers=2)
