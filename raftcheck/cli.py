"""The `raftcheck` command line: check specs, explore ad hoc, replay traces, list rules, demo."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click
from rich.console import Console

from raftcheck.core import RULE_DESCRIPTIONS
from raftcheck.demo import build_and_replicate, render_timeline
from raftcheck.progress import progress_reporter
from raftcheck.properties import ALL_INVARIANTS
from raftcheck.reports import write_json, write_junit
from raftcheck.runner import Outcome, run_spec
from raftcheck.search import Limits
from raftcheck.spec import Spec, SpecError, build_settings, check_invariants, load_spec, spec_paths
from raftcheck.timeline import timeline_table
from raftcheck.trace import TraceError, load_trace, replay, save_trace

DEFAULT_SPECS = Path(__file__).resolve().parent.parent / "specs"

# Wide when writing to a log or a pipe, so CI logs keep one line per step.
console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 240)


def fail(message: str, code: int = 2) -> None:
    """One clear line on stderr and a non-zero exit: the only way bad input leaves."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@click.group()
def main() -> None:
    """raftcheck: a pure Raft core and the tools that check it exhaustively."""


@main.command()
@click.argument("targets", nargs=-1, type=click.Path())
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write a JSON report here.")
@click.option("--junit", "junit_path", type=click.Path(dir_okay=False), help="Write a JUnit XML report here.")
@click.option("--trace-dir", type=click.Path(file_okay=False), help="Save each counterexample as DIR/<spec>.json.")
@click.option("--quick", is_flag=True, help="Skip specs marked `ci = false` (the big ones).")
@click.option("--show-counterexamples", is_flag=True, help="Print every counterexample, not only unexpected ones.")
@click.option("--max-states", type=click.IntRange(min=1), help="Stop each spec after this many states (partial).")
@click.option("--max-seconds", type=click.FloatRange(min=0, min_open=True), help="Stop each spec after this long.")
def check(targets, json_path, junit_path, trace_dir, quick, show_counterexamples, max_states, max_seconds) -> None:
    """Run specs (default: the repository's specs/) and compare each verdict with its expectation.

    Exit status: 0 when every verdict matches, 1 when one does not, 2 on bad input.
    """
    try:
        specs = [load_spec(path) for path in spec_paths(list(targets) or [str(DEFAULT_SPECS)])]
    except SpecError as error:
        fail(str(error))
    if quick:
        specs = [spec for spec in specs if spec.ci]
    if trace_dir:
        Path(trace_dir).mkdir(parents=True, exist_ok=True)
    overrides = Limits(max_states=max_states, max_seconds=max_seconds)
    outcomes: list[Outcome] = []
    for spec in specs:
        try:
            with progress_reporter(console, spec.name) as progress:
                outcome = run_spec(spec, progress, overrides)
        except SpecError as error:
            fail(str(error))
        outcomes.append(outcome)
        console.print(_outcome_line(outcome), markup=False)
        if outcome.trace is not None and (show_counterexamples or not outcome.matches):
            _print_counterexample(outcome.trace)
        if outcome.trace is not None and trace_dir:
            save_trace(outcome.trace, Path(trace_dir) / f"{spec.name}.json")
    if json_path:
        write_json(outcomes, json_path)
    if junit_path:
        write_junit(outcomes, junit_path)
    mismatched = [o.spec.name for o in outcomes if not o.matches]
    console.print(
        f"{len(outcomes)} specs, {len(outcomes) - len(mismatched)} as expected, {len(mismatched)} not"
        + (f": {', '.join(mismatched)}" if mismatched else ""),
        markup=False,
    )
    sys.exit(1 if mismatched else 0)


