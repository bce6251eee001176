"""Explorer throughput on the default 3-node spec, with and without symmetry reduction.

Run with `pytest benchmarks/`; states/second and transitions/second are in each
benchmark's extra_info (`--benchmark-json` keeps them for comparison).
"""

import dataclasses
from pathlib import Path

from raftcheck.runner import run_spec
from raftcheck.search import Limits
from raftcheck.spec import load_spec

DEFAULT_SPEC = Path(__file__).resolve().parent.parent / "specs" / "election_replication_with_restart.toml"


def spec(symmetry: bool, max_in_flight: int | None = None):
    loaded = load_spec(DEFAULT_SPEC)
    settings = dataclasses.replace(loaded.settings, symmetry=symmetry)
    if max_in_flight is not None:
        settings = dataclasses.replace(settings, bounds=dataclasses.replace(settings.bounds, max_in_flight=max_in_flight))
    return dataclasses.replace(loaded, settings=settings)


def record(benchmark, result):
    benchmark.extra_info.update(
        verdict=result.verdict,
        states=result.states,
        transitions=result.transitions,
        states_per_second=round(result.states / result.seconds),
        transitions_per_second=round(result.transitions / result.seconds),
    )


def test_explore_default_spec_with_symmetry(benchmark):
    outcome = benchmark.pedantic(run_spec, args=(spec(True),), rounds=1, iterations=1)
    assert outcome.verdict == "pass"
    record(benchmark, outcome.result)


def test_explore_default_spec_without_symmetry_first_150k_states(benchmark):
    outcome = benchmark.pedantic(
        run_spec, args=(spec(False),), kwargs={"overrides": Limits(max_states=150_000)}, rounds=1, iterations=1
    )
    record(benchmark, outcome.result)


def test_symmetry_reduction_factor(benchmark):
    """Distinct states without / with symmetry, on the default spec with two messages in flight."""

    def both():
        return run_spec(spec(False, max_in_flight=2)).result, run_spec(spec(True, max_in_flight=2)).result

    full, reduced = benchmark.pedantic(both, rounds=1, iterations=1)
    assert full.verdict == reduced.verdict == "pass"
    benchmark.extra_info.update(full_states=full.states, reduced_states=reduced.states,
                                reduction_factor=round(full.states / reduced.states, 2))
    assert full.states > reduced.states
