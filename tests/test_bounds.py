"""The cluster model's bounds: which states are checked but not expanded."""

import pytest
from msgspec.structs import replace

import raftcheck
from raftcheck.checker.runner import start_at
from raftcheck.model.actions import FireTimer
from raftcheck.properties import raft_model


@pytest.mark.parametrize("features", [(), ("pre_vote",)])
def test_a_pre_candidate_counts_the_term_it_asks_for_against_max_term(tmp_path, features):
    """n1 wins term 1 (max_term), then n2 times out: a plain timeout moves n2 to term 2 and a pre-vote round
    asks for it. Both are beyond max_term: otherwise pre-vote rounds, which raise no term, would go on
    without bound at the highest term."""
    path = tmp_path / "spec.toml"
    path.write_text('start = [{ elect = "n1", voters = ["n2"] }]\n[bounds]\nmax_term = 1\nmax_in_flight = 10\n')
    spec = raftcheck.load_spec(path)
    model = raft_model(replace(spec.settings, cluster=replace(spec.settings.cluster, features=features)))
    start_at(model, spec)
    world = model.initial_states()[0]
    assert model.beyond_bounds(world) is None
    assert model.beyond_bounds(dict(model.successors(world))[FireTimer("n2")]) == "max_term"
