"""One state point, every analysis, one pass per trajectory.

The command line, studies and the demo all analyse a state point the same way: set up the analyses of
the registry (:mod:`ionscale.analyses`) that are switched on, run the single pass over each replica with
every collector they add (or find it cached), then compute each analysis, in dependency order, from the
passes over all replicas and the results of the analyses upstream of it: transport (SPEC §2–3),
structure (SPEC §4–5), the mesoscale — clusters, percolation and screening (SPEC §6–7) — and the
continuum (thermodynamic factor and salt diffusion coefficient). The loop knows no analysis by name.

When no analysis that runs needs the unwrapped ion positions (structure alone), the pass skips them.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .analyses import Options, Run, Settings, plan
from .errors import IonscaleError
from .trajectory import ElectrolyteSource, PassPlan, scan
from .system import Electrolyte


def analyse(electrolytes: Sequence[Electrolyte], temperature: float, options: Settings = Options(), *,
            cache=True, backend: str = "serial", n_workers: int = 1,
            progress: Callable[[str, int, int], None] | None = None,
            concentration_mol_L: float | None = None, plans: Sequence[PassPlan] | None = None) -> tuple[list, list]:
    """Analyse the replicas of one state point. Returns (results, notes): the results (each a
    :class:`ionscale.core.result.Result`), in the registry's order (transport first, then structure, mesoscale,
    continuum). ``concentration_mol_L`` (default: the cation concentration) is where a given thermodynamic
    factor table is read. ``plans``: the passes were run elsewhere (a study's workers, :func:`pass_plan`);
    each replica's store is read from its planned cache entry, and a missing or different entry is an
    error (:class:`ionscale.trajectory.PassPlanError`), never a second reading of the trajectory."""
    check_temperature(temperature)
    refuse_duplicate_replicas(electrolytes)
    notes: list = []
    analyses = plan(electrolytes, options, notes)
    stores = []
    for k, es in enumerate(electrolytes):
        if plans is not None:
            stores.append(plans[k].load(es, pass_settings(analyses, k, options)["collectors"]))
            continue
        label = f"replica {k + 1}/{len(electrolytes)}" if len(electrolytes) > 1 else "trajectory"
        report = None if progress is None else (lambda done, total, label=label: progress(label, done, total))
        stores.append(scan(es, **pass_settings(analyses, k, options), cache=cache, backend=backend,
                           n_workers=n_workers, progress=report, cache_in_background=True))
    results: dict = {}
    for analysis in analyses:
        upstream = {name: results[name] for name in analysis.needs + analysis.uses if name in results}
        results[analysis.name] = analysis.compute(Run(electrolytes, stores, temperature, options, upstream,
                                                      concentration_mol_L, notes))
    return list(results.values()), notes


def pass_settings(analyses: Sequence, k: int, options: Settings) -> dict:
    """The pass over replica ``k`` as the analyses need it: its frames, every collector they add, and
    whether it keeps the unwrapped ion positions (not when no analysis uses them, e.g. structure alone)."""
    return {"start": options.start, "stop": options.stop, "step": options.step,
            "collectors": [c for analysis in analyses for c in analysis.collectors(k)],
            "transport": any(analysis.positions for analysis in analyses)}


def pass_plan(name: str, source: ElectrolyteSource, options: Settings, cache_folder) -> PassPlan:
    """The plan of one replica's pass for the analyses ``options`` switch on (a study's pass task): made
    here, executed by a worker (:meth:`PassPlan.execute`), read back by :func:`analyse` (``plans``)."""
    electrolyte = source.open()
    analyses = plan([electrolyte], options, [])
    return PassPlan.make(name, source, electrolyte, cache_folder=cache_folder, **pass_settings(analyses, 0, options))


#: the lowest temperature accepted, K: MD electrolytes run at hundreds of K; a value below 1 K is a slip
#: (a unit, a typo) and, near 0, k_B·T underflows the conversions
MIN_TEMPERATURE_K = 1.0


def check_temperature(temperature: float) -> None:
    """Refuse a temperature that is not a finite number of kelvin of at least :data:`MIN_TEMPERATURE_K`."""
    if not (isinstance(temperature, (int, float, np.floating)) and np.isfinite(temperature)
            and temperature >= MIN_TEMPERATURE_K):
        raise IonscaleError(f"the temperature must be a finite number of kelvin, at least {MIN_TEMPERATURE_K:g} K "
                            f"(the simulation's thermostat temperature), got {temperature!r}")


def refuse_duplicate_replicas(electrolytes: Sequence[Electrolyte]) -> None:
    """Refuse replicas that are the same trajectory (the same file twice, a link or a copy of it, or
    one in-memory trajectory twice): they are not independent, and their spread — the error bar —
    would be exactly zero."""
    from .trajectory import trajectory_fingerprint
    seen: dict = {}
    for k, es in enumerate(electrolytes):
        key = trajectory_fingerprint(es.universe)
        if key in seen:
            first = seen[key]
            files = getattr(es.universe.trajectory, "filename", None) or "an in-memory trajectory"
            raise IonscaleError(f"replicas {first + 1} and {k + 1} are the same trajectory ({files}): replicas must "
                                "be independent runs, or the error bar is a spread of identical copies (zero). "
                                "Give each trajectory once; for one trajectory the error bars come from blocks.")
        seen[key] = k
