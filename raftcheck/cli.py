"""The `raftcheck` command line."""

from __future__ import annotations

import click

from raftcheck.demo import build_and_replicate, render_timeline


@click.group()
def main() -> None:
    """raftcheck: a pure Raft core and the tools that check it."""


@main.command()
@click.option("--seed", default=7, show_default=True, help="Seed for message order and loss.")
@click.option("--loss", default=0.1, show_default=True, type=click.FloatRange(0.0, 0.5), help="Message loss rate.")
def demo(seed: int, loss: float) -> None:
    """Build a 3-node cluster one server at a time and replicate a write, as a timeline."""
    click.echo(render_timeline(build_and_replicate(seed, loss)))
