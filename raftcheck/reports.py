"""Machine-readable reports of a `raftcheck check` run: JSON and JUnit XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import msgspec

from raftcheck.runner import Outcome
from raftcheck.timeline import short_action


def json_report(outcomes: list[Outcome]) -> dict:
    specs = []
    for outcome in outcomes:
        result = outcome.result
        specs.append(
            {
                "name": outcome.spec.name,
                "path": outcome.spec.path,
                "disabled_rules": list(outcome.spec.settings.rules.disabled()),
                "expected": outcome.expected,
                "verdict": result.verdict,
                "matches": outcome.matches,
                "invariant": outcome.invariant,
                "message": result.violation.message if result.violation else None,
                "states": result.states,
                "transitions": result.transitions,
                "depth": result.depth,
                "seconds": round(result.seconds, 3),
                "states_per_second": round(result.states_per_second, 1),
                "stopped_because": result.stopped_because,
                "counterexample": (
                    [short_action(a) for a in outcome.trace.actions] if outcome.trace is not None else None
                ),
                "trace": msgspec.to_builtins(outcome.trace) if outcome.trace is not None else None,
            }
        )
    matched = sum(o.matches for o in outcomes)
    return {"specs": specs, "summary": {"specs": len(outcomes), "matched": matched, "mismatched": len(outcomes) - matched}}


def write_json(outcomes: list[Outcome], path: str | Path) -> None:
    Path(path).write_bytes(msgspec.json.format(msgspec.json.encode(json_report(outcomes))))


def write_junit(outcomes: list[Outcome], path: str | Path) -> None:
    """One test case per spec; a verdict other than the expected one is a failure."""
    suite = ET.Element(
        "testsuite",
        name="raftcheck",
        tests=str(len(outcomes)),
        failures=str(sum(not o.matches for o in outcomes)),
        errors="0",
        time=f"{sum(o.result.seconds for o in outcomes):.3f}",
    )
    for outcome in outcomes:
        case = ET.SubElement(
            suite, "testcase", classname="raftcheck.specs", name=outcome.spec.name, time=f"{outcome.result.seconds:.3f}"
        )
        summary = f"expected {outcome.expected}, found {outcome.found}"
        if not outcome.matches:
            failure = ET.SubElement(case, "failure", message=summary)
            failure.text = outcome.result.violation.message if outcome.result.violation else summary
        ET.SubElement(case, "system-out").text = (
            f"{summary}; {outcome.result.states} states, {outcome.result.transitions} transitions, "
            f"depth {outcome.result.depth}"
        )
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
