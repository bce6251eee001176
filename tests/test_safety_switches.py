"""Each safety-rule switch, turned off, produces exactly the classic bug it names.

Every test runs one concrete scenario twice, rule on and rule off, and asserts
the correct behaviour with the rule and the bug without it.
"""

import pytest
from msgspec.structs import replace

from helpers import FIVE, THREE, ack, config_log, elect, fire_timer, member, params_without, step
from raftcheck.core import (
    RULE_DESCRIPTIONS,
    AddServerRequest,
    AppendEntriesRequest,
    AppendEntriesResponse,
    Entry,
    NodeParams,
    Noop,
    RemoveServerRequest,
    RequestVoteRequest,
    RequestVoteResponse,
    Role,
    Rules,
    Status,
    boot,
    restart,
)
from raftcheck.simulation import SimulatedCluster


def both(rule):
    """(params with every rule on, params with `rule` off)."""
    return NodeParams(), params_without(rule)


def test_every_rule_has_a_switch_and_a_description():
    assert set(RULE_DESCRIPTIONS) == set(Rules.__struct_fields__)
    assert Rules().disabled() == ()
    assert Rules().without("vote_once_per_term").disabled() == ("vote_once_per_term",)
    with pytest.raises(ValueError, match="unknown rule 'no_such_rule'"):
        Rules().without("no_such_rule")


def test_vote_once_per_term_off_lets_two_candidates_win_the_same_term():
    for params, two_leaders in zip(both("vote_once_per_term"), (False, True)):
        voter = member("a", params=params)
        voter, first = step(voter, RequestVoteRequest("b", "a", 2, 1, 1))
        voter, second = step(voter, RequestVoteRequest("c", "a", 2, 1, 1))
        leaders = []
        for candidate, response in (("b", first[0]), ("c", second[0])):
            state, _ = fire_timer(member(candidate))
            state, _ = step(state, response)
            leaders.append(state.role is Role.LEADER and state.current_term == 2)
        assert all(leaders) is two_leaders


def test_log_up_to_date_check_off_grants_votes_to_candidates_missing_entries():
    for params, granted in zip(both("log_up_to_date_check"), (False, True)):
        voter = member("a", term=2, log=config_log(THREE, 2, 2), params=params)
        _, sent = step(voter, RequestVoteRequest("b", "a", 3, 1, 1))
        assert sent[0].vote_granted is granted


def test_count_current_term_votes_only_off_counts_stale_votes():
    for params, leader in zip(both("count_current_term_votes_only"), (False, True)):
        state, _ = fire_timer(member("a", params=params))
        state, _ = fire_timer(state)
        state, _ = step(state, RequestVoteResponse("b", "a", state.current_term - 1, True))
        assert (state.role is Role.LEADER) is leader


def test_count_each_voter_once_off_counts_a_duplicated_vote_twice():
    for params, leader in zip(both("count_each_voter_once"), (False, True)):
        state, _ = fire_timer(member("a", servers=FIVE, params=params))
        grant = RequestVoteResponse("b", "a", state.current_term, True)
        state, _ = step(state, grant, grant)
        assert (state.role is Role.LEADER) is leader


def test_step_down_on_higher_term_off_keeps_a_leader_in_a_term_it_did_not_win():
    for params, stays in zip(both("step_down_on_higher_term"), (False, True)):
        leader, _ = elect(member("a", params=params))
        leader, sent = step(leader, RequestVoteRequest("b", "a", 5, 9, 9))
        assert leader.current_term == 5
        assert (leader.role is Role.LEADER) is stays
        assert sent[0].vote_granted, "the vote goes to b either way, so b can lead term 5 too"


def test_check_prev_log_term_off_appends_after_a_mismatched_entry():
    for params, accepted in zip(both("check_prev_log_term"), (False, True)):
        follower = member("a", log=config_log(THREE, 1), params=params)
        new = (Entry(2, Noop()),)
        follower, sent = step(follower, AppendEntriesRequest("b", "a", 2, 2, 2, new, 0))
        assert sent[0].success is accepted
        assert (follower.log == config_log(THREE, 1) + new) is accepted


def test_truncate_only_on_conflict_off_lets_a_stale_request_delete_entries():
    for params, expected in zip(both("truncate_only_on_conflict"), (4, 2)):
        follower = member("a", log=config_log(THREE, 1, 1, 1), params=params)
        stale = AppendEntriesRequest("b", "a", 1, 1, 1, config_log(THREE, 1)[1:], 0)
        follower, _ = step(follower, stale)
        assert len(follower.log) == expected


