"""Liveness under fairness: what must eventually happen once faults stop, checked as fair cycles."""

from raftcheck.liveness.check import check_liveness
from raftcheck.liveness.properties import LIVENESS_PROPERTIES, LivenessProperty

__all__ = ["LIVENESS_PROPERTIES", "LivenessProperty", "check_liveness"]
