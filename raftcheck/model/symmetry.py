"""Renaming nodes: the permutations under which a cluster state is the same state.

Nodes that started alike are interchangeable. A renaming maps every node id
inside a node state, message or log entry to another id, and re-sorts the
set-like fields (configurations, votes, leader progress), so that a renamed
state is byte-for-byte what the same execution with the names swapped produces.
"""

from __future__ import annotations

from itertools import permutations, product

from msgspec.structs import replace

from raftcheck.core import AppendEntriesRequest, ConfigChange, Entry, InstallSnapshotRequest, Message, NodeState, Snapshot

Names = dict[str, str]


def rename_entry(entry: Entry, names: Names) -> Entry:
    payload = entry.payload
    if type(payload) is ConfigChange:
        return Entry(entry.term, ConfigChange(tuple(sorted(names.get(s, s) for s in payload.servers))))
    return entry


def rename_snapshot(snapshot: Snapshot | None, names: Names) -> Snapshot | None:
    if snapshot is None:
        return None
    return replace(snapshot, config=tuple(sorted(names.get(s, s) for s in snapshot.config)),
                   removed=tuple(sorted(names.get(s, s) for s in snapshot.removed)))


def rename_message(message: Message, names: Names) -> Message:
    renamed = replace(message, src=names.get(message.src, message.src), dst=names.get(message.dst, message.dst))
    if type(message) is AppendEntriesRequest and message.entries:
        renamed = replace(renamed, entries=tuple(rename_entry(e, names) for e in message.entries))
    elif type(message) is InstallSnapshotRequest:
        renamed = replace(renamed, snapshot=rename_snapshot(message.snapshot, names))
    return renamed


def rename_node(state: NodeState, names: Names) -> NodeState:
    def name(value):
        return names.get(value, value) if value is not None else None

    return replace(
        state,
        id=name(state.id),
        voted_for=name(state.voted_for),
        leader_id=name(state.leader_id),
        config=tuple(sorted(name(s) for s in state.config)),
        votes=tuple(sorted(name(s) for s in state.votes)),
        progress=tuple(sorted((replace(p, peer=name(p.peer)) for p in state.progress), key=lambda p: p.peer)),
        catchup=None if state.catchup is None else replace(state.catchup, server=name(state.catchup.server)),
        pending_changes=tuple(replace(p, server=name(p.server)) for p in state.pending_changes),
        log=tuple(rename_entry(e, names) for e in state.log),
        heard_from=tuple(sorted(name(s) for s in state.heard_from)),
        pre_votes=tuple(sorted(name(s) for s in state.pre_votes)),
        snapshot=rename_snapshot(state.snapshot, names),
    )


def symmetry_group(classes: list[tuple[int, ...]], size: int) -> list[tuple[int, ...]]:
    """Every permutation (old position -> new position) that maps each class onto itself."""
    group = []
    for images in product(*(permutations(cls) for cls in classes)):
        perm = list(range(size))
        for cls, image in zip(classes, images):
            for old, new in zip(cls, image):
                perm[old] = new
        group.append(tuple(perm))
    return group
