"""Write throughput of a 3-node service cluster on loopback: N concurrent clients, each writing its own keys.

    .venv/bin/python benchmarks/service_throughput.py [--clients 8] [--seconds 10] [--value-bytes 16]

Builds the cluster one server at a time (as a user does), lets the clients
write through any node for the given time, and prints acknowledged writes/s
and latency percentiles. Not run in CI: the machine's other work moves it.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import click

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from service_cluster import SECRET, LocalCluster  # noqa: E402  (the tests' loopback cluster)

from raftcheck.service.client import ServiceClient  # noqa: E402


async def write_for(addresses: list[str], clients: int, seconds: float, value: str) -> tuple[int, list[float]]:
    latencies: list[float] = []
    deadline = time.monotonic() + seconds

    async def one(number: int, session: aiohttp.ClientSession) -> None:
        client = ServiceClient(session, addresses[number % len(addresses)])
        key = 0
        while time.monotonic() < deadline:
            key += 1
            started = time.perf_counter()
            reply = await client.set(f"c{number}-k{key}", value)
            if reply.get("status") == "ok":
                latencies.append(time.perf_counter() - started)

    timeout = aiohttp.ClientTimeout(total=5)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        await asyncio.gather(*(one(number, session) for number in range(clients)))
    return len(latencies), latencies


@click.command()
@click.option("--clients", default=8, show_default=True)
@click.option("--seconds", default=10.0, show_default=True)
@click.option("--value-bytes", default=16, show_default=True)
def main(clients: int, seconds: float, value_bytes: int) -> None:
    with tempfile.TemporaryDirectory() as root:
        cluster = LocalCluster(Path(root), SECRET)
        try:
            addresses = list(cluster.build_three())
            writes, latencies = asyncio.run(write_for(addresses, clients, seconds, "v" * value_bytes))
        finally:
            cluster.close()
    if not latencies:
        sys.exit("no write was acknowledged")
    cuts = statistics.quantiles(latencies, n=100)
    print(f"{clients} clients, {seconds:g} s, {value_bytes}-byte values: {writes} acknowledged writes, "
          f"{writes / seconds:.0f} writes/s; latency p50 {cuts[49] * 1000:.1f} ms, p99 {cuts[98] * 1000:.1f} ms, "
          f"max {max(latencies) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
