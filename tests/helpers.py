"""Building node states and driving them by hand, for tests written like the paper."""

from __future__ import annotations

from msgspec.structs import replace

from raftcheck.core import (
    AppendEntriesResponse,
    ClientCommand,
    ConfigChange,
    Entry,
    Message,
    NodeParams,
    NodeState,
    Noop,
    RequestVoteResponse,
    Role,
    Rules,
    Tick,
    boot,
    handle,
    restart,
    ticks_until_timer,
)

THREE = ("a", "b", "c")
FIVE = ("a", "b", "c", "d", "e")


def params_without(*rules: str) -> NodeParams:
    return NodeParams(rules=Rules().without(*rules))


def config_log(servers: tuple[str, ...], *terms: int) -> tuple[Entry, ...]:
    """A log opening with a configuration entry (term 1), then one command per given term."""
    return (Entry(1, ConfigChange(servers)),) + tuple(
        Entry(term, ClientCommand("cl", index, ("set", "k", str(index)))) for index, term in enumerate(terms, 2)
    )


def member(
    node_id: str,
    servers: tuple[str, ...] = THREE,
    term: int = 1,
    log: tuple[Entry, ...] | None = None,
    voted_for: str | None = None,
    params: NodeParams = NodeParams(),
) -> NodeState:
    """A follower that has `log` (default: just the configuration) on disk, freshly started."""
    stored = replace(
        boot(node_id, params=params),
        current_term=term,
        voted_for=voted_for,
        log=config_log(servers) if log is None else log,
    )
    return restart(stored)


def step(state: NodeState, *messages: Message) -> tuple[NodeState, list[Message]]:
    """Deliver messages in order; collect everything sent."""
    sent: list[Message] = []
    for message in messages:
        state, out = handle(state, message)
        sent.extend(out)
    return state, sent


def fire_timer(state: NodeState) -> tuple[NodeState, list[Message]]:
    return step(state, Tick(ticks_until_timer(state)))


def elect(state: NodeState) -> tuple[NodeState, list[Message]]:
    """Time out and collect a vote from every other member, until leader."""
    state, sent = fire_timer(state)
    for voter in state.config:
        if state.role is Role.LEADER:
            break
        if voter != state.id:
            state, more = step(state, RequestVoteResponse(voter, state.id, state.current_term, True))
            sent.extend(more)
    assert state.role is Role.LEADER
    return state, sent


def ack(leader: NodeState, peer: str, match_index: int | None = None) -> AppendEntriesResponse:
    """A successful AppendEntries response from `peer` (default: matching the whole log)."""
    match = len(leader.log) if match_index is None else match_index
    return AppendEntriesResponse(peer, leader.id, leader.current_term, True, match)


def of_type(messages: list[Message], kind: type) -> list:
    return [m for m in messages if type(m) is kind]


def noop_terms(state: NodeState) -> list[int]:
    return [e.term for e in state.log if type(e.payload) is Noop]
