"""Counterexamples as pictures: `check --html` and `view`, tested in a real headless Chromium."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from browser import keep_screenshot
from raftcheck.checker.timeline import short_node
from raftcheck.checker.trace import load_trace, replay
from raftcheck.cli import main
from raftcheck.model.actions import Deliver, Restart

SPECS = Path(__file__).resolve().parent.parent / "specs"


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    """Two switch specs' counterexamples, as traces and as pages."""
    out = tmp_path_factory.mktemp("pictures")
    result = CliRunner().invoke(main, ["check", str(SPECS / "check_prev_log_term.toml"),
                                       str(SPECS / "persist_vote_and_term.toml"),
                                       "--trace-dir", str(out), "--html", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("name", ["check_prev_log_term", "persist_vote_and_term"])
def test_the_page_draws_every_step_of_the_counterexample(drawn, page, name):
    trace = load_trace(drawn / f"{name}.json")
    views = replay(trace).views
    page.goto((drawn / f"{name}.html").as_uri())
    assert page.locator(".arrow").count() == sum(isinstance(a, Deliver) for a in trace.actions) > 0
    assert page.locator(".crash").count() == sum(isinstance(a, Restart) for a in trace.actions)
    assert page.locator(".step-row").count() == len(trace.actions) + 1
    assert page.locator(".step-row.broken").get_attribute("data-step") == str(len(trace.actions))
    assert f"{trace.invariant} violated after step {len(trace.actions)}" in page.inner_text("#verdict")

    page.locator('.step-row[data-step="2"]').click(position={"x": 20, "y": 15})
    cells = page.locator("#states tr td:nth-child(2)").all_inner_texts()
    assert cells == [short_node(node) for node in views[2].nodes]
    assert page.input_value("#step") == "2"
    page.locator("#step").fill("0")
    assert page.locator("#states tr td:nth-child(2)").all_inner_texts() == [short_node(n) for n in views[0].nodes]
    page.locator("#step").fill(str(len(trace.actions)))
    keep_screenshot(page, f"counterexample-{name}.png")
    assert page.errors == []


def test_view_draws_a_saved_trace(drawn, tmp_path):
    result = CliRunner().invoke(main, ["view", str(drawn / "check_prev_log_term.json"), "-o", str(tmp_path / "v.html")])
    assert result.exit_code == 0 and "wrote" in result.output
    page = (tmp_path / "v.html").read_text()
    assert "LogMatching violated" in page and "http" not in page.replace("http://www.w3.org", "")


def test_view_refuses_bad_input_with_one_line(drawn, tmp_path):
    (tmp_path / "bad.json").write_text("{}")
    cases = [
        (["view", str(tmp_path / "missing.json")], "cannot read"),
        (["view", str(tmp_path / "bad.json")], "not a raftcheck trace"),
        (["view", str(drawn / "check_prev_log_term.json"), "-o", str(tmp_path / "no" / "v.html")], "no such directory"),
        (["check", str(SPECS / "check_prev_log_term.toml"), "--html", str(tmp_path / "bad.json")], "--html"),
    ]
    for args, complaint in cases:
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, (args, result.output)
        assert complaint in result.stderr and "Traceback" not in result.output, (args, result.stderr)
