"""The command line: exit codes, reports, replay, and one-line errors for bad input."""

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from raftcheck.cli import main
from raftcheck.core import RULE_DESCRIPTIONS

SPECS = Path(__file__).resolve().parent.parent / "specs"
QUICK = ["vote_once_per_term.toml", "step_down_on_higher_term.toml", "build_cluster_through_bootstrap.toml"]
# The two switch specs are proven quickly: each also runs with every rule on, expecting a pass.
RUNS = [Path(n).stem for n in QUICK] + ["vote_once_per_term+rules", "step_down_on_higher_term+rules"]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    out = tmp_path_factory.mktemp("check")
    result = run("check", *(SPECS / name for name in QUICK), "--json", out / "r.json", "--junit", out / "r.xml",
                 "--trace-dir", out / "traces")
    return result, out


def test_check_exits_zero_when_every_verdict_matches(checked):
    result, _ = checked
    assert result.exit_code == 0, result.output
    assert "5 specs, 5 as expected, 0 not" in result.output
    assert "violation of CandidatesVoteForThemselves" in result.output


def test_check_writes_a_json_report(checked):
    _, out = checked
    report = json.loads((out / "r.json").read_text())
    by_name = {spec["name"]: spec for spec in report["specs"]}
    assert set(by_name) == set(RUNS)
    vote = by_name["vote_once_per_term"]
    assert vote["disabled_rules"] == ["vote_once_per_term"]
    assert vote["verdict"] == "violation" and vote["invariant"] == "VotesAgreeWithVoters"
    assert vote["expected"] == "violation of VotesAgreeWithVoters"
    assert vote["states"] > 0 and vote["transitions"] >= vote["states"] - 1 and vote["depth"] == 3
    assert vote["states_per_second"] > 0 and vote["seconds"] >= 0
    assert len(vote["counterexample"]) == 3
    assert by_name["build_cluster_through_bootstrap"]["verdict"] == "pass"
    assert report["summary"] == {"specs": 5, "matched": 5, "mismatched": 0}


def test_check_writes_a_junit_report(checked):
    _, out = checked
    suite = ET.parse(out / "r.xml").getroot()
    assert suite.tag == "testsuite" and suite.get("tests") == "5" and suite.get("failures") == "0"
    assert sorted(case.get("name") for case in suite.iter("testcase")) == sorted(RUNS)


def test_saved_traces_replay_and_confirm_the_violation(checked):
    _, out = checked
    result = run("replay", out / "traces" / "vote_once_per_term.json")
    assert result.exit_code == 0, result.output
    assert "confirmed: VotesAgreeWithVoters breaks after step 3" in result.output
    assert "timer fires" in result.output


def test_a_tampered_trace_does_not_replay(checked, tmp_path):
    _, out = checked
    trace = json.loads((out / "traces" / "vote_once_per_term.json").read_text())
    del trace["actions"][2]
    (tmp_path / "t.json").write_text(json.dumps(trace))
    result = run("replay", tmp_path / "t.json")
    assert result.exit_code == 1
    assert "does not replay" in result.output


@pytest.mark.parametrize(
    "content, expected",
    [
        ("not json", "not a raftcheck trace"),
        ('{"settings": {}, "invariants": [], "invariant": "x", "message": "", "initial": 0, "actions": [{"type": "Teleport"}]}',
         "not a raftcheck trace"),
    ],
)
def test_malformed_trace_files_fail_with_one_line(tmp_path, content, expected):
    (tmp_path / "bad.json").write_text(content)
    result = run("replay", tmp_path / "bad.json")
    assert result.exit_code == 2
    assert expected in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "content, expected",
    [
        ("[bounds]\nmax_trm = 2\n", "unknown key 'bounds.max_trm'"),
        ('[bounds]\nmax_term = "two"\n', "bounds.max_term: expected int, got str"),
        ("[bounds]\nmax_term = 0\n", "bounds.max_term: expected int >= 1, got 0"),
        ("[cluster]\nbootstrap = [\"n9\"]\n", "cluster.bootstrap: 'n9' is not one of the nodes"),
        ("[check]\ndisabled_rules = [\"nope\"]\n", "check.disabled_rules: unknown rule 'nope'"),
        ("[check]\ninvariants = [\"Nope\"]\n", "check.invariants: unknown invariant 'Nope'"),
        ("[expect]\nverdict = \"violation\"\n", "expect.invariant"),
        ("x = [\n", "not valid TOML"),
    ],
)
def test_malformed_specs_fail_with_one_line_naming_file_and_key(tmp_path, content, expected):
    spec = tmp_path / "bad.toml"
    spec.write_text(content)
    result = run("check", spec)
    assert result.exit_code == 2
    assert f"{spec}: " in result.output and expected in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_check_exits_one_when_a_verdict_differs_from_the_expectation(tmp_path):
    spec = tmp_path / "wrong.toml"
    spec.write_text((SPECS / "vote_once_per_term.toml").read_text().replace('verdict = "violation"', 'verdict = "pass"')
                    .replace('invariant = "VotesAgreeWithVoters"\n', ""))
    result = run("check", spec)
    assert result.exit_code == 1
    assert "FAIL wrong" in result.output and "expected pass" in result.output
    assert "VotesAgreeWithVoters violated: " in result.output, "an unexpected violation prints its counterexample"


