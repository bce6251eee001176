"""One test per rule of the Raft paper (Ongaro & Ousterhout 2014, sections 5.1-5.5).

Named after the rule they check, in the style of etcd's raft_paper_test.go.
"""

from msgspec.structs import replace

from helpers import THREE, FIVE, ack, config_log, elect, fire_timer, member, of_type, step
from raftcheck.core import (
    AppendEntriesRequest,
    AppendEntriesResponse,
    ClientCommand,
    ClientRequest,
    ClientResponse,
    Entry,
    NodeParams,
    Noop,
    RequestVoteRequest,
    RequestVoteResponse,
    Role,
    Status,
    Tick,
    boot,
    handle,
    restart,
)

# ---- 5.1 Raft basics -------------------------------------------------------


def test_5_1_servers_start_as_followers():
    assert boot("a").role is Role.FOLLOWER
    assert boot("a").current_term == 0


def test_5_1_higher_term_makes_follower_leader_and_candidate_adopt_it_and_step_down():
    follower = member("a")
    candidate, _ = fire_timer(member("a"))
    leader, _ = elect(member("a"))
    for state in (follower, candidate, leader):
        after, _ = step(state, RequestVoteRequest("b", "a", 9, 0, 0))
        assert after.current_term == 9
        assert after.role is Role.FOLLOWER


def test_5_1_request_with_stale_term_is_rejected_with_current_term():
    state = member("a", term=3)
    after, sent = step(state, AppendEntriesRequest("b", "a", 2, 0, 0, (), 0))
    assert after == state
    assert sent == [AppendEntriesResponse("a", "b", 3, False, 0, len(state.log) + 1)]


# ---- 5.2 Leader election ---------------------------------------------------


def test_5_2_leader_sends_heartbeats_every_interval():
    leader, _ = elect(member("a"))
    leader, sent = step(leader, Tick(leader.params.heartbeat_interval - 1))
    assert sent == []
    leader, sent = step(leader, Tick())
    assert sorted(m.dst for m in of_type(sent, AppendEntriesRequest)) == ["b", "c"]


def test_5_2_follower_times_out_into_candidacy_and_requests_votes():
    state = member("a", term=2)
    before_timeout = state.election_timeout - 1
    state, sent = step(state, Tick(before_timeout))
    assert state.role is Role.FOLLOWER and sent == []
    state, sent = step(state, Tick())
    assert state.role is Role.CANDIDATE
    assert state.current_term == 3 and state.voted_for == "a" and state.votes == ("a",)
    assert sorted(m.dst for m in sent) == ["b", "c"]
    assert all(m == RequestVoteRequest("a", m.dst, 3, 1, 1) for m in sent)


def test_5_2_candidate_starts_a_new_election_when_its_election_times_out():
    state, _ = fire_timer(member("a"))
    state, sent = fire_timer(state)
    assert state.role is Role.CANDIDATE and state.current_term == 3
    assert len(of_type(sent, RequestVoteRequest)) == 2


def test_5_2_candidate_with_votes_of_a_majority_becomes_leader():
    state, _ = fire_timer(member("a", servers=FIVE))
    state, _ = step(state, RequestVoteResponse("b", "a", 2, True))
    assert state.role is Role.CANDIDATE
    state, _ = step(state, RequestVoteResponse("c", "a", 2, False), RequestVoteResponse("d", "a", 2, True))
    assert state.role is Role.LEADER


def test_5_2_server_votes_for_at_most_one_candidate_per_term_first_come_first_served():
    state = member("a", term=1)
    state, first = step(state, RequestVoteRequest("b", "a", 2, 1, 1))
    state, second = step(state, RequestVoteRequest("c", "a", 2, 1, 1))
    state, again = step(state, RequestVoteRequest("b", "a", 2, 1, 1))
    assert [m.vote_granted for m in first + second + again] == [True, False, True]
    assert state.voted_for == "b"


def test_5_2_candidate_returns_to_follower_on_append_entries_from_leader_of_same_term():
    state, _ = fire_timer(member("a"))
    state, _ = step(state, AppendEntriesRequest("b", "a", state.current_term, 1, 1, (), 0))
    assert state.role is Role.FOLLOWER and state.leader_id == "b"


def test_5_2_election_timeouts_are_random_in_range_and_reproducible():
    params = NodeParams(election_timeout_low=10, election_timeout_high=20)
    state = member("a", params=params)
    timeouts = []
    for _ in range(40):
        state, _ = fire_timer(state)
        timeouts.append(state.election_timeout)
    assert all(10 <= t <= 20 for t in timeouts)
    assert len(set(timeouts)) > 3
    assert boot("a", params=params) == boot("a", params=params)
    assert boot("a", params=params).rng != boot("b", params=params).rng