def test_follower_commit_to_last_new_entry_off_commits_unverified_entries():
    for params, commit in zip(both("follower_commit_to_last_new_entry"), (1, 3)):
        follower = member("a", log=config_log(THREE, 1, 1), params=params)
        follower, _ = step(follower, AppendEntriesRequest("b", "a", 2, 1, 1, (), 3))
        assert follower.commit_index == commit


def test_commit_current_term_only_off_commits_old_entries_by_counting_fig8():
    for params, commit in zip(both("commit_current_term_only"), (0, 2)):
        leader, _ = elect(member("a", term=2, log=config_log(THREE, 2), params=params))
        leader, _ = step(leader, ack(leader, "b", 2))
        assert leader.commit_index == commit


def test_match_index_from_current_term_only_off_trusts_stale_responses():
    for params, commit in zip(both("match_index_from_current_term_only"), (0, 2)):
        leader, _ = elect(member("a", params=params))
        stale = AppendEntriesResponse("b", "a", leader.current_term - 1, True, len(leader.log))
        leader, _ = step(leader, stale)
        assert leader.commit_index == commit


def test_leader_noop_on_election_off_leaves_earlier_entries_uncommitted():
    for params, commit in zip(both("leader_noop_on_election"), (3, 0)):
        leader, _ = elect(member("a", log=config_log(THREE, 1), params=params))
        leader, _ = step(leader, ack(leader, "b"))
        assert leader.commit_index == commit


def test_config_change_waits_for_commit_off_starts_overlapping_changes():
    for params, configs in zip(both("config_change_waits_for_commit"), (1, 2)):
        leader, _ = elect(member("a", servers=FIVE, params=params))
        for peer in FIVE[1:3]:
            leader, _ = step(leader, ack(leader, peer))
        leader, _ = step(leader, RemoveServerRequest("x", "a", "e"), RemoveServerRequest("x", "a", "d"))
        uncommitted = [e for e in leader.log[leader.commit_index :] if type(e.payload).__name__ == "ConfigChange"]
        assert len(uncommitted) == configs


def test_config_change_waits_for_term_commit_off_changes_before_committing_own_term():
    for params, status in zip(both("config_change_waits_for_term_commit"), (Status.LEADER_NOT_READY, None)):
        follower, _ = step(member("a", params=params), AppendEntriesRequest("b", "a", 1, 1, 1, (), 1))
        leader, _ = elect(follower)
        leader, sent = step(leader, AddServerRequest("x", "a", "d"))
        assert (sent[0].status if sent and hasattr(sent[0], "status") else None) == status
        assert (leader.catchup is not None) is (status is None)


def test_persist_vote_and_term_off_forgets_the_vote_and_votes_twice():
    for params, granted_again in zip(both("persist_vote_and_term"), (False, True)):
        voter, _ = step(member("a", params=params), RequestVoteRequest("b", "a", 2, 1, 1))
        revived = restart(voter)
        _, sent = step(revived, RequestVoteRequest("c", "a", 2, 1, 1))
        assert sent[0].vote_granted is granted_again


def test_bootstrap_does_not_vote_off_grants_unrecorded_votes_twice_in_a_term():
    for params, granted in zip(both("bootstrap_does_not_vote"), (False, True)):
        waiting = boot("d", bootstrap=True, params=params)
        waiting, first = step(waiting, RequestVoteRequest("b", "d", 2, 1, 1))
        waiting, second = step(waiting, RequestVoteRequest("c", "d", 2, 1, 1))
        assert first[0].vote_granted is second[0].vote_granted is granted
        assert waiting.voted_for is None


def _happy_path(rules: Rules):
    cluster = SimulatedCluster(params=NodeParams(rules=rules), seed=3)
    cluster.start("n1")
    cluster.run_until(lambda c: c.leader() == "n1")
    cluster.start("n2", bootstrap=True)
    cluster.add_server("cl", "n1", "n2")
    cluster.run_until(lambda c: c.replies_to("cl"))
    cluster.client_request("cl", "n1", 1, "set", "x", "1")
    cluster.run_until(lambda c: len(c.replies_to("cl")) == 2)
    return cluster.events, [replace(s, params=None) for s in cluster.nodes.values()]


@pytest.mark.parametrize("rule", sorted(set(RULE_DESCRIPTIONS) - {"leader_noop_on_election"}))
def test_switching_a_rule_off_changes_nothing_on_a_fault_free_run(rule):
    assert _happy_path(Rules().without(rule)) == _happy_path(Rules())
