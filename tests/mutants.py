"""Known-bad variants of the core, for invariants no single safety switch can break.

Each is a `handle` with one classic implementation bug; the checker must find it.
"""

from msgspec.structs import replace

from raftcheck.core.election import heard_from_leader
from raftcheck.core.lifecycle import restart
from raftcheck.core.log import is_up_to_date
from raftcheck.core.membership import change_refusal
from raftcheck.core.state import CatchUp
from raftcheck.core import (
    AddServerRequest,
    AddServerResponse,
    AppendEntriesRequest,
    AppendEntriesResponse,
    ClientCommand,
    ClientRequest,
    ClientResponse,
    ConfigChange,
    Entry,
    InstallSnapshotRequest,
    RemoveServerRequest,
    RemoveServerResponse,
    RequestVoteRequest,
    RequestVoteResponse,
    Role,
    Status,
    Tick,
    handle,
)


def leader_drops_last_entry_on_rejection(state, message):
    """A leader that 'repairs' its log by deleting its last entry when a follower rejects it."""
    after, out = handle(state, message)
    if after.role is Role.LEADER and type(message) is AppendEntriesResponse and not message.success:
        after = replace(after, log=after.log[:-1])
    return after, out


def remove_server_removes_two(state, message):
    """RemoveServer that also drops the next server of the configuration: a two-server change."""
    after, out = handle(state, message)
    if type(message) is RemoveServerRequest and after.config_index > state.config_index:
        rest = [s for s in after.config if s != after.id]
        if len(rest) > 1:
            servers = tuple(s for s in after.config if s != rest[0])
            log = after.log[:-1] + (Entry(after.current_term, ConfigChange(servers)),)
            after = replace(after, log=log, config=servers)
    return after, out


def commands_stamped_with_term_one(state, message):
    """A leader that writes client commands with a stale term (1) instead of its current term."""
    after, out = handle(state, message)
    if after.role is Role.LEADER and len(after.log) > len(state.log):
        log = tuple(
            Entry(1, e.payload) if i >= len(state.log) and type(e.payload) is ClientCommand else e
            for i, e in enumerate(after.log)
        )
        after = replace(after, log=log)
    return after, out


def follower_commits_before_checking_its_log(state, message):
    """A follower that takes the leader's commit index even from a request it rejects for a gap."""
    after, out = handle(state, message)
    if (
        type(message) is AppendEntriesRequest
        and after.role is Role.FOLLOWER
        and message.term == after.current_term
        and message.leader_commit > after.commit_index
    ):
        after = replace(after, commit_index=message.leader_commit)
    return after, out


def leader_applies_before_commit(state, message):
    """A leader that applies a client command to its state machine as soon as it appends it."""
    after, out = handle(state, message)
    if after.role is Role.LEADER and len(after.log) > len(state.log):
        for entry in after.log[len(state.log):]:
            if type(entry.payload) is ClientCommand:
                machine, _ = after.params.state_machine.apply(after.machine, entry.payload.op)
                after = replace(after, machine=machine)
    return after, out


def follower_stamps_entries_with_leader_term(state, message):
    """A follower that stores replicated entries with the request's term instead of each entry's own."""
    after, out = handle(state, message)
    if type(message) is AppendEntriesRequest and after.log != state.log:
        prev, count = message.prev_log_index, len(message.entries)
        stamped = tuple(Entry(message.term, e.payload) for e in after.log[prev : prev + count])
        after = replace(after, log=after.log[:prev] + stamped + after.log[prev + count :])
    return after, out


def retried_write_applied_again(state, message):
    """A node that applies a retried write again when it commits a second copy (no session check)."""
    after, out = handle(state, message)
    applied = {(client, seq) for client, seq, _, _ in state.sessions}
    last = {client: seq for client, seq, _, _ in state.sessions}
    machine = after.machine
    for entry in after.log[state.commit_index : after.commit_index]:
        command = entry.payload
        if type(command) is ClientCommand:
            if (command.client, command.seq) in applied or command.seq <= last.get(command.client, 0):
                machine, _ = after.params.state_machine.apply(machine, command.op)
            applied.add((command.client, command.seq))
            last[command.client] = max(last.get(command.client, 0), command.seq)
    return (replace(after, machine=machine) if machine != after.machine else after), out


