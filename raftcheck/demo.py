"""A short deterministic demo: a 3-node cluster built one server at a time, then replicating."""

from __future__ import annotations

from raftcheck.core import AddServerRequest, ClientRequest
from raftcheck.simulation import SimulatedCluster

CLIENT = "client"


def build_and_replicate(seed: int = 7, loss: float = 0.1) -> SimulatedCluster:
    """Boot n1, add n2 and n3 through Bootstrap + AddServer, write and read a key."""
    cluster = SimulatedCluster(seed=seed, loss=loss)
    cluster.start("n1")
    cluster.run_until(lambda c: c.leader() == "n1")
    for server in ("n2", "n3"):
        cluster.start(server, bootstrap=True)
        cluster.call(lambda target, s=server: AddServerRequest(CLIENT, target, s))
    cluster.call(lambda target: ClientRequest(CLIENT, target, 1, ("set", "x", "42")))
    cluster.call(lambda target: ClientRequest(CLIENT, target, 2, ("get", "x")))
    cluster.run_until(lambda c: all(s.commit_index == len(s.log) for s in c.nodes.values()))
    return cluster


def render_timeline(cluster: SimulatedCluster) -> str:
    lines = [f"t={event.time:<4} {event.node:<4} {event.text}" for event in cluster.events]
    machines = {node: dict(state.machine) for node, state in sorted(cluster.nodes.items())}
    lines.append(f"final key-value state on every node: {machines}")
    return "\n".join(lines)
