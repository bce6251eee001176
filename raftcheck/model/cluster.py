"""A Raft cluster over the real core: nodes, an unordered lossy network, history.

A `World` is one global state: the interned node states (by position), the
multiset of messages in flight (sorted interned ids), the failure budgets
used so far, and the history variables the invariants need: which node led
which term, and the committed log prefix with the term each entry was first
seen committed in. The model knows Raft and the failure model, nothing about
search strategy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from itertools import combinations, groupby, permutations, product
from typing import NamedTuple

import msgspec
from msgspec.structs import replace

from raftcheck.core import (
    AddServerRequest,
    ClientRequest,
    ConfigChange,
    Entry,
    Message,
    NodeState,
    RemoveServerRequest,
    Role,
    Tick,
    boot,
    handle,
    restart,
    ticks_until_timer,
)
from raftcheck.model.actions import (
    Action,
    AddServer,
    ClientRead,
    ClientRetry,
    ClientReuse,
    ClientWrite,
    Deliver,
    Drop,
    Duplicate,
    FireTimer,
    RemoveServer,
    Restart,
    Stop,
    CutLink,
    HealLink,
    TickOnce,
)
from raftcheck.model.checks import Goal, Invariant, NetworkCheck, StateChecks, StepGoal, select
from raftcheck.model.symmetry import rename_node, symmetry_group
from raftcheck.model.universe import Handler, Universe
from raftcheck.search.model import Property, TransitionProperty
from raftcheck.settings import Settings

CLIENT = "client"
_MASK = (1 << 64) - 1

# positions in World.used; CUT holds the links cut now, one bit per pair of node positions (`_link_bit`), and
# STOPPED the servers stopped for good, one bit per position (their links are in CUT too)
CLIENTS, CHANGES, CRASHES, DROPS, DUPLICATES, READS, RETRIES, CHANGE_RETRIES, REUSES, HEALS, CUT, STOPPED = range(12)
READER = "reader"


class World(NamedTuple):
    nodes: tuple[int, ...]
    network: tuple[int, ...]
    used: tuple[int, ...]
    elected: tuple[tuple[int, int], ...]
    committed: tuple[int, ...]
    commit_terms: tuple[int, ...]


# World(...) without the Python-level __new__ a NamedTuple adds: the hot path builds one per transition.
_new_world = tuple.__new__


class ClusterView(NamedTuple):
    """A World with its interned ids resolved: what invariants and timelines read.

    `keys` (the interned node ids) and `committed_keys` identify node states
    and the committed prefix cheaply, so invariants can memoise per node or
    per pair in `memo`, a dict that lives as long as the model. Nodes are
    shown with full logs (`with_full_log`); `snapshots` keeps each node's
    snapshot index, 0 without one.
    """

    names: tuple[str, ...]
    nodes: tuple[NodeState, ...]
    network: tuple[Message, ...]
    elected: tuple[tuple[int, str], ...]
    committed: tuple[Entry, ...]
    commit_terms: tuple[int, ...]
    keys: tuple[int, ...]
    committed_keys: tuple[int, ...]
    memo: dict
    snapshots: tuple[int, ...] = ()


# Always checked, whatever invariants a spec selects: `handle` must return, not raise.
CORE_DOES_NOT_RAISE = "CoreDoesNotRaise"


def with_full_log(state: NodeState, committed: tuple[Entry, ...]) -> NodeState:
    """A node that compacted its log, as invariants read it: the committed entries its snapshot stands for,
    then its own, and no snapshot. Unchanged without a snapshot, or if the snapshot is beyond what is
    committed. Whether a snapshot says what its entries say is checked where it is taken."""
    snapshot = state.snapshot
    if snapshot is None or snapshot.index > len(committed):
        return state
    return replace(state, log=committed[: snapshot.index] + state.log, snapshot=None)


def abstract_clock(state: NodeState) -> NodeState:
    """Forget clock readings: with timers that may fire at any moment they do not matter.

    Except one: under CheckQuorum a leader's election clock counts the heartbeats of the current check
    period (a few values), so that every so many heartbeats the leader checks that it heard from a majority.
    Forgotten, the check would never run."""
    elapsed = state.election_elapsed if state.role is Role.LEADER and state.params.features.check_quorum else 0
    if state.election_elapsed != elapsed or state.election_timeout or state.heartbeat_elapsed or state.rng:
        return replace(state, election_elapsed=elapsed, election_timeout=0, heartbeat_elapsed=0, rng=0)
    return state


class RaftClusterModel:
    """The cluster as a search model (see raftcheck.search.model.Model).

    It checks the invariants of `catalogue` that its settings select; the
    settings must have passed `raftcheck.settings.validate`.
    """

    def __init__(
        self,
        settings: Settings,
        catalogue: Sequence[Invariant] = (),
        handler: Handler = handle,
        goal_catalogue: Sequence[Goal] = (),
    ) -> None:
        self.settings = settings
        self.names = settings.node_names
        self._fire = settings.timing.timer == "fire"
        self._any_target = settings.bounds.client_targets == "any"
        initial = [self._boot(name) for name in self.names]
        # Cut links and stopped servers are named by position in World.used, which renaming would have to
        # permute: no symmetry.
        failures = settings.failures
        symmetric = settings.cluster.symmetry and self._fire and not (failures.link_cuts or failures.stops)
        classes = _interchangeable(self.names, initial) if symmetric else []
        self.group = symmetry_group(classes, len(self.names)) if classes else [tuple(range(len(self.names)))]
        self._perm_index = {perm: index for index, perm in enumerate(self.group)}
        self._classes = classes
        renamings = [{self.names[old]: self.names[new] for old, new in enumerate(perm)} for perm in self.group]
        self.normalize = abstract_clock if self._fire else _same
        invariants = select(catalogue, settings.check.invariants)
        replies = [i for i in invariants if i.on_replies]
        self.universe = Universe(self.names, handler, self.normalize, renamings, tuple(i.check for i in replies))
        members = [s for s in initial if s.commit_index]
        committed = tuple(self.universe.log[self.universe.node(members[0])]) if members else ()
        self._initial = World(
            tuple(self.universe.node(s) for s in initial), (), (0,) * (STOPPED + 1), (), committed, (0,) * len(committed)
        )
        self._tick = self.universe.message(Tick())
        self._timers: dict[int, int | None] = {}  # an interned node state: `_timer_message`
        self._restarts: dict[int, int] = {}  # an interned node state: `_restarted`
        self._requests: dict[Action, int] = {}  # a client action: `_request`
        self._requests_by_state: dict[tuple, tuple] = {}  # (node, position, used): `_requests_at`
        self._nodes_beyond: dict[tuple[int, ...], str | None] = {}  # a nodes tuple: the term or log bound it breaks
        self._max_in_flight = settings.bounds.max_in_flight
        self._history_fps: dict[tuple, int] = {}  # (elected, committed, commit_terms, renaming): `_history_fp`
        self._memo: dict = {}
        self._server_links: dict[int, int] = {}  # a set of stopped servers (bits): the CUT bits of their links
        self._full_logs: dict[tuple[int, tuple[int, ...]], NodeState] = {}
        self._node_parts: dict[tuple[int, ...], list] = {}
        self._node_coverage: dict[tuple[int, ...], tuple] = {}  # a nodes tuple: its part of `coverage`
        self._recent_views: list[tuple[World | None, ClusterView | None]] = [(None, None), (None, None)]
        self.properties = self._properties(invariants)
        self.transition_properties = [TransitionProperty(CORE_DOES_NOT_RAISE, self._reply_check(self.universe.raised))] + [
            TransitionProperty(i.name, self._reply_check(faults)) for i, faults in zip(replies, self.universe.reply_faults)
        ]
        goals = select(goal_catalogue, settings.check.goals, "check.goals") if settings.check.goals else []
        # State goals read what state invariants read, so their memo has the same key: worlds that differ only in
        # the network or the budgets are judged once. A memo of their own, not the invariants': it is consulted
        # only while some goal is pending, and goals computed on every invariant miss would cost more after that.
        state_goals = StateChecks(self.view, [g.check for g in goals if not g.on_steps])
        self.goals = [Property(g.name, lambda world, index=index: state_goals.results(world)[index])
                      for index, g in enumerate(g for g in goals if not g.on_steps)]
        self.step_goals = [TransitionProperty(g.name, StepGoal(self.view, g.check, g.reads_network).check)
                           for g in goals if g.on_steps]

    def _properties(self, invariants: list[Invariant]) -> list[Property]:
        states = [i for i in invariants if i.on_states]
        memoised = StateChecks(self.view, [i.check for i in states])
        properties = [
            Property(i.name, lambda world, index=index: memoised.results(world)[index]) for index, i in enumerate(states)
        ]
        messages = self.universe.messages
        network = [Property(i.name, NetworkCheck(messages, i.check).check) for i in invariants if i.on_network]
        self._state_checks, self._state_names, self._network_properties = memoised, [i.name for i in states], network
        return properties + network

    def first_broken(self, world: World) -> tuple[str, str] | None:
        """The first of `properties` that `world` breaks, and how: one memoised pass over the state invariants,
        not one call per invariant."""
        results = self._state_checks.results(world)
        if results.count(None) != len(results):
            for name, message in zip(self._state_names, results):
                if message is not None:
                    return name, message
        for prop in self._network_properties:
            message = prop.check(world)
            if message is not None:
                return prop.name, message
        return None

    def first_broken_step(self, before: World, action: Action, after: World) -> tuple[str, str] | None:
        """The first of `transition_properties` a step breaks: each judged its core steps as the universe took
        them, so until some step was faulty none can fail."""
        if self.universe.faulty:
            for prop in self.transition_properties:
                message = prop.check(before, action, after)
                if message is not None:
                    return prop.name, message
        return None

    def _reply_check(self, faults: dict[tuple[int, int], str]):
        """A reply invariant as a step property: the universe judged each distinct step when the core took it."""

        def check(before: World, action: Action, after: World) -> str | None:
            if not faults:
                return None
            key = self.step_key(before, action)
            return faults.get(key) if key is not None else None

        return check

    def _boot(self, name: str) -> NodeState:
        s = self.settings
        members = s.cluster.initial_members
        if members and name in members:
            node = boot(name, False, s.params)
            log = (Entry(0, ConfigChange(tuple(sorted(members)))),)
            # The initial configuration is committed by construction: the cluster was set up with it.
            node = replace(restart(replace(node, log=log)), commit_index=1)
        else:
            node = boot(name, name in s.cluster.bootstrap, s.params)
        return abstract_clock(node) if self._fire else node

    # ---- the Model interface ----------------------------------------------

    def initial_states(self) -> list[World]:
        return [self._initial]

    def start_from(self, world: World) -> None:
        """Search from `world` (reached by a scripted prefix) instead of the boot state."""
        self._initial = world

    def node_state(self, world: World, name: str) -> NodeState:
        """The state of the node called `name` in `world`; KeyError for a name not in the cluster."""
        return self.universe.node_states[world.nodes[self.universe.position[name]]]

    def links_cut(self, world: World) -> frozenset[frozenset[str]]:
        """The links cut now, each as the pair of node names it joined."""
        return _links_named(self.names, world.used[CUT])

    def beyond_bounds(self, world: World) -> str | None:
        if len(world.network) > self._max_in_flight:
            return "max_in_flight"
        try:
            return self._nodes_beyond[world.nodes]
        except KeyError:
            pass
        bounds = self.settings.bounds
        u = self.universe
        beyond = None
        for n in world.nodes:
            if u.bound_term[n] > bounds.max_term:
                beyond = "max_term"
                break
            if len(u.log[n]) + u.base[n] > bounds.max_log:
                beyond = "max_log"
                break
        self._nodes_beyond[world.nodes] = beyond
        return beyond

    def successors(self, world: World) -> Iterator[tuple[Action, World]]:
        for action, build, args in self.moves(world):
            yield action, build(*args)

    def moves(self, world: World) -> Iterator[tuple[Action, Callable[..., World], tuple]]:
        """Every enabled action with how to build the world it leads to, `build(*args)`: a simulation builds
        only the one world it takes, not all of them."""
        u = self.universe
        names = self.names
        failures = self.settings.failures
        used = world.used
        stopped = used[STOPPED]
        step = self._step
        for position, node in enumerate(world.nodes):
            if stopped >> position & 1:
                continue
            if self._fire:
                tick = self._timer_message(node)
                if tick is not None:
                    yield FireTimer(names[position]), step, (world, position, tick, None)
            else:
                yield TickOnce(names[position]), step, (world, position, self._tick, None)
        previous = None
        for message in world.network:
            if message == previous:
                continue
            previous = message
            decoded = u.messages[message]
            yield Deliver(decoded), step, (world, u.destination[message], message, message)
            if used[DROPS] < failures.drops:
                yield Drop(decoded), self._drop, (world, message)
            if used[DUPLICATES] < failures.duplicates:
                yield Duplicate(decoded), self._duplicate, (world, message)
        if used[CRASHES] < failures.crashes:
            for position in range(len(names)):
                if not stopped >> position & 1:
                    yield Restart(names[position]), self._restart, (world, position)
        if stopped.bit_count() < failures.stops:
            for position in range(len(names)):
                if not stopped >> position & 1:
                    yield Stop(names[position]), self._stop, (world, position)
        # A healed link's cut still counts: the cuts made are those in place plus those healed. The links of
        # stopped servers are neither: they stay down.
        cut = used[CUT] & ~self._links_of(stopped) if stopped else used[CUT]
        can_cut = cut.bit_count() + used[HEALS] < failures.link_cuts
        can_heal = cut and used[HEALS] < failures.link_heals
        if can_cut or can_heal:
            for first, second in combinations(range(len(names)), 2):
                if stopped and (stopped >> first & 1 or stopped >> second & 1):
                    continue
                bit = _link_bit(first, second)
                if not used[CUT] & bit:
                    if can_cut:
                        yield CutLink(names[first], names[second]), self._cut, (world, bit)
                elif can_heal:
                    yield HealLink(names[first], names[second]), self._heal, (world, bit)
        for position, node in enumerate(world.nodes):
            if (self._any_target or u.is_leader[node]) and not stopped >> position & 1:
                for action, message, budget in self._requests_at(node, position, used):
                    yield action, step, (world, position, message, None, budget)

    def _requests_at(self, node: int, position: int, used: tuple[int, ...]) -> tuple[tuple[Action, int, int], ...]:
        """(action, interned message, budget it spends) for each client request the node at `position` may get:
        memoised per node state, position and budgets used, since every state with a leader asks."""
        key = (node, position, used)
        known = self._requests_by_state.get(key)
        if known is not None:
            return known
        name = self.names[position]
        budgets = self.settings.bounds
        requests: list[tuple[Action, int]] = []
        if used[CLIENTS] < budgets.client_requests:
            requests.append((ClientWrite(name, used[CLIENTS] + 1), CLIENTS))
        if used[READS] < budgets.client_reads:
            requests.append((ClientRead(name, used[READS] + 1), READS))
        if used[RETRIES] < budgets.client_retries:
            requests += [(ClientRetry(name, seq), RETRIES) for seq in range(1, used[CLIENTS] + 1)]
        if used[REUSES] < budgets.client_reuses:
            requests += [(ClientReuse(name, seq), REUSES) for seq in range(1, used[CLIENTS] + 1)]
        config = self.universe.node_states[node].config
        if used[CHANGES] < budgets.membership_changes:
            for server in self.names:
                if server not in config:
                    requests.append((AddServer(name, server), CHANGES))
                elif len(config) > 1:
                    requests.append((RemoveServer(name, server), CHANGES))
        if used[CHANGE_RETRIES] < budgets.membership_retries:
            for server in self.names:
                retry = AddServer(name, server) if server in config else RemoveServer(name, server)
                requests.append((retry, CHANGE_RETRIES))
        known = self._requests_by_state[key] = tuple((action, self._request(action), budget)
                                                     for action, budget in requests)
        return known

    def _request(self, action: Action) -> int:
        """The interned message a client action sends (memoised per action: every state with a leader asks)."""
        try:
            return self._requests[action]
        except KeyError:
            message = self._requests[action] = self.universe.message(request_of(action))
            return message

    def _restarted(self, node: int) -> int:
        """The interned node state `node` restarts as (memoised: every state may crash each of its nodes)."""
        try:
            return self._restarts[node]
        except KeyError:
            u = self.universe
            revived = self._restarts[node] = u.node(self.normalize(restart(u.node_states[node])))
            return revived

    def step_key(self, world: World, action: Action) -> tuple[int, int] | None:
        """(node, message): the step through the core that `action` takes in `world`, if it takes one."""
        u = self.universe
        if type(action) is Deliver:
            message = u.message(action.message)
            return world.nodes[u.destination[message]], message
        position = u.position.get(getattr(action, "node", None))
        if position is None or type(action) in (Restart, CutLink, HealLink):
            return None
        node = world.nodes[position]
        if type(action) is FireTimer:
            tick = self._timer_message(node)
            return None if tick is None else (node, tick)
        if type(action) is TickOnce:
            return node, self._tick
        return node, u.message(request_of(action))

    def deliver(self, world: World, message: int) -> World:
        """`world` after one copy of the interned `message` reaches its destination."""
        return self._step(world, self.universe.destination[message], message, message)

    def fire_timer(self, world: World, position: int) -> World | None:
        """`world` after the node at `position` lets its next timer fire, or None if it has none (or stopped)."""
        if world.used[STOPPED] >> position & 1:
            return None
        tick = self._timer_message(world.nodes[position])
        return None if tick is None else self._step(world, position, tick, None)

    def _timer_message(self, node: int) -> int | None:
        """The interned Tick that fires the next timer of the interned `node`, or None if it has none
        (memoised per node state: every state that holds the node asks)."""
        try:
            return self._timers[node]
        except KeyError:
            pass
        ticks = ticks_until_timer(self.universe.node_states[node])
        tick = None if ticks is None else self._tick if ticks == 1 else self.universe.message(Tick(ticks))
        self._timers[node] = tick
        return tick

    def spill_codec(self) -> tuple[Callable[[list], bytes], Callable[[bytes], list]]:
        """How a big search writes a list of worlds and fingerprints to disk and reads it back, in this process
        (whose interned ids the worlds keep)."""
        return msgspec.msgpack.Encoder().encode, msgspec.msgpack.Decoder(list[World | int]).decode

    def codec(self):
        """How a parallel search ships this model's worlds between processes."""
        from raftcheck.model.transport import WorldCodec  # transport needs World, defined here

        return WorldCodec(self.universe)

    def next_state(self, world: World, action: Action) -> World:
        """Replay one action; ValueError if it is not enabled in `world`."""
        for candidate, successor in self.successors(world):
            if candidate == action:
                return successor
        raise ValueError(f"action {action!r} is not enabled in this state")

    def fingerprint(self, world: World) -> int:
        """The least fingerprint over the candidate renamings whose renamed nodes come first (`_renamed_nodes`):
        equal for states equal up to symmetry, as a state and any renaming of it have the same candidates."""
        candidates = self._node_parts.get(world.nodes) or self._renamed_nodes(world)
        if len(candidates) == 1:  # the usual case: every interchangeable node has its own shape
            renaming, perm, nodes = candidates[0]
            return self._fingerprint_as(world, renaming, perm, nodes)
        return min(self._fingerprint_as(world, renaming, perm, nodes) for renaming, perm, nodes in candidates)

    def _renamed_nodes(self, world: World) -> list[tuple[int, tuple[int, ...], tuple[int, ...]]]:
        """(renaming, perm, renamed node fingerprints in their new order) per candidate renaming, keeping only
        the candidates whose renamed nodes are least: a canonical choice that needs no network, so the network
        is hashed once per remaining candidate, usually one. (Five nodes in one shape are 120 candidates;
        before this choice each was hashed in full.)

        Depends on the nodes alone, which many worlds share (they differ in the
        network), so it is cached per nodes tuple.
        """
        cached = self._node_parts.get(world.nodes)
        if cached is None:
            u = self.universe
            cached = []
            perms = self._candidate_perms(world) if self._classes else self.group
            for perm in perms:
                renaming = self._perm_index[perm]
                nodes = [0] * len(perm)
                for old, node in enumerate(world.nodes):
                    nodes[perm[old]] = u.node_fp(node, renaming)
                cached.append((renaming, perm, tuple(nodes)))
            if len(cached) > 1:
                least = min(nodes for _, _, nodes in cached)
                cached = [candidate for candidate in cached if candidate[2] == least]
            self._node_parts[world.nodes] = cached
        return cached

    # ---- transitions -------------------------------------------------------

    def _step(self, world: World, position: int, message: int, consumed: int | None, spend: int | None = None) -> World:
        u = self.universe
        before = world.nodes[position]
        after, sent = u.steps.get((before, message)) or u.step(before, message)
        if world.used[CUT] and sent:
            sent = tuple(m for m in sent if not world.used[CUT] & _link_bit(position, u.destination[m]))
        network = world.network
        if consumed is not None or sent:
            pool = list(network)
            if consumed is not None:
                pool.remove(consumed)
            pool.extend(sent)
            pool.sort()
            network = tuple(pool)
        nodes = list(world.nodes)
        nodes[position] = after
        elected, committed, terms = world.elected, world.committed, world.commit_terms
        if after != before:
            if u.is_leader[after] and (u.term[after], position) not in elected:
                elected = tuple(sorted(elected + ((u.term[after], position),)))
            commit = u.commit[after]
            if commit > len(committed):
                committed = committed + _entries_between(u, before, after, len(committed), commit)
                terms = terms + (u.term[after],) * (commit - len(terms))
        used = world.used if spend is None else _spend(world.used, spend)
        return _new_world(World, (tuple(nodes), network, used, elected, committed, terms))

    def _full_log(self, key: int, node: NodeState, ids: tuple[int, ...], committed: tuple[Entry, ...]) -> NodeState:
        """`with_full_log`, one object per node state and prefix, so unchanged nodes stay identical."""
        base = self.universe.base[key]
        if not base:
            return node
        cache_key = (key, ids[:base])
        full = self._full_logs.get(cache_key)
        if full is None:
            full = self._full_logs[cache_key] = with_full_log(node, committed)
        return full

    def _cut(self, world: World, bit: int) -> World:
        """`world` with one more link cut: the messages in flight on it are lost."""
        cut = world.used[CUT] | bit
        return world._replace(network=self._lost_on(world.network, bit),
                              used=world.used[:CUT] + (cut,) + world.used[CUT + 1 :])

    def _stop(self, world: World, position: int) -> World:
        """`world` with the server at `position` stopped for good: each of its links cut, what is on them lost."""
        links = self._links_of(1 << position)
        used = world.used
        return world._replace(network=self._lost_on(world.network, links),
                              used=used[:CUT] + (used[CUT] | links, used[STOPPED] | 1 << position))

    def _lost_on(self, network: tuple[int, ...], links: int) -> tuple[int, ...]:
        """`network` without the messages in flight on the links whose CUT bits `links` holds."""
        u = self.universe
        return tuple(m for m in network if not links & _link_bit(u.position[u.messages[m].src], u.destination[m]))

    def _links_of(self, positions: int) -> int:
        """The CUT bits of every link of the servers whose bits `positions` holds (computed once per set)."""
        links = self._server_links.get(positions)
        if links is None:
            links = self._server_links[positions] = sum(
                _link_bit(a, b) for a, b in combinations(range(len(self.names)), 2) if (positions >> a | positions >> b) & 1
            )
        return links

    def _heal(self, world: World, bit: int) -> World:
        """`world` with one cut link working again, one heal spent."""
        used = world.used
        return world._replace(used=used[:HEALS] + (used[HEALS] + 1, used[CUT] & ~bit) + used[CUT + 1 :])

    def _drop(self, world: World, message: int) -> World:
        return world._replace(network=_without(world.network, message), used=_spend(world.used, DROPS))

    def _duplicate(self, world: World, message: int) -> World:
        return world._replace(network=_sorted_with(world.network, message), used=_spend(world.used, DUPLICATES))

    def _restart(self, world: World, position: int) -> World:
        nodes = world.nodes[:position] + (self._restarted(world.nodes[position]),) + world.nodes[position + 1 :]
        return world._replace(nodes=nodes, used=_spend(world.used, CRASHES))

    # ---- fingerprints and symmetry -----------------------------------------

    def _fingerprint_as(self, world: World, renaming: int, perm: tuple[int, ...], nodes: tuple[int, ...]) -> int:
        """The stable fingerprint of `world` with its nodes renamed by `perm`."""
        u = self.universe
        network = 0
        message_fps = u.message_fps
        for message in world.network:
            fp = message_fps[message][renaming]
            network += fp if fp is not None else u.message_fp(message, renaming)
        key = (world.elected, world.committed, world.commit_terms, renaming)
        history = self._history_fps.get(key)
        if history is None:
            history = self._history_fps[key] = self._history_fp(world, renaming, perm)
        return hash((nodes, network & _MASK, world.used, history))

    def _history_fp(self, world: World, renaming: int, perm: tuple[int, ...]) -> int:
        """The history variables' part of a fingerprint, renamed: few distinct histories, so it is memoised."""
        u = self.universe
        elected = tuple(sorted((term, perm[position]) for term, position in world.elected))
        committed = tuple(u.entry_fp(e, renaming) for e in world.committed)
        return hash((elected, committed, world.commit_terms))

    def _candidate_perms(self, world: World) -> list[tuple[int, ...]]:
        """Renamings that sort each class of interchangeable nodes by shape; ties try every order.

        Shapes are invariant under renaming, so a state and any renaming of it
        get the same candidate set and hence the same minimum: a canonical key.
        """
        shape = self.universe.shape
        nodes = world.nodes
        if len(self._classes) == 1:
            cls = self._classes[0]
            shapes = [shape[nodes[position]] for position in cls]
            if len(set(shapes)) == len(cls):
                perm = list(range(len(self.names)))
                for new, (_, old) in zip(cls, sorted(zip(shapes, cls))):
                    perm[old] = new
                return [tuple(perm)]
        options = []
        for cls in self._classes:
            ordered = sorted(cls, key=lambda position: shape[nodes[position]])
            if len({shape[nodes[position]] for position in cls}) == len(cls):
                options.append([tuple(ordered)])
                continue
            ties = [tuple(group) for _, group in groupby(ordered, key=lambda position: shape[nodes[position]])]
            options.append([sum(choice, ()) for choice in product(*(permutations(t) for t in ties))])
        perms = []
        for orders in product(*options):
            perm = list(range(len(self.names)))
            for cls, order in zip(self._classes, orders):
                for new, old in zip(cls, order):
                    perm[old] = new
            perms.append(tuple(perm))
        return perms

    # ---- reading a world ---------------------------------------------------

    def coverage(self, world: World) -> tuple:
        """The abstract state a simulation steers by: each node's role, its term and log relative to the
        highest, its commit relative to the highest, its configuration size; the kinds of messages in flight; and
        the fault and request budgets used so far, so a state reached with its one crash still to spend is kept
        apart from the same state reached after spending it. The nodes' part is memoised per nodes tuple."""
        u = self.universe
        part = self._node_coverage.get(world.nodes)
        if part is None:
            states = [u.node_states[n] for n in world.nodes]
            logs = [len(u.log[n]) + u.base[n] for n in world.nodes]
            top_term = max(n.current_term for n in states)
            top_log = max(logs)
            top_commit = max(n.commit_index for n in states)
            part = self._node_coverage[world.nodes] = tuple(sorted(
                (n.role.value, top_term - n.current_term, top_log - log, top_commit - n.commit_index, len(n.config))
                for n, log in zip(states, logs)))
        messages = u.messages
        return part, tuple(sorted(type(messages[m]).__name__ for m in world.network)), world.used

    def view(self, world: World) -> ClusterView:
        """Resolve a world; the last two are memoised, as every invariant reads the same worlds."""
        recent = self._recent_views
        if recent[0][0] is world:
            return recent[0][1]
        if recent[1][0] is world:
            recent.reverse()
            return recent[0][1]
        u = self.universe
        committed = tuple(map(u.entries.__getitem__, world.committed))
        nodes = tuple(map(u.node_states.__getitem__, world.nodes))
        snapshots = tuple(map(u.base.__getitem__, world.nodes))
        if any(snapshots):
            nodes = tuple(self._full_log(key, node, world.committed, committed) for key, node in zip(world.nodes, nodes))
        view = ClusterView(
            self.names,
            nodes,
            tuple(map(u.messages.__getitem__, world.network)),
            tuple((term, self.names[position]) for term, position in world.elected),
            committed,
            world.commit_terms,
            world.nodes,
            world.committed,
            self._memo,
            snapshots,
        )
        self._recent_views = [(world, view), self._recent_views[0]]
        return view


