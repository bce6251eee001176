"""Servers that stop for good: no step of theirs again, nothing to or from them arrives, and a fault that lasts."""

from __future__ import annotations

from raftcheck.checker.api import check
from raftcheck.checker.runner import run_spec
from raftcheck.checker.spec import Spec, load_spec
from raftcheck.liveness.quotient import quotient
from raftcheck.model.actions import CutLink, FireTimer, Stop
from raftcheck.model.cluster import STOPPED
from raftcheck.properties import raft_model
from raftcheck.settings import from_flat


def model_with_stops(stops: int, cuts: int = 0):
    return raft_model(from_flat({"nodes": 3, "client_requests": 1, "stops": stops, "link_cuts": cuts,
                                 "max_in_flight": 6}))


def names_in(action) -> set[str]:
    return {getattr(action, field) for field in ("node", "peer") if hasattr(action, field)} | (
        {action.message.src, action.message.dst} if hasattr(action, "message") else set())


def test_a_stopped_server_takes_no_step_and_nothing_reaches_it():
    model = model_with_stops(1)
    world = model.next_state(model.initial_states()[0], FireTimer("n1"))
    stopped = model.next_state(world, Stop("n3"))
    messages = [model.universe.messages[m] for m in stopped.network]
    assert [(m.src, m.dst) for m in messages] == [("n1", "n2")], "the vote request to n3 is lost"
    actions = [action for action, _ in model.successors(stopped)]
    assert FireTimer("n2") in actions and not [a for a in actions if "n3" in names_in(a)]
    assert not [a for a in actions if type(a) is Stop], "one stop in the budget"
    assert model.links_cut(stopped) == {frozenset(("n1", "n3")), frozenset(("n2", "n3"))}
    assert model.fire_timer(stopped, 2) is None
    kept = quotient(stopped, model.universe).used
    assert kept[STOPPED] == stopped.used[STOPPED] != 0, "a stop lasts once faults stop"


def test_a_stopped_servers_links_are_not_link_cuts_and_never_heal():
    model = model_with_stops(1, cuts=1)
    stopped = model.next_state(model.initial_states()[0], Stop("n3"))
    assert [a for a, _ in model.successors(stopped) if type(a) is CutLink] == [CutLink("n1", "n2")]


def test_stops_turn_symmetry_off():
    assert len(model_with_stops(0).group) == 6 and len(model_with_stops(1).group) == 1


def liveness_with_stops(stops: int, properties: tuple[str, ...]):
    return check(Spec("stops", "", from_flat({"nodes": 3, "max_term": 1, "max_log": 2, "max_in_flight": 3,
                                              "client_requests": 0, "stops": stops, "liveness": properties})))


def test_a_minority_stopped_still_elects_a_leader_and_terms_stop_growing():
    result = liveness_with_stops(1, ("LeaderElected", "TermsStopGrowing"))
    assert result.verdict == "pass", result.found
    assert result.search.states > 10_000


def test_a_majority_stopped_elects_no_one_for_ever():
    result = liveness_with_stops(2, ("LeaderElected",))
    assert result.verdict == "violation" and result.invariant == "LeaderElected", result.found
    stops = [a for a in result.trace.actions if type(a) is Stop]
    assert len(stops) == 2 and result.trace.loop_start is not None


def test_a_stop_is_a_start_step(tmp_path):
    path = tmp_path / "stop.toml"
    path.write_text('start = [{ stop = "n3" }, { timer = "n1" }]\n[failures]\nstops = 1\n'
                    '[bounds]\nclient_requests = 0\nmax_term = 1\n')
    result = run_spec(load_spec(path))
    assert result.verdict == "pass", result.found
