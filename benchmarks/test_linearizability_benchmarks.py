"""The linearizability checker on Porcupine's public key-value histories: read, then decide.

Run with `pytest benchmarks/test_linearizability_benchmarks.py`; each
benchmark's extra_info has the history's size and verdict. Parallel and
serial runs of the same history compare as a ratio within one run.
"""

from pathlib import Path

import pytest

from raftcheck.linearizability import check_history, model_named, read_history

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "porcupine-kv"
KV = model_named("kv")


@pytest.mark.parametrize("jobs", [None, 1], ids=["auto", "serial"])
@pytest.mark.parametrize("name", ["c01-ok", "c01-bad", "c10-ok", "c10-bad", "c50-ok", "c50-bad"])
def test_decide_public_history(benchmark, name, jobs):
    path = DATA / f"{name}.txt"
    history = read_history(path, KV)
    verdict = benchmark.pedantic(check_history, args=(history, KV), kwargs={"timeout": 60, "jobs": jobs},
                                 rounds=5, iterations=1)
    assert verdict.status == ("linearizable" if name.endswith("-ok") else "not linearizable")
    benchmark.extra_info.update(events=len(path.read_text().splitlines()), operations=len(history),
                                keys=verdict.keys, verdict=verdict.status)


@pytest.mark.parametrize("name", ["c50-ok", "c50-bad"])
def test_read_public_history(benchmark, name):
    benchmark.pedantic(read_history, args=(DATA / f"{name}.txt", KV), rounds=5, iterations=1)
