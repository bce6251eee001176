"""A verdict in words and as JSON: what was checked, what was decided, and why."""

from __future__ import annotations

from typing import Any

from raftcheck.linearizability.check import Verdict
from raftcheck.linearizability.history import Operation


def operation_text(operation: Operation) -> str:
    """`append("x 1 y")`, `get() -> "x 1 y"`, `cas(1, 2) -> fail`, with `-> ?` for an unknown outcome."""
    argument = "" if operation.argument is None else ", ".join(map(repr, _items(operation.argument)))
    call = f"{operation.kind}({argument})"
    if not operation.known:
        return f"{call} -> ?"
    if isinstance(operation.result, bool):
        return f"{call} -> {'ok' if operation.result else 'fail'}"
    if operation.result is None and operation.kind not in ("get", "read"):
        return call
    return f"{call} -> {operation.result!r}"


def _items(value: Any) -> tuple:
    return value if isinstance(value, tuple) else (value,)


def _when(operation: Operation) -> str:
    returned = "never returned" if operation.returned is None else f"returned at {operation.returned:g}"
    return f"invoked at {operation.invoked:g}, {returned}"


def summary(verdict: Verdict, source: str) -> list[str]:
    """The lines a person reads: the verdict, then for a violation the prefix and the operation that breaks it."""
    scope = (f"model {verdict.model}, {verdict.operations} operations on {verdict.keys} "
             f"key{'s' if verdict.keys != 1 else ''}, {verdict.seconds:.3f}s")
    lines = [f"{source}: {verdict.status} ({scope})"]
    if verdict.undecided:
        keys = ", ".join(repr(key) for key in verdict.undecided)
        lines.append(f"  time ran out before deciding key{'s' if len(verdict.undecided) > 1 else ''} {keys}")
    witness = verdict.witness
    if witness is None:
        return lines
    lines.append(f"  key {witness.key!r}: the longest linearizable prefix has {len(witness.prefix)} of "
                 f"{len(witness.operations)} operations")
    for order, (index, state) in enumerate(witness.prefix[-3:], len(witness.prefix) - min(3, len(witness.prefix)) + 1):
        operation = witness.operations[index]
        lines.append(f"    {order}. client {operation.client}: {operation_text(operation)}   (state {state!r})")
    if witness.stuck is not None:
        operation = witness.operations[witness.stuck]
        lines.append(f"  cannot place next: client {operation.client}: {operation_text(operation)} "
                     f"({_when(operation)})")
    return lines


def verdict_document(verdict: Verdict, source: str) -> dict[str, Any]:
    document: dict[str, Any] = {
        "history": source,
        "model": verdict.model,
        "verdict": verdict.status,
        "operations": verdict.operations,
        "keys": verdict.keys,
        "seconds": round(verdict.seconds, 6),
        "undecided_keys": list(verdict.undecided),
    }
    witness = verdict.witness
    if witness is not None:
        document["witness"] = {
            "key": witness.key,
            "linearized": [{**operation_document(witness.operations[index]), "state_after": state}
                           for index, state in witness.prefix],
            "cannot_place": None if witness.stuck is None else operation_document(witness.operations[witness.stuck]),
        }
    return document


def operation_document(operation: Operation) -> dict[str, Any]:
    return {"client": operation.client, "kind": operation.kind, "key": operation.key,
            "argument": operation.argument, "result": operation.result if operation.known else None,
            "invoked": operation.invoked, "returned": operation.returned}
