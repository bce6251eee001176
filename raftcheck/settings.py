"""The one schema of raftcheck's settings.

Every setting is one annotated field below: its type, range, default and help
text are written once, its TOML key is `section.field`, and its command-line
flag is `--field-name` (or the `flag` named in its metadata). The spec loader,
`explore`'s flags, the service's shared flags, trace files and the JSON report
are all derived from these classes, and `validate` is the only place that
checks a value. Core parameters take their defaults from `NodeParams`, so the
core, the checker and the service cannot disagree on them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal, NamedTuple

import msgspec
from msgspec import Meta

from raftcheck.core import FEATURE_DESCRIPTIONS, RULE_DESCRIPTIONS, Features, NodeParams, Rules
from raftcheck.errors import SettingsError

_CORE = NodeParams()
MAX_NODES = 7
# Below the service's 1 MiB body limit, with room for the message around the entries.
MAX_APPEND_BYTES = 960 * 1024
A_YEAR = 365 * 24 * 3600

NodeName = Annotated[str, Meta(pattern=r"^[A-Za-z0-9_.:-]{1,40}$")]
NodeNames = tuple[NodeName, ...]
Positive = Annotated[int, Meta(ge=1)]


def _help(text: str, flag: str | None = None, **bounds: Any) -> Meta:
    return Meta(description=text, extra={"flag": flag} if flag else None, **bounds)


class Section(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One TOML table of settings."""


class Cluster(Section):
    nodes: Annotated[
        Annotated[int, Meta(ge=1, le=MAX_NODES)] | Annotated[NodeNames, Meta(min_length=1, max_length=MAX_NODES)],
        _help(f"How many nodes (named n1, n2, ...), or their names; 1 to {MAX_NODES}."),
    ] = 3
    bootstrap: Annotated[NodeNames, _help("A node that boots in Bootstrap mode and waits to be added.")] = ()
    initial_members: Annotated[
        NodeNames | None,
        _help("A node of the initial configuration (default: every node not in Bootstrap mode, if more than one).",
              flag="--member"),
    ] = None
    symmetry: Annotated[bool, _help("Identify states that differ only by the names of interchangeable nodes.")] = True
    max_entries_per_append: Annotated[
        int, _help("Most entries one AppendEntries carries (0: no cap).", ge=0)
    ] = _CORE.max_entries_per_append
    compact_log_after: Annotated[
        int, _help("Snapshot the applied log once this many applied entries follow the last snapshot (0: never).",
                   ge=0)
    ] = _CORE.compact_log_after
    features: Annotated[
        tuple[str, ...], _help("Turn a feature on (repeat; see `raftcheck features`).", flag="--feature")
    ] = _CORE.features.enabled()


class Timing(Section):
    timer: Annotated[
        Literal["fire", "tick"],
        _help('"fire": a node\'s next timer may fire at any moment; "tick": single clock ticks.'),
    ] = "fire"
    election_timeout: Annotated[
        tuple[Positive, Positive], _help("Election timeout range in ticks, LOW HIGH.")
    ] = (_CORE.election_timeout_low, _CORE.election_timeout_high)
    heartbeat_interval: Annotated[int, _help("Ticks between a leader's heartbeats.", ge=1)] = _CORE.heartbeat_interval
    catchup_rounds: Annotated[
        int, _help("Catch-up rounds a new server gets before it is added anyway (thesis 4.2.1).", ge=1)
    ] = _CORE.catchup_rounds


class Failures(Section):
    crashes: Annotated[int, _help("Crash-and-restart budget of one execution.", ge=0)] = 0
    drops: Annotated[int, _help("How many messages one execution may lose.", ge=0)] = 0
    duplicates: Annotated[int, _help("How many messages one execution may duplicate.", ge=0)] = 0
    stops: Annotated[
        int, _help("Servers that may stop for good in one execution: each takes no step again, and every link it "
                   "has fails (turns symmetry off).", ge=0)
    ] = 0
    link_cuts: Annotated[
        int, _help("Links between two nodes that may fail, both ways, in one execution (partitions; "
                   "turns symmetry off).", ge=0)
    ] = 0
    link_heals: Annotated[
        int, _help("Cut links that may heal again in one execution (a partition that ends; each cut and heal "
                   "counts against its budget).", ge=0)
    ] = 0


