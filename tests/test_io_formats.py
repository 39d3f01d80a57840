"""Extended XYZ, plain xyz with --box and --atoms-as-particles: the same numbers from the same coordinates
(issue 14). The files are written here from a known random walk; nothing else is assumed about them."""

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from ionscale.cli import app
from ionscale.errors import IonscaleError
from ionscale.io import open_universe

BOX_A = 15.0
N, FRAMES, DT = 20, 120, 0.5


def walk():
    rng = np.random.default_rng(7)
    return np.cumsum(np.r_[rng.uniform(0, BOX_A, (1, N, 3)), rng.normal(0, 0.3, (FRAMES - 1, N, 3))], axis=0) % BOX_A


def write_files(folder):
    positions = walk()
    species = ["Na"] * (N // 2) + ["Cl"] * (N // 2)
    ext, plain = folder / "melt.extxyz", folder / "melt.xyz"
    with open(ext, "w") as e, open(plain, "w") as p:
        for t, frame in enumerate(positions):
            e.write(f'{N}\nLattice="{BOX_A} 0 0 0 {BOX_A} 0 0 0 {BOX_A}" '
                    f'Properties=species:S:1:pos:R:3:charge:R:1 Time={t * DT}\n')
            p.write(f"{N}\nframe {t}\n")
            for s, (x, y, z) in zip(species, frame):
                e.write(f"{s} {x:.6f} {y:.6f} {z:.6f} {1.0 if s == 'Na' else -1.0}\n")
                p.write(f"{s} {x:.6f} {y:.6f} {z:.6f}\n")
    return positions, ext, plain


def test_extxyz_is_read_with_box_time_charges_and_masses(tmp_path):
    positions, ext, _ = write_files(tmp_path)
    u = open_universe(ext)
    assert len(u.trajectory) == FRAMES and u.trajectory.dt == pytest.approx(DT)
    np.testing.assert_allclose(u.dimensions, [BOX_A] * 3 + [90] * 3)
    u.trajectory[37]
    np.testing.assert_allclose(u.atoms.positions, positions[37], atol=1e-5)
    assert u.atoms.charges.tolist() == [1.0] * 10 + [-1.0] * 10
    assert u.atoms.masses[0] == pytest.approx(22.99, abs=0.01) and u.atoms.masses[-1] == pytest.approx(35.45, abs=0.01)


def test_malformed_extxyz_says_where(tmp_path):
    _, ext, _ = write_files(tmp_path)
    lines = ext.read_text().splitlines()
    cut = tmp_path / "cut.extxyz"
    cut.write_text("\n".join(lines[:-3]) + "\n")
    with pytest.raises(IonscaleError, match="announces 20 atoms but the file ends after 17"):
        open_universe(cut)
    no_box = tmp_path / "nobox.extxyz"
    no_box.write_text("\n".join([lines[0], "Properties=species:S:1:pos:R:3"] + lines[2:22]) + "\n")
    with pytest.raises(IonscaleError, match="line 2: no Lattice"):
        open_universe(no_box)


def test_plain_xyz_with_box_and_atoms_as_particles_matches_extxyz(tmp_path):
    _, ext, plain = write_files(tmp_path)
    runner = CliRunner()
    common = ["--cation", "name Na", "--anion", "name Cl", "--temperature", "1000", "--no-structure",
              "--no-mesoscale", "--no-cache", "--no-figures", "--blocks", "2"]
    a = runner.invoke(app, ["analyze", str(ext), str(ext), *common, "--out", str(tmp_path / "a")])
    assert a.exit_code == 0, a.output
    no_box = runner.invoke(app, ["analyze", str(plain), str(plain), *common, "--out", str(tmp_path / "x")])
    assert no_box.exit_code == 2 and "no periodic box" in no_box.output and "--box LX LY LZ" in no_box.output
    one_molecule = runner.invoke(app, ["analyze", str(plain), str(plain), *common, "--box", "1.5", "1.5", "1.5",
                                       "--timestep", str(DT), "--valence", "cation=1", "--valence", "anion=-1",
                                       "--out", str(tmp_path / "y")])
    assert one_molecule.exit_code == 2 and "--atoms-as-particles" in one_molecule.output
    b = runner.invoke(app, ["analyze", str(plain), str(plain), *common, "--box", "1.5", "1.5", "1.5",
                            "--timestep", str(DT), "--valence", "cation=1", "--valence", "anion=-1",
                            "--atoms-as-particles", "--out", str(tmp_path / "b")])
    assert b.exit_code == 0, b.output
    ta, tb = (pd.read_csv(tmp_path / d / "quantities.csv") for d in "ab")
    for q in ("D", "L", "conductivity"):
        va = ta[(ta.quantity == q) & (ta.frame == "barycentric") & (ta.method == "fit-blocks(2)")].value.to_numpy()
        vb = tb[(tb.quantity == q) & (tb.frame == "barycentric") & (tb.method == "fit-blocks(2)")].value.to_numpy()
        assert va.size and np.allclose(va, vb, rtol=1e-4), q


def test_species_of_a_plain_xyz_say_what_is_missing(tmp_path):
    """No bonds, one residue, no charges: the listing says so instead of printing '+nan' and one molecule."""
    _, _, plain = write_files(tmp_path)
    runner = CliRunner()
    whole = runner.invoke(app, ["species", str(plain)])
    assert whole.exit_code == 0, whole.output
    text = " ".join(whole.output.split())
    assert "n/a (no charges)" in text and "+nan" not in text and "add --atoms-as-particles" in text
    atoms = runner.invoke(app, ["species", str(plain), "--atoms-as-particles"])
    text = " ".join(atoms.output.split())
    assert atoms.exit_code == 0 and text.count("│ 10 │ 1 │") == 2 and "type NA" in text and "type CL" in text
