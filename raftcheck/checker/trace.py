"""Counterexample traces: saved as JSON, replayed step by step against the real core.

A trace holds its settings in the schema's own shape; they are validated by
`raftcheck.settings` before a model is built from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from raftcheck.core import handle
from raftcheck.errors import SettingsError, TraceError
from raftcheck.liveness.replay import liveness_problem
from raftcheck.model.actions import Action
from raftcheck.model.cluster import ClusterView
from raftcheck.model.universe import Handler
from raftcheck.properties import raft_model
from raftcheck.search import Violation
from raftcheck.search.model import first_broken, first_broken_step
from raftcheck.settings import Settings, from_tables

FORMAT = 2


class Trace(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Everything needed to replay a counterexample: the settings, the broken invariant, the steps."""

    settings: Settings
    invariant: str
    message: str
    initial: int
    actions: tuple[Action, ...]
    format: int = FORMAT
    loop_start: int | None = None
    stable_from: int | None = None


class _RawTrace(msgspec.Struct, forbid_unknown_fields=True):
    """A trace as read, before its settings are validated."""

    settings: dict[str, Any]
    invariant: str
    message: str
    initial: int
    actions: tuple[Action, ...]
    format: int = FORMAT
    loop_start: int | None = None
    stable_from: int | None = None


@dataclass
class Replay:
    views: list[ClusterView]
    actions: tuple[Action, ...]
    broken: tuple[str, str] | None
    error: str | None
    loop_start: int | None = None
    stable_from: int | None = None

    @property
    def confirms(self) -> bool:
        return self.error is None and self.broken is not None


def trace_of(settings: Settings, violation: Violation) -> Trace:
    return Trace(settings, violation.property, violation.message, violation.initial, tuple(violation.actions),
                 loop_start=violation.loop_start, stable_from=violation.stable_from)


def trace_document(trace: Trace) -> bytes:
    return msgspec.json.format(msgspec.json.encode(trace))


def read_trace_bytes(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise TraceError(f"{path}: cannot read: {error.strerror or error}") from None


def load_trace(path: str | Path, data: bytes | None = None) -> Trace:
    """A model counterexample from `path` (or from its bytes, already read); TraceError on anything else."""
    if data is None:
        data = read_trace_bytes(path)
    try:
        raw = msgspec.json.decode(data, type=_RawTrace)
    except msgspec.DecodeError as error:
        raise TraceError(f"{path}: not a raftcheck trace: {error}") from None
    if raw.format != FORMAT:
        raise TraceError(f"{path}: trace format {raw.format} is not supported (expected {FORMAT})")
    try:
        settings = from_tables(raw.settings)
    except SettingsError as error:
        raise TraceError(f"{path}: settings.{error}") from None
    stable_from, loop_start = raw.stable_from, raw.loop_start
    if loop_start is not None and stable_from is None:
        raise TraceError(f"{path}: loop_start needs stable_from (where faults stop)")
    end = len(raw.actions) if loop_start is None else loop_start
    if stable_from is not None and not 0 <= stable_from <= end <= len(raw.actions):
        raise TraceError(f"{path}: stable_from and loop_start must satisfy 0 <= stable_from <= loop_start "
                         f"<= {len(raw.actions)}")
    return Trace(settings, raw.invariant, raw.message, raw.initial, raw.actions, loop_start=raw.loop_start,
                 stable_from=raw.stable_from)


def replay(trace: Trace, handler: Handler = handle) -> Replay:
    """Re-run every step through the core; report where the trace stops being possible."""
    try:
        model = raft_model(trace.settings, handler)
    except SettingsError as error:
        return Replay([], trace.actions, None, f"settings.{error}")
    initials = model.initial_states()
    if not 0 <= trace.initial < len(initials):
        return Replay([], trace.actions, None, f"initial state {trace.initial} does not exist")
    world = initials[trace.initial]
    worlds = [world]
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
        worlds.append(world)
        views.append(model.view(world))
    if trace.stable_from is not None and not broken:
        return confirm_liveness(model, trace, worlds, views)
    return Replay(views, trace.actions, broken, None if broken else "no invariant breaks at the end of the trace")


def confirm_liveness(model, trace: Trace, worlds: list, views: list[ClusterView]) -> Replay:
    """A lasso replays when its fault-free steps are fair steps, its loop comes back and repeats, and it breaks
    the property it names; a finite run, when its fault-free steps are fair and its last breaks the property."""
    marks = {"loop_start": trace.loop_start, "stable_from": trace.stable_from}
    start = trace.stable_from
    loop = None if trace.loop_start is None else trace.loop_start - start
    problem, how = liveness_problem(model, trace.invariant, worlds[start:], trace.actions[start:], loop, start)
    if problem is not None:
        return Replay(views, trace.actions, None, problem, **marks)
    return Replay(views, trace.actions, (trace.invariant, how), None, **marks)
