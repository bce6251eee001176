"""Public histories with known verdicts, and the readers' refusals of malformed input.

The six histories are Porcupine's Jepsen key-value test data (MIT, see
data/porcupine-kv/LICENSE.md): nobody here wrote them, and their verdicts
are in their names.
"""

from pathlib import Path

import edn_format
import pytest

from raftcheck.errors import HistoryError
from raftcheck.linearizability import (
    LINEARIZABLE, NOT_LINEARIZABLE, Operation, check_history, model_named, read_history, write_history,
)
from raftcheck.linearizability.formats import _edn_events, _flat_events, _from_edn, parse_edn

DATA = Path(__file__).resolve().parent / "data" / "porcupine-kv"
HISTORIES = sorted(DATA.glob("c*.txt"))
KV = model_named("kv")


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
def test_each_public_history_gets_its_known_verdict(path):
    expected = LINEARIZABLE if path.stem.endswith("-ok") else NOT_LINEARIZABLE
    verdict = check_history(read_history(path, KV), KV, timeout=60)
    assert verdict.status == expected
    if expected == NOT_LINEARIZABLE:
        witness = verdict.witness
        assert witness.stuck is not None and witness.stuck not in {index for index, _ in witness.prefix}


def test_there_are_six_public_histories():
    assert len(HISTORIES) == 6


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
def test_the_fast_reader_agrees_with_the_edn_library(path):
    text = path.read_text()
    assert _flat_events(text) == [_from_edn(form) for form in edn_format.loads_all(text)]


def test_events_the_fast_reader_does_not_know_go_to_the_edn_library():
    text = '{:process 0, :type :invoke, :f :cas, :value [1 2]}\n{:process 0, :type :ok, :f :cas, :value [1 2]}\n'
    assert _flat_events(text) is None
    assert _edn_events(text, "h")[0]["value"] == (1, 2)


def test_info_and_unfinished_calls_are_unknown_and_failures_are_left_out():
    text = "\n".join([
        '{:process 0, :type :invoke, :f :put, :key "k", :value "a"}',
        '{:process 1, :type :invoke, :f :put, :key "k", :value "b"}',
        '{:process 2, :type :invoke, :f :append, :key "k", :value "c"}',
        '{:process 0, :type :info, :f :put, :key "k", :value "a"}',
        '{:process 1, :type :fail, :f :put, :key "k", :value "b"}',
        '{:process :nemesis, :type :info, :f :start, :value nil}',
        '{:process 3, :type :invoke, :f :get, :key "k", :value nil}',
        '{:process 3, :type :ok, :f :get, :key "k", :value "a"}',
    ])
    history = parse_edn(text, KV)
    assert [(o.client, o.kind, o.known) for o in history] == [("0", "put", False), ("2", "append", False),
                                                              ("3", "get", True)]
    assert history[2].result == "a" and history[2].invoked == 7 and history[2].returned == 8, "times are line numbers"
    assert check_history(history, KV)


@pytest.mark.parametrize("text, complaint", [
    ('{:process 0, :type :invoke, :f :cas, :key "k", :value ["a" "b"]}', r"h:1: model 'kv' has no operation :cas"),
    ('{:process 0, :type :invoke, :f :get, :key "k", :value nil}\n{:process 0, :type :ok, :f :get, :key "k", :value 5}',
     r"h:1: get on key 'k': result 5 is not what 'kv' returns"),
    ('{:process 0, :type :invoke, :f :append, :key "k", :value 5}', r"h:1: append on key 'k': argument 5 is not"),
    ('{:process 0, :type :ok, :f :get, :key "k", :value ""}', r"h:1: process 0 completes a call it never invoked"),
    ('{:process 0, :type :invoke, :f :get, :key "k"}\n{:process 0, :type :invoke, :f :get, :key "k"}',
     r"h:2: process 0 invokes again"),
    ('{:process 0, :type :begin, :f :get, :key "k"}', r"h:1: :type must be :invoke, :ok, :fail or :info"),
    ('{:process 0, :type :invoke, :f :get, :key "k"}\n{:process 0, :type :ok, :f :put, :key "k"}',
     r"h:2: :put completes process 0's :get"),
    ('{:process 0, :type :invoke, :f :get, :key "k"}\n{:process 0, :type :invoke',
     r"h:2: not EDN"),
    ('[1 2 3]', r"h:1: expected a map"),
    ('{:process 0, :type :invoke, :f :get, :key {:a 1}}', r":key must be a string or an integer"),
])
def test_malformed_events_are_refused_with_one_line(text, complaint):
    with pytest.raises(HistoryError, match=complaint) as caught:
        parse_edn(text, KV, "h")
    assert "\n" not in str(caught.value)


def test_raftcheck_histories_round_trip(tmp_path):
    history = [Operation("a", "cas", None, (1, 2), True, 0.5, 1.5), Operation("b", "read", None, None, None, 1.0, None)]
    write_history(tmp_path / "h.jsonl", history)
    assert read_history(tmp_path / "h.jsonl", model_named("cas-register")) == history


@pytest.mark.parametrize("line, complaint", [
    ('{"client": "a", "kind": "get"}', r"h.jsonl:1: Object missing required field"),
    ('{"client": "a", "kind": "get", "key": "k", "invoked": "soon", "returned": null}', r"h.jsonl:1: Expected `float`"),
    ('not json', r"h.jsonl:1: "),
])
def test_malformed_raftcheck_histories_are_refused(tmp_path, line, complaint):
    (tmp_path / "h.jsonl").write_text(line + "\n")
    with pytest.raises(HistoryError, match=complaint):
        read_history(tmp_path / "h.jsonl", KV)
