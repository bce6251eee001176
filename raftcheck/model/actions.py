"""The steps of a cluster execution, as data: replayable and encodable as JSON traces."""

from __future__ import annotations

import msgspec

from raftcheck.core.messages import Message


class _Action(msgspec.Struct, frozen=True, gc=False, tag=True):
    pass


class FireTimer(_Action):
    """Enough ticks at `node` to fire its next timer (election or heartbeat)."""

    node: str


class TickOnce(_Action):
    """One tick at `node` (specs with real clock granularity)."""

    node: str


class Deliver(_Action):
    message: Message


class Drop(_Action):
    message: Message


class Duplicate(_Action):
    message: Message


class Restart(_Action):
    """`node` crashes and restarts from its durable state."""

    node: str


class Stop(_Action):
    """`node` stops for good: it takes no step again, and what it sent or is sent is lost (every link it has
    fails for good)."""

    node: str


class CutLink(_Action):
    """The link between `node` and `peer` fails, both ways, until it heals (if ever): what is in flight on it
    is lost, and nothing sent over it arrives (a partial partition, or with enough cuts a full one)."""

    node: str
    peer: str


class HealLink(_Action):
    """The cut link between `node` and `peer` works again: a partition that ends. What was lost stays lost."""

    node: str
    peer: str


class ClientWrite(_Action):
    """A client asks `node` to set x; the value names the request."""

    node: str
    seq: int


class ClientRead(_Action):
    """A second client asks `node` to read x (through the log); `seq` is its request number."""

    node: str
    seq: int


class ClientRetry(_Action):
    """The writing client sends its write `seq` again, to `node`: it never heard back."""

    node: str
    seq: int


class ClientReuse(_Action):
    """The writing client sends a different write under `seq`, which it already used: a misbehaving client,
    whom a leader must answer `seq_reused` (thesis 6.3 sessions), neither applying the write nor answering it
    with the other command's result."""

    node: str
    seq: int


class AddServer(_Action):
    node: str
    server: str


class RemoveServer(_Action):
    node: str
    server: str


Action = (
    FireTimer | TickOnce | Deliver | Drop | Duplicate | Restart | Stop | CutLink | HealLink | ClientWrite | ClientRead
    | ClientRetry | ClientReuse | AddServer | RemoveServer
)
