"""Liveness counterexamples on the concrete cluster: lassos replayed lap after lap, and finite runs.

A cycle of the quotient is a claim that the cluster can repeat the same
behaviour for ever, each lap with higher terms and a longer log. The claim
is checked by running it: each lap, from the concrete state it starts in,
takes for each edge of the cycle a fault-free step of the same kind whose
successor has the edge's quotient, and must end where it started, up to the
quotient. A lasso is reported only once it has done that for LAPS laps.

An "always" property is broken by a finite run instead: its steps after the
faults must be fault-free steps, and its last step breaks the property.
"""

from __future__ import annotations

from collections.abc import Sequence

from raftcheck.liveness.fairness import fair_steps
from raftcheck.liveness.properties import LIVENESS_PROPERTIES, LivenessProperty
from raftcheck.liveness.quotient import quotient
from raftcheck.model.actions import Action, Deliver, FireTimer
from raftcheck.model.cluster import RaftClusterModel, World

LAPS = 3


def follow(model: RaftClusterModel, world: World, path: Sequence[tuple[Action, World]],
           timeouts: bool = True) -> list[tuple[Action, World]] | None:
    """Concrete steps from `world` that track `path` (each action's kind, and each target's quotient)."""
    steps = []
    for wanted, target in path:
        for step in fair_steps(model, world, timeouts):
            if _same_kind(step.action, wanted) and quotient(step.successor, model.universe) == target:
                steps.append((step.action, step.successor))
                world = step.successor
                break
        else:
            return None
    return steps


def repeats(model: RaftClusterModel, world: World, cycle: Sequence[tuple[Action, World]], laps: int = LAPS,
            timeouts: bool = True) -> bool:
    """The cycle (actions and the quotients they lead to) runs `laps` more times from `world`, ending in its class."""
    home = quotient(world, model.universe)
    for _ in range(laps):
        steps = follow(model, world, cycle, timeouts)
        if steps is None or (steps and quotient(steps[-1][1], model.universe) != home):
            return False
        if steps:
            world = steps[-1][1]
    return True


def broken_on_loop(prop: LivenessProperty, model: RaftClusterModel, states: list[World],
                   actions: Sequence[Action], loop_start: int, stable_from: int) -> str | None:
    """How the run breaks `prop`, given its states (one more than actions), or None if it does not.

    "eventually P": P fails in every state from where faults stop; "eventually
    always P": P fails somewhere on the loop (in a state, or on a step).
    """
    nodes = [tuple(model.universe.node_states[n] for n in world.nodes) for world in states]
    cuts = [model.links_cut(world) for world in states]
    if prop.form == "eventually":
        if any(prop.holds(n, cut) for n, cut in zip(nodes[stable_from:], cuts[stable_from:])):
            return None
        return "it never holds once faults stop"
    if prop.on_steps:
        for number in range(loop_start, len(actions)):
            if not prop.holds(nodes[number], actions[number], nodes[number + 1], cuts[number]):
                return f"step {number - loop_start + 1} of every lap breaks it"
        return None
    for number in range(loop_start, len(nodes)):
        if not prop.holds(nodes[number], cuts[number]):
            return f"it fails {number - loop_start} steps into every lap"
    return None


def _same_kind(action: Action, wanted: Action) -> bool:
    if type(wanted) is FireTimer:
        return action == wanted
    return type(action) is Deliver and type(wanted) is Deliver and type(action.message) is type(wanted.message)


