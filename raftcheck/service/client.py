"""The service's client: follows leader hints and retries with the same request id.

It sends the client token from $RAFTCHECK_CLIENT_TOKEN when the cluster needs one.

A write retried after a timeout carries the same (client, seq), so the
cluster applies it once however many times it arrives.
"""

from __future__ import annotations

import asyncio
import os
import uuid

import aiohttp

from raftcheck.core import Status
from raftcheck.service.auth import TOKEN_ENV

RETRY_DELAY = 0.2
_RETRY = {Status.NOT_LEADER, Status.TIMEOUT, Status.CHANGE_IN_PROGRESS, Status.LEADER_NOT_READY}


class ServiceError(Exception):
    """The cluster could not be reached or gave no answer; str() is one line."""


class ServiceClient:
    def __init__(self, session: aiohttp.ClientSession, address: str, attempts: int = 25, max_hops: int = 10,
                 token: str | None = None) -> None:
        token = token if token is not None else os.environ.get(TOKEN_ENV, "").strip()
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._session = session
        self._target = address
        self._attempts = attempts
        self._max_hops = max_hops
        self.client_id = uuid.uuid4().hex
        self._seq = 0
        self._retried = False

    @property
    def last_seq(self) -> int:
        """The request id of the latest command: (client_id, last_seq) names it in the log."""
        return self._seq

    async def set(self, key: str, value: str) -> dict:
        return await self._command(["set", key, value])

    async def get(self, key: str) -> dict:
        return await self._command(["get", key])

    async def add_server(self, server: str) -> dict:
        return await self._change("/admin/add-server", server, Status.ALREADY_MEMBER)

    async def remove_server(self, server: str) -> dict:
        return await self._change("/admin/remove-server", server, Status.NOT_MEMBER)

    async def _change(self, path: str, server: str, done: str) -> dict:
        """A membership change; `done` after a retry means an earlier attempt took effect: that is ok."""
        self._retried = False
        reply = await self.call(path, {"server": server, "client": self.client_id})
        if self._retried and reply.get("status") == done:
            return {**reply, "status": Status.OK}
        return reply

    async def status(self, address: str) -> dict:
        async with self._session.get(f"http://{address}/status") as response:
            return await response.json()

    async def _command(self, op: list[str]) -> dict:
        self._seq += 1
        return await self.call("/client", {"client": self.client_id, "seq": self._seq, "op": op})

    async def call(self, path: str, body: dict) -> dict:
        """POST to the leader, following hints; the same body (and id) on every retry."""
        hops = 0
        last_problem = "no answer"
        for _ in range(self._attempts):
            try:
                async with self._session.post(f"http://{self._target}{path}", json=body,
                                              headers=self._headers) as response:
                    reply = await response.json()
            except (TimeoutError, aiohttp.ClientError, ValueError) as error:
                last_problem = f"{self._target} unreachable ({type(error).__name__})"
                self._retried = True
                await asyncio.sleep(RETRY_DELAY)
                continue
            status = reply.get("status")
            if status not in _RETRY:
                if "error" in reply and status is None:
                    raise ServiceError(f"{self._target} refused the request: {reply['error']}")
                return reply
            leader = reply.get("leader")
            if status == Status.NOT_LEADER and leader and leader != self._target:
                hops += 1
                if hops > self._max_hops:
                    raise ServiceError(f"gave up after {self._max_hops} redirects (last: {self._target})")
                self._target = leader
                continue
            last_problem = f"{self._target} answered {status}" + ("" if leader else " and knows no leader")
            self._retried = True
            await asyncio.sleep(RETRY_DELAY)
        raise ServiceError(f"no result after {self._attempts} attempts: {last_problem}")
