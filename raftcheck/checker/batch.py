"""Running many specs at once: one spec per worker process, results in the order the specs were given.

A spec set is many independent searches, so on a machine with N cores, N of
them at a time finish the set up to N times sooner (a CI gate's wall time).
Workers are forked, so they share the parent's imported code; a spec that
needs processes of its own (`workers > 1`) runs in the parent, after the rest.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor

from raftcheck.checker.runner import Result, run_spec
from raftcheck.checker.spec import Spec


def run_specs(specs: list[Spec], jobs: int, run_here: Callable[[Spec], Result]) -> Iterator[Result]:
    """Each spec's result in the order of `specs`; up to `jobs` run at once, in forked worker processes.

    `run_here` runs a spec in this process (with progress reporting, or on Ray): every spec when `jobs` is 1,
    and the ones whose own search uses several processes.
    """
    shared = [spec for spec in specs if spec.settings.check.workers <= 1]
    if jobs <= 1 or len(shared) <= 1:
        yield from map(run_here, specs)
        return
    with ProcessPoolExecutor(min(jobs, len(shared)), mp_context=multiprocessing.get_context("fork")) as pool:
        futures = {id(spec): pool.submit(run_spec, spec) for spec in shared}
        for spec in specs:
            future = futures.get(id(spec))
            yield future.result() if future is not None else run_here(spec)
