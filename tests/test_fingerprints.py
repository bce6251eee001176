"""Fingerprints are equal for equal states and the same in every process."""

import json
import subprocess
import sys

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from raftcheck.model.settings import Bounds, Budgets, ClusterSettings
from raftcheck.properties import checked_model

SETTINGS = ClusterSettings(
    budgets=Budgets(client_requests=1, crashes=1, drops=1, duplicates=1), bounds=Bounds(max_in_flight=6)
)


def walk(model, choices):
    """Follow the choice-th enabled action, in the order of their JSON encoding (not of
    interned ids, which differ between models), at each step."""
    world = model.initial_states()[0]
    for choice in choices:
        successors = sorted(model.successors(world), key=lambda pair: msgspec.json.encode(pair[0]))
        if not successors:
            break
        world = successors[choice % len(successors)][1]
    return world


@given(st.lists(st.integers(0, 50), max_size=14))
@settings(max_examples=60, deadline=None)
def test_equal_states_have_equal_fingerprints_whatever_was_interned_first(choices):
    first = checked_model(SETTINGS)
    second = checked_model(SETTINGS)
    walk(second, [7, 3, 11, 2, 5])  # intern other states first, so the ids differ
    a, b = walk(first, choices), walk(second, choices)
    assert first.view(a).nodes == second.view(b).nodes
    assert first.fingerprint(a) == second.fingerprint(b)


@given(st.lists(st.integers(0, 50), max_size=14))
@settings(max_examples=40, deadline=None)
def test_renamed_states_share_a_fingerprint_under_symmetry(choices):
    model = checked_model(SETTINGS)
    world = walk(model, choices)
    keys = {model._fingerprint_as(world, r, p, nodes) for r, p, nodes in model._renamed_nodes(world)}
    assert model.fingerprint(world) == min(keys)


_PROGRAM = """
import json, sys
sys.path.insert(0, "tests")
from test_fingerprints import SETTINGS, walk
from raftcheck.properties import checked_model
model = checked_model(SETTINGS)
print(json.dumps([model.fingerprint(walk(model, w)) for w in json.loads(sys.argv[1])]))
"""


def test_fingerprints_are_the_same_in_every_process():
    walks = [[], [0], [1, 2, 3], [5, 0, 9, 4, 4, 1, 2], [12, 3, 7, 1, 0, 6, 2, 8, 3, 3]]
    runs = {
        subprocess.run(
            [sys.executable, "-c", _PROGRAM, json.dumps(walks)],
            capture_output=True, text=True, check=True, env={"PYTHONHASHSEED": seed, "PATH": ""},
        ).stdout
        for seed in ("0", "1", "12345")
    }
    assert len(runs) == 1
    assert len(set(json.loads(runs.pop()))) == len(walks)
