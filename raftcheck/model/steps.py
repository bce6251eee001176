"""Scenario steps as data: a pattern that matches cluster actions by their fields.

A step is a small table naming one kind of action and, optionally, the fields
it must have, e.g. `{ timer = "n1" }` or
`{ deliver = "RequestVoteRequest", src = "n1", dst = "n3", term = 3 }`.
Message fields are the core's own field names. Steps are parsed once and
matched on the actions' structure, never on how a timeline prints them.

One step stands for several: `{ elect = "n2", voters = ["n3"] }` is an
election won with those votes, played with the messages the cluster's
features call for (pre-votes first under PreVote), so that one start fits a
cluster with or without them.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import msgspec

from raftcheck.core.messages import Message, RequestVoteRequest, RequestVoteResponse
from raftcheck.model.actions import (
    Action,
    AddServer,
    ClientRead,
    ClientRetry,
    ClientReuse,
    ClientWrite,
    CutLink,
    Deliver,
    Drop,
    Duplicate,
    FireTimer,
    HealLink,
    RemoveServer,
    Restart,
    Stop,
    TickOnce,
)

# The key naming a step's kind, the action it stands for, and the action field its value sets.
NODE_STEPS: dict[str, tuple[type, str]] = {
    "timer": (FireTimer, "node"),
    "tick": (TickOnce, "node"),
    "restart": (Restart, "node"),
    "stop": (Stop, "node"),
    "cut_link": (CutLink, "node"),
    "heal_link": (HealLink, "node"),
    "client_write": (ClientWrite, "node"),
    "client_read": (ClientRead, "node"),
    "client_retry": (ClientRetry, "node"),
    "client_reuse": (ClientReuse, "node"),
    "add_server": (AddServer, "server"),
    "remove_server": (RemoveServer, "server"),
}
MESSAGE_STEPS: dict[str, type] = {"deliver": Deliver, "drop": Drop, "duplicate": Duplicate}
MESSAGE_TYPES: dict[str, type] = {cls.__name__: cls for cls in typing.get_args(Message)}
_SCALARS = (str, int, bool)


class StepPattern(NamedTuple):
    """An action kind and the field values an action of that kind must have."""

    action: type
    fields: tuple[tuple[str, Any], ...]
    message: type | None = None
    message_fields: tuple[tuple[str, Any], ...] = ()

    def matches(self, action: Action) -> bool:
        if type(action) is not self.action:
            return False
        if any(getattr(action, name) != value for name, value in self.fields):
            return False
        if self.message is None:
            return True
        message = action.message
        return type(message) is self.message and all(_field_matches(message, n, v) for n, v in self.message_fields)


class Election(NamedTuple):
    """A won election as a run of steps: the candidate's timer fires, and each voter's vote request and answer
    are delivered, under PreVote after a pre-vote round with the same voters."""

    candidate: str
    voters: tuple[str, ...]

    def steps(self, term: int, pre_vote: bool) -> list[StepPattern]:
        """The steps, each of which must match one action, for a candidate now in `term`."""
        steps = [StepPattern(FireTimer, (("node", self.candidate),))]
        for pre in (True, False) if pre_vote else (False,):
            for voter in self.voters:
                steps += [_message_step(RequestVoteRequest, self.candidate, voter, pre, term + 1),
                          _message_step(RequestVoteResponse, voter, self.candidate, pre)]
        return steps

    def pre_votes_left(self, members: Iterable[str]) -> list[StepPattern]:
        """The candidate's pre-vote requests to the members that are not its voters, and their answers: a
        start may play them where they change no node, so that they do not stay in flight."""
        return [step for member in members if member != self.candidate and member not in self.voters
                for step in (_message_step(RequestVoteRequest, self.candidate, member, True),
                             _message_step(RequestVoteResponse, member, self.candidate, True))]


def _message_step(message: type, src: str, dst: str, pre_vote: bool, term: int | None = None) -> StepPattern:
    fields = (("src", src), ("dst", dst), ("pre_vote", pre_vote)) + ((("term", term),) if term is not None else ())
    return StepPattern(Deliver, (), message, fields)


class Length(NamedTuple):
    """A pattern value for a sequence field (`entries = 0` is a heartbeat): how many items it holds."""

    items: int


def _field_matches(message: Any, name: str, value: Any) -> bool:
    field = getattr(message, name)
    return len(field) == value.items if type(value) is Length else field == value


def parse_step(table: Mapping[str, Any]) -> StepPattern | Election:
    """A pattern from a step table; ValueError with one line saying what is wrong."""
    if not isinstance(table, Mapping):
        raise ValueError(f"expected a table like {{ timer = \"n1\" }}, got {table!r}")
    if "elect" in table:
        return _parse_election(table)
    kinds = [key for key in table if key in NODE_STEPS or key in MESSAGE_STEPS]
    if len(kinds) != 1:
        raise ValueError(f"name exactly one of {', '.join([*NODE_STEPS, *MESSAGE_STEPS, 'elect'])}, "
                         f"got {sorted(table)}")
    kind = kinds[0]
    rest = {key: value for key, value in table.items() if key != kind}
    if kind in NODE_STEPS:
        action, subject = NODE_STEPS[kind]
        fields = _checked_fields(action, {subject: table[kind], **rest}, kind)
        return StepPattern(action, fields)
    message = MESSAGE_TYPES.get(table[kind])
    if message is None:
        raise ValueError(f"{kind}: unknown message type {table[kind]!r}; known: {', '.join(MESSAGE_TYPES)}")
    return StepPattern(MESSAGE_STEPS[kind], (), message, _checked_fields(message, rest, table[kind]))


def _parse_election(table: Mapping[str, Any]) -> Election:
    candidate, voters = table["elect"], table.get("voters")
    if set(table) != {"elect", "voters"}:
        raise ValueError(f"elect: name the candidate and its voters, e.g. {{ elect = \"n1\", voters = [\"n2\"] }}, "
                         f"got {sorted(table)}")
    names = [candidate, *voters] if isinstance(voters, list) else None
    if names is None or not all(isinstance(name, str) for name in names):
        raise ValueError(f"elect: the candidate is a node name and voters a list of node names, got {dict(table)!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"elect: the candidate and its voters are different nodes, got {names}")
    return Election(candidate, tuple(voters))


def describe_step(action: Action) -> dict[str, Any]:
    """The most specific step table that matches `action`: what a user can paste into a spec."""
    if isinstance(action, (Deliver, Drop, Duplicate)):
        kind = _message_kind(type(action))
        message = action.message
        fields = {name: getattr(message, name) for name in message.__struct_fields__}
        return {kind: type(message).__name__,
                **{k: v if isinstance(v, _SCALARS) else len(v) for k, v in fields.items() if _shown(v)}}
    kind, subject = _node_kind(type(action))
    fields = {name: getattr(action, name) for name in action.__struct_fields__ if name != subject}
    return {kind: getattr(action, subject), **fields}


def pattern_table(pattern: StepPattern) -> dict[str, Any]:
    """The step table a pattern was (or could have been) parsed from."""
    if pattern.message is not None:
        fields = {name: value.items if type(value) is Length else value for name, value in pattern.message_fields}
        return {_message_kind(pattern.action): pattern.message.__name__, **fields}
    kind, subject = _node_kind(pattern.action)
    fields = dict(pattern.fields)
    return {kind: fields.pop(subject), **fields}


def _message_kind(action: type) -> str:
    """The step key of a message action class: "deliver", "drop" or "duplicate"."""
    return next(kind for kind, cls in MESSAGE_STEPS.items() if cls is action)


def _node_kind(action: type) -> tuple[str, str]:
    """The step key of a node action class, and the action field its value sets."""
    return next((kind, subject) for kind, (cls, subject) in NODE_STEPS.items() if cls is action)


def step_text(table: Mapping[str, Any]) -> str:
    """A step table as a TOML inline table."""
    return "{ " + ", ".join(f"{key} = {_toml_value(value)}" for key, value in table.items()) + " }"


def matching(pattern: StepPattern, actions: Iterable[Action]) -> list[Action]:
    """The distinct actions that match, in the order given."""
    found: list[Action] = []
    for action in actions:
        if pattern.matches(action) and action not in found:
            found.append(action)
    return found


def _shown(value: Any) -> bool:
    return isinstance(value, (*_SCALARS, tuple))


def _checked_fields(cls: type, fields: dict[str, Any], what: str) -> tuple[tuple[str, Any], ...]:
    types = typing.get_type_hints(cls)
    checked = []
    for name, value in fields.items():
        if name in types and _is_sequence_type(types[name]):
            if type(value) is not int or value < 0:
                raise ValueError(f"{what}: {name} = {value!r}: a sequence field is matched by its length, "
                                 "a whole number")
            checked.append((name, Length(value)))
            continue
        if name not in types or not _is_scalar_type(types[name]):
            known = [n for n in cls.__struct_fields__ if _is_scalar_type(types[n]) or _is_sequence_type(types[n])]
            raise ValueError(f"{what}: no field {name!r} to match; fields: {', '.join(known)}")
        try:
            checked.append((name, msgspec.convert(value, types[name], strict=True)))
        except msgspec.ValidationError:
            raise ValueError(f"{what}: {name} = {value!r} is not a {_type_name(types[name])}") from None
    return tuple(checked)


def _is_sequence_type(annotation: Any) -> bool:
    return typing.get_origin(annotation) is tuple


def _is_scalar_type(annotation: Any) -> bool:
    options = typing.get_args(annotation) or (annotation,)
    return all(option in (*_SCALARS, type(None)) for option in options)


def _type_name(annotation: Any) -> str:
    return getattr(annotation, "__name__", str(annotation))


def _toml_value(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)
