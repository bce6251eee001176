"""Raft's safety properties over the cluster model, ready for the search."""

from __future__ import annotations

from collections.abc import Iterable

from raftcheck.core import handle
from raftcheck.model.cluster import RaftClusterModel
from raftcheck.model.settings import ClusterSettings
from raftcheck.model.universe import Handler
from raftcheck.properties.invariants import ALL_INVARIANTS, INVARIANTS, STEP_INVARIANTS
from raftcheck.search import Property, TransitionProperty


def checked_model(
    settings: ClusterSettings, invariants: Iterable[str] = ALL_INVARIANTS, handler: Handler = handle
) -> RaftClusterModel:
    """A cluster model whose properties are the named invariants, over the given core handler."""
    model = RaftClusterModel(settings, handler)
    view = model.view
    for name in invariants:
        if name in INVARIANTS:
            check = INVARIANTS[name]
            model.properties.append(Property(name, lambda world, check=check: check(view(world))))
        elif name in STEP_INVARIANTS:
            check = STEP_INVARIANTS[name]
            model.transition_properties.append(
                TransitionProperty(name, lambda before, action, after, check=check: check(view(before), view(after)))
            )
        else:
            raise ValueError(f"unknown invariant {name!r}; known: {', '.join(ALL_INVARIANTS)}")
    return model


__all__ = ["ALL_INVARIANTS", "checked_model"]
