"""Liveness under fairness: the quotient, the fair-cycle search, lassos that replay, and bugs only liveness sees."""

from __future__ import annotations

from pathlib import Path

import msgspec
import networkx as nx
import pytest
from click.testing import CliRunner
from msgspec.structs import replace

from raftcheck.checker.api import check
from raftcheck.checker.runner import run_spec
from raftcheck.checker.spec import Scenario, Spec, feature_runs, load_spec, spec_of
from raftcheck.checker.trace import load_trace, replay, trace_document
from raftcheck.cli import main
from raftcheck.core import (
    AppendEntriesRequest,
    Entry,
    Noop,
    RequestVoteRequest,
    RequestVoteResponse,
    Role,
    Snapshot,
    Tick,
    handle,
)
from raftcheck.errors import SettingsError, TraceError
from raftcheck.liveness import LIVENESS_PROPERTIES
from raftcheck.liveness.graph import Edge, StateGraph
from raftcheck.liveness.lassos import fair_components
from raftcheck.liveness.quotient import quotient
from raftcheck.model.actions import FireTimer
from raftcheck.properties import raft_model
from raftcheck.settings import from_flat

SPECS = Path(__file__).resolve().parent.parent / "specs"
# A 3-node cluster whose initial configuration is committed, with one write: small enough for a second.
SMALL = {"nodes": 3, "max_term": 2, "max_log": 3, "max_in_flight": 3, "client_requests": 1}


def small(properties: tuple[str, ...], **more) -> dict:
    return {**SMALL, "liveness": properties, **more}


# ---- the quotient ----------------------------------------------------------


def test_the_quotient_renumbers_terms_in_order_and_closes_wide_gaps():
    model = raft_model(from_flat({"nodes": 3}))
    u = model.universe
    world = model.initial_states()[0]
    nodes = [u.node_states[n] for n in world.nodes]
    raised = [replace(nodes[0], current_term=9), replace(nodes[1], current_term=5), nodes[2]]
    shifted = world._replace(nodes=tuple(u.node(n) for n in raised))
    canon = [u.node_states[n] for n in quotient(shifted, u).nodes]
    assert [n.current_term for n in canon] == [4, 2, 0]  # 0, 5, 9: gaps of 5 and 4 become 2 and 2
    again = world._replace(nodes=tuple(u.node(n) for n in [replace(raised[0], current_term=10),
                                                            replace(raised[1], current_term=6), raised[2]]))
    assert quotient(again, u) == quotient(shifted, u)  # 0, 6, 10 is the same class
    assert quotient(world, u).nodes == world.nodes  # already canonical: untouched


def test_the_quotient_drops_a_noop_nothing_points_at_and_shifts_indexes():
    model = raft_model(from_flat({"nodes": 3}))
    u = model.universe
    world = model.initial_states()[0]
    nodes = [u.node_states[n] for n in world.nodes]
    log = nodes[0].log + (Entry(1, Noop()), Entry(2, Noop()))
    longer = [replace(n, log=log, commit_index=3, current_term=2) for n in nodes]
    canon = [u.node_states[n] for n in quotient(world._replace(nodes=tuple(map(u.node, longer))), u).nodes]
    assert all(len(n.log) == 2 and n.commit_index == 2 and n.log[-1].term == 2 for n in canon)
    pointed_at = [replace(n, commit_index=2) if i == 0 else n for i, n in enumerate(longer)]
    kept = [u.node_states[n] for n in quotient(world._replace(nodes=tuple(map(u.node, pointed_at))), u).nodes]
    assert all(len(n.log) == 3 for n in kept)  # n1's commit index points at the no-op: it stays


def _compacted(node, through: int, term: int, log: tuple, commit: int):
    """`node` with entries 1..`through` in a snapshot of `term`, `log` after it, and `commit` committed."""
    machine = node.params.state_machine.dump(node.machine)
    snapshot = Snapshot(through, term, node.config, node.config_index, machine, node.sessions)
    return replace(node, snapshot=snapshot, log=log, commit_index=commit)


