"""The default state machine against a dict: sets and gets in any order, and snapshots round-trip."""

from hypothesis import given
from hypothesis import strategies as st

from raftcheck.core import KeyValueStore

KEYS = st.sampled_from(["a", "b", "c", "k1", "k10", "k2", ""])
OPS = st.lists(st.one_of(st.tuples(st.just("set"), KEYS, st.text(max_size=3)), st.tuples(st.just("get"), KEYS)))


@given(OPS)
def test_the_store_answers_as_a_dict_and_stays_sorted_by_key(ops):
    store, state, model = KeyValueStore(), KeyValueStore().initial(), {}
    for op in ops:
        state, result = store.apply(state, op)
        if op[0] == "set":
            model[op[1]] = op[2]
            assert result == op[2]
        else:
            assert result == model.get(op[1])
        assert state == tuple(sorted(model.items()))
    assert store.restore(store.dump(state)) == state


def test_restore_refuses_what_dump_never_writes():
    store = KeyValueStore()
    assert store.restore(b"not json") is None
    assert store.restore(b'[["b", "1"], ["a", "2"]]') is None, "out of order"
    assert store.restore(b'[["a", "1"], ["a", "2"]]') is None, "a key twice"
    assert store.restore(b'[["a", 1]]') is None, "a value that is not a string"
