"""A server that boots in Bootstrap mode waits until a configuration names it, and not longer.

A Bootstrap server neither votes nor campaigns: that is what lets a new
server catch up before it counts (thesis 4.2.1). One that leaves the mode
early may vote or time out before it is a member; one that stays in it after
being added is a member that never votes, so its configuration's majorities
are one server short. Checked on every step of every node, with the
configuration the step leaves it with (after a snapshot install, the
snapshot's). A restart is not a step of `handle`, so the state invariant
`NamedNodesLeaveBootstrap` covers it: no node waits in Bootstrap mode with a
configuration that names it, however it got there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from raftcheck.core import NodeState, Role


def waits_though_named(node: NodeState) -> str | None:
    """A node in Bootstrap mode holds no configuration that names it (after a restart as after a step)."""
    if node.role is Role.BOOTSTRAP and node.id in node.config:
        return f"{node.id} is in Bootstrap mode with a configuration that names it: {_set(node.config)}"
    return None


def bootstrap_waits_to_be_named(before: NodeState, message: Any, after: NodeState, sent: Sequence[Any]) -> str | None:
    """A Bootstrap node leaves the mode exactly when its configuration first names it."""
    if before.role is not Role.BOOTSTRAP:
        return None
    stuck = waits_though_named(after)
    if stuck:
        return stuck
    if after.role is not Role.BOOTSTRAP and after.id not in after.config:
        return (f"{after.id} left Bootstrap mode as a {after.role.value} with a configuration that does not name "
                f"it: {_set(after.config)}")
    return None


def _set(servers: Sequence[str]) -> str:
    return "{" + ", ".join(servers) + "}"