def test_the_quotient_renumbers_snapshot_terms_and_drops_indexes_compacted_everywhere():
    model = raft_model(from_flat({"nodes": 3, "compact_log_after": 1}))
    u = model.universe
    world = model.initial_states()[0]
    nodes = [u.node_states[n] for n in world.nodes]
    # Entries 2 and 3 were compacted on n1 and n2, and n3 has not received them; entry 4 ends n1's and n2's
    # logs (term 4), and the term is 9.
    compacted = [replace(_compacted(n, 3, 4, (Entry(4, Noop()),), 4), current_term=9) for n in nodes[:2]]
    compacted.append(replace(nodes[2], current_term=9))
    canon = [u.node_states[n] for n in quotient(world._replace(nodes=tuple(map(u.node, compacted))), u).nodes]
    for node in canon[:2]:
        assert (node.snapshot.index, node.snapshot.term, node.snapshot.config_index) == (2, 2, 1)
        assert (node.commit_index, node.current_term, node.log) == (3, 4, (Entry(2, Noop()),))
    assert (canon[2].snapshot, canon[2].log, canon[2].current_term) == (None, nodes[2].log, 4)
    # n3 has applied entry 2 and not compacted it yet: how many such entries there are decides when it
    # compacts, so no index stays out of the quotient.
    waiting = compacted[:2] + [_compacted(nodes[2], 1, 0, (Entry(1, Noop()), Entry(1, Noop()), Entry(4, Noop())), 4)]
    kept = [u.node_states[n] for n in quotient(world._replace(nodes=tuple(map(u.node, waiting))), u).nodes]
    assert [n.snapshot.index for n in kept] == [3, 3, 1]


# ---- fair components -------------------------------------------------------


def test_a_cycle_that_neglects_an_enabled_obligation_is_not_fair():
    graph = StateGraph()
    a, b, c = "a", "b", "c"
    step = lambda target, obligation: Edge((target, obligation, None, ()))  # noqa: E731
    graph.edges = {a: [step(b, ("timer", 0)), step(c, ("deliver", 7))], b: [step(a, ("timer", 1))], c: []}
    assert list(fair_components(graph, {a, b, c})) == [{c}]  # a-b never delivers message 7: only c is fair
    graph.edges[b].append(step(a, ("deliver", 7)))
    assert {frozenset(x) for x in fair_components(graph, {a, b, c})} == {frozenset({a, b}), frozenset({c})}


# ---- specs: a lasso without the feature, a pass with it ---------------------


@pytest.fixture(scope="module")
def lassos() -> dict:
    """The two feature specs' lassos (their runs with the feature on pass in the `check --quick` gate)."""
    names = ["liveness_removed_server_disrupts", "liveness_removed_server_campaigns", "liveness_removed_leader_hands_over"]
    return {name: (load_spec(SPECS / f"{name}.toml"), check(SPECS / f"{name}.toml")) for name in names}


@pytest.mark.parametrize("name", ["liveness_removed_server_disrupts", "liveness_removed_server_campaigns",
                                  "liveness_removed_leader_hands_over"])
def test_each_feature_spec_finds_a_lasso_that_replays(lassos, name, tmp_path):
    spec, result = lassos[name]
    assert result.verdict == "violation" and result.invariant == spec.expected_invariant
    trace = result.trace
    assert trace.stable_from <= trace.loop_start <= len(trace.actions)  # a stutter has no loop steps
    path = tmp_path / "lasso.json"
    path.write_bytes(trace_document(trace))
    replayed = replay(load_trace(path))
    assert replayed.confirms and replayed.broken[0] == spec.expected_invariant
    feature_run = feature_runs([spec])[0]
    features = feature_run.settings.cluster.features
    assert features == spec.settings.cluster.features + (spec.feature,) and feature_run.expected_verdict == "pass"


def test_a_tampered_lasso_does_not_replay(lassos):
    trace = lassos["liveness_removed_server_campaigns"][1].trace
    assert replay(trace).confirms
    for broken in (
        replace(trace, actions=trace.actions[:-1]),  # the loop no longer comes back
        replace(trace, loop_start=trace.loop_start + 1),  # a loop that starts elsewhere
        replace(trace, stable_from=0),  # the scripted election and the membership request are not fault-free
    ):
        assert not replay(broken).confirms


def test_a_stutter_replays_only_where_no_step_is_left(lassos):
    """The hand-over lasso stops in a state where only election timeouts could move the cluster, which its
    property leaves out. Claimed one step earlier, or continued with a timeout, it must not replay."""
    trace = lassos["liveness_removed_leader_hands_over"][1].trace
    assert trace.loop_start == len(trace.actions) and replay(trace).confirms
    early = replace(trace, actions=trace.actions[:-1], loop_start=trace.loop_start - 1)
    assert "not fair" in replay(early).error  # a delivery is still possible there
    timed_out = replay(replace(trace, actions=trace.actions + (FireTimer("n2"),)))
    assert len(timed_out.views) == len(trace.actions) + 2, "the timeout is a step of the cluster"
    assert "election timeout" in timed_out.error


def test_a_correct_cluster_elects_a_leader_that_stays_and_commits_everywhere():
    result = check(from_flat_spec(small(("LeaderElected", "LeaderStaysElected", "TermsStopGrowing",
                                          "CommitsReachEveryMember"))))
    assert result.verdict == "pass", result.found
    assert result.search.states > 1000


