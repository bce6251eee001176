"""One test per membership rule of Ongaro's thesis (chapter 4) and the Bootstrap role."""

from msgspec.structs import replace

from helpers import THREE, ack, config_log, elect, fire_timer, member, of_type, step
from raftcheck.core import (
    AddServerRequest,
    AddServerResponse,
    AppendEntriesRequest,
    AppendEntriesResponse,
    ClientRequest,
    ClientResponse,
    ConfigChange,
    Entry,
    Features,
    NodeParams,
    Noop,
    RemoveServerRequest,
    RemoveServerResponse,
    RequestVoteRequest,
    RequestVoteResponse,
    Role,
    Status,
    Tick,
    TimeoutNow,
    boot,
    restart,
    ticks_until_timer,
)
from raftcheck.simulation import SimulatedCluster


def committed_leader(servers=THREE):
    """A leader of term 2 that has committed its no-op, so it may change membership."""
    leader, _ = elect(member("a", servers=servers))
    for peer in servers[1:]:
        leader, _ = step(leader, ack(leader, peer))
    assert leader.commit_index == len(leader.log)
    return leader


def test_4_4_first_server_forms_a_cluster_of_one_and_writes_its_configuration():
    state, _ = fire_timer(boot("a"))
    assert state.role is Role.LEADER
    assert state.log == (Entry(1, ConfigChange(("a",))), Entry(1, Noop()))
    assert state.commit_index == 2


def test_bootstrap_node_never_campaigns_and_is_not_a_member():
    state = boot("n2", bootstrap=True)
    assert state.role is Role.BOOTSTRAP and state.config == ()
    assert ticks_until_timer(state) is None
    state, sent = step(state, Tick(1000))
    assert state.role is Role.BOOTSTRAP and sent == []


def test_bootstrap_node_never_grants_a_vote():
    state = boot("n2", bootstrap=True)
    state, sent = step(state, RequestVoteRequest("a", "n2", 3, 5, 3))
    assert sent[0].vote_granted is False and state.voted_for is None
    assert state.current_term == 3 and state.role is Role.BOOTSTRAP


def test_bootstrap_node_becomes_follower_when_a_configuration_naming_it_arrives():
    state = boot("n2", bootstrap=True)
    only_leader = config_log(("a",))
    state, _ = step(state, AppendEntriesRequest("a", "n2", 1, 0, 0, only_leader, 1))
    assert state.role is Role.BOOTSTRAP
    with_n2 = (Entry(1, ConfigChange(("a", "n2"))),)
    state, _ = step(state, AppendEntriesRequest("a", "n2", 1, 1, 1, with_n2, 1))
    assert state.role is Role.FOLLOWER and state.config == ("a", "n2")
    assert restart(state).role is Role.FOLLOWER
    assert restart(boot("n2", bootstrap=True)).role is Role.BOOTSTRAP


def test_4_1_configuration_takes_effect_on_append_and_rolls_back_on_truncation():
    state = member("b", log=config_log(THREE, 1))
    four = (Entry(1, ConfigChange(THREE + ("d",))),)
    state, _ = step(state, AppendEntriesRequest("a", "b", 1, 2, 1, four, 0))
    assert state.config == THREE + ("d",) and state.config_index == 3
    state, _ = step(state, AppendEntriesRequest("c", "b", 2, 2, 1, (Entry(2, Noop()),), 0))
    assert state.config == THREE and state.config_index == 1


def test_4_2_1_add_server_catches_up_the_new_server_before_changing_configuration():
    leader = committed_leader()
    leader, sent = step(leader, AddServerRequest("admin", "a", "d"))
    assert leader.config == THREE and leader.catchup.server == "d"
    assert [m.dst for m in of_type(sent, AppendEntriesRequest)] == ["d"]
    leader, sent = step(leader, ack(leader, "d"))
    assert leader.config == THREE + ("d",) and leader.catchup is None
    assert sorted(m.dst for m in of_type(sent, AppendEntriesRequest)) == ["b", "c", "d"]
    assert of_type(sent, AddServerResponse) == []
    leader, sent = step(leader, ack(leader, "b"), ack(leader, "c"))
    assert of_type(sent, AddServerResponse) == [AddServerResponse("a", "admin", "d", Status.OK, "a")]


