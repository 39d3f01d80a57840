"""Percolation onset of a study: aggregated from each state point's percolating fraction (SPEC §6, issue 5)."""

import json

import numpy as np
import pandas as pd
import pytest

from ionscale.study import StudySpec, study_percolation_onset, study_summary
from ionscale.study.aggregate import percolation_onset_of, percolation_onset_rows, write_study
from ionscale.study.runner import Outcome
from ionscale.core.table import COLUMNS

#: (label, c in mol/L, percolating fraction ± stderr), unsorted on purpose
POINTS = [("c2", 2.0, 1.0, 0.0), ("c05", 0.5, 0.0, 0.0), ("c15", 1.5, 0.7, 0.1), ("c1", 1.0, 0.1, 0.05)]


def table(points=POINTS) -> pd.DataFrame:
    rows = []
    for label, c, p, e in points:
        rows += [(label, c, "percolating_fraction", "", "", p, e, "1", "frame-blocks(5)"),
                 (label, c, "free_ion_fraction", "", "cation", 1 - p, 0.01, "1", "frame-blocks(5)")]
    return pd.DataFrame(rows, columns=["state_point", "concentration_mol_L"] + COLUMNS)


def test_onset_is_the_lowest_percolating_concentration_with_its_bracket():
    onset = percolation_onset_of(table())
    assert onset["concentration_mol_L"] == 1.5 and onset["state_point"] == "c15"
    assert onset["lower_mol_L"] == 1.0
    assert onset["interpolated_mol_L"] == pytest.approx(1.0 + 0.5 * (0.5 - 0.1) / (0.7 - 0.1))
    assert [f["concentration_mol_L"] for f in onset["fractions"]] == [0.5, 1.0, 1.5, 2.0]
    assert "first at 1.5 mol/L (fraction 0.70 ± 0.10)" in onset["text"]
    assert "between 1 and 1.5 mol/L" in onset["text"]


def test_onset_rows_sit_at_the_onset_state_point_in_mol_per_litre():
    rows, onset = percolation_onset_rows(table())
    assert list(rows.columns) == ["state_point", "concentration_mol_L"] + COLUMNS
    by = rows.set_index("quantity")
    assert by.loc["percolation_onset", "value"] == 1.5 and by.loc["percolation_onset_lower", "value"] == 1.0
    assert set(rows.unit) == {"mol/L"} and set(rows.state_point) == {"c15"} and set(rows.concentration_mol_L) == {1.5}
    assert rows.stderr.isna().all() and onset["threshold"] == 0.5


def test_onset_outside_the_studied_range():
    none = [(lab, c, 0.4 * p, e) for lab, c, p, e in POINTS]          # 0.4 at most: nothing percolates
    rows, onset = percolation_onset_rows(table(none))
    assert onset["concentration_mol_L"] is None and onset["lower_mol_L"] == 2.0 and onset["state_point"] is None
    by = rows.set_index("quantity")
    assert np.isnan(by.loc["percolation_onset", "value"]) and by.loc["percolation_onset_lower", "value"] == 2.0
    assert set(rows.state_point) == {"c2"} and "lies below the percolation onset" in onset["text"]

    everything = [(lab, c, 0.9, e) for lab, c, _, e in POINTS]
    rows, onset = percolation_onset_rows(table(everything))
    assert onset["concentration_mol_L"] == 0.5 and onset["lower_mol_L"] is None
    assert set(rows.state_point) == {"c05"} and "already at the lowest concentration" in onset["text"]


def test_no_cluster_analysis_no_onset():
    rows, onset = percolation_onset_rows(table()[lambda t: t.quantity != "percolating_fraction"])
    assert onset is None and rows.empty


def test_write_study_adds_the_onset_to_study_csv_json_and_summary(tmp_path):
    spec = StudySpec.model_validate({
        "name": "onset", "temperature": 300.0, "species": {"cation": "type 1", "anion": "type 2"},
        "state_points": [{"label": lab, "concentration": c, "replicas": [{"topology": "t", "trajectories": ["x"]}]}
                         for lab, c, *_ in POINTS]})
    folders = {}
    for label, part in table().groupby("state_point"):
        folder = tmp_path / "points" / label
        folder.mkdir(parents=True)
        part[COLUMNS].to_csv(folder / "quantities.csv", index=False)
        system = {"n_replicas": 1, "species": [{"concentration_mol_L": float(part.concentration_mol_L.iloc[0])}]}
        (folder / "results.json").write_text(json.dumps({"transport": {"system": system, "window": {}, "notes": []}}))
        folders[label] = folder
    write_study(spec, tmp_path, Outcome(points=folders))

    study = pd.read_csv(tmp_path / "study.csv", keep_default_na=False, na_values=[""])
    onset = study[study.quantity.str.startswith("percolation_onset")].set_index("quantity")
    assert onset.loc["percolation_onset", "value"] == 1.5 and onset.loc["percolation_onset_lower", "value"] == 1.0
    assert (onset.unit == "mol/L").all() and study.concentration_mol_L.is_monotonic_increasing
    record = study_percolation_onset(tmp_path)
    assert record["concentration_mol_L"] == 1.5 and record["lower_mol_L"] == 1.0
    summary = study_summary(tmp_path).set_index("state point")
    assert summary.loc["c15", "percolating"] == "0.70 ± 0.10" and summary.loc["c05", "percolating"] == "0"
    assert list(summary.index) == ["c05", "c1", "c15", "c2"]
