"""One settings schema: every front end has the same defaults, and every bad value is one line."""

import json

import pytest
from click.testing import CliRunner

import raftcheck.cli.checking
import raftcheck.service.server
from raftcheck import load_spec
from raftcheck.cli import main
from raftcheck.core import NodeParams
from raftcheck.settings import Service, Settings, all_fields, from_flat, service_fields, validate


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_an_empty_spec_and_explore_without_flags_get_the_schema_defaults(tmp_path, monkeypatch):
    (tmp_path / "empty.toml").write_text("")
    from_spec = load_spec(tmp_path / "empty.toml").settings
    seen = []
    monkeypatch.setattr(raftcheck.cli.checking, "run_spec", lambda spec, progress, **options: seen.append(spec) or 1 / 0)
    with pytest.raises(ZeroDivisionError):
        run("explore")
    assert from_spec == seen[0].settings == validate(Settings()) == from_flat({})


def test_core_parameters_default_to_the_cores_own_defaults():
    core, params = NodeParams(), from_flat({}).params
    for name in ("election_timeout_low", "election_timeout_high", "heartbeat_interval", "catchup_rounds",
                 "max_entries_per_append", "rules"):
        assert getattr(params, name) == getattr(core, name), name


def test_the_service_shares_the_checkers_core_parameters(monkeypatch):
    captured = []

    async def fake_serve(address, bootstrap, directory, params, tick_ms, key, client_token, fault_injection, record):
        captured.append((params, tick_ms))

    monkeypatch.setattr(raftcheck.service.server, "serve", fake_serve)
    monkeypatch.setenv("RAFTCHECK_CLUSTER_SECRET", "a secret of sixteen bytes or more")
    assert run("server", "127.0.0.1:1", "--data-dir", "/nonexistent/never-created").exit_code == 0
    params, tick_ms = captured[0]
    service = Service()
    assert tick_ms == service.tick_ms
    assert params.catchup_rounds == NodeParams().catchup_rounds == from_flat({}).timing.catchup_rounds
    assert params.max_entries_per_append == NodeParams().max_entries_per_append
    assert params.election_timeout_low == service.election_timeout_ms[0] // service.tick_ms
    assert run("server", "127.0.0.1:1", "--catchup-rounds", "3").exit_code == 0
    assert captured[1][0].catchup_rounds == 3


def test_every_setting_has_help_and_a_distinct_flag():
    fields = all_fields() + [f for f in service_fields() if f.section == "service"]
    assert all(f.help for f in fields)
    assert len({f.flag for f in fields}) == len(fields)
    help_text = run("explore", "--help").output
    assert all(f.flag in help_text for f in all_fields())


SPEC_ERRORS = [
    ("[check]\nmax_states = -5\n", "check.max_states: expected a number from 1 to 1e+12, got -5"),
    ("[check]\nmax_seconds = -1\n", "check.max_seconds: expected a number from 0.001 to"),
    ("[check]\nmax_seconds = nan\n", "check.max_seconds: expected a number from 0.001 to"),
    ("[cluster]\nnodes = -2\n", "cluster.nodes: expected int >= 1, got -2"),
    ("[cluster]\nnodes = 9\n", "cluster.nodes: expected int <= 7, got 9"),
    ("[cluster]\nnodes = [\"a\", \"a\"]\n", "cluster.nodes: node names must be distinct"),
    ("[timing]\nelection_timeout = [5, 2]\n", "timing.election_timeout: expected LOW <= HIGH, got [5, 2]"),
    ("[timing]\ntimer = \"sometimes\"\n", "timing.timer: invalid enum value 'sometimes'"),
    ("[failures]\ncrashes = 1.5\n", "failures.crashes: expected int, got float"),
    ("[cluster]\nbootstrap = [\"n2\"]\ninitial_members = [\"n1\", \"n2\"]\n", "cluster.initial_members: a node cannot"),
    ("colour = \"blue\"\n", "unknown key 'colour'"),
    ("start = [{ timer = \"n1\", colour = 3 }]\n", "start[0]: timer: no field 'colour' to match; fields: node"),
    ("start = [{ deliver = \"Pigeon\" }]\n", "start[0]: deliver: unknown message type 'Pigeon'"),
    ("start = [{ deliver = \"RequestVoteRequest\", term = \"two\" }]\n", "term = 'two' is not a int"),
    ("start = [\"n1: timer fires\"]\n", "start[0]: expected object, got str"),
    ("start = [{ deliver = \"AppendEntriesRequest\", entries = \"some\" }]\n",
     "entries = 'some': a sequence field is matched by its length, a whole number"),
    ("start = [{ elect = \"n1\" }]\n", "start[0]: elect: name the candidate and its voters"),
    ("start = [{ elect = \"n1\", voters = \"n2\" }]\n", "start[0]: elect: the candidate is a node name and voters"),
    ("start = [{ elect = \"n1\", voters = [\"n1\"] }]\n", "start[0]: elect: the candidate and its voters are different"),
    ("start = [{ elect = \"n1\", voters = [\"n9\"] }]\n", "start[0]: elect: no node 'n9'; nodes: n1, n2, n3"),
]