@main.command()
@click.option("--nodes", type=click.IntRange(1, 7), default=3, show_default=True)
@click.option("--bootstrap", multiple=True, help="A node that boots in Bootstrap mode (repeat).")
@click.option("--member", "members", multiple=True, help="A node of the initial configuration (repeat).")
@click.option("--timer", type=click.Choice(["fire", "tick"]), default="fire", show_default=True)
@click.option("--max-term", type=int, default=2, show_default=True)
@click.option("--max-log", type=int, default=4, show_default=True)
@click.option("--max-in-flight", type=int, default=4, show_default=True)
@click.option("--max-depth", type=click.IntRange(min=1))
@click.option("--client-requests", type=int, default=1, show_default=True)
@click.option("--membership-changes", type=int, default=0, show_default=True)
@click.option("--crashes", type=int, default=0, show_default=True)
@click.option("--drops", type=int, default=0, show_default=True)
@click.option("--duplicates", type=int, default=0, show_default=True)
@click.option("--disable-rule", "disabled", multiple=True, help="Switch a safety rule off (repeat); see `rules`.")
@click.option("--invariant", "invariants", multiple=True, help="Check only these invariants (repeat).")
@click.option("--no-symmetry", is_flag=True, help="Do not identify states that differ only by node names.")
@click.option("--dfs", is_flag=True, help="Depth-first (needs --max-depth): less memory, not shortest.")
@click.option("--max-states", type=click.IntRange(min=1))
@click.option("--max-seconds", type=click.FloatRange(min=0, min_open=True))
@click.option("--trace", "trace_path", type=click.Path(dir_okay=False), help="Save a counterexample as JSON here.")
def explore(**options) -> None:
    """Explore a cluster described by flags; print the verdict and any counterexample.

    Exit status: 0 pass, 1 violation, 2 bad input, 3 stopped early (partial).
    """
    try:
        spec = _spec_from_options(options)
    except SpecError as error:
        fail(str(error))
    with progress_reporter(console, spec.name) as progress:
        outcome = run_spec(spec, progress)
    console.print(_outcome_line(outcome, show_expectation=False), markup=False)
    if outcome.trace is not None:
        _print_counterexample(outcome.trace)
        if options["trace_path"]:
            save_trace(outcome.trace, options["trace_path"])
    sys.exit({"pass": 0, "violation": 1}.get(outcome.verdict, 3))


@main.command(name="replay")
@click.argument("trace_file", type=click.Path(dir_okay=False))
def replay_command(trace_file: str) -> None:
    """Re-run a saved counterexample against the real core and confirm the violation."""
    try:
        trace = load_trace(trace_file)
    except TraceError as error:
        fail(str(error))
    replayed = replay(trace)
    if replayed.views:
        console.print(timeline_table(replayed))
    if not replayed.confirms:
        fail(f"the trace does not replay: {replayed.error}", code=1)
    name, message = replayed.broken
    if name != trace.invariant:
        fail(f"the trace breaks {name}, not {trace.invariant} as recorded: {message}", code=1)
    console.print(f"confirmed: {name} breaks after step {len(trace.actions)}: {message}", markup=False)


@main.command()
def rules() -> None:
    """List the safety-rule switches, each with the rule it enforces."""
    width = max(map(len, RULE_DESCRIPTIONS))
    for name, description in RULE_DESCRIPTIONS.items():
        console.print(f"{name:<{width}}  {description}", markup=False)


@main.command()
@click.option("--seed", default=7, show_default=True, help="Seed for message order and loss.")
@click.option("--loss", default=0.1, show_default=True, type=click.FloatRange(0.0, 0.5), help="Message loss rate.")
def demo(seed: int, loss: float) -> None:
    """Build a 3-node cluster one server at a time and replicate a write, as a timeline."""
    console.print(render_timeline(build_and_replicate(seed, loss)), markup=False)


