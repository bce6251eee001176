"""Linearizability of recorded histories: is there one sequential order, within real time, that explains them?

`check_history(history, model, timeout=...)` returns a `Verdict`:
linearizable, not linearizable (with a witness: the longest linearizable
prefix and the operation that cannot follow it) or unknown when the time
budget ran out. Models are in `models`; `read_history` reads raftcheck's JSON
Lines and Jepsen's EDN event logs.
"""

from raftcheck.linearizability.check import Verdict, Witness, check_history
from raftcheck.linearizability.formats import read_history, write_history
from raftcheck.linearizability.history import Operation
from raftcheck.linearizability.models import MODELS, Model, model_named
from raftcheck.linearizability.search import LINEARIZABLE, NOT_LINEARIZABLE, UNKNOWN

__all__ = ["LINEARIZABLE", "MODELS", "NOT_LINEARIZABLE", "UNKNOWN", "Model", "Operation", "Verdict", "Witness",
           "check_history", "model_named", "read_history", "write_history"]
