"""Symmetric-cell polarisation solved by PyBaMM against the Onsager current fraction and the analytic
limiting current / concentration overpotential (coarse meshes: the steady profiles are linear)."""

import numpy as np
import pytest

pytest.importorskip("pybamm", reason="PyBaMM is the optional extra ionscale[continuum]")

from ionscale.continuum.cells import Electrolyte1D, bruce_vincent, limiting_current  # noqa: E402
from ionscale.transport.quantities import current_fraction  # noqa: E402

T = 300.0


@pytest.mark.parametrize("z_minus, L_pm", [(-1, 0.2e-9), (-8, -0.05e-9)])
def test_bruce_vincent_in_pybamm_gives_the_onsager_rho_plus(z_minus, L_pm):
    """A 1 mV step (F V / R T = 0.04): I_ss / I_0 from PyBaMM equals ρ_+ of L (Schur complement) to 1e-4;
    the residue is the non-linearity of the step, not the mesh or the solver."""
    z = np.array([1.0, z_minus])
    c = np.array([-z_minus * 500.0, 500.0])
    L = np.array([[1.0e-9, L_pm], [L_pm, 0.4e-9]])
    e = Electrolyte1D.from_onsager(L, z, c, T, tdf=1.6)
    expected = current_fraction(L, z, 0)
    out = bruce_vincent(e, voltage_V=1e-3, n_points=8)
    assert out["rho_plus_pybamm"] == pytest.approx(expected, rel=1e-4)
    assert out["I0_A_m2"] == pytest.approx(e.conductivity_S_m * 1e-3 / 1e-4, rel=1e-9)   # ohmic at t = 0
    finer = bruce_vincent(e, voltage_V=0.25e-3, n_points=8)
    assert abs(finer["rho_plus_pybamm"] / expected - 1) < 0.5 * abs(out["rho_plus_pybamm"] / expected - 1) + 1e-7


def test_limiting_current_and_concentration_polarisation():
    e = Electrolyte1D(0.8, 0.35, 2.5e-10, 1.3, 1000.0, 1, -1, T)
    out = limiting_current(e, thickness_m=5e-5, n_points=6)
    assert out["I_lim_pybamm"] == pytest.approx(out["I_lim_analytic"], rel=1e-6)
    assert out["I_lim_analytic"] == pytest.approx(2 * 96485.33212 * 2.5e-10 * 1000 / (0.65 * 5e-5), rel=1e-8)
    np.testing.assert_allclose(out["eta_c_V"], out["eta_c_analytic_V"], rtol=1e-5)
    assert np.all(np.diff(out["eta_c_V"]) > 0)



@pytest.fixture(scope="module")
def walker_study(tmp_path_factory):
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).parent))
    from studydata import write_walker_study
    return write_walker_study(tmp_path_factory.mktemp("walkers"))


def test_bruce_vincent_check_on_a_study(walker_study):
    """On a study written by the pipeline: the cell built from the study's rows (κ, t_+^0, D_id, TDF) gives the
    ρ_+ that the study reports from the same L."""
    import json

    import pandas as pd

    from ionscale.continuum.cells import bruce_vincent_check, bruce_vincent_summary
    table = pd.read_csv(walker_study / "study.csv", keep_default_na=False, na_values=[""])
    points = json.loads((walker_study / "study.json").read_text())["state_points"]
    checks = bruce_vincent_check(table, points, 300.0)
    assert len(checks) == 2
    for r in checks:
        assert r["rho_plus_pybamm"] == pytest.approx(r["rho_plus_same_L"], rel=1e-4)
        assert 0 < r["rho_plus_same_L"] < 1
    line = bruce_vincent_summary(walker_study)
    assert line.startswith("Bruce–Vincent ρ+ (PyBaMM, 1 mV) vs Onsager ρ+ of the same L: ")
    for r in checks:   # each state point once, named with its concentration, both numbers at 5 digits
        c = f"{r['concentration_mol_L']:.3g} M"
        assert line.count(c) == 1 and f"{r['rho_plus_pybamm']:.5g} vs {r['rho_plus_same_L']:.5g} from L" in line


def test_half_cell_capacity_at_low_rate_does_not_depend_on_the_electrolyte(walker_study):
    """At C/10 the salt gradients are small, so any reasonable electrolyte gives the capacity of the cathode:
    the study's electrolyte (ideal walkers, exported) and LiPF6 agree; both runs end at the cut-off voltage."""
    from ionscale.continuum.cells import HALF_CELL_SET, half_cell_discharge
    from ionscale.continuum.pybamm_export import ElectrolyteTable, parameter_values
    table = ElectrolyteTable.from_study(walker_study)
    md = half_cell_discharge(parameter_values(table, HALF_CELL_SET), c_rate=0.1, n_points=5)
    lipf6 = half_cell_discharge(None, c_rate=0.1, n_points=5)
    assert "Minimum voltage" in md["termination"] and "Minimum voltage" in lipf6["termination"]
    assert md["final_capacity_mAh"] == pytest.approx(lipf6["final_capacity_mAh"], rel=5e-3)
    assert md["final_capacity_mAh"] > 1.0
