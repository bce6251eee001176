"""A spec's scripted start is checked step by step, like the search that follows it."""

import pytest
from msgspec.structs import replace

import raftcheck
from raftcheck.checker.runner import start_at
from raftcheck.checker.trace import replay
from raftcheck.core import Role
from raftcheck.errors import SpecError
from raftcheck.properties import raft_model

# Ongaro's 2015 bug on five servers, scripted: n1 (term 1) adds n5, n2 (term 2) removes n1. QuorumOverlap breaks
# at the removal (C1 at n1 and n5, C2 at n2) and holds again once n2 commits its no-op under C2 (n1's C1 no
# longer counts): the search, which starts after the last step, would not see it.
SPEC = """
start = [
    { timer = "n1" },
    { deliver = "RequestVoteRequest", src = "n1", dst = "n2" },
    { deliver = "RequestVoteRequest", src = "n1", dst = "n3" },
    { deliver = "RequestVoteResponse", src = "n2", dst = "n1" },
    { deliver = "RequestVoteResponse", src = "n3", dst = "n1" },
    { add_server = "n5", node = "n1" },
    { deliver = "AppendEntriesRequest", src = "n1", dst = "n5" },
    { deliver = "AppendEntriesResponse", src = "n5", dst = "n1" },
    { deliver = "AppendEntriesRequest", src = "n1", dst = "n5" },
    { deliver = "AppendEntriesResponse", src = "n5", dst = "n1" },
    { deliver = "AppendEntriesRequest", src = "n1", dst = "n5", prev_log_index = 2 },
    { timer = "n2" },
    { deliver = "RequestVoteRequest", src = "n2", dst = "n3" },
    { deliver = "RequestVoteRequest", src = "n2", dst = "n4" },
    { deliver = "RequestVoteResponse", src = "n3", dst = "n2" },
    { deliver = "RequestVoteResponse", src = "n4", dst = "n2" },
    { remove_server = "n1", node = "n2" },
    { deliver = "AppendEntriesRequest", src = "n2", dst = "n3", prev_log_index = 1 },
    { deliver = "AppendEntriesResponse", src = "n3", dst = "n2" },
]

[cluster]
nodes = 5
bootstrap = ["n5"]

[failures]
drops = 0

[bounds]
max_term = 3
max_log = 4
max_in_flight = 20
client_requests = 0
membership_changes = 2
client_targets = "leaders"

[check]
disabled_rules = ["config_change_waits_for_term_commit"]
invariants = ["QuorumOverlap", "LeaderCompleteness"]

[expect]
verdict = "violation"
invariant = "QuorumOverlap"
"""


def test_a_violation_the_start_passes_through_is_reported_at_the_step_that_breaks_it(tmp_path):
    path = tmp_path / "spec.toml"
    path.write_text(SPEC)
    spec = raftcheck.load_spec(path)
    result = raftcheck.check(spec, max_states=20_000)
    assert result.verdict == "violation" and result.invariant == "QuorumOverlap"
    assert len(result.trace.actions) == len(spec.start) - 2  # at the removal, not after the start
    replayed = replay(result.trace)
    assert replayed.confirms and replayed.broken[0] == "QuorumOverlap"


# Two elections scripted once, for a cluster with or without PreVote; the requests to non-voters stay in flight.
ELECTION = """
start = [{ elect = "n1", voters = ["n2"] }, { elect = "n2", voters = ["n3"] }]
[bounds]
max_term = 3
max_in_flight = 12
"""


def _played(tmp_path, *features: str) -> tuple[list, object]:
    path = tmp_path / "elect.toml"
    path.write_text(ELECTION)
    spec = raftcheck.load_spec(path)
    settings = spec.settings
    model = raft_model(replace(settings, cluster=replace(settings.cluster, features=features)))
    prefix, broken = start_at(model, spec)
    assert broken is None
    return prefix, model


def test_an_elect_step_plays_the_votes_the_features_call_for(tmp_path):
    plain, model = _played(tmp_path)
    assert [type(a).__name__ for a in plain[:3]] == ["FireTimer", "Deliver", "Deliver"]
    assert not any(getattr(getattr(a, "message", None), "pre_vote", False) for a in plain)
    leader = model.node_state(model.initial_states()[0], "n2")
    assert leader.role is Role.LEADER and leader.current_term == 2

    pre_voted, model = _played(tmp_path, "pre_vote")
    asked = [a.message for a in pre_voted if getattr(getattr(a, "message", None), "pre_vote", False)]
    # n1 asks n2 and n3, n2 asks n3 and n1: each request and its answer, the non-voters' too
    assert len(asked) == 8
    leader = model.node_state(model.initial_states()[0], "n2")
    assert leader.role is Role.LEADER and leader.current_term == 2


def test_an_elect_step_that_loses_says_so(tmp_path):
    path = tmp_path / "lost.toml"
    path.write_text('start = [{ elect = "n1", voters = ["n2"] }, { elect = "n3", voters = ["n2"] }]\n')
    spec = raftcheck.load_spec(path)  # n3 asks for term 1 too, and n2 has voted in it
    with pytest.raises(SpecError, match=r'start\[1\]: \{ elect = "n3", voters = \["n2"\] \}: n3 did not win: it is a '
                                        r'candidate in term 1$'):
        start_at(raft_model(spec.settings), spec)


def test_an_elect_step_that_cannot_be_played_names_the_step_it_stopped_at(tmp_path):
    path = tmp_path / "lost.toml"
    path.write_text('start = [{ elect = "n1", voters = ["n2"] }, { elect = "n1", voters = ["n3"] }]\n')
    spec = raftcheck.load_spec(path)
    with pytest.raises(SpecError, match=r'start\[1\]: .*\(its step \{ deliver = "RequestVoteRequest", src = "n1", '
                                        r'dst = "n3", pre_vote = false, term = 2 \}\) is not possible'):
        start_at(raft_model(spec.settings), spec)
