"""Coverage goals (`sometimes` properties): situations a passing run must have reached.

A pass is only worth the scenarios it explored. Each goal names a situation
where bugs live; a spec lists the goals its bounds must reach, and a pass
with an unreached goal does not count. State goals read one ClusterView;
step goals read the views before and after one step.
"""

from __future__ import annotations

from raftcheck.core import ClientCommand, ConfigChange, NodeState, Role, TimeoutNow
from raftcheck.model.checks import Goal
from raftcheck.model.cluster import ClusterView


def leader_elected(view: ClusterView) -> str | None:
    """Some node is leader."""
    return next((f"{n.id} leads term {n.current_term}" for n in view.nodes if n.role is Role.LEADER), None)


def removed_server_learns_it_is_out(view: ClusterView) -> str | None:
    """A server another leader removed holds the configuration without itself: it knows it is out."""
    for node in view.nodes:
        if node.role is Role.BOOTSTRAP or not node.config or node.id in node.config:
            continue
        entry_term = next(e.term for e in reversed(node.log) if type(e.payload) is ConfigChange)
        if (entry_term, node.id) not in view.elected:
            return f"{node.id} holds the configuration {{{', '.join(node.config)}}} from the leader of term {entry_term}"
    return None


def leader_change(view: ClusterView) -> str | None:
    """Two terms have had leaders."""
    if len(view.elected) >= 2:
        return f"leaders {', '.join(f'{name}@t{term}' for term, name in view.elected)}"
    return None


def write_committed(view: ClusterView) -> str | None:
    """A client write is committed."""
    for index, entry in enumerate(view.committed, 1):
        if type(entry.payload) is ClientCommand:
            return f"a write committed at index {index}"
    return None


def committed_write_survives_leader_change(view: ClusterView) -> str | None:
    """A leader of a later term than the one a write was committed in (it holds it: LeaderCompleteness)."""
    for index, (entry, term) in enumerate(zip(view.committed, view.commit_terms), 1):
        if type(entry.payload) is ClientCommand:
            for node in view.nodes:
                if node.role is Role.LEADER and node.current_term > term:
                    return f"{node.id} leads term {node.current_term} after the write at {index} committed in {term}"
    return None


def retried_write_committed_twice(view: ClusterView) -> str | None:
    """A retried write is committed twice; client sessions must apply it once."""
    seen = set()
    for index, entry in enumerate(view.committed, 1):
        command = entry.payload
        if type(command) is ClientCommand:
            if (command.client, command.seq) in seen:
                return f"write {command.seq} of {command.client} committed again at index {index}"
            seen.add((command.client, command.seq))
    return None


def reused_seq_committed(view: ClusterView) -> str | None:
    """A different write under a seq already used is committed after the first: sessions must refuse it."""
    first: dict[tuple[str, int], object] = {}
    for index, entry in enumerate(view.committed, 1):
        command = entry.payload
        if type(command) is ClientCommand:
            op = first.setdefault((command.client, command.seq), command.op)
            if op != command.op:
                return f"seq {command.seq} of {command.client} reused for another write, committed at index {index}"
    return None


def read_committed(view: ClusterView) -> str | None:
    """A read goes through the log and commits."""
    for index, entry in enumerate(view.committed, 1):
        if type(entry.payload) is ClientCommand and entry.payload.op[0] == "get":
            return f"a read committed at index {index}"
    return None


def membership_change_committed(view: ClusterView) -> str | None:
    """A configuration change beyond the first configuration is committed."""
    for index, entry in enumerate(view.committed[1:], 2):
        if type(entry.payload) is ConfigChange:
            return f"configuration {list(entry.payload.servers)} committed at index {index}"
    return None


def second_catch_up_round(view: ClusterView) -> str | None:
    """A leader runs a second catch-up round for a server being added."""
    for node in view.nodes:
        if node.catchup is not None and node.catchup.round >= 2:
            return f"{node.id} runs catch-up round {node.catchup.round} for {node.catchup.server}"
    return None


def catch_up_times_out(before: ClusterView, after: ClusterView) -> str | None:
    """A leader gives up catching a new server up: its AddServer times out."""
    for old, new in _changed(before, after):
        if old.catchup is not None and new.catchup is None and new.role is Role.LEADER:
            if new.current_term == old.current_term and old.catchup.server not in new.config:
                return f"{new.id} gave up catching {old.catchup.server} up"
    return None


def removed_leader_steps_down(before: ClusterView, after: ClusterView) -> str | None:
    """A leader removed from the configuration steps down."""
    for old, new in _changed(before, after):
        if old.role is Role.LEADER and new.role is not Role.LEADER and new.id not in new.config:
            return f"{new.id} stepped down once its removal committed"
    return None


def leader_without_quorum_steps_down(before: ClusterView, after: ClusterView) -> str | None:
    """A leader still in its configuration steps down in its own term: CheckQuorum found no majority heard."""
    for old, new in _changed(before, after):
        if (old.role is Role.LEADER and new.role is Role.FOLLOWER and new.current_term == old.current_term
                and new.id in new.config):
            return f"{new.id}, leader of term {new.current_term}, heard from no majority and stepped down"
    return None


