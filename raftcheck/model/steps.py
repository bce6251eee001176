"""Scenario steps as data: a pattern that matches cluster actions by their fields.

A step is a small table naming one kind of action and, optionally, the fields
it must have, e.g. `{ timer = "n1" }` or
`{ deliver = "RequestVoteRequest", src = "n1", dst = "n3", term = 3 }`.
Message fields are the core's own field names. Steps are parsed once and
matched on the actions' structure, never on how a timeline prints them.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import msgspec

from raftcheck.core.messages import Message
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
    TickOnce,
)

# The key naming a step's kind, the action it stands for, and the action field its value sets.
NODE_STEPS: dict[str, tuple[type, str]] = {
    "timer": (FireTimer, "node"),
    "tick": (TickOnce, "node"),
    "restart": (Restart, "node"),
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


class Length(NamedTuple):
    """A pattern value for a sequence field (`entries = 0` is a heartbeat): how many items it holds."""

    items: int


def _field_matches(message: Any, name: str, value: Any) -> bool:
    field = getattr(message, name)
    return len(field) == value.items if type(value) is Length else field == value


def parse_step(table: Mapping[str, Any]) -> StepPattern:
    """A pattern from a step table; ValueError with one line saying what is wrong."""
    if not isinstance(table, Mapping):
        raise ValueError(f"expected a table like {{ timer = \"n1\" }}, got {table!r}")
    kinds = [key for key in table if key in NODE_STEPS or key in MESSAGE_STEPS]
    if len(kinds) != 1:
        raise ValueError(f"name exactly one of {', '.join([*NODE_STEPS, *MESSAGE_STEPS])}, got {sorted(table)}")
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


def describe_step(action: Action) -> dict[str, Any]:
    """The most specific step table that matches `action`: what a user can paste into a spec."""
    if isinstance(action, (Deliver, Drop, Duplicate)):
        kind = next(k for k, cls in MESSAGE_STEPS.items() if cls is type(action))
        message = action.message
        fields = {name: getattr(message, name) for name in message.__struct_fields__}
        return {kind: type(message).__name__,
                **{k: v if isinstance(v, _SCALARS) else len(v) for k, v in fields.items() if _shown(v)}}
    kind, subject = next((k, s) for k, (cls, s) in NODE_STEPS.items() if cls is type(action))
    fields = {name: getattr(action, name) for name in action.__struct_fields__ if name != subject}
    return {kind: getattr(action, subject), **fields}


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
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)