def liveness_problem(model: RaftClusterModel, name: str, worlds: Sequence[World], actions: Sequence[Action],
                     loop_start: int | None, first_step: int = 0) -> tuple[str | None, str | None]:
    """(what is wrong, None), or (None, how the run breaks property `name`).

    `worlds` and `actions` run from where faults stop (`first_step` actions
    into the whole trace). A lasso's loop is the actions from `loop_start` on;
    without `loop_start` the run is finite and its last step breaks an "always"
    property.
    """
    prop = next((p for p in LIVENESS_PROPERTIES if p.name == name), None)
    if prop is None:
        return f"{name!r} is not a liveness property", None
    if (loop_start is None) != (prop.form == "always"):
        shape = "a run that ends in a step breaking it" if prop.form == "always" else "a lasso"
        return f"{name} is broken by {shape}, and this trace is not one", None
    nodes = tuple(model.universe.node_states[n] for n in worlds[0].nodes)
    if prop.given is not None and not prop.given(nodes, len(worlds[0].network)):
        return f"{name} is not asked of the state after step {first_step}", None
    for number, action in enumerate(actions):
        if action not in [step.action for step in fair_steps(model, worlds[number], prop.timeouts)]:
            timers = "a timer while messages are in flight or heartbeats arrive" if prop.timeouts else \
                "an election timeout, which this property does not allow"
            return f"step {first_step + number + 1} is not a fault-free step (a fault, a request, or {timers})", None
    if loop_start is None:
        return _broken_at_the_end(prop, model, worlds, actions, first_step)
    u = model.universe
    if quotient(worlds[loop_start], u) != quotient(worlds[-1], u):
        return "the loop does not come back to the state it started in (up to terms and log indexes)", None
    cycle = [(actions[i], quotient(worlds[i + 1], u)) for i in range(loop_start, len(actions))]
    if not repeats(model, worlds[-1], cycle, timeouts=prop.timeouts):
        return f"the loop does not run {LAPS} more laps", None
    neglected = _neglected(model, [quotient(w, u) for w in worlds[loop_start:]], actions[loop_start:], prop.timeouts)
    if neglected is not None:
        return f"the loop is not fair: {neglected} is possible on it but never taken", None
    how = broken_on_loop(prop, model, list(worlds), actions, loop_start, 0)
    if how is None:
        return f"{name} holds on this lasso", None
    if len(actions) == loop_start:
        timers = "" if prop.timeouts else " without an election timeout"
        return None, (f"faults stop after step {first_step}, and after step {first_step + loop_start} no fault-free "
                      f"step is possible{timers}: the cluster stays there for ever; {how}")
    return None, (f"faults stop after step {first_step}, then steps {first_step + loop_start + 1} to "
                  f"{first_step + len(actions)} repeat for ever (checked for {LAPS} more laps, terms and log "
                  f"indexes growing); {how}")


def _broken_at_the_end(prop: LivenessProperty, model: RaftClusterModel, worlds: Sequence[World],
                       actions: Sequence[Action], first_step: int) -> tuple[str | None, str | None]:
    """An "always" property: only the last of the fault-free steps may break it (a shortest run stops there)."""
    if not actions:
        return f"{prop.name} needs a step after the faults stop to break it", None
    node_states = model.universe.node_states
    nodes = [tuple(node_states[n] for n in world.nodes) for world in worlds]
    cuts = [model.links_cut(world) for world in worlds]
    broken = [not prop.holds(nodes[i], actions[i], nodes[i + 1], cuts[i]) for i in range(len(actions))]
    if not broken[-1]:
        return f"{prop.name} holds on the last step", None
    if any(broken[:-1]):
        return f"{prop.name} breaks before the last step", None
    how = f"faults stop after step {first_step}, and step {first_step + len(actions)} breaks it"
    if prop.describe_break is not None:
        how += ": " + prop.describe_break(nodes[-2], actions[-1], nodes[-1], cuts[-2])
    return None, how


def _neglected(model: RaftClusterModel, states: list[World], actions: Sequence[Action], timeouts: bool) -> str | None:
    """A step the loop (its quotient states, the last equal to the first) enables somewhere but never takes.

    A loop of no steps stutters in its one state, which then must enable none.
    """
    enabled: dict[tuple[str, int], Action] = {}
    taken = set()
    if not actions:
        enabled = {step.obligation: step.action for step in fair_steps(model, states[0], timeouts)}
    for here, action, there in zip(states, actions, states[1:]):
        for step in fair_steps(model, here, timeouts):
            enabled.setdefault(step.obligation, step.action)
            if _same_kind(step.action, action) and quotient(step.successor, model.universe) == there:
                taken.add(step.obligation)
    missing = sorted(set(enabled) - taken)
    if not missing:
        return None
    action = enabled[missing[0]]
    return f"timer of {action.node}" if type(action) is FireTimer else f"delivering {type(action.message).__name__}"
