"""Sequential specifications the checker judges histories against.

A model says what one key's state starts as, which operations exist, and
whether an operation with a given result is legal in a state (and the state
after it). Every shipped model is a map of independent keys, so a history is
checked one key at a time: a map is linearizable exactly when each of its keys
is (Herlihy & Wing's locality). A model refuses an operation kind or a value
it does not know instead of guessing what it means.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Hashable

from raftcheck.errors import HistoryError
from raftcheck.linearizability.history import Operation

State = Hashable
Value = str | int | None


def _is_value(value: object) -> bool:
    return value is None or isinstance(value, (str, int)) and not isinstance(value, bool)


def _is_text(value: object) -> bool:
    return isinstance(value, str)


def _is_optional_text(value: object) -> bool:
    return value is None or isinstance(value, str)


def _is_pair(value: object) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and all(map(_is_value, value))


def _is_bool(value: object) -> bool:
    return isinstance(value, bool)


def _nothing(value: object) -> bool:
    return value is None


@dataclass(frozen=True)
class Kind:
    """One operation of a model: what its argument and its result may be, and whether it writes."""

    argument: Callable[[object], bool]
    result: Callable[[object], bool]
    writes: bool
    shape: str


@dataclass(frozen=True)
class Model:
    """A sequential object: `step(state, kind, argument, result, known) -> (legal, next_state)`.

    When `known` is False the result is not known, so the step only has to be
    possible: a write takes effect, a compare-and-set takes effect exactly
    when its precondition holds.
    """

    name: str
    summary: str
    initial: State
    kinds: dict[str, Kind]
    step: Callable[[State, str, Hashable, Hashable, bool], tuple[bool, State]]

    def check(self, operation: Operation) -> None:
        """Refuse an operation this model cannot judge, with one line that says why."""
        kind = self.kinds.get(operation.kind)
        if kind is None:
            known = ", ".join(sorted(self.kinds))
            raise HistoryError(f"model {self.name!r} has no operation {operation.kind!r} (it has {known})")
        if not kind.argument(operation.argument):
            raise HistoryError(f"{operation.kind} on key {operation.key!r}: argument {operation.argument!r} "
                               f"is not {kind.shape}")
        if operation.known and not kind.result(operation.result):
            raise HistoryError(f"{operation.kind} on key {operation.key!r}: result {operation.result!r} "
                               f"is not what {self.name!r} returns for {operation.kind}")

    def writes(self, operation: Operation) -> bool:
        return self.kinds[operation.kind].writes


def _register_step(state: State, kind: str, argument: Hashable, result: Hashable, known: bool) -> tuple[bool, State]:
    if kind == "write":
        return True, argument
    return (not known or result == state), state


def _cas_step(state: State, kind: str, argument: Hashable, result: Hashable, known: bool) -> tuple[bool, State]:
    if kind == "cas":
        expected, new = argument
        holds = state == expected
        if known and result != holds:
            return False, state
        return True, new if holds else state
    return _register_step(state, kind, argument, result, known)


def _kv_step(state: State, kind: str, argument: Hashable, result: Hashable, known: bool) -> tuple[bool, State]:
    if kind == "get":
        return (not known or result == state), state
    if kind == "put":
        return True, argument
    return True, state + argument


def _service_step(state: State, kind: str, argument: Hashable, result: Hashable, known: bool) -> tuple[bool, State]:
    if kind == "set":
        return True, argument
    return (not known or result == state), state


READ = Kind(_nothing, _is_value, writes=False, shape="empty (nil)")
WRITE = Kind(_is_value, _nothing, writes=True, shape="a string, an integer or nil")

REGISTER = Model("register", "read and write one value per key, starting nil", None,
                 {"read": READ, "write": WRITE}, _register_step)
CAS_REGISTER = Model("cas-register", "read, write and compare-and-set ([expected new] -> ok or fail), starting nil",
                     None, {"read": READ, "write": WRITE,
                            "cas": Kind(_is_pair, _is_bool, writes=True, shape="a pair [expected new]")},
                     _cas_step)
KEY_VALUE = Model("kv", "get, put and append strings per key, starting empty (Porcupine's and Jepsen's kv)", "",
                  {"get": Kind(_nothing, _is_text, writes=False, shape="empty (nil)"),
                   "put": Kind(_is_text, _nothing, writes=True, shape="a string"),
                   "append": Kind(_is_text, _nothing, writes=True, shape="a string")},
                  _kv_step)
SERVICE = Model("service", "raftcheck's key-value service: set and get strings per key, missing keys read null", None,
                {"get": Kind(_nothing, _is_optional_text, writes=False, shape="empty (null)"),
                 "set": Kind(_is_text, _nothing, writes=True, shape="a string")},
                _service_step)

MODELS = {model.name: model for model in (REGISTER, CAS_REGISTER, KEY_VALUE, SERVICE)}


def model_named(name: str) -> Model:
    try:
        return MODELS[name]
    except KeyError:
        raise HistoryError(f"no model {name!r} (models: {', '.join(MODELS)})") from None