def leadership_handed_over(before: ClusterView, after: ClusterView) -> str | None:
    """A member starts an election on the TimeoutNow of a leader handing over (thesis 3.10)."""
    for b, a in _changed(before, after):
        if a.role is Role.CANDIDATE and b.role is not Role.CANDIDATE:
            sent = sum(1 for m in before.network if type(m) is TimeoutNow and m.dst == a.id)
            if sent > sum(1 for m in after.network if type(m) is TimeoutNow and m.dst == a.id):
                return f"{a.id} campaigns for term {a.current_term} on a TimeoutNow"
    return None


def restart_with_acknowledged_entries(before: ClusterView, after: ClusterView) -> str | None:
    """A follower that had entries committed crashes and restarts with them."""
    for old, new in _changed(before, after):
        if old.role is Role.FOLLOWER and old.commit_index > 1 and new.commit_index == 0 and new.log == old.log:
            return f"{new.id} restarted holding {len(new.log)} entries"
    return None


def stale_leader_deposed(before: ClusterView, after: ClusterView) -> str | None:
    """A leader sees a higher term and steps down."""
    for old, new in _changed(before, after):
        if old.role is Role.LEADER and new.role is Role.FOLLOWER and new.current_term > old.current_term:
            return f"{new.id}, leader of term {old.current_term}, saw term {new.current_term} and stepped down"
    return None


def uncommitted_entry_overwritten(before: ClusterView, after: ClusterView) -> str | None:
    """A node's uncommitted entries are overwritten by another leader's."""
    for old, new in _changed(before, after):
        shared = min(len(old.log), len(new.log))
        if old.log[:shared] != new.log[:shared]:
            return f"{new.id}'s log was overwritten by a leader of term {new.current_term}"
    return None


def log_compacted(view: ClusterView) -> str | None:
    """A node has compacted its log into a snapshot."""
    for node, index in zip(view.nodes, view.snapshots):
        if index:
            return f"{node.id} holds a snapshot up to {index}"
    return None


def snapshot_installed(before: ClusterView, after: ClusterView) -> str | None:
    """A node adopts a leader's snapshot: its snapshot jumps past what it had committed."""
    for old, new, index in zip(before.nodes, after.nodes, after.snapshots):
        if index > old.commit_index:
            return f"{new.id} installed a snapshot up to {index}, having committed {old.commit_index}"
    return None


def restart_from_snapshot(before: ClusterView, after: ClusterView) -> str | None:
    """A node restarts and recovers its committed state from its snapshot, then re-learns what followed."""
    for old, new, index in zip(before.nodes, after.nodes, after.snapshots):
        if 0 < index == new.commit_index < old.commit_index:
            return f"{new.id} restarted from its snapshot up to {index}, having committed {old.commit_index}"
    return None


def joiner_restarts_from_snapshot(before: ClusterView, after: ClusterView) -> str | None:
    """A server that joined in Bootstrap mode and learned of it from a snapshot crashes and restarts: it must
    come back a member, not waiting to be named again. (Only a restart forgets a leader in the same term.)"""
    for old, new, index in zip(before.nodes, after.nodes, after.snapshots):
        if (old is not new and new.bootstrap and index > 0 and old.role is Role.FOLLOWER and old.leader_id is not None
                and new.leader_id is None and new.current_term == old.current_term and new.log == old.log):
            return f"{new.id}, which joined, restarted from its snapshot up to {index}"
    return None


def _changed(before: ClusterView, after: ClusterView) -> list[tuple[NodeState, NodeState]]:
    return [(old, new) for old, new in zip(before.nodes, after.nodes) if old is not new]


RAFT_GOALS: tuple[Goal, ...] = (
    Goal("LeaderElected", leader_elected),
    Goal("LeaderChange", leader_change),
    Goal("WriteCommitted", write_committed),
    Goal("CommittedWriteSurvivesLeaderChange", committed_write_survives_leader_change),
    Goal("RetriedWriteCommittedTwice", retried_write_committed_twice),
    Goal("ReadCommitted", read_committed),
    Goal("ReusedSeqCommitted", reused_seq_committed),
    Goal("MembershipChangeCommitted", membership_change_committed),
    Goal("SecondCatchUpRound", second_catch_up_round),
    Goal("CatchUpTimesOut", catch_up_times_out, on_steps=True),
    Goal("RemovedLeaderStepsDown", removed_leader_steps_down, on_steps=True),
    Goal("RemovedServerLearnsItIsOut", removed_server_learns_it_is_out),
    Goal("LeaderWithoutQuorumStepsDown", leader_without_quorum_steps_down, on_steps=True),
    Goal("LeadershipHandedOver", leadership_handed_over, on_steps=True, reads_network=True),
    Goal("RestartWithAcknowledgedEntries", restart_with_acknowledged_entries, on_steps=True),
    Goal("StaleLeaderDeposed", stale_leader_deposed, on_steps=True),
    Goal("UncommittedEntryOverwritten", uncommitted_entry_overwritten, on_steps=True),
    Goal("LogCompacted", log_compacted),
    Goal("SnapshotInstalled", snapshot_installed, on_steps=True),
    Goal("RestartFromSnapshot", restart_from_snapshot, on_steps=True),
    Goal("JoinerRestartsFromSnapshot", joiner_restarts_from_snapshot, on_steps=True),
)
