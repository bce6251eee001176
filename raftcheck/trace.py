"""Counterexample traces: saved as JSON, replayed step by step against the real core."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import msgspec

from raftcheck.core import handle
from raftcheck.model.actions import Action
from raftcheck.model.cluster import ClusterView
from raftcheck.model.settings import ClusterSettings
from raftcheck.model.universe import Handler
from raftcheck.properties import checked_model
from raftcheck.search import Violation
from raftcheck.search.model import first_broken, first_broken_step

FORMAT = 1


class TraceError(Exception):
    """A trace file that cannot be read; str() is one line."""


class Trace(msgspec.Struct, forbid_unknown_fields=True):
    """Everything needed to replay a counterexample: the cluster, the checks, the steps."""

    settings: ClusterSettings
    invariants: tuple[str, ...]
    invariant: str
    message: str
    initial: int
    actions: tuple[Action, ...]
    format: int = FORMAT


@dataclass
class Replay:
    views: list[ClusterView]
    actions: tuple[Action, ...]
    broken: tuple[str, str] | None
    error: str | None

    @property
    def confirms(self) -> bool:
        return self.error is None and self.broken is not None


def trace_of(settings: ClusterSettings, invariants: tuple[str, ...], violation: Violation) -> Trace:
    return Trace(settings, invariants, violation.property, violation.message, violation.initial, tuple(violation.actions))


def save_trace(trace: Trace, path: str | Path) -> None:
    Path(path).write_bytes(msgspec.json.format(msgspec.json.encode(trace)))


def load_trace(path: str | Path) -> Trace:
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise TraceError(f"{path}: cannot read: {error.strerror or error}") from None
    try:
        trace = msgspec.json.decode(data, type=Trace)
    except msgspec.DecodeError as error:
        raise TraceError(f"{path}: not a raftcheck trace: {error}") from None
    if trace.format != FORMAT:
        raise TraceError(f"{path}: trace format {trace.format} is not supported (expected {FORMAT})")
    return trace


def replay(trace: Trace, handler: Handler = handle) -> Replay:
    """Re-run every step through the core; report where the trace stops being possible."""
    try:
        model = checked_model(trace.settings, trace.invariants, handler)
    except ValueError as error:
        return Replay([], trace.actions, None, str(error))
    initials = model.initial_states()
    if not 0 <= trace.initial < len(initials):
        return Replay([], trace.actions, None, f"initial state {trace.initial} does not exist")
    world = initials[trace.initial]
    views = [model.view(world)]
    broken = first_broken(model.properties, world)
    for number, action in enumerate(trace.actions, 1):
        if broken:
            return Replay(views, trace.actions, broken, f"an invariant broke before step {number}")
        try:
            successor = model.next_state(world, action)
        except ValueError:
            return Replay(views, trace.actions, None, f"step {number} is not possible in the state the trace reached")
        broken = first_broken_step(model.transition_properties, world, action, successor) or first_broken(
            model.properties, successor
        )
        world = successor
        views.append(model.view(world))
    return Replay(views, trace.actions, broken, None if broken else "no invariant breaks at the end of the trace")
