"""The linearizability checker: the models' semantics, the search's verdicts, and an independent oracle.

Each test is a small history whose verdict follows from the definition
(Herlihy & Wing): some total order of the operations, consistent with real
time, is a legal sequential run of the model. Operations with an unknown
outcome may take effect at any time after their call, or never.
"""

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raftcheck.errors import HistoryError
from raftcheck.linearizability import (
    LINEARIZABLE, NOT_LINEARIZABLE, UNKNOWN, Operation, check_history, model_named,
)
from raftcheck.linearizability.search import search


def op(kind, key, invoked, returned, argument=None, result=None, client="c"):
    return Operation(client, kind, key, argument, result, invoked, returned)


def set_(key, value, invoked, returned, client="c"):
    return op("set", key, invoked, returned, argument=value, client=client)


def get(key, value, invoked, returned, client="c"):
    return op("get", key, invoked, returned, result=value, client=client)


def test_sequential_history_is_linearizable():
    history = [set_("x", "1", 0, 1), get("x", "1", 2, 3), set_("x", "2", 4, 5), get("x", "2", 6, 7)]
    assert check_history(history, "service").status == LINEARIZABLE


def test_stale_read_after_a_completed_write_is_rejected():
    verdict = check_history([set_("x", "1", 0, 1), set_("x", "2", 2, 3), get("x", "1", 4, 5)], "service")
    assert verdict.status == NOT_LINEARIZABLE and verdict.key == "x"


def test_lost_acknowledged_write_is_rejected():
    assert not check_history([set_("x", "1", 0, 1), get("x", None, 2, 3)], "service")


def test_concurrent_operations_may_take_effect_in_either_order():
    history = [set_("x", "1", 0, 10, "a"), set_("x", "2", 1, 9, "b"), get("x", "1", 11, 12, "c"),
               get("x", "1", 13, 14, "d")]
    assert check_history(history, "service")
    history.append(get("x", "2", 15, 16, "e"))
    assert not check_history(history, "service"), "once 1 is read after both writes ended, 2 cannot reappear"


def test_a_read_cannot_see_a_write_invoked_after_it_returned():
    assert not check_history([get("x", "1", 0, 1), set_("x", "1", 2, 3)], "service")


def test_unknown_writes_may_or_may_not_take_effect():
    assert check_history([set_("x", "1", 0, None), get("x", "1", 5, 6)], "service")
    assert check_history([set_("x", "1", 0, None), get("x", None, 5, 6)], "service")
    history = [set_("x", "1", 0, None), get("x", "1", 5, 6), get("x", None, 7, 8)]
    assert not check_history(history, "service"), "once visible, an unknown write stays visible"


def test_an_unknown_write_cannot_take_effect_before_its_call():
    assert not check_history([get("x", "1", 0, 1), set_("x", "1", 2, None)], "service")


def test_keys_are_checked_independently():
    history = [set_("x", "1", 0, 1), set_("y", "2", 0, 1), get("y", "2", 2, 3), get("x", "2", 2, 3)]
    verdict = check_history(history, "service")
    assert not verdict and verdict.key == "x"


def cas(expected, new, invoked, returned, ok=True, key=None):
    return op("cas", key, invoked, returned, argument=(expected, new), result=ok if returned is not None else None)


def read(value, invoked, returned, key=None):
    return op("read", key, invoked, returned, result=value)


def write(value, invoked, returned, key=None):
    return op("write", key, invoked, returned, argument=value)


def test_compare_and_set_succeeds_only_on_the_expected_value():
    assert check_history([write(1, 0, 1), cas(1, 2, 2, 3), read(2, 4, 5)], "cas-register")
    assert not check_history([write(1, 0, 1), cas(3, 2, 2, 3), read(2, 4, 5)], "cas-register")
    assert not check_history([write(1, 0, 1), cas(3, 2, 2, 3, ok=True)], "cas-register")
    assert check_history([write(1, 0, 1), cas(3, 2, 2, 3, ok=False), read(1, 4, 5)], "cas-register")
    assert not check_history([write(3, 0, 1), cas(3, 2, 2, 3, ok=False)], "cas-register")


def test_an_unknown_compare_and_set_keeps_its_precondition():
    # The register starts nil: the timed-out cas(1, 2) can never succeed, so 2 cannot be read.
    assert not check_history([cas(1, 2, 0, None), read(2, 5, 6)], "cas-register")
    assert check_history([write(1, 0, 1), cas(1, 2, 2, None), read(2, 5, 6)], "cas-register")
    assert check_history([write(1, 0, 1), cas(1, 2, 2, None), read(1, 5, 6)], "cas-register")
    assert not check_history([write(1, 0, 1), cas(1, 2, 2, None), read(2, 5, 6), read(1, 7, 8)], "cas-register")


def test_append_builds_the_value_read():
    kv = [op("append", "k", 0, 1, argument="a"), op("append", "k", 0, 1, argument="b", client="d"),
          op("get", "k", 2, 3, result="ba")]
    assert check_history(kv, "kv")
    assert not check_history(kv + [op("get", "k", 4, 5, result="ab")], "kv")
    assert check_history([op("put", "k", 0, 1, argument="z"), op("get", "k", 2, 3, result="z")], "kv")


