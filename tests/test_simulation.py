"""Simulation: random swarm walks over the same model find deep bugs without a scripted prefix.

Counterexamples come back shrunk (1-minimal), replay against the real core,
and the same seed gives the same run. A run without a violation says that it
is not exhaustive.
"""

import dataclasses
from pathlib import Path
from typing import NamedTuple

from click.testing import CliRunner

from raftcheck.checker.runner import run_spec
from raftcheck.checker.spec import load_spec
from raftcheck.checker.trace import load_trace, replay
from raftcheck.core import AppendEntriesRequest, RequestVoteRequest
from raftcheck.cli import main
from raftcheck.model.actions import Deliver, Drop, FireTimer
from raftcheck.model.cluster import swarm_kind
from raftcheck.properties import ALL_INVARIANTS
from raftcheck.search import Limits, Property, Violation
from raftcheck.search.shrink import shrink
from raftcheck.search.simulate import Walks, simulate
from raftcheck.settings import from_flat

SPECS = Path(__file__).resolve().parent.parent / "specs"


def simulated(name, **settings):
    """A spec with its scripted prefix removed, run as a simulation."""
    spec = load_spec(SPECS / f"{name}.toml")
    spec = dataclasses.replace(spec, start=(), start_tables=())
    values = {"search": "simulate", "walks": 20_000, "walk_steps": 300, "max_seconds": 120, **settings}
    return run_spec(dataclasses.replace(spec, settings=from_flat(values, spec.settings)))


def test_a_deep_bug_is_found_without_the_scripted_prefix_and_comes_back_short():
    # The spec's own bounds fit its prefix, which loses the messages it does not need; from boot, give room.
    result = simulated("check_prev_log_term", max_in_flight=6, drops=0)
    assert result.verdict == "violation" and result.invariant == "LogMatching"
    replayed = replay(result.trace)
    assert replayed.confirms and replayed.broken[0] == "LogMatching"
    assert len(result.trace.actions) <= 20, "shrunk: breadth-first search from boot at these bounds finds 16 steps"


def test_coverage_that_tells_spent_budgets_apart_finds_the_bootstrap_double_vote_from_boot():
    """The bug needs the one crash after a server joined; a corpus keyed on the cluster's shape alone keeps only
    the first state of each shape, usually one reached after the crash was spent (this seed: not found then)."""
    result = simulated("bootstrap_does_not_vote", invariants=ALL_INVARIANTS, walks=3000, seed=1)
    assert result.verdict == "violation" and result.invariant == "VotesAgreeWithVoters"
    assert any(type(action).__name__ == "Restart" for action in result.trace.actions)
    assert replay(result.trace).confirms
    assert len(result.trace.actions) <= 12, "shrunk: breadth-first search from boot finds 10 steps"


def test_swarm_weighs_each_message_type_apart():
    """A walk may deliver votes but drop appends, so leaders come and go without replicating, as in Figure 8
    (commit_current_term_only from boot: found in 39 to 119 s for seeds 0 to 2, where one weight per delivery
    found it for none in 120 s; benchmarks/simulate_switch_specs.py)."""
    vote = RequestVoteRequest("n1", "n2", 1, 1, 0)
    append = AppendEntriesRequest("n1", "n2", 1, 1, 0, (), 1)
    kinds = {swarm_kind(Deliver(vote)), swarm_kind(Deliver(append)), swarm_kind(Drop(vote)), swarm_kind(Drop(append))}
    assert len(kinds) == 4
    assert swarm_kind(FireTimer("n1")) == swarm_kind(FireTimer("n2")) == "FireTimer"


def test_figure_8_is_found_from_boot():
    """Figure 8 without its 19 scripted steps: seed 0 finds it after 37,252 walks (about 8 s). Before walks
    were split by message type (session 19) and built one world per step (session 20), no run found it in
    14 minutes. A change that redraws the walks may move the find to another walk; one that loses it for
    seeds 0 to 2 has lost reach."""
    result = simulated("commit_current_term_only", walks=60_000)
    assert result.matches, result.found
    assert replay(result.trace).confirms


