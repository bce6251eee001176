"""Jepsen-style: concurrent clients while a nemesis kills, partitions and pauses nodes, the leader included.

The client history (invocation and return times, results, unknown outcomes)
must be linearizable, no acknowledged write may be lost, and the cluster must
serve again once the faults stop.
"""

import asyncio
import json
import os
import random
import tempfile
import time
import urllib.request
from pathlib import Path

import aiohttp
import pytest

from raftcheck.checker.run_trace import run_trace_document, run_trace_of
from raftcheck.checker.validation import read_runs, validate_runs
from raftcheck.core import ClientCommand
from raftcheck.linearizability import Operation, check_history, write_history
from raftcheck.service.client import ServiceClient, ServiceError
from raftcheck.service.storage import DurableStore
from service_cluster import LocalCluster

# RAFTCHECK_SOAK_SECONDS=600 makes this a soak run (not in CI).
FAULT_SECONDS = float(os.environ.get("RAFTCHECK_SOAK_SECONDS", 20))
CLIENTS = 4
KEYS = 3


def leader_of(addresses):
    for address in addresses:
        try:
            with urllib.request.urlopen(f"http://{address}/status", timeout=1) as response:
                status = json.loads(response.read())
            if status["role"] == "leader":
                return address
        except OSError:
            continue
    return None


FAULTS = ("kill", "isolate", "deaf", "cut link", "pause")


async def nemesis(cluster, addresses, stop, stats, rng):
    """One fault at a time, each lasting 1.5 s, every other one aimed at the leader:
    SIGKILL and restart from the data dir; isolation (both directions); a node that sends but hears
    nothing (asymmetric); one link cut between two nodes (partial); SIGSTOP then SIGCONT (a pause)."""
    round_ = 0
    while not stop.is_set():
        await asyncio.sleep(1.0)
        leader = await asyncio.to_thread(leader_of, addresses)
        victim = leader if round_ % 2 == 0 and leader else rng.choice(addresses)
        others = [a for a in addresses if a != victim]
        fault = FAULTS[round_ % len(FAULTS)]
        stats[fault] += 1
        stats["leader_faults"] += victim == leader
        if fault == "kill":
            await asyncio.to_thread(cluster.kill, victim)
        elif fault == "pause":
            await asyncio.to_thread(cluster.pause, victim)
        elif fault == "isolate":
            await asyncio.to_thread(cluster.partition, victim, others, others)
        elif fault == "deaf":
            await asyncio.to_thread(cluster.partition, victim, others, ())
        else:
            peer = rng.choice(others)
            await asyncio.to_thread(cluster.partition, victim, [peer], [peer])
            await asyncio.to_thread(cluster.partition, peer, [victim], [victim])
        await asyncio.sleep(1.5)
        if fault == "kill":
            await asyncio.to_thread(cluster.restart, victim)
        elif fault == "pause":
            await asyncio.to_thread(cluster.resume, victim)
        else:
            for address in addresses:
                await asyncio.to_thread(cluster.partition, address)
        round_ += 1


async def worker(number, session, addresses, stop, history, acknowledged, rng):
    client = ServiceClient(session, addresses[number % len(addresses)], attempts=15)
    count = 0
    while not stop.is_set():
        key = f"k{rng.randrange(KEYS)}"
        write = rng.random() < 0.5
        value = f"{number}.{count}" if write else None
        invoked = time.monotonic()
        try:
            reply = await (client.set(key, value) if write else client.get(key))
            ok = reply.get("status") == "ok"
        except ServiceError:
            ok = False
        returned = time.monotonic() if ok else None
        if ok and write:
            acknowledged.append((client.client_id, client.last_seq, key, value))
        history.append(Operation(client.client_id, "set" if write else "get", key, value,
                                 None if write or not ok else reply.get("result"), invoked, returned))
        count += 1


async def run_faults(cluster, addresses, rng):
    history, acknowledged = [], []
    stats = {fault: 0 for fault in FAULTS} | {"leader_faults": 0}
    stop_faults, stop_clients = asyncio.Event(), asyncio.Event()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as session:
        workers = [
            asyncio.create_task(worker(n, session, addresses, stop_clients, history, acknowledged, random.Random(n)))
            for n in range(CLIENTS)
        ]
        faults = asyncio.create_task(nemesis(cluster, addresses, stop_faults, stats, rng))
        await asyncio.sleep(FAULT_SECONDS)
        stop_faults.set()
        await faults
        started = time.monotonic()
        probe = ServiceClient(session, addresses[0], attempts=100)
        assert (await probe.set("after-faults", "1"))["status"] == "ok"
        stats["recovery_seconds"] = time.monotonic() - started
        stop_clients.set()
        await asyncio.gather(*workers)
        final = ServiceClient(session, addresses[0], attempts=100)
        for key in (f"k{i}" for i in range(KEYS)):
            invoked = time.monotonic()
            reply = await final.get(key)
            assert reply["status"] == "ok"
            history.append(Operation(final.client_id, "get", key, None, reply["result"], invoked, time.monotonic()))
    return history, acknowledged, stats


