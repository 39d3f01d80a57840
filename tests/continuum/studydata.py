"""A small study folder written by the real pipeline and study aggregation, on ideal random walkers in an
implicit solvent (Kirkwood–Buff TDF ≈ 1, D the Nernst–Hartley value): two state points, one replica each."""

from __future__ import annotations

import warnings
from pathlib import Path

from synthetic import build

from ionscale import Electrolyte
from ionscale.core.result import write_analysis
from ionscale.pipeline import Options, analyse
from ionscale.study.aggregate import write_study
from ionscale.study.runner import Outcome
from ionscale.study.spec import StudySpec

POINTS = (("low", 60, 11), ("high", 120, 12))   # label, ion pairs in the 4 nm box, seed


def write_walker_study(root: Path) -> Path:
    outcome = Outcome()
    for label, n_pairs, seed in POINTS:
        syn = build("walkers", n_pairs=n_pairs, n_frames=400, seed=seed)
        es = Electrolyte.from_universe(syn.universe, cation=syn.cation, anion=syn.anion, implicit_solvent=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            results, _ = analyse([es], 300.0, Options(structure=False, mesoscale=False), cache=False)
        outcome.points[label] = root / "points" / label
        write_analysis(outcome.points[label], results, figures=False)
    spec = StudySpec.model_validate({
        "name": "walkers", "temperature": 300.0, "species": {"cation": "type 1", "anion": "type 2"},
        "state_points": [{"label": label, "replicas": [{"topology": "t.psf", "trajectories": ["t.dcd"]}]}
                         for label, _, _ in POINTS]})
    write_study(spec, root, outcome)
    return root
