"""The interface a model offers the search, and what a search returns (after Stateright)."""

from __future__ import annotations

import time
from functools import partial
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

S = TypeVar("S")
A = TypeVar("A")


class Property(NamedTuple):
    """An invariant: `check(state)` returns None when it holds, else what went wrong."""

    name: str
    check: Callable[[Any], str | None]


class TransitionProperty(NamedTuple):
    """An invariant of steps: `check(before, action, after)` returns None or what went wrong."""

    name: str
    check: Callable[[Any, Any, Any], str | None]


class Model(Protocol[S, A]):
    """What a search needs of a model (after Stateright's Model).

    `properties` must hold in every state and `transition_properties` on every
    step; a model may add `first_broken(state)` and `first_broken_step(before,
    action, after)`, faster equivalents of checking them in order (see
    `state_checker`, `step_checker`). `goals` and `step_goals` are
    `sometimes` properties: each must be
    reached (its check returns a description instead of None) by some state
    or step, or a pass does not show what it claims. A model may also add
    `spill_codec()`, an (encode, decode) pair between a list of states and
    fingerprints and bytes, so that a big breadth-first search keeps most of
    its frontier on disk (`frontier.py`). And it may add `moves(state)`: each
    enabled action with how to build the state it leads to, as (action, build,
    args), so that a simulation builds only the state it takes (`simulate.py`) and
    breadth-first search runs one generator less per transition.
    """

    properties: Sequence[Property]
    transition_properties: Sequence[TransitionProperty]
    goals: Sequence[Property]
    step_goals: Sequence[TransitionProperty]

    def initial_states(self) -> Sequence[S]: ...

    def successors(self, state: S) -> Iterable[tuple[A, S]]:
        """Every enabled action with the state it leads to."""

    def fingerprint(self, state: S) -> int:
        """A signed 64-bit key (as hash() gives), equal for states the search may treat as one (e.g. up to symmetry)."""

    def beyond_bounds(self, state: S) -> str | None:
        """The bound a state exceeds (checked, but not explored further), or None."""

    def next_state(self, state: S, action: A) -> S:
        """Replay one action; raises ValueError if the action is not enabled in `state`."""


@dataclass(frozen=True)
class Limits:
    max_depth: int | None = None
    max_states: int | None = None
    max_seconds: float | None = None


@dataclass
class Violation(Generic[A]):
    """A broken property and the path to it: the initial state's index, then the actions.

    A liveness violation is a lasso: no fault from step `stable_from` on, and
    the steps from `loop_start` to the end repeat for ever.
    """

    property: str
    message: str
    initial: int
    actions: list[A]
    loop_start: int | None = None
    stable_from: int | None = None

    def shift(self, steps: int) -> None:
        """The path got `steps` actions in front: move the lasso's marks with it."""
        if self.loop_start is not None:
            self.loop_start += steps
        if self.stable_from is not None:
            self.stable_from += steps


@dataclass
class SearchResult:
    verdict: str  # "pass", "violation" or "partial"
    states: int
    transitions: int
    depth: int
    seconds: float
    violation: Violation | None = None
    stopped_because: str | None = None
    unexpanded: dict[str, int] = field(default_factory=dict)
    goals: dict[str, str | None] = field(default_factory=dict)
    exhaustive: bool = True
    coverage: int | None = None
    walks: int | None = None  # a simulation's walks taken

    @property
    def unreached_goals(self) -> list[str]:
        return [name for name, how in self.goals.items() if how is None]

    @property
    def states_per_second(self) -> float:
        return self.states / self.seconds if self.seconds > 0 else 0.0


