"""Real configuration nobody here wrote: 77 NaCl in 2111 TIP4P/2005 waters (GROMACS tpr + gro, maicos test
data, tests/data/maicos). Chloride must be found as a donor by default, and a missed contact is warned about."""

import warnings
from pathlib import Path

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.lib.distances import distance_array

from ionscale.structure import StructureAnalysis
from ionscale.system import Electrolyte

MAICOS = Path(__file__).parents[1] / "data" / "maicos"
NACL = dict(cation={"Na": "resname NA"}, anion={"Cl": "resname CL"}, solvent={"water": "resname SOL"})


@pytest.fixture(scope="module")
def nacl():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        u = mda.Universe(str(MAICOS / "salt_water.tpr"), str(MAICOS / "salt_water.gro"))
    return Electrolyte.from_universe(u, **NACL)


def test_tip4p_molecules_from_the_tpr(nacl):
    """The massless M site of TIP4P is bonded to nothing: molecules come from the TPR's molecule numbers."""
    water = nacl.species[2]
    assert (water.n_molecules, len(water.atom_indices) // water.n_molecules) == (2111, 4)
    assert water.molecule_mass_g_mol == pytest.approx(15.9994 + 2 * 1.008, abs=1e-3)
    assert [s.valence for s in nacl.species] == [1, -1, 0]


def test_chloride_contacts_found_by_default(nacl):
    """Default donors: Cl⁻ is its own donor; the bound fraction equals a brute-force count of the Na⁺ with a
    Cl⁻ within the cut-off that the RDF gave (one frame: every Na⁺ counted once)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = StructureAnalysis(nacl).run(cache=False)
    assert "Cl: 1 donor atom(s) per molecule (CL) by default for a monatomic ion (the ion itself)" in result.notes
    cutoff = result.cutoff_nm["Cl"]
    assert 0.30 < cutoff < 0.36  # first minimum of the Na–Cl RDF (Na–Cl contact at ≈ 0.28 nm)
    u = nacl.universe
    d = distance_array(u.select_atoms("resname NA").positions, u.select_atoms("resname CL").positions,
                       box=u.dimensions)
    bound = (d <= 10 * cutoff).any(axis=1)
    assert bound.sum() == 14
    assert result.get("bound_fraction", "Na").value == pytest.approx(bound.mean(), rel=1e-12)
    assert not any("first peak" in n for n in result.notes)
    # one frame: one note on residence times, not one "run longer" per contact kind
    assert [n for n in result.notes if "residence" in n or "correlation function" in n] == [
        "one frame: no residence times (contact lifetimes need a trajectory)"]
    assert np.isnan(result.get("residence_time", "Cl:atom").value)


def test_missed_contacts_warned(nacl):
    """A cut-off shorter than the contact distance: no Cl⁻ in any shell, although the Na–Cl RDF has its
    contact peak — a warning names the species and the peak."""
    analysis = StructureAnalysis(nacl, cutoffs={"Cl": 0.2})
    with pytest.warns(UserWarning, match=r"Cl: no contact with a Na in any frame, although .* first peak at 0\.2"):
        result = analysis.run(cache=False)
    assert result.get("bound_fraction", "Na").value == 0


def test_command_line_prints_the_donors(tmp_path):
    """One frame is enough for the structure alone; the donors chosen are printed with the table."""
    from typer.testing import CliRunner

    from ionscale.cli import app
    args = ["analyze", str(MAICOS / "salt_water.tpr"), str(MAICOS / "salt_water.gro"), "--cation", "Na=resname NA",
            "--anion", "Cl=resname CL", "--solvent", "water=resname SOL", "--temperature", "300", "--no-cache",
            "--no-figures", "--out", str(tmp_path)]
    needs_frames = CliRunner().invoke(app, args)
    assert needs_frames.exit_code == 2 and "--no-transport --no-mesoscale" in " ".join(needs_frames.output.split())
    result = CliRunner().invoke(app, args + ["--no-transport", "--no-mesoscale"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "note: Cl: 1 donor atom(s) per molecule (CL) by default for a monatomic ion (the ion itself)" in text
    assert "note: water: 1 donor atom(s) per molecule (OW1) by atom name" in text
