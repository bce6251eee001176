"""Scenario files (`specs/*.toml`): what to explore and which verdict to expect.

A spec is read with tomllib and checked field by field against the schema
below (msgspec, unknown keys forbidden); any problem becomes one SpecError
line naming the file, the key and what was expected.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import msgspec

from raftcheck.core import RULE_DESCRIPTIONS, Rules
from raftcheck.model.settings import Bounds, Budgets, ClusterSettings
from raftcheck.properties import ALL_INVARIANTS
from raftcheck.search import Limits


class SpecError(Exception):
    """A spec that cannot be run; str() is one line naming the file and the key."""


class _Table(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class ClusterTable(_Table):
    nodes: int | tuple[str, ...] = 3
    bootstrap: tuple[str, ...] = ()
    initial_members: tuple[str, ...] | None = None
    symmetry: bool = True
    max_entries_per_append: int = 0


class TimingTable(_Table):
    timer: str = "fire"
    election_timeout: tuple[int, int] = (10, 20)
    heartbeat_interval: int = 3
    catchup_rounds: int = 2


class FailuresTable(_Table):
    crashes: int = 0
    drops: int = 0
    duplicates: int = 0


class BoundsTable(_Table):
    max_term: int = 2
    max_log: int = 4
    max_in_flight: int = 4
    max_depth: int | None = None
    client_requests: int = 1
    membership_changes: int = 0


class CheckTable(_Table):
    invariants: tuple[str, ...] = ALL_INVARIANTS
    disabled_rules: tuple[str, ...] = ()
    search: str = "bfs"
    max_states: int | None = None
    max_seconds: float | None = None


class ExpectTable(_Table):
    verdict: str = "pass"
    invariant: str | None = None


class SpecFile(_Table):
    description: str = ""
    ci: bool = True
    start: tuple[str, ...] = ()
    cluster: ClusterTable = msgspec.field(default_factory=ClusterTable)
    timing: TimingTable = msgspec.field(default_factory=TimingTable)
    failures: FailuresTable = msgspec.field(default_factory=FailuresTable)
    bounds: BoundsTable = msgspec.field(default_factory=BoundsTable)
    check: CheckTable = msgspec.field(default_factory=CheckTable)
    expect: ExpectTable = msgspec.field(default_factory=ExpectTable)


@dataclass(frozen=True)
class Spec:
    name: str
    path: str
    description: str
    ci: bool
    settings: ClusterSettings
    invariants: tuple[str, ...]
    search: str
    limits: Limits
    expected_verdict: str
    expected_invariant: str | None
    start: tuple[str, ...] = ()


def load_spec(path: str | Path) -> Spec:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SpecError(f"{path}: cannot read: {error.strerror or error}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SpecError(f"{path}: not valid TOML: {error}") from None
    try:
        spec = msgspec.convert(raw, SpecFile)
    except msgspec.ValidationError as error:
        raise SpecError(f"{path}: {_explain(error)}") from None
    return _build(path, spec)


def spec_paths(targets: list[str]) -> list[Path]:
    """Spec files named directly, or every *.toml in named directories, sorted."""
    found: list[Path] = []
    for target in targets:
        path = Path(target)
        if path.is_dir():
            found.extend(sorted(path.glob("*.toml")))
        elif path.exists():
            found.append(path)
        else:
            raise SpecError(f"{target}: no such spec file or directory")
    if not found:
        raise SpecError(f"no *.toml spec files in {', '.join(targets)}")
    return found


def build_settings(
    *,
    nodes: int | tuple[str, ...],
    bootstrap: tuple[str, ...],
    initial_members: tuple[str, ...] | None,
    disabled_rules: tuple[str, ...],
    where: str,
    **fields,
) -> ClusterSettings:
    """Validated ClusterSettings; `where` prefixes every error (a file, or "option")."""
    names = [f"n{i}" for i in range(1, nodes + 1)] if isinstance(nodes, int) else list(nodes)
    if not 1 <= len(names) <= 7:
        raise SpecError(f"{where}cluster.nodes: expected 1 to 7 nodes, got {len(names)}")
    if len(set(names)) != len(names):
        raise SpecError(f"{where}cluster.nodes: node names must be distinct")
    for key, listed in (("bootstrap", bootstrap), ("initial_members", initial_members or [])):
        unknown = sorted(set(listed) - set(names))
        if unknown:
            raise SpecError(f"{where}cluster.{key}: {unknown[0]!r} is not one of the nodes {names}")
    if initial_members is None:
        initial_members = [n for n in names if n not in bootstrap] if len(names) - len(bootstrap) > 1 else []
    if set(initial_members) & set(bootstrap):
        raise SpecError(f"{where}cluster.initial_members: a node cannot be a member and boot in Bootstrap mode")
    normal = [n for n in names if n not in bootstrap and n not in initial_members]
    if len(normal) > 1 or (normal and initial_members):
        raise SpecError(
            f"{where}cluster.bootstrap: {', '.join(normal)} would each form a separate cluster; "
            "boot them in Bootstrap mode or list them in initial_members"
        )
    unknown_rules = [r for r in disabled_rules if r not in RULE_DESCRIPTIONS]
    if unknown_rules:
        raise SpecError(
            f"{where}check.disabled_rules: unknown rule {unknown_rules[0]!r} (see `raftcheck rules`)"
        )
    timer = fields.pop("timer")
    if timer not in ("fire", "tick"):
        raise SpecError(f"{where}timing.timer: expected \"fire\" or \"tick\", got {timer!r}")
    low_high = fields.pop("election_timeout")
    if not 1 <= low_high[0] <= low_high[1]:
        raise SpecError(f"{where}timing.election_timeout: expected [low, high] with 1 <= low <= high")
    for key in ("heartbeat_interval", "catchup_rounds", "max_term", "max_log", "max_in_flight"):
        if fields[key] < 1:
            raise SpecError(f"{where}{_section(key)}.{key}: expected a positive integer, got {fields[key]}")
    for key in ("crashes", "drops", "duplicates", "client_requests", "membership_changes", "max_entries_per_append"):
        if fields[key] < 0:
            raise SpecError(f"{where}{_section(key)}.{key}: expected zero or more, got {fields[key]}")
    return ClusterSettings(
        nodes=tuple(names),
        bootstrap=tuple(bootstrap),
        initial_members=tuple(sorted(initial_members)),
        rules=Rules().without(*disabled_rules),
        timer=timer,
        election_timeout=(low_high[0], low_high[1]),
        heartbeat_interval=fields["heartbeat_interval"],
        catchup_rounds=fields["catchup_rounds"],
        max_entries_per_append=fields["max_entries_per_append"],
        symmetry=fields["symmetry"],
        budgets=Budgets(
            client_requests=fields["client_requests"],
            membership_changes=fields["membership_changes"],
            crashes=fields["crashes"],
            drops=fields["drops"],
            duplicates=fields["duplicates"],
        ),
        bounds=Bounds(max_term=fields["max_term"], max_log=fields["max_log"], max_in_flight=fields["max_in_flight"]),
    )


def check_invariants(invariants: tuple[str, ...], where: str) -> tuple[str, ...]:
    unknown = [name for name in invariants if name not in ALL_INVARIANTS]
    if unknown:
        raise SpecError(f"{where}check.invariants: unknown invariant {unknown[0]!r}; known: {', '.join(ALL_INVARIANTS)}")
    if not invariants:
        raise SpecError(f"{where}check.invariants: name at least one invariant")
    return tuple(invariants)


def _build(path: Path, spec: SpecFile) -> Spec:
    where = f"{path}: "
    c, t, f, b, k, e = spec.cluster, spec.timing, spec.failures, spec.bounds, spec.check, spec.expect
    settings = build_settings(
        nodes=c.nodes,
        bootstrap=c.bootstrap,
        initial_members=c.initial_members,
        disabled_rules=k.disabled_rules,
        where=where,
        symmetry=c.symmetry,
        max_entries_per_append=c.max_entries_per_append,
        timer=t.timer,
        election_timeout=t.election_timeout,
        heartbeat_interval=t.heartbeat_interval,
        catchup_rounds=t.catchup_rounds,
        crashes=f.crashes,
        drops=f.drops,
        duplicates=f.duplicates,
        max_term=b.max_term,
        max_log=b.max_log,
        max_in_flight=b.max_in_flight,
        client_requests=b.client_requests,
        membership_changes=b.membership_changes,
    )
    invariants = check_invariants(k.invariants, where)
    if k.search not in ("bfs", "dfs"):
        raise SpecError(f"{where}check.search: expected \"bfs\" or \"dfs\", got {k.search!r}")
    if b.max_depth is not None and b.max_depth < 1:
        raise SpecError(f"{where}bounds.max_depth: expected a positive integer, got {b.max_depth}")
    if k.search == "dfs" and b.max_depth is None:
        raise SpecError(f"{where}bounds.max_depth: depth-first search needs a depth bound")
    if e.verdict not in ("pass", "violation"):
        raise SpecError(f"{where}expect.verdict: expected \"pass\" or \"violation\", got {e.verdict!r}")
    if e.verdict == "violation" and e.invariant not in invariants:
        raise SpecError(f"{where}expect.invariant: name the invariant expected to break, one of check.invariants")
    if e.verdict == "pass" and e.invariant is not None:
        raise SpecError(f"{where}expect.invariant: only a \"violation\" verdict names an invariant")
    return Spec(
        name=path.stem,
        path=str(path),
        description=spec.description,
        ci=spec.ci,
        settings=settings,
        invariants=invariants,
        search=k.search,
        limits=Limits(max_depth=b.max_depth, max_states=k.max_states, max_seconds=k.max_seconds),
        expected_verdict=e.verdict,
        expected_invariant=e.invariant,
        start=spec.start,
    )


def _section(key: str) -> str:
    if key in ("crashes", "drops", "duplicates"):
        return "failures"
    if key == "max_entries_per_append":
        return "cluster"
    if key in ("heartbeat_interval", "catchup_rounds"):
        return "timing"
    return "bounds"


def _explain(error: msgspec.ValidationError) -> str:
    """msgspec's "Expected `int`, got `str` - at `$.bounds.max_term`" as "bounds.max_term: expected int, got str"."""
    message, _, where = str(error).partition(" - at `")
    key = where.rstrip("`").removeprefix("$").lstrip(".")
    if message.startswith("Object contains unknown field"):
        field = message.split("`")[1]
        return f"unknown key {'.'.join(filter(None, (key, field)))!r}"
    message = message.replace("`", "")
    return f"{key or 'top level'}: {message[0].lower()}{message[1:]}"
