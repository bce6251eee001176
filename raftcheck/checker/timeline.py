"""Counterexamples as readable timelines: one row per step, one column per node."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from raftcheck.core import (
    AddServerRequest,
    AppendEntriesRequest,
    AppendEntriesResponse,
    ClientRequest,
    InstallSnapshotRequest,
    Message,
    NodeState,
    RemoveServerRequest,
    RequestVoteRequest,
    RequestVoteResponse,
    Tick,
    TimeoutNow,
)
from raftcheck.model.actions import (
    Action,
    AddServer,
    ClientRead,
    ClientRetry,
    ClientReuse,
    ClientWrite,
    CutLink,
    Deliver,
    Drop,
    Duplicate,
    FireTimer,
    HealLink,
    RemoveServer,
    Restart,
    Stop,
    TickOnce,
)
from raftcheck.model.cluster import ClusterView
from raftcheck.properties.invariants import short_entry
from raftcheck.checker.run_trace import RunReplay
from raftcheck.checker.trace import Replay

_ROLE = {"follower": "F", "candidate": "C", "leader": "L", "bootstrap": "B"}


def short_message(message: Message) -> str:
    route = f"{message.src}->{message.dst} t{message.term}"
    if type(message) is AppendEntriesRequest:
        entries = ", ".join(short_entry(e) for e in message.entries)
        return (
            f"AppendEntries {route} prev={message.prev_log_index}/{message.prev_log_term} "
            f"[{entries}] commit={message.leader_commit}"
        )
    if type(message) is AppendEntriesResponse:
        if message.success:
            return f"AppendEntries ok {route} match={message.match_index}"
        return f"AppendEntries rejected {route} retry-from={message.conflict_index}"
    if type(message) is RequestVoteRequest:
        kind = "PreVote" if message.pre_vote else "RequestVote"
        return f"{kind} {route} last={message.last_log_index}/{message.last_log_term}"
    if type(message) is TimeoutNow:
        return f"TimeoutNow {route}"
    if type(message) is InstallSnapshotRequest:
        snapshot = message.snapshot
        return f"InstallSnapshot {route} upto={snapshot.index}/{snapshot.term} config{{{','.join(snapshot.config)}}}"
    if type(message) is RequestVoteResponse:
        kind = "Pre-vote" if message.pre_vote else "Vote"
        return f"{kind} {'granted' if message.vote_granted else 'denied'} {route}"
    return repr(message)


def short_action(action: Action) -> str:
    match action:
        case FireTimer(node):
            return f"{node}: timer fires"
        case TickOnce(node):
            return f"{node}: tick"
        case Deliver(message):
            return f"deliver {short_message(message)}"
        case Drop(message):
            return f"drop {short_message(message)}"
        case Duplicate(message):
            return f"duplicate {short_message(message)}"
        case Restart(node):
            return f"{node}: crash and restart"
        case Stop(node):
            return f"{node} stops for good"
        case CutLink(node, peer):
            return f"link {node}-{peer} fails"
        case HealLink(node, peer):
            return f"link {node}-{peer} heals"
        case ClientWrite(node, seq):
            return f"{node}: client writes x=v{seq}"
        case ClientRead(node, seq):
            return f"{node}: client reads x (read {seq})"
        case ClientRetry(node, seq):
            return f"{node}: client retries x=v{seq}"
        case ClientReuse(node, seq):
            return f"{node}: client reuses seq {seq} for x=w{seq}"
        case AddServer(node, server):
            return f"{node}: AddServer {server}"
        case RemoveServer(node, server):
            return f"{node}: RemoveServer {server}"
    return repr(action)


def short_node(node: NodeState) -> str:
    """Role, term, commit index and log, e.g. `L t2 c1 [config{n1,n2}/0 noop/2]`."""
    log = " ".join(short_entry(e).replace("@t", "/") for e in node.log)
    vote = f" v:{node.voted_for}" if node.voted_for else ""
    return f"{_ROLE[node.role.value]} t{node.current_term}{vote} c{node.commit_index} [{log}]"


def timeline_table(replayed: Replay) -> Table:
    """The replayed counterexample: the initial state, then each step and the state after it."""
    views: list[ClusterView] = replayed.views
    table = Table(show_lines=False, box=None, pad_edge=False, header_style="bold")
    table.add_column("#", justify="right")
    table.add_column("step")
    for name in views[0].names:
        table.add_column(name)
    table.add_row("0", "initial state", *(Text(short_node(n)) for n in views[0].nodes))
    marks = lasso_marks(replayed)
    for number, (action, view) in enumerate(zip(replayed.actions, views[1:]), 1):
        if number - 1 in marks:
            table.add_row("", Text(marks[number - 1], style="bold"))
        before = views[number - 1]
        cells = [Text(short_node(n) if n is not b else "") for n, b in zip(view.nodes, before.nodes)]
        table.add_row(str(number), Text(short_action(action)), *cells)
    if len(replayed.actions) in marks:
        table.add_row("", Text(marks[len(replayed.actions)], style="bold"))
    return table


def lasso_marks(replayed: Replay) -> dict[int, str]:
    """For a liveness counterexample: the lines to show after step N (where faults stop and, in a lasso, where the
    loop starts and ends)."""
    if replayed.stable_from is None:
        return {}
    marks = {replayed.stable_from: "-- no fault from here on --"}
    if replayed.loop_start is None:
        return marks
    start, end = replayed.loop_start, len(replayed.actions)
    marks[start] = (marks.get(start, "") + " -- loop: the steps below repeat for ever --").strip()
    if end > start:
        marks[end] = f"-- back to the state after step {start}, up to terms and log indexes --"
    else:
        marks[end] = (marks[end] + " (nothing happens: the cluster is stuck)").strip()
    return marks


def timeline_lines(replayed: Replay) -> list[str]:
    """The same timeline for a narrow terminal: each step, then each node it changed on a line of its own."""
    views: list[ClusterView] = replayed.views
    lines = ["0  initial state"] + [f"     {n.id}: {short_node(n)}" for n in views[0].nodes]
    marks = lasso_marks(replayed)
    for number, (action, view) in enumerate(zip(replayed.actions, views[1:]), 1):
        if number - 1 in marks:
            lines.append(marks[number - 1])
        before = views[number - 1]
        lines.append(f"{number}  {short_action(action)}")
        lines += [f"     {n.id}: {short_node(n)}" for n, b in zip(view.nodes, before.nodes) if n is not b]
    if len(replayed.actions) in marks:
        lines.append(marks[len(replayed.actions)])
    return lines


def short_input(message: Message | None) -> str:
    """What a live node took in: a start (None), ticks, a peer's message or a client's request."""
    if message is None:
        return "starts from its durable state"
    if type(message) is Tick:
        return f"tick x{message.ticks}"
    if type(message) is ClientRequest:
        return f"client {message.src} request {message.seq}: {' '.join(message.op)}"
    if type(message) in (AddServerRequest, RemoveServerRequest):
        return f"{type(message).__name__.removesuffix('Request')} {message.server} (from {message.src})"
    return f"receives {short_message(message)}"


def run_timeline_lines(replayed: RunReplay, shown: int = 60) -> list[str]:
    """A replayed live run: each step that changed what an invariant reads, the last `shown` of them."""
    changes = replayed.changes
    lines = [f"... {len(changes) - shown:,} earlier state changes (the trace holds them all)"] if len(changes) > shown \
        else []
    for event in changes[-shown:]:
        lines.append(f"{event.source}#{event.number}  {event.state.id}: {short_input(event.input)}")
        lines.append(f"     {short_node(event.state)}")
    return lines
