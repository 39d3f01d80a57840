"""The study summary the command line prints (ionscale.study.study_summary): one line per state point in
its reference frame — the solvent frame, or the barycentric one for a melt, whose solvent-frame rows are
NaN."""

import numpy as np
import pandas as pd

from ionscale.core.table import COLUMNS
from ionscale.study import study_summary


def rows(label: str, c: float, frames: dict) -> list:
    """{frame: t_plus} → study.csv rows of t_plus and conductivity (κ = 10 × t_plus) with error bars."""
    out = []
    for frame, t in frames.items():
        out.append([label, c, "t_plus", frame, "cation", t, 0.01, "1", "replicas(3)"])
        out.append([label, c, "conductivity", frame, "", 10 * t, 0.1, "mS/cm", "replicas(3)"])
    return out


def test_each_point_in_its_reference_frame(tmp_path):
    table = pd.DataFrame(rows("solution", 1.0, {"lab": 0.3, "barycentric": 0.35, "solvent": 0.4})
                         + rows("melt", 2.0, {"lab": 0.5, "barycentric": 0.6, "solvent": np.nan}),
                         columns=["state_point", "concentration_mol_L", *COLUMNS])
    table.to_csv(tmp_path / "study.csv", index=False)
    summary = study_summary(tmp_path).set_index("state point")
    assert summary.loc["solution", ["frame", "t+^0", "κ (mS/cm)"]].tolist() == ["solvent", "0.400 ± 0.010", "4.00 ± 0.10"]
    assert summary.loc["melt", ["frame", "t+^0", "κ (mS/cm)"]].tolist() == ["barycentric", "0.600 ± 0.010", "6.00 ± 0.10"]
    assert summary.loc["melt", "TDF"] == "—"


def test_the_frame_column_only_when_a_point_has_no_solvent_frame(tmp_path):
    table = pd.DataFrame(rows("solution", 1.0, {"lab": 0.3, "barycentric": 0.35, "solvent": 0.4}),
                         columns=["state_point", "concentration_mol_L", *COLUMNS])
    table.to_csv(tmp_path / "study.csv", index=False)
    summary = study_summary(tmp_path)
    assert "frame" not in summary.columns and summary["t+^0"].tolist() == ["0.400 ± 0.010"]