def test_the_same_seed_gives_the_same_counterexample():
    first, again = simulated("check_prev_log_term", seed=3), simulated("check_prev_log_term", seed=3)
    assert first.trace.actions == again.trace.actions


def test_a_correct_core_passes_but_not_exhaustively():
    spec = load_spec(SPECS / "election_replication_with_restart.toml")
    settings = from_flat({"search": "simulate", "walks": 300, "walk_steps": 60}, spec.settings)
    result = run_spec(dataclasses.replace(spec, settings=settings))
    assert result.verdict == "pass" and not result.search.exhaustive
    assert result.search.stopped_because == "simulated 300 walks: no violation (not exhaustive)"
    assert result.search.coverage > 10, "abstract states reached, reported"


class Counter(NamedTuple):
    value: int
    noise: int


class CountingModel:
    """Actions "up" and "noise"; the property breaks when the value reaches 3. Knows nothing of Raft."""

    properties = [Property("below three", lambda s: "reached 3" if s.value >= 3 else None)]
    transition_properties = goals = step_goals = ()

    def initial_states(self):
        return [Counter(0, 0)]

    def successors(self, state):
        yield "up", state._replace(value=state.value + 1)
        yield "noise", state._replace(noise=state.noise + 1)

    def next_state(self, state, action):
        return dict(self.successors(state))[action]

    def fingerprint(self, state):
        return hash(state)

    def beyond_bounds(self, state):
        return None


def test_shrinking_keeps_only_the_steps_the_violation_needs():
    long_path = ["noise", "up", "noise", "noise", "up", "noise", "up"]
    shrunk = shrink(CountingModel(), Violation("below three", "reached 3", 0, long_path))
    assert shrunk.actions == ["up", "up", "up"]


def test_walks_check_every_state_they_reach():
    result = simulate(CountingModel(), Limits(), Walks(walks=50, steps=20, seed=1),
                      abstraction=lambda state: state.value)
    assert result.verdict == "violation" and result.violation.actions.count("up") == 3
    assert result.walks >= 1 and result.coverage == 3 and not result.exhaustive, "a find reports its walks too"


class LazyCountingModel(CountingModel):
    """The same model, offering `moves`: how to build each successor, and a count of those built."""

    def __init__(self):
        self.built = 0

    def moves(self, state):
        yield "up", self._build, (state, "value")
        yield "noise", self._build, (state, "noise")

    def _build(self, state, field):
        self.built += 1
        return state._replace(**{field: getattr(state, field) + 1})


def test_a_walk_builds_only_the_state_it_takes():
    """Building every successor to take one cost a third of a simulation's time on five nodes."""
    model = LazyCountingModel()
    result = simulate(model, Limits(), Walks(walks=50, steps=20, seed=1))
    assert result.verdict == "violation" and result.violation.actions.count("up") == 3
    assert model.built == result.transitions


def test_explore_and_check_take_simulate(tmp_path):
    trace = tmp_path / "t.json"
    result = CliRunner().invoke(main, ["explore", "--simulate", "--walks", "2000", "--max-term", "2",
                                       "--client-requests", "0", "--disable-rule", "vote_once_per_term",
                                       "--trace", str(trace)])
    assert result.exit_code == 1, result.output
    assert load_trace(trace).invariant in ("ElectionSafety", "VotesAgreeWithVoters")
    checked = CliRunner().invoke(main, ["check", "--simulate", "--walks", "200", str(SPECS / "vote_once_per_term.toml")])
    assert checked.exit_code == 0, checked.output


def test_a_shrunk_path_is_then_shortened_by_a_small_breadth_first_search():
    result = simulated("config_change_waits_for_commit")
    assert result.verdict == "violation" and len(result.trace.actions) == 7, "BFS's shortest from boot"
