"""The live service compacts its log, and a follower far behind catches up through a snapshot.

`RAFTCHECK_CATCH_UP_ENTRIES=100000 .venv/bin/python -m pytest tests/test_service_snapshots.py` is the
full-size run (not in CI: about four minutes of writes); CI writes a few hundred entries, records every
node's inputs, and validates the recorded run (conformance and invariants across snapshots).
"""

import asyncio
import os
import sqlite3
import time

import aiohttp

from raftcheck.checker.validation import validate
from raftcheck.service.api import MAX_BODY_BYTES
from raftcheck.service.client import ServiceClient
from raftcheck.service.storage import DurableStore
from service_cluster import LocalCluster
from test_service import status_of

BEHIND = int(os.environ.get("RAFTCHECK_CATCH_UP_ENTRIES", "400"))
SNAPSHOT_EVERY = 100
CLIENTS = 8


async def write_many(address: str, count: int) -> None:
    """`count` writes over a few hundred keys, from CLIENTS concurrent clients."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        async def one_client(number: int) -> None:
            client = ServiceClient(session, address)
            for seq in range(number, count, CLIENTS):
                reply = await client.set(f"k{seq % 300}", str(seq))
                assert reply["status"] == "ok", reply

        await asyncio.gather(*(one_client(number) for number in range(CLIENTS)))


def log_rows(data_dir) -> int:
    with sqlite3.connect(data_dir / "raft.sqlite3") as db:
        return db.execute("SELECT COUNT(*) FROM log").fetchone()[0]


def test_a_follower_far_behind_catches_up_through_a_snapshot_and_logs_stay_short(tmp_path):
    records = tmp_path / "records"
    record = records if BEHIND <= 1000 else None  # validating a full-size run takes long; see README
    cluster = LocalCluster(tmp_path, options=("--snapshot-entries", str(SNAPSHOT_EVERY)), record=record)
    try:
        nodes = cluster.build_three()
        cluster.kill(nodes[2])
        asyncio.run(write_many(nodes[0], BEHIND))
        leader = max(nodes[:2], key=lambda a: status_of(a)["commit_index"])
        assert status_of(leader)["snapshot_index"] >= BEHIND - SNAPSHOT_EVERY
        cluster.restart(nodes[2])
        deadline = time.monotonic() + 30 + BEHIND / 1000
        while time.monotonic() < deadline and status_of(nodes[2])["commit_index"] < status_of(leader)["commit_index"]:
            time.sleep(0.1)
        caught_up = status_of(nodes[2])
        assert caught_up["commit_index"] == status_of(leader)["commit_index"], caught_up
        assert caught_up["snapshot_index"] >= BEHIND - SNAPSHOT_EVERY, "it caught up through a snapshot"
        last = str(BEHIND - 1)
        assert cluster.client(nodes[2], "get", f"k{(BEHIND - 1) % 300}").stdout.strip() == last
    finally:
        cluster.close()
    for address in nodes:
        assert log_rows(cluster.data_dir(address)) <= 2 * SNAPSHOT_EVERY, "compacted rows are deleted from disk"
    term, _, log, snapshot = DurableStore(cluster.data_dir(nodes[2]), nodes[2], True).load()
    assert snapshot is not None and snapshot.index + len(log) >= BEHIND
    if record is not None:
        validation = validate(records)
        assert validation.ok, (validation.problems[:3], validation.violation)
        assert validation.nodes == 3 and validation.states_checked > BEHIND


def test_a_snapshot_larger_than_a_client_body_reaches_a_follower(tmp_path):
    """A state machine of about 2 MB: its snapshot is over the 1 MiB client body limit, and peers take it."""
    cluster = LocalCluster(tmp_path, options=("--snapshot-entries", "50"))
    try:
        nodes = cluster.build_three()
        cluster.kill(nodes[2])
        asyncio.run(write_values(nodes[0], count=1000, size=2000))
        cluster.restart(nodes[2])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and status_of(nodes[2])["snapshot_index"] < 1000:
            time.sleep(0.1)
        assert status_of(nodes[2])["snapshot_index"] >= 1000, "the follower installed the big snapshot"
        _, _, _, snapshot = DurableStore(cluster.data_dir(nodes[0]), nodes[0], False).load()
        assert len(snapshot.machine) > MAX_BODY_BYTES
    finally:
        cluster.close()


async def write_values(address: str, count: int, size: int) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        async def one_client(number: int) -> None:
            client = ServiceClient(session, address)
            for key in range(number, count, CLIENTS):
                assert (await client.set(f"big{key}", "v" * size))["status"] == "ok"

        await asyncio.gather(*(one_client(number) for number in range(CLIENTS)))
