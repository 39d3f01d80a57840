"""Real trajectory (LiPF6 in butyronitrile/FEC, shipped in the solvation_analysis wheel): ionscale against an independent
implementation written here with MDAnalysis distance arrays, and against solvation_analysis (SPEC §8.7).
"""

import warnings

import numpy as np
import pytest
from MDAnalysis.lib.distances import distance_array
from structure_data import bn_fec_electrolyte

from ionscale.trajectory import scan
from ionscale.structure import StructureAnalysis
from ionscale.structure.contacts import Contacts
from ionscale.structure.shells import first_shells

DONORS = {"PF6": "name F", "BN": "name N", "FEC": "name O"}
SPECIES = ["PF6", "BN", "FEC"]


def reference(universe, selections: dict, cutoff_A: dict):
    """Per frame and Li: molecules and donor atoms of each species within the cut-off, and the set of
    (Li, molecule resindex) contacts — loops over frames and species, one distance array each."""
    li = universe.select_atoms("resname Li")
    n_frames = len(universe.trajectory)
    molecules = np.zeros((n_frames, len(li), len(selections)), int)
    atoms = np.zeros_like(molecules)
    bonds = {s: set() for s in selections}
    for f, ts in enumerate(universe.trajectory):
        for k, (label, selection) in enumerate(selections.items()):
            donors = universe.select_atoms(selection)
            inside = distance_array(li.positions, donors.positions, box=ts.dimensions) <= cutoff_A[label]
            atoms[f, :, k] = inside.sum(axis=1)
            for i, row in enumerate(inside):
                found = np.unique(donors.resindices[row])
                molecules[f, i, k] = len(found)
                bonds[label] |= {(f, i, int(m)) for m in found}
    return molecules, atoms, bonds


def brute_continuous(bonds: set, n_frames: int) -> np.ndarray:
    """Eq. 6 by loops over contacts, lags and origins."""
    contacts = {(i, m) for _, i, m in bonds}
    numerator = np.zeros(n_frames)
    for t in range(n_frames):
        for i, m in contacts:
            numerator[t] += sum(all((f, i, m) in bonds for f in range(t0, t0 + t + 1)) for t0 in range(n_frames - t))
        numerator[t] /= n_frames - t
    return numerator / (len(bonds) / n_frames)


@pytest.fixture(scope="module")
def bn_fec():
    return bn_fec_electrolyte()


@pytest.fixture(scope="module")
def default_run(bn_fec):
    # PF6: the default, its negative atoms (F); FEC: its O only (the default O/N/F would add its F)
    analysis = StructureAnalysis(bn_fec, donors={"FEC": "name O"})
    store = scan(bn_fec, collectors=[analysis.collector], cache=False)
    return analysis, store, analysis.run(store)


def test_contacts_are_every_pair_within_the_radius(bn_fec, default_run):
    analysis, store, _ = default_run
    contacts = Contacts.from_store(store, analysis.collector)
    sites, u = analysis.sites, bn_fec.universe
    for f, ts in enumerate(u.trajectory):
        d = distance_array(ts.positions[sites.cation_atoms], ts.positions[sites.donor_atoms], box=ts.dimensions)
        i, j = np.nonzero(d <= 10 * analysis.collect_nm[sites.donor_species][None, :])
        mine = contacts.frame == f
        assert contacts.cation[mine].tolist() == i.tolist() and contacts.donor[mine].tolist() == j.tolist()
        # MDAnalysis wraps coordinates in single precision
        np.testing.assert_allclose(contacts.distance_nm[mine], d[i, j] / 10, rtol=2e-6)


