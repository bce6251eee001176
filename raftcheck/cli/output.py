"""Where the command line writes: results on stdout, progress and notes on stderr, one-line errors.

Colour only on a terminal, and never with NO_COLOR set (rich honours it).
Off a terminal, lines are as wide as COLUMNS says, 240 by default, so CI logs
keep one line per step.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn

import click
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table


def _width(stream) -> int | None:
    return None if stream.isatty() else int(os.environ.get("COLUMNS", "240"))


console = Console(highlight=False, soft_wrap=True, width=_width(sys.stdout))
log = Console(highlight=False, soft_wrap=True, stderr=True, width=_width(sys.stderr))


def fail(message: str, code: int = 2) -> NoReturn:
    """One clear line on stderr and a non-zero exit: the only way bad input leaves."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def check_output_path(path: str | None, flag: str, directory: bool = False) -> None:
    """Refuse, before any work, an output path that cannot be written ("-" is stdout)."""
    if path is None or path == "-":
        return
    target = Path(path)
    if directory:
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            fail(f"{flag} {path}: cannot create the directory: {error.strerror or error}")
        return
    if target.is_dir():
        fail(f"{flag} {path}: is a directory")
    if not target.parent.is_dir():
        fail(f"{flag} {path}: no such directory {str(target.parent)!r}")
    if not os.access(target.parent, os.W_OK):
        fail(f"{flag} {path}: directory {str(target.parent)!r} is not writable")


def write_output(path: str, data: bytes) -> None:
    """Write a report or trace; "-" means stdout."""
    if path == "-":
        sys.stdout.buffer.write(data + b"\n")
        sys.stdout.flush()
    else:
        Path(path).write_bytes(data)


def fits(table: Table, target: Console) -> bool:
    """Whether the table fits the console's width without cutting cells."""
    unbounded = target.options.update(width=100_000, max_width=100_000)
    return Measurement.get(target, unbounded, table).maximum <= target.width
