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

SPECS = Path(__file__).resolve().parent.parent / "specs"

# Cheapest first (states explored on the correct core); specs not listed run last.
CHEAPEST_FIRST = [
    "vote_once_per_term",
    "count_current_term_votes_only",
    "count_each_voter_once",
    "persist_vote_and_term",
    "config_change_waits_for_commit",
    "config_change_waits_for_commit_quorums",
    "follower_commit_to_last_new_entry",
    "step_down_on_higher_term",
    "check_prev_log_term",
    "log_up_to_date_check",
    "build_cluster_through_bootstrap",
    "leader_noop_on_election",
    "log_up_to_date_check_committed_entries",
    "truncate_only_on_conflict",
    "bootstrap_does_not_vote",
    "log_up_to_date_check_state_machine",
    "catch_up_rounds",
    "membership_writes_and_crashes",
    "client_retries_and_reads",
    "config_change_waits_for_term_commit",
    "election_replication_with_restart",
    "election_replication_with_loss",
    "commit_current_term_only",
    "remove_server",
    "four_nodes_loss_and_duplicates",
    "batching_cap",
    "five_nodes_elections",
]


def ci_specs() -> list[Path]:
    specs = [path for path in SPECS.glob("*.toml") if raftcheck.load_spec(path).ci]
    rank = {name: index for index, name in enumerate(CHEAPEST_FIRST)}
    return sorted(specs, key=lambda path: (rank.get(path.stem, len(rank)), path.stem))


@pytest.mark.parametrize("path", ci_specs(), ids=lambda path: path.stem)
def test_verdict_is_the_one_the_spec_expects(path):
    result = raftcheck.check(path)
    assert result.matches, f"{path.stem}: expected {result.expected}, found {result.found}"
