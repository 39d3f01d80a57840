"""Analysing each state point from its cached passes, and aggregating the study.

Per state point, the replicas give mean ± standard error of every quantity (derived quantities computed
per replica, then averaged), plus the values from the replica-mean L's (SPEC §2.3). The study table
``study.csv`` stacks every state point's tidy rows with two more columns, ``state_point`` and
``concentration_mol_L`` (the study file's value, else the cation concentration of the system);
``study.json`` records the study, its settings, every state point, failed tasks and software versions.

Percolation onset (SPEC §6)
---------------------------
A state point *percolates* when at least half of its frames (:data:`PERCOLATION_THRESHOLD`) hold a
cluster connected to its own periodic image (``percolating_fraction``, :mod:`ionscale.mesoscale`).
Along the concentrations of a study the onset of percolation is bracketed by the lowest concentration
that percolates and the highest one below it that does not; between them the percolating fraction is
interpolated linearly for a point estimate (:func:`ionscale.mesoscale.onset.percolation_onset_of`). Two rows,
in mol/L, join ``study.csv`` at the state point where percolation first appears (at the highest one
when none percolates): ``percolation_onset`` (that concentration; empty when none percolates) and
``percolation_onset_lower`` (the one below it; empty when the lowest already percolates); ``study.json``
keeps the whole record under ``percolation_onset``. Studies without cluster analysis have neither.
The onset depends on the box size (a cluster need only span one box length): compare studies in boxes
of similar size.
"""

from __future__ import annotations

import datetime
import importlib.metadata
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.files import atomic_write, read_json, read_study_table
from ..core.result import write_analysis
from ..errors import IonscaleError
from ..mesoscale.onset import PERCOLATION_THRESHOLD, percolation_onset_of
from ..pipeline import analyse
from .runner import POINTS_FOLDER, Outcome, ReplicaJob, write_json
from .spec import StatePointSpec, StudySpec

VERSIONED = ("ionscale", "MDAnalysis", "numpy", "scipy", "pandas", "dask", "distributed", "openmm")


def analyse_point(spec: StudySpec, point: StatePointSpec, jobs: list[ReplicaJob], folder: Path) -> Path:
    """Analyse one state point from the cached passes of its finished replicas into ``folder``."""
    electrolytes = [job.plan.source.open() for job in jobs]
    results, notes = analyse(electrolytes, spec.temperature, spec.analysis, concentration_mol_L=point.concentration,
                             plans=[job.plan for job in jobs])
    expected = point.simulate.replicas if point.simulate else len(point.replicas)
    if len(jobs) < expected:
        notes.append(f"only {len(jobs)} of {expected} replicas finished; the others failed")
    results[0].notes.extend(notes)
    write_analysis(folder, results)
    return folder


def concentration_of(point: StatePointSpec, system: dict) -> float:
    """The study file's concentration (mol/L), else the system's cation concentration."""
    return point.concentration if point.concentration is not None else system["species"][0]["concentration_mol_L"]


def write_study(spec: StudySpec, out: Path, outcome: Outcome) -> None:
    """Write ``study.csv`` and ``study.json`` from the analysed state points (atomically)."""
    tables, points = [], []
    for p in spec.state_points:
        folder = outcome.points.get(p.label)
        if folder is None:
            continue
        results = read_json(folder / "results.json")["transport"]
        c = concentration_of(p, results["system"])
        table = pd.read_csv(folder / "quantities.csv", keep_default_na=False, na_values=[""])
        table.insert(0, "concentration_mol_L", c)
        table.insert(0, "state_point", p.label)
        tables.append(table)
        points.append({"label": p.label, "concentration_mol_L": c, "n_replicas": results["system"]["n_replicas"],
                       "folder": f"{POINTS_FOLDER}/{p.label}", "window": results["window"],
                       "notes": results["notes"], "system": results["system"]})
    onset = None
    if tables:
        study = pd.concat(tables, ignore_index=True)
        onset_rows, onset = percolation_onset_rows(study)
        study = pd.concat([study, onset_rows], ignore_index=True).sort_values(["concentration_mol_L", "state_point"],
                                                                             kind="stable")
        atomic_write(out / "study.csv", lambda f: study.to_csv(f, index=False))
    write_json(out / "study.json", {
        "name": spec.name,
        "temperature_K": spec.temperature,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "versions": _versions(),
        "settings": spec.analysis.model_dump(mode="json"),
        "state_points": sorted(points, key=lambda p: p["concentration_mol_L"]),
        "experiment": [{"label": e.label, "file": str(e.file)} for e in spec.experiment],
        "percolation_onset": onset,
        "failed": outcome.failed,
        "tasks": outcome.tasks,
    })


