"""Quorum overlap, decided by z3: can two configurations form disjoint majorities?

Membership is encoded as one boolean per server and configuration ("server s
is in quorum Q"); z3 is asked for a majority of each configuration with no
server in both. `unsat` proves every pair of majorities intersects; a model is
a witness pair of disjoint quorums.
"""

from __future__ import annotations

from functools import lru_cache

import z3

Members = tuple[str, ...]


def _majority_constraint(members: tuple[str, ...], chosen: dict[str, z3.BoolRef]) -> z3.BoolRef:
    return z3.PbGe([(chosen[s], 1) for s in members], len(members) // 2 + 1)


@lru_cache(maxsize=4096)
def disjoint_majorities(first: Members, second: Members) -> tuple[Members, Members] | None:
    """A majority of `first` and a majority of `second` sharing no server, or None if none exists."""
    if not first or not second:
        return None
    in_first = {s: z3.Bool(f"first_{s}") for s in first}
    in_second = {s: z3.Bool(f"second_{s}") for s in second}
    solver = z3.Solver()
    solver.add(_majority_constraint(first, in_first), _majority_constraint(second, in_second))
    for server in set(first) & set(second):
        solver.add(z3.Not(z3.And(in_first[server], in_second[server])))
    if solver.check() != z3.sat:
        return None
    model = solver.model()
    pick = lambda chosen: tuple(sorted(s for s, v in chosen.items() if z3.is_true(model.eval(v))))  # noqa: E731
    return pick(in_first), pick(in_second)


def changed_config_disjoint_majorities(max_size: int, servers_changed: int) -> tuple[Members, Members, Members, Members] | None:
    """(old, new, old quorum, new quorum) for disjoint majorities, searching every pair of configurations of at most `max_size` servers that differ by
    exactly `servers_changed` servers for disjoint majorities; None proves there are none.

    All configurations at once: membership of the old and new configuration
    and of both quorums are booleans over max_size + servers_changed slots.
    """
    slots = range(max_size + servers_changed)
    old = [z3.Bool(f"old_{i}") for i in slots]
    new = [z3.Bool(f"new_{i}") for i in slots]
    q_old = [z3.Bool(f"q_old_{i}") for i in slots]
    q_new = [z3.Bool(f"q_new_{i}") for i in slots]
    count = lambda bools: z3.Sum([z3.If(b, 1, 0) for b in bools])  # noqa: E731
    solver = z3.Solver()
    for i in slots:
        solver.add(z3.Implies(q_old[i], old[i]), z3.Implies(q_new[i], new[i]), z3.Not(z3.And(q_old[i], q_new[i])))
    solver.add(count(old) >= 1, count(old) <= max_size, count(new) >= 1, count(new) <= max_size)
    solver.add(2 * count(q_old) > count(old), 2 * count(q_new) > count(new))
    solver.add(count([z3.Xor(old[i], new[i]) for i in slots]) == servers_changed)
    if solver.check() != z3.sat:
        return None
    model = solver.model()
    members = lambda bools: tuple(f"s{i + 1}" for i in slots if z3.is_true(model.eval(bools[i])))  # noqa: E731
    return members(old), members(new), members(q_old), members(q_new)
