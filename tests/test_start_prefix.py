"""A spec's scripted start is checked step by step, like the search that follows it."""

import raftcheck
from raftcheck.checker.trace import replay

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
