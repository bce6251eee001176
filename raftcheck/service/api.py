"""The node's HTTP API (aiohttp): peer messages, client commands, membership, status.

Bodies are JSON, decoded by msgspec against the schemas below (unknown fields
rejected). Bad input gets a 4xx with a one-line `error` and the node keeps
running.
"""

from __future__ import annotations

import msgspec
from aiohttp import web

from raftcheck.core import AddServerRequest, ClientRequest, Message, RemoveServerRequest, Status
from raftcheck.service.node import NodeService

MAX_BODY_BYTES = 1 << 20
REQUEST_TIMEOUT = 2.0

_decode_message = msgspec.json.Decoder(Message).decode


class ClientCommandBody(msgspec.Struct, forbid_unknown_fields=True):
    client: str
    seq: int
    op: tuple[str, ...]


class MembershipBody(msgspec.Struct, forbid_unknown_fields=True):
    server: str
    client: str = "admin"


def build_app(node: NodeService) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[_errors_as_json])
    routes = web.RouteTableDef()

    @routes.post("/raft")
    async def raft(request: web.Request) -> web.Response:
        message = _decode(await request.read(), _decode_message)
        if getattr(message, "dst", None) != node.state.id:
            raise _bad(f"message for {getattr(message, 'dst', None)!r} sent to {node.state.id!r}")
        node.deliver(message)
        return web.Response(status=204)

    @routes.post("/client")
    async def client(request: web.Request) -> web.Response:
        body = _decode(await request.read(), msgspec.json.Decoder(ClientCommandBody).decode)
        if body.seq < 1 or not _valid_op(body.op):
            raise _bad('expected seq >= 1 and op ["set", key, value] or ["get", key]')
        message = ClientRequest(body.client, node.state.id, body.seq, body.op)
        reply = await node.ask(message, ("client", body.client, body.seq), REQUEST_TIMEOUT)
        return _reply(reply)

    @routes.post("/admin/add-server")
    async def add_server(request: web.Request) -> web.Response:
        body = _decode(await request.read(), msgspec.json.Decoder(MembershipBody).decode)
        message = AddServerRequest(body.client, node.state.id, body.server)
        return _reply(await node.ask(message, ("change", body.client, body.server), 5 * REQUEST_TIMEOUT))

    @routes.post("/admin/remove-server")
    async def remove_server(request: web.Request) -> web.Response:
        body = _decode(await request.read(), msgspec.json.Decoder(MembershipBody).decode)
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
                "last_log_index": len(s.log),
                "configuration": list(s.config),
            }
        )

    app.add_routes(routes)
    return app


def _valid_op(op: tuple[str, ...]) -> bool:
    return (len(op) == 3 and op[0] == "set") or (len(op) == 2 and op[0] == "get")


def _decode(body: bytes, decode):
    try:
        return decode(body)
    except msgspec.DecodeError as error:
        raise _bad(f"invalid body: {error}") from None


def _bad(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=msgspec.json.encode({"error": message}).decode(), content_type="application/json")


def _reply(reply: Message | None) -> web.Response:
    if reply is None:
        return web.json_response({"status": Status.TIMEOUT, "error": "no answer in time; the outcome is unknown"}, status=504)
    body = {"status": reply.status, "leader": reply.leader_hint}
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