def test_history_under_kills_partitions_and_pauses_is_linearizable_and_loses_no_acknowledged_write(tmp_path):
    record = tmp_path / "records"
    cluster = LocalCluster(tmp_path, fault_injection=True, record=record)
    try:
        check_a_run_under_faults(cluster)
    finally:
        cluster.close()
    check_trace(record)


def check_trace(record):
    """Validate the recorded run; a failing one is saved as a run trace that `raftcheck replay` re-runs."""
    runs = read_runs(record)
    validation = validate_runs(runs)
    print(f"trace validation: {validation.steps:,} inputs re-run through the core, "
          f"{validation.states_checked:,} global states checked")
    if not validation.ok:
        trace = record.parent / "failing-run.json"
        trace.write_bytes(run_trace_document(run_trace_of(runs, validation)))
        pytest.fail(f"{validation.first_failure}; replay it with `raftcheck replay {trace}`")
    assert validation.nodes == 3 and validation.steps > 100 and validation.states_checked > 10


def test_a_short_live_run_with_a_restart_passes_trace_validation(tmp_path):
    cluster = LocalCluster(tmp_path, record=tmp_path / "records")
    try:
        first = cluster.start()
        addresses = [first] + [cluster.start(bootstrap=True) for _ in range(2)]
        for address in addresses[1:]:
            assert cluster.client(first, "add-server", address).returncode == 0
        for number in range(3):
            assert cluster.client(first, "set", f"k{number}", "v").returncode == 0
        cluster.kill(addresses[2])
        assert cluster.client(first, "set", "while-down", "v").returncode == 0
        cluster.restart(addresses[2])
        assert cluster.client(addresses[2], "get", "while-down").stdout.strip() == "v"
    finally:
        cluster.close()
    check_trace(tmp_path / "records")


def check_a_run_under_faults(cluster):
    first = cluster.start()
    addresses = [first] + [cluster.start(bootstrap=True) for _ in range(2)]
    for address in addresses[1:]:
        assert cluster.client(first, "add-server", address).returncode == 0
    started = time.monotonic()
    history, acknowledged, stats = asyncio.run(run_faults(cluster, addresses, random.Random(7)))
    elapsed = time.monotonic() - started
    cluster.close()

    completed = [op for op in history if op.returned is not None]
    faults = ", ".join(f"{stats[fault]} {fault}" for fault in FAULTS)
    print(f"\n{len(history)} operations ({len(completed)} ok, {len(history) - len(completed)} unknown) in "
          f"{elapsed:.1f}s = {len(completed) / elapsed:.1f} ok ops/s; faults: {faults} "
          f"({stats['leader_faults']} on the leader); served again {stats['recovery_seconds']:.2f}s after the faults "
          f"stopped")
    assert all(stats[fault] >= 1 for fault in FAULTS) and stats["leader_faults"] >= 2
    assert len(completed) > 50
    verdict = check_history(history, "service", timeout=120)
    if not verdict:
        kept = Path(tempfile.mkdtemp(prefix="raftcheck-history-")) / "history.jsonl"
        write_history(kept, history)
        pytest.fail(f"{verdict.status}; replay with: raftcheck linearizable --model service {kept}")
    stored = [DurableStore(cluster.data_dir(a), a, cluster.bootstrap[a]).load() for a in addresses]
    for client_id, seq, key, value in acknowledged:
        command = ClientCommand(client_id, seq, ("set", key, value))
        holders = sum(durably_holds(log, snapshot, command) for _, _, log, snapshot in stored)
        assert holders >= 2, f"acknowledged write {key}={value} is on {holders} of 3 disks"


def durably_holds(log, snapshot, command) -> bool:
    """The write is in the log, or the snapshot applied it: its sessions hold the client at that seq or later
    (a client's writes are sequential, so a later seq means this one was applied first)."""
    if any(entry.payload == command for entry in log):
        return True
    return snapshot is not None and any(client == command.client and seq >= command.seq
                                        for client, seq, _, _ in snapshot.sessions)


def test_an_isolated_leader_is_replaced_and_steps_down_by_itself(tmp_path):
    cluster = LocalCluster(tmp_path, fault_injection=True)
    try:
        first = cluster.start()
        addresses = [first] + [cluster.start(bootstrap=True) for _ in range(2)]
        for address in addresses[1:]:
            assert cluster.client(first, "add-server", address).returncode == 0
        others = addresses[1:]
        cluster.partition(first, drop_from=others, drop_to=others)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and leader_of(others) is None:
            time.sleep(0.1)
        new_leader = leader_of(others)
        assert new_leader in others, "the majority side elects a leader"
        assert cluster.client(new_leader, "set", "during", "partition").returncode == 0
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and status_of(first)["role"] == "leader":
            time.sleep(0.05)
        assert status_of(first)["role"] != "leader", "CheckQuorum: the cut-off leader steps down by itself"
        cluster.partition(first)
        assert cluster.client(first, "get", "during").stdout.strip() == "partition"
    finally:
        cluster.close()


def status_of(address):
    with urllib.request.urlopen(f"http://{address}/status", timeout=2) as response:
        return json.loads(response.read())
