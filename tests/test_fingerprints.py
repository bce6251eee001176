"""Fingerprints are equal for equal states and the same in every process."""

import json
import subprocess
import sys

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from raftcheck.model.cluster import World
from raftcheck.model.symmetry import rename_entry, rename_message, rename_node
from raftcheck.properties import raft_model
from raftcheck.settings import from_flat

SETTINGS = from_flat(dict(client_requests=1, crashes=1, drops=1, duplicates=1, max_in_flight=6))


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
    first = raft_model(SETTINGS)
    second = raft_model(SETTINGS)
    walk(second, [7, 3, 11, 2, 5])  # intern other states first, so the ids differ
    a, b = walk(first, choices), walk(second, choices)
    assert first.view(a).nodes == second.view(b).nodes
    assert first.fingerprint(a) == second.fingerprint(b)


@given(st.lists(st.integers(0, 50), max_size=14))
@settings(max_examples=40, deadline=None)
def test_renamed_states_share_a_fingerprint_under_symmetry(choices):
    model = raft_model(SETTINGS)
    world = walk(model, choices)
    for names in ({"n1": "n2", "n2": "n1"}, {"n1": "n3", "n2": "n1", "n3": "n2"}):
        renamed = rename_world(model, world, names)
        assert model.fingerprint(renamed) == model.fingerprint(world)


def test_states_that_differ_by_more_than_names_have_different_fingerprints():
    model = raft_model(SETTINGS)
    seen = {}
    for choices in ([], [0], [1], [0, 0], [1, 1], [2, 0, 1], [3, 1, 0, 2]):
        world = walk(model, choices)
        seen.setdefault(model.fingerprint(world), set()).add(canonical_nodes(model, world))
    assert all(len(shapes) == 1 for shapes in seen.values())
    assert len(seen) > 3


def rename_world(model, world: World, names: dict[str, str]) -> World:
    """The same state with nodes renamed: what the same execution with the names swapped reaches."""
    u = model.universe
    position = {name: index for index, name in enumerate(model.names)}
    nodes = [0] * len(world.nodes)
    for old, node in enumerate(world.nodes):
        renamed = rename_node(u.node_states[node], names)
        nodes[position[renamed.id]] = u.node(renamed)
    moved = {old: position[names.get(name, name)] for old, name in enumerate(model.names)}
    return World(
        tuple(nodes),
        tuple(sorted(u.message(rename_message(u.messages[m], names)) for m in world.network)),
        world.used,
        tuple(sorted((term, moved[old]) for term, old in world.elected)),
        tuple(u.entry(rename_entry(u.entries[e], names)) for e in world.committed),
        world.commit_terms,
    )


def canonical_nodes(model, world: World) -> frozenset:
    """The node states up to renaming: the least over all renamings of the sorted states."""
    u = model.universe
    options = []
    for names in ({}, {"n1": "n2", "n2": "n1"}, {"n1": "n3", "n3": "n1"}, {"n2": "n3", "n3": "n2"},
                  {"n1": "n2", "n2": "n3", "n3": "n1"}, {"n1": "n3", "n2": "n1", "n3": "n2"}):
        renamed = rename_world(model, world, names)
        options.append((msgspec.json.encode([u.node_states[n] for n in renamed.nodes]),
                        tuple(sorted(msgspec.json.encode(u.messages[m]) for m in renamed.network))))
    return min(options)


_PROGRAM = """
import json, sys
sys.path.insert(0, "tests")
from test_fingerprints import SETTINGS, walk
from raftcheck.properties import raft_model
model = raft_model(SETTINGS)
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