@main.command()
@click.argument("address")
@click.option("--bootstrap", is_flag=True, help="Wait to be added with AddServer instead of forming a cluster.")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Where term, vote and log live.")
@click.option("--tick-ms", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--election-timeout-ms", type=(int, int), default=(150, 300), show_default=True)
@click.option("--heartbeat-ms", type=click.IntRange(1), default=50, show_default=True)
def server(address, bootstrap, data_dir, tick_ms, election_timeout_ms, heartbeat_ms) -> None:
    """Run one node of the replicated key-value service at ADDRESS (HOST:PORT)."""
    from raftcheck.service.server import node_id, params_for, serve
    from raftcheck.service.storage import StorageError

    try:
        me = node_id(address)
    except ValueError as error:
        fail(str(error))
    low, high = election_timeout_ms
    if not 0 < low <= high or heartbeat_ms >= low:
        fail("--election-timeout-ms needs 0 < LOW <= HIGH, and --heartbeat-ms must be below LOW")
    directory = Path(data_dir or Path("raftcheck-data") / me.replace(":", "_"))
    try:
        asyncio.run(serve(address, bootstrap, directory, params_for(tick_ms, (low, high), heartbeat_ms), tick_ms))
    except StorageError as error:
        fail(str(error))
    except OSError as error:
        fail(f"cannot serve on {me}: {error.strerror or error}")


@main.command()
@click.argument("address")
@click.argument("command", type=click.Choice(["set", "get", "add-server", "remove-server", "status"]))
@click.argument("args", nargs=-1)
def client(address, command, args) -> None:
    """Talk to the cluster through any node at ADDRESS; follows the leader itself.

    \b
    client ADDRESS set KEY VALUE
    client ADDRESS get KEY
    client ADDRESS add-server HOST:PORT
    client ADDRESS remove-server HOST:PORT
    client ADDRESS status
    """
    arity = {"set": 2, "get": 1, "add-server": 1, "remove-server": 1, "status": 0}[command]
    if len(args) != arity:
        fail(f"{command} takes {arity} argument{'s' if arity != 1 else ''}, got {len(args)}")
    from raftcheck.service.client import ServiceError
    from raftcheck.service.server import node_id

    try:
        target = node_id(address)
        if command in ("add-server", "remove-server"):
            args = (node_id(args[0]),)
    except ValueError as error:
        fail(str(error))
    try:
        code = asyncio.run(_client(target, command, args))
    except ServiceError as error:
        fail(str(error), code=1)
    sys.exit(code)


async def _client(target: str, command: str, args: tuple[str, ...]) -> int:
    import aiohttp

    from raftcheck.service.client import ServiceClient, ServiceError

    timeout = aiohttp.ClientTimeout(total=12)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        service = ServiceClient(session, target)
        if command == "status":
            return await _print_status(service, target)
        if command == "set":
            reply = await service.set(*args)
        elif command == "get":
            reply = await service.get(*args)
        elif command == "add-server":
            reply = await service.add_server(*args)
        else:
            reply = await service.remove_server(*args)
        if reply.get("status") != "ok":
            raise ServiceError(f"{command} failed: {reply.get('status')}")
        if command == "get":
            if reply.get("result") is None:
                click.echo(f"{args[0]} is not set", err=True)
                return 1
            click.echo(reply["result"])
        else:
            click.echo("ok")
        return 0


async def _print_status(service, target: str) -> int:
    import aiohttp

    from raftcheck.service.client import ServiceError

    try:
        first = await service.status(target)
    except (aiohttp.ClientError, OSError) as error:
        raise ServiceError(f"{target} unreachable ({type(error).__name__})") from None
    width = max(len(n) for n in first["configuration"] + [target])
    click.echo(f"{'node':<{width}}  role       term  leader{' ' * (width - 6)}  commit  log  configuration")
    for node in sorted(set(first["configuration"]) | {target}):
        try:
            s = await service.status(node)
        except (aiohttp.ClientError, OSError):
            click.echo(f"{node:<{width}}  unreachable")
            continue
        click.echo(
            f"{node:<{width}}  {s['role']:<9}  {s['term']:>4}  {str(s['leader'] or '-'):<{width}}  "
            f"{s['commit_index']:>6}  {s['last_log_index']:>3}  {','.join(s['configuration'])}"
        )
    return 0


def _spec_from_options(options: dict) -> Spec:
    where = "option "
    settings = build_settings(
        nodes=options["nodes"],
        bootstrap=tuple(options["bootstrap"]),
        initial_members=tuple(options["members"]) or None,
        disabled_rules=tuple(options["disabled"]),
        where=where,
        symmetry=not options["no_symmetry"],
        timer=options["timer"],
        election_timeout=(10, 20),
        heartbeat_interval=3,
        catchup_rounds=2,
        max_entries_per_append=0,
        **{key: options[key] for key in ("crashes", "drops", "duplicates", "max_term", "max_log", "max_in_flight")},
        client_requests=options["client_requests"],
        membership_changes=options["membership_changes"],
    )
    invariants = check_invariants(tuple(options["invariants"]) or ALL_INVARIANTS, where)
    if options["dfs"] and options["max_depth"] is None:
        raise SpecError("option --dfs: depth-first search needs --max-depth")
    return Spec(
        name="explore",
        path="(command line)",
        description="",
        ci=True,
        settings=settings,
        invariants=invariants,
        search="dfs" if options["dfs"] else "bfs",
        limits=Limits(options["max_depth"], options["max_states"], options["max_seconds"]),
        expected_verdict="pass",
        expected_invariant=None,
    )


def _outcome_line(outcome: Outcome, show_expectation: bool = True) -> str:
    r = outcome.result
    mark = ("ok  " if outcome.matches else "FAIL") if show_expectation else ""
    expectation = f" (expected {outcome.expected})" if show_expectation and not outcome.matches else ""
    return (
        f"{mark} {outcome.spec.name:<36} {outcome.found}{expectation}: {r.states:,} states, "
        f"{r.transitions:,} transitions, depth {r.depth}, {r.seconds:.2f}s, {r.states_per_second:,.0f} states/s"
    ).strip()


def _print_counterexample(trace) -> None:
    replayed = replay(trace)
    console.print(timeline_table(replayed))
    console.print(f"{trace.invariant} violated: {trace.message}", markup=False)
    if not replayed.confirms:
        console.print(f"warning: the counterexample did not replay: {replayed.error}", markup=False)
