"""Electrolyte construction: species, valences, and every bad-input error (issue 2, item 2)."""

import MDAnalysis as mda
import numpy as np
import pytest
from realdata import LITFSI, htpmd_universe
from MDAnalysis.coordinates.memory import MemoryReader

from ionscale import Electrolyte, IonscaleError, list_species


def test_list_species_finds_the_three_kinds_of_molecules():
    kinds = list_species(htpmd_universe("9-0-246295613-0"))
    assert sorted(s.count for s in kinds) == [12, 50, 50]
    charges = sorted(round(s.net_charge_e, 3) for s in kinds)
    assert charges == [-0.7, 0.0, 0.7]
    li = next(s for s in kinds if s.n_atoms == 1)
    assert (li.count, li.selection, li.mass_g_mol) == (50, "type 90", pytest.approx(6.941))
    polymer = next(s for s in kinds if s.n_atoms == 470)
    assert polymer.count == 12 and polymer.mass_g_mol == pytest.approx(2847.824, abs=1e-3)


def test_scaled_charges_round_to_unit_valences_and_say_so():
    es = Electrolyte.from_universe(htpmd_universe("9-0-246295613-0"), **LITFSI)
    assert [(s.label, s.n_molecules, s.valence) for s in es.species] == [
        ("cation", 50, 1), ("anion", 50, -1), ("solvent", 12, 0)]
    assert es.cation.topology_charge_e == pytest.approx(0.7)
    assert any("rounded to valence +1" in n for n in es.notes)
    assert es.species[1].molecule_mass_g_mol == pytest.approx(280.147, abs=1e-3)


def test_valence_override_and_labels():
    es = Electrolyte.from_universe(htpmd_universe("9-0-246295613-0"), cation={"Li": "type 90"},
                                   anion={"TFSI": LITFSI["anion"]}, solvent={"PC": LITFSI["solvent"]},
                                   valences={"Li": 2, "TFSI": -2})
    assert [s.label for s in es.species] == ["Li", "TFSI", "PC"]
    assert list(es.valences) == [2, -2]


def _bare_universe(masses=True, charges=True, n=4):
    u = mda.Universe.empty(n, n_residues=n, atom_resindex=np.arange(n), trajectory=True)
    u.add_TopologyAttr("names", ["LI", "LI", "CL", "CL"][:n])
    u.add_TopologyAttr("resnames", ["LI", "LI", "CL", "CL"][:n])
    if masses:
        u.add_TopologyAttr("masses", [7.0, 7.0, 35.0, 35.0][:n])
    if charges:
        u.add_TopologyAttr("charges", [1.0, 1.0, -1.0, -1.0][:n])
    u.load_new(np.zeros((3, n, 3), np.float32), format=MemoryReader)
    return u


@pytest.mark.parametrize("kwargs, message", [
    (dict(cation="name XX", anion="name CL"), "matches no atoms"),
    (dict(cation="name LI", anion="name LI"), "needs a negative valence"),
    (dict(cation="name LI", anion="name CL and index 2"), "not neutral"),
    (dict(cation="name LI", anion="name CL", valences={"anion": -2}), "not neutral"),
    (dict(cation="name LI", anion="name CL", valences={"nobody": 1}), "unknown species"),
    (dict(cation="name CL", anion="name LI"), "needs a positive valence"),
    (dict(cation="name LI", anion="name CL", solvent="name CL", valences={"solvent": 0}), "shares atoms"),
    (dict(cation=["name LI", "index 0"], anion="name CL"), "exactly one cation"),
    (dict(cation="name LI", anion="name ((("), "cannot parse"),
])
def test_bad_selections_are_refused_clearly(kwargs, message):
    with pytest.raises(IonscaleError, match=message):
        Electrolyte.from_universe(_bare_universe(), **kwargs)


def test_non_neutral_can_proceed_when_asked():
    es = Electrolyte.from_universe(_bare_universe(), cation="name LI", anion="name CL and index 2",
                                   allow_non_neutral=True, allow_unassigned=True)
    assert any("net formal charge of +1" in n for n in es.notes)
    assert any("1 atom (25 % of the system, 1 molecule" in n and "as an ion species, as they carry charge" in n
               for n in es.notes)  # the chloride left out (issue 16)


def test_missing_masses_says_how_to_supply_them():
    with pytest.raises(IonscaleError, match="add_TopologyAttr\\('masses'"):
        Electrolyte.from_universe(_bare_universe(masses=False), cation="name LI", anion="name CL")


def test_missing_charges_needs_valences():
    with pytest.raises(IonscaleError, match="valences=\\{'cation': \\+1\\}"):
        Electrolyte.from_universe(_bare_universe(charges=False), cation="name LI", anion="name CL")
    es = Electrolyte.from_universe(_bare_universe(charges=False), cation="name LI", anion="name CL",
                                   valences={"cation": 1, "anion": -1})
    assert list(es.valences) == [1, -1]


def test_selection_that_splits_molecules_is_refused():
    u = htpmd_universe("9-0-246295613-0")
    with pytest.raises(IonscaleError, match="splits 50 molecule\\(s\\).*centers="):
        Electrolyte.from_universe(u, cation="type 90", anion="type 93")


def test_centre_subgroup_must_hit_every_molecule():
    u = htpmd_universe("9-0-246295613-0")
    with pytest.raises(IonscaleError, match="matches no atom in 50"):
        Electrolyte.from_universe(u, **LITFSI, centers={"anion": "type 90"})
