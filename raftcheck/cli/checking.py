"""`check`, `explore`, `replay`, `rules` and `demo`: the checker's commands."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import click
import networkx
from rich.console import Console

from raftcheck.checker.batch import run_specs
from raftcheck.checker.progress import progress_reporter
from raftcheck.checker.reports import json_document, junit_document, result_line
from raftcheck.checker.runner import Result, run_or_refuse, run_spec
from raftcheck.checker.sequence_view import counterexample_page
from raftcheck.checker.spec import Scenario, Spec, feature_runs, load_spec, proofs, spec_of, spec_paths
from raftcheck.checker.timeline import short_action, short_node, timeline_lines, timeline_table
from raftcheck.checker.run_trace import is_run_trace
from raftcheck.checker.trace import Replay, Trace, load_trace, read_trace_bytes, replay, trace_document
from raftcheck.cli.options import flag_error, given, parse_step_flag, settings_from_flags, settings_options
from raftcheck.cli.runs import replay_run_file
from raftcheck.cli.output import check_output_path, console, fail, fits, log, write_output
from raftcheck.core import FEATURE_DESCRIPTIONS, RULE_DESCRIPTIONS
from raftcheck.demo import build_and_replicate, render_timeline
from raftcheck.errors import RaftcheckError, SettingsError
from raftcheck.liveness import LIVENESS_PROPERTIES
from raftcheck.properties import RAFT_GOALS
from raftcheck.settings import all_fields, field_named

DEFAULT_SPECS = Path(__file__).resolve().parent.parent.parent / "specs"
LIMIT_FIELDS = [field_named("max_states"), field_named("max_seconds"), field_named("walks"), field_named("walk_steps"),
                field_named("seed"), field_named("features"), field_named("workers")]
GRAPH_FORMATS = {
    ".graphml": lambda graph: "\n".join(networkx.generate_graphml(graph)).encode(),
    ".dot": lambda graph: networkx.nx_pydot.to_pydot(graph).to_string().encode(),
}
SIMULATE_HELP = "Random walks instead of exhaustive search (same as --search simulate; see --walks, --walk-steps, --seed)."


def ray_options(command):
    """--ray and --ray-address: where bfs and simulate run when not in this process's own workers."""
    command = click.option("--ray-address", metavar="ADDRESS",
                           help="Run bfs and simulate on the Ray cluster at ADDRESS (e.g. 10.0.0.5:6379; "
                                "--workers defaults to its CPUs).")(command)
    return click.option("--ray", "local_ray", is_flag=True,
                        help="Start Ray on this machine and run bfs and simulate on it.")(command)


def ray_address_of(local_ray: bool, address: str | None) -> str | None:
    if local_ray and address:
        fail("--ray starts Ray here and --ray-address joins a cluster: give one of them")
    return "local" if local_ray else address


@click.command()
@click.argument("targets", nargs=-1, type=click.Path())
@click.option("--json", "json_path", metavar="FILE", help="Write a JSON report here (- for stdout).")
@click.option("--junit", "junit_path", metavar="FILE", help="Write a JUnit XML report here (- for stdout).")
@click.option("--trace-dir", metavar="DIR", help="Save each counterexample as DIR/<spec>.json.")
@click.option("--html", "html_dir", metavar="DIR", help="Draw each counterexample as DIR/<spec>.html.")
@click.option("--quick", is_flag=True,
              help="Skip specs marked `ci = false` and the rules-on proofs marked `proof = \"slow\"`.")
@click.option("--show-counterexamples", is_flag=True, help="Print every counterexample, not only unexpected ones.")
@click.option("--rules-on", "with_rules_on", is_flag=True,
              help="Run every switch spec's rules-on proof, the slow and unproven ones too.")
