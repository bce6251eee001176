"""Links that fail: what is in flight on a cut link is lost, and nothing sent over it arrives until it heals."""

from __future__ import annotations

from pathlib import Path

from raftcheck.checker.api import check
from raftcheck.checker.spec import load_spec
from raftcheck.liveness.quotient import quotient
from raftcheck.model.actions import CutLink, Deliver, FireTimer, HealLink
from raftcheck.model.cluster import CUT
from raftcheck.properties import raft_model
from raftcheck.settings import from_flat


SPECS = Path(__file__).resolve().parent.parent / "specs"


def model_with_cuts(cuts: int, heals: int = 0):
    return raft_model(from_flat({"nodes": 3, "client_requests": 0, "link_cuts": cuts, "link_heals": heals,
                                 "max_in_flight": 6}))


def in_flight(model, world) -> list[tuple[str, str, str]]:
    messages = (model.universe.messages[m] for m in world.network)
    return sorted((type(m).__name__, m.src, m.dst) for m in messages)


def test_a_cut_link_loses_what_is_in_flight_on_it_and_everything_sent_over_it_later():
    model = model_with_cuts(1)
    world = model.next_state(model.initial_states()[0], FireTimer("n1"))
    assert in_flight(model, world) == [("RequestVoteRequest", "n1", "n2"), ("RequestVoteRequest", "n1", "n3")]
    world = model.next_state(world, CutLink("n1", "n2"))
    assert in_flight(model, world) == [("RequestVoteRequest", "n1", "n3")]
    vote = model.universe.messages[world.network[0]]
    world = model.next_state(world, Deliver(vote))
    answer = model.universe.messages[world.network[0]]
    world = model.next_state(world, Deliver(answer))  # n1 is elected by n3 and sends its no-op
    assert model.universe.node_states[world.nodes[0]].role.value == "leader"
    assert in_flight(model, world) == [("AppendEntriesRequest", "n1", "n3")]


def test_cuts_are_a_budget_of_distinct_links_and_stay_cut_when_faults_stop():
    model = model_with_cuts(1)
    start = model.initial_states()[0]
    cuts = [action for action, _ in model.successors(start) if type(action) is CutLink]
    assert cuts == [CutLink("n1", "n2"), CutLink("n1", "n3"), CutLink("n2", "n3")]
    cut = model.next_state(start, cuts[0])
    assert not [action for action, _ in model.successors(cut) if type(action) is CutLink]
    kept = quotient(cut, model.universe).used
    assert kept[CUT] == cut.used[CUT] != 0 and not any(kept[:CUT]), "the quotient forgets budgets, not links that are down"
    assert not [a for a, _ in model_with_cuts(0).successors(start) if type(a) is CutLink]


def test_cuts_turn_symmetry_off():
    assert len(model_with_cuts(0).group) == 6 and len(model_with_cuts(1).group) == 1


def test_a_healed_link_carries_messages_again_and_its_cut_still_counts_against_the_budget():
    model = model_with_cuts(1, heals=1)
    cut = model.next_state(model.initial_states()[0], CutLink("n1", "n2"))
    heals = [action for action, _ in model.successors(cut) if type(action) is HealLink]
    assert heals == [HealLink("n1", "n2")]
    healed = model.next_state(cut, heals[0])
    assert model.links_cut(healed) == frozenset()
    world = model.next_state(healed, FireTimer("n1"))
    assert in_flight(model, world) == [("RequestVoteRequest", "n1", "n2"), ("RequestVoteRequest", "n1", "n3")]
    kinds = {type(action) for action, _ in model.successors(world)}
    assert CutLink not in kinds and HealLink not in kinds  # one cut made, one heal spent


def test_without_a_heal_budget_a_cut_link_stays_cut():
    model = model_with_cuts(2)
    cut = model.next_state(model.initial_states()[0], CutLink("n1", "n2"))
    assert not [action for action, _ in model.successors(cut) if type(action) is HealLink]


def test_once_a_partition_heals_a_stale_leader_hears_the_new_term_even_without_check_quorum(tmp_path):
    """liveness_isolated_leader cuts its leader off from both followers: without CheckQuorum it leads on for ever.
    Heal one of the two links in the start and it learns of the new term and steps down: no lasso."""
    text = (SPECS / "liveness_isolated_leader.toml").read_text()
    healed = text.replace('{ cut_link = "n1", peer = "n3" },', '{ cut_link = "n1", peer = "n3" },\n  { heal_link = "n1", peer = "n2" },')
    assert healed != text
    path = tmp_path / "healed.toml"
    path.write_text(healed.replace("link_cuts = 2", "link_cuts = 2\nlink_heals = 1"))
    assert check(load_spec(path)).verdict == "pass"
    assert check(SPECS / "liveness_isolated_leader.toml").invariant == "StaleLeadersStepDown"