def test_4_2_1_catch_up_runs_further_rounds_while_the_log_grows():
    leader = committed_leader()
    leader, _ = step(leader, AddServerRequest("admin", "a", "d"))
    first_target = leader.catchup.round_target
    leader, _ = step(leader, ClientRequest("cl", "a", 1, ("set", "x", "1")))
    leader, _ = step(leader, ack(leader, "d", first_target))
    assert leader.catchup.round == 2 and leader.catchup.round_target == len(leader.log)
    leader, _ = step(leader, ack(leader, "d"))
    assert "d" in leader.config


def test_4_2_1_add_server_fails_with_timeout_when_a_round_outlasts_an_election_timeout():
    leader = committed_leader()
    leader, _ = step(leader, AddServerRequest("admin", "a", "d"))
    leader, sent = step(leader, Tick(leader.params.election_timeout_low + 1))
    assert of_type(sent, AddServerResponse) == [AddServerResponse("a", "admin", "d", Status.TIMEOUT, "a")]
    assert leader.catchup is None and leader.config == THREE


def test_4_2_1_catch_up_is_bounded_in_rounds():
    leader = committed_leader()
    leader = replace(leader, params=replace(leader.params, catchup_rounds=2))
    leader, _ = step(leader, AddServerRequest("admin", "a", "d"))
    for seq in (1, 2):
        target = leader.catchup.round_target
        leader, _ = step(leader, ClientRequest("cl", "a", seq, ("set", "x", str(seq))))
        leader, _ = step(leader, ack(leader, "d", target))
    assert "d" in leader.config, "after the last round the server is added even if the log grew"


def test_4_3_remove_server_appends_configuration_and_answers_when_committed():
    leader = committed_leader()
    leader, _ = step(leader, RemoveServerRequest("admin", "a", "c"))
    assert leader.config == ("a", "b")
    leader, sent = step(leader, ack(leader, "b"))
    assert of_type(sent, RemoveServerResponse) == [RemoveServerResponse("a", "admin", "c", Status.OK, "a")]


def test_4_2_2_removed_leader_steps_down_once_the_entry_commits():
    leader = committed_leader()
    leader, _ = step(leader, RemoveServerRequest("admin", "a", "a"))
    assert leader.role is Role.LEADER and leader.config == ("b", "c")
    leader, _ = step(leader, ack(leader, "b"))
    assert leader.role is Role.LEADER, "its own copy does not count toward the new majority"
    leader, _ = step(leader, ack(leader, "c"))
    assert leader.role is Role.FOLLOWER and leader.commit_index == len(leader.log)
    assert ticks_until_timer(leader) is None, "a removed server does not campaign"


def test_4_1_leader_refuses_a_change_while_the_previous_one_is_uncommitted():
    leader = committed_leader()
    leader, _ = step(leader, RemoveServerRequest("admin", "a", "c"))
    _, sent = step(leader, RemoveServerRequest("admin", "a", "b"))
    assert sent[0].status == Status.CHANGE_IN_PROGRESS
    _, sent = step(leader, AddServerRequest("admin", "a", "d"))
    assert sent[0].status == Status.CHANGE_IN_PROGRESS


def test_4_1_leader_refuses_a_change_until_it_commits_an_entry_of_its_term_2015_fix():
    follower, _ = step(member("a"), AppendEntriesRequest("b", "a", 1, 1, 1, (), 1))
    leader, _ = elect(follower)
    assert leader.config_index <= leader.commit_index < len(leader.log)
    leader, sent = step(leader, AddServerRequest("admin", "a", "d"))
    assert sent == [AddServerResponse("a", "admin", "d", Status.LEADER_NOT_READY, "a")]
    leader, sent = step(leader, ack(leader, "b"), AddServerRequest("admin", "a", "d"))
    assert leader.catchup is not None