@click.option("--simulate", is_flag=True, help=SIMULATE_HELP)
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Specs checked at once, each in a process of its own (a spec set on N cores: --jobs N).")
@ray_options
@settings_options(LIMIT_FIELDS)
def check(targets, json_path, junit_path, trace_dir, html_dir, quick, show_counterexamples, with_rules_on, simulate,
          jobs, local_ray, ray_address, **limits) -> None:
    """Run specs (default: the repository's specs/) and compare each verdict with its expectation.

    Exit status: 0 when every verdict matches, 1 when one does not, 2 on bad input (including a spec
    whose start cannot be played with the settings given: it is reported, and the other specs still run).
    """
    check_output_path(json_path, "--json")
    check_output_path(junit_path, "--junit")
    check_output_path(trace_dir, "--trace-dir", directory=True)
    check_output_path(html_dir, "--html", directory=True)
    ray_address = ray_address_of(local_ray, ray_address)
    if jobs > 1 and ray_address is not None:
        fail("--jobs runs specs in processes here; --ray and --ray-address run them on Ray: give one of them")
    try:
        specs = [load_spec(path) for path in spec_paths(list(targets) or [str(DEFAULT_SPECS)])]
    except RaftcheckError as error:
        fail(str(error))
    if quick:
        specs = [spec for spec in specs if spec.ci]
    tiers = ("quick", "slow", "unproven") if with_rules_on else ("quick",) if quick else ("quick", "slow")
    specs += proofs(specs, tiers) + feature_runs(specs)
    overrides = given(limits, LIMIT_FIELDS) | ({"search": "simulate"} if simulate else {})
    if overrides:
        specs = [dataclasses.replace(s, settings=settings_from_flags(overrides, s.settings)) for s in specs]
    # A report on stdout keeps stdout machine-readable: the human lines go to stderr.
    out = log if "-" in (json_path, junit_path) else console
    results: list[Result] = []

    def run_here(spec: Spec) -> Result:
        with progress_reporter(log, spec.name) as progress:
            return run_or_refuse(spec, progress, ray_address=ray_address)

    running = run_specs(specs, jobs, run_here)
    try:
        for result in running:
            results.append(result)
            _report(result, out, show_counterexamples, trace_dir, html_dir)
    except RaftcheckError as error:
        running.close()  # stops the other workers now
        fail(str(error))
    if json_path:
        write_output(json_path, json_document(results))
    if junit_path:
        write_output(junit_path, junit_document(results))
    mismatched = [r.spec.name for r in results if not r.matches]
    refused = sum(r.error is not None for r in results)
    out.print(
        f"{len(results)} specs, {len(results) - len(mismatched)} as expected, {len(mismatched)} not"
        + (f" ({refused} could not start)" if refused else "")
        + (f": {', '.join(mismatched)}" if mismatched else ""),
        markup=False,
    )
    sys.exit(2 if refused else 1 if mismatched else 0)


def _report(result: Result, out: Console, show_counterexamples: bool, trace_dir: str | None,
            html_dir: str | None) -> None:
    """One spec's line, its counterexample where asked for, and its trace and page files."""
    name = result.spec.name
    out.print(result_line(result), markup=False)
    if result.trace is not None and (show_counterexamples or not result.matches):
        _print_counterexample(result.trace, out)
    if result.trace is not None and trace_dir:
        write_output(str(Path(trace_dir) / f"{name}.json"), trace_document(result.trace))
    if result.trace is not None and html_dir:
        page = counterexample_page(result.trace, replay(result.trace), name)
        write_output(str(Path(html_dir) / f"{name}.html"), page.encode())


@click.command()
@settings_options(all_fields())
@click.option("--start", "start", multiple=True, metavar="STEP",
              help='A scripted first step, as a TOML inline table, e.g. \'{ timer = "n1" }\' (repeat).')
@click.option("--trace", "trace_path", metavar="FILE", help="Save a counterexample as JSON here (- for stdout).")
@click.option("--simulate", is_flag=True, help=SIMULATE_HELP)
@click.option("--graph", "graph_path", metavar="FILE",
              help="With --liveness: write the fault-free state graph as GraphML (.graphml) or DOT (.dot).")
@ray_options
def explore(start, trace_path, simulate, graph_path, local_ray, ray_address, **values) -> None:
    """Explore a cluster described by flags (the settings a spec has); print the verdict.

    Exit status: 0 pass, 1 violation, 2 bad input, 3 stopped early (partial) or a goal not reached.
    """
    check_output_path(trace_path, "--trace")
    check_output_path(graph_path, "--graph")
    ray_address = ray_address_of(local_ray, ray_address)
    settings = settings_from_flags(given(values, all_fields()) | ({"search": "simulate"} if simulate else {}))
    if graph_path and (not settings.check.liveness or Path(graph_path).suffix not in GRAPH_FORMATS):
        fail(f"--graph {graph_path}: needs --liveness and a file name ending in {' or '.join(GRAPH_FORMATS)}")
    scenario = Scenario(start=tuple(parse_step_flag(step) for step in start))
    try:
        spec = spec_of("explore", "", settings, scenario)
    except SettingsError as error:
        raise flag_error(error) from None
    except RaftcheckError as error:
        fail(str(error))
    out = log if trace_path == "-" else console
    try:
        with progress_reporter(log, spec.name) as progress:
            result = run_spec(spec, progress, keep_graph=graph_path is not None, ray_address=ray_address)
    except RaftcheckError as error:
        fail(str(error))
    out.print(result_line(result, show_expectation=False), markup=False)
    if graph_path and result.graph is not None:
        exported = result.graph.networkx(short_action, short_node)
        write_output(graph_path, GRAPH_FORMATS[Path(graph_path).suffix](exported))
        log.print(f"wrote {graph_path}: {exported.number_of_nodes():,} states, {exported.number_of_edges():,} steps",
                  markup=False)
    if result.trace is not None:
        _print_counterexample(result.trace, out)
        if trace_path:
            write_output(trace_path, trace_document(result.trace))
    elif trace_path:
        log.print(f"no counterexample ({result.verdict}): no trace written to {trace_path}", markup=False)
    passed = result.verdict == "pass" and not result.search.unreached_goals
    sys.exit(0 if passed else 1 if result.verdict == "violation" else 3)


