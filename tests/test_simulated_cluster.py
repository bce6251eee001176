"""A cluster built one server at a time, serving clients through loss and restarts.

Messages are delivered in a seeded random order with 10% loss; a follower and
then the leader crash and restart from their durable state.
"""

import pytest

from raftcheck.core import AddServerRequest, ClientRequest, Role
from raftcheck.demo import build_and_replicate, render_timeline
from raftcheck.simulation import SimulatedCluster


def write(cluster, seq, key, value):
    return cluster.call(lambda target: ClientRequest("cl", target, seq, ("set", key, value)))


def read(cluster, seq, key):
    return cluster.call(lambda target: ClientRequest("cl", target, seq, ("get", key))).result


def all_caught_up(cluster):
    live = [s for n, s in cluster.nodes.items() if n not in cluster.down]
    return len({(s.commit_index, len(s.log)) for s in live}) == 1 and all(s.commit_index == len(s.log) for s in live)


@pytest.mark.parametrize("seed", range(6))
def test_cluster_built_through_bootstrap_survives_follower_and_leader_restarts(seed):
    cluster = SimulatedCluster(seed=seed, loss=0.1)
    cluster.start("n1")
    cluster.run_until(lambda c: c.leader() == "n1")
    for server in ("n2", "n3"):
        cluster.start(server, bootstrap=True)
        cluster.call(lambda target, s=server: AddServerRequest("admin", target, s))
    cluster.run_until(lambda c: all(s.config == ("n1", "n2", "n3") for s in c.nodes.values()), max_rounds=100)
    assert all(s.role is not Role.BOOTSTRAP for s in cluster.nodes.values())

    acknowledged = {}
    seq = 0

    def put(key, value):
        nonlocal seq
        seq += 1
        assert write(cluster, seq, key, value).result == value
        acknowledged[key] = value

    put("a", "1")
    follower = next(n for n in sorted(cluster.nodes) if n != cluster.leader())
    cluster.crash(follower)
    put("b", "2")
    cluster.recover(follower)
    put("c", "3")

    old_leader = cluster.leader()
    cluster.crash(old_leader)
    cluster.run_until(lambda c: c.leader() not in (None, old_leader))
    put("d", "4")
    cluster.recover(old_leader)
    put("a", "5")

    for key, value in sorted(acknowledged.items()):
        seq += 1
        assert read(cluster, seq, key) == value

    cluster.run_until(all_caught_up, max_rounds=300)
    machines = {node: dict(state.machine) for node, state in cluster.nodes.items()}
    assert all(machine == acknowledged for machine in machines.values()), machines
    assert all(len(leaders) == 1 for leaders in cluster.leaders_by_term.values()), cluster.leaders_by_term
    assert len(cluster.leaders_by_term) >= 2, "the leader's crash forced a new election"
    logs = {state.log for state in cluster.nodes.values()}
    assert len(logs) == 1


def test_demo_timeline_shows_the_cluster_being_built_and_agreeing():
    cluster = build_and_replicate()
    timeline = render_timeline(cluster)
    assert "n2   bootstrap -> follower" in timeline
    assert "n3   bootstrap -> follower" in timeline
    assert "ClientResponse seq=1 status=ok result=42" in timeline
    assert {node: dict(s.machine) for node, s in cluster.nodes.items()} == {n: {"x": "42"} for n in ("n1", "n2", "n3")}
    assert build_and_replicate().events == cluster.events
