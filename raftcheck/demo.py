"""A short deterministic demo: a 3-node cluster built one server at a time, then replicating."""

from __future__ import annotations

from raftcheck.simulation import SimulatedCluster

CLIENT = "client"


def build_and_replicate(seed: int = 7, loss: float = 0.1) -> SimulatedCluster:
    """Boot n1, add n2 and n3 through Bootstrap + AddServer, write and read a key."""
    cluster = SimulatedCluster(seed=seed, loss=loss)
    cluster.start("n1")
    cluster.run_until(lambda c: c.leader() == "n1")
    for server in ("n2", "n3"):
        cluster.start(server, bootstrap=True)
        _until_ok(cluster, lambda c, s=server: c.add_server(CLIENT, c.leader() or "n1", s))
    _until_ok(cluster, lambda c: c.client_request(CLIENT, c.leader() or "n1", 1, "set", "x", "42"))
    _until_ok(cluster, lambda c: c.client_request(CLIENT, c.leader() or "n1", 2, "get", "x"))
    cluster.run_until(lambda c: all(s.commit_index == len(s.log) for s in c.nodes.values()))
    return cluster


def _until_ok(cluster: SimulatedCluster, send, attempts: int = 10, patience: int = 40) -> None:
    """Send a request, retrying with the same id until an "ok" reply arrives."""
    for _ in range(attempts):
        seen = len(cluster.client_inbox)
        send(cluster)
        try:
            cluster.run_until(lambda c: any(m.status == "ok" for m in c.client_inbox[seen:]), patience)
            return
        except TimeoutError:
            continue
    raise TimeoutError("the request never succeeded")


def render_timeline(cluster: SimulatedCluster) -> str:
    lines = [f"t={event.time:<4} {event.node:<4} {event.text}" for event in cluster.events]
    machines = {node: dict(state.machine) for node, state in sorted(cluster.nodes.items())}
    lines.append(f"final key-value state on every node: {machines}")
    return "\n".join(lines)
