"""The `raftcheck` command line: check specs, explore ad hoc, replay traces, judge histories, run the service."""

from __future__ import annotations

import click

from raftcheck.cli import checking, linearizable, runs, service


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="raftcheck", prog_name="raftcheck")
def main() -> None:
    """raftcheck: a pure Raft core and the tools that check it exhaustively."""


for command in (*checking.COMMANDS, *runs.COMMANDS, *linearizable.COMMANDS, *service.COMMANDS):
    main.add_command(command)

__all__ = ["main"]
