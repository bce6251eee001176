"""A frontier that waits on disk: the same search, item for item, and no files left behind."""

import itertools
import json
import os
import subprocess
import sys
import tempfile
from collections import deque
from pathlib import Path

import pytest

import raftcheck
from raftcheck.search import frontier
from raftcheck.search.frontier import SpillingQueue

SPECS = Path(__file__).resolve().parent.parent / "specs"
AS_TEXT = (lambda items: json.dumps(items).encode(), json.loads)  # the toy queues hold ints


def leftover_directories() -> set[str]:
    return {name for name in os.listdir(tempfile.gettempdir()) if name.startswith("raftcheck-frontier-")}


def test_the_queue_gives_back_what_it_was_given_in_order_across_files():
    queue = SpillingQueue(AS_TEXT, deque([-1, -2]), chunk=3)
    taken = [queue.popleft()]
    for item in range(40):
        queue.append(item)
        if item % 7 == 0:
            taken.append(queue.popleft())
    assert len(queue) == 41 - len(taken) + 1
    while queue:
        taken.append(queue.popleft())
    assert taken == [-1, -2] + list(range(40))
    with pytest.raises(IndexError):
        queue.popleft()


def test_the_files_go_once_the_queue_does():
    before = leftover_directories()
    queue = SpillingQueue(AS_TEXT, chunk=2)
    for item in range(20):
        queue.append(item)
    assert len(leftover_directories() - before) == 1
    assert any(os.scandir(os.path.join(tempfile.gettempdir(), (leftover_directories() - before).pop())))
    del queue
    assert leftover_directories() == before


def test_a_killed_search_s_files_go_when_the_next_search_spills():
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    abandoned = tempfile.mkdtemp(prefix=f"raftcheck-frontier-{finished.stdout.strip()}-")
    alive = tempfile.mkdtemp(prefix=f"raftcheck-frontier-{os.getpid()}-")
    try:
        SpillingQueue(AS_TEXT)
        assert not os.path.exists(abandoned)
        assert os.path.exists(alive)  # this process still runs: its files are kept
    finally:
        os.rmdir(alive)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_search_whose_frontier_waits_on_disk_finds_what_one_in_memory_finds(monkeypatch, tmp_path, workers):
    """In one process the queue spills; sharded, each forked shard's frontier and the successors it waits to
    hear about do (each spill leaves a mark in `tmp_path`, which the forked shards share)."""
    spec = SPECS / "election_replication_with_restart.toml"
    violation = SPECS / "check_prev_log_term.toml"
    in_memory = [raftcheck.check(spec, max_term=1), raftcheck.check(violation)]
    before = leftover_directories()
    monkeypatch.setattr(frontier, "SPILL_AFTER", 50)
    monkeypatch.setattr(frontier, "CHUNK", 40)
    spill = SpillingQueue._spill
    marks = itertools.count()
    monkeypatch.setattr(SpillingQueue, "_spill",
                        lambda queue: ((tmp_path / f"{os.getpid()}-{next(marks)}").touch(), spill(queue)))
    on_disk = [raftcheck.check(spec, max_term=1, workers=workers), raftcheck.check(violation, workers=workers)]
    assert on_disk[0].verdict == "pass" and on_disk[0].search.states > 5_000
    # Where a sharded search stops on a violation depends on when the others hear of it: compare the pass.
    compared = on_disk if workers == 1 else on_disk[:1]
    assert [(r.search.states, r.search.transitions, r.search.depth, r.search.unexpanded) for r in compared] == [
        (r.search.states, r.search.transitions, r.search.depth, r.search.unexpanded) for r in in_memory[:len(compared)]]
    assert on_disk[1].matches and len(on_disk[1].trace.actions) == len(in_memory[1].trace.actions)
    assert len(list(tmp_path.iterdir())) > 10  # the frontiers did wait on disk
    assert leftover_directories() == before
