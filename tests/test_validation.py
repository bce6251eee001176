"""Trace validation: recorded runs re-run through the core, merged, and judged by the checker's invariants."""

import json
from collections import deque

from msgspec.structs import replace

from click.testing import CliRunner

from helpers import THREE, member
from raftcheck.checker.validation import validate
from raftcheck.cli import main
from raftcheck.core import (
    ClientCommand,
    ClientRequest,
    RequestVoteResponse,
    Tick,
    handle,
    recover,
    ticks_until_timer,
)
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
            if message.dst in self.states:  # not the answers to clients
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
    assert not result.ok and any("the core sends" in problem.message for problem in result.problems)


def test_a_forged_vote_is_caught_twice_as_unsent_and_by_the_invariants(tmp_path):
    cluster = RecordedCluster(tmp_path)
    cluster.fire("a")
    cluster.fire("c")
    term = cluster.states["c"].current_term
    cluster.give("c", RequestVoteResponse("b", "c", term, True))  # b never sent this: it votes for a
    cluster.run()
    assert cluster.states["c"].role.value == "leader", "elected by a vote b never gave"
    result = validate(tmp_path)
    assert any("never sent" in problem.message for problem in result.problems)
    assert result.violation is not None and result.violation.name in ("ElectionSafety", "VotesAgreeWithVoters")


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


def write_and_replay(tmp_path, run):
    """`validate --trace` on a failing run, then `replay` of what it wrote."""
    trace = tmp_path / "failure.json"
    validated = CliRunner().invoke(main, ["validate", str(run), "--trace", str(trace)])
    assert validated.exit_code == 1 and trace.exists(), validated.output
    return json.loads(trace.read_text()), CliRunner().invoke(main, ["replay", str(trace)]), trace


def test_a_run_that_stops_conforming_becomes_a_run_trace_that_replays_to_the_same_record(tmp_path):
    sends = iter(range(1_000))

    def forgetful_later(state, message):
        after, sent = handle(state, message)
        return after, sent[:-1] if sent and next(sends) == 3 else sent  # the 4th sending step loses a message

    cluster = RecordedCluster(tmp_path / "run", forgetful_later)
    cluster.fire("a")
    cluster.run()
    total = sum(len(path.read_text().splitlines()) for path in (tmp_path / "run").glob("*.jsonl"))
    document, replayed, _ = write_and_replay(tmp_path, tmp_path / "run")
    assert document["failure"] == "Conformance" and len(document["records"]) < total
    assert document["records"][-1]["source"] == document["source"]
    assert replayed.exit_code == 0, replayed.output
    assert f"confirmed: Conformance at record {document['number']} of {document['source']}" in replayed.output


def test_a_corrupted_disk_breaks_an_invariant_and_its_run_trace_replays(tmp_path):
    cluster = RecordedCluster(tmp_path / "run")
    cluster.fire("a")
    cluster.run()
    cluster.give("a", ClientRequest("client", "a", 1, ("set", "x", "1")))
    cluster.run()
    b = cluster.states["b"]
    forged = b.log[:-1] + (replace(b.log[-1], payload=ClientCommand("client", 1, ("set", "x", "forged"))),)
    assert forged[-1].term == b.log[-1].term and forged[-1] != b.log[-1]
    restarted = recover("b", False, b.params, b.current_term, b.voted_for, forged)
    cluster.recorders["b"] = Recorder(tmp_path / "run", restarted, cluster.tick())  # b's disk now says otherwise
    cluster.states["b"] = restarted
    cluster.fire("a")
    cluster.run()
    document, replayed, trace = write_and_replay(tmp_path, tmp_path / "run")
    assert document["failure"] in ("LogMatching", "StateMachineSafety", "LeaderCompleteness", "CommittedEntriesStay")
    assert replayed.exit_code == 0, replayed.output
    assert "b: starts from its durable state" in replayed.output

    document["records"] = document["records"][:-1]  # without its last record, the run no longer fails there
    trace.write_text(json.dumps(document))
    shortened = CliRunner().invoke(main, ["replay", str(trace)])
    assert shortened.exit_code == 1 and "the run trace does not replay" in shortened.stderr


def test_a_run_trace_that_is_not_one_is_refused_in_one_line(tmp_path):
    trace = tmp_path / "bad.json"
    trace.write_text(json.dumps({"kind": "run", "failure": "X", "records": "nonsense"}))
    result = CliRunner().invoke(main, ["replay", str(trace)])
    assert result.exit_code == 2 and "not a raftcheck run trace" in result.stderr
    assert CliRunner().invoke(main, ["view", str(trace)]).exit_code == 2
