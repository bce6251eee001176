"""The judge of mutation testing: the checker's CI spec set.

A mutant of the core is killed when any CI spec's verdict differs from its
expectation: a pass spec finds a violation (or misses a coverage goal), or a
switch spec no longer finds its violation. Specs run cheapest first, and
pytest stops at the first failure, so most mutants die in well under a second.
Run with `mutation/run` (mutmut); too slow for CI.
"""

from pathlib import Path

import pytest

import raftcheck
from raftcheck.checker.spec import Spec, feature_runs, proofs

SPECS = Path(__file__).resolve().parent.parent / "specs"

# Cheapest first, with the states each explores on the correct core (`check --quick --json`, 2026-11-28);
# specs not listed run last.
CHEAPEST_FIRST = {
    "vote_once_per_term": 8,
    "count_each_voter_once": 79,
    "persist_vote_and_term": 36,
    "config_change_waits_for_commit": 200,
    "config_change_waits_for_commit_quorums": 200,
    "count_each_voter_once+rules": 211,
    "step_down_on_higher_term": 153,
    "log_up_to_date_check": 393,
    "count_current_term_votes_only": 462,
    "follower_commit_to_last_new_entry": 53,
    "match_index_from_current_term_only": 93,
    "config_change_waits_for_term_commit": 54,
    "config_change_waits_for_term_commit_lost_entry": 48,
    "check_prev_log_term": 403,
    "commit_current_term_only": 658,
    "tick_mode_bootstrap_join": 1_801,
    "truncate_only_on_conflict": 2_327,
    "tick_mode_check_quorum": 2_468,
    "log_up_to_date_check_committed_entries": 2_529,
    "log_up_to_date_check_state_machine": 3_462,
    "leader_noop_on_election": 8_059,
    "liveness_cut_off_follower_disrupts": 12_064,
    "persist_vote_and_term+rules": 6_650,
    "step_down_on_higher_term+rules": 9_310,
    "build_cluster_through_bootstrap": 14_686,
    "client_reuses_a_seq": 17_205,
    "build_cluster_with_service_features": 39_326,
    "liveness_cut_off_follower_disrupts+pre_vote": 47_120,
    "vote_once_per_term+rules": 20_697,
    "follower_commit_to_last_new_entry+rules": 16_416,
    "commit_current_term_only+rules": 20_165,
    "check_prev_log_term+rules": 26_073,
    "config_change_waits_for_term_commit_lost_entry+rules": 39_098,
    "catch_up_rounds": 56_541,
    "log_up_to_date_check+rules": 57_187,
    "truncate_only_on_conflict+rules": 57_187,
    "liveness_removed_server_campaigns+notify_removed_servers": 65_739,
    "bootstrap_joins_during_elections": 69_243,
    "liveness_removed_server_campaigns": 82_264,
    "liveness_removed_server_disrupts": 82_264,
    "bootstrap_does_not_vote": 104_804,
    "remove_server_notified": 133_469,
    "compaction_with_pre_vote": 136_359,
    "config_change_waits_for_commit+rules": 153_842,
    "config_change_waits_for_commit_quorums+rules": 153_842,
    "log_up_to_date_check_committed_entries+rules": 166_964,
    "log_up_to_date_check_state_machine+rules": 166_964,
    "leader_noop_on_election+rules": 181_144,
    "membership_writes_and_crashes": 168_215,
    "liveness_removed_server_disrupts+ignore_disruptive_votes": 181_229,
    "remove_server_with_service_features": 193_946,
    "election_replication_with_restart": 211_902,
    "tick_mode_election_and_write": 212_365,
    "election_replication_with_loss": 254_627,
    "remove_server": 318_806,
    "count_current_term_votes_only+rules": 518_296,
    "client_retries_and_reads": 520_813,
    "remove_leader_with_every_feature": 523_564,
    "four_nodes_loss_and_duplicates": 757_208,
    "batching_cap": 794_223,
    "config_change_waits_for_term_commit+rules": 363_491,
    "match_index_from_current_term_only+rules": 463_563,
    "partition_heals": 927_133,
    "five_nodes_elections": 964_590,
    "compaction_over_a_stale_suffix": 1_218_328,
}
# A switch spec that has not found its bug after this many times its usual states has a
# different verdict: the mutant is killed without exploring the rest of a generous space.
VIOLATION_BUDGET = 4
VIOLATION_FLOOR = 50_000


def ci_specs() -> list[Spec]:
    """The shipped specs that CI runs."""
    return [spec for spec in (raftcheck.load_spec(path) for path in SPECS.glob("*.toml")) if spec.ci]


def ci_runs() -> list[Spec]:
    """What `check --quick` runs: the CI specs, their quick rules-on proofs and feature runs, cheapest first."""
    runs = ci_specs()
    runs += proofs(runs, ("quick",)) + feature_runs(runs)
    rank = {name: index for index, name in enumerate(CHEAPEST_FIRST)}
    return sorted(runs, key=lambda spec: (rank.get(spec.name, len(rank)), spec.name))


@pytest.mark.parametrize("spec", ci_runs(), ids=lambda spec: spec.name)
def test_verdict_is_the_one_the_spec_expects(spec):
    limits = {}
    if spec.expected_verdict == "violation":
        limits["max_states"] = max(VIOLATION_FLOOR, VIOLATION_BUDGET * CHEAPEST_FIRST.get(spec.name, VIOLATION_FLOOR))
    result = raftcheck.check(spec, **limits)
    assert result.matches, f"{spec.name}: expected {result.expected}, found {result.found}"
