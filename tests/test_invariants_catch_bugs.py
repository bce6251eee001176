"""The CI gate, and every invariant shown to catch a bug with a counterexample that replays.

`raftcheck check --quick` runs every CI-sized shipped spec once, as CI users
run it; its exit code, JSON report and saved traces are then checked spec by
spec. Switch specs break the core with a safety switch; mutants
(tests/mutants.py) break it where no switch can. Each counterexample is
replayed step by step against the same core and must break the same invariant.
"""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import mutants
import raftcheck
from raftcheck import Spec, load_spec
from raftcheck.checker.trace import load_trace, replay
from raftcheck.cli import main
from raftcheck.core import RULE_DESCRIPTIONS
from raftcheck.model.actions import Restart
from raftcheck.properties import ALL_INVARIANTS
from raftcheck.settings import from_flat

SPECS = Path(__file__).resolve().parent.parent / "specs"

MUTANTS = {
    "LeaderAppendOnly": (
        mutants.leader_drops_last_entry_on_rejection,
        dict(client_requests=0, max_term=2, max_in_flight=7),
    ),
    "ConfigsDifferByOne": (
        mutants.remove_server_removes_two,
        dict(client_requests=0, membership_changes=1, max_term=1, max_in_flight=6),
    ),
    "LogMatching": (
        mutants.commands_stamped_with_term_one,
        dict(client_requests=2, max_term=2, max_in_flight=6),
    ),
    "CommitWithinLog": (
        mutants.follower_commits_before_checking_its_log,
        dict(client_requests=1, max_term=1, max_in_flight=7),
    ),
    "LogTermsOrdered": (
        mutants.commands_stamped_with_term_one,
        dict(client_requests=2, max_term=2, max_in_flight=6),
    ),
    "NoElectableNodeLacksCommitted": (
        mutants.leader_commits_what_it_appends,
        dict(client_requests=1, max_term=1, max_in_flight=4),
    ),
    "ProgressIsConsistent": (
        mutants.leader_sets_next_index_to_match_index,
        dict(client_requests=1, max_term=1, max_in_flight=4),
    ),
    "StateMachineMatchesLog": (
        mutants.leader_applies_before_commit,
        dict(client_requests=1, max_term=1, max_in_flight=6),
    ),
    "StateMachineMatchesLog/retries": (
        mutants.retried_write_applied_again,
        dict(client_requests=2, client_retries=1, max_term=1, max_log=5, max_in_flight=4),
    ),
    "MessagesAreAddressed": (
        mutants.vote_answered_anonymously,
        dict(client_requests=0, max_term=1, max_in_flight=4),
    ),
    "ClientRepliesAreTruthful": (
        mutants.session_cache_ignores_the_client,
        dict(client_requests=1, client_reads=1, max_term=1, max_log=4, max_in_flight=4),
    ),
    "ClientRepliesAreTruthful/reuse": (
        mutants.seq_reuse_answered_with_the_cached_result,
        dict(nodes=2, client_requests=1, client_reuses=1, max_term=1, max_log=4, max_in_flight=3),
    ),
    "ClientRepliesAreTruthful/redirect": (
        mutants.redirect_names_itself,
        dict(client_requests=1, max_term=1, max_in_flight=4),
    ),
    "MembershipRepliesAreTruthful": (
        mutants.add_server_answers_when_appended,
        dict(bootstrap=("n3",), client_requests=0, membership_changes=1, max_term=1, max_in_flight=4),
    ),
    "MembershipRepliesAreTruthful/remove": (
        mutants.removal_answered_about_nobody,
        dict(client_requests=0, membership_changes=1, max_term=1, max_in_flight=4),
    ),
    "MembershipRepliesAreTruthful/retry": (
        mutants.add_server_of_a_member_accepted,
        dict(bootstrap=("n3",), client_requests=0, membership_retries=1, max_term=1, max_in_flight=4),
    ),
    "SnapshotsAreFaithful": (
        mutants.snapshot_keeps_the_machine_of_the_previous_one,
        dict(compact_log_after=1, client_requests=1, max_term=1, max_in_flight=4),
    ),
    "BootstrapWaitsToBeNamed": (
        mutants.joiner_promoted_by_any_snapshot,
        dict(compact_log_after=1, bootstrap=("n3",), membership_changes=1, client_requests=1, max_term=1,
             max_in_flight=4),
    ),
    "VotesGoToUpToDateLogs": (
        mutants.pre_vote_ignores_the_log,
        dict(features=("pre_vote",), client_requests=1, max_term=2, max_in_flight=4),
    ),
    "LeaderHoldsItsTermsEntries": (
        mutants.follower_stamps_entries_with_leader_term,
        dict(client_requests=0, max_term=2, max_in_flight=7),
    ),
}


