"""Explorer throughput on the default 3-node spec, with and without symmetry reduction.

Run with `pytest benchmarks/`; states/second and transitions/second are in each
benchmark's extra_info (`--benchmark-json` keeps them for comparison).
"""

import time
from pathlib import Path

import raftcheck
from raftcheck.checker.runner import model_at_start
from raftcheck.core import handle
from raftcheck.search import breadth_first

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


def test_explorer_transitions_against_raw_handle_calls(benchmark):
    """Explorer transitions/s divided by raw `handle` calls/s on the inputs those transitions feed the core:
    what one transition costs in core calls (the goal is 1/3 or better: at most three calls' worth)."""
    rates = benchmark.pedantic(overhead_rates, args=(DEFAULT_SPEC,), rounds=1, iterations=1)
    benchmark.extra_info.update(rates)
    assert rates["sampled_inputs"] > 1_000


def overhead_rates(path: Path, sample_every: int = 7, rounds: int = 3) -> dict:
    """Best of `rounds` for each side, alternating, so the machine's drift hits both."""
    spec = raftcheck.load_spec(path)
    model = model_at_start(spec)
    inputs = []
    moves = model.moves

    def recording(world):
        for number, move in enumerate(moves(world)):
            if number % sample_every == 0:
                key = model.step_key(world, move[0])
                if key is not None:
                    inputs.append((model.universe.node_states[key[0]], model.universe.messages[key[1]]))
            yield move

    model.moves = recording
    breadth_first(model)
    explorer = calls = 0.0
    for _ in range(rounds):
        explored = raftcheck.check(path).search
        explorer = max(explorer, explored.transitions / explored.seconds)
        started = time.perf_counter()
        for state, message in inputs:
            handle(state, message)
        calls = max(calls, len(inputs) / (time.perf_counter() - started))
    return dict(sampled_inputs=len(inputs), handle_calls_per_second=round(calls),
                transitions_per_second=round(explorer), transitions_per_handle_call=round(explorer / calls, 3))


def test_parallel_bfs_against_one_process(benchmark):
    """The sharded search on two forked workers against one process, alternating (see parallel_bfs.py)."""

    def both():
        one = raftcheck.check(DEFAULT_SPEC).search
        two = raftcheck.check(DEFAULT_SPEC, workers=2).search
        return one, two

    one, two = benchmark.pedantic(both, rounds=1, iterations=1)
    assert (one.states, one.transitions, one.depth) == (two.states, two.transitions, two.depth)
    benchmark.extra_info.update(one_process_states_per_second=round(one.states_per_second),
                                two_workers_states_per_second=round(two.states_per_second),
                                speed_up=round(one.seconds / two.seconds, 2))
