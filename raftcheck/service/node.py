"""One running node: the pure core driven by a real clock, durable storage and the network.

Every input (a Tick from the timer, a peer message, a client or membership
request) goes through `deliver`, one at a time on the event loop: the core
computes the new state and outgoing messages, the durable part is written to
disk, and only then do messages leave. Peer messages are sent without
blocking the loop and send failures are ignored: Raft retries.
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
        before = self.state
        after, outgoing = handle(before, message)
        self._store.save(durable(before), durable(after))
        self.state = after
        if after.role is not before.role:
            self._log(f"{after.id}: {before.role} -> {after.role} at term {after.current_term}")
        elif after.current_term != before.current_term:
            self._log(f"{after.id}: adopts term {after.current_term}")
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
        except asyncio.TimeoutError:
            return None
        finally:
            if self._waiting.get(key) is waiter:
                del self._waiting[key]

    async def _send(self, message: Message) -> None:
        try:
            async with self._session.post(f"http://{message.dst}/raft", data=_encode(message)) as response:
                await response.read()
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
            pass