@click.command(name="replay")
@click.argument("trace_file", type=click.Path(dir_okay=False))
def replay_command(trace_file: str) -> None:
    """Re-run a saved counterexample, or a live run saved by `validate --trace`, and confirm its failure."""
    try:
        data = read_trace_bytes(trace_file)
        if is_run_trace(data):
            replay_run_file(trace_file, data)
            return
        trace = load_trace(trace_file, data)
    except RaftcheckError as error:
        fail(str(error))
    replayed = replay(trace)
    if replayed.views:
        _print_timeline(replayed, console)
    if not replayed.confirms:
        fail(f"the trace does not replay: {replayed.error}", code=1)
    name, message = replayed.broken
    if name != trace.invariant:
        fail(f"the trace breaks {name}, not {trace.invariant} as recorded: {message}", code=1)
    if trace.loop_start is not None:
        console.print(f"confirmed: {name} does not hold on this lasso: {message}", markup=False)
    else:
        console.print(f"confirmed: {name} breaks after step {len(trace.actions)}: {message}", markup=False)


@click.command()
@click.argument("trace_file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "output_path", metavar="FILE",
              help="Where to write the page (default: the trace's name with .html).")
def view(trace_file: str, output_path: str | None) -> None:
    """Draw a saved counterexample as a self-contained HTML sequence diagram."""
    output_path = output_path or str(Path(trace_file).with_suffix(".html"))
    check_output_path(output_path, "--output")
    try:
        data = read_trace_bytes(trace_file)
        if is_run_trace(data):
            fail(f"{trace_file} is a live run's trace: `raftcheck replay {trace_file}` shows it (view draws model "
                 f"traces)")
        trace = load_trace(trace_file, data)
    except RaftcheckError as error:
        fail(str(error))
    replayed = replay(trace)
    if not replayed.views:
        fail(f"the trace does not replay: {replayed.error}", code=1)
    write_output(output_path, counterexample_page(trace, replayed, Path(trace_file).stem).encode())
    console.print(f"wrote {output_path}", markup=False)
    if not replayed.confirms:
        fail(f"the trace does not replay: {replayed.error}; the page shows it as far as it goes", code=1)


@click.command()
def rules() -> None:
    """List the safety-rule switches, each with the rule it enforces."""
    width = max(map(len, RULE_DESCRIPTIONS))
    for name, description in RULE_DESCRIPTIONS.items():
        console.print(f"{name:<{width}}  {description}", markup=False)


@click.command()
def features() -> None:
    """List the feature flags (extensions beyond the paper's algorithm), each with what it does."""
    width = max(map(len, FEATURE_DESCRIPTIONS))
    for name, description in FEATURE_DESCRIPTIONS.items():
        console.print(f"{name:<{width}}  {description}", markup=False)


@click.command()
def goals() -> None:
    """List the coverage goals a spec can require a pass to reach."""
    width = max(len(goal.name) for goal in RAFT_GOALS)
    for goal in RAFT_GOALS:
        console.print(f"{goal.name:<{width}}  {goal.check.__doc__}", markup=False)


@click.command(name="liveness")
def liveness_command() -> None:
    """List the liveness properties a spec can check (`check.liveness`), each with its form."""
    width = max(len(p.name) for p in LIVENESS_PROPERTIES)
    for prop in LIVENESS_PROPERTIES:
        form = prop.form.replace("_", " ")
        console.print(f"{prop.name:<{width}}  {form:<17}  {prop.explanation}", markup=False)


@click.command()
@click.option("--seed", default=7, show_default=True, help="Seed for message order and loss.")
@click.option("--loss", default=0.1, show_default=True, type=click.FloatRange(0.0, 0.5), help="Message loss rate.")
def demo(seed: int, loss: float) -> None:
    """Build a 3-node cluster one server at a time and replicate a write, as a timeline."""
    console.print(render_timeline(build_and_replicate(seed, loss)), markup=False)


def _print_counterexample(trace: Trace, out: Console) -> None:
    replayed = replay(trace)
    _print_timeline(replayed, out)
    out.print(f"{trace.invariant} violated: {trace.message}", markup=False)
    if not replayed.confirms:
        out.print(f"warning: the counterexample did not replay: {replayed.error}", markup=False)


def _print_timeline(replayed: Replay, out: Console) -> None:
    """A table with a column per node when it fits the width, else each step with one node per line."""
    table = timeline_table(replayed)
    if fits(table, out):
        out.print(table)
    else:
        for line in timeline_lines(replayed):
            out.print(line, markup=False)


COMMANDS = (check, explore, replay_command, view, rules, features, goals, liveness_command, demo)
