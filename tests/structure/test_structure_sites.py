"""Donor atoms and cation sites: defaults by element, name or type; selections; clear errors."""

import numpy as np
import pytest
from structure_data import hand_built_electrolyte, hand_built_universe

from ionscale.errors import IonscaleError
from ionscale.structure.sites import find_sites
from ionscale.system import Electrolyte


def electrolyte(u):
    return Electrolyte.from_universe(u, cation={"Li": "resname LI"}, anion={"A": "resname A"},
                                     solvent={"S": "resname S"}, timestep_ps=1.0)


def test_default_donors_by_name():
    es = hand_built_electrolyte()
    sites = find_sites(es)
    assert sites.species == ("A", "S") and sites.roles == ("anion", "solvent")
    u = es.universe
    assert u.atoms[sites.donor_atoms].names.tolist() == ["O"] * 13  # 10 anion O, 3 solvent O; no C
    assert sites.donor_species.tolist() == [0] * 10 + [1] * 3
    assert sites.donor_molecule.tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 6, 7]
    assert sites.molecule_species.tolist() == [0] * 5 + [1] * 3
    assert sites.cation_atoms.tolist() == [0, 1, 2, 3, 4]
    assert sites.descriptions["S"] == "1 donor atom(s) per molecule (O) by atom name"


def test_default_donors_by_element_then_type():
    u = hand_built_universe()
    u.add_TopologyAttr("elements", ["Li"] * 5 + ["O"] * 10 + ["N", "C"] * 3)
    sites = find_sites(electrolyte(u))
    assert sites.descriptions["S"] == "1 donor atom(s) per molecule (O) by element"
    u = hand_built_universe()
    u.del_TopologyAttr("names")
    u.add_TopologyAttr("types", ["Li"] * 5 + ["os"] * 10 + ["Na", "Ow"] * 3)  # lower case after O/N: no donor
    sites = find_sites(electrolyte(u))  # the anion binds through its negative atoms whatever their names
    assert sites.descriptions["A"] == ("2 donor atom(s) per molecule (os os) by default for an anion "
                                       "(its negatively charged atoms)")
    assert sites.descriptions["S"] == "no donor atoms (no O, N or F by atom type)"
    u.del_TopologyAttr("charges")  # no charges: the anion falls back to O/N/F by name too, and has none
    es = Electrolyte.from_universe(u, cation={"Li": "resname LI"}, anion={"A": "resname A"},
                                   solvent={"S": "resname S"}, timestep_ps=1.0, valences={"Li": 1, "A": -1})
    with pytest.raises(IonscaleError, match="no donor atoms found"):
        find_sites(es)


def test_default_donors_fluorine():
    """Molecules bind through F too (names F1, not Fe); monatomic ions: tests/structure/test_maicos_nacl.py."""
    u = hand_built_universe()
    u.add_TopologyAttr("names", ["Li"] * 5 + ["O"] * 10 + ["F1", "Fe"] * 3)
    sites = find_sites(electrolyte(u))
    assert sites.descriptions["S"] == "1 donor atom(s) per molecule (F1) by atom name"


def test_donor_selection_and_errors():
    es = hand_built_electrolyte()
    sites = find_sites(es, donors={"S": "name C"})
    assert es.universe.atoms[sites.donor_atoms[sites.donor_species == 1]].names.tolist() == ["C"] * 3
    with pytest.raises(IonscaleError, match="matches no atom of S"):
        find_sites(es, donors={"S": "name F"})
    with pytest.raises(IonscaleError, match="unknown species"):
        find_sites(es, donors={"EC": "name O"})
    with pytest.raises(IonscaleError, match="names the cation"):
        find_sites(es, donors={"Li": "name Li"})
    with pytest.raises(IonscaleError, match="cannot parse"):
        find_sites(es, donors={"S": "name O and ("})


def test_molecular_cation_needs_a_site():
    u = hand_built_universe()
    # the solvent S (O −0.4, C +0.4) as a "cation" of two atoms, with the A anions
    es = Electrolyte.from_universe(u, cation={"S": "resname S"}, anion={"A": "resname A"}, valences={"S": 1},
                                   allow_non_neutral=True, allow_unassigned=True, timestep_ps=1.0)
    with pytest.raises(IonscaleError, match="binding site"):
        find_sites(es)
    sites = find_sites(es, cation_site="name C")
    assert u.atoms[sites.cation_atoms].names.tolist() == ["C"] * 3
    with pytest.raises(IonscaleError, match="exactly one atom"):
        find_sites(es, cation_site="name C O")
    assert np.array_equal(sites.molecules_per_species(), [5])


def test_default_donors_of_numeric_lammps_types_by_charge_and_mass():
    """htp_md's LiTFSI in polycarbonate (numeric types): TFSI binds through its negative atoms, the polymer
    through the atoms whose mass is that of O or N (the data file's 15.9994 and 14.0067)."""
    import warnings

    from realdata import LITFSI, htpmd_universe
    u = htpmd_universe("9-0-246295613-0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        es = Electrolyte.from_universe(u, **LITFSI, timestep_ps=2.0)
    sites = find_sites(es)
    anion, polymer = es.species[1], es.species[2]
    donors = set(sites.donor_atoms.tolist())
    assert donors & set(anion.atom_indices.tolist()) == set(anion.atom_indices[u.atoms.charges[anion.atom_indices] < 0])
    m = u.atoms.masses[polymer.atom_indices]
    oxygen = polymer.atom_indices[(np.abs(m - 15.9994) < 1e-6) | (np.abs(m - 14.0067) < 1e-6)]
    assert oxygen.size and donors & set(polymer.atom_indices.tolist()) == set(oxygen.tolist())
    assert "by atom mass" in sites.descriptions["solvent"]
    assert sites.descriptions["anion"].startswith("11 donor atom(s) per molecule")