@dataclass
class Stats:
    """Counters a search updates and reports to its progress callback."""

    started: float = field(default_factory=time.perf_counter)
    states: int = 0
    transitions: int = 0
    depth: int = 0
    queued: int = 0
    unexpanded: dict[str, int] = field(default_factory=dict)
    goals: GoalTracker | None = None

    def not_expanded(self, reason: str) -> None:
        self.unexpanded[reason] = self.unexpanded.get(reason, 0) + 1

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def out_of_budget(self, limits: Limits) -> str | None:
        if limits.max_states is not None and self.states >= limits.max_states:
            return f"reached max_states = {limits.max_states}"
        if limits.max_seconds is not None and self.seconds >= limits.max_seconds:
            return f"reached max_seconds = {limits.max_seconds:g}"
        return None

    def out_of_memory(self) -> SearchResult:
        """What was explored before memory ran out: a partial verdict that says so."""
        return self.result("partial", stopped=f"ran out of memory after {self.states:,} states at depth {self.depth}")

    def result(self, verdict: str, violation: Violation | None = None, stopped: str | None = None) -> SearchResult:
        goals = self.goals.reached if self.goals is not None else {}
        return SearchResult(
            verdict, self.states, self.transitions, self.depth, self.seconds, violation, stopped,
            dict(self.unexpanded), goals,
        )


class GoalTracker:
    """Which of a model's goals some state or step has reached; checks only those still pending."""

    def __init__(self, model: Model) -> None:
        goals = getattr(model, "goals", ())
        step_goals = getattr(model, "step_goals", ())
        self.reached: dict[str, str | None] = {goal.name: None for goal in [*goals, *step_goals]}
        self._states = list(goals)
        self._steps = list(step_goals)
        self.pending = bool(self.reached)

    def state(self, state: Any) -> None:
        for goal in self._states:
            how = goal.check(state)
            if how is not None:
                self.reached[goal.name] = how
                self._states = [goal for goal in self._states if self.reached[goal.name] is None]
                self.pending = bool(self._states or self._steps)

    def step(self, before: Any, action: Any, after: Any) -> None:
        for goal in self._steps:
            how = goal.check(before, action, after)
            if how is not None:
                self.reached[goal.name] = how
                self._steps = [goal for goal in self._steps if self.reached[goal.name] is None]
                self.pending = bool(self._states or self._steps)


def state_checker(model: Model) -> Callable[[Any], tuple[str, str] | None]:
    """`first_broken` over the model's properties, or the model's own `first_broken(state)` if it has a faster one."""
    own = getattr(model, "first_broken", None)
    return own if own is not None else partial(first_broken, model.properties)


def step_checker(model: Model) -> Callable[[Any, Any, Any], tuple[str, str] | None]:
    """`first_broken_step` over the model's transition properties, or the model's own faster one."""
    own = getattr(model, "first_broken_step", None)
    return own if own is not None else partial(first_broken_step, model.transition_properties)


def moves_of(model: Model) -> Callable[[Any], Iterable[tuple[Any, Callable[..., Any], tuple]]]:
    """The model's own `moves(state)`, or the same from its `successors` (each world already built)."""
    own = getattr(model, "moves", None)
    return own if own is not None else partial(_moves_from_successors, model)


def _moves_from_successors(model: Model, state: Any) -> Iterator[tuple[Any, Callable[..., Any], tuple]]:
    for action, successor in model.successors(state):
        yield action, _given, (successor,)


def _given(state: Any) -> Any:
    return state


def first_broken(properties: Sequence[Property], state: Any) -> tuple[str, str] | None:
    for prop in properties:
        message = prop.check(state)
        if message is not None:
            return prop.name, message
    return None


def first_broken_step(properties: Sequence[TransitionProperty], before: Any, action: Any, after: Any):
    for prop in properties:
        message = prop.check(before, action, after)
        if message is not None:
            return prop.name, message
    return None


Progress = Callable[[Stats], None]


def actions_along(model: Model, initial: int, keys: Sequence[int]) -> tuple[list, Any]:
    """The actions from initial state `initial` through the states whose fingerprints are `keys`, and the last
    state: searches keep each state's parent fingerprint, not the action, and find it again here."""
    state = model.initial_states()[initial]
    actions = []
    for key in keys:
        action, state = next((a, s) for a, s in model.successors(state) if model.fingerprint(s) == key)
        actions.append(action)
    return actions, state