def _entries_between(u: Universe, before: int, after: int, start: int, stop: int) -> tuple[int, ...]:
    """The ids of the entries at indexes start+1..stop of node state `after`, taking from `before` what `after`
    compacted in this very step. Empty if neither holds them (a snapshot beyond what it committed)."""
    base = u.base[after]
    if start >= base:
        return u.log[after][start - base : stop - base]
    old_base = u.base[before]
    middle = min(stop, base)
    head = u.log[before][start - old_base : middle - old_base] if start >= old_base else ()
    if len(head) != middle - start:
        return ()
    return head + u.log[after][: stop - base] if stop > base else head


def swarm_kind(action: Action) -> str:
    """The kind a simulation's swarm weighs as one: a message action by its message type too.

    With kinds this fine, some walks deliver votes but drop most appends, which is how the leaders of
    Figure 8 come and go without replicating: `commit_current_term_only` from boot is found in 39 to 119 s
    for seeds 0 to 2, where one weight per action class found it in neither 120 s (seed 1) nor 840 s (seed
    0). Kinds split by destination node as well did worse (seed 0: not found in 120 s), and so did walks
    that drew coarse or fine kinds half and half (README).
    """
    message = getattr(action, "message", None)
    name = type(action).__name__
    return name if message is None else f"{name} {type(message).__name__}"


