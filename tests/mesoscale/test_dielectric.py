"""Debye length, dielectric constant from dipole fluctuations, and the solvent-dipole collector."""

import MDAnalysis as mda
import numpy as np
import pytest

from ionscale import Electrolyte, IonscaleError
from ionscale.mesoscale import SolventDipoles, debye_length_nm, dielectric_constant

EPS0, KB, E = 8.8541878128e-12, 1.380649e-23, 1.602176634e-19


def test_debye_length_of_decimolar_salt_in_water():
    """λ_D = 0.304 nm / sqrt(I / M) for a 1:1 salt in water at 25 °C (ε_r = 78.4)."""
    rho = 0.1 * 6.02214076e23 * 1e3 * 1e-27           # 0.1 mol/L in nm⁻³
    assert debye_length_nm([rho, rho], [1, -1], 78.4, 298.15) == pytest.approx(0.304 / np.sqrt(0.1), rel=2e-3)
    # a 2:1 salt at the same ionic strength I = ½ Σ c z² has the same λ_D
    assert debye_length_nm([rho / 3, 2 * rho / 3], [2, -1], 78.4, 298.15) == pytest.approx(
        debye_length_nm([rho, rho], [1, -1], 78.4, 298.15), rel=1e-12)
    with pytest.raises(IonscaleError, match="ε_r > 0"):
        debye_length_nm([rho], [1], 0.0, 300)


def test_dielectric_constant_from_a_known_fluctuation():
    m = 3.0  # e·nm
    dipoles = np.array([[m, 0, 1.0], [-m, 0, 1.0]] * 50)      # <M> = (0, 0, 1), variance m²
    volume_nm3, T = 27.0, 300.0
    expected = 1 + (m * E * 1e-9) ** 2 / (3 * EPS0 * volume_nm3 * 1e-27 * KB * T)
    assert dielectric_constant(dipoles, volume_nm3, T) == pytest.approx(expected, rel=1e-8)  # ε0: CODATA 2018 vs 2022


def dimer_universe():
    """One cation, one anion and three ±0.4 e dimers (bond 1 Å along x, y, z); the x one straddles the box edge."""
    positions = np.array([[5, 5, 5], [8, 8, 8],
                          [19.5, 2, 2], [0.5, 2, 2],          # split across x = 0 / 20 Å
                          [10, 10, 10], [10, 11, 10],
                          [3, 15, 7], [3, 15, 8]], dtype=float)
    u = mda.Universe.empty(8, n_residues=5, atom_resindex=[0, 1, 2, 2, 3, 3, 4, 4], trajectory=True)
    u.add_TopologyAttr("masses", [7, 100, 16, 1, 16, 1, 16, 1])
    u.add_TopologyAttr("charges", [1, -1, -0.4, 0.4, -0.4, 0.4, -0.4, 0.4])
    u.add_TopologyAttr("types", ["1", "2", "3", "4", "3", "4", "3", "4"])
    u.add_TopologyAttr("resnames", ["LI", "AN", "SOL", "SOL", "SOL"])
    u.atoms.positions = positions
    u.dimensions = [20, 20, 20, 90, 90, 90]
    return u


def test_solvent_dipole_collector():
    es = Electrolyte.from_universe(dimer_universe(), cation="type 1", anion="type 2", solvent="resname SOL")
    collector = SolventDipoles.from_electrolyte(es)
    m = collector.collect(es.universe.trajectory.ts)["dipole_e_nm"]
    np.testing.assert_allclose(m, 0.4 * 0.1 * np.array([1.0, 1.0, 1.0]), atol=1e-7)   # e·nm
    assert collector.finish([{"dipole_e_nm": m}] * 3)["dipole_e_nm"].shape == (3, 3)
    with pytest.raises(IonscaleError, match="explicit solvent"):
        SolventDipoles.from_electrolyte(Electrolyte.from_universe(dimer_universe(), cation="type 1", anion="type 2"))


def test_neutral_solvent_beads_give_no_dielectric_constant():
    """Solvent atoms all of charge 0 (the explicit-solvent model's beads) have no dipole: ε is refused (the
    fluctuation formula would give 1, and a Debye length of 0.02 nm)."""
    u = dimer_universe()
    u.atoms.charges = [1, -1, 0, 0, 0, 0, 0, 0]
    es = Electrolyte.from_universe(u, cation="type 1", anion="type 2", solvent="resname SOL")
    with pytest.raises(IonscaleError, match="no partial charges .* no dipole to fluctuate; give ε_r"):
        SolventDipoles.from_electrolyte(es)
