"""What a cluster model explores: its nodes, timing, failure budgets and bounds."""

from __future__ import annotations

from dataclasses import dataclass, field

from raftcheck.core import NodeParams, Rules


@dataclass(frozen=True)
class Budgets:
    """How many of each nondeterministic event one execution may contain."""

    client_requests: int = 1
    membership_changes: int = 0
    crashes: int = 0
    drops: int = 0
    duplicates: int = 0


@dataclass(frozen=True)
class Bounds:
    """A state beyond any bound is checked but not expanded (TLC's state constraint)."""

    max_term: int = 2
    max_log: int = 4
    max_in_flight: int = 4


@dataclass(frozen=True)
class ClusterSettings:
    """A cluster to explore.

    `nodes` are the node ids. With `initial_members`, those nodes start with
    that configuration in their logs; otherwise nodes not in `bootstrap` boot
    normally (a cluster of one each). `bootstrap` nodes wait to be added.
    `timer` is "fire" (a node's next timer may fire at any moment; clocks are
    abstracted away) or "tick" (single ticks, real clock granularity).
    """

    nodes: tuple[str, ...] = ("n1", "n2", "n3")
    bootstrap: tuple[str, ...] = ()
    initial_members: tuple[str, ...] = ("n1", "n2", "n3")
    rules: Rules = field(default_factory=Rules)
    timer: str = "fire"
    election_timeout: tuple[int, int] = (10, 20)
    heartbeat_interval: int = 3
    catchup_rounds: int = 2
    max_entries_per_append: int = 0
    budgets: Budgets = field(default_factory=Budgets)
    bounds: Bounds = field(default_factory=Bounds)
    symmetry: bool = True

    @property
    def params(self) -> NodeParams:
        low, high = self.election_timeout
        return NodeParams(
            election_timeout_low=low,
            election_timeout_high=high,
            heartbeat_interval=self.heartbeat_interval,
            catchup_rounds=self.catchup_rounds,
            max_entries_per_append=self.max_entries_per_append,
            rules=self.rules,
        )
