"""A realistic study folder, built by the real analysis on analytic trajectories.

``write_study`` follows the study-folder contract of :mod:`ionscale.report.study_figures` (study.json,
study.csv, points/<label>/...). It stands in for the study runner's output.
"""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from synthetic import build

from ionscale import Electrolyte, OnsagerAnalysis
from ionscale.study.aggregate import percolation_onset_rows

#: two state points: (label, ion pairs in the 4 nm box) → about 0.26 and 0.52 mol/L
POINTS = [("c0.26", 10), ("c0.52", 20)]


def analyse(n_pairs: int, seed: int, n_replicas: int = 2):
    replicas = []
    for r in range(n_replicas):
        syn = build("walkers", n_pairs=n_pairs, n_frames=300, n_solvent=30, seed=seed + r)
        replicas.append(Electrolyte.from_universe(syn.universe, cation=syn.cation, anion=syn.anion,
                                                  solvent=syn.solvent))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return OnsagerAnalysis(replicas, temperature=300.0, cache=False).run()


def structure_rows(c: float) -> list:
    """Made-up structure and mesoscale rows in the shape the real analyses write (quantity names, species,
    units and methods as in ionscale.structure.result and ionscale.mesoscale.result)."""
    rep, kww, fit = "replicas(2)", "KWW fit, continuous", "monotonic fit of r h_ZZ on [0.355, 2.03] nm"
    rows = []
    for sp, n in (("solvent", 4.0 - c), ("anion", 0.5 + c)):
        rows.append(("shell_molecules", "", sp, n, 0.05, "molecules", rep))
        rows.append(("shell_donor_atoms", "", sp, 1.5 * n, 0.05, "atoms", rep))
    p = np.array([0.3 - 0.2 * c, 0.6, 0.1 + 0.2 * c])
    rows += [("anions_bound_fraction", "", f"n={k}", float(v), 0.01, "1", rep) for k, v in enumerate(p)]
    rows += [("bound_fraction", "", "cation", 1 - p[0], 0.01, "1", rep),
             ("free_fraction", "", "cation", p[0], 0.01, "1", rep),
             ("linker_fraction", "", "cation", p[2], 0.01, "1", rep),
             ("residence_time", "", "solvent:atom", 20 + 10 * c, 1.0, "ps", f"{kww}; {rep}"),
             ("residence_time", "", "anion:atom", 200 + 300 * c, 20.0, "ps", f"{kww}; {rep}"),
             ("residence_time", "", "anion:molecule", 400 + 300 * c, 30.0, "ps", f"{kww}; {rep}"),
             ("residence_time", "", "linker", 50 + 10 * c, float("nan"), "ps", kww)]
    classes = np.array([0.2, 0.1, 0.5 - 0.2 * c, 0.2 + 0.2 * c])
    rows += [("pair_class_fraction", "", f"anion:{k}", float(v), 0.01, "1", rep)
             for k, v in zip(("free", "SSIP", "CIP", "AGG"), classes)]
    rows += [("cluster_size_fraction", "", str(s), float(np.exp(-s / (1 + 4 * c))), 0.01, "1", rep)
             for s in range(1, 9)]
    rows += [("percolating_fraction", "", "", min(1.0, c), 0.05, "1", rep),
             ("largest_cluster_fraction", "", "", 0.1 + c / 2, 0.02, "1", rep),
             ("free_ion_fraction", "", "cation", p[0], 0.01, "1", rep),
             ("free_ion_fraction", "", "anion", 0.2, 0.01, "1", rep),
             ("screening_length", "", "", 0.5 + c, 0.05, "nm", fit),
             ("debye_length", "", "", 0.3 / np.sqrt(c), float("nan"), "nm", "epsilon_r: given"),
             ("screening_ratio", "", "", (0.5 + c) / (0.3 / np.sqrt(c)), 0.1, "1", fit),
             ("conductivity_cluster_ne", "", "", 5.0 + c, 0.2, "mS/cm", f"majority-ion D; {rep}"),
             ("t_plus_cluster_ne", "", "cation", 0.4 + 0.1 * c, 0.02, "1", f"majority-ion D; {rep}")]
    return rows


