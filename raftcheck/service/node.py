"""One running node: the pure core driven by a real clock, durable storage and the network.

Every input (a Tick from the timer, a peer message, a client or membership
request) goes through `deliver`. Inputs that arrive in the same turn of the
event loop are handled as one batch (group commit): the core handles each in
order, the durable part of the final state is written to disk in one fsynced
transaction, and only then do the batch's messages leave. If that write
fails, the node stops at once (fail-stop): it never serves a state it could
not persist. Peer messages are signed, sent without blocking the loop, and
not retried here (Raft retries); a peer that refuses them is logged once.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import aiohttp
import msgspec

from raftcheck.core import (
    AddServerResponse,
    ClientResponse,
    Entry,
    Message,
    NodeParams,
    NodeState,
    RemoveServerResponse,
    Tick,
    durable,
    handle,
    recover,
)
from raftcheck.recording import Recorder
from raftcheck.service.auth import PeerKey
from raftcheck.service.storage import DurableStore, StorageError

_REPLIES = (ClientResponse, AddServerResponse, RemoveServerResponse)
_encode = msgspec.json.Encoder().encode

PEER_TIMEOUT = aiohttp.ClientTimeout(total=0.5)


def reply_key(message: Message) -> tuple:
    """What a reply answers: (client, seq) for client requests, (requester, server) for changes."""
    if type(message) is ClientResponse:
        return ("client", message.dst, message.seq)
    return ("change", message.dst, message.server)


def log_digest(entries: tuple[Entry, ...]) -> str:
    """A digest of log entries, so two nodes can tell whether one log is a prefix of the other."""
    return hashlib.sha256(_encode(entries)).hexdigest()


def _stop_now(line: str) -> NoReturn:
    print(line, file=sys.stderr, flush=True)
    os._exit(1)


@dataclass
class Faults:
    """Links a test has cut (`--fault-injection` only): peers whose messages are dropped, each way."""

    enabled: bool = False
    drop_from: set[str] = field(default_factory=set)
    drop_to: set[str] = field(default_factory=set)


class NodeService:
    def __init__(
        self,
        node_id: str,
        bootstrap: bool,
        params: NodeParams,
        store: DurableStore,
        tick_seconds: float,
        key: PeerKey,
        client_token: bytes | None = None,
        log: Callable[[str], None] = print,
        fatal: Callable[[str], NoReturn] = _stop_now,
        faults: Faults | None = None,
        record: Path | None = None,
    ) -> None:
        term, voted_for, entries, snapshot = store.load()
        try:
            self.state: NodeState = recover(node_id, bootstrap, params, term, voted_for, entries, snapshot)
        except ValueError as error:
            raise StorageError(f"corrupt Raft state: {error}; refusing to start") from None
        self.key = key
        self.client_token = client_token
        self._store = store
        self._tick_seconds = tick_seconds
        self._log = log
        self._fatal = fatal
        self._logged: set[tuple] = set()
        self.faults = faults or Faults()
        self._recorder = Recorder(record, self.state, time.time()) if record is not None else None
        self._waiting: dict[tuple, asyncio.Future] = {}
        self._session: aiohttp.ClientSession | None = None
        self._sending: set[asyncio.Task] = set()
        self._inbox: list[Message] = []

    async def run(self) -> None:
        """Tick forever; cancel to stop."""
        self._session = aiohttp.ClientSession(timeout=PEER_TIMEOUT)
        self._log(f"{self.state.id}: {self.state.role} at term {self.state.current_term}, log of {len(self.state.log)}")
        try:
            while True:
                await asyncio.sleep(self._tick_seconds)
                self.deliver(Tick())
        finally:
            await self._session.close()

    def deliver(self, message: Message) -> None:
        """Queue an input; the batch is handled at the end of this turn of the event loop."""
        self._inbox.append(message)
        if len(self._inbox) == 1:
            asyncio.get_running_loop().call_soon(self._handle_batch)

    def _handle_batch(self) -> None:
        batch, self._inbox = self._inbox, []
        before = state = self.state
        outgoing: list[Message] = []
        for message in batch:
            previous = state
            state, sent = handle(state, message)
            if self._recorder is not None:
                self._recorder.step(time.time(), message, sent)
            outgoing.extend(sent)
            if state.role is not previous.role:
                self._log(f"{state.id}: {previous.role} -> {state.role} at term {state.current_term}")
            elif state.current_term != previous.current_term:
                self._log(f"{state.id}: adopts term {state.current_term}")
        try:
            self._store.save(durable(before), durable(state))
        except StorageError as error:
            self._fatal(f"{state.id}: stopping: {error}")
        self.state = state
        if self._recorder is not None:
            self._recorder.flush()
        for sent in outgoing:
            if type(sent) in _REPLIES:
                waiter = self._waiting.pop(reply_key(sent), None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(sent)
            elif self._session is not None:
                task = asyncio.get_running_loop().create_task(self._send(sent))
                self._sending.add(task)
                task.add_done_callback(self._sending.discard)

    async def ask(self, request: Message, key: tuple, timeout: float) -> Message | None:
        """Deliver a client or membership request; wait for its reply, or None on timeout."""
        waiter = asyncio.get_running_loop().create_future()
        self._waiting[key] = waiter
        self.deliver(request)
        try:
            return await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            return None
        finally:
            if self._waiting.get(key) is waiter:
                del self._waiting[key]

    def log_once(self, key: tuple, line: str) -> None:
        """Log a line the first time `key` is seen: a misbehaving peer must not flood the log."""
        if key not in self._logged:
            self._logged.add(key)
            self._log(line)

    def join_info(self) -> dict:
        """What a leader asks before adding this node: its role, its log's length (counting a snapshot) and digest."""
        state = self.state
        length = len(state.log) + (state.snapshot.index if state.snapshot is not None else 0)
        return {"role": state.role.value, "log_length": length, "log_digest": log_digest(state.log)}

    async def joiner_problem(self, server: str) -> str | None:
        """Why `server` must not be added (None if it may): it must be waiting to join, its log a prefix of ours."""
        body = b"{}"
        try:
            async with self._session.post(f"http://{server}/raft/join-info", data=body,
                                          headers=self.key.sign(self.state.id, body)) as response:
                answer = await response.read()
                if response.status != 200:
                    return f"it answered {response.status} to a signed request (another cluster or secret?)"
                sender, refusal = self.key.check(response.headers, answer)
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            return f"it cannot be reached ({str(error) or type(error).__name__})"
        if refusal is not None or sender != server:
            return f"its answer is not signed by {server} with this cluster's secret"
        info = msgspec.json.decode(answer)
        if info.get("role") != "bootstrap":
            return f"it is a {info.get('role')}, not a server started with --bootstrap that waits to join"
        length = info.get("log_length")
        base = self.state.snapshot.index if self.state.snapshot is not None else 0
        if length == 0:
            return None
        if not isinstance(length, int) or length > base + len(self.state.log):
            return "its log holds entries that are not this cluster's"
        if base:
            return "its log is not empty and this cluster has compacted its own: start it with an empty --data-dir"
        if info.get("log_digest") != log_digest(self.state.log[:length]):
            return "its log holds entries that are not this cluster's"
        return None

    async def _send(self, message: Message) -> None:
        if message.dst in self.faults.drop_to:
            return
        body = _encode(message)
        try:
            async with self._session.post(f"http://{message.dst}/raft", data=body,
                                          headers=self.key.sign(self.state.id, body)) as response:
                await response.read()
                if response.status != 204:
                    self.log_once(("peer refused", message.dst, response.status),
                                  f"{self.state.id}: {message.dst} refused a {type(message).__name__}: "
                                  f"HTTP {response.status}")
        except (TimeoutError, aiohttp.ClientError, OSError):
            pass
