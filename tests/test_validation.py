"""Trace validation: recorded runs re-run through the core, merged, and judged by the checker's invariants."""

import json
from collections import deque

from click.testing import CliRunner

from helpers import THREE, member
from raftcheck.checker.validation import validate
from raftcheck.cli import main
from raftcheck.core import RequestVoteResponse, Tick, handle, ticks_until_timer
from raftcheck.recording import Recorder


class RecordedCluster:
    """Three members driven by hand through the real core, each recording as a live node does."""

    def __init__(self, directory, handler=handle):
        self.clock = 0.0
        self.states = {name: member(name) for name in THREE}
        self.recorders = {name: Recorder(directory, state, self.tick()) for name, state in self.states.items()}
        self.handler = handler
        self.queue = deque()

    def tick(self) -> float:
        self.clock += 0.001
        return self.clock

    def give(self, name, message):
        state, sent = self.handler(self.states[name], message)
        self.states[name] = state
        self.recorders[name].step(self.tick(), message, sent)
        self.queue.extend(sent)

    def fire(self, name):
        self.give(name, Tick(ticks_until_timer(self.states[name])))

    def run(self):
        while self.queue:
            message = self.queue.popleft()
            self.give(message.dst, message)
        for recorder in self.recorders.values():
            recorder.flush()


def test_a_faithful_run_conforms_and_keeps_every_invariant(tmp_path):
    cluster = RecordedCluster(tmp_path)
    cluster.fire("a")
    cluster.run()
    assert cluster.states["a"].role.value == "leader" and cluster.states["a"].commit_index >= 2
    result = validate(tmp_path)
    assert result.ok, (result.problems, result.violation)
    assert result.nodes == 3 and result.steps > 5 and result.states_checked > 3


def test_a_node_that_does_not_run_the_core_fails_conformance(tmp_path):
    def forgetful(state, message):
        after, sent = handle(state, message)
        return after, sent[:-1]  # drops one message the core sends

    cluster = RecordedCluster(tmp_path, forgetful)
    cluster.fire("a")
    cluster.run()
    result = validate(tmp_path)
    assert not result.ok and any("the core sends" in problem for problem in result.problems)


def test_a_forged_vote_is_caught_twice_as_unsent_and_by_the_invariants(tmp_path):
    cluster = RecordedCluster(tmp_path)
    cluster.fire("a")
    cluster.fire("c")
    term = cluster.states["c"].current_term
    cluster.give("c", RequestVoteResponse("b", "c", term, True))  # b never sent this: it votes for a
    cluster.run()
    assert cluster.states["c"].role.value == "leader", "elected by a vote b never gave"
    result = validate(tmp_path)
    assert any("never sent" in problem for problem in result.problems)
    assert result.violation is not None and result.violation.startswith(("ElectionSafety", "VotesAgreeWithVoters"))


def test_validate_command_reports_and_refuses_bad_input(tmp_path):
    cluster = RecordedCluster(tmp_path / "run")
    cluster.fire("a")
    cluster.run()
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "run")])
    assert result.exit_code == 0 and "ok: every output matches the core" in result.output
    assert CliRunner().invoke(main, ["validate", str(tmp_path / "empty")]).exit_code == 2
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "n1.jsonl").write_text(json.dumps({"type": "nonsense"}) + "\n")
    bad = CliRunner().invoke(main, ["validate", str(tmp_path / "bad")])
    assert bad.exit_code == 2 and "not a node record" in bad.stderr