def test_a_budget_stops_a_run_with_a_partial_verdict(tmp_path):
    result = run("check", SPECS / "remove_server.toml", "--max-states", "200", "--json", tmp_path / "r.json")
    assert result.exit_code == 1
    assert "partial (reached max_states = 200)" in result.output
    assert json.loads((tmp_path / "r.json").read_text())["specs"][0]["verdict"] == "partial"


def test_check_with_no_specs_or_a_missing_path_is_bad_input(tmp_path):
    assert run("check", tmp_path).exit_code == 2
    assert run("check", tmp_path / "missing.toml").exit_code == 2


def test_explore_takes_the_same_settings_as_flags(tmp_path):
    result = run("explore", "--disable-rule", "vote_once_per_term", "--client-requests", "0", "--max-term", "1",
                 "--max-in-flight", "6", "--trace", tmp_path / "t.json")
    assert result.exit_code == 1
    assert "violation of VotesAgreeWithVoters" in result.output and "depth 3" in result.output
    assert run("replay", tmp_path / "t.json").exit_code == 0
    assert run("explore", "--max-term", "1", "--max-in-flight", "2", "--client-requests", "0").exit_code == 0


def test_explore_rejects_bad_options_with_one_line():
    result = run("explore", "--disable-rule", "nope")
    assert result.exit_code == 2 and "unknown rule 'nope'" in result.output
    result = run("explore", "--search", "dfs")
    assert result.exit_code == 2 and "--max-depth: depth-first search needs a depth bound" in result.output
    assert run("explore", "--nodes", "0").exit_code == 2


def test_rules_lists_every_switch():
    result = run("rules")
    assert result.exit_code == 0
    assert all(name in result.output for name in RULE_DESCRIPTIONS)


def test_tick_mode_and_depth_first_search_run_from_a_spec(tmp_path):
    spec = tmp_path / "ticks.toml"
    spec.write_text(
        '[cluster]\nsymmetry = false\n[timing]\ntimer = "tick"\nelection_timeout = [2, 3]\nheartbeat_interval = 1\n'
        '[bounds]\nmax_term = 1\nmax_in_flight = 6\nclient_requests = 0\nmax_depth = 12\n'
        '[check]\nsearch = "dfs"\ndisabled_rules = ["vote_once_per_term"]\ninvariants = ["ElectionSafety"]\n'
        '[expect]\nverdict = "violation"\ninvariant = "ElectionSafety"\n'
    )
    result = run("check", spec, "--show-counterexamples")
    assert result.exit_code == 0, result.output
    assert "n1: tick" in result.output or "n2: tick" in result.output


def test_progress_is_printed_as_plain_lines_when_not_on_a_terminal(monkeypatch):
    import raftcheck.checker.progress
    import raftcheck.search.bfs

    monkeypatch.setattr(raftcheck.checker.progress, "PLAIN_EVERY_SECONDS", 0.0)
    monkeypatch.setattr(raftcheck.search.bfs, "PROGRESS_EVERY", 500)
    result = run("check", SPECS / "build_cluster_through_bootstrap.toml")
    assert result.exit_code == 0
    progress = [line for line in result.output.splitlines() if line.startswith("  build_cluster_through_bootstrap:")]
    assert progress and "states/s" in progress[0] and "queue" in progress[0]


def test_rules_on_runs_a_switch_spec_with_every_rule_on_expecting_a_pass(tmp_path):
    spec = tmp_path / "tiny.toml"
    spec.write_text('[bounds]\nmax_term = 1\nmax_in_flight = 4\nclient_requests = 0\n'
                    '[check]\ndisabled_rules = ["vote_once_per_term"]\n'
                    '[expect]\nverdict = "violation"\ninvariant = "VotesAgreeWithVoters"\n')
    result = run("check", spec, "--rules-on", "--json", tmp_path / "r.json")
    assert result.exit_code == 0, result.output
    report = {s["name"]: s for s in json.loads((tmp_path / "r.json").read_text())["specs"]}
    assert report["tiny"]["verdict"] == "violation"
    assert report["tiny+rules"]["verdict"] == "pass" and report["tiny+rules"]["disabled_rules"] == []


