"""The messages a Raft node consumes and emits, and the log entries they carry.

Every value here is an immutable, hashable msgspec Struct: the checker stores
and deduplicates them, and the HTTP service and trace files encode them as
tagged JSON, so a decoded message is type-checked before `handle` sees it.
"""

from __future__ import annotations

import msgspec


class _Value(msgspec.Struct, frozen=True, gc=False, tag=True):
    """Immutable, hashable, tagged by class name in JSON."""


# ---- log entries -----------------------------------------------------------


class Noop(_Value):
    """Appended by a new leader so it can commit an entry of its own term."""


class ClientCommand(_Value):
    """A state-machine operation; (client, seq) identifies it for deduplication."""

    client: str
    seq: int
    op: tuple[str, ...]


class ConfigChange(_Value):
    """A cluster configuration: it takes effect as soon as it is in a log."""

    servers: tuple[str, ...]


Payload = Noop | ClientCommand | ConfigChange


class Entry(msgspec.Struct, frozen=True, gc=False):
    term: int
    payload: Payload


class Snapshot(msgspec.Struct, frozen=True, gc=False):
    """A compacted log prefix (thesis 5.1): what applying entries 1..`index` produced.

    `term` is the term of entry `index`; `config` the configuration in effect
    there and `config_index` where its entry was; `machine` (in the state
    machine's own encoding, `StateMachine.dump`, so the snapshot stays a
    hashable value however it travels) and `sessions` are the state machine and
    client sessions after applying the prefix. `removed` are the servers the
    entry at `config_index` took out, so that a leader whose snapshot covers
    that entry can still tell them they are out (notify_removed_servers).
    """

    index: int
    term: int
    config: tuple[str, ...]
    config_index: int
    machine: bytes
    sessions: tuple[tuple[str, int, tuple[str, ...], str | None], ...]
    removed: tuple[str, ...] = ()


# ---- node-to-node messages -------------------------------------------------


class AppendEntriesRequest(_Value):
    src: str
    dst: str
    term: int
    prev_log_index: int
    prev_log_term: int
    entries: tuple[Entry, ...]
    leader_commit: int


class AppendEntriesResponse(_Value):
    """`match_index` on success; on failure `conflict_index` is where to retry.

    `refused`: the request would have rewritten entries the follower has
    committed, which no correct leader asks; the follower changed nothing.
    """

    src: str
    dst: str
    term: int
    success: bool
    match_index: int = 0
    conflict_index: int = 0
    refused: bool = False


class InstallSnapshotRequest(_Value):
    """Thesis 5.1: a leader sends its snapshot to a follower that needs entries it has compacted away.

    The follower answers with an AppendEntriesResponse whose match index is the
    snapshot's last index, so the leader's progress tracking is the same for both.
    """

    src: str
    dst: str
    term: int
    snapshot: Snapshot


class RequestVoteRequest(_Value):
    """`pre_vote`: thesis 9.6, asking whether a vote in `term` would be granted, changing no one's term.
    `transfer`: the election a leader handed over with TimeoutNow; a server's leader lease does not stop it."""

    src: str
    dst: str
    term: int
    last_log_index: int
    last_log_term: int
    pre_vote: bool = False
    transfer: bool = False


class RequestVoteResponse(_Value):
    """A granted pre-vote carries the term asked about, a refused one the voter's own term."""

    src: str
    dst: str
    term: int
    vote_granted: bool
    pre_vote: bool = False


class TimeoutNow(_Value):
    """Thesis 3.10: the leader of `term` hands leadership over: start an election at once."""

    src: str
    dst: str
    term: int


# ---- clients and membership ------------------------------------------------


class Status:
    """Status strings shared by client and membership responses."""

    OK = "ok"
    NOT_LEADER = "not_leader"
    TIMEOUT = "timeout"
    CHANGE_IN_PROGRESS = "change_in_progress"
    LEADER_NOT_READY = "leader_not_ready"
    ALREADY_MEMBER = "already_member"
    NOT_MEMBER = "not_member"
    LAST_SERVER = "last_server"
    SEQ_REUSED = "seq_reused"


class ClientRequest(_Value):
    src: str
    dst: str
    seq: int
    op: tuple[str, ...]


class ClientResponse(_Value):
    src: str
    dst: str
    seq: int
    status: str
    result: str | None = None
    leader_hint: str | None = None


class AddServerRequest(_Value):
    src: str
    dst: str
    server: str


class AddServerResponse(_Value):
    src: str
    dst: str
    server: str
    status: str
    leader_hint: str | None = None


class RemoveServerRequest(_Value):
    src: str
    dst: str
    server: str


class RemoveServerResponse(_Value):
    src: str
    dst: str
    server: str
    status: str
    leader_hint: str | None = None


class Tick(_Value):
    """The passage of `ticks` units of logical time at one node."""

    ticks: int = 1


Message = (
    AppendEntriesRequest
    | AppendEntriesResponse
    | InstallSnapshotRequest
    | RequestVoteRequest
    | RequestVoteResponse
    | TimeoutNow
    | ClientRequest
    | ClientResponse
    | AddServerRequest
    | AddServerResponse
    | RemoveServerRequest
    | RemoveServerResponse
    | Tick
)
