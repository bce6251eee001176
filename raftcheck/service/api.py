"""The node's HTTP API (aiohttp): peer messages, client commands, membership, status.

Bodies are JSON, decoded by msgspec against the schemas below (unknown fields
rejected). Bad input gets a 4xx with a one-line `error` and the node keeps
running. Peer routes need a valid signature (see `auth`); client and admin
routes need the client token when the cluster has one; `/status` is open.
"""

from __future__ import annotations

import msgspec
from aiohttp import web

from raftcheck.core import (
    AddServerRequest,
    ClientCommand,
    ClientRequest,
    Entry,
    Message,
    RemoveServerRequest,
    Status,
)
from raftcheck.core.state import LEADER
from raftcheck.service.address import node_id
from raftcheck.service.auth import token_matches
from raftcheck.service.node import NodeService

MAX_BODY_BYTES = 1 << 20
# A peer message may carry a snapshot of the whole state machine (base64 in JSON), so peers get more room.
MAX_PEER_BODY_BYTES = 64 << 20
REQUEST_TIMEOUT = 2.0

_decode_message = msgspec.json.Decoder(Message).decode


class ClientCommandBody(msgspec.Struct, forbid_unknown_fields=True):
    client: str
    seq: int
    op: tuple[str, ...]


class MembershipBody(msgspec.Struct, forbid_unknown_fields=True):
    server: str
    client: str = "admin"


class PartitionBody(msgspec.Struct, forbid_unknown_fields=True):
    """Peers this node stops hearing from and stops sending to (empty lists heal)."""

    drop_from: tuple[str, ...] = ()
    drop_to: tuple[str, ...] = ()


def build_app(node: NodeService) -> web.Application:
    app = web.Application(client_max_size=MAX_PEER_BODY_BYTES, middlewares=[_errors_as_json])
    routes = web.RouteTableDef()

    async def from_peer(request: web.Request) -> tuple[str, bytes]:
        """The sender and body of a genuine peer request; anything else is refused (and logged once)."""
        body = await request.read()
        sender, refusal = node.key.check(request.headers, body)
        if refusal is not None:
            node.log_once(("refused", refusal.reason, request.remote),
                          f"{node.state.id}: refused from {request.remote}: {refusal.reason}")
            raise _error(refusal.status, refusal.reason)
        return sender, body

    @routes.post("/raft")
    async def raft(request: web.Request) -> web.Response:
        sender, body = await from_peer(request)
        if sender in node.faults.drop_from:
            return web.Response(status=204)  # a partition: the message is lost
        message = _decode(body, _decode_message)
        if getattr(message, "dst", None) != node.state.id:
            raise _bad(f"message for {getattr(message, 'dst', None)!r} sent to {node.state.id!r}")
        if getattr(message, "src", None) != sender:
            raise _error(403, f"{sender} signed a message from {getattr(message, 'src', None)!r}")
        node.deliver(message)
        return web.Response(status=204)

    @routes.post("/raft/join-info")
    async def join_info(request: web.Request) -> web.Response:
        """What a leader checks before adding this node: it must be waiting to join, with no foreign entries."""
        await from_peer(request)
        body = msgspec.json.encode(node.join_info())
        return web.Response(body=body, content_type="application/json", headers=node.key.sign(node.state.id, body))

    def client_allowed(request: web.Request) -> None:
        if not token_matches(node.client_token, request.headers.get("Authorization", "")):
            raise _error(401, "this cluster needs a client token (Authorization: Bearer TOKEN)")

    @routes.post("/client")
    async def client(request: web.Request) -> web.Response:
        client_allowed(request)
        body = _decode(await _client_body(request), msgspec.json.Decoder(ClientCommandBody).decode)
        if body.seq < 1 or not _valid_op(body.op):
            raise _bad('expected seq >= 1 and op ["set", key, value] or ["get", key]')
        message = ClientRequest(body.client, node.state.id, body.seq, body.op)
        size = len(msgspec.json.encode(Entry(node.state.current_term, ClientCommand(body.client, body.seq, body.op))))
        if 0 < node.state.params.max_append_bytes < size:
            raise _error(413, f"the command takes {size} bytes in the log; the limit is "
                              f"{node.state.params.max_append_bytes} (--max-append-bytes)")
        reply = await node.ask(message, ("client", body.client, body.seq), REQUEST_TIMEOUT)
        return _reply(reply)

    @routes.post("/admin/add-server")
    async def add_server(request: web.Request) -> web.Response:
        client_allowed(request)
        body = _decode(await _client_body(request), msgspec.json.Decoder(MembershipBody).decode)
        _check_address(body.server)
        if node.state.role is LEADER and body.server not in node.state.config:
            problem = await node.joiner_problem(body.server)
            if problem is not None:
                raise _error(409, f"refusing to add {body.server}: {problem}")
        message = AddServerRequest(body.client, node.state.id, body.server)
        return _reply(await node.ask(message, ("change", body.client, body.server), 5 * REQUEST_TIMEOUT))

    @routes.post("/admin/remove-server")
    async def remove_server(request: web.Request) -> web.Response:
        client_allowed(request)
        body = _decode(await _client_body(request), msgspec.json.Decoder(MembershipBody).decode)
        _check_address(body.server)
        message = RemoveServerRequest(body.client, node.state.id, body.server)
        return _reply(await node.ask(message, ("change", body.client, body.server), 5 * REQUEST_TIMEOUT))

    @routes.get("/status")
    async def status(request: web.Request) -> web.Response:
        s = node.state
        return web.json_response(
            {
                "id": s.id,
                "role": s.role.value,
                "term": s.current_term,
                "leader": s.leader_id,
                "commit_index": s.commit_index,
                "last_log_index": len(s.log) + (s.snapshot.index if s.snapshot is not None else 0),
                "snapshot_index": s.snapshot.index if s.snapshot is not None else 0,
                "configuration": list(s.config),
            }
        )

    if node.faults.enabled:
        @routes.post("/test/partition")
        async def partition(request: web.Request) -> web.Response:
            """Test-only (`--fault-injection`): cut links to and from peers, in either direction."""
            client_allowed(request)
            body = _decode(await _client_body(request), msgspec.json.Decoder(PartitionBody).decode)
            node.faults.drop_from, node.faults.drop_to = set(body.drop_from), set(body.drop_to)
            return web.json_response({"drop_from": sorted(body.drop_from), "drop_to": sorted(body.drop_to)})

    app.add_routes(routes)
    return app