def test_membership_requests_get_clear_statuses():
    leader = committed_leader()
    assert step(leader, AddServerRequest("x", "a", "b"))[1][0].status == Status.ALREADY_MEMBER
    assert step(leader, RemoveServerRequest("x", "a", "z"))[1][0].status == Status.NOT_MEMBER
    follower, _ = step(member("b"), AppendEntriesRequest("a", "b", 1, 1, 1, (), 0))
    assert step(follower, AddServerRequest("x", "b", "d"))[1] == [
        AddServerResponse("b", "x", "d", Status.NOT_LEADER, "a")
    ]
    assert step(follower, RemoveServerRequest("x", "b", "c"))[1][0].status == Status.NOT_LEADER
    alone, _ = fire_timer(boot("a"))
    assert step(alone, RemoveServerRequest("x", "a", "a"))[1][0].status == Status.LAST_SERVER
    leader, _ = step(leader, AddServerRequest("admin", "a", "d"))
    assert step(leader, AddServerRequest("x", "a", "e"))[1][0].status == Status.CHANGE_IN_PROGRESS


def built_cluster(features: Features, seed: int) -> SimulatedCluster:
    """n1 elects itself, then adds n2 and n3, which boot in Bootstrap mode."""
    cluster = SimulatedCluster(params=NodeParams(features=features), seed=seed)
    cluster.start("n1")
    cluster.start("n2", bootstrap=True)
    cluster.start("n3", bootstrap=True)
    cluster.run_until(lambda c: c.leader() == "n1")
    for server in ("n2", "n3"):
        cluster.call(lambda target, server=server: AddServerRequest("admin", target, server))
    return cluster


def removal_run(notify: bool, rounds: int = 500, **features: bool):
    """Build n1..n3 through Bootstrap, remove n2, then let the cluster run with no faults."""
    cluster = built_cluster(Features(notify_removed_servers=notify, **features), seed=1)
    cluster.call(lambda target: RemoveServerRequest("admin", target, "n2"))
    term = cluster.nodes["n1"].current_term
    for _ in range(rounds):
        cluster.run_round()
    return term, cluster


def test_a_removed_server_that_learns_it_is_out_stops_campaigning():
    """Feature notify_removed_servers: the leader sends the removing entry to the removed server until it has it."""
    term, cluster = removal_run(notify=True)
    assert cluster.nodes["n2"].config == ("n1", "n3")
    assert max(node.current_term for node in cluster.nodes.values()) == term, "no election after the removal"


def test_without_the_notice_a_removed_server_disrupts_the_cluster_forever():
    term, cluster = removal_run(notify=False)
    assert cluster.nodes["n2"].config == ("n1", "n2", "n3"), "it never learns"
    assert cluster.nodes["n1"].current_term > term + 10, "it times out again and again, deposing leaders"


def test_thesis_4_2_3_a_removed_server_cannot_depose_a_leader_the_others_hear_from():
    """Feature ignore_disruptive_votes: votes that arrive within the minimum election timeout of
    hearing from the leader are ignored, so the removed server campaigns alone."""
    term, cluster = removal_run(notify=False, ignore_disruptive_votes=True)
    assert cluster.nodes["n2"].current_term > term + 10, "it still times out, never hearing that it is out"
    assert cluster.nodes["n1"].current_term == cluster.nodes["n3"].current_term == term
    assert cluster.leader() == "n1"


def test_thesis_4_2_3_the_lease_ends_and_a_dead_leader_is_replaced():
    cluster = built_cluster(Features(ignore_disruptive_votes=True), seed=2)
    cluster.crash("n1")
    cluster.run_until(lambda c: c.leader() in ("n2", "n3"), max_rounds=300)


def test_thesis_4_2_3_a_follower_that_just_heard_from_the_leader_ignores_a_vote_request():
    params = NodeParams(features=Features(ignore_disruptive_votes=True))
    follower, _ = step(member("b", params=params), AppendEntriesRequest("a", "b", 1, 1, 1, (), 1))
    request = RequestVoteRequest("c", "b", 5, 9, 9)
    ignored, out = step(follower, request)
    assert out == [] and ignored.current_term == 1 and ignored.voted_for is None
    later, _ = step(follower, Tick(params.election_timeout_low))
    granted, out = step(later, request)
    assert granted.current_term == 5 and out[0].vote_granted


