"""Running many specs at once: one spec per worker process, results in the order the specs were given.

A spec set is many independent searches, so on a machine with N cores, N of
them at a time finish the set up to N times sooner (a CI gate's wall time).
Workers are forked, so they share the parent's imported code; a spec that
needs processes of its own (`workers > 1`) runs in the parent, after the rest.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator

from raftcheck.checker.runner import Result, run_or_refuse
from raftcheck.checker.spec import Spec


def run_specs(specs: list[Spec], jobs: int, run_here: Callable[[Spec], Result]) -> Iterator[Result]:
    """Each spec's result in the order of `specs`; up to `jobs` run at once, in forked worker processes.

    `run_here` runs a spec in this process (with progress reporting, or on Ray): every spec when `jobs` is 1,
    and the ones whose own search uses several processes. A spec whose start cannot be played is reported
    as its "error" result; any other error in one spec (or the consumer stopping) stops the workers at
    once rather than after the specs still queued.
    """
    shared = [spec for spec in specs if spec.settings.check.workers <= 1]
    if jobs <= 1 or len(shared) <= 1:
        yield from map(run_here, specs)
        return
    pool = multiprocessing.get_context("fork").Pool(min(jobs, len(shared)))
    try:
        pending = {id(spec): pool.apply_async(run_or_refuse, (spec,)) for spec in shared}
        for spec in specs:
            running = pending.get(id(spec))
            yield running.get() if running is not None else run_here(spec)
        pool.close()
    finally:
        pool.terminate()
        pool.join()
