"""Shipping worlds between processes that intern independently.

A world is a tuple of one process's interned ids, meaningless in another. A
shipped world keeps the sender's ids; each node state, message and entry is
sent to a peer once, the first time a shipped world uses it, and the receiver
maps the sender's ids to its own. Steady state, a world costs a few ints.
"""

from __future__ import annotations

from raftcheck.model.cluster import World
from raftcheck.model.universe import Universe

# (fingerprint, parent fingerprint, world) as the search routes them
Item = tuple[int, int, World]


class WorldCodec:
    """One process's end of every link: what it has sent to each peer, and each peer's ids in its own."""

    def __init__(self, universe: Universe) -> None:
        self._universe = universe
        self._sent: dict[int, tuple[set[int], set[int], set[int]]] = {}
        self._ids: dict[int, tuple[dict[int, int], dict[int, int], dict[int, int]]] = {}

    def pack(self, peer: int, items: list[Item]) -> tuple:
        """`items` for `peer`: the worlds as sent, with the objects the peer has not seen yet."""
        u = self._universe
        sent_nodes, sent_messages, sent_entries = self._sent.setdefault(peer, (set(), set(), set()))
        nodes, messages, entries = [], [], []
        for _, _, world in items:
            for node in world.nodes:
                if node not in sent_nodes:
                    sent_nodes.add(node)
                    nodes.append((node, u.node_states[node]))
            for message in world.network:
                if message not in sent_messages:
                    sent_messages.add(message)
                    messages.append((message, u.messages[message]))
            for entry in world.committed:
                if entry not in sent_entries:
                    sent_entries.add(entry)
                    entries.append((entry, u.entries[entry]))
        return nodes, messages, entries, [(fp, parent, tuple(world)) for fp, parent, world in items]

    def unpack(self, peer: int, packed: tuple) -> list[Item]:
        """What `pack` made in `peer`, as worlds of this process's ids."""
        u = self._universe
        node_ids, message_ids, entry_ids = self._ids.setdefault(peer, ({}, {}, {}))
        nodes, messages, entries, items = packed
        for remote, entry in entries:
            entry_ids[remote] = u.entry(entry)
        for remote, message in messages:
            message_ids[remote] = u.message(message)
        for remote, state in nodes:
            node_ids[remote] = u.node(state)
        node_of, message_of, entry_of = node_ids.__getitem__, message_ids.__getitem__, entry_ids.__getitem__
        return [
            (fp, parent, World(
                tuple(map(node_of, nodes)),
                tuple(sorted(map(message_of, network))),
                used, elected,
                tuple(map(entry_of, committed)),
                terms,
            ))
            for fp, parent, (nodes, network, used, elected, committed, terms) in items
        ]