def test_a_start_step_tells_a_heartbeat_from_an_append_by_how_many_entries_it_carries(tmp_path):
    """A heartbeat and the append after it have the same previous index: only their entries tell them apart."""
    steps = ('{ timer = "n1" }, { deliver = "RequestVoteRequest", dst = "n2" }, { deliver = "RequestVoteResponse" },'
             ' { deliver = "AppendEntriesRequest", dst = "n2" }, { deliver = "AppendEntriesResponse" },'
             ' { timer = "n1" }, { client_write = "n1" }, ')
    spec = tmp_path / "steps.toml"

    def outcome(last: str) -> str:
        spec.write_text(f"start = [{steps}{last}]\n[failures]\ndrops = 1\n[bounds]\nmax_in_flight = 8\n")
        return run("check", spec, "--max-states", "10").output

    both = outcome('{ drop = "AppendEntriesRequest", dst = "n2" }')
    assert "matches several steps" in both and "entries = 0" in both and "entries = 1" in both
    assert "is not possible there" in outcome('{ drop = "AppendEntriesRequest", dst = "n2", entries = 2 }')
    for entries in (0, 1):
        assert "partial (reached max_states" in outcome(f'{{ drop = "AppendEntriesRequest", dst = "n2", entries = {entries} }}')


@pytest.mark.parametrize("content, expected", SPEC_ERRORS)
def test_each_bad_spec_value_is_one_line_naming_the_key(tmp_path, content, expected):
    spec = tmp_path / "bad.toml"
    spec.write_text(content)
    result = run("check", spec)
    assert result.exit_code == 2
    assert f"{spec}: " in result.output and expected in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1


FLAG_ERRORS = [
    (["--max-seconds", "nan"], "--max-seconds: expected a number from 0.001 to"),
    (["--max-states", "-5"], "--max-states: expected a number from 1 to 1e+12, got -5"),
    (["--nodes", "-2"], "--nodes: expected int >= 1, got -2"),
    (["--max-term", "0"], "--max-term: expected int >= 1, got 0"),
    (["--election-timeout", "5", "2"], "--election-timeout: expected LOW <= HIGH"),
    (["--disable-rule", "nope"], "--disable-rule: unknown rule 'nope'"),
    (["--invariant", "Nope"], "--invariant: unknown invariant 'Nope'"),
    (["--bootstrap", "n9"], "--bootstrap: 'n9' is not one of the nodes"),
    (["--start", "{ teleport = \"n1\" }"], "start[0]: name exactly one of"),
    (["--start", "timer = n1"], "--start: 'timer = n1' is not a TOML inline table"),
]


@pytest.mark.parametrize("flags, expected", FLAG_ERRORS, ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_each_bad_flag_value_is_one_line_naming_the_flag(flags, expected):
    result = run("explore", *flags)
    assert result.exit_code == 2
    assert expected in result.output, result.output
    assert "Traceback" not in result.output


def test_check_overrides_are_validated_like_the_spec(tmp_path):
    (tmp_path / "empty.toml").write_text("")
    result = run("check", tmp_path / "empty.toml", "--max-seconds", "nan")
    assert result.exit_code == 2 and "--max-seconds: expected a number" in result.output


def test_a_trace_claiming_a_huge_cluster_is_refused_before_anything_is_built(tmp_path):
    trace = {"settings": {"cluster": {"nodes": 100}}, "invariant": "ElectionSafety", "message": "", "initial": 0,
             "actions": [], "format": 2}
    (tmp_path / "t.json").write_text(json.dumps(trace))
    result = run("replay", tmp_path / "t.json")
    assert result.exit_code == 2
    assert "settings.cluster.nodes: expected int <= 7, got 100" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_the_public_api_validates_overrides(tmp_path):
    import raftcheck

    (tmp_path / "s.toml").write_text("")
    result = raftcheck.check(tmp_path / "s.toml", max_states=50)
    assert result.verdict == "partial" and result.search.states >= 50
    with pytest.raises(raftcheck.SettingsError, match="unknown setting 'max_trem'"):
        raftcheck.check(tmp_path / "s.toml", max_trem=3)
    with pytest.raises(raftcheck.RaftcheckError, match="check.max_states"):
        raftcheck.check(tmp_path / "s.toml", max_states=0)
