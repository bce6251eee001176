"""The public Python API: load a spec, check it, read the result."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from raftcheck.checker.runner import Result, run_spec
from raftcheck.checker.spec import Spec, load_spec
from raftcheck.core import handle
from raftcheck.model.universe import Handler
from raftcheck.search.model import Progress
from raftcheck.settings import from_flat


def check(
    spec_or_path: Spec | str | Path,
    *,
    progress: Progress | None = None,
    handler: Handler = handle,
    ray_address: str | None = None,
    **overrides: Any,
) -> Result:
    """Explore a spec (a Spec or a path to a TOML file) and return its Result.

    `overrides` replace settings by name, e.g. `max_states=10_000` or
    `disabled_rules=("vote_once_per_term",)`, and are validated like a spec's.
    `handler` replaces the core's `handle`, e.g. by a deliberately broken one.
    `ray_address` runs bfs and simulate on Ray: "local" starts it here, an
    address joins a cluster (a Ray already started in this process is used).
    Raises a RaftcheckError subclass on bad input.
    """
    spec = spec_or_path if isinstance(spec_or_path, Spec) else load_spec(spec_or_path)
    if overrides:
        spec = dataclasses.replace(spec, settings=from_flat(overrides, spec.settings))
    return run_spec(spec, progress, handler, ray_address=ray_address)


__all__ = ["Result", "Spec", "check", "load_spec"]
