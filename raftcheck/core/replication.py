"""Log replication (paper 5.3): AppendEntries on both sides, commit and apply."""

from __future__ import annotations

from msgspec.structs import replace

from raftcheck.core.log import entries_after, last_index, latest_config, removed_at, snapshot_index, term_at
from raftcheck.core.messages import (
    AppendEntriesRequest,
    AppendEntriesResponse,
    ClientCommand,
    ClientRequest,
    ClientResponse,
    ConfigChange,
    Entry,
    InstallSnapshotRequest,
    Message,
    Payload,
    Status,
)
from raftcheck.core.quorum import committed_index
from raftcheck.core.sizes import entries_within
from raftcheck.core.state import BOOTSTRAP, CANDIDATE, FOLLOWER, LEADER, NodeState, Progress
from raftcheck.core.terms import become_follower

# ---- leader side -----------------------------------------------------------


def replication_targets(state: NodeState) -> tuple[str, ...]:
    """Peers the leader replicates to: the configuration, plus a server catching up.

    With notify_removed_servers, also every other server the leader still
    tracks: one its newest configuration entry removed, until it acknowledges
    that entry (see `notified_of_removal`) and so learns that it is out.
    Stopping at commit instead is not enough: the checker found a lasso where
    the entry commits while the removed server campaigns, and the removed
    server never hears of it.
    """
    peers = tuple(server for server in state.config if server != state.id)
    if state.catchup is not None and state.catchup.server not in peers:
        peers += (state.catchup.server,)
    if state.params.features.notify_removed_servers:
        peers += tuple(p.peer for p in state.progress if p.peer not in peers and p.peer != state.id)
    return peers


def handing_over(state: NodeState) -> bool:
    """A leader whose committed configuration leaves it out, still leading (with leadership_transfer) only until
    a member has its whole log (thesis 3.10): it accepts no new command meanwhile."""
    return state.role is LEADER and state.id not in state.config and state.config_index <= state.commit_index


def removed_by_newest_config(state: NodeState) -> tuple[str, ...]:
    """The servers the newest configuration entry took out (read once, when a leader takes office).

    Also once that entry is compacted: a removed server that missed it would otherwise campaign for ever (the
    liveness check found that lasso with compaction on).
    """
    return tuple(server for server in removed_at(state.log, state.config_index, state.id, state.snapshot)
                 if server != state.id)


def notified_of_removal(state: NodeState, peer: str) -> NodeState:
    """A removed server that has the entry removing it is no longer tracked, so no longer sent to."""
    catching_up = state.catchup is not None and state.catchup.server == peer
    if peer in state.config or catching_up or progress_of(state, peer).match_index < state.config_index:
        return state
    return replace(state, progress=tuple(p for p in state.progress if p.peer != peer))


def progress_of(state: NodeState, peer: str) -> Progress:
    """The leader's progress record for `peer`; one it never tracked starts from the beginning."""
    for progress in state.progress:
        if progress.peer == peer:
            return progress
    return Progress(peer, 1, 0)


def fresh_progress(state: NodeState, peers: tuple[str, ...]) -> tuple[Progress, ...]:
    """Paper Fig. 2: on election, nextIndex = last log index + 1 and matchIndex = 0."""
    next_index = last_index(state.log, state.snapshot) + 1
    return tuple(Progress(peer, next_index, 0) for peer in sorted(peers))


def with_progress(state: NodeState, updated: Progress) -> NodeState:
    kept = tuple(p for p in state.progress if p.peer != updated.peer)
    return replace(state, progress=tuple(sorted(kept + (updated,), key=_peer_key)))


def _peer_key(progress: Progress) -> str:
    return progress.peer


def send_append_entries(state: NodeState, peer: str, out: list[Message]) -> NodeState:
    """Send the peer its entries from nextIndex on (at most the batch cap) with the commit index.

    nextIndex then moves past what was sent (etcd's pipelining), so the next
    write or ack sends only newer entries; a lost message shows up as a
    rejection, which moves nextIndex back. A peer that needs entries the
    leader has compacted away gets the snapshot instead (thesis 5.1).
    """
    progress = progress_of(state, peer)
    prev = progress.next_index - 1
    log, snapshot = state.log, state.snapshot
    base = snapshot_index(snapshot)
    if prev < base:
        out.append(InstallSnapshotRequest(state.id, peer, state.current_term, snapshot))
        return with_progress(state, Progress(peer, base + 1, progress.match_index))
    cap = state.params.max_entries_per_append
    start = prev - base
    entries = log[start : start + cap] if cap else log[start:]
    if state.params.max_append_bytes:
        entries = entries[: entries_within(entries, state.params.max_append_bytes)]
    out.append(
        AppendEntriesRequest(state.id, peer, state.current_term, prev, term_at(log, prev, snapshot), entries, state.commit_index)
    )
    if not entries:
        return state
    return with_progress(state, Progress(peer, prev + len(entries) + 1, progress.match_index))


def broadcast_append_entries(state: NodeState, out: list[Message]) -> NodeState:
    for peer in replication_targets(state):
        state = send_append_entries(state, peer, out)
    return state


