"""Reports of a `raftcheck check` run: the one-line summary per spec, JSON and JUnit XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import msgspec

from raftcheck.checker.runner import Result
from raftcheck.checker.timeline import short_action


def json_report(outcomes: list[Result]) -> dict:
    specs = []
    for outcome in outcomes:
        result = outcome.search
        specs.append(
            {
                "name": outcome.spec.name,
                "path": outcome.spec.path,
                "disabled_rules": list(outcome.spec.settings.check.disabled_rules),
                "expected": outcome.expected,
                "verdict": result.verdict,
                "matches": outcome.matches,
                "error": outcome.error,
                "invariant": outcome.invariant,
                "message": result.violation.message if result.violation else None,
                "states": result.states,
                "transitions": result.transitions,
                "depth": result.depth,
                "seconds": round(result.seconds, 3),
                "states_per_second": round(result.states_per_second, 1),
                "stopped_because": result.stopped_because,
                "exhaustive": result.exhaustive,
                "coverage": result.coverage,
                "unexpanded": result.unexpanded,
                "goals": {name: how is not None for name, how in result.goals.items()},
                "goals_reached_by": result.goals,
                "counterexample": (
                    [short_action(a) for a in outcome.trace.actions] if outcome.trace is not None else None
                ),
                "trace": msgspec.to_builtins(outcome.trace) if outcome.trace is not None else None,
                "settings": msgspec.to_builtins(outcome.spec.settings),
            }
        )
    matched = sum(o.matches for o in outcomes)
    return {"specs": specs, "summary": {"specs": len(outcomes), "matched": matched, "mismatched": len(outcomes) - matched}}


def json_document(outcomes: list[Result]) -> bytes:
    return msgspec.json.format(msgspec.json.encode(json_report(outcomes)))


def junit_document(outcomes: list[Result]) -> bytes:
    """One test case per spec; a verdict other than the expected one is a failure."""
    suite = ET.Element(
        "testsuite",
        name="raftcheck",
        tests=str(len(outcomes)),
        failures=str(sum(not o.matches and o.error is None for o in outcomes)),
        errors=str(sum(o.error is not None for o in outcomes)),
        time=f"{sum(o.search.seconds for o in outcomes):.3f}",
    )
    for outcome in outcomes:
        case = ET.SubElement(
            suite, "testcase", classname="raftcheck.specs", name=outcome.spec.name, time=f"{outcome.search.seconds:.3f}"
        )
        summary = f"expected {outcome.expected}, found {outcome.found}"
        if outcome.error is not None:
            ET.SubElement(case, "error", message=outcome.error)
        elif not outcome.matches:
            failure = ET.SubElement(case, "failure", message=summary)
            failure.text = outcome.search.violation.message if outcome.search.violation else summary
        ET.SubElement(case, "system-out").text = (
            f"{summary}; {outcome.search.states} states, {outcome.search.transitions} transitions, "
            f"depth {outcome.search.depth}"
        )
    return ET.tostring(suite, encoding="utf-8", xml_declaration=True)


def result_line(result: Result, show_expectation: bool = True) -> str:
    """One line per spec: the mark, the verdict (and what was expected if it differs), and the search's numbers."""
    r = result.search
    if result.error is not None:
        return f"ERR  {result.spec.name:<36} {result.found}"
    mark = ("ok  " if result.matches else "FAIL") if show_expectation else ""
    expectation = f" (expected {result.expected})" if show_expectation and not result.matches else ""
    goals = f", goals {len(r.goals) - len(r.unreached_goals)}/{len(r.goals)}" if r.goals else ""
    unexpanded = ", ".join(f"{reason} {count:,}" for reason, count in sorted(r.unexpanded.items()))
    return (
        f"{mark} {result.spec.name:<36} {result.found}{expectation}: {r.states:,} states, "
        f"{r.transitions:,} transitions, depth {r.depth}, {r.seconds:.2f}s, {r.states_per_second:,.0f} states/s"
        f"{goals}" + (f"; not expanded: {unexpanded}" if unexpanded and r.verdict == "pass" else "")
    ).strip()
