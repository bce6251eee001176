"""Node addresses: HOST:PORT, the form node ids take in the cluster's configuration."""

from __future__ import annotations

import re

HOST = re.compile(r"[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]")


def parse_address(address: str) -> tuple[str, int]:
    """HOST:PORT, or a bare PORT on loopback; ValueError with a clear message otherwise."""
    host, _, port = address.rpartition(":")
    host = host or "127.0.0.1"
    if not HOST.fullmatch(host) or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{address!r} is not HOST:PORT (a host name or IP, and a port from 1 to 65535)")
    return host, int(port)


def node_id(address: str) -> str:
    host, port = parse_address(address)
    return f"{host}:{port}"