def test_shells_match_independent_reference(bn_fec, default_run):
    """Default donors (F of PF6 by charge, N of BN), O of FEC, cut-offs from the RDF minima: identical per
    Li and frame."""
    analysis, store, result = default_run
    assert [result.cutoff_nm[s] for s in SPECIES] == pytest.approx([0.3225, 0.3875, 0.3275])
    cutoff_A = {s: 10 * result.cutoff_nm[s] for s in SPECIES}
    molecules, atoms, bonds = reference(bn_fec.universe, {s: f"resname {s} and {DONORS[s]}" for s in SPECIES},
                                        cutoff_A)
    shells = first_shells(Contacts.from_store(store, analysis.collector), analysis.sites,
                          np.array([result.cutoff_nm[s] for s in SPECIES]))
    np.testing.assert_array_equal(shells.molecules, molecules)
    np.testing.assert_array_equal(shells.donor_atoms, atoms)
    for k, s in enumerate(SPECIES):
        assert result.get("shell_molecules", s).value == pytest.approx(molecules[..., k].mean(), rel=1e-12)
        assert result.get("shell_donor_atoms", s).value == pytest.approx(atoms[..., k].mean(), rel=1e-12)
    n_anions = molecules[..., 0]
    for n in range(n_anions.max() + 1):
        assert result.get("anions_bound_fraction", f"n={n}").value == pytest.approx((n_anions == n).mean(), rel=1e-12)
    assert result.get("bound_fraction", "Li").value == pytest.approx((n_anions >= 1).mean(), rel=1e-12)
    assert result.get("linker_fraction", "Li").value == pytest.approx((n_anions >= 2).mean(), abs=1e-15)
    # printed to four digits, as a report would show them
    assert [round(result.get("shell_molecules", s).value, 4) for s in SPECIES] == [0.1571, 4.4653, 0.4122]
    assert round(result.get("bound_fraction", "Li").value, 4) == 0.1571
    # residence: Eq. 6 for every Li–molecule contact
    for s in SPECIES:
        np.testing.assert_allclose(result.acfs[f"{s}:molecule continuous"], brute_continuous(bonds[s], 10),
                                   rtol=1e-12)


@pytest.fixture(scope="module")
def solvation_analysis_run(bn_fec):
    """solvation_analysis' own test set-up: whole molecules, its radii (Å), residence included."""
    Solute = pytest.importorskip("solvation_analysis.solute").Solute
    u = bn_fec.universe
    radii = {"PF6": 2.8, "BN": 2.61468, "FEC": 2.43158}
    solvents = {s: u.select_atoms(f"resname {s}") for s in SPECIES}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        solute = Solute.from_atoms(u.select_atoms("resname Li"), solvents, radii=radii, skip_rdf=True,
                                   analysis_classes=["coordination", "pairing", "speciation", "residence"])
        solute.run()
    mine = StructureAnalysis(bn_fec, donors={s: "all" for s in SPECIES}, cutoffs={s: r / 10 for s, r in radii.items()},
                             intermittent=True, geometry=False).run(cache=False)
    return solute, mine


def test_against_solvation_analysis(solvation_analysis_run):
    solute, mine = solvation_analysis_run
    for s in SPECIES:
        assert mine.get("shell_molecules", s).value == pytest.approx(solute.coordination.coordination_numbers[s],
                                                                      rel=1e-12)
    assert mine.get("bound_fraction", "Li").value == pytest.approx(solute.pairing.solvent_pairing["PF6"], rel=1e-12)
    for s in ("BN", "FEC"):
        assert mine.get("free_solvent_fraction", s).value == pytest.approx(
            solute.pairing.fraction_free_solvents[s], rel=1e-12)
    unbound_anions = sum(mine.get("pair_class_fraction", f"PF6:{c}").value for c in ("free", "SSIP"))
    assert unbound_anions == pytest.approx(solute.pairing.fraction_free_solvents["PF6"], rel=1e-12)
    # speciation: every non-empty shell composition with the same frequency
    theirs = solute.speciation.speciation_fraction
    ours = mine.speciation_frame().set_index(SPECIES)["fraction"]
    for _, row in theirs.iterrows():
        assert ours[tuple(int(row[s]) for s in SPECIES)] == pytest.approx(row["fraction"], rel=1e-12)
    # residence: solvation_analysis' auto-covariance is the intermittent Li–molecule function
    for s in SPECIES:
        np.testing.assert_allclose(mine.acfs[f"{s}:molecule intermittent"], solute.residence.auto_covariances[s],
                                   rtol=1e-10)
    # printed: coordination 0.1367, 4.3286, 0.2531 (solvation_analysis' tests check 0.15, 4.33, 0.25 ± 0.05)
    assert [f"{mine.get('shell_molecules', s).value:.4f}" for s in SPECIES] == ["0.1367", "4.3286", "0.2531"]
    assert f"{mine.get('free_solvent_fraction', 'FEC').value:.4f}" == "0.9477"
