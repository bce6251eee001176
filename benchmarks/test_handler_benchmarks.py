"""The handler hot path: the calls the explorer and the service make millions of times.

Run with `pytest benchmarks/`; compare runs with `--benchmark-compare`. The
same workloads (benchmarks/workloads.py) feed the regression gate.
"""

from raftcheck.core import handle
from workloads import (
    follower_appends_one_entry,
    follower_heartbeat,
    idle_tick,
    leader_ack_advances_commit,
    tick_fires_election_in_five_node_cluster,
)


def test_follower_heartbeat(benchmark):
    _, (follower, heartbeat) = follower_heartbeat()
    state, out = handle(follower, heartbeat)
    assert out[0].success and state.commit_index == 6
    benchmark(handle, follower, heartbeat)


def test_follower_appends_one_entry(benchmark):
    _, (follower, append) = follower_appends_one_entry()
    state, out = handle(follower, append)
    assert len(state.log) == 7 and out[0].success
    benchmark(handle, follower, append)


def test_leader_ack_advances_commit(benchmark):
    _, (leader, ack) = leader_ack_advances_commit()
    state, out = handle(leader, ack)
    assert state.commit_index == len(leader.log) and out
    benchmark(handle, leader, ack)


def test_idle_tick(benchmark):
    _, (follower, tick) = idle_tick()
    state, out = handle(follower, tick)
    assert out == () and state.election_elapsed == 1
    benchmark(handle, follower, tick)


def test_tick_fires_election_in_five_node_cluster(benchmark):
    _, (follower, fire) = tick_fires_election_in_five_node_cluster()
    state, out = handle(follower, fire)
    assert state.role.value == "candidate" and len(out) == 4
    benchmark(handle, follower, fire)
