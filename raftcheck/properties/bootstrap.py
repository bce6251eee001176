"""A server that boots in Bootstrap mode waits until a configuration names it, and not longer.

A Bootstrap server neither votes nor campaigns: that is what lets a new
server catch up before it counts (thesis 4.2.1). One that leaves the mode
early may vote or time out before it is a member; one that stays in it after
being added is a member that never votes, so its configuration's majorities
are one server short. Checked on every step of every node, with the
configuration the step leaves it with (after a snapshot install, the
snapshot's).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from raftcheck.core import NodeState, Role


def bootstrap_waits_to_be_named(before: NodeState, message: Any, after: NodeState, sent: Sequence[Any]) -> str | None:
    """A Bootstrap node leaves the mode exactly when its configuration first names it."""
    if before.role is not Role.BOOTSTRAP:
        return None
    named = after.id in after.config
    if after.role is Role.BOOTSTRAP and named:
        return f"{after.id} stays in Bootstrap mode with a configuration that names it: {_set(after.config)}"
    if after.role is not Role.BOOTSTRAP and not named:
        return (f"{after.id} left Bootstrap mode as a {after.role.value} with a configuration that does not name "
                f"it: {_set(after.config)}")
    return None


def _set(servers: Sequence[str]) -> str:
    return "{" + ", ".join(servers) + "}"