def test_a_member_cut_off_for_good_from_the_leader_is_not_asked_to_learn_its_commits():
    """The old leader of liveness_isolated_leader is cut off from both followers for good: no leader can ever
    tell it what is committed, so CommitsReachEveryMember leaves it out rather than failing by definition."""
    spec = load_spec(SPECS / "liveness_isolated_leader.toml")
    result = check(spec, liveness=("CommitsReachEveryMember",), features=("check_quorum",))
    assert result.verdict == "pass", result.found
    assert result.search.states > 10_000


def from_flat_spec(values: dict) -> Spec:
    return Spec("liveness", "", from_flat(values))


# ---- bugs only a liveness check sees ----------------------------------------


def never_grants_votes(state, message):
    state, out = handle(state, message)
    return state, tuple(replace(m, vote_granted=False) if type(m) is RequestVoteResponse else m for m in out)


def leader_sends_no_heartbeats(state, message):
    after, out = handle(state, message)
    if type(message) is Tick and state.role is Role.LEADER:
        return after, tuple(m for m in out if not (type(m) is AppendEntriesRequest and not m.entries))
    return after, out


def followers_ignore_the_leader_commit(state, message):
    if type(message) is AppendEntriesRequest:
        message = replace(message, leader_commit=min(message.leader_commit, 1))
    return handle(state, message)


def pre_candidate_keeps_its_leader(state, message):
    """etcd-io/etcd#8334 (raft-rs#84): a follower that times out into PreVote still believes in its old leader, so
    it refuses its peers' pre-votes as if it heard from that leader."""
    after, out = handle(state, message)
    if after.role is not Role.LEADER and any(type(m) is RequestVoteRequest and m.pre_vote for m in out):
        after = replace(after, leader_id=state.leader_id)
    return after, out


def pre_vote_refusals_carry_no_term(state, message):
    """etcd-io/etcd#8243: a pre-candidate ignores the higher term of a refused pre-vote, so it keeps asking for a
    term its peer has already passed, and a peer with a shorter log but that higher term refuses it for ever."""
    if type(message) is RequestVoteResponse and message.pre_vote and not message.vote_granted:
        message = replace(message, term=min(message.term, state.current_term))
    return handle(state, message)


LIVENESS_MUTANTS = [
    (never_grants_votes, "LeaderElected"),
    (leader_sends_no_heartbeats, "LeaderStaysElected"),
    (followers_ignore_the_leader_commit, "CommitsReachEveryMember"),
]


def test_every_liveness_property_is_broken_by_some_spec_or_mutant():
    specs = [load_spec(path) for path in SPECS.glob("*.toml")]
    by_specs = {s.expected_invariant for s in specs if s.settings.check.liveness and s.expected_verdict == "violation"}
    assert by_specs | {prop for _, prop in LIVENESS_MUTANTS} == {p.name for p in LIVENESS_PROPERTIES}


@pytest.mark.parametrize("handler, prop", LIVENESS_MUTANTS)
def test_a_core_that_stays_safe_but_stops_making_progress_breaks_liveness(handler, prop):
    assert check(from_flat_spec(SMALL), handler=handler).verdict == "pass"  # safety alone sees nothing
    result = check(from_flat_spec(small((prop,))), handler=handler)
    assert result.verdict == "violation" and result.invariant == prop, result.found
    assert replay(result.trace, handler).confirms


@pytest.mark.parametrize("name, handler", [("liveness_isolated_leader_prevote", pre_candidate_keeps_its_leader),
                                           ("liveness_prevote_after_a_refusal", pre_vote_refusals_carry_no_term)])
def test_known_prevote_interaction_bugs_leave_the_cluster_without_a_leader(name, handler):
    """Each spec passes in the `check --quick` gate; with etcd's bug put back into the core it is a lasso."""
    result = run_spec(load_spec(SPECS / f"{name}.toml"), handler=handler)
    assert result.verdict == "violation" and result.invariant == "LeaderStaysElected", result.found
    assert replay(result.trace, handler).confirms


def pre_vote_despite_a_leader(state, message):
    """A voter that hears from a leader grants a pre-vote anyway (the `heard_from_leader` clause dropped)."""
    if type(message) is RequestVoteRequest and message.pre_vote and state.role is Role.FOLLOWER:
        after, out = handle(replace(state, leader_id=None), message)
        return replace(after, leader_id=state.leader_id), out
    return handle(state, message)


@pytest.fixture(scope="module")
def disruption() -> tuple[Spec, object]:
    spec = load_spec(SPECS / "liveness_cut_off_follower_disrupts.toml")
    return spec, run_spec(spec)