class Bounds(Section):
    max_term: Annotated[
        int, _help("States with a higher term, or a pre-candidate asking for one, are checked, not expanded.", ge=1)
    ] = 2
    max_log: Annotated[int, _help("States with a longer log are checked, not expanded.", ge=1)] = 4
    max_in_flight: Annotated[
        int, _help("States with more messages in flight are checked, not expanded.", ge=1)
    ] = 4
    max_depth: Annotated[int | None, _help("States deeper than this are not expanded (needed by dfs).")] = None
    client_requests: Annotated[int, _help("Client writes one execution may make.", ge=0)] = 1
    client_reads: Annotated[int, _help("Reads (through the log) a second client may make.", ge=0)] = 0
    client_retries: Annotated[int, _help("Times the writing client may resend a write it made.", ge=0)] = 0
    client_reuses: Annotated[
        int, _help("Times the writing client may send a different write under a seq it used (a misbehaving "
                   "client, which must be refused).", ge=0),
    ] = 0
    client_targets: Annotated[
        Literal["any", "leaders"],
        _help('Which nodes clients ask: "any" (as real clients do; followers answer not_leader) or "leaders".'),
    ] = "any"
    membership_changes: Annotated[int, _help("AddServer/RemoveServer requests one execution may make.", ge=0)] = 0
    membership_retries: Annotated[
        int,
        _help("Resent membership requests that already took effect (AddServer of a member, RemoveServer of a "
              "non-member), as a client that missed the answer sends them.", ge=0),
    ] = 0


class Check(Section):
    invariants: Annotated[
        tuple[str, ...], _help("Check only this invariant (repeat; default: all).", flag="--invariant")
    ] = ()
    goals: Annotated[
        tuple[str, ...], _help("A coverage goal a pass must reach (repeat; see `raftcheck goals`).", flag="--goal")
    ] = ()
    liveness: Annotated[
        tuple[str, ...],
        _help("Check this liveness property under fairness once faults stop (repeat; see `raftcheck liveness`).",
              flag="--liveness"),
    ] = ()
    disabled_rules: Annotated[
        tuple[str, ...], _help("Switch a safety rule off (repeat; see `raftcheck rules`).", flag="--disable-rule")
    ] = ()
    search: Annotated[
        Literal["bfs", "dfs", "simulate"],
        _help('"bfs" finds shortest counterexamples; "dfs" needs max_depth, uses less memory; '
              '"simulate" takes random walks (not exhaustive, for depth).'),
    ] = "bfs"
    workers: Annotated[
        int, _help("Processes that share a bfs search's levels or a simulation's walks (1: this process only; "
              "a liveness check builds its graph in one process).", ge=1, le=1024)
    ] = 1
    walks: Annotated[int, _help("Random walks a simulation takes.", ge=1)] = 1000
    walk_steps: Annotated[int, _help("Most actions in one random walk.", ge=1)] = 100
    seed: Annotated[int, _help("Seed of a simulation's walks: the same seed replays the same run.", ge=0)] = 0
    max_states: Annotated[int | None, _help("Stop after this many states, with a partial verdict.")] = None
    max_seconds: Annotated[float | None, _help("Stop after this many seconds, with a partial verdict.")] = None


class Settings(Section):
    """Everything one exploration needs, as the TOML tables of a spec."""

    cluster: Cluster = Cluster()
    timing: Timing = Timing()
    failures: Failures = Failures()
    bounds: Bounds = Bounds()
    check: Check = Check()

    @property
    def node_names(self) -> tuple[str, ...]:
        nodes = self.cluster.nodes
        return tuple(f"n{i}" for i in range(1, nodes + 1)) if isinstance(nodes, int) else nodes

    @property
    def rules(self) -> Rules:
        return Rules().without(*self.check.disabled_rules)

    @property
    def params(self) -> NodeParams:
        low, high = self.timing.election_timeout
        return NodeParams(
            election_timeout_low=low,
            election_timeout_high=high,
            heartbeat_interval=self.timing.heartbeat_interval,
            catchup_rounds=self.timing.catchup_rounds,
            max_entries_per_append=self.cluster.max_entries_per_append,
            compact_log_after=self.cluster.compact_log_after,
            rules=self.rules,
            features=Features().with_enabled(*self.cluster.features),
        )


