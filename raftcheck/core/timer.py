"""Election timeouts drawn from a generator kept in the node's state.

No global randomness: the generator's state is an int in NodeState, seeded from
the node id (by CRC-32, not the per-process `hash`) and NodeParams.seed.
"""

from __future__ import annotations

import zlib

from raftcheck.core.params import NodeParams

_MASK = (1 << 64) - 1


def initial_rng(node_id: str, seed: int) -> int:
    return (zlib.crc32(node_id.encode()) ^ (seed * 0x9E3779B97F4A7C15)) & _MASK


def draw_timeout(params: NodeParams, rng: int) -> tuple[int, int]:
    """A timeout in [low, high] and the generator's next state (64-bit LCG)."""
    rng = (rng * 6364136223846793005 + 1442695040888963407) & _MASK
    span = params.election_timeout_high - params.election_timeout_low + 1
    return params.election_timeout_low + (rng >> 33) % span, rng