def append_as_leader(state: NodeState, payload: Payload) -> NodeState:
    """Append an entry of the current term; a configuration takes effect at once."""
    log = state.log + (Entry(state.current_term, payload),)
    if type(payload) is ConfigChange:
        return replace(state, log=log, config=payload.servers, config_index=last_index(log, state.snapshot))
    return replace(state, log=log)


def advance_commit(state: NodeState, out: list[Message]) -> NodeState:
    """Commit the highest index on a majority (Fig. 8: only if it is of this term)."""
    matches = {p.peer: p.match_index for p in state.progress}
    matches[state.id] = last_index(state.log, state.snapshot)
    index = committed_index(state.config, matches)
    if index <= state.commit_index:
        return state
    if state.params.rules.commit_current_term_only and term_at(state.log, index, state.snapshot) != state.current_term:
        return state
    return apply_committed(state, index, out)


def handle_client_request(state: NodeState, message: ClientRequest, out: list[Message]) -> NodeState:
    leaving = handing_over(state)
    if state.role is not LEADER or leaving:
        hint = None if leaving else state.leader_id
        out.append(ClientResponse(state.id, message.src, message.seq, Status.NOT_LEADER, None, hint))
        return state
    for client, seq, op, result in state.sessions:
        if client == message.src and seq == message.seq:
            status = Status.OK if op == message.op else Status.SEQ_REUSED
            out.append(ClientResponse(state.id, client, seq, status, result if op == message.op else None, state.id))
            return state
    state = append_as_leader(state, ClientCommand(message.src, message.seq, message.op))
    state = broadcast_append_entries(state, out)
    return advance_commit(state, out)


def handle_append_entries_response(
    state: NodeState, message: AppendEntriesResponse, out: list[Message]
) -> NodeState:
    if state.role is not LEADER or message.term > state.current_term or message.refused:
        return state
    if message.term < state.current_term and state.params.rules.match_index_from_current_term_only:
        return state
    if message.src not in replication_targets(state):
        return state
    progress = progress_of(state, message.src)
    if message.success:
        if not 0 <= message.match_index <= last_index(state.log, state.snapshot):
            return state
        match = max(progress.match_index, message.match_index)
        state = with_progress(state, Progress(message.src, max(progress.next_index, match + 1), match))
        if state.catchup is not None and state.catchup.server == message.src and match > progress.match_index:
            state = replace(state, catchup=replace(state.catchup, idle_ticks=0))  # the new server is alive
        state = advance_commit(state, out)
        if message.src not in state.config:
            state = notified_of_removal(state, message.src)
            if message.src not in replication_targets(state):
                return state
        if progress_of(state, message.src).next_index <= last_index(state.log, state.snapshot):
            state = send_append_entries(state, message.src, out)
        return state
    retry = max(progress.match_index + 1, min(progress.next_index - 1, message.conflict_index))
    state = with_progress(state, Progress(message.src, max(retry, 1), progress.match_index))
    return send_append_entries(state, message.src, out)


# ---- follower side ---------------------------------------------------------


def heed_leader(
    state: NodeState, message: AppendEntriesRequest | InstallSnapshotRequest, out: list[Message]
) -> NodeState | None:
    """What AppendEntries and InstallSnapshot share: a request of the current term is from its leader, whom this
    node now follows. None when the request is stale (answered with this node's term) or this node leads."""
    if message.term < state.current_term:
        # The hint is where this log ends: a leader that reads this reply as an answer to
        # a request of its own (it cannot tell) does not move nextIndex back needlessly.
        hint = last_index(state.log, state.snapshot) + 1
        out.append(AppendEntriesResponse(state.id, message.src, state.current_term, False, 0, hint))
        return None
    if state.role is LEADER:
        return None
    if state.role is CANDIDATE:
        state = become_follower(state)
    return replace(state, leader_id=message.src, election_elapsed=0, pre_votes=())


def handle_append_entries(state: NodeState, message: AppendEntriesRequest, out: list[Message]) -> NodeState:
    prev = message.prev_log_index
    if prev < 0 or message.leader_commit < 0 or not _terms_plausible(message):
        return state
    following = heed_leader(state, message, out)
    if following is None:
        return state
    state = following
    log, snapshot = state.log, state.snapshot
    entries, prev_term = message.entries, message.prev_log_term
    base = snapshot_index(snapshot)
    if prev < base:
        # Entries up to the snapshot are committed here, so a current leader's copies match them.
        skipped = base - prev
        if skipped > len(entries):
            out.append(AppendEntriesResponse(state.id, message.src, state.current_term, True, prev + len(entries)))
            return state
        entries, prev, prev_term = entries[skipped:], base, snapshot.term
    last = last_index(log, snapshot)
    if prev > last:
        out.append(AppendEntriesResponse(state.id, message.src, state.current_term, False, 0, last + 1))
        return state
    if state.params.rules.check_prev_log_term and term_at(log, prev, snapshot) != prev_term:
        out.append(
            AppendEntriesResponse(state.id, message.src, state.current_term, False, 0, _first_index_of_term(state, prev))
        )
        return state
    stored = _store_entries(state, prev, entries)
    if stored is None:
        # Committed entries are never rewritten (etcd panics here): refuse, change nothing, say so.
        out.append(
            AppendEntriesResponse(state.id, message.src, state.current_term, False, 0, state.commit_index + 1, True)
        )
        return state
    state = stored
    last_new = prev + len(entries)
    if message.leader_commit > state.commit_index:
        bound = last_new if state.params.rules.follower_commit_to_last_new_entry else last_index(state.log, snapshot)
        commit = min(message.leader_commit, bound)
        if commit > state.commit_index:
            state = apply_committed(state, commit, out)
    out.append(AppendEntriesResponse(state.id, message.src, state.current_term, True, last_new))
    return state


