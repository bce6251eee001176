"""The sharded search and the simulation on a local Ray with two workers: the single-process answers."""

import dataclasses
from pathlib import Path

import pytest
from click.testing import CliRunner

import raftcheck
from raftcheck.checker.trace import replay
from raftcheck.cli import main

ray = pytest.importorskip("ray")
SPECS = Path(__file__).resolve().parent.parent / "specs"


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    """One small local Ray for the module; run_spec joins it instead of starting its own."""
    ray.init(num_cpus=2, object_store_memory=200 * 2**20, include_dashboard=False, log_to_driver=False,
             configure_logging=False)
    yield
    ray.shutdown()


def on_ray(name: str, **overrides):
    return raftcheck.check(SPECS / f"{name}.toml", ray_address="local", **overrides)


def test_a_sharded_search_on_ray_explores_exactly_what_one_process_explores():
    single = raftcheck.check(SPECS / "catch_up_rounds.toml")
    result = on_ray("catch_up_rounds")
    assert single.verdict == result.verdict == "pass"
    for field in ("states", "transitions", "depth", "unexpanded", "goals"):
        assert getattr(result.search, field) == getattr(single.search, field), field


def test_a_violation_found_on_ray_is_as_short_as_in_one_process_and_replays():
    single = raftcheck.check(SPECS / "log_up_to_date_check.toml")
    result = on_ray("log_up_to_date_check")
    assert result.matches and single.matches
    assert len(result.trace.actions) == len(single.trace.actions)
    assert replay(result.trace).confirms


def test_a_simulation_on_ray_finds_a_switch_bug_without_its_script_and_the_trace_replays():
    spec = dataclasses.replace(raftcheck.load_spec(SPECS / "log_up_to_date_check.toml"), start=(), start_tables=())
    result = raftcheck.check(spec, ray_address="local", search="simulate", walks=20_000, walk_steps=200,
                             max_seconds=60)
    assert result.verdict == "violation" and result.matches
    assert result.search.coverage and result.search.transitions > 0
    assert replay(result.trace).confirms


def test_the_ray_flag_runs_specs_from_the_command_line():
    outcome = CliRunner().invoke(main, ["check", str(SPECS / "build_cluster_through_bootstrap.toml"), "--ray",
                                        "--workers", "2"])
    assert outcome.exit_code == 0, outcome.output
    assert "14,686 states" in outcome.output
