"""Symmetry reduction is validated against the unreduced search.

A wrong canonicaliser silently explores too little, so on small specs the
reduced search must reach exactly the canonical states the full search
reaches, and give the same verdicts at the same depth.
"""

import pytest

from raftcheck.model.cluster import World
from raftcheck.properties import raft_model
from raftcheck.search import breadth_first
from raftcheck.settings import from_flat

SMALL = [
    dict(client_requests=1, max_term=1, max_log=3, max_in_flight=3),
    dict(client_requests=0, crashes=1, max_term=2, max_log=2, max_in_flight=3),
    dict(bootstrap=("n2", "n3"), initial_members=(), client_requests=0, membership_changes=1, catchup_rounds=2,
         max_term=1, max_log=4, max_in_flight=2),
]


def reachable(model):
    """Every world the search reaches, keyed by the model's own fingerprint."""
    seen = {}
    fingerprint = model.fingerprint

    def recording(world):
        key = fingerprint(world)
        seen.setdefault(key, world)
        return key

    model.fingerprint = recording
    result = breadth_first(model)
    return result, seen


def translate(world: World, source, target) -> World:
    """The same world interned in another model's universe."""
    s, t = source.universe, target.universe
    return World(
        tuple(t.node(s.node_states[n]) for n in world.nodes),
        tuple(sorted(t.message(s.messages[m]) for m in world.network)),
        world.used,
        world.elected,
        tuple(t.entry(s.entries[e]) for e in world.committed),
        world.commit_terms,
    )


@pytest.mark.parametrize("settings", SMALL, ids=["replication", "restarts", "bootstrap"])
def test_reduced_search_reaches_exactly_the_canonical_states_of_the_full_search(settings):
    full = raft_model(from_flat({**settings, "symmetry": False}))
    reduced = raft_model(from_flat(settings))
    assert len(reduced.group) > 1, "this spec has interchangeable nodes"
    full_result, full_worlds = reachable(full)
    reduced_result, reduced_worlds = reachable(reduced)
    assert full_result.verdict == reduced_result.verdict == "pass"
    canonical_of_full = {reduced.fingerprint(translate(w, full, reduced)) for w in full_worlds.values()}
    assert canonical_of_full == set(reduced_worlds)
    assert len(reduced_worlds) < len(full_worlds)


@pytest.mark.parametrize("rule", ["vote_once_per_term", "step_down_on_higher_term"])
def test_reduced_and_full_search_agree_on_violations(rule):
    settings = dict(disabled_rules=(rule,), invariants=("ElectionSafety",), client_requests=0, max_in_flight=6)
    full = breadth_first(raft_model(from_flat({**settings, "symmetry": False})))
    reduced = breadth_first(raft_model(from_flat(settings)))
    assert full.verdict == reduced.verdict == "violation"
    assert full.violation.property == reduced.violation.property == "ElectionSafety"
    assert len(full.violation.actions) == len(reduced.violation.actions)