def _interchangeable(names: tuple[str, ...], initial: list[NodeState]) -> list[tuple[int, ...]]:
    """Classes of positions whose initial states are equal up to their names (size > 1)."""
    classes: list[list[int]] = []
    for position, state in enumerate(initial):
        for cls in classes:
            first = cls[0]
            swap = {names[position]: names[first], names[first]: names[position]}
            if rename_node(state, swap) == rename_node(initial[first], {}):
                cls.append(position)
                break
        else:
            classes.append([position])
    return [tuple(cls) for cls in classes if len(cls) > 1]


def request_of(action: Action) -> Message:
    """The message a client action sends to its node."""
    kind = type(action)
    if kind is ClientWrite or kind is ClientRetry:
        return ClientRequest(CLIENT, action.node, action.seq, _write(action.seq))
    if kind is ClientReuse:
        return ClientRequest(CLIENT, action.node, action.seq, _other_write(action.seq))
    if kind is ClientRead:
        return ClientRequest(READER, action.node, action.seq, ("get", "x"))
    if kind is AddServer:
        return AddServerRequest(CLIENT, action.node, action.server)
    return RemoveServerRequest(CLIENT, action.node, action.server)


def _write(seq: int) -> tuple[str, ...]:
    """The client's seq-th write: each sets x to a value that names it."""
    return ("set", "x", f"v{seq}")


