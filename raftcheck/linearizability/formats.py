"""Read and write histories: raftcheck's JSON Lines and Jepsen/Knossos EDN event logs.

raftcheck's own format has one operation per line, with the fields of
`Operation` (`returned: null` for an unknown outcome). A Jepsen log has one
event per line, in real-time order: an `:invoke`, then the same process's
`:ok` (it happened), `:fail` (it certainly did not, so it is left out) or
`:info` (unknown: it may happen at any later time, or never). An invocation
never completed is unknown too. Events of the `:nemesis` process are faults,
not operations, and are skipped. An event's time is its line number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import edn_format
import msgspec

from raftcheck.errors import HistoryError
from raftcheck.linearizability.history import Operation
from raftcheck.linearizability.models import Model


class _Recorded(msgspec.Struct, forbid_unknown_fields=True):
    client: str
    kind: str
    key: str | None
    invoked: float
    returned: float | None
    argument: Any = None
    result: Any = None


def read_history(path: str | Path, model: Model) -> list[Operation]:
    """The operations in a history file, in either format; HistoryError names the file and line."""
    path = Path(path)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise HistoryError(f"{path}: cannot read: {getattr(error, 'strerror', None) or error}") from None
    start = re.match(r"\s*(\{\s*.)?", text)
    if start and start.group(0).endswith(":"):
        return parse_edn(text, model, str(path))
    return parse_jsonl(text, str(path))


def parse_jsonl(text: str, name: str = "history") -> list[Operation]:
    history = []
    decoder = msgspec.json.Decoder(_Recorded)
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = decoder.decode(line)
        except msgspec.DecodeError as error:
            raise HistoryError(f"{name}:{number}: {error}") from None
        history.append(Operation(record.client, record.kind, record.key, _plain(record.argument),
                                 _plain(record.result), record.invoked, record.returned))
    return history


def write_history(path: str | Path, history: list[Operation]) -> None:
    encoder = msgspec.json.Encoder()
    lines = [encoder.encode(_Recorded(op.client, op.kind, op.key, op.invoked, op.returned, op.argument, op.result))
             for op in history]
    Path(path).write_bytes(b"\n".join(lines) + b"\n")


def _plain(value: Any) -> Any:
    """JSON and EDN lists become tuples, so that values hash; anything else stays as it is."""
    if isinstance(value, (list, tuple)):
        return tuple(_plain(item) for item in value)
    return value


def parse_edn(text: str, model: Model, name: str = "history") -> list[Operation]:
    events = _edn_events(text, name)
    lines = [number for number, line in enumerate(text.splitlines(), 1) if line.strip()]
    # Times are line numbers when there is one event per line (so a report points into the file), else event numbers.
    at = lines if len(lines) == len(events) else range(1, len(events) + 1)
    where = (lambda i: f"{name}:{at[i]}") if len(lines) == len(events) else (lambda i: f"{name}: event {at[i]}")
    pending: dict[Any, tuple[int, dict]] = {}
    completed: list[tuple[int, dict, int | None, str, dict | None]] = []
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            raise HistoryError(f"{where(index)}: expected a map like {{:process 0, :type :invoke, ...}}")
        process, kind = event.get("process"), event.get("type")
        if process == "nemesis":
            continue
        if kind == "invoke":
            if process in pending:
                raise HistoryError(f"{where(index)}: process {process} invokes again before its last call completed")
            pending[process] = (index, event)
        elif kind in ("ok", "fail", "info"):
            if process not in pending:
                raise HistoryError(f"{where(index)}: process {process} completes a call it never invoked")
            invoked_at, invocation = pending.pop(process)
            if event.get("f") != invocation.get("f"):
                raise HistoryError(f"{where(index)}: :{event.get('f')} completes process {process}'s "
                                   f":{invocation.get('f')}")
            completed.append((invoked_at, invocation, index, kind, event))
        else:
            raise HistoryError(f"{where(index)}: :type must be :invoke, :ok, :fail or :info, got {kind!r}")
    for invoked_at, invocation in pending.values():
        completed.append((invoked_at, invocation, None, "info", None))
    history = []
    for invoked_at, invocation, returned_at, outcome, completion in sorted(completed, key=lambda c: c[0]):
        if outcome == "fail":
            continue
        try:
            returned = at[returned_at] if outcome == "ok" else None
            operation = _operation(invocation, at[invoked_at], returned, completion, model)
            model.check(operation)
        except HistoryError as error:
            raise HistoryError(f"{where(invoked_at)}: {error}") from None
        history.append(operation)
    return history


def _operation(invocation: dict, invoked_at: int, returned_at: int | None, completion: dict | None,
               model: Model) -> Operation:
    kind = invocation.get("f")
    if not isinstance(kind, str) or kind not in model.kinds:
        known = ", ".join(f":{k}" for k in sorted(model.kinds))
        raise HistoryError(f"model {model.name!r} has no operation :{kind} (it has {known})")
    key = invocation.get("key")
    if key is not None and not isinstance(key, (str, int)):
        raise HistoryError(f":key must be a string or an integer, got {key!r}")
    writes = model.kinds[kind].writes
    argument = invocation.get("value") if writes else None
    if returned_at is None:
        result = None
    elif kind == "cas":
        result = True
    else:
        result = None if writes else completion.get("value")
    return Operation(str(invocation.get("process")), kind, None if key is None else str(key), _plain(argument),
                     _plain(result), float(invoked_at), None if returned_at is None else float(returned_at))


# A flat map of keywords to plain scalars, the shape of nearly every Jepsen event: read
# with a regular expression, 5 to 10 times faster than the general EDN parser.
_SCALAR = r'"[^"\\\n]*"|-?\d+|nil|true|false|:[\w.*+!?$%&=<>/-]+'
_FLAT_EVENT = re.compile(rf'\{{(?:[\s,]*:[\w.*+!?$%&=<>/-]+[\s,]+(?:{_SCALAR}))*[\s,]*\}}')
_PAIR = re.compile(rf':([\w.*+!?$%&=<>/-]+)[\s,]+({_SCALAR})')
_CONSTANTS = {"nil": None, "true": True, "false": False}


def _flat_events(text: str) -> list[dict] | None:
    """The events, if every line is one flat event map; None sends the text to the full EDN parser."""
    events = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if not _FLAT_EVENT.fullmatch(line):
            return None
        events.append({key: _scalar(token) for key, token in _PAIR.findall(line)})
    return events


def _scalar(token: str) -> Any:
    if token[0] == '"':
        return token[1:-1]
    if token[0] == ":":
        return token[1:]
    if token in _CONSTANTS:
        return _CONSTANTS[token]
    return int(token)


def _edn_events(text: str, name: str) -> list:
    """Every EDN form in the text, with keywords as plain strings; a parse error names its line."""
    flat = _flat_events(text)
    if flat is not None:
        return flat
    try:
        forms = edn_format.loads_all(text)
    except (edn_format.EDNDecodeError, NotImplementedError, ValueError, TypeError) as error:
        raise HistoryError(f"{name}:{_bad_line(text)}: not EDN ({error})") from None
    return [_from_edn(form) for form in forms]


def _bad_line(text: str) -> int | str:
    """The first line that is not EDN on its own (histories have one event per line); slow, only after an error."""
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                edn_format.loads_all(line)
            except Exception:  # noqa: BLE001 - any failure marks the line; the caller reports the real error
                return number
    return "end"


def _from_edn(value: Any) -> Any:
    if isinstance(value, edn_format.Keyword):
        return value.name
    if isinstance(value, Mapping):
        return {_from_edn(k): _from_edn(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, edn_format.ImmutableList)):
        return tuple(_from_edn(item) for item in value)
    return value
