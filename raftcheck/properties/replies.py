"""What a node sends must be addressed, and what it tells its clients must be true.

The cluster model drops replies (no node reads them), so without these checks
a core could answer a write it never committed, answer the wrong client, or
swallow a request, and no state invariant would notice. Each check reads one
step of one node: its state before, the message it handled, its state after
and everything it sent. The answers a client should get are computed from
the node's committed log alone, by `replay_committed`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from msgspec.structs import replace

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
    NodeState,
    RemoveServerRequest,
    RemoveServerResponse,
    RequestVoteRequest,
    RequestVoteResponse,
    Role,
    Snapshot,
    Status,
    TimeoutNow,
)
from raftcheck.core.log import last_index, latest_config, removed_at, snapshot_index, term_at
from raftcheck.core.snapshots import compact_if_due
from raftcheck.properties.prefixes import RecentPrefixes

PEER_MESSAGES = (AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, RequestVoteRequest,
                 RequestVoteResponse, TimeoutNow)
REPLIES = (ClientResponse, AddServerResponse, RemoveServerResponse)


class Applied(NamedTuple):
    """One committed command and the answer its client is owed: (status, result)."""

    index: int
    command: ClientCommand
    status: str
    result: str | None


class Replay(NamedTuple):
    machine: Any
    sessions: tuple[tuple[str, int, tuple[str, ...], str | None], ...]
    applied: tuple[Applied, ...]


def replay_committed(node: NodeState, upto: int | None = None) -> Replay:
    """Apply the committed prefix (or the first `upto` entries) as the thesis's sessions say (§6.3).

    Each client's latest (seq, op, result) is kept; a command whose seq is below
    its client's latest is stale and answered without a result, the same seq
    and op again is a retry answered from the session, the same seq with
    another op is refused as reused. Only a new seq changes the machine.
    A node with a snapshot replays from it: what the snapshot claims is
    checked where it is taken, by `snapshots_are_faithful`.
    """
    kind, snapshot = node.params.state_machine, node.snapshot
    base = snapshot_index(snapshot)
    entries = node.log[: (node.commit_index if upto is None else upto) - base]
    replay, done = _RECENT.resume((kind, snapshot), entries)
    if replay is None:
        machine = kind.initial() if snapshot is None else kind.restore(snapshot.machine)
        sessions = () if snapshot is None else snapshot.sessions
        replay = Replay(machine, sessions, ())
    if done < len(entries):
        replay = _apply_entries(kind, replay, entries[done:], base + done + 1)
        _RECENT.keep((kind, snapshot), entries, replay)
    return replay


def _apply_entries(kind: Any, replay: Replay, entries: tuple[Entry, ...], first_index: int) -> Replay:
    machine = replay.machine
    latest = {client: (seq, op, result) for client, seq, op, result in replay.sessions}
    applied = []
    for index, entry in enumerate(entries, first_index):
        command = entry.payload
        if type(command) is not ClientCommand:
            continue
        last = latest.get(command.client)
        if last is not None and command.seq < last[0]:
            status, result = Status.OK, None
        elif last is not None and command.seq == last[0]:
            status, result = (Status.OK, last[2]) if command.op == last[1] else (Status.SEQ_REUSED, None)
        else:
            machine, result = kind.apply(machine, command.op)
            latest[command.client] = (command.seq, command.op, result)
            status = Status.OK
        applied.append(Applied(index, command, status, result))
    sessions = tuple(sorted((client, *last) for client, last in latest.items()))
    return Replay(machine, sessions, replay.applied + tuple(applied))


_RECENT: RecentPrefixes[Replay] = RecentPrefixes()


def messages_are_addressed(before: NodeState, message: Any, after: NodeState, sent: Sequence[Any]) -> str | None:
    """Every message a node sends names it as the sender and goes to someone else.

    A message to nobody vanishes in any network, so a core that sends one
    loses it silently; one that names another sender is a forgery.
    """
    for out in sent:
        source, destination = getattr(out, "src", None), getattr(out, "dst", None)
        if source != after.id or not isinstance(destination, str) or destination == after.id:
            return f"{after.id} sent {out!r}"
    return None


def client_replies_are_truthful(before: NodeState, message: Any, after: NodeState, sent: Sequence[Any]) -> str | None:
    """A client gets exactly the answers its request and the committed log call for, and nothing else.

    A non-leader redirects to the leader it knows; a leader answers a request
    its sessions already hold from the session, and otherwise appends it; a
    leader answers each command it commits, once, with the result of applying
    its committed log.
    """
    replies = [m for m in sent if not isinstance(m, PEER_MESSAGES)]
    for reply in replies:
        if not isinstance(reply, REPLIES) or reply.src != after.id:
            return f"{after.id} sent {reply!r} to a client"
    expected = _expected_client_replies(before, message, after)
    if isinstance(expected, str):
        return expected
    got = [r for r in replies if type(r) is ClientResponse]
    if sorted(got, key=repr) != sorted(expected, key=repr):
        missing = [r for r in expected if r not in got]
        extra = [r for r in got if r not in expected]
        what = f"answered {_brief(extra[0])}" if extra else f"did not answer {_brief(missing[0])}"
        return f"{after.id} {what} on {type(message).__name__}"
    return None


def membership_replies_are_truthful(
    before: NodeState, message: Any, after: NodeState, sent: Sequence[Any]
) -> str | None:
    """An AddServer/RemoveServer answer goes to who asked, about what they asked, and its status is true.

    "ok" means the change is committed; a refusal's reason holds in the
    leader's state; a request that is neither refused nor started is lost.
    """
    replies = [m for m in sent if type(m) in (AddServerResponse, RemoveServerResponse)]
    for reply in replies:
        problem = _membership_reply_problem(before, message, after, reply)
        if problem:
            return f"{after.id} answered {_brief(reply)}: {problem}"
    if type(message) in (AddServerRequest, RemoveServerRequest) and not replies:
        started = after.catchup is not None and after.catchup != before.catchup
        appended = len(after.pending_changes) > len(before.pending_changes)
        if not (started or appended):
            return f"{after.id} neither answered nor started {type(message).__name__} for {message.server}"
        if (message.server in before.config) == (type(message) is AddServerRequest):
            return f"{after.id} started {type(message).__name__} for {message.server}, whose membership makes it moot"
        requester = after.catchup.requester if started else after.pending_changes[-1].requester
        if requester != message.src:
            return f"{after.id} took {type(message).__name__} from {message.src} as if {requester} asked"
    return None


def votes_go_to_up_to_date_logs(before: NodeState, message: Any, after: NodeState, sent: Sequence[Any]) -> str | None:
    """A vote or pre-vote is granted only to a candidate whose log is at least as up to date as the voter's
    (paper 5.4.1, thesis 9.6): compared here, where the answer is made, not only through what a stale
    leader later breaks, which may lie beyond the bounds (a stale pre-candidate's wasted election breaks nothing)."""
    if type(message) is not RequestVoteRequest:
        return None
    voter_index = len(before.log) + snapshot_index(before.snapshot)
    voter_term = before.log[-1].term if before.log else (before.snapshot.term if before.snapshot is not None else 0)
    stale = (message.last_log_term, message.last_log_index) < (voter_term, voter_index)
    for answer in sent:
        if stale and type(answer) is RequestVoteResponse and answer.vote_granted:
            kind = "pre-vote" if answer.pre_vote else "vote"
            return (f"{after.id} granted a {kind} to {message.src}, whose log ends at term {message.last_log_term}"
                    f" index {message.last_log_index}, behind its own (term {voter_term}, index {voter_index})")
    return None


def leader_append_only(before: NodeState, message: Any, after: NodeState, sent: Sequence[Any]) -> str | None:
    """Leader Append-Only: a leader never overwrites or deletes entries in its log; it only appends.

    Judged on the step through the core, once per distinct step: only such a step keeps a node leading in
    one term (a restart makes it a follower). Indexes are absolute, across both snapshots: an entry the step
    compacted away is judged by SnapshotsAreFaithful, and here only through the new snapshot's term.
    """
    if before.role is not Role.LEADER or after.role is not Role.LEADER or before.current_term != after.current_term:
        return None
    old_base, new_base = snapshot_index(before.snapshot), snapshot_index(after.snapshot)
    old_last = old_base + len(before.log)
    kept = new_base + len(after.log) >= old_last and all(
        after.log[index - new_base - 1] == before.log[index - old_base - 1]
        for index in range(max(old_base, new_base) + 1, old_last + 1))
    if kept and old_base < new_base <= old_last:
        kept = after.snapshot.term == term_at(before.log, new_base, before.snapshot)
    if kept:
        return None
    return f"{after.id}, leader of term {after.current_term}, rewrote its log from {old_last} entries"


def snapshots_are_faithful(before: NodeState, message: Any, after: NodeState, sent: Sequence[Any]) -> str | None:
    """A snapshot a node takes says what its log says: entries up to its index are committed, and its term,
    configuration, state machine and sessions are those of that prefix. An installed one is the sender's."""
    snapshot = after.snapshot
    if snapshot is None or snapshot is before.snapshot or snapshot == before.snapshot:
        return None
    if type(message) is InstallSnapshotRequest and snapshot == message.snapshot:
        return None
    if snapshot.index > after.commit_index:
        return f"{after.id} took a snapshot up to {snapshot.index}, beyond its commit index {after.commit_index}"
    prefix = replace(before, log=_log_through_step(before, after), commit_index=snapshot.index)
    if last_index(prefix.log, before.snapshot) < snapshot.index:
        return f"{after.id} took a snapshot up to {snapshot.index} of entries it never held"
    machine, sessions, _ = replay_committed(prefix)
    base = snapshot_index(before.snapshot)
    config, config_index = latest_config(prefix.log[: snapshot.index - base], after.id, after.bootstrap, before.snapshot)
    truth = Snapshot(snapshot.index, term_at(prefix.log, snapshot.index, before.snapshot), config, config_index,
                     after.params.state_machine.dump(machine), sessions,
                     removed_at(prefix.log, config_index, after.id, before.snapshot))
    if snapshot != truth:
        return f"{after.id}'s snapshot up to {snapshot.index} is {snapshot!r}, its log says {truth!r}"
    return None


def _log_through_step(before: NodeState, after: NodeState) -> tuple[Entry, ...]:
    """Every entry the node held in one step, after `before`'s snapshot: `before`'s log, overlaid with
    `after`'s. A node compacts before it handles an input, so what it compacted in the step is in `before`,
    and what it appended is in `after`."""
    base = snapshot_index(before.snapshot)
    entries = list(before.log)
    for index, entry in enumerate(after.log, snapshot_index(after.snapshot) + 1):
        position = index - base - 1
        if position == len(entries):
            entries.append(entry)
        elif 0 <= position < len(entries):
            entries[position] = entry
    return tuple(entries)


def _expected_client_replies(before: NodeState, message: Any, after: NodeState) -> list[ClientResponse] | str:
    expected = []
    if type(message) is ClientRequest:
        if before.role is not Role.LEADER:
            expected.append(ClientResponse(before.id, message.src, message.seq, Status.NOT_LEADER, None, before.leader_id))
        else:
            cached = _session_answer(before, message)
            if cached is not None:
                expected.append(cached)
            elif not _appended(before, after, ClientCommand(message.src, message.seq, message.op)):
                return f"{after.id}, leader of term {before.current_term}, neither appended nor answered {_brief(message)}"
    led = after.role is Role.LEADER or (before.role is Role.LEADER and after.current_term == before.current_term)
    if led and after.commit_index > before.commit_index:
        # From `before`'s log: `after` may have compacted what it just committed.
        grown = replace(before, log=_log_through_step(before, after), commit_index=after.commit_index)
        for applied in replay_committed(grown).applied:
            if applied.index > before.commit_index:
                command = applied.command
                expected.append(ClientResponse(after.id, command.client, command.seq, applied.status, applied.result,
                                               after.id))
    return expected


def _session_answer(leader: NodeState, request: ClientRequest) -> ClientResponse | None:
    """The answer a leader's sessions give a request they already hold, or None (it must be appended)."""
    for client, seq, op, result in replay_committed(leader).sessions:
        if client == request.src and seq == request.seq:
            if op == request.op:
                return ClientResponse(leader.id, client, seq, Status.OK, result, leader.id)
            return ClientResponse(leader.id, client, seq, Status.SEQ_REUSED, None, leader.id)
    return None


def _appended(before: NodeState, after: NodeState, command: ClientCommand) -> bool:
    """`after` holds `before`'s log (what is left of it after compaction) and a new entry with `command`."""
    old_end, new_end = last_index(before.log, before.snapshot), last_index(after.log, after.snapshot)
    kept = old_end - snapshot_index(after.snapshot)
    if new_end <= old_end or kept < 0:
        return False
    return after.log[:kept] == before.log[len(before.log) - kept :] and Entry(before.current_term, command) in after.log[kept:]


def _membership_reply_problem(before: NodeState, message: Any, after: NodeState, reply: Any) -> str | None:
    add = type(reply) is AddServerResponse
    if reply.status == Status.OK:
        configs = _committed_configs(before, after.commit_index) + _committed_configs(after, after.commit_index)
        if (reply.server in configs[-1]) != add or all((reply.server in c) == add for c in configs):
            return f"no committed configuration change {'adds' if add else 'removes'} {reply.server}"
        return None
    if reply.status == Status.TIMEOUT:
        catchup = before.catchup
        if not add or catchup is None or after.catchup is not None:
            return "no catch-up of that server ended"
        if (catchup.server, catchup.requester) != (reply.server, reply.dst):
            return f"the catch-up that ended was of {catchup.server} for {catchup.requester}"
        return None
    if type(message) not in (AddServerRequest, RemoveServerRequest) or add != (type(message) is AddServerRequest):
        return "a refusal with no request to refuse"
    if (reply.dst, reply.server) != (message.src, message.server):
        return f"the request was from {message.src} about {message.server}"
    reason = _refusal_reason_false(before, message, reply)
    if reason:
        return reason
    if after != compact_if_due(before):  # a node compacts before it handles any input, refused or not
        return "the request was refused, yet the leader's state changed"
    return None


def _refusal_reason_false(leader: NodeState, request: Any, reply: Any) -> str | None:
    status = reply.status
    member = request.server in leader.config
    if status == Status.NOT_LEADER:
        if leader.role is Role.LEADER or reply.leader_hint != leader.leader_id:
            return f"{leader.id} is {leader.role.value} and knows leader {leader.leader_id}"
        return None
    if leader.role is not Role.LEADER:
        return f"{leader.id} is not the leader"
    truths = {
        Status.ALREADY_MEMBER: member,
        Status.NOT_MEMBER: not member,
        Status.LAST_SERVER: leader.config == (request.server,),
        Status.CHANGE_IN_PROGRESS: leader.catchup is not None or leader.config_index > leader.commit_index,
        Status.LEADER_NOT_READY: term_at(leader.log, leader.commit_index, leader.snapshot) != leader.current_term,
    }
    if not truths.get(status, False):
        return f"{status} is not true of {leader.id}"
    return None


def _committed_configs(node: NodeState, commit_index: int) -> list[tuple[str, ...]]:
    """The configurations in `node`'s log up to `commit_index`, in log order, after the empty one a Bootstrap
    node starts from and the snapshot's. The last is the newest; compaction has forgotten older ones."""
    snapshot = node.snapshot
    start = [(), snapshot.config] if snapshot is not None else [()]
    entries = node.log[: commit_index - snapshot_index(snapshot)]
    return [*start, *(e.payload.servers for e in entries if type(e.payload) is ConfigChange)]


def _brief(message: Any) -> str:
    if type(message) in (ClientRequest, ClientResponse):
        detail = message.status if type(message) is ClientResponse else " ".join(message.op)
        return f"{type(message).__name__}({message.dst if type(message) is ClientResponse else message.src} #{message.seq} {detail})"
    if type(message) in REPLIES:
        return f"{type(message).__name__}({message.dst}, {message.server}, {message.status})"
    return repr(message)
