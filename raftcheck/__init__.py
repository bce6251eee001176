"""raftcheck: a pure Raft core and the tools that check it exhaustively.

The public API:

    import raftcheck
    result = raftcheck.check("specs/vote_once_per_term.toml", max_states=100_000)
    result.verdict, result.invariant, result.matches, result.trace

`load_spec(path)` reads a spec; every error is a `RaftcheckError`
(`SpecError`, `SettingsError`, `TraceError`) whose message is one line.
"""

from __future__ import annotations

from typing import Any

from raftcheck.errors import RaftcheckError, RayError, SettingsError, SpecError, TraceError

_LAZY = {"check", "load_spec", "Result", "Spec"}


def __getattr__(name: str) -> Any:
    # The checker pulls in z3 and the whole model; `import raftcheck.core` must stay light.
    if name in _LAZY:
        from raftcheck.checker import api

        return getattr(api, name)
    raise AttributeError(f"module 'raftcheck' has no attribute {name!r}")


__all__ = ["RaftcheckError", "RayError", "Result", "SettingsError", "Spec", "SpecError", "TraceError", "check", "load_spec"]
