"""The package's layers only look down: no module imports a layer above its own.

core (pure Raft) and search (generic, knows nothing of Raft; only the errors it raises) sit at the bottom;
settings on core; the cluster model on core, settings and the search's
interface; properties and liveness on the model; the checker (specs, runs, traces,
reports) on all of those; the command line on top. The service sits on the
core and the settings alone.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "raftcheck"

BASE = {"errors"}
ALLOWED = {
    "errors": set(),
    "core": {"core"},
    "search": BASE | {"search"},
    "settings": BASE | {"core", "settings"},
    "model": BASE | {"core", "settings", "search", "model"},
    "properties": BASE | {"core", "settings", "model", "properties"},
    "liveness": BASE | {"core", "settings", "search", "model", "liveness"},
    "checker": BASE | {"core", "settings", "search", "model", "properties", "liveness", "recording", "checker"},
    "simulation": {"core", "simulation"},
    "demo": {"core", "simulation", "demo"},
    "linearizability": BASE | {"linearizability"},
    "recording": {"core", "recording"},
    "service": BASE | {"core", "settings", "recording", "service"},
    "cli": BASE | {"core", "settings", "search", "model", "properties", "liveness", "checker", "demo", "linearizability",
            "service", "cli"},
    "pytest_plugin": BASE | {"checker"},
    "__init__": BASE | {"checker"},
    "__main__": {"cli"},
}


def layer_of(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def imported_layers(path: Path) -> set[str]:
    """Every raftcheck layer a module imports, at any depth (lazy imports in functions too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names if node.module == "raftcheck"]
        for name in names:
            parts = name.split(".")
            if parts[0] == "raftcheck" and len(parts) > 1:
                found.add(parts[1])
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_higher_layer(path):
    layer = layer_of(path)
    assert layer in ALLOWED, f"{layer} is not placed in a layer yet"
    upward = imported_layers(path) - ALLOWED[layer]
    assert not upward, f"{path.relative_to(PACKAGE)} ({layer}) imports {sorted(upward)}"


def test_the_check_catches_an_upward_import(tmp_path):
    module = tmp_path / "raftcheck" / "core" / "bad.py"
    module.parent.mkdir(parents=True)
    module.write_text("def f():\n    from raftcheck.checker.spec import load_spec\n")
    assert imported_layers(module) == {"checker"} and "checker" not in ALLOWED["core"]


def test_properties_do_not_mutate_the_model():
    for path in (PACKAGE / "properties").rglob("*.py"):
        source = path.read_text()
        assert ".properties.append" not in source and ".transition_properties" not in source, path


def test_the_runner_does_not_import_the_renderer():
    """Spec steps match actions by structure; how a timeline prints them cannot change what a spec means."""
    source = (PACKAGE / "checker" / "runner.py").read_text()
    modules = {node.module for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom)}
    assert "raftcheck.checker.timeline" not in modules and "raftcheck.checker.spec" in modules
