"""Command-line flags derived from the settings schema, and settings built from them.

Every flag's name, type, help and default come from `raftcheck.settings`;
the values given are validated there too, and errors name the flag.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable
from typing import Any

import click
import msgspec

from raftcheck.errors import SettingsError
from raftcheck.settings import Field, Settings, describe_key, from_flat

_inspect = msgspec.inspect


def settings_options(fields: Iterable[Field]) -> Callable:
    """A decorator adding one click option per setting; an unset option is None (or empty)."""
    options = [_option(f) for f in fields]

    def decorate(command: Callable) -> Callable:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def given(values: dict[str, Any], fields: Iterable[Field]) -> dict[str, Any]:
    """The settings the user actually gave, by name (click passes None or () for the rest)."""
    found = {}
    for f in fields:
        value = values.get(f.name)
        if value is None or value == ():
            continue
        found[f.name] = _nodes(value) if f.name == "nodes" else value
    return found


def settings_from_flags(values: dict[str, Any], base: Settings | None = None) -> Settings:
    """Validated settings; a bad value raises click.UsageError naming the flag."""
    try:
        return from_flat(values, base)
    except SettingsError as error:
        raise flag_error(error) from None


def flag_error(error: SettingsError) -> click.UsageError:
    return click.UsageError(f"{describe_key(flags=True)(error.key)}: {error.detail}" if error.key else error.detail)


def parse_step_flag(text: str) -> dict[str, Any]:
    """A `--start` value, a TOML inline table such as '{ timer = "n1" }'."""
    try:
        return tomllib.loads(f"step = {text}")["step"]
    except tomllib.TOMLDecodeError as error:
        raise click.UsageError(f"--start: {text!r} is not a TOML inline table: {error}") from None


def _option(f: Field) -> Callable:
    kind = f.type
    text = f"{f.help} [default: {_shown(f.default)}]"
    inner = _without_none(kind)
    if isinstance(inner, _inspect.BoolType):
        return click.option(f"{f.flag}/--no-{f.flag[2:]}", f.name, default=None, help=text)
    if isinstance(inner, _inspect.LiteralType):
        return click.option(f.flag, f.name, type=click.Choice(list(inner.values)), help=text)
    if isinstance(inner, _inspect.TupleType):
        return click.option(f.flag, f.name, type=int, nargs=len(inner.item_types), help=text)
    if isinstance(inner, _inspect.VarTupleType):
        return click.option(f.flag, f.name, multiple=True, help=text)
    if isinstance(inner, _inspect.UnionType):
        return click.option(f.flag, f.name, type=str, metavar="N|NAMES", help=text + " Names are comma-separated.")
    if isinstance(inner, _inspect.FloatType):
        return click.option(f.flag, f.name, type=float, help=text)
    return click.option(f.flag, f.name, type=int, help=text)


def _without_none(kind: Any) -> Any:
    if isinstance(kind, _inspect.UnionType):
        rest = [t for t in kind.types if not isinstance(t, _inspect.NoneType)]
        if len(rest) == 1:
            return rest[0]
    if isinstance(kind, _inspect.Metadata):
        return _without_none(kind.type)
    return kind


def _shown(default: Any) -> str:
    if default is None or default is msgspec.NODEFAULT:
        return "none"
    if isinstance(default, tuple):
        return " ".join(map(str, default)) or "none"
    return str(default).lower() if isinstance(default, bool) else str(default)


def _nodes(value: str) -> int | tuple[str, ...]:
    value = value.strip()
    if value.lstrip("-").isdigit():
        return int(value)
    return tuple(name.strip() for name in value.split(","))