def test_check_quorum_a_leader_cut_off_from_its_majority_steps_down():
    """Feature check_quorum (etcd's CheckQuorum): no majority heard within an election timeout: step down."""
    params = NodeParams(features=Features(check_quorum=True))
    leader, _ = elect(member("a", params=params))
    assert leader.role is Role.LEADER
    kept, _ = step(leader, AppendEntriesResponse("b", "a", leader.current_term, True, len(leader.log)),
                   Tick(params.election_timeout_low))
    assert kept.role is Role.LEADER, "b and a are a majority of three"
    alone, _ = step(kept, Tick(params.election_timeout_low))
    assert alone.role is Role.FOLLOWER and alone.leader_id is None, "nobody spoke to it in the next period"
    without, _ = step(elect(member("a"))[0], Tick(params.election_timeout_low), Tick(params.election_timeout_low))
    assert without.role is Role.LEADER, "without the feature it leads on, alone"


def test_pre_vote_a_removed_server_never_raises_its_term():
    """Feature pre_vote (thesis 9.6): the removed server asks first, hears no, and starts no election."""
    term, cluster = removal_run(notify=False, pre_vote=True)
    assert cluster.nodes["n2"].config == ("n1", "n2", "n3"), "it never learns it is out"
    assert {node.current_term for node in cluster.nodes.values()} == {term}
    assert cluster.leader() == "n1"


def test_pre_vote_asks_for_the_next_term_without_anyone_taking_it():
    params = NodeParams(features=Features(pre_vote=True))
    asking, sent = fire_timer(member("a", params=params))
    requests = of_type(sent, RequestVoteRequest)
    assert asking.current_term == 1 and asking.role is Role.FOLLOWER and asking.pre_votes == ("a",)
    assert {(r.dst, r.term, r.pre_vote) for r in requests} == {("b", 2, True), ("c", 2, True)}
    voter, answer = step(member("b", params=params), requests[0])
    assert voter.current_term == 1 and voter.voted_for is None
    assert answer == [RequestVoteResponse("b", "a", 2, True, True)]
    candidate, sent = step(asking, answer[0])
    assert candidate.role is Role.CANDIDATE and candidate.current_term == 2 and candidate.pre_votes == ()
    assert all(not r.pre_vote and r.term == 2 for r in of_type(sent, RequestVoteRequest))


def test_pre_vote_is_refused_to_a_stale_log_and_by_a_server_that_hears_from_a_leader():
    params = NodeParams(features=Features(pre_vote=True))
    stale = RequestVoteRequest("c", "b", 2, 0, 0, True)
    _, answer = step(member("b", params=params), stale)
    assert answer == [RequestVoteResponse("b", "c", 1, False, True)]
    follower, _ = step(member("b", params=params), AppendEntriesRequest("a", "b", 1, 1, 1, (), 1))
    _, answer = step(follower, replace(stale, last_log_index=1, last_log_term=1))
    assert not answer[0].vote_granted, "it heard from leader a within the minimum election timeout"
    asking, _ = fire_timer(member("c", params=params))
    higher, _ = step(asking, RequestVoteResponse("b", "c", 7, False, True))
    assert higher.current_term == 7 and higher.pre_votes == (), "a refusal from a higher term is adopted"


def rounds_without_a_leader_after_the_leader_removes_itself(**features: bool) -> int:
    cluster = built_cluster(Features(notify_removed_servers=True, ignore_disruptive_votes=True, pre_vote=True,
                                     **features), seed=3)
    cluster.call(lambda target: RemoveServerRequest("admin", target, "n1"))
    cluster.run_until(lambda c: c.nodes["n1"].role is not Role.LEADER, max_rounds=100)
    rounds = 0
    while cluster.leader() not in ("n2", "n3"):
        cluster.run_round()
        rounds += 1
        assert rounds < 500, "no leader after the removed leader stepped down"
    return rounds


def test_leadership_transfer_hands_over_when_the_leader_removes_itself():
    """Feature leadership_transfer (thesis 3.10): TimeoutNow to the most up-to-date member, which is elected at once,
    though leases and PreVote are on; without it the cluster waits out an election timeout."""
    handed_over = rounds_without_a_leader_after_the_leader_removes_itself(leadership_transfer=True)
    waited = rounds_without_a_leader_after_the_leader_removes_itself()
    assert handed_over <= 3 < waited, (handed_over, waited)


