"""The pytest plugin: `pytest specs/` collects each spec as a test, and a failure shows the counterexample."""

import xml.etree.ElementTree as ET
from pathlib import Path

SPECS = Path(__file__).resolve().parent.parent / "specs"


def write_specs(pytester):
    """A passing spec, a spec whose expectation is wrong, a slow one, and a TOML file that is not a spec."""
    finds_bug = (SPECS / "check_prev_log_term.toml").read_text()
    specs = pytester.mkdir("specs")
    (specs / "check_prev_log_term.toml").write_text(finds_bug)
    wrong = finds_bug.replace('[expect]\nverdict = "violation"\ninvariant = "LogMatching"', "")
    assert wrong != finds_bug
    (specs / "expects_a_pass_wrongly.toml").write_text(wrong)
    (specs / "slow.toml").write_text("ci = false\n" + (SPECS / "vote_once_per_term.toml").read_text())
    pytester.mkdir("config")
    (pytester.path / "config" / "app.toml").write_text("[server]\nport = 1\n")


def test_each_spec_is_a_test_and_a_failure_shows_the_timeline(pytester):
    write_specs(pytester)
    result = pytester.runpytest("-p", "no:cacheprovider", "--junitxml", "report.xml")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([
        "*FAIL expects_a_pass_wrongly*violation of LogMatching (expected pass)*",
        "*deliver AppendEntries n3->n1 t3*",
        "LogMatching violated: n1 and n3 agree on the term of entry 3*",
    ])
    cases = ET.parse(pytester.path / "report.xml").getroot().iter("testcase")
    properties = {case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")} for case in cases}
    assert set(properties) == {"check_prev_log_term", "expects_a_pass_wrongly", "slow"}
    assert properties["check_prev_log_term"]["verdict"] == "violation of LogMatching"
    assert int(properties["check_prev_log_term"]["states"]) > 0


def test_quick_skips_specs_marked_ci_false(pytester):
    write_specs(pytester)
    result = pytester.runpytest("-p", "no:cacheprovider", "--raftcheck-quick", "specs/slow.toml", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*ci = false: skipped by --raftcheck-quick*"])


def test_a_bad_spec_is_one_line_at_collection(pytester):
    pytester.mkdir("specs")
    (pytester.path / "specs" / "bad.toml").write_text("[bounds]\nmax_term = -1\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*specs/bad.toml: bounds.max_term: expected*"])
    assert "Traceback" not in result.stdout.str()
