"""A pytest plugin: `pytest specs/` runs each raftcheck spec as a test.

A spec passes when its verdict is the one it expects; a failure shows the
counterexample's timeline. `--raftcheck-quick` skips specs marked
`ci = false`. JUnit comes from pytest's own `--junitxml`, with each spec's
states, transitions and depth as test properties. Spec files are the `*.toml`
files in directories named by the `raftcheck_spec_dirs` ini option (default:
`specs`), so a project's other TOML files are left alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from raftcheck.checker.reports import result_line
from raftcheck.checker.runner import Result, run_spec
from raftcheck.checker.spec import Spec, load_spec
from raftcheck.checker.timeline import timeline_lines
from raftcheck.checker.trace import replay
from raftcheck.errors import RaftcheckError


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("raftcheck")
    group.addoption("--raftcheck-quick", action="store_true",
                    help="Skip raftcheck specs marked `ci = false` (the big ones).")
    parser.addini("raftcheck_spec_dirs", type="linelist", default=["specs"],
                  help="Names of directories whose *.toml files are raftcheck specs.")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix == ".toml" and file_path.parent.name in parent.config.getini("raftcheck_spec_dirs"):
        return SpecFile.from_parent(parent, path=file_path)
    return None


class SpecFile(pytest.File):
    def collect(self):
        spec = load_spec(self.path)
        yield SpecItem.from_parent(self, name=spec.name, spec=spec)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, RaftcheckError):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)


class SpecMismatch(Exception):
    """A spec's verdict is not the one it expects."""


class SpecItem(pytest.Item):
    def __init__(self, *, spec: Spec, **kwargs) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        if not spec.ci:
            self.add_marker(pytest.mark.raftcheck_slow)

    def runtest(self) -> None:
        if not self.spec.ci and self.config.getoption("raftcheck_quick"):
            pytest.skip("ci = false: skipped by --raftcheck-quick")
        result = run_spec(self.spec)
        search = result.search
        self.user_properties += [("verdict", result.found), ("states", search.states),
                                 ("transitions", search.transitions), ("depth", search.depth)]
        if not result.matches:
            raise SpecMismatch(_explain(result))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, (SpecMismatch, RaftcheckError)):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, f"raftcheck spec {self.spec.name}"


def _explain(result: Result) -> str:
    lines = [result_line(result)]
    if result.trace is not None:
        lines += timeline_lines(replay(result.trace))
        lines.append(f"{result.trace.invariant} violated: {result.trace.message}")
    return "\n".join(lines)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "raftcheck_slow: a raftcheck spec marked `ci = false`")