def session_cache_ignores_the_client(state, message):
    """A leader whose session cache matches a request by seq alone: another client's answer comes back."""
    if type(message) is ClientRequest and state.role is Role.LEADER:
        for client, seq, _, result in state.sessions:
            if seq == message.seq and client != message.src:
                return state, (ClientResponse(state.id, client, seq, Status.OK, result, state.id),)
    return handle(state, message)


def redirect_names_itself(state, message):
    """A follower that redirects clients to itself instead of to the leader it knows."""
    after, out = handle(state, message)
    return after, tuple(
        replace(m, leader_hint=state.id) if type(m) is ClientResponse and m.status == Status.NOT_LEADER else m
        for m in out
    )


def add_server_answers_when_appended(state, message):
    """A leader that answers AddServer as soon as the new configuration is appended, before it commits."""
    after, out = handle(state, message)
    if after.role is Role.LEADER and len(after.pending_changes) > len(state.pending_changes):
        change = after.pending_changes[-1]
        if change.add:
            out = (*out, AddServerResponse(after.id, change.requester, change.server, Status.OK, after.id))
    return after, out


def add_server_of_a_member_accepted(state, message):
    """A leader that starts catching up a server that is already a member (no membership check)."""
    if type(message) is AddServerRequest and state.role is Role.LEADER and message.server in state.config:
        if message.server != state.id and change_refusal(state) is None:
            return replace(state, catchup=CatchUp(message.server, message.src, 1, len(state.log), 0)), ()
    return handle(state, message)


def vote_answered_anonymously(state, message):
    """A node that answers vote requests without naming itself as the sender."""
    after, out = handle(state, message)
    return after, tuple(replace(m, src="") if type(m) is RequestVoteResponse else m for m in out)


def pre_vote_ignores_the_log(state, message):
    """PreVote without the log comparison: a pre-vote granted to a stale log (thesis 9.6 requires the check).
    A real survivor of session 13's hand-made PreVote mutants: the real vote still checks the log, so no state
    invariant sees it."""
    after, out = handle(state, message)
    if (type(message) is RequestVoteRequest and message.pre_vote and message.term > state.current_term
            and state.role is not Role.BOOTSTRAP and not heard_from_leader(state)):
        out = tuple(RequestVoteResponse(state.id, message.src, message.term, True, True)
                    if type(m) is RequestVoteResponse else m for m in out)
    return after, out


def pre_vote_ignores_the_snapshot(state, message):
    """PreVote comparing the candidate's log with the voter's log alone, without its snapshot (mutmut's
    `_answer_pre_vote` 16, a survivor of session 17's sample): a voter whose log is all snapshot grants
    pre-votes to stale logs."""
    after, out = handle(state, message)
    if (type(message) is RequestVoteRequest and message.pre_vote and message.term > state.current_term
            and state.role is not Role.BOOTSTRAP and not heard_from_leader(state)
            and is_up_to_date(message.last_log_term, message.last_log_index, state.log)):
        out = tuple(RequestVoteResponse(state.id, message.src, message.term, True, True)
                    if type(m) is RequestVoteResponse else m for m in out)
    return after, out


def check_quorum_leaves_the_clock_unset(state, message):
    """A CheckQuorum step-down that leaves the election clock unset (mutmut's `check_quorum` 22, a survivor of
    session 17's sample): under `timer = "fire"` clock readings are forgotten, so only a tick-mode spec sees
    the next tick raise."""
    after, out = handle(state, message)
    if state.role is Role.LEADER and after.role is Role.FOLLOWER and after.current_term == state.current_term:
        after = replace(after, election_elapsed=None)
    return after, out


