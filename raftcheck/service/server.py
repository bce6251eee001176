"""`raftcheck server`: run one node until interrupted."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from aiohttp import web
from msgspec.structs import replace

from raftcheck.core import NodeParams
from raftcheck.service.address import node_id, parse_address
from raftcheck.service.api import build_app
from raftcheck.service.auth import PeerKey
from raftcheck.service.node import Faults, NodeService
from raftcheck.service.storage import DurableStore
from raftcheck.settings import Service, Settings


# What a production cluster needs on, whatever the checker's defaults.
SERVICE_FEATURES = ("notify_removed_servers", "ignore_disruptive_votes", "pre_vote", "leadership_transfer", "check_quorum")


def params_for(clock: Service, shared: Settings) -> NodeParams:
    """Real milliseconds as core ticks (the core only counts ticks); the rest as the checker has it."""
    low, high = (max(1, round(ms / clock.tick_ms)) for ms in clock.election_timeout_ms)
    return replace(
        shared.params,
        election_timeout_low=low,
        election_timeout_high=max(low, high),
        heartbeat_interval=max(1, round(clock.heartbeat_ms / clock.tick_ms)),
        max_append_bytes=clock.max_append_bytes,
        compact_log_after=clock.snapshot_entries,
        features=shared.params.features.with_enabled(*SERVICE_FEATURES),
    )


async def serve(address: str, bootstrap: bool, data_dir: Path, params: NodeParams, tick_ms: int, key: PeerKey,
                client_token: bytes | None = None, fault_injection: bool = False, record: Path | None = None) -> None:
    """Open the store, start the HTTP API and the clock; run until SIGINT or SIGTERM."""
    me = node_id(address)
    host, port = parse_address(address)
    store = DurableStore(data_dir, me, bootstrap, key.cluster)
    node = NodeService(me, bootstrap, params, store, tick_ms / 1000, key, client_token,
                       log=lambda line: print(line, flush=True), faults=Faults(enabled=fault_injection), record=record)
    runner = web.AppRunner(build_app(node), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    clock = asyncio.create_task(node.run())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    print(f"{me}: serving on http://{host}:{port} (data in {data_dir})", flush=True)
    await stop.wait()
    clock.cancel()
    await asyncio.gather(clock, return_exceptions=True)
    await runner.cleanup()
    store.close()