def test_a_leader_that_removes_itself_hands_over_only_to_a_member_with_its_whole_log():
    """Thesis 3.10: the leader brings the target up to date first, and takes no new command meanwhile. Handing over
    to the member with the highest matchIndex, even one lacking an entry another member holds, stalls: the
    liveness spec liveness_removed_leader_hands_over found that."""
    leader = committed_leader()
    leader = replace(leader, params=replace(leader.params, features=Features(leadership_transfer=True)))
    leader, _ = step(leader, RemoveServerRequest("admin", "a", "a"), ClientRequest("cl", "a", 1, ("set", "x", "1")))
    removal = leader.config_index
    leader, sent = step(leader, ack(leader, "b", removal), ack(leader, "c", removal))
    assert leader.commit_index == removal and leader.role is Role.LEADER and not of_type(sent, TimeoutNow)
    leader, sent = step(leader, ClientRequest("cl", "a", 2, ("set", "x", "2")))
    assert of_type(sent, ClientResponse)[0].status is Status.NOT_LEADER and len(leader.log) == removal + 1
    leader, sent = step(leader, ack(leader, "c"))
    assert leader.role is Role.FOLLOWER and of_type(sent, TimeoutNow) == [TimeoutNow("a", "c", leader.current_term)]


def test_timeout_now_is_obeyed_only_from_the_current_leader_in_its_term():
    params = NodeParams(features=Features(leadership_transfer=True, ignore_disruptive_votes=True))
    follower, _ = step(member("b", params=params), AppendEntriesRequest("a", "b", 1, 1, 1, (), 1))
    for forged in (TimeoutNow("c", "b", 1), TimeoutNow("a", "b", 0)):
        assert step(follower, forged)[0] == follower
    candidate, sent = step(follower, TimeoutNow("a", "b", 1))
    assert candidate.role is Role.CANDIDATE and candidate.current_term == 2
    request = next(r for r in of_type(sent, RequestVoteRequest) if r.dst == "c")
    assert request.transfer
    voter, _ = step(member("c", params=params), AppendEntriesRequest("a", "c", 1, 1, 1, (), 1))
    _, answer = step(voter, request)
    assert answer[0].vote_granted, "a lease does not hold up a handed-over election"


def test_4_2_1_a_long_first_round_that_makes_progress_is_not_cut_short():
    """Only the last round is timed (thesis 4.2.1): shipping a long log may take several election timeouts."""
    leader = committed_leader()
    for seq in (1, 2, 3):
        leader, _ = step(leader, ClientRequest("cl", "a", seq, ("set", "x", str(seq))), ack(leader, "b"))
    leader, _ = step(leader, AddServerRequest("admin", "a", "d"))
    timeout = leader.params.election_timeout_low
    for match in range(1, leader.catchup.round_target + 1):
        leader, sent = step(leader, Tick(timeout - 1), ack(leader, "d", match))
        assert not of_type(sent, AddServerResponse), f"aborted after {match} entries"
    assert leader.catchup.round == 2, "the slow round caught up, but a quick round must follow"
    leader, sent = step(leader, ack(leader, "d"))
    assert "d" in leader.config


def test_4_2_1_add_server_fails_when_the_last_round_outlasts_an_election_timeout():
    leader = committed_leader()
    leader = replace(leader, params=replace(leader.params, catchup_rounds=1))
    leader, _ = step(leader, AddServerRequest("admin", "a", "d"))
    timeout = leader.params.election_timeout_low
    target = leader.catchup.round_target
    assert target >= 2
    leader, _ = step(leader, Tick(timeout - 1), ack(leader, "d", 1), Tick(timeout - 1))
    assert leader.catchup is not None, "it made progress, so it is not unavailable"
    leader, sent = step(leader, ack(leader, "d", target))
    assert of_type(sent, AddServerResponse) == [AddServerResponse("a", "admin", "d", Status.TIMEOUT, "a")]
    assert leader.catchup is None and "d" not in leader.config
