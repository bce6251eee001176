"""`raftcheck linearizable`: exit codes 0, 1, 3 and 2, JSON output, and the HTML picture in a real Chromium."""

import json
from pathlib import Path

from click.testing import CliRunner

from browser import keep_screenshot
from raftcheck.cli import main
from raftcheck.linearizability import Operation, write_history
from test_linearizability import hard_history

DATA = Path(__file__).resolve().parent / "data" / "porcupine-kv"


def run(*args):
    return CliRunner().invoke(main, ["linearizable", *map(str, args)], catch_exceptions=False)


def test_a_linearizable_history_exits_zero():
    result = run(DATA / "c10-ok.txt")
    assert result.exit_code == 0, result.output
    assert "c10-ok.txt: linearizable (model kv, 337 operations on " in result.output


def test_a_violation_exits_one_with_the_operation_that_cannot_be_placed(tmp_path):
    result = run(DATA / "c01-bad.txt", "--json", tmp_path / "v.json")
    assert result.exit_code == 1
    assert "cannot place next: client 0: get() -> 'x 0 0 y' (invoked at 59, returned at 60)" in result.output
    document = json.loads((tmp_path / "v.json").read_text())
    assert document["verdict"] == "not linearizable" and document["witness"]["key"] == "7"
    assert [op["kind"] for op in document["witness"]["linearized"]] == ["get", "append", "append"]
    assert document["witness"]["cannot_place"]["invoked"] == 59


def test_json_on_stdout_keeps_stdout_machine_readable():
    result = CliRunner().invoke(main, ["linearizable", str(DATA / "c01-ok.txt"), "--json", "-"])
    assert json.loads(result.stdout)["verdict"] == "linearizable"


def test_a_search_out_of_time_exits_three(tmp_path):
    write_history(tmp_path / "hard.jsonl", hard_history(14))
    result = run(tmp_path / "hard.jsonl", "--timeout", "0.3", "--jobs", "1")
    assert result.exit_code == 3, result.output
    assert "unknown" in result.output and "time ran out before deciding key 'k'" in result.output


def test_bad_input_is_one_line_and_exit_two(tmp_path):
    (tmp_path / "cas.edn").write_text('{:process 0, :type :invoke, :f :cas, :key "k", :value ["a" "b"]}\n')
    cases = [
        ([tmp_path / "cas.edn"], "cas.edn:1: model 'kv' has no operation :cas"),
        ([tmp_path / "missing.edn"], "missing.edn: cannot read: No such file or directory"),
        ([DATA / "c01-ok.txt", "--timeout", "-1"], "--timeout: expected a positive number of seconds"),
        ([DATA / "c01-ok.txt", "--json", tmp_path / "no" / "v.json"], "--json"),
        ([DATA / "c01-ok.txt", "--model", "queue"], "Invalid value for '--model'"),
        ([DATA / "c01-ok.txt", "--model", "service"], "model 'service' has no operation :append"),
    ]
    for args, complaint in cases:
        result = CliRunner().invoke(main, ["linearizable", *map(str, args)])
        assert result.exit_code == 2, (args, result.output)
        assert complaint in result.stderr and "Traceback" not in result.output, (args, result.stderr)


def test_the_picture_is_only_for_a_violation(tmp_path):
    result = run(DATA / "c01-ok.txt", "--html", tmp_path / "v.html")
    assert result.exit_code == 0 and not (tmp_path / "v.html").exists()
    assert "no picture written" in result.stderr


def test_the_picture_of_c01_bad_in_chromium(tmp_path, page):
    assert run(DATA / "c01-bad.txt", "--html", tmp_path / "c01-bad.html").exit_code == 1
    page.goto((tmp_path / "c01-bad.html").as_uri())
    bars = page.locator("#history .op")
    assert bars.count() == 5, "one bar per operation on the bad key '7'"
    assert page.locator("#history .op.linearized").count() == 3
    assert page.locator("#history .op.stuck").count() == 1
    assert page.locator("#clients text").all_text_contents() == ["client 0"]

    page.locator(".op.stuck rect").click()
    assert "get() -> 'x 0 0 y'" in page.inner_text("#detail")
    assert "cannot be placed after the prefix" in page.inner_text("#detail")
    page.locator(".op.linearized rect").nth(1).click()
    assert "linearized 2 of 3, state after: 'x 0 0 y'" in page.inner_text("#detail")

    page.locator("#step").fill("1")
    assert page.inner_text("#state") == "after 1 of 3: state ''"
    assert page.locator(".op.linearized.later").count() == 2
    keep_screenshot(page, "linearizability-c01-bad.png")
    assert page.errors == []


def test_the_picture_escapes_what_clients_wrote(tmp_path, page):
    evil = "</script><script>window.pwned = 1</script>"
    history = [Operation(evil, "set", "k", evil, None, 0, 1), Operation("b", "get", "k", None, "other", 2, 3)]
    write_history(tmp_path / "h.jsonl", history)
    assert run(tmp_path / "h.jsonl", "--model", "service", "--html", tmp_path / "h.html").exit_code == 1
    page.goto((tmp_path / "h.html").as_uri())
    assert page.evaluate("window.pwned") is None and page.errors == []
    assert page.locator("#history .op").count() == 2