@pytest.mark.parametrize("model, operation, complaint", [
    ("kv", op("cas", "k", 0, 1, argument=("a", "b"), result=True), "has no operation 'cas'"),
    ("service", op("append", "k", 0, 1, argument="a"), "has no operation 'append'"),
    ("kv", op("append", "k", 0, 1, argument=3), "argument 3 is not a string"),
    ("kv", op("get", "k", 0, 1, result=7), "result 7 is not what 'kv' returns"),
    ("cas-register", op("cas", None, 0, 1, argument=(1, 2, 3), result=True), "is not a pair"),
    ("cas-register", op("cas", None, 0, 1, argument=(1, 2), result="ok"), "result 'ok'"),
])
def test_an_operation_outside_the_model_is_refused(model, operation, complaint):
    with pytest.raises(HistoryError, match=complaint):
        check_history([operation], model)


def test_a_witness_is_a_legal_prefix_and_the_operation_that_cannot_follow():
    history = [set_("x", "1", 0, 1), set_("x", "2", 2, 3), get("x", "2", 4, 5), get("x", "1", 6, 7)]
    witness = check_history(history, "service").witness
    operations = witness.operations
    assert [operations[index].kind for index, _ in witness.prefix] == ["set", "set", "get"]
    assert [state for _, state in witness.prefix] == ["1", "2", "2"]
    assert operations[witness.stuck] == history[3]


def hard_history(writers: int) -> list[Operation]:
    """Concurrent appends then a read no order explains: every order must be tried, and memoisation cannot help."""
    appends = [op("append", "k", index, 1000, argument=f"<{index}>", client=str(index)) for index in range(writers)]
    return appends + [op("get", "k", 1001, 1002, result="impossible", client="reader")]


def test_a_search_that_runs_out_of_time_is_unknown():
    verdict = check_history(hard_history(14), "kv", timeout=0.3, jobs=1)
    assert verdict.status == UNKNOWN and verdict.undecided == ("k",) and verdict.witness is None
    assert check_history(hard_history(3), "kv", timeout=30).status == NOT_LINEARIZABLE


def test_the_first_bad_key_cancels_a_key_still_being_searched():
    # Keys go out smallest first: the hard key (15 operations) is searched before the bad one (31).
    history = hard_history(14) + [op("put", "bad", 2 * i, 2 * i + 1, argument=str(i)) for i in range(30)]
    history.append(op("get", "bad", 1000, 1001, result="nothing written"))
    verdict = check_history(history, "kv", timeout=60, jobs=2)
    assert verdict.status == NOT_LINEARIZABLE and verdict.key == "bad"
    assert verdict.seconds < 30, "the hard key should have been cancelled, not searched to the deadline"


# An independent oracle: try every real-time-respecting order (and every subset of unknown operations).

def brute_force(history, model):
    required = [o for o in history if o.known]
    optional = [o for o in history if not o.known]
    for size in range(len(optional) + 1):
        for chosen in itertools.combinations(optional, size):
            for order in itertools.permutations(required + list(chosen)):
                if _respects_real_time(order) and _legal(order, model):
                    return True
    return False


def _respects_real_time(order):
    for later_position, later in enumerate(order):
        for earlier in order[later_position + 1:]:
            if earlier.known and earlier.returned < later.invoked:
                return False
    return True


def _legal(order, model):
    state = model.initial
    for o in order:
        legal, state = model.step(state, o.kind, o.argument, o.result, o.known)
        if not legal:
            return False
    return True


@st.composite
def cas_histories(draw):
    count = draw(st.integers(1, 5))
    history = []
    for index in range(count):
        invoked = draw(st.integers(0, 8))
        returned = draw(st.one_of(st.none(), st.integers(invoked, invoked + 6)))
        kind = draw(st.sampled_from(["read", "write", "cas"]))
        values = st.sampled_from([None, 1, 2])
        argument = draw(st.tuples(values, values)) if kind == "cas" else draw(values) if kind == "write" else None
        result = None
        if returned is not None and kind == "read":
            result = draw(values)
        elif returned is not None and kind == "cas":
            result = draw(st.booleans())
        history.append(Operation(str(index), kind, None, argument, result, invoked, returned))
    return history


@settings(max_examples=400, deadline=None)
@given(cas_histories())
def test_the_search_agrees_with_trying_every_order(history):
    model = model_named("cas-register")
    reads_dropped = [o for o in history if o.known or o.kind != "read"]
    assert (search(reads_dropped, model).status == LINEARIZABLE) == brute_force(history, model)


def test_the_oracle_can_tell_the_difference():
    model = model_named("cas-register")
    assert brute_force([write(1, 0, 1), read(1, 2, 3)], model)
    assert not brute_force([write(1, 0, 1), read(2, 2, 3)], model)
    assert not brute_force([read(1, 0, 1), write(1, 2, 3)], model)


def test_an_empty_history_is_linearizable():
    verdict = check_history([], "kv")
    assert verdict.status == LINEARIZABLE and verdict.operations == 0 and math.isfinite(verdict.seconds)


def test_concurrent_reads_are_not_ordered_among_themselves():
    """Twenty overlapping reads of one value: trying their orders would take 2^20 configurations."""
    history = [set_("k", "1", 0, 1, "w")] + [get("k", "1", 2 + i / 100, 100, str(i)) for i in range(20)]
    history.append(get("k", "2", 101, 102, "late"))
    outcome = search(history, model_named("service"))
    assert outcome.status == NOT_LINEARIZABLE and outcome.steps < 1000
