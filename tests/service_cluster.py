"""Real server processes on loopback for the service tests, always cleaned up."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


SECRET = "loopback-test-cluster-secret"


class LocalCluster:
    """Starts, kills and restarts `raftcheck server` processes; `close` ends them all.

    Every process gets the cluster secret through the environment, as a user would give it.
    """

    def __init__(self, root: Path, secret: str = SECRET, cluster_id: str = "default",
                 fault_injection: bool = False, record: Path | None = None, options: tuple[str, ...] = ()) -> None:
        self.root = root
        self.options = list(options)
        self.fault_injection = fault_injection
        self.record = record
        self.env = {**os.environ, "RAFTCHECK_CLUSTER_SECRET": secret}
        self.cluster_id = cluster_id
        self.processes: dict[str, subprocess.Popen] = {}
        self.bootstrap: dict[str, bool] = {}

    def start(self, address: str | None = None, bootstrap: bool = False) -> str:
        address = address or f"127.0.0.1:{free_port()}"
        self.bootstrap[address] = bootstrap
        log = open(self.root / f"{address.replace(':', '_')}.log", "ab")
        command = [sys.executable, "-m", "raftcheck", "server", address, "--data-dir", str(self.data_dir(address)),
                   "--cluster-id", self.cluster_id] + (["--fault-injection"] if self.fault_injection else []) \
            + (["--record", str(self.record)] if self.record else []) + self.options
        self.processes[address] = subprocess.Popen(
            command + (["--bootstrap"] if bootstrap else []), stdout=log, stderr=subprocess.STDOUT, env=self.env
        )
        self.wait_until_serving(address)
        return address

    def build_three(self) -> tuple[str, str, str]:
        """A 3-node cluster built as a user builds one: a node forms it, two Bootstrap nodes are added."""
        first = self.start()
        others = [self.start(bootstrap=True) for _ in range(2)]
        for address in others:
            added = self.client(first, "add-server", address)
            if added.returncode != 0 or added.stdout.strip() != "ok":
                raise RuntimeError(f"add-server {address} failed: {added.stderr.strip() or added.stdout.strip()}")
        return first, others[0], others[1]

    def data_dir(self, address: str) -> Path:
        return self.root / address.replace(":", "_")

    def kill(self, address: str) -> None:
        process = self.processes.pop(address)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def pause(self, address: str) -> None:
        """SIGSTOP: the node is frozen, its sockets open, as in a long GC pause or a stalled VM."""
        self.processes[address].send_signal(signal.SIGSTOP)

    def resume(self, address: str) -> None:
        self.processes[address].send_signal(signal.SIGCONT)

    def partition(self, address: str, drop_from=(), drop_to=()) -> None:
        """Make `address` lose what it hears from `drop_from` and what it sends to `drop_to` (empty heals)."""
        body = json.dumps({"drop_from": list(drop_from), "drop_to": list(drop_to)}).encode()
        request = urllib.request.Request(f"http://{address}/test/partition", data=body, method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            response.read()

    def restart(self, address: str) -> None:
        self.start(address, self.bootstrap[address])

    def wait_until_serving(self, address: str, seconds: float = 15) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.processes[address].poll() is not None:
                raise RuntimeError(f"{address} exited with {self.processes[address].returncode}")
            try:
                with urllib.request.urlopen(f"http://{address}/status", timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"{address} did not start serving")

    def client(self, address: str, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "raftcheck", "client", address, *args],
            capture_output=True, text=True, timeout=timeout, env=self.env,
        )

    def close(self) -> None:
        for process in self.processes.values():
            process.kill()
        for process in self.processes.values():
            process.wait(timeout=10)
        self.processes.clear()
