"""The linearizability checker rejects known bad histories and accepts known good ones."""

from raftcheck.linearizability import Operation, check_history


def op(kind, key, value, invoked, returned, client="c"):
    return Operation(client, kind, key, value, invoked, returned)


def test_sequential_history_is_linearizable():
    history = [op("set", "x", "1", 0, 1), op("get", "x", "1", 2, 3), op("set", "x", "2", 4, 5), op("get", "x", "2", 6, 7)]
    assert check_history(history)


def test_stale_read_after_a_completed_write_is_rejected():
    history = [op("set", "x", "1", 0, 1), op("set", "x", "2", 2, 3), op("get", "x", "1", 4, 5)]
    verdict = check_history(history)
    assert not verdict and verdict.key == "x"


def test_lost_acknowledged_write_is_rejected():
    history = [op("set", "x", "1", 0, 1), op("get", "x", None, 2, 3)]
    assert not check_history(history)


def test_concurrent_operations_may_take_effect_in_either_order():
    history = [
        op("set", "x", "1", 0, 10, "a"),
        op("set", "x", "2", 1, 9, "b"),
        op("get", "x", "1", 11, 12, "c"),
        op("get", "x", "1", 13, 14, "d"),
    ]
    assert check_history(history)
    history.append(op("get", "x", "2", 15, 16, "e"))
    assert not check_history(history), "once 1 is read after both writes ended, 2 cannot reappear"


def test_a_read_cannot_see_a_write_invoked_after_it_returned():
    history = [op("get", "x", "1", 0, 1), op("set", "x", "1", 2, 3)]
    assert not check_history(history)


def test_unknown_writes_may_or_may_not_take_effect():
    assert check_history([op("set", "x", "1", 0, None), op("get", "x", "1", 5, 6)])
    assert check_history([op("set", "x", "1", 0, None), op("get", "x", None, 5, 6)])
    history = [op("set", "x", "1", 0, None), op("get", "x", "1", 5, 6), op("get", "x", None, 7, 8)]
    assert not check_history(history), "once visible, an unknown write stays visible"


def test_keys_are_checked_independently():
    history = [op("set", "x", "1", 0, 1), op("set", "y", "2", 0, 1), op("get", "y", "2", 2, 3), op("get", "x", "2", 2, 3)]
    verdict = check_history(history)
    assert not verdict and verdict.key == "x"


def test_larger_concurrent_history_is_checked_quickly():
    history = []
    for round_ in range(40):
        base = round_ * 10
        history += [op("set", "k", f"{round_}a", base, base + 5, "a"), op("set", "k", f"{round_}b", base + 1, base + 6, "b"),
                    op("get", "k", f"{round_}b", base + 2, base + 7, "c")]
    assert check_history(history)
