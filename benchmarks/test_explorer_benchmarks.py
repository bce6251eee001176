"""Explorer throughput on the default 3-node spec, with and without symmetry reduction.

Run with `pytest benchmarks/`; states/second and transitions/second are in each
benchmark's extra_info (`--benchmark-json` keeps them for comparison).
"""

from pathlib import Path

import raftcheck

DEFAULT_SPEC = Path(__file__).resolve().parent.parent / "specs" / "election_replication_with_restart.toml"


def run(symmetry: bool, **overrides):
    return raftcheck.check(DEFAULT_SPEC, symmetry=symmetry, **overrides)


def record(benchmark, result):
    benchmark.extra_info.update(
        verdict=result.verdict,
        states=result.states,
        transitions=result.transitions,
        states_per_second=round(result.states / result.seconds),
        transitions_per_second=round(result.transitions / result.seconds),
    )


def test_explore_default_spec_with_symmetry(benchmark):
    outcome = benchmark.pedantic(run, args=(True,), rounds=1, iterations=1)
    assert outcome.verdict == "pass"
    record(benchmark, outcome.search)


def test_explore_default_spec_without_symmetry_first_150k_states(benchmark):
    outcome = benchmark.pedantic(run, args=(False,), kwargs={"max_states": 150_000}, rounds=1, iterations=1)
    record(benchmark, outcome.search)


def test_symmetry_reduction_factor(benchmark):
    """Distinct states without / with symmetry, on the default spec with two messages in flight."""

    def both():
        return run(False, max_in_flight=2).search, run(True, max_in_flight=2).search

    full, reduced = benchmark.pedantic(both, rounds=1, iterations=1)
    assert full.verdict == reduced.verdict == "pass"
    benchmark.extra_info.update(full_states=full.states, reduced_states=reduced.states,
                                reduction_factor=round(full.states / reduced.states, 2))
    assert full.states > reduced.states



LIVENESS_SPEC = DEFAULT_SPEC.parent / "liveness_removed_server_campaigns.toml"


def test_liveness_check_against_a_safety_run_of_the_same_bounds(benchmark):
    """The liveness check with notify_removed_servers on (a pass: the whole graph is built and searched), and the
    plain safety search of the same spec: the liveness check's cost as a ratio measured in one run."""
    features = ("notify_removed_servers",)

    def both():
        liveness = raftcheck.check(LIVENESS_SPEC, features=features).search
        safety = raftcheck.check(LIVENESS_SPEC, features=features, liveness=()).search
        return liveness, safety

    liveness, safety = benchmark.pedantic(both, rounds=1, iterations=1)
    assert liveness.verdict == safety.verdict == "pass"
    benchmark.extra_info.update(
        liveness_seconds=round(liveness.seconds, 2), safety_seconds=round(safety.seconds, 2),
        liveness_states=liveness.states, safety_states=safety.states,
        cost_ratio=round(liveness.seconds / safety.seconds, 1),
    )
