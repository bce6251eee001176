"""Durable Raft state in SQLite: current term, vote, log and snapshot, written before messages leave.

WAL mode with synchronous=FULL: a committed transaction has been fsynced. Every
change of the durable state is one transaction, and the node sends nothing
that depends on it until `save` returns. Log rows keep their absolute index;
the rows a snapshot covers are deleted in the transaction that stores it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import msgspec

from raftcheck.core import Entry, Payload, Snapshot

SCHEMA_VERSION = "2"

_encode = msgspec.json.Encoder().encode
_decode_payload = msgspec.json.Decoder(Payload).decode
_decode_snapshot = msgspec.json.Decoder(Snapshot).decode

Durable = tuple[int, str | None, tuple[Entry, ...], Snapshot | None]


class StorageError(Exception):
    """The data directory cannot be used: the node must not start, or must stop."""


class DurableStore:
    def __init__(self, directory: Path, node_id: str, bootstrap: bool, cluster: str = "default") -> None:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "raft.sqlite3"
        try:
            self._db = sqlite3.connect(path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            self._db.execute("CREATE TABLE IF NOT EXISTS log (idx INTEGER PRIMARY KEY, term INTEGER NOT NULL, payload BLOB NOT NULL)")
            self._db.execute("CREATE TABLE IF NOT EXISTS snapshot (one INTEGER PRIMARY KEY CHECK (one = 1), body BLOB NOT NULL)")
            self._check_identity(node_id, bootstrap, cluster)
        except sqlite3.DatabaseError as error:
            raise StorageError(f"{path}: unreadable Raft state ({error}); refusing to start") from None

    def _check_identity(self, node_id: str, bootstrap: bool, cluster: str) -> None:
        meta = dict(self._db.execute("SELECT key, value FROM meta"))
        if not meta:
            with self._transaction():
                self._db.executemany(
                    "INSERT INTO meta VALUES (?, ?)",
                    [("schema", SCHEMA_VERSION), ("node", node_id), ("bootstrap", str(int(bootstrap))),
                     ("cluster", cluster),
                     ("term", "0"), ("voted_for", "")],
                )
            return
        if meta.get("schema") != SCHEMA_VERSION:
            raise StorageError(f"data was written by schema {meta.get('schema')!r}, expected {SCHEMA_VERSION}")
        if meta.get("cluster") != cluster:
            raise StorageError(f"this data directory belongs to cluster {meta.get('cluster')!r}, not {cluster!r}")
        if meta.get("node") != node_id:
            raise StorageError(f"this data directory belongs to node {meta.get('node')}, not {node_id}")
        if meta.get("bootstrap") != str(int(bootstrap)):
            flag = "with" if meta.get("bootstrap") == "1" else "without"
            raise StorageError(f"this node was first started {flag} --bootstrap; start it the same way")

    def load(self) -> Durable:
        """Read back term, vote, log and snapshot; any inconsistency is a StorageError.
        """
        try:
            meta = dict(self._db.execute("SELECT key, value FROM meta"))
            term = int(meta["term"])
            voted_for = meta["voted_for"] or None
            stored = self._db.execute("SELECT body FROM snapshot").fetchone()
            snapshot = _decode_snapshot(stored[0]) if stored else None
            base = snapshot.index if snapshot else 0
            rows = self._db.execute("SELECT idx, term, payload FROM log ORDER BY idx").fetchall()
            log = []
            for expected, (index, entry_term, payload) in enumerate(rows, base + 1):
                if index != expected:
                    raise StorageError(f"log entry {expected} is missing")
                log.append(Entry(entry_term, _decode_payload(payload)))
        except (KeyError, ValueError, msgspec.DecodeError, sqlite3.DatabaseError) as error:
            raise StorageError(f"corrupt Raft state: {error}; refusing to start") from None
        terms = ([snapshot.term] if snapshot else []) + [entry.term for entry in log]
        if any(a > b for a, b in zip(terms, terms[1:])) or (terms and terms[-1] > term):
            raise StorageError("corrupt Raft state: log terms out of order; refusing to start")
        return term, voted_for, tuple(log), snapshot

    def save(self, old: Durable, new: Durable) -> None:
        """Write what changed between two durable states, in one fsynced transaction."""
        if new is old or new == old:
            return
        try:
            self._write(old, new)
        except sqlite3.Error as error:
            raise StorageError(f"cannot write Raft state to disk: {error}") from None

    def _write(self, old: Durable, new: Durable) -> None:
        (old_term, old_vote, old_log, old_snapshot), (term, voted_for, log, snapshot) = old, new
        with self._transaction():
            if (term, voted_for) != (old_term, old_vote):
                self._db.execute("UPDATE meta SET value = ? WHERE key = 'term'", (str(term),))
                self._db.execute("UPDATE meta SET value = ? WHERE key = 'voted_for'", (voted_for or "",))
            base = snapshot.index if snapshot else 0
            if snapshot is not old_snapshot:
                # A snapshot only moves forward: compaction, or a leader's snapshot installed.
                self._db.execute("INSERT OR REPLACE INTO snapshot VALUES (1, ?)", (_encode(snapshot),))
                self._db.execute("DELETE FROM log WHERE idx <= ?", (base,))
                old_log = old_log[base - (old_snapshot.index if old_snapshot else 0) :]
            if log is not old_log:
                keep = _common_prefix(old_log, log)
                if keep < len(old_log):
                    self._db.execute("DELETE FROM log WHERE idx > ?", (base + keep,))
                self._db.executemany(
                    "INSERT INTO log VALUES (?, ?, ?)",
                    [(index, e.term, _encode(e.payload)) for index, e in enumerate(log[keep:], base + keep + 1)],
                )

    def close(self) -> None:
        self._db.close()

    def _transaction(self):
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind, value, traceback) -> None:
        self._db.execute("COMMIT" if kind is None else "ROLLBACK")


def _common_prefix(old: tuple[Entry, ...], new: tuple[Entry, ...]) -> int:
    """How many leading entries the logs share. The core builds a longer log by
    concatenation, so an append keeps the very object of the old last entry."""
    if len(new) >= len(old) and (not old or new[len(old) - 1] is old[-1]):
        return len(old)
    keep = min(len(old), len(new))
    while keep and old[keep - 1] != new[keep - 1]:
        keep -= 1
    return keep
