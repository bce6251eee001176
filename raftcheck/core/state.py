"""A node's state: one immutable value, split into what is durable and what is not."""

from __future__ import annotations

import enum
from typing import Any

import msgspec

from raftcheck.core.messages import Entry, Snapshot
from raftcheck.core.params import NodeParams


class Role(enum.StrEnum):
    FOLLOWER = "follower"
    CANDIDATE = "candidate"
    LEADER = "leader"
    BOOTSTRAP = "bootstrap"


# Module-level aliases: reading an Enum member through its class costs ~0.2 us
# on CPython 3.11, and `handle` compares roles on every call.
FOLLOWER, CANDIDATE, LEADER, BOOTSTRAP = Role.FOLLOWER, Role.CANDIDATE, Role.LEADER, Role.BOOTSTRAP


class Progress(msgspec.Struct, frozen=True, gc=False):
    """A leader's view of one peer's log (paper Fig. 2: nextIndex, matchIndex)."""

    peer: str
    next_index: int
    match_index: int


class CatchUp(msgspec.Struct, frozen=True, gc=False):
    """An AddServer in its catch-up phase (thesis 4.2.1): the current round.

    `round_ticks` is how long the round has lasted; `idle_ticks` how long since
    the new server's match index last grew.
    """

    server: str
    requester: str
    round: int
    round_target: int
    round_ticks: int
    idle_ticks: int = 0


class PendingChange(msgspec.Struct, frozen=True, gc=False):
    """A membership change whose configuration entry is in the log, awaiting commit."""

    add: bool
    server: str
    requester: str
    index: int


class NodeState(msgspec.Struct, frozen=True, gc=False):
    """Everything a node knows. `current_term`, `voted_for` and `log` are durable.

    `config` is the configuration in effect: the latest ConfigChange in the
    log (committed or not, thesis 4.1), remembered with its index so commit and
    truncation can be decided without rescanning the log. `heard_from` is
    CheckQuorum's record: the peers a leader heard from in this period.
    `pre_votes` (PreVote) are the servers that would vote for this node in the
    next term; non-empty only while it asks. `snapshot` (durable) is the
    compacted prefix: `log` then holds only the entries after it.
    """

    id: str
    bootstrap: bool
    params: NodeParams
    role: Role
    current_term: int
    voted_for: str | None
    log: tuple[Entry, ...]
    config: tuple[str, ...]
    config_index: int
    commit_index: int
    machine: Any
    sessions: tuple[tuple[str, int, tuple[str, ...], str | None], ...]
    leader_id: str | None
    votes: tuple[str, ...]
    progress: tuple[Progress, ...]
    catchup: CatchUp | None
    pending_changes: tuple[PendingChange, ...]
    election_elapsed: int
    election_timeout: int
    heartbeat_elapsed: int
    rng: int
    heard_from: tuple[str, ...] = ()
    pre_votes: tuple[str, ...] = ()
    snapshot: Snapshot | None = None