class Service(Section):
    """A service node's clock (real milliseconds, turned into the core's ticks) and its message size."""

    tick_ms: Annotated[int, _help("Milliseconds per core tick.", ge=1, le=1000)] = 10
    election_timeout_ms: Annotated[
        tuple[Positive, Positive], _help("Election timeout range in milliseconds, LOW HIGH.")
    ] = (150, 300)
    heartbeat_ms: Annotated[int, _help("Milliseconds between a leader's heartbeats.", ge=1)] = 50
    max_append_bytes: Annotated[
        int, _help("Most bytes of entries one AppendEntries carries; a larger client command is refused (413).",
                   ge=1024, le=MAX_APPEND_BYTES)
    ] = 512 * 1024
    snapshot_entries: Annotated[
        int, _help("Applied entries after which a node snapshots its state machine and compacts its log "
                   "(0: never).", ge=0)
    ] = 1000


# The sections of Settings, then the service's own; a field name is unique across all of them.
SECTIONS: dict[str, type[Section]] = {
    "cluster": Cluster,
    "timing": Timing,
    "failures": Failures,
    "bounds": Bounds,
    "check": Check,
}
SERVICE_SECTION = "service"
# The core parameters the service shares with the checker.
SERVICE_SHARED = ("catchup_rounds", "max_entries_per_append")

# Search limits are finite: "no limit" is the absence of the setting, never NaN or infinity.
_FINITE = {"max_seconds": (0.001, A_YEAR), "max_states": (1, 10**12), "max_depth": (1, 10**6)}


class Field(NamedTuple):
    """One setting, as every front end sees it."""

    section: str
    name: str
    type: Any
    default: Any
    help: str
    flag: str

    @property
    def key(self) -> str:
        return f"{self.section}.{self.name}"


def _fields_of(section: str, cls: type[Section]) -> Iterator[Field]:
    for info in msgspec.inspect.type_info(cls).fields:
        meta = info.type if isinstance(info.type, msgspec.inspect.Metadata) else None
        extra = (meta.extra or {}) if meta else {}
        description = (meta.extra_json_schema or {}).get("description", "") if meta else ""
        flag = extra.get("flag") or "--" + info.name.replace("_", "-")
        yield Field(section, info.name, meta.type if meta else info.type, info.default, description, flag)


def all_fields() -> list[Field]:
    """Every checker setting, in TOML order."""
    return [f for section, cls in SECTIONS.items() for f in _fields_of(section, cls)]


def service_fields() -> list[Field]:
    """The service's own settings and the core parameters it shares with the checker."""
    own = list(_fields_of(SERVICE_SECTION, Service))
    return own + [f for f in all_fields() if f.name in SERVICE_SHARED]


def field_named(name: str) -> Field:
    for f in all_fields():
        if f.name == name:
            return f
    raise SettingsError("", f"unknown setting {name!r}; known: {', '.join(f.name for f in all_fields())}")


def from_tables(raw: Any, cls: type[Section] = Settings) -> Any:
    """Typed settings from TOML-like tables; SettingsError names the key of the first problem."""
    try:
        converted = msgspec.convert(raw, cls)
    except msgspec.ValidationError as error:
        raise _settings_error(error, raw) from None
    return validate(converted) if isinstance(converted, Settings) else converted


def from_flat(values: dict[str, Any], base: Settings | None = None) -> Settings:
    """`base` with settings replaced by field name (as flags and overrides give them), validated."""
    tables = msgspec.to_builtins(base if base is not None else Settings())
    section_of = {f.name: f.section for f in all_fields()}
    for name, value in values.items():
        if name not in section_of:
            field_named(name)
        tables[section_of[name]][name] = list(value) if isinstance(value, tuple) else value
    return from_tables(tables)


