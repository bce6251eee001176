"""The workloads that the benchmarks time and the regression gate compares: each a callable and its arguments.

`calibration` is a fixed pure-Python workload of the same kind of work the
handler and the explorer do (tuples, hashing, dict inserts, small calls);
the gate divides every other workload's time by it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from msgspec.structs import replace

import raftcheck
from raftcheck.core import (
    AppendEntriesRequest,
    AppendEntriesResponse,
    ClientCommand,
    ConfigChange,
    Entry,
    RequestVoteResponse,
    Tick,
    boot,
    handle,
    restart,
    ticks_until_timer,
)

Workload = tuple[Callable[..., Any], tuple]

THREE = ("a", "b", "c")
FIVE = ("a", "b", "c", "d", "e")
COMMAND = ClientCommand("client", 1, ("set", "key", "value"))
DEFAULT_SPEC = Path(__file__).resolve().parent.parent / "specs" / "election_replication_with_restart.toml"


def member(node_id: str, servers: tuple[str, ...], commands: int = 5):
    log = (Entry(1, ConfigChange(servers)),) + tuple(Entry(1, COMMAND) for _ in range(commands))
    return restart(replace(boot(node_id), current_term=1, log=log))


def leader_of(servers: tuple[str, ...]):
    state = member("a", servers)
    state, _ = handle(state, Tick(ticks_until_timer(state)))
    for voter in servers[1:]:
        state, _ = handle(state, RequestVoteResponse(voter, "a", state.current_term, True))
    return state


def follower_heartbeat() -> Workload:
    follower, _ = handle(member("b", THREE), AppendEntriesRequest("a", "b", 1, 6, 1, (), 6))
    return handle, (follower, AppendEntriesRequest("a", "b", 1, 6, 1, (), 6))


def follower_appends_one_entry() -> Workload:
    follower, _ = handle(member("b", THREE), AppendEntriesRequest("a", "b", 1, 6, 1, (), 6))
    return handle, (follower, AppendEntriesRequest("a", "b", 1, 6, 1, (Entry(1, COMMAND),), 6))


def leader_ack_advances_commit() -> Workload:
    leader = leader_of(THREE)
    return handle, (leader, AppendEntriesResponse("b", "a", leader.current_term, True, len(leader.log)))


def idle_tick() -> Workload:
    return handle, (member("b", THREE), Tick())


def tick_fires_election_in_five_node_cluster() -> Workload:
    follower = member("a", FIVE)
    return handle, (follower, Tick(ticks_until_timer(follower)))


def explore_small_spec() -> Workload:
    """The default spec's first 5,000 states with symmetry: about a quarter second of the explorer."""
    return _explore_first_states, (DEFAULT_SPEC,)


def _explore_first_states(spec: Path):
    return raftcheck.check(spec, max_states=5_000)


def _mix(state: tuple[int, int, str], step: int) -> tuple[int, int, str]:
    term, index, role = state
    return (term + (step % 3 == 0), index + 1, "leader" if step % 7 == 0 else role)


def _calibrate() -> int:
    seen: dict[tuple[int, int, str], int] = {}
    state = (0, 0, "follower")
    for step in range(2_000):
        state = _mix(state, step)
        key = (state[0] % 50, state[1] % 97, state[2])
        seen[key] = seen.get(key, 0) + 1
    return len(seen)


def calibration() -> Workload:
    return _calibrate, ()


HANDLER = [follower_heartbeat, follower_appends_one_entry, leader_ack_advances_commit, idle_tick,
           tick_fires_election_in_five_node_cluster]
