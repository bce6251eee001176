"""Log compaction (thesis 5.1): snapshots taken by the core itself, and InstallSnapshot for followers far behind."""

import msgspec
import pytest
from msgspec.structs import replace

from helpers import THREE, ack, config_log, elect, member, of_type, step
from raftcheck.core import (
    AppendEntriesRequest,
    AppendEntriesResponse,
    ClientCommand,
    ClientRequest,
    Entry,
    InstallSnapshotRequest,
    NodeParams,
    NodeState,
    Role,
    Snapshot,
    Tick,
    boot,
    restart,
)
from raftcheck.core.log import last_index
from raftcheck.properties.replies import leader_append_only

EVERY_TWO = NodeParams(compact_log_after=2)


def commands(count: int, term: int = 1, keys: int = 10) -> tuple[Entry, ...]:
    """`count` writes from one client over a few keys, as a long-running cluster's log holds."""
    return tuple(Entry(term, ClientCommand("cl", seq, ("set", f"k{seq % keys}", str(seq)))) for seq in range(1, count + 1))


def leader_with(log, params=EVERY_TWO):
    leader, _ = elect(member("a", log=log, params=params))
    return leader


def committed(leader):
    """The leader once b has acknowledged its whole log, so that all of it commits, and one tick later:
    a node compacts when it takes its next input."""
    leader, _ = step(leader, ack(leader, "b", last_index(leader.log, leader.snapshot)))
    assert leader.commit_index == last_index(leader.log, leader.snapshot)
    leader, _ = step(leader, Tick())
    return leader


def test_a_node_compacts_its_applied_prefix_once_enough_entries_are_applied():
    leader = committed(leader_with(config_log(THREE) + commands(3)))
    snapshot = leader.snapshot
    assert snapshot is not None and snapshot.index == leader.commit_index == 5, "config, 3 writes, the noop"
    assert leader.log == () and snapshot.term == 2 and snapshot.config == THREE and snapshot.config_index == 1
    assert leader.params.state_machine.restore(snapshot.machine) == leader.machine
    assert snapshot.sessions == leader.sessions == (("cl", 3, ("set", "k3", "3"), "3"),)


def test_nothing_is_compacted_before_the_threshold_or_with_compaction_off():
    assert committed(leader_with(config_log(THREE), NodeParams(compact_log_after=3))).snapshot is None
    assert committed(leader_with(config_log(THREE) + commands(50), NodeParams())).snapshot is None


def test_a_follower_100k_entries_behind_catches_up_through_one_snapshot():
    leader, sent = elect(member("a", log=config_log(THREE) + commands(100_000), params=EVERY_TWO))
    to_c = [m for m in of_type(sent, AppendEntriesRequest) if m.dst == "c"]
    leader = committed(leader)
    assert leader.snapshot.index == 100_002 and leader.log == ()
    follower = member("c", params=EVERY_TWO)
    follower, replies = step(follower, *to_c)
    assert replies[0].success is False, "c holds only the configuration"
    leader, sent = step(leader, *replies)
    install = of_type(sent, InstallSnapshotRequest)
    assert len(install) == 1 and install[0].dst == "c" and install[0].snapshot == leader.snapshot
    follower, replies = step(follower, install[0])
    assert follower.commit_index == 100_002 and follower.log == () and follower.machine == leader.machine
    assert follower.sessions == leader.sessions and follower.snapshot == leader.snapshot
    leader, _ = step(leader, *replies)
    assert next(p for p in leader.progress if p.peer == "c").match_index == 100_002


def test_a_follower_keeps_the_entries_that_follow_a_snapshot_it_agrees_with():
    before = leader_with(config_log(THREE) + commands(3))
    leader = committed(before)
    extra = Entry(2, ClientCommand("cl", 4, ("set", "x", "y")))
    longer = replace(member("c", log=before.log + (extra,)), current_term=2)
    installed, replies = step(longer, InstallSnapshotRequest("a", "c", 2, leader.snapshot))
    assert installed.snapshot == leader.snapshot and installed.commit_index == 5
    assert installed.log == (extra,), "entry 6 follows the snapshot's last entry, which this log agrees with"
    assert replies == [AppendEntriesResponse("c", "a", 2, True, 5)]


def test_a_follower_discards_a_log_that_conflicts_with_the_snapshot():
    leader = committed(leader_with(config_log(THREE) + commands(3)))
    stale = member("c", log=config_log(THREE) + commands(6, term=1))
    installed, _ = step(stale, InstallSnapshotRequest("a", "c", 2, leader.snapshot))
    assert installed.log == () and installed.snapshot == leader.snapshot and installed.machine == leader.machine


def test_a_stale_or_repeated_snapshot_changes_nothing_and_is_acknowledged():
    leader = committed(leader_with(config_log(THREE) + commands(3)))
    follower, _ = step(member("c"), InstallSnapshotRequest("a", "c", 2, leader.snapshot))
    old = replace(leader.snapshot, index=3)
    for snapshot in (leader.snapshot, old):
        again, replies = step(follower, InstallSnapshotRequest("a", "c", 2, snapshot))
        assert again.snapshot == follower.snapshot and again.commit_index == follower.commit_index == 5
        assert replies == [AppendEntriesResponse("c", "a", 2, True, snapshot.index)]


