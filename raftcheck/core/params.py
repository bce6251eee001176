"""Per-node parameters that never change while a node runs."""

from __future__ import annotations

from typing import Any

import msgspec

from raftcheck.core.features import Features
from raftcheck.core.rules import Rules
from raftcheck.core.statemachine import KeyValueStore


class NodeParams(msgspec.Struct, frozen=True, gc=False):
    """Timing in ticks, the catch-up budget for new servers, batching, rules, features, machine.

    `max_entries_per_append` caps the entries one AppendEntries carries (0: no cap),
    and `max_append_bytes` caps their encoded size (0: no cap; at least one
    entry always goes), as etcd's MaxSizePerMsg does.

    `compact_log_after`: a node snapshots its applied prefix once this many
    applied entries follow its last snapshot (0: never compact).

    `seed` feeds the node's private generator of election timeouts, so two runs
    with the same seed make the same choices in any process.
    """

    election_timeout_low: int = 10
    election_timeout_high: int = 20
    heartbeat_interval: int = 3
    catchup_rounds: int = 10
    max_entries_per_append: int = 0
    max_append_bytes: int = 0
    compact_log_after: int = 0
    seed: int = 0
    rules: Rules = Rules()
    features: Features = Features()
    state_machine: Any = KeyValueStore()
