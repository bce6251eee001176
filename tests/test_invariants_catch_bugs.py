"""Every invariant is shown to catch a bug, every counterexample replays, the correct core passes.

Switch specs (specs/*.toml expecting a violation) break the core with a safety
switch; mutants (tests/mutants.py) break it where no switch can. Each
counterexample is replayed step by step against the same core and must break
the same invariant.
"""

from pathlib import Path

import pytest

import mutants
from raftcheck.model.settings import Bounds, Budgets, ClusterSettings
from raftcheck.core import RULE_DESCRIPTIONS
from raftcheck.properties import ALL_INVARIANTS
from raftcheck.runner import run_spec
from raftcheck.spec import Spec, load_spec
from raftcheck.search import Limits
from raftcheck.trace import replay

SPECS = Path(__file__).resolve().parent.parent / "specs"

MUTANTS = {
    "LeaderAppendOnly": (
        mutants.leader_drops_last_entry_on_rejection,
        ClusterSettings(budgets=Budgets(client_requests=0), bounds=Bounds(max_term=2, max_in_flight=7)),
    ),
    "ConfigsDifferByOne": (
        mutants.remove_server_removes_two,
        ClusterSettings(budgets=Budgets(client_requests=0, membership_changes=1), bounds=Bounds(max_term=1, max_in_flight=6)),
    ),
    "LogMatching": (
        mutants.commands_stamped_with_term_one,
        ClusterSettings(budgets=Budgets(client_requests=2), bounds=Bounds(max_term=2, max_in_flight=6)),
    ),
}


def violation_specs():
    return [load_spec(path) for path in sorted(SPECS.glob("*.toml")) if load_spec(path).expected_verdict == "violation"]


def mutant_spec(invariant: str, settings: ClusterSettings) -> Spec:
    return Spec(invariant, "(mutant)", "", True, settings, (invariant,), "bfs", Limits(), "violation", invariant)


@pytest.mark.parametrize("spec", [s for s in violation_specs() if s.ci], ids=lambda s: s.name)
def test_switch_spec_finds_its_violation_and_the_counterexample_replays(spec):
    outcome = run_spec(spec)
    assert outcome.verdict == "violation", outcome.found
    assert outcome.invariant == spec.expected_invariant
    replayed = replay(outcome.trace)
    assert replayed.confirms, replayed.error
    assert replayed.broken[0] == spec.expected_invariant
    assert len(replayed.views) == len(outcome.trace.actions) + 1


@pytest.mark.parametrize("invariant", sorted(MUTANTS))
def test_mutant_core_breaks_the_invariant_and_the_counterexample_replays(invariant):
    handler, settings = MUTANTS[invariant]
    outcome = run_spec(mutant_spec(invariant, settings), handler=handler)
    assert outcome.verdict == "violation" and outcome.invariant == invariant
    replayed = replay(outcome.trace, handler)
    assert replayed.confirms and replayed.broken[0] == invariant
    assert not replay(outcome.trace).confirms, "the correct core does not break it on the same steps"


def test_every_invariant_is_caught_by_some_spec_or_mutant():
    caught = {spec.expected_invariant for spec in violation_specs()} | set(MUTANTS)
    assert caught == set(ALL_INVARIANTS)


def pass_specs():
    return [s for s in (load_spec(p) for p in sorted(SPECS.glob("*.toml"))) if s.expected_verdict == "pass" and s.ci]


@pytest.mark.parametrize("spec", pass_specs(), ids=lambda s: s.name)
def test_correct_core_passes_the_default_specs_exhaustively(spec):
    outcome = run_spec(spec)
    assert outcome.verdict == "pass", outcome.found
    assert outcome.result.states > 1000


def test_every_safety_switch_has_a_spec_expecting_its_violation():
    named = {spec.name for spec in violation_specs()}
    switched_off = {rule for spec in violation_specs() for rule in spec.settings.rules.disabled()}
    assert switched_off == set(RULE_DESCRIPTIONS)
    assert set(RULE_DESCRIPTIONS) <= named, "each switch has a spec named after it"
