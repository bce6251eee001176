"""Interning: every distinct node state, message and log entry gets a small int.

A cluster state is then a tuple of ints, cheap to build, hash and compare. The
same node state meets the same message in many cluster states, so each
(node, message) step through the real core is computed once and cached, and so
is each object's stable fingerprint (under each renaming, for symmetry).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import msgspec

from raftcheck.core import Entry, Message, NodeState, Role
from raftcheck.model.symmetry import Names, rename_entry, rename_message, rename_node

Handler = Callable[[NodeState, Message], tuple[NodeState, tuple[Message, ...]]]
ReplyCheck = Callable[[NodeState, Message, NodeState, tuple], str | None]

_encode = msgspec.msgpack.Encoder().encode


def stable_fingerprint(value: object) -> int:
    """64 bits of BLAKE2b over the msgpack encoding: the same in every process."""
    return int.from_bytes(hashlib.blake2b(_encode(value), digest_size=8).digest(), "little")


class Universe:
    def __init__(
        self,
        names: tuple[str, ...],
        handler: Handler,
        normalize: Callable[[NodeState], NodeState],
        renamings: list[Names],
        reply_checks: tuple[ReplyCheck, ...] = (),
    ) -> None:
        self.names = names
        self.position = {name: index for index, name in enumerate(names)}
        self._handler = handler
        self._normalize = normalize
        self.renamings = renamings
        self.node_states: list[NodeState] = []
        self._node_ids: dict[NodeState, int] = {}
        self.messages: list[Message] = []
        self._message_ids: dict[Message, int] = {}
        self.entries: list[Entry] = []
        self._entry_ids: dict[Entry, int] = {}
        # per node int
        self.is_leader: list[bool] = []
        self.term: list[int] = []
        self.bound_term: list[int] = []  # the term a node is in or, as a pre-candidate, asks pre-votes for
        self.commit: list[int] = []
        self.log: list[tuple[int, ...]] = []  # the entries after the snapshot
        self.base: list[int] = []  # the snapshot's last index
        self.shape: list[tuple[int, ...]] = []
        self.node_fps: list[list[int | None]] = []
        # per message int
        self.destination: list[int] = []
        self.message_fps: list[list[int | None]] = []
        # per entry int
        self._entry_fp: list[list[int | None]] = []
        self.steps: dict[tuple[int, int], tuple[int, tuple[int, ...]]] = {}  # `step`'s cache; the model reads it first
        # Reply checks run once per distinct step; what they find is kept per check, by step.
        self._reply_checks = reply_checks
        self.reply_faults: list[dict[tuple[int, int], str]] = [{} for _ in reply_checks]
        # Steps where the handler raised: a faulty core is a finding with a counterexample, not a crash.
        self.raised: dict[tuple[int, int], str] = {}
        self.faulty = False  # whether any step so far raised or broke a reply check: until then none can fail

    # ---- interning --------------------------------------------------------

    def node(self, state: NodeState) -> int:
        key = self._node_ids.get(state)
        if key is None:
            key = self._node_ids[state] = len(self.node_states)
            self.node_states.append(state)
            self.is_leader.append(state.role is Role.LEADER)
            self.term.append(state.current_term)
            self.bound_term.append(state.current_term + 1 if state.pre_votes else state.current_term)
            self.commit.append(state.commit_index)
            self.log.append(tuple(self.entry(e) for e in state.log))
            self.base.append(state.snapshot.index if state.snapshot is not None else 0)
            self.shape.append(_shape(state))
            self.node_fps.append([None] * len(self.renamings))
        return key

    def message(self, message: Message) -> int:
        key = self._message_ids.get(message)
        if key is None:
            key = self._message_ids[message] = len(self.messages)
            self.messages.append(message)
            self.destination.append(self.position.get(getattr(message, "dst", ""), -1))
            self.message_fps.append([None] * len(self.renamings))
        return key

    def entry(self, entry: Entry) -> int:
        key = self._entry_ids.get(entry)
        if key is None:
            key = self._entry_ids[entry] = len(self.entries)
            self.entries.append(entry)
            self._entry_fp.append([None] * len(self.renamings))
        return key

    # ---- stepping the real core -------------------------------------------

    def step(self, node: int, message: int) -> tuple[int, tuple[int, ...]]:
        """The node after `message`, and the messages it sends to other nodes (cached)."""
        key = (node, message)
        cached = self.steps.get(key)
        if cached is None:
            before, received = self.node_states[node], self.messages[message]
            try:
                state, outgoing = self._handler(before, received)
            except Exception as error:  # noqa: BLE001 - any exception of the core under test is the finding
                self.raised[key] = f"{before.id} raised {type(error).__name__}: {error} on {type(received).__name__}"
                self.faulty = True
                state, outgoing = before, ()
            sent = tuple(self.message(m) for m in outgoing if getattr(m, "dst", None) in self.position)
            state = self._normalize(state)
            cached = self.steps[key] = (self.node(state), sent)
            for check, faults in zip(self._reply_checks if key not in self.raised else (), self.reply_faults):
                fault = check(before, self.messages[message], state, outgoing)
                if fault is not None:
                    faults[key] = fault
                    self.faulty = True
        return cached

    # ---- stable fingerprints, per renaming --------------------------------

    def node_fp(self, node: int, renaming: int) -> int:
        fps = self.node_fps[node]
        fp = fps[renaming]
        if fp is None:
            fp = fps[renaming] = stable_fingerprint(rename_node(self.node_states[node], self.renamings[renaming]))
        return fp

    def message_fp(self, message: int, renaming: int) -> int:
        fps = self.message_fps[message]
        fp = fps[renaming]
        if fp is None:
            renamed = rename_message(self.messages[message], self.renamings[renaming])
            fp = fps[renaming] = stable_fingerprint(renamed)
        return fp

    def entry_fp(self, entry: int, renaming: int) -> int:
        fps = self._entry_fp[entry]
        fp = fps[renaming]
        if fp is None:
            fp = fps[renaming] = stable_fingerprint(rename_entry(self.entries[entry], self.renamings[renaming]))
        return fp


_ROLE_ORDER = {role: rank for rank, role in enumerate(Role)}


def _shape(state: NodeState) -> tuple[int, ...]:
    """What a node looks like with names forgotten: equal for a node and any renaming of it.

    Only ints, so it orders the same way in every process.
    """
    return (
        _ROLE_ORDER[state.role],
        state.current_term,
        state.voted_for is None,
        state.voted_for == state.id,
        state.commit_index,
        len(state.config),
        state.id in state.config,
        state.leader_id is None,
        len(state.votes),
        len(state.log),
        *(e.term for e in state.log),
        state.snapshot.index if state.snapshot is not None else 0,
    )
