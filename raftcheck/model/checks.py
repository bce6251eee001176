"""The invariants a cluster model checks, memoised on what they read.

The properties layer defines Raft's invariants as functions of a ClusterView;
the model is built with that catalogue and keeps the ones its settings select.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from raftcheck.errors import SettingsError


class Invariant(NamedTuple):
    """`check(view)` returns None when it holds, else one line on what broke.

    A network invariant (`on_network`) judges one message in flight, `check(message)`: a world breaks it
    when any message it holds does.
    A reply invariant (`on_replies`) judges one node's step through the core,
    `check(state_before, message, state_after, sent)`, where `sent` includes
    the replies to clients that the network drops.
    """

    name: str
    check: Callable[..., str | None]
    on_network: bool = False
    on_replies: bool = False

    @property
    def on_states(self) -> bool:
        return not (self.on_network or self.on_replies)


class Goal(NamedTuple):
    """A `sometimes` property: `check(view)` (or `check(before, after)` for a step goal)
    returns a description of how the goal was reached, or None."""

    name: str
    check: Callable[..., str | None]
    on_steps: bool = False
    reads_network: bool = False  # a step goal that reads the messages in flight as well as the nodes


def select(catalogue: Sequence[Any], names: Sequence[str], key: str = "check.invariants") -> list[Any]:
    """The named checks in the order named (the whole catalogue when none is named)."""
    known = {check.name: check for check in catalogue}
    for name in names:
        if name not in known:
            last = key.rsplit(".", 1)[-1]
            noun = "liveness property" if last == "liveness" else last.removesuffix("s")
            raise SettingsError(key, f"unknown {noun} {name!r}; known: {', '.join(known)}")
    return [known[name] for name in dict.fromkeys(names)] if names else list(catalogue)


class StateChecks:
    """All state invariants of a world at once, memoised on what they read.

    Invariants read the node states and the history variables, never the
    network or the budgets, so worlds that differ only there share results.
    """

    def __init__(self, view: Callable[[Any], Any], checks: list[Callable]) -> None:
        self._view = view
        self._checks = checks
        self._memo: dict = {}
        self._last: tuple = (None, ())

    def results(self, world) -> tuple:
        if self._last[0] is world:
            return self._last[1]
        key = (world.nodes, world.committed, world.commit_terms, world.elected)
        results = self._memo.get(key)
        if results is None:
            view = self._view(world)
            results = self._memo[key] = tuple(check(view) for check in self._checks)
        self._last = (world, results)
        return results


class NetworkCheck:
    """An invariant of each message in flight, judged once per distinct message: the model interns every
    message, so a world is checked by looking for one of the few flagged ids in it (none, usually)."""

    def __init__(self, messages: Sequence[Any], check: Callable) -> None:
        self._messages = messages  # the interned messages, by id; it only grows
        self._check = check
        self._judged = 0
        self._flagged: dict[int, str] = {}

    def check(self, world) -> str | None:
        if self._judged < len(self._messages):
            for message in range(self._judged, len(self._messages)):
                broken = self._check(self._messages[message])
                if broken is not None:
                    self._flagged[message] = broken
            self._judged = len(self._messages)
        if self._flagged:
            for message in world.network:
                if message in self._flagged:
                    return self._flagged[message]
        return None


class StepGoal:
    """A step goal reads node states (and, if it says so, the network): steps that change no node cannot reach
    it, and one that reads nodes only gets the same answer for the same change of nodes, which many steps
    share (they differ in the network): about one check in seven on the default spec."""

    def __init__(self, view: Callable[[Any], Any], check: Callable, reads_network: bool = False) -> None:
        self._view = view
        self._check = check
        self._memo: dict | None = None if reads_network else {}

    def check(self, before, action, after) -> str | None:
        if before.nodes == after.nodes:
            return None
        if self._memo is None:
            return self._check(self._view(before), self._view(after))
        key = (before.nodes, after.nodes)
        if key not in self._memo:
            self._memo[key] = self._check(self._view(before), self._view(after))
        return self._memo[key]

