"""Who may talk to a node: peers that hold the cluster's secret, clients that hold the token.

Every peer request and answer carries the cluster id, the sender, and an
HMAC-SHA256 (from `cryptography`) over the cluster id, the sender and the
body, keyed by the cluster's shared secret. A node refuses a message without a
valid signature (401), from another cluster or from a sender that is not the
message's source (403). A replayed message is harmless to Raft: the core
already tolerates duplicated and delayed messages, and the checker explores
exactly that. The secret comes from a file or the environment, never from the
command line, where every user of the machine could read it.
"""

from __future__ import annotations

import hmac as constant_time
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, hmac

SECRET_ENV = "RAFTCHECK_CLUSTER_SECRET"
TOKEN_ENV = "RAFTCHECK_CLIENT_TOKEN"
CLUSTER_HEADER = "X-Raftcheck-Cluster"
SENDER_HEADER = "X-Raftcheck-Sender"
SIGNATURE_HEADER = "X-Raftcheck-Signature"
MIN_SECRET_BYTES = 16
CLUSTER_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class AuthError(Exception):
    """A secret or token that cannot be used; the node must not start."""


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str


def read_secret(path: str | None, env: str = SECRET_ENV, what: str = "cluster secret") -> bytes | None:
    """The secret from `path`, else from the environment variable `env`, else None."""
    if path is not None:
        try:
            secret = Path(path).read_bytes().strip()
        except OSError as error:
            raise AuthError(f"{path}: cannot read the {what}: {error.strerror or error}") from None
        source = path
    elif os.environ.get(env):
        secret, source = os.environ[env].strip().encode(), f"${env}"
    else:
        return None
    if len(secret) < MIN_SECRET_BYTES:
        raise AuthError(f"{source}: the {what} must be at least {MIN_SECRET_BYTES} bytes")
    return secret


def check_cluster_id(cluster: str) -> str:
    if not CLUSTER_ID.fullmatch(cluster):
        raise AuthError(f"cluster id {cluster!r}: use 1 to 64 letters, digits, '.', '_' or '-'")
    return cluster


class PeerKey:
    """Signs what this node sends to peers and checks what peers send to it."""

    def __init__(self, secret: bytes, cluster: str) -> None:
        self._secret = secret
        self.cluster = check_cluster_id(cluster)

    def _mac(self, cluster: str, sender: str, body: bytes) -> hmac.HMAC:
        mac = hmac.HMAC(self._secret, hashes.SHA256())
        for part in (cluster.encode(), sender.encode()):
            mac.update(len(part).to_bytes(4, "big") + part)
        mac.update(body)
        return mac

    def sign(self, sender: str, body: bytes) -> dict[str, str]:
        """The headers that authenticate `body` as sent by `sender` in this cluster."""
        signature = self._mac(self.cluster, sender, body).finalize().hex()
        return {CLUSTER_HEADER: self.cluster, SENDER_HEADER: sender, SIGNATURE_HEADER: signature}

    def check(self, headers, body: bytes) -> tuple[str, Refusal | None]:
        """(sender, None) for a genuine message of this cluster, else (sender, why it is refused)."""
        cluster = headers.get(CLUSTER_HEADER, "")
        sender = headers.get(SENDER_HEADER, "")
        signature = headers.get(SIGNATURE_HEADER, "")
        if not signature or not sender:
            return sender, Refusal(401, "unsigned peer message")
        if cluster != self.cluster:
            return sender, Refusal(403, f"peer message for cluster {cluster!r}, this is {self.cluster!r}")
        try:
            self._mac(cluster, sender, body).verify(bytes.fromhex(signature))
        except (InvalidSignature, ValueError):
            return sender, Refusal(401, "peer message with a wrong signature")
        return sender, None


def token_matches(expected: bytes | None, authorization: str) -> bool:
    """Whether an `Authorization: Bearer TOKEN` header carries the client token (always, if none is set)."""
    if expected is None:
        return True
    scheme, _, given = authorization.partition(" ")
    return scheme.lower() == "bearer" and constant_time.compare_digest(given.strip().encode(), expected)
