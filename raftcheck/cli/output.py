"""Where the command line writes: results on stdout, and one-line errors that exit non-zero."""

from __future__ import annotations

import sys
from typing import NoReturn

import click
from rich.console import Console

# Wide when writing to a log or a pipe, so CI logs keep one line per step.
console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 240)


def fail(message: str, code: int = 2) -> NoReturn:
    """One clear line on stderr and a non-zero exit: the only way bad input leaves."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)