def continuum_rows(res, c: float, columns) -> pd.DataFrame:
    """The continuum stage's rows (TDF, salt diffusion) of a state point, with the TDF of an ideal
    solution given (the walkers are one), by the real :func:`ionscale.continuum.analysis.continuum_analysis`."""
    from ionscale.continuum.analysis import continuum_analysis
    from ionscale.continuum.given import GivenTDF
    from ionscale.core.table import rows_frame
    return rows_frame(continuum_analysis(res, [], [], c, GivenTDF.parse(1.0)).rows)[columns]


def write_study(root: Path, results: list, *, structure: bool = False, experiment: bool = False,
                failed: list | None = None, name: str = "synthetic walkers",
                only: tuple | None = None) -> Path:
    """``results`` = [(label, concentration_mol_L, OnsagerResult, saved folder or None)]; returns ``root``.

    A point's files are copied from its saved folder (saving draws two figures: slow) when given.
    ``only`` keeps the rows of those quantities in study.csv."""
    root.mkdir(parents=True, exist_ok=True)
    tables, points = [], []
    for label, c, res, saved in results:
        folder = root / "points" / label
        if saved is not None:
            shutil.copytree(saved, folder, dirs_exist_ok=True)
        else:
            res.save(folder)
        table = pd.read_csv(folder / "quantities.csv", keep_default_na=False)
        table = pd.concat([table, continuum_rows(res, c, table.columns)], ignore_index=True)
        if structure:
            table = pd.concat([table, pd.DataFrame(structure_rows(c), columns=table.columns)], ignore_index=True)
        table.insert(0, "concentration_mol_L", c)
        table.insert(0, "state_point", label)
        tables.append(table)
        points.append({"label": label, "concentration_mol_L": c, "n_replicas": res.system["n_replicas"],
                       "folder": f"points/{label}", "window": res.window, "notes": list(res.notes),
                       "system": res.system})
    table = pd.concat(tables, ignore_index=True)
    if only is not None:
        table = table[table["quantity"].isin(only)]
    onset_rows, onset = percolation_onset_rows(table)          # as the study runner's aggregation adds them
    table = pd.concat([table, onset_rows], ignore_index=True) if onset is not None else table
    table.to_csv(root / "study.csv", index=False)
    meta = {"name": name, "temperature_K": 300.0, "created": "2026-01-01T00:00:00+00:00",
            "versions": {"ionscale": "0.1.0", "numpy": np.__version__, "pandas": pd.__version__},
            "settings": {"n_blocks": 5, "gamma_tolerance": 0.1, "decades": 1.0, "fit": None},
            "state_points": points, "percolation_onset": onset, "failed": failed or []}
    if experiment:
        (root / "experiment").mkdir(exist_ok=True)
        pd.DataFrame({"concentration_mol_L": [0.2, 0.4, 0.6], "quantity": ["t_plus_pfg"] * 3,
                      "value": [0.55, 0.6, 0.62], "stderr": [0.02, 0.02, ""]}
                     ).to_csv(root / "experiment" / "nmr.csv", index=False)
        pd.DataFrame({"concentration_mol_L": [0.3, 0.5], "quantity": ["D", "D"], "species": ["cation", "cation"],
                      "value": [16.0, 17.0]}).to_csv(root / "experiment" / "pfg.csv", index=False)
        meta["experiment"] = [{"label": "PFG-NMR", "file": "experiment/nmr.csv"},
                              {"label": "PFG D", "file": "experiment/pfg.csv"}]
    (root / "study.json").write_text(json.dumps(meta, indent=1, allow_nan=False, default=str)
                                     .replace("NaN", "null"))
    return root
