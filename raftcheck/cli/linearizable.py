"""`linearizable`: judge a recorded history (raftcheck JSON Lines or a Jepsen EDN log)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import click

from raftcheck.cli.output import check_output_path, console, fail, log, write_output
from raftcheck.errors import HistoryError
from raftcheck.linearizability import MODELS, NOT_LINEARIZABLE, UNKNOWN, check_history, model_named, read_history
from raftcheck.linearizability.html import history_page
from raftcheck.linearizability.report import summary, verdict_document

EXIT_CODES = {NOT_LINEARIZABLE: 1, UNKNOWN: 3}


@click.command()
@click.argument("history", type=click.Path())
@click.option("--model", "model_name", type=click.Choice(list(MODELS)), default="kv", show_default=True,
              help="The sequential object the history is judged against.")
@click.option("--timeout", type=float, default=60.0, show_default=True, metavar="SECONDS",
              help="Give up with verdict `unknown` (exit 3) after this long.")
@click.option("--jobs", type=click.IntRange(min=1), help="Worker processes for the keys (default: one per core).")
@click.option("--json", "json_path", metavar="FILE", help="Write the verdict as JSON here (- for stdout).")
@click.option("--html", "html_path", metavar="FILE", help="Write a picture of a violation here.")
def linearizable(history, model_name, timeout, jobs, json_path, html_path) -> None:
    """Is HISTORY linearizable? Models: register, cas-register, kv (get/put/append), service.

    Exit status: 0 linearizable, 1 not linearizable, 3 unknown (time ran out), 2 bad input.
    """
    if not math.isfinite(timeout) or timeout <= 0:
        fail(f"--timeout: expected a positive number of seconds, got {timeout}")
    check_output_path(json_path, "--json")
    check_output_path(html_path, "--html")
    model = model_named(model_name)
    try:
        operations = read_history(history, model)
        verdict = check_history(operations, model, timeout=timeout, jobs=jobs)
    except HistoryError as error:
        fail(str(error))
    out = log if json_path == "-" else console
    for line in summary(verdict, Path(history).name):
        out.print(line, markup=False)
    if json_path:
        write_output(json_path, json.dumps(verdict_document(verdict, history), indent=2).encode())
    if html_path:
        if verdict.witness is None:
            log.print(f"no picture written: the verdict is {verdict.status}, and only a violation has one")
        else:
            Path(html_path).write_text(history_page(verdict, Path(history).name))
            log.print(f"picture written to {html_path}")
    raise SystemExit(EXIT_CODES.get(verdict.status, 0))


COMMANDS = [linearizable]
