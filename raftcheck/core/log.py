"""Reading a Raft log: indexes, terms, up-to-dateness and the configuration in it.

Indexes are 1-based as in the paper; index 0 is the empty prefix with term 0.
"""

from __future__ import annotations

from raftcheck.core.messages import ConfigChange, Entry


def last_term(log: tuple[Entry, ...]) -> int:
    return log[-1].term if log else 0


def term_at(log: tuple[Entry, ...], index: int) -> int:
    """Term of the entry at `index`; callers ensure 0 <= index <= len(log)."""
    return log[index - 1].term if index else 0


def is_up_to_date(last_log_term: int, last_log_index: int, log: tuple[Entry, ...]) -> bool:
    """Paper 5.4.1: compare last terms, then lengths."""
    mine = last_term(log)
    return last_log_term > mine or (last_log_term == mine and last_log_index >= len(log))


def latest_config(log: tuple[Entry, ...], node_id: str, bootstrap: bool) -> tuple[tuple[str, ...], int]:
    """The configuration in effect and its index (thesis 4.1: latest in the log).

    With no configuration entry yet, a normally booted node is a cluster of
    one and a Bootstrap node is a member of nothing.
    """
    for index in range(len(log), 0, -1):
        payload = log[index - 1].payload
        if type(payload) is ConfigChange:
            return payload.servers, index
    return ((), 0) if bootstrap else ((node_id,), 0)


def names_member(log: tuple[Entry, ...], node_id: str) -> bool:
    """Whether any configuration entry in the log includes `node_id`."""
    return any(type(e.payload) is ConfigChange and node_id in e.payload.servers for e in log)
