"""Raft's safety properties and coverage goals, and the cluster model that checks them."""

from __future__ import annotations

from raftcheck.core import handle
from raftcheck.model.cluster import RaftClusterModel
from raftcheck.model.universe import Handler
from raftcheck.properties.goals import RAFT_GOALS
from raftcheck.properties.invariants import ALL_INVARIANTS, RAFT_INVARIANTS
from raftcheck.settings import Settings


def raft_model(settings: Settings, handler: Handler = handle) -> RaftClusterModel:
    """The cluster over `handler` (the real core by default), checking the invariants `settings` selects."""
    return RaftClusterModel(settings, RAFT_INVARIANTS, handler, RAFT_GOALS)


__all__ = ["ALL_INVARIANTS", "RAFT_GOALS", "RAFT_INVARIANTS", "raft_model"]
