"""Memory and disk of a 3-node service cluster over a long run of writes, with and without log compaction.

    .venv/bin/python benchmarks/long_run_footprint.py [--phases 5] [--seconds 20] [--keys 1000]

Eight clients overwrite a fixed set of keys, so the state machine stays the
same size and only the log can grow. After each phase the script prints the
entries committed so far, the largest server's resident memory (VmRSS) and
the cluster's bytes on disk (database, WAL and shared-memory files). The run
is done twice, with `--snapshot-entries 1000` (the default) and with 0 (never
compact). Not run in CI: it takes minutes and the machine's other work moves it.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import aiohttp
import click

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from service_cluster import SECRET, LocalCluster  # noqa: E402  (the tests' loopback cluster)

from raftcheck.service.client import ServiceClient  # noqa: E402

CLIENTS = 8


async def write_for(addresses: list[str], seconds: float, keys: int) -> None:
    deadline = time.monotonic() + seconds

    async def one(number: int, session: aiohttp.ClientSession) -> None:
        client = ServiceClient(session, addresses[number % len(addresses)])
        count = number
        while time.monotonic() < deadline:
            await client.set(f"k{count % keys}", str(count))
            count += CLIENTS

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        await asyncio.gather(*(one(number, session) for number in range(CLIENTS)))


def resident_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def disk_bytes(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("raft.sqlite3*"))


def commit_index(address: str) -> int:
    with urllib.request.urlopen(f"http://{address}/status", timeout=5) as response:
        return json.loads(response.read())["commit_index"]


def run(snapshot_entries: int, phases: int, seconds: float, keys: int) -> list[tuple[int, int, int]]:
    """(entries committed, largest RSS in KiB, bytes on disk) after each phase."""
    rows = []
    with tempfile.TemporaryDirectory() as root:
        cluster = LocalCluster(Path(root), SECRET, options=("--snapshot-entries", str(snapshot_entries)))
        try:
            addresses = list(cluster.build_three())
            for _ in range(phases):
                asyncio.run(write_for(addresses, seconds, keys))
                rss = max(resident_kib(process.pid) for process in cluster.processes.values())
                rows.append((max(map(commit_index, addresses)), rss, disk_bytes(Path(root))))
        finally:
            cluster.close()
    return rows


@click.command()
@click.option("--phases", default=5, show_default=True)
@click.option("--seconds", default=20.0, show_default=True)
@click.option("--keys", default=1000, show_default=True)
def main(phases: int, seconds: float, keys: int) -> None:
    for snapshot_entries in (1000, 0):
        label = f"--snapshot-entries {snapshot_entries}" + (" (never compact)" if not snapshot_entries else "")
        print(label)
        print(f"{'entries':>9} {'max RSS MiB':>12} {'disk MiB':>9}")
        for entries, rss, disk in run(snapshot_entries, phases, seconds, keys):
            print(f"{entries:>9,} {rss / 1024:>12.1f} {disk / 2**20:>9.2f}")


if __name__ == "__main__":
    main()