def violation_specs():
    return [load_spec(path) for path in sorted(SPECS.glob("*.toml")) if load_spec(path).expected_verdict == "violation"]


def mutant_spec(invariant: str, settings: dict) -> Spec:
    return Spec(invariant, "", from_flat({**settings, "invariants": (invariant,)}),
                expected_verdict="violation", expected_invariant=invariant)


@pytest.fixture(scope="module")
def gate(tmp_path_factory):
    """One `raftcheck check --quick` over the repository's specs/, with its report and traces."""
    out = tmp_path_factory.mktemp("gate")
    result = CliRunner().invoke(
        main, ["check", "--quick", "--jobs", "2", "--json", str(out / "report.json"),
               "--trace-dir", str(out / "traces")]
    )
    report = {spec["name"]: spec for spec in json.loads((out / "report.json").read_text())["specs"]}
    return result, report, out / "traces"


def test_raftcheck_check_passes_the_gate_on_the_shipped_specs(gate):
    result, report, _ = gate
    assert result.exit_code == 0, result.output
    specs = [load_spec(p) for p in SPECS.glob("*.toml")]
    proven = {f"{spec.name}+rules" for spec in specs if spec.ci and spec.proof == "quick"}
    featured = {f"{spec.name}+{spec.feature}" for spec in specs if spec.ci and spec.feature}
    assert set(report) == {spec.name for spec in specs if spec.ci} | proven | featured
    assert len(featured) >= 2 and all(report[name]["verdict"] == "pass" for name in featured)
    assert len(proven) >= 15
    assert all(entry["matches"] for entry in report.values())
    assert all(report[name]["verdict"] == "pass" and report[name]["disabled_rules"] == [] for name in proven)


@pytest.mark.parametrize("spec", [s for s in violation_specs() if s.ci], ids=lambda s: s.name)
def test_switch_spec_finds_its_violation_and_the_counterexample_replays(gate, spec):
    _, report, traces = gate
    entry = report[spec.name]
    assert entry["verdict"] == "violation" and entry["invariant"] == spec.expected_invariant, entry["expected"]
    trace = load_trace(traces / f"{spec.name}.json")
    replayed = replay(trace)
    assert replayed.confirms, replayed.error
    assert replayed.broken[0] == spec.expected_invariant
    assert len(replayed.views) == len(trace.actions) + 1 == len(entry["counterexample"]) + 1


@pytest.mark.parametrize("case", sorted(MUTANTS))
def test_mutant_core_breaks_the_invariant_and_the_counterexample_replays(case):
    handler, settings = MUTANTS[case]
    invariant = case.split("/")[0]
    outcome = raftcheck.check(mutant_spec(invariant, settings), handler=handler)
    assert outcome.verdict == "violation" and outcome.invariant == invariant
    replayed = replay(outcome.trace, handler)
    assert replayed.confirms and replayed.broken[0] == invariant
    assert not replay(outcome.trace).confirms, "the correct core does not break it on the same steps"


def test_a_snapshot_install_that_keeps_a_conflicting_suffix_breaks_log_terms_ordered():
    """A real survivor of the compaction mutants: the kept suffix of a stale term follows the snapshot's newer term."""
    spec = load_spec(SPECS / "compaction_over_a_stale_suffix.toml")
    outcome = raftcheck.check(spec, handler=mutants.install_keeps_a_conflicting_suffix)
    assert outcome.verdict == "violation" and outcome.invariant == "LogTermsOrdered"
    assert "after term 2" in outcome.search.violation.message
    assert replay(outcome.trace, mutants.install_keeps_a_conflicting_suffix).confirms
    assert not replay(outcome.trace).confirms, "the real core discards the suffix"


def test_a_restart_that_keeps_a_member_in_bootstrap_mode_breaks_named_nodes_leave_bootstrap(monkeypatch):
    """A restart is not a step of `handle`, so only the state invariant sees it; a CI spec reaches it."""
    monkeypatch.setattr(raftcheck.model.cluster, "restart", mutants.restart_keeps_a_joiner_waiting)
    spec = load_spec(SPECS / "membership_writes_and_crashes.toml")
    outcome = raftcheck.check(spec)
    assert outcome.verdict == "violation" and outcome.invariant == "NamedNodesLeaveBootstrap"
    assert isinstance(outcome.trace.actions[-1], Restart)
    assert replay(outcome.trace).confirms
    monkeypatch.undo()
    assert not replay(outcome.trace).confirms, "the real restart makes a named server a Follower"


