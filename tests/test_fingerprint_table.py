"""The compact visited set: a dict's answers in 16 bytes a slot, and a search that moves to it mid-way
finds exactly what one that never does finds."""

import itertools
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import raftcheck
from raftcheck.search import fingerprints
from raftcheck.search.fingerprints import FingerprintSet, FingerprintTable, compact

SPECS = Path(__file__).resolve().parent.parent / "specs"
fingerprint = st.one_of(st.integers(-(2**63) + 1, 2**63 - 1), st.integers(-3, 3))


@settings(max_examples=200)
@given(st.lists(st.tuples(fingerprint, st.one_of(st.none(), fingerprint)), max_size=300), st.lists(fingerprint))
def test_the_table_answers_as_a_dict_does(items, probes):
    table, reference = FingerprintTable(), {}
    for key, parent in items:
        assert (key in table) == (key in reference)
        table[key] = parent
        reference[key] = parent
    assert len(table) == len(reference)
    for key, parent in reference.items():
        assert table[key] == parent
    for key in probes:
        assert (key in table) == (key in reference)
        if key not in reference:
            with pytest.raises(KeyError):
                table[key]


@settings(max_examples=200)
@given(st.lists(fingerprint, max_size=300), st.lists(fingerprint))
def test_the_set_of_words_answers_as_a_set_does(keys, probes):
    words, reference = FingerprintSet(), set()
    for key in keys:
        assert (key in words) == (key in reference)
        words.add(key)
        reference.add(key)
    assert len(words) == len(reference)
    assert all((key in words) == (key in reference) for key in keys + probes)


def test_the_table_grows_and_keeps_every_fingerprint():
    table = FingerprintTable()
    keys = [hash((i, "grow")) for i in range(200_000)] + [0, 1, -1]
    for parent, key in enumerate(keys):
        table[key] = parent
    assert len(table) == len(keys)
    assert all(table[key] == parent for parent, key in enumerate(keys))
    assert hash(("absent",)) not in table


@pytest.mark.parametrize("kind", [FingerprintTable, FingerprintSet])
def test_the_table_grows_a_segment_at_a_time(monkeypatch, kind):
    """A doubling allocates one segment's worth, so a big table never needs twice its memory at once."""
    allocated = []
    allocate = FingerprintSet._allocate
    monkeypatch.setattr(FingerprintSet, "_allocate", lambda table, slots: (allocated.append(slots), allocate(table, slots))[1])
    table = kind()
    assert len(allocated) == fingerprints.SEGMENTS
    keys = [hash((i, "segments")) for i in range(200_000)]
    for key in keys:
        table.add(key) if kind is FingerprintSet else table.__setitem__(key, key + 1)
    grown = allocated[fingerprints.SEGMENTS:]
    total = sum(segment.mask + 1 for segment in table._segments)
    assert grown and max(grown) * 8 <= total
    assert len(table) == len(keys) and all(key in table for key in keys)
    assert kind is FingerprintSet or all(table[key] == key + 1 for key in keys[::97])
    assert hash(("absent",)) not in table


def test_a_dict_and_a_set_move_into_tables_whole(monkeypatch):
    monkeypatch.setattr(fingerprints, "COMPACT_AFTER", 3)
    parents = {5: None, 0: 5, -7: 0}
    table = compact(parents)
    assert isinstance(table, FingerprintTable) and not parents
    assert [table[5], table[0], table[-7]] == [None, 5, 0]
    seen = compact({1, 2, 3})
    assert isinstance(seen, FingerprintSet) and not isinstance(seen, FingerprintTable)
    assert all(key in seen for key in (1, 2, 3)) and 4 not in seen
    assert compact({1: None}) == {1: None}  # below the threshold: as it was


@pytest.mark.parametrize("workers", [1, 2])
def test_a_search_that_moves_to_the_table_midway_finds_what_one_that_does_not_finds(monkeypatch, tmp_path, workers):
    """Each table allocated leaves a mark in `tmp_path`, which forked workers share."""
    spec = SPECS / "check_prev_log_term.toml"
    passing = SPECS / "election_replication_with_restart.toml"
    before = [raftcheck.check(spec, workers=workers), raftcheck.check(passing, workers=workers, max_term=1)]
    monkeypatch.setattr(fingerprints, "COMPACT_AFTER", 500)
    allocate = FingerprintSet._allocate
    marks = itertools.count()
    monkeypatch.setattr(FingerprintSet, "_allocate", lambda table, slots: (
        (tmp_path / f"{os.getpid()}-{next(marks)}").touch(), allocate(table, slots))[1])
    after = [raftcheck.check(spec, workers=workers), raftcheck.check(passing, workers=workers, max_term=1)]
    assert any(tmp_path.iterdir()), "the search never moved to the table"
    assert after[0].matches and len(after[0].trace.actions) == len(before[0].trace.actions)
    assert after[1].verdict == "pass" and after[1].search.states > 5_000
    assert (after[1].search.states, after[1].search.transitions, after[1].search.depth) == (
        before[1].search.states, before[1].search.transitions, before[1].search.depth)
