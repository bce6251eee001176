"""The handler hot path: the calls the explorer and the service make millions of times.

Run with `pytest benchmarks/`; compare runs with `--benchmark-compare`.
"""

from msgspec.structs import replace

from raftcheck.core import (
    AppendEntriesRequest,
    AppendEntriesResponse,
    ClientCommand,
    ConfigChange,
    Entry,
    RequestVoteResponse,
    Tick,
    boot,
    handle,
    restart,
    ticks_until_timer,
)

THREE = ("a", "b", "c")
FIVE = ("a", "b", "c", "d", "e")
COMMAND = ClientCommand("client", 1, ("set", "key", "value"))


def member(node_id, servers, commands=5):
    log = (Entry(1, ConfigChange(servers)),) + tuple(Entry(1, COMMAND) for _ in range(commands))
    return restart(replace(boot(node_id), current_term=1, log=log))


def leader_of(servers):
    state = member("a", servers)
    state, _ = handle(state, Tick(ticks_until_timer(state)))
    for voter in servers[1:]:
        state, _ = handle(state, RequestVoteResponse(voter, "a", state.current_term, True))
    return state


def test_follower_heartbeat(benchmark):
    follower, _ = handle(member("b", THREE), AppendEntriesRequest("a", "b", 1, 6, 1, (), 6))
    heartbeat = AppendEntriesRequest("a", "b", 1, 6, 1, (), 6)
    benchmark(handle, follower, heartbeat)


def test_follower_appends_one_entry(benchmark):
    follower, _ = handle(member("b", THREE), AppendEntriesRequest("a", "b", 1, 6, 1, (), 6))
    append = AppendEntriesRequest("a", "b", 1, 6, 1, (Entry(1, COMMAND),), 6)
    state, out = handle(follower, append)
    assert len(state.log) == 7 and out[0].success
    benchmark(handle, follower, append)


def test_leader_ack_advances_commit(benchmark):
    leader = leader_of(THREE)
    ack = AppendEntriesResponse("b", "a", leader.current_term, True, len(leader.log))
    state, out = handle(leader, ack)
    assert state.commit_index == len(leader.log) and out
    benchmark(handle, leader, ack)


def test_idle_tick(benchmark):
    follower = member("b", THREE)
    state, out = handle(follower, Tick())
    assert out == () and state.election_elapsed == 1
    benchmark(handle, follower, Tick())


def test_tick_fires_election_in_five_node_cluster(benchmark):
    follower = member("a", FIVE)
    fire = Tick(ticks_until_timer(follower))
    state, out = handle(follower, fire)
    assert state.role.value == "candidate" and len(out) == 4
    benchmark(handle, follower, fire)
