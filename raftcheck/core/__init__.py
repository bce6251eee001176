"""The pure Raft core: node states, messages, and the `handle` function."""

from raftcheck.core.lifecycle import boot, durable, recover, restart
from raftcheck.core.messages import (
    AddServerRequest,
    AddServerResponse,
    AppendEntriesRequest,
    AppendEntriesResponse,
    ClientCommand,
    ClientRequest,
    ClientResponse,
    ConfigChange,
    Entry,
    InstallSnapshotRequest,
    Message,
    Noop,
    Payload,
    RemoveServerRequest,
    RemoveServerResponse,
    RequestVoteRequest,
    RequestVoteResponse,
    Snapshot,
    Status,
    Tick,
    TimeoutNow,
)
from raftcheck.core.node import handle, ticks_until_timer
from raftcheck.core.params import NodeParams
from raftcheck.core.features import FEATURE_DESCRIPTIONS, Features
from raftcheck.core.rules import RULE_DESCRIPTIONS, Rules
from raftcheck.core.state import NodeState, Role
from raftcheck.core.statemachine import KeyValueStore, StateMachine

__all__ = [
    "FEATURE_DESCRIPTIONS",
    "RULE_DESCRIPTIONS",
    "AddServerRequest",
    "AddServerResponse",
    "AppendEntriesRequest",
    "AppendEntriesResponse",
    "ClientCommand",
    "ClientRequest",
    "ClientResponse",
    "ConfigChange",
    "Entry",
    "InstallSnapshotRequest",
    "KeyValueStore",
    "Message",
    "NodeParams",
    "NodeState",
    "Noop",
    "Payload",
    "RemoveServerRequest",
    "RemoveServerResponse",
    "RequestVoteRequest",
    "RequestVoteResponse",
    "Role",
    "Snapshot",
    "Features",
    "Rules",
    "StateMachine",
    "Status",
    "Tick",
    "TimeoutNow",
    "boot",
    "durable",
    "handle",
    "recover",
    "restart",
    "ticks_until_timer",
]