def test_every_invariant_is_caught_by_some_spec_or_mutant():
    caught = {spec.expected_invariant for spec in violation_specs() if not spec.settings.check.liveness}
    caught.add("NamedNodesLeaveBootstrap")  # by a restart mutant, above
    assert caught | {case.split("/")[0] for case in MUTANTS} == set(ALL_INVARIANTS)


def pass_specs():
    return [s for s in (load_spec(p) for p in sorted(SPECS.glob("*.toml"))) if s.expected_verdict == "pass" and s.ci]


@pytest.mark.parametrize("spec", pass_specs(), ids=lambda s: s.name)
def test_correct_core_passes_the_default_specs_exhaustively(gate, spec):
    entry = gate[1][spec.name]
    assert entry["verdict"] == "pass" and entry["stopped_because"] is None
    assert entry["states"] > 1000


def test_every_safety_switch_has_a_spec_expecting_its_violation():
    named = {spec.name for spec in violation_specs()}
    switched_off = {rule for spec in violation_specs() for rule in spec.settings.check.disabled_rules}
    assert switched_off == set(RULE_DESCRIPTIONS)
    assert set(RULE_DESCRIPTIONS) <= named, "each switch has a spec named after it"


def test_the_bootstrap_double_vote_is_found_from_boot_without_a_scripted_prefix():
    """The switch spec needs a 14-step prefix; a pass spec with the switch off finds it alone."""
    result = raftcheck.check(SPECS / "bootstrap_joins_during_elections.toml", disabled_rules=("bootstrap_does_not_vote",))
    assert result.verdict == "violation" and result.invariant == "VotesAgreeWithVoters"
    assert len(result.trace.actions) == result.search.depth <= 16


def test_a_core_that_raises_is_a_finding_with_a_counterexample_that_replays():
    settings = dict(client_requests=0, max_term=2, max_in_flight=7, invariants=("LogMatching",))
    spec = Spec("raises", "", from_flat(settings), expected_verdict="pass")
    outcome = raftcheck.check(spec, handler=mutants.leader_reads_past_its_log_on_rejection)
    assert outcome.verdict == "violation" and outcome.invariant == "CoreDoesNotRaise"
    assert "raised IndexError" in outcome.search.violation.message
    replayed = replay(outcome.trace, mutants.leader_reads_past_its_log_on_rejection)
    assert replayed.confirms and replayed.broken[0] == "CoreDoesNotRaise"
    assert not replay(outcome.trace).confirms, "the real core does not raise there"


# Survivors of session 17's mutation sample, each in a part of the space no CI spec reached, and the spec that
# now reaches it: (spec, the mutant as a handler, the invariant it breaks, words its message holds).
SAMPLE_SURVIVORS = {
    # PreVote never met compaction: a voter that forgot its own snapshot granted pre-votes to stale logs.
    "pre_vote_ignores_the_snapshot": ("compaction_with_pre_vote", "VotesGoToUpToDateLogs", "granted a pre-vote"),
    # CheckQuorum never ran in tick mode, where the clock is real.
    "check_quorum_leaves_the_clock_unset": ("tick_mode_check_quorum", "CoreDoesNotRaise", "TypeError"),
    # No tick-mode spec had a server waiting in Bootstrap mode.
    "waiting_clock_unset": ("tick_mode_bootstrap_join", "CoreDoesNotRaise", "TypeError"),
}


@pytest.mark.parametrize("mutant", sorted(SAMPLE_SURVIVORS))
def test_a_sample_survivor_is_caught_by_the_spec_written_for_it(mutant):
    spec, invariant, words = SAMPLE_SURVIVORS[mutant]
    handler = getattr(mutants, mutant)
    outcome = raftcheck.check(SPECS / f"{spec}.toml", handler=handler)
    assert outcome.verdict == "violation" and outcome.invariant == invariant
    assert words in outcome.search.violation.message
    replayed = replay(outcome.trace, handler)
    assert replayed.confirms and replayed.broken[0] == invariant
    assert not replay(outcome.trace).confirms, "the real core does not break it there"