def test_5_2_granting_a_vote_and_hearing_from_the_leader_reset_the_election_timer():
    state, _ = step(member("a"), Tick(5))
    voted, _ = step(state, RequestVoteRequest("b", "a", 2, 1, 1))
    assert voted.election_elapsed == 0
    heard, _ = step(state, AppendEntriesRequest("b", "a", 1, 1, 1, (), 0))
    assert heard.election_elapsed == 0
    refused, _ = step(state, RequestVoteRequest("b", "a", 2, 0, 0))
    assert refused.election_elapsed == 5


# ---- 5.3 Log replication ---------------------------------------------------


def test_5_3_leader_appends_command_and_sends_it_to_followers():
    leader, _ = elect(member("a"))
    leader, sent = step(leader, ClientRequest("cl", "a", 1, ("set", "x", "1")))
    assert leader.log[-1] == Entry(2, ClientCommand("cl", 1, ("set", "x", "1")))
    requests = of_type(sent, AppendEntriesRequest)
    assert sorted(m.dst for m in requests) == ["b", "c"]
    assert all(m.entries[-1] == leader.log[-1] for m in requests)


def test_5_3_leader_commits_once_a_majority_stores_the_entry_and_then_answers_the_client():
    leader, _ = elect(member("a"))
    leader, _ = step(leader, ClientRequest("cl", "a", 1, ("set", "x", "1")))
    assert leader.commit_index == 0
    leader, sent = step(leader, ack(leader, "b"))
    assert leader.commit_index == len(leader.log) == 3
    assert of_type(sent, ClientResponse) == [ClientResponse("a", "cl", 1, Status.OK, "1", "a")]
    assert dict(leader.machine) == {"x": "1"}


def test_5_3_follower_rejects_append_entries_whose_previous_entry_it_lacks():
    state = member("a", log=config_log(THREE, 1))
    for prev_index, prev_term in ((5, 1), (2, 2)):
        after, sent = step(state, AppendEntriesRequest("b", "a", 2, prev_index, prev_term, (), 0))
        assert after.log == state.log
        assert sent[0].success is False


def test_5_3_follower_deletes_conflicting_entries_and_appends_new_ones():
    state = member("a", term=3, log=config_log(THREE, 1, 1, 1))
    new = (Entry(3, Noop()),)
    state, sent = step(state, AppendEntriesRequest("b", "a", 3, 2, 1, new, 0))
    assert state.log == config_log(THREE, 1) + new
    assert sent == [AppendEntriesResponse("a", "b", 3, True, 3)]


def test_5_3_follower_keeps_entries_a_stale_shorter_request_does_not_contradict():
    state = member("a", log=config_log(THREE, 1, 1, 1))
    state, sent = step(state, AppendEntriesRequest("b", "a", 1, 1, 1, config_log(THREE, 1)[1:], 0))
    assert state.log == config_log(THREE, 1, 1, 1)
    assert sent[0].success and sent[0].match_index == 2


def test_5_3_follower_commit_is_min_of_leader_commit_and_last_new_entry():
    state = member("a", log=config_log(THREE, 1, 1, 1))
    state, _ = step(state, AppendEntriesRequest("b", "a", 1, 2, 1, (), 4))
    assert state.commit_index == 2
    state, _ = step(state, AppendEntriesRequest("b", "a", 1, 4, 1, (), 3))
    assert state.commit_index == 3


def test_5_3_leader_backs_off_next_index_quickly_using_the_conflict_hint():
    leader, sent = elect(member("a", term=1, log=config_log(THREE, 1, 1, 1, 1)))
    hb = [m for m in sent if type(m) is AppendEntriesRequest and m.dst == "b"][0]
    assert hb.prev_log_index == 5
    leader, sent = step(leader, AppendEntriesResponse("b", "a", 2, False, 0, 2))
    retry = of_type(sent, AppendEntriesRequest)[0]
    assert retry.prev_log_index == 1 and len(retry.entries) == len(leader.log) - 1


def test_5_3_non_leader_answers_clients_with_the_leader_it_knows():
    state, _ = step(member("a"), AppendEntriesRequest("b", "a", 1, 1, 1, (), 0))
    _, sent = step(state, ClientRequest("cl", "a", 1, ("get", "x")))
    assert sent == [ClientResponse("a", "cl", 1, Status.NOT_LEADER, None, "b")]
    _, sent = step(member("a"), ClientRequest("cl", "a", 1, ("get", "x")))
    assert sent[0].leader_hint is None


def test_5_3_retried_client_request_is_applied_once():
    leader, _ = elect(member("a", servers=("a",)))
    request = ClientRequest("cl", "a", 1, ("set", "x", "1"))
    leader, first = step(leader, request)
    leader, second = step(leader, request)
    assert len(leader.log) == 3
    assert of_type(first, ClientResponse) == of_type(second, ClientResponse)
    follower = member("b", log=leader.log[:-1] + leader.log[-1:] * 2)
    follower, _ = step(follower, AppendEntriesRequest("a", "b", 2, 4, 2, (), 4))
    assert follower.sessions == (("cl", 1, ("set", "x", "1"), "1"),) and dict(follower.machine) == {"x": "1"}


