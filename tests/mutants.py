"""Known-bad variants of the core, for invariants no single safety switch can break.

Each is a `handle` with one classic implementation bug; the checker must find it.
"""

from msgspec.structs import replace

from raftcheck.core import (
    AppendEntriesResponse,
    ClientCommand,
    ConfigChange,
    Entry,
    RemoveServerRequest,
    Role,
    handle,
)


def leader_drops_last_entry_on_rejection(state, message):
    """A leader that 'repairs' its log by deleting its last entry when a follower rejects it."""
    after, out = handle(state, message)
    if after.role is Role.LEADER and type(message) is AppendEntriesResponse and not message.success:
        after = replace(after, log=after.log[:-1])
    return after, out


def remove_server_removes_two(state, message):
    """RemoveServer that also drops the next server of the configuration: a two-server change."""
    after, out = handle(state, message)
    if type(message) is RemoveServerRequest and after.config_index > state.config_index:
        rest = [s for s in after.config if s != after.id]
        if len(rest) > 1:
            servers = tuple(s for s in after.config if s != rest[0])
            log = after.log[:-1] + (Entry(after.current_term, ConfigChange(servers)),)
            after = replace(after, log=log, config=servers)
    return after, out


def commands_stamped_with_term_one(state, message):
    """A leader that writes client commands with a stale term (1) instead of its current term."""
    after, out = handle(state, message)
    if after.role is Role.LEADER and len(after.log) > len(state.log):
        log = tuple(
            Entry(1, e.payload) if i >= len(state.log) and type(e.payload) is ClientCommand else e
            for i, e in enumerate(after.log)
        )
        after = replace(after, log=log)
    return after, out