def validate(settings: Settings) -> Settings:
    """Check what types cannot say, and resolve defaults that depend on other settings."""
    cluster, check = settings.cluster, settings.check
    names = settings.node_names
    if len(set(names)) != len(names):
        raise SettingsError("cluster.nodes", "node names must be distinct")
    for key, listed in (("bootstrap", cluster.bootstrap), ("initial_members", cluster.initial_members or ())):
        unknown = sorted(set(listed) - set(names))
        if unknown:
            raise SettingsError(f"cluster.{key}", f"{unknown[0]!r} is not one of the nodes {list(names)}")
    members = cluster.initial_members
    if members is None:
        members = tuple(n for n in names if n not in cluster.bootstrap)
        members = members if len(members) > 1 else ()
    if set(members) & set(cluster.bootstrap):
        raise SettingsError("cluster.initial_members", "a node cannot be a member and boot in Bootstrap mode")
    normal = [n for n in names if n not in cluster.bootstrap and n not in members]
    if len(normal) > 1 or (normal and members):
        raise SettingsError(
            "cluster.bootstrap",
            f"{', '.join(normal)} would each form a separate cluster; "
            "boot them in Bootstrap mode or list them in initial_members",
        )
    low, high = settings.timing.election_timeout
    if low > high:
        raise SettingsError("timing.election_timeout", f"expected LOW <= HIGH, got [{low}, {high}]")
    for rule in check.disabled_rules:
        if rule not in RULE_DESCRIPTIONS:
            raise SettingsError("check.disabled_rules", f"unknown rule {rule!r} (see `raftcheck rules`)")
    for feature in settings.cluster.features:
        if feature not in FEATURE_DESCRIPTIONS:
            raise SettingsError("cluster.features", f"unknown feature {feature!r} (see `raftcheck features`)")
    for name, (least, most) in _FINITE.items():
        section = "check" if name != "max_depth" else "bounds"
        value = getattr(getattr(settings, section), name)
        if value is not None and not least <= value <= most:
            raise SettingsError(f"{section}.{name}", f"expected a number from {least:g} to {most:g}, got {value!r}")
    if check.liveness and (settings.timing.timer != "fire" or check.search != "bfs"):
        raise SettingsError("check.liveness", 'liveness is checked with timing.timer = "fire" and check.search = "bfs"')
    if check.workers > 1 and check.search == "dfs":
        raise SettingsError("check.workers", "dfs runs in one process; bfs and simulate run on several workers")
    if check.search == "dfs" and settings.bounds.max_depth is None:
        raise SettingsError("bounds.max_depth", "depth-first search needs a depth bound")
    return msgspec.structs.replace(
        settings,
        cluster=msgspec.structs.replace(
            cluster, nodes=names, initial_members=tuple(sorted(members))
        ),
    )


def _settings_error(error: msgspec.ValidationError, raw: Any) -> SettingsError:
    """msgspec's "Expected `int` >= 1 - at `$.bounds.max_term`" as key "bounds.max_term", "expected int >= 1, got 0"."""
    message, _, where = str(error).partition(" - at `")
    path = where.rstrip("`").removeprefix("$")
    key = path.lstrip(".")
    if message.startswith("Object contains unknown field"):
        field = message.split("`")[1]
        return SettingsError("", f"unknown key {'.'.join(filter(None, (key, field)))!r}")
    detail = message.replace("`", "")
    detail = detail[0].lower() + detail[1:]
    if "got" not in detail:
        found = _lookup(raw, path)
        if found is not _MISSING:
            detail += f", got {found!r}"
    return SettingsError(key, detail)


_MISSING = object()


def _lookup(raw: Any, path: str) -> Any:
    """The raw value at a msgspec path like ".bounds.max_term" or ".cluster.nodes[0]"."""
    value = raw
    for part in path.replace("[", ".[").split("."):
        if not part:
            continue
        try:
            value = value[int(part[1:-1])] if part.startswith("[") else value[part]
        except (KeyError, IndexError, TypeError, ValueError):
            return _MISSING
    return value


def describe_key(flags: bool) -> Callable[[str], str]:
    """How a front end names a setting in errors: its TOML key, or its flag."""
    if not flags:
        return lambda key: key
    by_key = {f.key: f.flag for f in all_fields() + service_fields()}
    return lambda key: by_key.get(key.split("[")[0], key)
