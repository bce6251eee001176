"""Scenario files (`specs/*.toml`): what to explore and which verdict to expect.

A spec is the settings of `raftcheck.settings` as TOML tables, plus a
description, a `start` prefix of structured steps and the expected verdict.
Any problem becomes one SpecError line naming the file and the key.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import msgspec

from raftcheck.core import FEATURE_DESCRIPTIONS
from raftcheck.errors import SettingsError, SpecError
from raftcheck.model.checks import select
from raftcheck.model.steps import Election, StepPattern, parse_step
from raftcheck.liveness import LIVENESS_PROPERTIES
from raftcheck.properties import RAFT_GOALS, RAFT_INVARIANTS
from raftcheck.settings import Settings, from_flat, from_tables


class Expect(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    verdict: Literal["pass", "violation"] = "pass"
    invariant: str | None = None


class Scenario(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """What a spec has besides its settings."""

    description: str = ""
    ci: bool = True
    proof: Literal["quick", "slow", "unproven"] = "unproven"
    feature: str | None = None
    start: tuple[dict[str, Any], ...] = ()
    expect: Expect = Expect()


SCENARIO_KEYS = frozenset(Scenario.__struct_fields__)


@dataclass(frozen=True)
class Spec:
    name: str
    path: str
    settings: Settings
    description: str = ""
    ci: bool = True
    proof: str = "unproven"
    feature: str | None = None
    start: tuple[StepPattern | Election, ...] = ()
    expected_verdict: str = "pass"
    expected_invariant: str | None = None
    start_tables: tuple[dict[str, Any], ...] = field(default=(), compare=False)

    @property
    def where(self) -> str:
        """The prefix of this spec's error lines: its file, if it has one."""
        return f"{self.path}: " if self.path else ""


def load_spec(path: str | Path) -> Spec:
    """Read, type-check and validate one spec file."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SpecError(f"{path}: cannot read: {error.strerror or error}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SpecError(f"{path}: not valid TOML: {error}") from None
    scenario_raw = {key: value for key, value in raw.items() if key in SCENARIO_KEYS}
    settings_raw = {key: value for key, value in raw.items() if key not in SCENARIO_KEYS}
    try:
        settings = from_tables(settings_raw)
        scenario = from_tables(scenario_raw, Scenario)
        return spec_of(path.stem, str(path), settings, scenario)
    except SettingsError as error:
        raise SpecError(f"{path}: {error}") from None


def spec_of(name: str, path: str, settings: Settings, scenario: Scenario) -> Spec:
    """A Spec from validated settings, checking the start steps and the expectation.

    SettingsError for an unknown invariant; SpecError (naming `path`) for bad steps or expectations.
    """
    where = f"{path}: " if path else ""
    start: list[StepPattern | Election] = []
    for number, table in enumerate(scenario.start):
        try:
            start.append(parse_step(table))
        except ValueError as error:
            raise SpecError(f"{where}start[{number}]: {error}") from None
        step = start[-1]
        if isinstance(step, Election):
            unknown = [n for n in (step.candidate, *step.voters) if n not in settings.node_names]
            if unknown:
                raise SpecError(f"{where}start[{number}]: elect: no node {unknown[0]!r}; nodes: "
                                f"{', '.join(settings.node_names)}")
    checked = [invariant.name for invariant in select(RAFT_INVARIANTS, settings.check.invariants)]
    if settings.check.liveness:
        checked += [p.name for p in select(LIVENESS_PROPERTIES, settings.check.liveness, "check.liveness")]
    select(RAFT_GOALS, settings.check.goals, "check.goals")
    expect = scenario.expect
    if expect.verdict == "violation" and expect.invariant not in checked:
        raise SpecError(f"{where}expect.invariant: name the property expected to break, one of {', '.join(checked)}")
    if expect.verdict == "pass" and expect.invariant is not None:
        raise SpecError(f"{where}expect.invariant: only a \"violation\" verdict names an invariant")
    if scenario.feature is not None:
        if scenario.feature not in FEATURE_DESCRIPTIONS:
            raise SpecError(f"{where}feature: unknown feature {scenario.feature!r} (see `raftcheck features`)")
        if expect.verdict != "violation" or scenario.feature in settings.cluster.features:
            raise SpecError(f"{where}feature: a spec that shows a feature expects a violation with the feature off")
    return Spec(
        name=name,
        path=path,
        settings=settings,
        description=scenario.description,
        ci=scenario.ci,
        proof=scenario.proof,
        feature=scenario.feature,
        start=tuple(start),
        expected_verdict=expect.verdict,
        expected_invariant=expect.invariant,
        start_tables=scenario.start,
    )


def proofs(specs: list[Spec], tiers: tuple[str, ...]) -> list[Spec]:
    """The rules-on runs of the switch specs among `specs` whose `proof` is one of `tiers`.

    "quick" proofs run in `check --quick`, "slow" ones in `check`; "unproven"
    ones (not shown to finish) only with `--rules-on`.
    """
    return [rules_on(spec) for spec in specs if spec.settings.check.disabled_rules and spec.proof in tiers]


def rules_on(spec: Spec) -> Spec:
    """The same bounds and start with every safety rule on and every invariant checked, expected to pass.

    A switch spec shows that its bounds reach the bug; this shows that the
    same bounds hold no false alarm when the rule is in place. A spec's
    `proof` says whether this run is quick enough for `check --quick`.
    """
    settings = from_flat({"disabled_rules": (), "invariants": ()}, spec.settings)
    return dataclasses.replace(
        spec, name=f"{spec.name}+rules", settings=settings, expected_verdict="pass", expected_invariant=None
    )


def feature_runs(specs: list[Spec]) -> list[Spec]:
    """For each spec that shows a feature, the same spec with that feature on, expected to pass.

    The spec itself finds the violation the feature prevents; this run shows
    that the feature does prevent it, within the same bounds.
    """
    runs = []
    for spec in specs:
        if spec.feature is not None:
            settings = from_flat({"features": (*spec.settings.cluster.features, spec.feature)}, spec.settings)
            runs.append(dataclasses.replace(spec, name=f"{spec.name}+{spec.feature}", settings=settings, feature=None,
                                            expected_verdict="pass", expected_invariant=None))
    return runs


def spec_paths(targets: list[str]) -> list[Path]:
    """Spec files named directly, or every *.toml in named directories, sorted."""
    found: list[Path] = []
    for target in targets:
        path = Path(target)
        if path.is_dir():
            found.extend(sorted(path.glob("*.toml")))
        elif path.exists():
            found.append(path)
        else:
            raise SpecError(f"{target}: no such spec file or directory")
    if not found:
        raise SpecError(f"no *.toml spec files in {', '.join(targets)}")
    return found
