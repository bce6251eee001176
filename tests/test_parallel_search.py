"""Parallel BFS gives the single-process answer: the same states, transitions and depth, the same shortest
counterexample length, on the real cluster model (worlds shipped between processes) and on mutant cores."""

import dataclasses
from pathlib import Path

import pytest
from click.testing import CliRunner

import mutants
import raftcheck
from raftcheck.checker.runner import model_at_start
from raftcheck.checker.spec import load_spec
from raftcheck.checker.trace import replay
from raftcheck.cli import main
from raftcheck.core import handle
from raftcheck.search.shard import Shard, balance
from raftcheck.settings import from_flat

SPECS = Path(__file__).resolve().parent.parent / "specs"


def summary(result) -> tuple:
    search = result.search
    return (search.verdict, search.states, search.transitions, search.depth, search.unexpanded,
            sorted(name for name, how in search.goals.items() if how))


@pytest.mark.parametrize("name, overrides", [
    ("build_cluster_through_bootstrap", {}),  # membership changes, bootstrap nodes, no symmetry among them
    ("catch_up_rounds", {}),  # timers, catch-up rounds and a crash
    ("four_nodes_loss_and_duplicates", {"max_in_flight": 3, "drops": 1}),  # drops, duplicates, 4-way symmetry
    ("election_replication_with_restart", {"max_term": 1, "workers_": 3}),  # three workers
])
def test_a_parallel_pass_explores_exactly_what_one_process_explores(name, overrides):
    overrides = dict(overrides)
    workers = overrides.pop("workers_", 2)
    single = raftcheck.check(SPECS / f"{name}.toml", **overrides)
    parallel = raftcheck.check(SPECS / f"{name}.toml", workers=workers, **overrides)
    assert single.verdict == "pass" and single.search.states > 1_000
    assert summary(parallel) == summary(single)


@pytest.mark.parametrize("name", ["log_up_to_date_check", "step_down_on_higher_term", "count_each_voter_once"])
def test_a_parallel_violation_is_as_short_as_the_single_process_one_and_replays(name):
    single = raftcheck.check(SPECS / f"{name}.toml")
    parallel = raftcheck.check(SPECS / f"{name}.toml", workers=2)
    assert parallel.matches and single.matches
    assert parallel.invariant == single.invariant
    assert len(parallel.trace.actions) == len(single.trace.actions)
    replayed = replay(parallel.trace)
    assert replayed.confirms and replayed.broken[0] == parallel.invariant


def test_a_step_violation_found_by_a_worker_replays_from_its_parent():
    """Reply invariants are step properties: the last action is found again by replaying, not shipped."""
    settings = dict(client_requests=1, client_reads=1, max_term=1, max_log=4, max_in_flight=4,
                    invariants=("ClientRepliesAreTruthful",))
    single = raftcheck.check(SPECS / "election_replication_with_restart.toml",
                             handler=mutants.session_cache_ignores_the_client, **settings)
    parallel = raftcheck.check(SPECS / "election_replication_with_restart.toml", workers=2,
                               handler=mutants.session_cache_ignores_the_client, **settings)
    assert single.invariant == parallel.invariant == "ClientRepliesAreTruthful"
    assert len(parallel.trace.actions) == len(single.trace.actions)
    replayed = replay(parallel.trace, mutants.session_cache_ignores_the_client)
    assert replayed.confirms and replayed.broken[0] == "ClientRepliesAreTruthful"


def test_a_budget_stops_a_parallel_search_with_a_partial_verdict():
    result = raftcheck.check(SPECS / "five_nodes_elections.toml", workers=2, max_states=20_000)
    assert result.verdict == "partial" and "max_states" in result.search.stopped_because
    assert 20_000 <= result.search.states < 200_000


def _raising_on_second_term(error: BaseException):
    """A core that raises `error` once a node reaches term 2 (a module-level function, so workers can fork it)."""

    def handler(state, message):
        after, sent = handle(state, message)
        if after.current_term >= 2:
            raise error
        return after, sent

    return handler


_crashes_on_second_term = _raising_on_second_term(ZeroDivisionError("core bug"))


def test_a_core_that_raises_in_a_worker_is_the_same_finding_as_in_one_process():
    spec = SPECS / "election_replication_with_restart.toml"
    alone = raftcheck.check(spec, handler=_crashes_on_second_term)
    shared = raftcheck.check(spec, workers=2, handler=_crashes_on_second_term)
    assert alone.invariant == shared.invariant == "CoreDoesNotRaise"
    assert len(shared.trace.actions) == len(alone.trace.actions)
    assert "ZeroDivisionError: core bug" in shared.search.violation.message


