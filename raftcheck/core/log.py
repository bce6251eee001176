"""Reading a Raft log: indexes, terms, up-to-dateness and the configuration in it.

Indexes are 1-based as in the paper; index 0 is the empty prefix with term 0.
After compaction a node's `log` holds only the entries after its snapshot
(thesis 5.1), so every absolute index goes through the functions here, which
know the offset.
"""

from __future__ import annotations

from raftcheck.core.messages import ConfigChange, Entry, Snapshot


def snapshot_index(snapshot: Snapshot | None) -> int:
    """The last index a snapshot covers; 0 without one."""
    return snapshot.index if snapshot is not None else 0


def last_index(log: tuple[Entry, ...], snapshot: Snapshot | None) -> int:
    return len(log) + snapshot.index if snapshot is not None else len(log)


def last_term(log: tuple[Entry, ...], snapshot: Snapshot | None = None) -> int:
    if log:
        return log[-1].term
    return snapshot.term if snapshot is not None else 0


def term_at(log: tuple[Entry, ...], index: int, snapshot: Snapshot | None = None) -> int:
    """Term of the entry at `index`; callers ensure snapshot index <= index <= last index."""
    if snapshot is None:
        return log[index - 1].term if index else 0
    offset = index - snapshot.index
    return log[offset - 1].term if offset else snapshot.term


def entries_after(log: tuple[Entry, ...], snapshot: Snapshot | None, index: int, stop: int | None = None) -> tuple[Entry, ...]:
    """The entries at `index` + 1 up to `stop` (inclusive; the end if None); `index` >= the snapshot index."""
    base = snapshot.index if snapshot is not None else 0
    return log[index - base : None if stop is None else stop - base]


def is_up_to_date(last_log_term: int, last_log_index: int, log: tuple[Entry, ...], snapshot: Snapshot | None = None) -> bool:
    """Paper 5.4.1: compare last terms, then lengths."""
    mine = last_term(log, snapshot)
    return last_log_term > mine or (last_log_term == mine and last_log_index >= last_index(log, snapshot))


def latest_config(
    log: tuple[Entry, ...], node_id: str, bootstrap: bool, snapshot: Snapshot | None = None
) -> tuple[tuple[str, ...], int]:
    """The configuration in effect and its index (thesis 4.1: latest in the log, else the snapshot's).

    With no configuration entry yet, a normally booted node is a cluster of
    one and a Bootstrap node is a member of nothing.
    """
    base = snapshot.index if snapshot is not None else 0
    for index in range(len(log), 0, -1):
        payload = log[index - 1].payload
        if type(payload) is ConfigChange:
            return payload.servers, index + base
    if snapshot is not None:
        return snapshot.config, snapshot.config_index
    return ((), 0) if bootstrap else ((node_id,), 0)


def removed_at(log: tuple[Entry, ...], config_index: int, node_id: str, snapshot: Snapshot | None) -> tuple[str, ...]:
    """The servers the configuration entry at `config_index` took out: members of the configuration before it
    that it leaves out. Read from the log, or from the snapshot once that entry is compacted."""
    base = snapshot_index(snapshot)
    if config_index <= 1:
        return ()
    if config_index <= base:
        return snapshot.removed
    previous, _ = latest_config(log[: config_index - 1 - base], node_id, False, snapshot)
    config = log[config_index - 1 - base].payload.servers
    return tuple(server for server in previous if server not in config)


def names_member(log: tuple[Entry, ...], node_id: str, snapshot: Snapshot | None = None) -> bool:
    """Whether any configuration entry in the log, or the snapshot's configuration, includes `node_id`."""
    if snapshot is not None and node_id in snapshot.config:
        return True
    return any(type(e.payload) is ConfigChange and node_id in e.payload.servers for e in log)
