"""The search engine on a toy model: it knows nothing about Raft."""

from dataclasses import dataclass, field

import pytest

from raftcheck.search import Limits, Property, TransitionProperty, breadth_first, depth_first


@dataclass
class Counter:
    """States are integers; actions add 2 or 3; "never 7" is the invariant."""

    forbidden: int = 7
    cap: int = 50
    properties: list = field(default_factory=list)
    transition_properties: list = field(default_factory=list)
    goals: list = field(default_factory=list)
    step_goals: list = field(default_factory=list)

    def __post_init__(self):
        self.properties = [Property("NotForbidden", lambda s: "hit" if s == self.forbidden else None)]

    def initial_states(self):
        return [0]

    def successors(self, state):
        for step in (2, 3):
            yield f"+{step}", state + step

    def fingerprint(self, state):
        return state

    def beyond_bounds(self, state):
        return "cap" if state >= self.cap else None

    def next_state(self, state, action):
        return state + int(action[1:])


def test_bfs_finds_the_shortest_counterexample():
    result = breadth_first(Counter())
    assert result.verdict == "violation"
    assert result.violation.property == "NotForbidden"
    assert len(result.violation.actions) == 3
    assert sum(int(a[1:]) for a in result.violation.actions) == 7


def test_bfs_explores_everything_within_bounds_and_passes():
    result = breadth_first(Counter(forbidden=1))
    assert result.verdict == "pass"
    assert result.states == 52  # 0 and 2..52: expanded below the cap of 50, one step past it


def test_transition_properties_are_checked_on_every_step():
    model = Counter(forbidden=-1)
    model.transition_properties = [TransitionProperty("NoBigJump", lambda a, act, b: "jump" if b - a == 3 and a == 4 else None)]
    result = breadth_first(model)
    assert result.violation.property == "NoBigJump"
    assert result.violation.actions == ["+2", "+2", "+3"]


def test_budgets_stop_a_search_with_a_partial_verdict():
    result = breadth_first(Counter(forbidden=-1, cap=10**9), Limits(max_states=500))
    assert result.verdict == "partial" and "max_states" in result.stopped_because
    assert 500 <= result.states <= 502, "stops after the expansion that reaches the budget (2 successors each)"
    result = breadth_first(Counter(forbidden=-1, cap=10**9), Limits(max_seconds=0.05))
    assert result.verdict == "partial" and "max_seconds" in result.stopped_because


def test_depth_bound_limits_the_search():
    assert breadth_first(Counter(), Limits(max_depth=2)).verdict == "pass"
    assert breadth_first(Counter(), Limits(max_depth=3)).verdict == "violation"


def test_dfs_finds_a_valid_counterexample_within_its_depth_bound():
    model = Counter()
    result = depth_first(model, Limits(max_depth=6))
    assert result.verdict == "violation"
    state = 0
    for action in result.violation.actions:
        state = model.next_state(state, action)
    assert state == 7
    assert depth_first(Counter(forbidden=1), Limits(max_depth=30)).verdict == "pass"
    with pytest.raises(ValueError):
        depth_first(model, Limits())


def test_dfs_revisits_a_state_reached_again_at_a_shallower_depth():
    """With a depth bound, a state first seen deep must be expanded again when seen shallow."""
    result = depth_first(Counter(forbidden=12, cap=10**9), Limits(max_depth=4))
    assert result.verdict == "violation"


@pytest.mark.parametrize("search", ["bfs", "dfs"])
def test_goals_report_what_was_reached_and_bounds_count_what_was_not_expanded(search):
    model = Counter(forbidden=-1, cap=20)
    model.goals = [Property("Reaches19", lambda s: "19" if s == 19 else None),
                   Property("Reaches99", lambda s: "99" if s == 99 else None)]
    model.step_goals = [TransitionProperty("AddsThreeToSix", lambda b, a, c: "6" if a == "+3" and c == 6 else None)]
    if search == "bfs":
        result = breadth_first(model)
    else:
        result = depth_first(model, Limits(max_depth=8))
    assert result.verdict == "pass"
    assert result.goals["Reaches19"] == "19" and result.goals["AddsThreeToSix"] == "6"
    assert result.unreached_goals == ["Reaches99"]
    assert result.unexpanded.get("cap", 0) > 0
    if search == "dfs":
        assert result.unexpanded["max_depth"] > 0