def _valid_op(op: tuple[str, ...]) -> bool:
    return (len(op) == 3 and op[0] == "set") or (len(op) == 2 and op[0] == "get")


def _check_address(server: str) -> None:
    try:
        if node_id(server) != server:
            raise ValueError(f"{server!r} is not in the form HOST:PORT the cluster uses ({node_id(server)})")
    except ValueError as error:
        raise _bad(str(error)) from None


def _decode(body: bytes, decode):
    try:
        return decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError) as error:
        raise _bad(f"invalid body: {error}") from None


async def _client_body(request: web.Request) -> bytes:
    """A client's or an operator's body, at most MAX_BODY_BYTES (peers may send more: see MAX_PEER_BODY_BYTES)."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise _error(413, f"the body has {request.content_length} bytes; the limit is {MAX_BODY_BYTES}")
    body = b""
    while len(body) <= MAX_BODY_BYTES and (chunk := await request.content.read(MAX_BODY_BYTES + 1 - len(body))):
        body += chunk
    if len(body) > MAX_BODY_BYTES:
        raise _error(413, f"the body is over the limit of {MAX_BODY_BYTES} bytes")
    return body


def _bad(message: str) -> web.HTTPException:
    return _error(400, message)


def _error(status: int, message: str) -> web.HTTPException:
    body = {"text": msgspec.json.encode({"error": message}).decode(), "content_type": "application/json"}
    if status == 413:
        return web.HTTPRequestEntityTooLarge(MAX_BODY_BYTES, **body)
    return _STATUS[status](**body)


_STATUS = {400: web.HTTPBadRequest, 401: web.HTTPUnauthorized, 403: web.HTTPForbidden, 409: web.HTTPConflict}


def _reply(reply: Message | None) -> web.Response:
    if reply is None:
        return web.json_response({"status": Status.TIMEOUT, "error": "no answer in time; the outcome is unknown"}, status=504)
    body = {"status": reply.status, "leader": reply.leader_hint}
    if reply.status == Status.SEQ_REUSED:
        body["error"] = "this (client, seq) already names another command, which stands; use a new seq"
        return web.json_response(body, status=409)
    if hasattr(reply, "result"):
        body["result"] = reply.result
    return web.json_response(body)


@web.middleware
async def _errors_as_json(request: web.Request, handler):
    """Every HTTP error (404, 405, 413, ...) as JSON with one `error` line."""
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.content_type == "application/json" or error.status < 400:
            raise
        return web.json_response({"error": error.reason}, status=error.status)
