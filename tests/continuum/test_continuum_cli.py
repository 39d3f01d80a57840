"""The continuum rows end to end (`ionscale analyze` on files from disk): independent random walkers are an
ideal solution, so the Kirkwood–Buff TDF is 1 and D is the Nernst–Hartley value of the known self-D's;
a given TDF (number or table) scales D; explicit solvent without a TDF says what to do."""

import pandas as pd
import pytest
from synthetic import build, write
from typer.testing import CliRunner

from ionscale.cli import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def walkers(tmp_path_factory):
    syn = build("walkers", n_pairs=100, n_frames=800, seed=5)
    return syn, *write(syn.universe, tmp_path_factory.mktemp("walkers"))


def rows(folder):
    table = pd.read_csv(folder / "quantities.csv", keep_default_na=False, na_values=[""])
    frame = table.frame.fillna("")
    return lambda q, f="": table[(table.quantity == q) & (frame == f)].iloc[0]


def test_ideal_walkers_give_tdf_one_and_nernst_hartley(walkers, tmp_path):
    syn, top, traj = walkers
    result = invoke("analyze", top, traj, "--cation", "type 1", "--anion", "type 2", "--implicit-solvent",
                    "--temperature", 300, "--out", tmp_path, "--no-figures", "--no-structure", "--no-mesoscale")
    assert result.exit_code == 0, result.output
    row = rows(tmp_path)
    tdf = row("thermodynamic_factor")
    assert abs(tdf.value - 1) <= max(4 * tdf.stderr, 0.02) and tdf.stderr < 0.2 and tdf.unit == "1"
    assert "Kirkwood–Buff" in tdf.method
    Dp, Dm = syn.D_m2_s["cation"], syn.D_m2_s["anion"]
    D = row("salt_diffusion", "solvent")
    assert D.unit == "1e-10 m^2/s"
    assert abs(D.value - 2 * Dp * Dm / (Dp + Dm) * 1e10) <= 4 * D.stderr
    assert "thermodynamic_factor" in result.output


def test_given_tdf_number_and_table(walkers, tmp_path):
    _, top, traj = walkers
    base = ("analyze", top, traj, "--cation", "type 1", "--anion", "type 2", "--implicit-solvent",
            "--temperature", 300, "--no-figures",
            "--no-structure", "--no-mesoscale")
    assert invoke(*base, "--out", tmp_path / "a", "--tdf", 2.5).exit_code == 0
    row = rows(tmp_path / "a")
    ideal = row("ideal_salt_diffusion", "solvent").value
    assert row("thermodynamic_factor").value == 2.5
    assert row("salt_diffusion", "solvent").value == pytest.approx(2.5 * ideal, rel=1e-12)
    c = row("thermodynamic_factor").method   # "given: 2.5 at C mol/L"
    conc = float(c.split(" at ")[1].split()[0])
    pd.DataFrame({"concentration_mol_L": [0.0, 2 * conc], "thermodynamic_factor": [1.0, 3.0]}).to_csv(
        tmp_path / "tdf.csv", index=False)
    assert invoke(*base, "--out", tmp_path / "b", "--tdf", tmp_path / "tdf.csv").exit_code == 0
    assert rows(tmp_path / "b")("thermodynamic_factor").value == pytest.approx(2.0, rel=1e-3)
    bad = invoke(*base, "--out", tmp_path / "c", "--tdf", tmp_path / "missing.csv")
    assert bad.exit_code == 2 and "cannot read the TDF table" in bad.output


def test_explicit_solvent_without_tdf_says_how(tmp_path):
    syn = build("walkers", n_pairs=30, n_frames=300, n_solvent=20, seed=2)
    top, traj = write(syn.universe, tmp_path / "in")
    result = invoke("analyze", top, traj, "--cation", "type 1", "--anion", "type 2", "--solvent", "type 3",
                    "--temperature", 300, "--out", tmp_path / "out", "--no-figures", "--no-structure",
                    "--no-mesoscale")
    assert result.exit_code == 0, result.output
    assert "--tdf" in result.output
    assert pd.isna(rows(tmp_path / "out")("salt_diffusion", "solvent").value)


def test_solvent_free_system_has_no_salt_diffusion(walkers, tmp_path):
    """Without solvent species and without --implicit-solvent the ions are a melt: no TDF, no salt D."""
    _, top, traj = walkers
    result = invoke("analyze", top, traj, "--cation", "type 1", "--anion", "type 2", "--temperature", 300,
                    "--out", tmp_path, "--no-figures", "--no-structure", "--no-mesoscale")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "quantities.csv")
    assert not table.quantity.isin(["thermodynamic_factor", "salt_diffusion"]).any()
    assert "no salt to diffuse" in " ".join(result.output.split())