def test_quick_runs_only_the_quick_rules_on_proofs(tmp_path):
    body = ('[bounds]\nmax_term = 1\nmax_in_flight = 4\nclient_requests = 0\n'
            '[check]\ndisabled_rules = ["vote_once_per_term"]\n'
            '[expect]\nverdict = "violation"\ninvariant = "VotesAgreeWithVoters"\n')
    (tmp_path / "quick.toml").write_text('proof = "quick"\n' + body)
    (tmp_path / "slow.toml").write_text(body)
    names = lambda *flags: {s["name"] for s in json.loads(run("check", tmp_path, *flags, "--json", "-").stdout)["specs"]}
    (tmp_path / "unproven.toml").write_text(body)
    (tmp_path / "slow.toml").write_text('proof = "slow"\n' + body)
    assert names("--quick") == {"quick", "slow", "unproven", "quick+rules"}
    assert names() == {"quick", "slow", "unproven", "quick+rules", "slow+rules"}
    assert names("--rules-on") == names() | {"unproven+rules"}


def test_version_and_short_help():
    assert run("--version").output.startswith("raftcheck, version ")
    assert "Usage: " in run("check", "-h").output and "--quick" in run("check", "-h").output
    assert "--max-term" in run("explore", "-h").output


def test_a_report_on_stdout_is_only_the_report():
    result = CliRunner().invoke(main, ["check", str(SPECS / "vote_once_per_term.toml"), "--json", "-"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["summary"] == {"specs": 2, "matched": 2, "mismatched": 0}, "the spec and its rules-on proof"
    assert "2 specs, 2 as expected" in result.stderr


def test_progress_goes_to_stderr(monkeypatch):
    import raftcheck.checker.progress
    import raftcheck.search.bfs

    monkeypatch.setattr(raftcheck.checker.progress, "PLAIN_EVERY_SECONDS", 0.0)
    monkeypatch.setattr(raftcheck.search.bfs, "PROGRESS_EVERY", 500)
    result = CliRunner().invoke(main, ["check", str(SPECS / "build_cluster_through_bootstrap.toml")])
    assert "states/s, queue" in result.stderr and "queue" not in result.stdout


@pytest.mark.parametrize("flags", [["--json", "{missing}/r.json"], ["--junit", "{missing}/r.xml"],
                                   ["--json", "{dir}"]])
def test_an_unwritable_output_path_is_refused_before_the_run(tmp_path, flags):
    flags = [f.format(missing=tmp_path / "missing", dir=tmp_path) for f in flags]
    result = CliRunner().invoke(main, ["check", str(SPECS / "remove_server.toml"), *flags])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {flags[0]} ") and len(result.stderr.strip().splitlines()) == 1
    assert "remove_server" not in result.stdout, "refused before any spec ran"


def test_explore_says_when_there_is_no_trace_to_write(tmp_path):
    result = CliRunner().invoke(main, ["explore", "--max-term", "1", "--max-in-flight", "2", "--client-requests", "0",
                                       "--trace", str(tmp_path / "t.json")])
    assert result.exit_code == 0
    assert "no counterexample (pass): no trace written to" in result.stderr
    assert not (tmp_path / "t.json").exists()


def test_a_narrow_terminal_gets_one_node_per_line(monkeypatch):
    import raftcheck.cli.output

    monkeypatch.setattr(raftcheck.cli.output.console, "_width", 80)
    result = run("check", SPECS / "vote_once_per_term.toml", "--show-counterexamples")
    lines = result.output.splitlines()
    assert "1  n1: timer fires" in lines and "     n1: C t1 v:n1 c1 [config{n1,n2,n3}/0]" in lines
    assert all(len(line) <= 130 for line in lines if not line.startswith("ok "))


def test_jobs_run_specs_in_processes_of_their_own_with_the_same_results_in_the_same_order(checked, tmp_path):
    _, out = checked
    result = run("check", *(SPECS / name for name in QUICK), "--jobs", "2", "--json", tmp_path / "r.json")
    assert result.exit_code == 0, result.output
    alone, together = (json.loads(path.read_text())["specs"] for path in (out / "r.json", tmp_path / "r.json"))
    fields = ("name", "verdict", "invariant", "message", "states", "transitions", "depth", "counterexample")
    assert [[spec[f] for f in fields] for spec in together] == [[spec[f] for f in fields] for spec in alone]
    assert run("check", SPECS / QUICK[0], "--jobs", "2", "--ray-address", "127.0.0.1:1").exit_code == 2


def test_a_spec_whose_start_does_not_fit_is_reported_and_the_others_still_run(tmp_path):
    result = CliRunner().invoke(main, ["check", str(SPECS / "commit_current_term_only.toml"), str(SPECS / QUICK[2]),
                                       "--jobs", "2", "--feature", "pre_vote", "--json", str(tmp_path / "r.json")])
    assert result.exit_code == 2, result.output  # its prefix needs PreVote off
    assert "ERR  commit_current_term_only " in result.stdout and "matches several steps" in result.stdout
    report = {spec["name"]: spec for spec in json.loads((tmp_path / "r.json").read_text())["specs"]}
    assert report["build_cluster_through_bootstrap"]["verdict"] == "pass"
    assert report["build_cluster_through_bootstrap"]["error"] is None
    assert "matches several steps" in report["commit_current_term_only"]["error"]
    assert report["commit_current_term_only"]["matches"] is False