# ---- 5.4 Safety ------------------------------------------------------------


def test_5_4_1_voter_denies_candidate_whose_log_is_less_up_to_date():
    state = member("a", log=config_log(THREE, 2, 2))
    cases = {(1, 9): False, (2, 2): False, (2, 3): True, (3, 1): True}
    for (last_term, last_index), granted in cases.items():
        _, sent = step(state, RequestVoteRequest("b", "a", 5, last_index, last_term))
        assert sent[0].vote_granted is granted, (last_term, last_index)


def test_5_4_2_leader_does_not_commit_previous_term_entries_by_counting_replicas():
    leader, _ = elect(member("a", term=2, log=config_log(THREE, 2)))
    leader = replace(leader, log=leader.log[:2])
    leader, _ = step(leader, ack(leader, "b", 2))
    assert leader.commit_index == 0
    leader, _ = step(leader, ClientRequest("cl", "a", 1, ("set", "y", "1")))
    leader, _ = step(leader, ack(leader, "b"))
    assert leader.commit_index == 3


def test_5_4_2_new_leader_appends_a_noop_of_its_term():
    leader, _ = elect(member("a", term=4, log=config_log(THREE, 3)))
    assert leader.log[-1] == Entry(5, Noop())


def test_5_4_leader_takes_match_index_only_from_current_term_responses():
    leader, _ = elect(member("a"))
    stale = AppendEntriesResponse("b", "a", leader.current_term - 1, True, len(leader.log))
    after, _ = step(leader, stale)
    assert after.progress == leader.progress and after.commit_index == 0


# ---- 5.5 Follower and candidate crashes; persistence -----------------------


def test_5_5_restart_keeps_term_vote_and_log_and_forgets_the_rest():
    leader, _ = elect(member("a", servers=("a",)))
    leader, _ = step(leader, ClientRequest("cl", "a", 1, ("set", "x", "1")))
    revived = restart(leader)
    assert (revived.current_term, revived.voted_for, revived.log) == (
        leader.current_term,
        leader.voted_for,
        leader.log,
    )
    assert revived.role is Role.FOLLOWER and revived.commit_index == 0 and revived.machine == ()
    assert revived.config == ("a",)


def test_5_5_handle_is_deterministic():
    state = member("a")
    message = Tick(state.election_timeout)
    assert handle(state, message) == handle(state, message)


def test_5_3_leader_sends_at_most_the_batch_cap_of_entries_per_append_entries():
    leader, sent = elect(member("a", log=config_log(THREE, 1, 1, 1), params=NodeParams(max_entries_per_append=1)))
    leader, sent = step(leader, AppendEntriesResponse("b", "a", 2, False, 0, 2))
    retry = of_type(sent, AppendEntriesRequest)[0]
    assert retry.prev_log_index == 1 and retry.entries == leader.log[1:2]


def test_5_3_leader_pipelines_so_each_write_sends_only_new_entries():
    leader, _ = elect(member("a"))
    leader, first = step(leader, ClientRequest("cl", "a", 1, ("set", "x", "1")))
    leader, second = step(leader, ClientRequest("cl", "a", 2, ("set", "x", "2")))
    to_b = [m for m in of_type(first + second, AppendEntriesRequest) if m.dst == "b"]
    assert [len(m.entries) for m in to_b] == [1, 1]
    assert to_b[1].prev_log_index == to_b[0].prev_log_index + 1
    leader, sent = step(leader, AppendEntriesResponse("b", "a", 2, False, 0, 2))
    resent = of_type(sent, AppendEntriesRequest)[0]
    assert resent.prev_log_index == 1 and len(resent.entries) == 3, "a rejection moves nextIndex back"


def test_a_reused_client_seq_with_another_operation_is_refused_not_dropped():
    """A client that reuses (client, seq) for a different command is told so; the first command stands."""
    leader, _ = elect(member("a", servers=("a",)))
    leader, first = step(leader, ClientRequest("cl", "a", 1, ("set", "x", "1")))
    leader, reused = step(leader, ClientRequest("cl", "a", 1, ("set", "x", "2")))
    assert [r.status for r in of_type(first, ClientResponse)] == ["ok"]
    assert [(r.status, r.result) for r in of_type(reused, ClientResponse)] == [("seq_reused", None)]
    assert dict(leader.machine) == {"x": "1"}
    both_in_log = member("a", servers=("a",), log=leader.log + (Entry(2, ClientCommand("cl", 1, ("set", "x", "3"))),))
    both_in_log, sent = elect(both_in_log)
    assert [r.status for r in of_type(sent, ClientResponse)] == ["ok", "seq_reused"]
    assert dict(both_in_log.machine) == {"x": "1"}, "the second command under the same id is never applied"