class _Abort(BaseException):
    """Not an Exception: the checker does not take it for a finding, as it would not take KeyboardInterrupt."""


_aborts_on_second_term = _raising_on_second_term(_Abort("stop"))


def test_an_error_that_is_not_a_finding_is_raised_in_the_caller():
    with pytest.raises(_Abort, match="stop"):
        raftcheck.check(SPECS / "election_replication_with_restart.toml", workers=2, handler=_aborts_on_second_term)


def test_workers_flag_runs_a_spec_and_refuses_a_search_it_cannot_share():
    runner = CliRunner()
    ok = runner.invoke(main, ["check", str(SPECS / "catch_up_rounds.toml"), "--workers", "2"])
    assert ok.exit_code == 0, ok.output
    assert "56,541 states" in ok.output
    refused = runner.invoke(main, ["explore", "--workers", "2", "--search", "dfs", "--max-depth", "3"])
    assert refused.exit_code == 2
    assert "dfs runs in one process" in refused.output
    assert "Traceback" not in refused.output


def test_forked_simulations_share_the_walks_and_the_first_violation_replays():
    spec = dataclasses.replace(raftcheck.load_spec(SPECS / "log_up_to_date_check.toml"), start=(), start_tables=())
    result = raftcheck.check(spec, search="simulate", workers=2, walks=20_000, walk_steps=200, max_seconds=60)
    assert result.verdict == "violation" and result.matches
    assert result.search.coverage and result.search.transitions >= len(result.trace.actions)
    assert replay(result.trace).confirms


def test_forked_simulations_without_a_violation_merge_what_each_reached():
    one = raftcheck.check(SPECS / "catch_up_rounds.toml", search="simulate", walks=40, walk_steps=30, seed=3)
    two = raftcheck.check(SPECS / "catch_up_rounds.toml", search="simulate", walks=40, walk_steps=30, seed=3,
                          workers=2)
    assert one.verdict == two.verdict == "pass"
    assert two.search.transitions > 0 and two.search.states > 1 and two.search.coverage > 1
    assert two.search.states <= two.search.transitions
    assert one.search.walks == two.search.walks == 40
    assert "simulated 40 walks in 2 processes" in two.search.stopped_because


def test_a_ray_address_is_joined_even_when_the_workers_are_given():
    """--workers must not skip joining the cluster (Ray would quietly start one of its own)."""
    outcome = CliRunner().invoke(main, ["check", str(SPECS / "catch_up_rounds.toml"), "--workers", "2",
                                        "--ray-address", "127.0.0.1:1"])
    assert outcome.exit_code == 2
    assert "no Ray head answers there" in outcome.output


@pytest.mark.parametrize("frontiers, plan", [
    ([10, 0], [{1: 5}, {}]),
    ([0, 7], [{}, {0: 4}]),  # the odd state goes to the first shard
    ([9, 0, 0], [{1: 3, 2: 3}, {}, {}]),
    ([6, 6, 0], [{2: 2}, {2: 2}, {}]),
    ([1000, 995], [{}, {}]),  # within 1% of the total: nothing moves
    ([0, 0], [{}, {}]),
])
def test_balancing_moves_the_surplus_to_the_shards_below_their_share(frontiers, plan):
    assert balance(frontiers) == plan


def test_shards_share_the_work_though_every_state_starts_in_one():
    """States stay with the shard that finds them, so without balancing one shard would expand them all."""
    spec = load_spec(SPECS / "election_replication_with_restart.toml")
    spec = dataclasses.replace(spec, settings=from_flat({"max_term": 1}, spec.settings))
    shards = [Shard(model_at_start(spec), index, 2, None) for index in range(2)]
    transitions, depth = [0, 0], 0
    frontiers = [shard.frontier_size() for shard in shards]
    while sum(frontiers):
        plan = balance(frontiers)
        gives = [shard.give(plan[me]) for me, shard in enumerate(shards)]
        for me, shard in enumerate(shards):
            shard.take([(giver, gives[giver][me]) for giver in range(2) if me in plan[giver]])
        asks = [shard.expand(depth, None, None) for shard in shards]
        answers = [shard.decide([(1 - me, asks[1 - me][me])]) for me, shard in enumerate(shards)]
        reports = [shard.accept([(1 - me, answers[1 - me][me])]) for me, shard in enumerate(shards)]
        frontiers = [report.frontier for report in reports]
        transitions = [total + report.transitions for total, report in zip(transitions, reports)]
        depth += 1
    single = raftcheck.check(SPECS / "election_replication_with_restart.toml", max_term=1).search
    assert single.transitions > 10_000
    assert sum(transitions) == single.transitions
    assert min(transitions) > 0.4 * single.transitions