def _other_write(seq: int) -> tuple[str, ...]:
    """A write other than the seq-th, which a misbehaving client sends under the same seq."""
    return ("set", "x", f"w{seq}")


def _same(state: NodeState) -> NodeState:
    return state


def faults_that_last(used: tuple[int, ...]) -> tuple[int, ...]:
    """`used` with the spent budgets forgotten and the cut links and stopped servers kept: what still shapes a run
    after its faults."""
    return (0,) * CUT + (used[CUT], used[STOPPED])


@lru_cache(maxsize=1024)
def _links_named(names: tuple[str, ...], cut: int) -> frozenset[frozenset[str]]:
    """The links of the bits in `cut`, by node names: computed once per set of cuts, not once per state."""
    return frozenset(frozenset((names[a], names[b])) for a, b in combinations(range(len(names)), 2)
                     if cut & _link_bit(a, b))


def _link_bit(a: int, b: int) -> int:
    """The bit of World.used[CUT] for the link between the nodes at positions `a` and `b` (either order)."""
    low, high = (a, b) if a < b else (b, a)
    return 1 << (low * 16 + high)


def _spend(used: tuple[int, ...], which: int) -> tuple[int, ...]:
    return used[:which] + (used[which] + 1,) + used[which + 1 :]


def _without(network: tuple[int, ...], message: int) -> tuple[int, ...]:
    index = network.index(message)
    return network[:index] + network[index + 1 :]


def _sorted_with(network: tuple[int, ...], message: int) -> tuple[int, ...]:
    index = network.index(message)
    return network[:index] + (message,) + network[index:]
