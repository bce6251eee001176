"""A spec's scripted start is checked step by step, like the search that follows it."""

from pathlib import Path

import raftcheck
from raftcheck.checker.trace import replay

LOST_ENTRY = Path(__file__).resolve().parent.parent / "specs" / "config_change_waits_for_term_commit_lost_entry.toml"
# n2 removes n1: QuorumOverlap breaks (C1 at n1 and n5, C2 at n2). n2 then commits its no-op under C2, after
# which n1's C1 no longer counts and the invariant holds again: the search alone, from there, would not see it.
MORE_STEPS = """    { remove_server = "n1", node = "n2" },
    { deliver = "AppendEntriesRequest", src = "n2", dst = "n3" },
    { deliver = "AppendEntriesResponse", src = "n3", dst = "n2" },
]"""


def test_a_violation_the_start_passes_through_is_reported_at_the_step_that_breaks_it(tmp_path):
    text = LOST_ENTRY.read_text().replace("\n]", "\n" + MORE_STEPS, 1)
    text = text.replace('invariants = ["LeaderCompleteness"]', 'invariants = ["QuorumOverlap", "LeaderCompleteness"]')
    path = tmp_path / "spec.toml"
    path.write_text(text)
    spec = raftcheck.load_spec(path)
    result = raftcheck.check(spec)
    assert result.verdict == "violation" and result.invariant == "QuorumOverlap"
    assert len(result.trace.actions) == len(spec.start) - 2  # at the removal, not after the start
    replayed = replay(result.trace)
    assert replayed.confirms and replayed.broken[0] == "QuorumOverlap"
