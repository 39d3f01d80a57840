"""A hand-built frame with known shells, pair classes and shell dipole, through the whole pipeline."""

import numpy as np
import pytest
from structure_data import SOLVENT_DIPOLE_E_A, hand_built_electrolyte

from ionscale.errors import IonscaleError
from ionscale.structure import StructureAnalysis
from ionscale.structure.geometry import DEBYE_PER_E_ANGSTROM, four_donor_shells, tetrahedral_order


@pytest.fixture
def result():
    es = hand_built_electrolyte()
    return StructureAnalysis(es, cutoffs=0.25, ssip_cutoffs=0.45, n_blocks=2).run(cache=False)


def value(result, quantity, species):
    return result.get(quantity, species).value


def test_shell_counts(result):
    """Li0: A0 (2 donors) + S0 (across the box face); Li1: A1; Li2: A1 + A2; Li3, Li4: empty (see conftest)."""
    assert value(result, "shell_molecules", "A") == pytest.approx(4 / 5)
    assert value(result, "shell_molecules", "S") == pytest.approx(1 / 5)
    assert value(result, "shell_donor_atoms", "A") == pytest.approx(5 / 5)
    assert value(result, "shell_donor_atoms", "S") == pytest.approx(1 / 5)
    assert [value(result, "anions_bound_fraction", f"n={n}") for n in range(3)] == pytest.approx([0.4, 0.4, 0.2])
    assert value(result, "bound_fraction", "Li") == pytest.approx(0.6)
    assert value(result, "free_fraction", "Li") == pytest.approx(0.4)
    assert value(result, "linker_fraction", "Li") == pytest.approx(0.2)
    assert value(result, "free_solvent_fraction", "S") == pytest.approx(2 / 3)
    # identical frames: the two blocks agree, the error is zero
    assert result.get("shell_molecules", "A")[1:] == (0.0, "molecules", "frame-blocks(2)")


def test_speciation(result):
    table = result.speciation_frame()
    assert table.columns.tolist() == ["A", "S", "count", "fraction"]
    assert table[["A", "S"]].values.tolist() == [[0, 0], [1, 0], [1, 1], [2, 0]]
    assert table["count"].tolist() == [8, 4, 4, 4]  # 4 frames × (2, 1, 1, 1) cations
    assert table["fraction"].tolist() == pytest.approx([0.4, 0.2, 0.2, 0.2])


def test_pair_classes(result):
    """A0: CIP (Li0) · A1: AGG (Li1, Li2) · A2: CIP · A3: SSIP (4 Å from Li0) · A4: free."""
    fractions = {c: value(result, "pair_class_fraction", f"A:{c}") for c in ("free", "SSIP", "CIP", "AGG")}
    assert fractions == pytest.approx({"free": 0.2, "SSIP": 0.2, "CIP": 0.4, "AGG": 0.2})


def test_no_ssip_class():
    es = hand_built_electrolyte()
    res = StructureAnalysis(es, cutoffs=0.25, ssip_radius_nm=None).run(cache=False)
    assert value(res, "pair_class_fraction", "A:free") == pytest.approx(0.4)
    estimate = res.get("pair_class_fraction", "A:free")
    assert np.isnan(estimate.stderr) and estimate.method == "none"  # 4 frames, fewer than the 5 blocks
    with pytest.raises(KeyError):
        res.get("pair_class_fraction", "A:SSIP")


def test_shell_dipole_of_a_molecule_split_by_the_box(result):
    """S0's O sits at x = 0.5 Å and its C at x = 39.3 Å: whole, its dipole is 0.4 e × 1.2 Å."""
    expected = SOLVENT_DIPOLE_E_A * DEBYE_PER_E_ANGSTROM
    assert DEBYE_PER_E_ANGSTROM == pytest.approx(4.80320, rel=1e-5)
    assert result.shell_dipole_debye.reshape(4, 5)[0] == pytest.approx([expected, 0, 0, 0, 0])
    assert value(result, "shell_dipole", "Li") == pytest.approx(expected / 5)
    assert result.tetrahedral_order.size == 0  # no shell has four donor atoms


def test_cutoffs_change_without_a_new_pass():
    """A new cut-off reuses the store; 0.35 nm takes S1 (3 Å) into Li0's shell."""
    es = hand_built_electrolyte()
    from ionscale.trajectory import scan
    first = StructureAnalysis(es, cutoffs=0.25)
    store = scan(es, collectors=[first.collector], cache=False)
    wider = StructureAnalysis(es, cutoffs={"A": 0.25, "S": 0.35}).run(store)
    assert value(wider, "shell_molecules", "S") == pytest.approx(2 / 5)
    assert value(first.run(store), "shell_molecules", "S") == pytest.approx(1 / 5)
    other_donors = StructureAnalysis(es, donors={"S": "name C"}, cutoffs=0.25)
    with pytest.raises(IonscaleError, match="other settings"):
        other_donors.run(store)


def test_cutoff_beyond_collection_radius():
    es = hand_built_electrolyte()
    with pytest.raises(IonscaleError, match="collection radius"):
        StructureAnalysis(es, cutoffs={"S": 0.6})
    with pytest.raises(IonscaleError, match="not among"):
        StructureAnalysis(es, cutoffs={"EC": 0.3})


def test_tetrahedral_order():
    tetrahedron = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], float)
    square = np.array([[1, 0, 0], [0, 1, 0], [-1, 0, 0], [0, -1, 0]], float)
    q = tetrahedral_order(np.stack([tetrahedron * 2.1, square]))
    assert q == pytest.approx([1.0, 0.5], abs=1e-12)
    # shells 7 (four donors) and 9 (three) → only shell 7
    shells, vectors = four_donor_shells(np.array([7, 7, 7, 7, 9, 9, 9]), np.arange(21.0).reshape(7, 3))
    assert shells.tolist() == [7] and vectors.shape == (1, 4, 3)
