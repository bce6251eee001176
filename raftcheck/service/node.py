"""One running node: the pure core driven by a real clock, durable storage and the network.

Every input (a Tick from the timer, a peer message, a client or membership
request) goes through `deliver`. Inputs that arrive in the same turn of the
event loop are handled as one batch (group commit): the core handles each in
order, the durable part of the final state is written to disk in one fsynced
transaction, and only then do the batch's messages leave. Peer messages are
sent without blocking the loop and send failures are ignored: Raft retries.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import aiohttp
import msgspec

from raftcheck.core import (
    AddServerResponse,
    ClientResponse,
    Message,
    NodeParams,
    NodeState,
    RemoveServerResponse,
    Tick,
    durable,
    handle,
    recover,
)
from raftcheck.service.storage import DurableStore

_REPLIES = (ClientResponse, AddServerResponse, RemoveServerResponse)
_encode = msgspec.json.Encoder().encode

PEER_TIMEOUT = aiohttp.ClientTimeout(total=0.5)


def reply_key(message: Message) -> tuple:
    """What a reply answers: (client, seq) for client requests, (requester, server) for changes."""
    if type(message) is ClientResponse:
        return ("client", message.dst, message.seq)
    return ("change", message.dst, message.server)


class NodeService:
    def __init__(
        self,
        node_id: str,
        bootstrap: bool,
        params: NodeParams,
        store: DurableStore,
        tick_seconds: float,
        log: Callable[[str], None] = print,
    ) -> None:
        term, voted_for, entries = store.load()
        self.state: NodeState = recover(node_id, bootstrap, params, term, voted_for, entries)
        self._store = store
        self._tick_seconds = tick_seconds
        self._log = log
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
            outgoing.extend(sent)
            if state.role is not previous.role:
                self._log(f"{state.id}: {previous.role} -> {state.role} at term {state.current_term}")
            elif state.current_term != previous.current_term:
                self._log(f"{state.id}: adopts term {state.current_term}")
        self._store.save(durable(before), durable(state))
        self.state = state
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

    async def _send(self, message: Message) -> None:
        try:
            async with self._session.post(f"http://{message.dst}/raft", data=_encode(message)) as response:
                await response.read()
        except (TimeoutError, aiohttp.ClientError, OSError):
            pass
