"""Generic state-space search: knows models, states and fingerprints, nothing about Raft."""

from raftcheck.search.bfs import breadth_first
from raftcheck.search.dfs import depth_first
from raftcheck.search.model import Limits, Model, Property, SearchResult, TransitionProperty, Violation

__all__ = [
    "Limits",
    "Model",
    "Property",
    "SearchResult",
    "TransitionProperty",
    "Violation",
    "breadth_first",
    "depth_first",
]