def test_a_node_cut_off_from_a_healthy_leader_raises_its_term_without_prevote(disruption, tmp_path):
    """An "always" property is broken by a finite run: no loop, and the last step is the one that breaks it."""
    spec, result = disruption
    assert result.verdict == "violation" and result.invariant == "LeaderUndisturbed", result.found
    trace = result.trace
    assert trace.loop_start is None and trace.stable_from == len(trace.actions) - 1
    assert trace.actions[-1] == FireTimer("n3")
    path = tmp_path / "run.json"
    path.write_bytes(trace_document(trace))
    shown = CliRunner().invoke(main, ["replay", str(path)])
    assert shown.exit_code == 0, shown.output
    assert "no fault from here on" in shown.output and "loop:" not in shown.output
    assert f"confirmed: LeaderUndisturbed breaks after step {len(trace.actions)}" in shown.output
    assert "a term rises (n3 to 2) while n1 leads term 1" in " ".join(shown.output.split())


def test_a_tampered_run_to_a_disruption_does_not_replay(disruption):
    trace = disruption[1].trace
    assert replay(trace).confirms
    for broken, why in (
        (replace(trace, actions=trace.actions[:-1] + (FireTimer("n1"),)), "holds on the last step"),  # a heartbeat
        (replace(trace, loop_start=len(trace.actions)), "not one"),  # claimed as a lasso
        (replace(trace, stable_from=1), "not asked"),  # n1's pre-vote requests are in flight
    ):
        replayed = replay(broken)
        assert not replayed.confirms and why in replayed.error, replayed.error


def test_prevote_keeps_a_cut_off_node_from_raising_its_term_unless_voters_ignore_the_leader(disruption):
    with_prevote = feature_runs([disruption[0]])[0]
    assert run_spec(with_prevote).verdict == "pass"
    result = run_spec(with_prevote, handler=pre_vote_despite_a_leader)
    assert result.verdict == "violation" and result.invariant == "LeaderUndisturbed", result.found
    assert replay(result.trace, pre_vote_despite_a_leader).confirms


# ---- settings, traces and the command line ----------------------------------


def test_liveness_needs_timers_that_fire_and_breadth_first_search():
    with pytest.raises(SettingsError, match="liveness"):
        from_flat(small(("LeaderElected",), timer="tick"))
    with pytest.raises(SettingsError, match="unknown liveness"):
        spec_of("x", "", from_flat({"liveness": ("Nope",)}), Scenario())


def test_a_trace_with_lasso_marks_out_of_range_is_refused(lassos, tmp_path):
    result = lassos["liveness_removed_server_disrupts"][1]
    document = msgspec.json.decode(trace_document(result.trace))
    path = tmp_path / "bad.json"
    for marks, why in (({"loop_start": len(document["actions"]) + 1}, "loop_start"),
                       ({"stable_from": None}, "loop_start needs stable_from"),
                       ({"stable_from": document["loop_start"] + 1}, "stable_from")):
        path.write_bytes(msgspec.json.encode({**document, **marks}))
        with pytest.raises(TraceError, match=why):
            load_trace(path)


def test_liveness_lists_the_properties_and_explore_exports_the_graph(tmp_path):
    runner = CliRunner()
    listed = runner.invoke(main, ["liveness"])
    assert listed.exit_code == 0 and "TermsStopGrowing" in listed.output and "eventually always" in listed.output
    flags = ["explore", "--max-term", "1", "--max-log", "2", "--max-in-flight", "3", "--client-requests", "0",
             "--liveness", "LeaderElected"]
    result = runner.invoke(main, [*flags, "--graph", str(tmp_path / "g.graphml")])
    assert result.exit_code == 0, result.output
    graph = nx.read_graphml(tmp_path / "g.graphml")
    assert graph.number_of_nodes() > 10 and any(data["start"] for _, data in graph.nodes(data=True))
    assert all("label" in data for _, _, data in graph.edges(data=True))
    bad = runner.invoke(main, [*flags, "--graph", str(tmp_path / "g.png")])
    assert bad.exit_code == 2 and "--graph" in bad.output and "Traceback" not in bad.output


def test_replay_shows_where_faults_stop_and_the_loop_starts(lassos, tmp_path):
    path = tmp_path / "lasso.json"
    path.write_bytes(trace_document(lassos["liveness_removed_server_disrupts"][1].trace))
    result = CliRunner().invoke(main, ["replay", str(path)])
    assert result.exit_code == 0, result.output
    assert "no fault from here on" in result.output and "loop: the steps below repeat for ever" in result.output
    assert "confirmed: LeaderStaysElected does not hold on this lasso" in result.output


def test_a_liveness_run_checks_the_step_invariants_too():
    """Safety is checked on the way: a core that breaks LeaderAppendOnly (a step invariant) is a violation of it."""
    from mutants import leader_drops_last_entry_on_rejection

    settings = {"client_requests": 0, "max_term": 2, "max_in_flight": 7, "liveness": ("LeaderElected",)}
    result = check(from_flat_spec(settings), handler=leader_drops_last_entry_on_rejection)
    assert result.verdict == "violation" and result.invariant == "LeaderAppendOnly", result.found
    assert replay(result.trace, leader_drops_last_entry_on_rejection).confirms