def test_a_forged_or_impossible_snapshot_is_ignored():
    leader = committed(leader_with(config_log(THREE) + commands(3)))
    follower = member("c", term=2)  # a message of a higher term changes the term before anything is read
    good = leader.snapshot
    for forged in (
        replace(good, machine=b"not json"),
        replace(good, machine=b'[["b","1"],["a","2"]]'),  # keys out of order: no state dump writes
        replace(good, term=3),  # an entry of a term above the sender's
        replace(good, config=()),
        replace(good, config_index=good.index + 1),
    ):
        after, replies = step(follower, InstallSnapshotRequest("a", "c", 2, forged))
        assert after == follower and replies == []


def test_a_restart_recovers_the_snapshot_as_committed_and_applied():
    leader = committed(leader_with(config_log(THREE) + commands(3)))
    leader, _ = step(leader, ClientRequest("cl", "a", 4, ("set", "x", "y")))
    restarted = restart(leader)
    assert restarted.snapshot == leader.snapshot and restarted.commit_index == 5
    assert restarted.machine == leader.params.state_machine.restore(leader.snapshot.machine)
    assert restarted.log == leader.log and len(restarted.log) == 1, "the uncommitted write survives on disk"


def test_append_entries_overlapping_the_snapshot_skips_what_the_snapshot_holds():
    before = leader_with(config_log(THREE) + commands(3))
    leader = committed(before)
    follower, _ = step(member("c"), InstallSnapshotRequest("a", "c", 2, leader.snapshot))
    extra = Entry(2, ClientCommand("cl", 4, ("set", "x", "y")))
    overlap = AppendEntriesRequest("a", "c", 2, 3, 1, before.log[3:] + (extra,), 5)
    after, replies = step(follower, overlap)
    assert after.snapshot == follower.snapshot and after.log == (extra,)
    assert replies == [AppendEntriesResponse("c", "a", 2, True, 6)]
    behind = AppendEntriesRequest("a", "c", 2, 1, 1, before.log[1:3], 5)
    unchanged, replies = step(after, behind)
    assert unchanged == after and replies == [AppendEntriesResponse("c", "a", 2, True, 3)]


def test_a_snapshot_carries_through_the_wire_format():
    leader = committed(leader_with(config_log(THREE) + commands(3)))
    message = InstallSnapshotRequest("a", "c", 2, leader.snapshot)
    decoded = msgspec.json.decode(msgspec.json.encode(message), type=InstallSnapshotRequest)
    assert decoded == message and hash(decoded) == hash(message)
    assert isinstance(decoded.snapshot, Snapshot)


def test_a_bootstrap_node_that_installs_a_snapshot_naming_it_takes_its_configuration():
    leader = committed(leader_with(config_log(THREE) + commands(3)))
    waiting = boot("c", bootstrap=True)
    joined, _ = step(waiting, InstallSnapshotRequest("a", "c", 2, leader.snapshot))
    assert joined.config == THREE and joined.config_index == 1 and joined.role is Role.FOLLOWER
    outside = replace(leader.snapshot, config=("a", "b"))
    still_waiting, _ = step(waiting, InstallSnapshotRequest("a", "c", 2, outside))
    assert still_waiting.config == ("a", "b") and still_waiting.role is Role.BOOTSTRAP


def test_a_node_compacts_when_it_takes_its_next_input_not_in_the_step_that_commits():
    leader = leader_with(config_log(THREE) + commands(3))
    just_committed, _ = step(leader, ack(leader, "b", last_index(leader.log, leader.snapshot)))
    assert just_committed.commit_index == 5 and just_committed.snapshot is None
    ignored, _ = step(just_committed, Tick(0))
    assert ignored == just_committed, "an input the node ignores changes nothing"
    next_input, _ = step(just_committed, Tick())
    assert next_input.snapshot.index == 5


def _leader(log: tuple[Entry, ...], base: int = 0, base_term: int = 1) -> NodeState:
    snapshot = Snapshot(base, base_term, ("n1",), 1, b"", ()) if base else None
    return replace(boot("n1"), role=Role.LEADER, current_term=2, log=log, snapshot=snapshot)


LOG = commands(4)
REWRITTEN = LOG[:3] + (Entry(2, LOG[3].payload),)


@pytest.mark.parametrize("before, after, rewrote", [
    (_leader(LOG[:3]), _leader(LOG), False),  # appended
    (_leader(LOG), _leader(LOG[2:], base=2), False),  # compacted two entries: indexes are absolute
    (_leader(LOG[1:], base=1), _leader(LOG[3:], base=3), False),
    (_leader(LOG), _leader(REWRITTEN), True),
    (_leader(LOG), _leader(REWRITTEN[2:], base=2), True),  # rewritten and compacted in one step
    (_leader(LOG), _leader(LOG[:3]), True),  # deleted
    (_leader(LOG), _leader(LOG[3:], base=3, base_term=2), True),  # compacted under the wrong term
    (_leader(LOG), replace(_leader(REWRITTEN), current_term=3), False),  # a new term may hold another log
])
def test_leader_append_only_reads_indexes_across_snapshots(before, after, rewrote):
    """LeaderAppendOnly judges raw node states, whose logs start after their snapshots."""
    found = leader_append_only(before, Tick(), after, ())
    assert (found is not None) == rewrote, found
