"""`ionscale export pybamm` on a study written by the real pipeline: the module's functions reproduce the
study's numbers at its concentrations (linear in between, clamped outside), it runs a PyBaMM model, and
bad input gives a message."""

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))
from studydata import write_walker_study  # noqa: E402

from ionscale.cli import app  # noqa: E402

pybamm = pytest.importorskip("pybamm", reason="PyBaMM is the optional extra ionscale[continuum]")

from ionscale.continuum.pybamm_export import load_parameter_module  # noqa: E402

runner = CliRunner()


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    return write_walker_study(tmp_path_factory.mktemp("study"))


def study_value(root, point, quantity, frame):
    t = pd.read_csv(root / "study.csv", keep_default_na=False, na_values=[""])
    t = t[(t.state_point == point) & (t.quantity == quantity) & (t.frame.fillna("") == frame)
          & (t.method != "replica-mean L")]
    return float(t.value.iloc[0]), float(t.concentration_mol_L.iloc[0])


def test_export_reproduces_the_study(study, tmp_path):
    out = tmp_path / "md.py"
    result = runner.invoke(app, ["export", "pybamm", str(study), "--base", "Chen2020", "--out", str(out)])
    assert result.exit_code == 0, result.output
    module = load_parameter_module(out)
    assert "CAVEATS" in module.__doc__ and "force field" in module.__doc__ and "clamped" in module.__doc__
    values = module.parameter_values()
    kappa = values["Electrolyte conductivity [S.m-1]"]
    D = values["Electrolyte diffusivity [m2.s-1]"]
    lo, c_lo = study_value(study, "low", "conductivity", "solvent")
    hi, c_hi = study_value(study, "high", "conductivity", "solvent")
    at = lambda f, c: np.asarray(f(pybamm.Scalar(c), pybamm.Scalar(298.15)).evaluate()).item()  # noqa: E731
    assert at(kappa, 1000 * c_lo) == pytest.approx(0.1 * lo, rel=1e-9)           # mS/cm → S/m
    assert at(kappa, 500 * (c_lo + c_hi)) == pytest.approx(0.05 * (lo + hi), rel=1e-9)
    assert at(kappa, 10 * 1000 * c_hi) == pytest.approx(0.1 * hi, rel=1e-9)      # clamped above
    d_lo, _ = study_value(study, "low", "salt_diffusion", "solvent")
    assert at(D, 1000 * c_lo) == pytest.approx(1e-10 * d_lo, rel=1e-9)
    data = json.loads(out.with_suffix(".json").read_text())
    assert data["parameters"]["Thermodynamic factor"]["unit"] == "1" and data["base_parameter_set"] == "Chen2020"
    model = pybamm.lithium_ion.SPMe()
    var_pts = dict(model.default_var_pts, x_n=5, x_s=5, x_p=5, r_n=5, r_p=5)
    solution = pybamm.Simulation(model, parameter_values=values, var_pts=var_pts).solve([0, 60])
    assert np.all(np.isfinite(solution["Voltage [V]"].entries))


def test_export_refuses_bad_input(study, tmp_path):
    bad_base = runner.invoke(app, ["export", "pybamm", str(study), "--base", "NoSuchSet", "--out",
                                   str(tmp_path / "x.py")])
    assert bad_base.exit_code == 2 and "no parameter set 'NoSuchSet'" in " ".join(bad_base.output.split())
    assert not (tmp_path / "x.py").exists()
    not_study = runner.invoke(app, ["export", "pybamm", str(tmp_path)])
    assert not_study.exit_code == 2 and "not a finished study folder" in " ".join(not_study.output.split())


def test_export_of_selected_state_points(study, tmp_path):
    """--points takes one series of a study (here: the state point 'high' alone, constant in c_e)."""
    out = tmp_path / "high.py"
    result = runner.invoke(app, ["export", "pybamm", str(study), "--points", "hi*", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.with_suffix(".json").read_text())
    hi, c_hi = study_value(study, "high", "conductivity", "solvent")
    assert data["c_e_mol_m3"] == [pytest.approx(1000 * c_hi)]
    assert data["parameters"]["Electrolyte conductivity [S.m-1]"]["values"] == [pytest.approx(0.1 * hi)]
    none = runner.invoke(app, ["export", "pybamm", str(study), "--points", "x*", "--out", str(tmp_path / "n.py")])
    assert none.exit_code == 2 and "no state point matches x*; the study has 'low', 'high'" in " ".join(
        none.output.split())