ONSET_COLUMNS = ["state_point", "concentration_mol_L", "quantity", "frame", "species", "value", "stderr", "unit",
                 "method"]


def percolation_onset_rows(table: pd.DataFrame, threshold: float = PERCOLATION_THRESHOLD) -> tuple:
    """(rows, record): the ``percolation_onset`` and ``percolation_onset_lower`` rows (mol/L) in the columns of
    ``study.csv``, at the state point where percolation first appears (the highest when none percolates),
    and the record of :func:`percolation_onset_of`. No rows (and None) without percolating fractions."""
    record = percolation_onset_of(table, threshold)
    if record is None:
        return pd.DataFrame(columns=ONSET_COLUMNS), None
    at = record["concentration_mol_L"]
    if at is None:   # none percolates: the onset lies above the highest concentration
        at = record["lower_mol_L"]
    label = next(f["state_point"] for f in record["fractions"] if f["concentration_mol_L"] == at)
    rows = [(label, at, "percolation_onset", "", "", _nan(record["concentration_mol_L"]), np.nan, "mol/L",
             f"study: lowest concentration with percolating_fraction >= {threshold:g}"),
            (label, at, "percolation_onset_lower", "", "", _nan(record["lower_mol_L"]), np.nan, "mol/L",
             f"study: highest concentration below the onset (percolating_fraction < {threshold:g})")]
    return pd.DataFrame(rows, columns=ONSET_COLUMNS), record


def _nan(x) -> float:
    return np.nan if x is None else float(x)


def _versions() -> dict:
    versions = {}
    for name in VERSIONED:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


#: the headline columns of a study summary: (quantity, frame, heading); "solvent" stands for the state
#: point's reference frame — the barycentric one where it has no solvent frame (a melt, an ionic liquid)
HEADLINE = (("t_plus", "solvent", "t+^0"), ("rho_plus", "solvent", "ρ+"), ("t_plus_pfg", "solvent", "t+,PFG"),
            ("conductivity", "solvent", "κ (mS/cm)"), ("ionicity", "solvent", "κ/κ_NE"),
            ("thermodynamic_factor", "", "TDF"), ("salt_diffusion", "solvent", "D (1e-10 m²/s)"))


#: and of the cluster analysis, when it ran
PERCOLATION_HEADLINE = ("percolating_fraction", "", "percolating")


def study_summary(out: Path) -> pd.DataFrame:
    """One line per state point: concentration, the frame of its numbers (a column only when some point has
    no solvent frame), the headline transport numbers with errors (:data:`HEADLINE`), and the fraction of frames with a percolating cluster when the cluster analysis ran (the onset:
    :func:`study_percolation_onset`)."""
    from ..core.table import format_value
    study = read_study_table(out)
    main = study[~study.method.isin(["replica-mean L", "window", "self MSD", "collective"])
                 & ~study.method.astype(str).str.startswith("window spread")]
    headline = HEADLINE + ((PERCOLATION_HEADLINE,) if (study.quantity == PERCOLATION_HEADLINE[0]).any() else ())
    lines = []
    for (label, c), rows in main.groupby(["state_point", "concentration_mol_L"], sort=False):
        frames = rows.frame.astype(object).fillna("")
        solvent_t = rows.value[(rows.quantity == "t_plus") & (frames == "solvent")]
        reference = "solvent" if np.isfinite(solvent_t).any() or not (frames == "barycentric").any() else "barycentric"
        line = {"state point": label, "c (mol/L)": f"{c:.3g}", "frame": reference}
        for quantity, frame, heading in headline:
            hit = rows[(rows.quantity == quantity) & (frames == (reference if frame == "solvent" else frame))]
            line[heading] = format_value(hit.value.iloc[0], hit.stderr.iloc[0]) if len(hit) else "—"
        line["error"] = rows.method.iloc[0]
        lines.append(line)
    summary = pd.DataFrame(lines)
    if lines and all(line["frame"] == "solvent" for line in lines):
        summary = summary.drop(columns="frame")
    return summary


def study_percolation_onset(out: Path) -> dict | None:
    """The percolation onset record that ``study.json`` keeps (:func:`percolation_onset_of`), or None."""
    try:
        return read_json(Path(out) / "study.json").get("percolation_onset")
    except IonscaleError:
        return None