def waiting_clock_unset(state, message):
    """A tick that leaves the clock of a server waiting in Bootstrap mode unset (mutmut's `handle_tick` 46, a
    survivor of session 17's sample): such a server has no timer to fire, so only tick mode runs that code."""
    after, out = handle(state, message)
    if type(message) is Tick and after.role is Role.BOOTSTRAP and after.election_elapsed != state.election_elapsed:
        after = replace(after, election_elapsed=None)
    return after, out


def removal_answered_about_nobody(state, message):
    """A leader whose answer to a committed RemoveServer names no server."""
    after, out = handle(state, message)
    return after, tuple(replace(m, server="") if type(m) is RemoveServerResponse else m for m in out)


def snapshot_keeps_the_machine_of_the_previous_one(state, message):
    """Compaction that stores the state machine as the last snapshot had it, not as applied since."""
    after, out = handle(state, message)
    if after.snapshot is not None and after.snapshot != state.snapshot and state.snapshot is not None \
            and type(message) is not InstallSnapshotRequest:
        after = replace(after, snapshot=replace(after.snapshot, machine=state.snapshot.machine))
    return after, out


def joiner_promoted_by_any_snapshot(state, message):
    """A joining server that leaves Bootstrap mode on the first snapshot it installs, named in it or not."""
    after, out = handle(state, message)
    if after.role is Role.BOOTSTRAP and type(message) is InstallSnapshotRequest and after.snapshot != state.snapshot:
        after = replace(after, role=Role.FOLLOWER)
    return after, out


def leader_reads_past_its_log_on_rejection(state, message):
    """A leader that looks up the entry after a rejecting follower's hint without checking its log's length."""
    after, out = handle(state, message)
    if after.role is Role.LEADER and type(message) is AppendEntriesResponse and not message.success:
        after.log[message.conflict_index + len(after.log)]  # IndexError, as an unchecked index in a real core
    return after, out


def install_keeps_a_conflicting_suffix(state, message):
    """A follower that installs a snapshot and keeps the log entries after it even where its log disagrees with
    the snapshot (thesis 5.1 keeps them only when the entry at the snapshot's index matches)."""
    after, out = handle(state, message)
    if type(message) is InstallSnapshotRequest and after.snapshot != state.snapshot and not after.log:
        index, base = after.snapshot.index, state.snapshot.index if state.snapshot else 0
        after = replace(after, log=state.log[index - base:])
    return after, out


def leader_sets_next_index_to_match_index(state, message):
    """An off-by-one: on a successful append the leader sets the peer's nextIndex to its matchIndex, not one past
    it, so the next request re-sends an entry the peer holds (etcd keeps Match < Next as an invariant)."""
    after, out = handle(state, message)
    if after.role is Role.LEADER and type(message) is AppendEntriesResponse and message.success:
        after = replace(after, progress=tuple(
            replace(p, next_index=p.match_index) if p.peer == message.src and p.match_index else p
            for p in after.progress))
    return after, out


def leader_commits_what_it_appends(state, message):
    """A leader that counts a client's command as committed as soon as it appends it, before any follower
    holds it (an acknowledgement without replication)."""
    after, out = handle(state, message)
    if after.role is Role.LEADER and type(message) is ClientRequest and len(after.log) > len(state.log):
        after = replace(after, commit_index=len(after.log))
    return after, out


def restart_keeps_a_joiner_waiting(state):
    """A restart that puts a server booted in Bootstrap mode back in it, whatever its log says: a joined member
    that never votes again (mutmut's `log.names_member` 3 did this)."""
    after = restart(state)
    return replace(after, role=Role.BOOTSTRAP) if state.bootstrap else after


def seq_reuse_answered_with_the_cached_result(state, message):
    """A leader that refuses a reused seq but answers with the result of the command cached under it (mutmut's
    `handle_client_request` 41, the one safety survivor of session 11's sample)."""
    after, out = handle(state, message)
    cached = {(client, seq): result for client, seq, _, result in state.sessions}
    return after, [replace(m, result=cached.get((m.dst, m.seq))) if type(m) is ClientResponse
                   and m.status is Status.SEQ_REUSED else m for m in out]
