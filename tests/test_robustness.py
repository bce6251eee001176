"""`handle` never crashes on malformed input and is the same function in any process."""

import subprocess
import sys

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import ack, elect, member, step
from raftcheck.core import (
    AddServerResponse,
    AppendEntriesRequest,
    AppendEntriesResponse,
    ClientResponse,
    Entry,
    Noop,
    RequestVoteRequest,
    RequestVoteResponse,
    Tick,
    handle,
)
from raftcheck.core.messages import Message


def leader():
    state, _ = elect(member("a"))
    return state


MALFORMED = [
    "not a message",
    None,
    ("tuple", 1),
    Entry(1, Noop()),
    Tick(0),
    Tick(-5),
    AppendEntriesRequest("b", "zz", 9, 0, 0, (), 0),
    AppendEntriesRequest("a", "a", 9, 0, 0, (), 0),
    AppendEntriesRequest("b", "a", -1, 0, 0, (), 0),
    AppendEntriesRequest("b", "a", 2, -3, 0, (), 0),
    AppendEntriesRequest("b", "a", 2, 0, 0, (), -1),
    AppendEntriesResponse("stranger", "a", 2, True, 1),
    AppendEntriesResponse("b", "a", 2, True, 999),
    AppendEntriesResponse("b", "a", 2, True, -4),
    RequestVoteResponse("stranger", "a", 2, True),
    ClientResponse("b", "a", 1, "ok"),
    AddServerResponse("b", "a", "d", "ok"),
]


@pytest.mark.parametrize("message", MALFORMED, ids=repr)
def test_malformed_messages_leave_the_leader_unchanged_and_silent(message):
    state = leader()
    after, sent = handle(state, message)
    assert after == state
    assert sent == () or all(m.dst != "stranger" for m in sent)


def test_out_of_range_match_index_does_not_corrupt_progress():
    state = leader()
    after, _ = step(state, AppendEntriesResponse("b", "a", 2, True, 999), ack(state, "b"))
    assert after.commit_index == len(after.log)


def test_vote_from_a_non_member_does_not_count():
    state, _ = step(member("a"), Tick(1000))
    state, _ = step(state, RequestVoteResponse("stranger", "a", state.current_term, True))
    assert state.role.value == "candidate"


message_strategy = st.one_of(
    st.builds(Tick, st.integers(-3, 50)),
    st.builds(
        AppendEntriesRequest,
        st.sampled_from(["b", "c", "z"]),
        st.sampled_from(["a", "b"]),
        st.integers(-1, 4),
        st.integers(-2, 6),
        st.integers(-1, 4),
        st.lists(st.builds(Entry, st.integers(0, 4), st.just(Noop())), max_size=3).map(tuple),
        st.integers(-1, 8),
    ),
    st.builds(
        AppendEntriesResponse,
        st.sampled_from(["b", "c", "z"]),
        st.just("a"),
        st.integers(-1, 4),
        st.booleans(),
        st.integers(-2, 9),
        st.integers(-2, 9),
    ),
    st.builds(
        RequestVoteRequest,
        st.sampled_from(["b", "c", "z"]),
        st.just("a"),
        st.integers(-1, 4),
        st.integers(-1, 6),
        st.integers(-1, 4),
    ),
    st.builds(RequestVoteResponse, st.sampled_from(["b", "c", "z"]), st.just("a"), st.integers(-1, 4), st.booleans()),
)


@given(st.lists(message_strategy, max_size=25))
def test_arbitrary_message_sequences_keep_the_node_state_well_formed(messages):
    state = member("a")
    for message in messages:
        state, _ = handle(state, message)
        assert 0 <= state.commit_index <= len(state.log)
        assert all(p.match_index < p.next_index <= len(state.log) + 1 for p in state.progress)
        assert state.config_index <= len(state.log)
        terms = [e.term for e in state.log]
        assert state.current_term >= max(terms, default=0) or state.role.value != "leader"


_PROGRAM = """
import sys, msgspec
sys.path.insert(0, "tests")
from helpers import elect, member, step
from raftcheck.core import ClientRequest, Tick
state, sent = elect(member("a"))
state, more = step(state, ClientRequest("cl", "a", 1, ("set", "k", "v")), Tick(7))
print(msgspec.json.encode([state, sent + more]).decode())
"""


def test_same_input_gives_the_same_output_in_other_processes():
    runs = {
        subprocess.run(
            [sys.executable, "-c", _PROGRAM], capture_output=True, text=True, check=True, env={"PYTHONHASHSEED": seed}
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(runs) == 1 and "set" in runs.pop()


def test_messages_round_trip_through_json():
    _, sent = handle(leader(), Tick(50))
    assert sent
    assert msgspec.json.decode(msgspec.json.encode(sent), type=tuple[Message, ...]) == sent


def test_a_follower_refuses_to_rewrite_committed_entries():
    """etcd panics on a truncation at or below its commit index; here the request is refused, the log kept."""
    state, _ = step(member("a"), AppendEntriesRequest("b", "a", 2, 1, 1, (Entry(2, Noop()),), 2))
    assert state.commit_index == 2 and len(state.log) == 2
    after, sent = handle(state, AppendEntriesRequest("b", "a", 2, 0, 0, (Entry(2, Noop()),), 0))
    assert after.log == state.log and after.commit_index == 2
    assert [type(m) for m in sent] == [AppendEntriesResponse] and not sent[0].success
    assert sent[0].conflict_index == 3 and sent[0].refused