def _terms_plausible(message: AppendEntriesRequest) -> bool:
    """A leader of term T sends no entry, and no previous entry, of a term above T: such a request is forged."""
    term = message.term
    return message.prev_log_term <= term and all(entry.term <= term for entry in message.entries)


def _first_index_of_term(state: NodeState, index: int) -> int:
    """Where the run of entries sharing the term at `index` begins (not below the snapshot): the fast back-off hint."""
    log, snapshot = state.log, state.snapshot
    base = snapshot_index(snapshot)
    term = term_at(log, index, snapshot)
    while index > base + 1 and log[index - 2 - base].term == term:
        index -= 1
    return index


def _store_entries(state: NodeState, prev: int, entries: tuple[Entry, ...]) -> NodeState | None:
    """Merge `entries` after `prev`, deleting only from the first real conflict.

    None when that would change an entry at or below the commit index.
    `prev` is at or after the snapshot's last index.
    """
    log = state.log
    base = snapshot_index(state.snapshot)
    if not state.params.rules.truncate_only_on_conflict:
        merged = log[: prev - base] + entries
        if merged == log:
            return state
        first_changed = _first_difference(log, merged) + base
        return None if first_changed <= state.commit_index else _with_log(state, merged, prev + 1)
    for offset, entry in enumerate(entries):
        index = prev + 1 + offset
        position = index - 1 - base
        if position >= len(log):
            return _with_log(state, log + entries[offset:], index)
        if log[position].term != entry.term:
            if index <= state.commit_index:
                return None
            return _with_log(state, log[:position] + entries[offset:], index)
    return state


def _first_difference(old: tuple[Entry, ...], new: tuple[Entry, ...]) -> int:
    """The first (1-based) index where two logs differ, counting a missing entry as different."""
    for index, (a, b) in enumerate(zip(old, new), 1):
        if a != b:
            return index
    return min(len(old), len(new)) + 1


def _with_log(state: NodeState, log: tuple[Entry, ...], first_changed: int) -> NodeState:
    """Install a changed log; re-derive the configuration if it was cut or extended.

    A Bootstrap node becomes a Follower once a configuration naming it arrives.
    """
    changed = log[first_changed - 1 - snapshot_index(state.snapshot) :]
    if first_changed <= state.config_index or any(type(e.payload) is ConfigChange for e in changed):
        config, config_index = latest_config(log, state.id, state.bootstrap, state.snapshot)
        role = FOLLOWER if state.role is BOOTSTRAP and state.id in config else state.role
        return replace(state, log=log, config=config, config_index=config_index, role=role)
    return replace(state, log=log)


# ---- applying committed entries --------------------------------------------


def apply_committed(state: NodeState, commit_index: int, out: list[Message]) -> NodeState:
    """Advance commit and apply entries to the state machine; a leader answers clients.

    A (client, seq) already applied is not applied again: its stored result is
    reused, and a different operation under the same (client, seq) is
    answered `seq_reused`, not silently dropped.
    """
    machine, sessions = state.machine, state.sessions
    leader = state.role is LEADER
    for entry in entries_after(state.log, state.snapshot, state.commit_index, commit_index):
        payload = entry.payload
        if type(payload) is not ClientCommand:
            continue
        status, result, machine, sessions = _apply_command(state, machine, sessions, payload)
        if leader:
            out.append(ClientResponse(state.id, payload.client, payload.seq, status, result, state.id))
    return replace(state, commit_index=commit_index, machine=machine, sessions=sessions)


def _apply_command(state: NodeState, machine, sessions, command: ClientCommand):
    """(status, result, machine, sessions) after one committed command; sessions keep each client's latest."""
    for position, (client, seq, op, result) in enumerate(sessions):
        if client == command.client:
            if command.seq < seq:
                return Status.OK, None, machine, sessions
            if command.seq == seq and command.op != op:
                return Status.SEQ_REUSED, None, machine, sessions
            if command.seq == seq:
                return Status.OK, result, machine, sessions
            machine, result = state.params.state_machine.apply(machine, command.op)
            latest = (client, command.seq, command.op, result)
            return Status.OK, result, machine, sessions[:position] + (latest,) + sessions[position + 1 :]
    machine, result = state.params.state_machine.apply(machine, command.op)
    return Status.OK, result, machine, tuple(sorted(sessions + ((command.client, command.seq, command.op, result),)))
