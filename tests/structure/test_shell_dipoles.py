"""The shell dipole per shell composition (ionscale.structure.shell_dipoles): brute force on random shells,
replicas, and the hand-built frame through the pipeline, its files included."""

import dataclasses

import numpy as np
import pytest
from structure_data import SOLVENT_DIPOLE_E_A, hand_built_electrolyte

from ionscale.analyses import Options
from ionscale.core.result import write_analysis
from ionscale.pipeline import analyse
from ionscale.structure import StructureAnalysis
from ionscale.structure.geometry import DEBYE_PER_E_ANGSTROM
from ionscale.structure.shell_dipoles import composition_label, shell_dipoles_by_composition


@pytest.fixture(scope="module")
def hand_built():
    return StructureAnalysis(hand_built_electrolyte(), cutoffs=0.25, ssip_cutoffs=0.45, n_blocks=2).run(cache=False)


def random_shells(template, seed: int, n_frames: int = 40, n_cations: int = 5):
    """``template`` (a real result of species A, S) with random shells: 0-2 A and 0-3 S, random |M| (D)."""
    rng = np.random.default_rng(seed)
    molecules = np.stack([rng.integers(0, 3, (n_frames, n_cations)), rng.integers(0, 4, (n_frames, n_cations))],
                         axis=2)
    dipole = np.where(molecules[..., 1] > 0, rng.gamma(2.0, 1.5, (n_frames, n_cations)), 0.0)
    return dataclasses.replace(template, shell_molecules=molecules, shell_dipole_debye=dipole.ravel(), replicas=[])


def brute_force(result, min_fraction: float, n_blocks: int) -> dict:
    """{label: (mean, block error)} by looping over compositions and hand-cut blocks of frames."""
    molecules, dipole = result.shell_molecules, result.shell_dipole_debye.reshape(result.shell_molecules.shape[:2])
    out = {}
    for kind in {tuple(k) for k in molecules.reshape(-1, 2)}:
        mask = (molecules == kind).all(axis=2)
        if kind[1] == 0 or mask.mean() < min_fraction:
            continue
        blocks = [dipole[p][mask[p]].mean() for p in np.array_split(np.arange(len(mask)), n_blocks)]
        out[f"{kind[0]}A+{kind[1]}S" if kind[0] else f"{kind[1]}S"] = (
            dipole[mask].mean(), np.std(blocks, ddof=1) / np.sqrt(n_blocks))
    return out


def test_labels_leave_out_absent_species():
    assert composition_label([3, 0, 1], ["EC", "DMC", "TFSI"]) == "3EC+1TFSI"
    assert composition_label([0, 0], ["EC", "DMC"]) == "empty"


def test_mean_and_block_error_per_composition_match_brute_force(hand_built):
    shells = random_shells(hand_built, seed=1)
    result = shell_dipoles_by_composition(shells, ["S"], min_fraction=0.05, n_blocks=4)
    expected = brute_force(shells, 0.05, 4)
    assert sorted(r.species for r in result.rows) == sorted(expected) and len(expected) >= 5
    for row in result.rows:
        assert (row.value, row.stderr) == pytest.approx(expected[row.species], rel=1e-12)
        assert (row.quantity, row.unit, row.method) == ("shell_dipole_by_composition", "D", "frame-blocks(4)")
    shares = dict(zip(result.compositions, result.fraction))
    assert shares["1A+2S"] == pytest.approx((shells.shell_molecules == [1, 2]).all(axis=2).mean())
    assert list(result.fraction) == sorted(result.fraction, reverse=True)   # most frequent first
    # the histogram of each composition is a probability density of its shells' |M|
    for label, part in result.histogram.groupby("composition"):
        widths = part["high (D)"] - part["low (D)"]
        assert (part["density (1/D)"] * widths).sum() == pytest.approx(1.0)


def test_replicas_give_the_mean_over_replicas_and_its_standard_error(hand_built):
    replicas = [random_shells(hand_built, seed=s) for s in (2, 3, 4)]
    merged = dataclasses.replace(replicas[0], replicas=replicas)
    result = shell_dipoles_by_composition(merged, ["S"], min_fraction=0.05)
    assert len(result.rows) >= 5
    for row in result.rows:
        means = [brute_force(r, 0.0, 2)[row.species][0] for r in replicas]
        assert row.value == pytest.approx(np.mean(means), rel=1e-12)
        assert row.stderr == pytest.approx(np.std(means, ddof=1) / np.sqrt(3), rel=1e-12)
        assert row.method == "replicas(3)"


def test_the_hand_built_frame_through_the_pipeline(tmp_path):
    """Only Li0's shell holds solvent: A0 + S0, whose dipole is 0.4 e × 1.2 Å (see structure_data); the
    four identical frames give a zero block error. The other shells (no solvent) are not reported."""
    es = hand_built_electrolyte()
    options = Options(transport=False, mesoscale=False, cutoffs={"A": 0.25, "S": 0.25}, blocks=2)
    results, _ = analyse([es], 300.0, options, cache=False)
    assert [r.section for r in results] == ["structure", "shell_dipoles"]
    dipoles = results[1]
    assert [(r.species, r.stderr, r.method) for r in dipoles.rows] == [("1A+1S", 0.0, "frame-blocks(2)")]
    assert dipoles.rows[0].value == pytest.approx(SOLVENT_DIPOLE_E_A * DEBYE_PER_E_ANGSTROM, rel=1e-6)
    assert dipoles.fraction.tolist() == pytest.approx([0.2])
    written = {p.name for p in write_analysis(tmp_path, results)}
    assert {"shell_dipoles.csv", "shell_dipoles.png"} <= written
    off, _ = analyse([es], 300.0, Options(transport=False, mesoscale=False, cutoffs={"A": 0.25, "S": 0.25},
                             shell_dipoles=False),
                     cache=False)
    assert [r.section for r in off] == ["structure"]
