"""The replicated state machine: a pluggable, deterministic, immutable value.

The core applies committed ClientCommand operations through a StateMachine;
the default is a key-value map. A machine must be a hashable value (so node
states stay hashable) and `apply` must be a pure function.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any, Protocol

import msgspec


class StateMachine(Protocol):
    def initial(self) -> Any:
        """The state before any command is applied."""

    def apply(self, state: Any, op: tuple[str, ...]) -> tuple[Any, str | None]:
        """Apply one operation; return the new state and the client's result."""

    def dump(self, state: Any) -> bytes:
        """The state as bytes, for a snapshot."""

    def restore(self, data: bytes) -> Any | None:
        """The state `dump` wrote, or None if `data` is not one (a snapshot from a forged or corrupt source)."""


class KeyValueStore(msgspec.Struct, frozen=True, gc=False):
    """A string map kept as a tuple of pairs sorted by key: ("set", k, v) and ("get", k).

    Lookups bisect, and a set copies the tuple at C speed around one pair.
    """

    def initial(self) -> tuple[tuple[str, str], ...]:
        return ()

    def apply(self, state: tuple[tuple[str, str], ...], op: tuple[str, ...]) -> tuple[Any, str | None]:
        match op:
            case ("set", key, value):
                at = bisect_left(state, (key,))
                replaced = at + 1 if at < len(state) and state[at][0] == key else at
                return state[:at] + ((key, value),) + state[replaced:], value
            case ("get", key):
                at = bisect_left(state, (key,))
                return state, state[at][1] if at < len(state) and state[at][0] == key else None
            case _:
                return state, f"error: unknown operation {op!r}"

    def dump(self, state: tuple[tuple[str, str], ...]) -> bytes:
        return msgspec.json.encode(state)

    def restore(self, data: bytes) -> tuple[tuple[str, str], ...] | None:
        try:
            pairs = msgspec.json.decode(data, type=tuple[tuple[str, str], ...])
        except msgspec.DecodeError:
            return None
        keys = [key for key, _ in pairs]
        return pairs if keys == sorted(set(keys)) else None
