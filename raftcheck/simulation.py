"""A seeded, deterministic simulated network that drives real core nodes.

Used by the demo and the scenario tests. Time advances in rounds: every live
node gets one Tick, then every message in flight is delivered in a seeded
random order, or lost with probability `loss`. Messages addressed to a name
that is not a node (a client) land in `client_inbox`. Every role change,
commit and client reply is recorded as an Event, so a run reads as a timeline
and the history is available to assertions.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from raftcheck.core import (
    AddServerRequest,
    ClientRequest,
    Message,
    NodeParams,
    NodeState,
    Role,
    Tick,
    boot,
    handle,
    restart,
)


@dataclass(frozen=True)
class Event:
    time: int
    node: str
    text: str


@dataclass
class SimulatedCluster:
    params: NodeParams = field(default_factory=NodeParams)
    seed: int = 0
    loss: float = 0.0
    nodes: dict[str, NodeState] = field(default_factory=dict)
    down: set[str] = field(default_factory=set)
    in_flight: list[Message] = field(default_factory=list)
    client_inbox: list[Message] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    leaders_by_term: dict[int, set[str]] = field(default_factory=dict)
    time: int = 0

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    # ---- changing the cluster ------------------------------------------

    def start(self, node_id: str, bootstrap: bool = False) -> None:
        self.nodes[node_id] = boot(node_id, bootstrap, self.params)
        self._record(node_id, f"boots{' in Bootstrap mode' if bootstrap else ''}")

    def crash(self, node_id: str) -> None:
        """Stop a node; messages to it are lost while it is down."""
        self.down.add(node_id)
        self._record(node_id, "crashes")

    def recover(self, node_id: str) -> None:
        """Restart a crashed node from its durable state."""
        self.down.discard(node_id)
        self.nodes[node_id] = restart(self.nodes[node_id])
        self._record(node_id, f"restarts at term {self.nodes[node_id].current_term}")

    def send(self, message: Message) -> None:
        self.in_flight.append(message)

    def client_request(self, client: str, node_id: str, seq: int, *op: str) -> None:
        self.send(ClientRequest(client, node_id, seq, tuple(op)))

    def add_server(self, client: str, node_id: str, server: str) -> None:
        self.send(AddServerRequest(client, node_id, server))

    def call(self, make: Callable[[str], Message], attempts: int = 20, patience: int = 60) -> Message:
        """Send `make(target)` to the current leader, retrying the same request until it succeeds.

        Returns the "ok" reply. Retries reuse the request's id, so the core's
        deduplication, not the caller, keeps a retried write from applying twice.
        """
        for _ in range(attempts):
            live = sorted(n for n in self.nodes if n not in self.down)
            request = make(self.leader() or live[0])
            seen = len(self.client_inbox)
            self.send(request)
            try:
                self.run_until(lambda c: _ok_reply(request, c.client_inbox[seen:]) is not None, patience)
            except TimeoutError:
                continue
            return _ok_reply(request, self.client_inbox[seen:])
        raise TimeoutError(f"{request!r} never succeeded")

    # ---- running ---------------------------------------------------------

    def run_round(self) -> None:
        self.time += 1
        for node_id in sorted(self.nodes):
            if node_id not in self.down:
                self.deliver(Tick(), node_id)
        batch, self.in_flight = self.in_flight, []
        self._random.shuffle(batch)
        for message in batch:
            if message.dst in self.nodes and self._random.random() >= self.loss:
                self.deliver(message, message.dst)

    def run_until(self, done, max_rounds: int = 500) -> int:
        """Run rounds until `done(self)` holds; return the rounds used or raise."""
        for rounds in range(max_rounds):
            if done(self):
                return rounds
            self.run_round()
        raise TimeoutError(f"condition not reached within {max_rounds} rounds")

    def deliver(self, message: Message, node_id: str) -> None:
        if node_id in self.down:
            return
        before = self.nodes[node_id]
        after, outgoing = handle(before, message)
        self.nodes[node_id] = after
        self._observe(before, after)
        for sent in outgoing:
            if sent.dst in self.nodes:
                self.in_flight.append(sent)
            else:
                self.client_inbox.append(sent)
                self._record(node_id, f"replies to {sent.dst}: {_describe_reply(sent)}")

    # ---- reading ---------------------------------------------------------

    def leader(self) -> str | None:
        """The live leader of the highest term, if any."""
        live = [s for n, s in self.nodes.items() if n not in self.down and s.role is Role.LEADER]
        return max(live, key=lambda s: s.current_term).id if live else None

    def replies_to(self, client: str) -> list[Message]:
        return [m for m in self.client_inbox if m.dst == client]

    def _observe(self, before: NodeState, after: NodeState) -> None:
        if after.role is Role.LEADER:
            self.leaders_by_term.setdefault(after.current_term, set()).add(after.id)
        if after.role is not before.role:
            self._record(after.id, f"{before.role} -> {after.role} (term {after.current_term})")
        elif after.current_term != before.current_term:
            self._record(after.id, f"adopts term {after.current_term}")
        if after.config != before.config:
            self._record(after.id, f"configuration is now {{{', '.join(after.config)}}}")
        if after.commit_index > before.commit_index:
            self._record(after.id, f"commits up to index {after.commit_index}")

    def _record(self, node_id: str, text: str) -> None:
        self.events.append(Event(self.time, node_id, text))


def _ok_reply(request: Message, replies: list[Message]) -> Message | None:
    key = getattr(request, "seq", None), getattr(request, "server", None)
    for reply in replies:
        if reply.dst == request.src and reply.status == "ok":
            if (getattr(reply, "seq", None), getattr(reply, "server", None)) == key:
                return reply
    return None


def _describe_reply(message: Message) -> str:
    fields = {name: getattr(message, name) for name in message.__struct_fields__ if name not in ("src", "dst")}
    return type(message).__name__ + " " + " ".join(f"{k}={v}" for k, v in fields.items() if v is not None)
