"""`ionscale analyze` and `ionscale species` end to end on files read from disk (issue 2, items 7 and Done-when)."""

import json

import numpy as np
import pandas as pd
import pytest
from realdata import HTPMD, LITFSI, htpmd_universe
from synthetic import build, write
from typer.testing import CliRunner

from ionscale import Electrolyte
from ionscale.cli import app
from ionscale.mesoscale import ClusterAnalysis, DistanceContacts
from ionscale.trajectory import scan

#: the atoms of htp_md's cluster contacts: Li, and N, O, S of TFSI (tests/data/htpmd/README.md)
HTPMD_CONTACT_ATOMS = "type 90 93 94 95"

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def walkers_on_disk(tmp_path_factory):
    syn = build("walkers", n_pairs=100, n_frames=1500, n_solvent=40, seed=21)
    return syn, *write(syn.universe, tmp_path_factory.mktemp("walkers"))


def test_analyze_reproduces_random_walker_answers(walkers_on_disk, tmp_path):
    syn, top, traj = walkers_on_disk
    out = tmp_path / "out"
    result = invoke("analyze", top, traj, "--cation", "Li=type 1", "--anion", "X=type 2", "--solvent", "type 3",
                    "--temperature", 300, "--out", out, "--no-cache")
    assert result.exit_code == 0, result.output
    assert "t_plus" in result.output and "±" in result.output
    table = pd.read_csv(out / "quantities.csv")
    row = lambda q, f, s: table[(table.quantity == q) & (table.frame == f) & (table.species == s)].iloc[0]  # noqa
    for pair in ("Li|Li", "Li|X", "X|X"):
        r = row("L_distinct", "lab", pair)
        assert abs(r.value) <= 4 * r.stderr, pair
    for label, key in (("Li", "cation"), ("X", "anion")):
        r = row("D", "lab", label)
        assert abs(r.value - syn.D_m2_s[key] * 1e10) <= 4 * r.stderr
        assert r.unit == "1e-10 m^2/s" and r.method == "fit-blocks(5)"
    t, pfg = row("t_plus", "lab", "Li"), row("t_plus_pfg", "lab", "Li")
    assert abs(t.value - pfg.value) <= 4 * np.hypot(t.stderr, pfg.stderr)
    assert json.loads((out / "results.json").read_text())["transport"]["window"]["found"] is True
    assert (out / "msd.png").stat().st_size > 10_000 and (out / "onsager.png").exists()


def test_analyze_with_replicas_and_fixed_window(walkers_on_disk, tmp_path):
    _, top, traj = walkers_on_disk
    other = write(build("walkers", n_pairs=100, n_frames=1500, n_solvent=40, seed=22).universe, tmp_path / "r2")[1]
    result = invoke("analyze", top, traj, other, "--cation", "type 1", "--anion", "type 2", "--solvent", "type 3",
                    "--temperature", 300, "--fit-window", 4, 40, "--out", tmp_path, "--no-figures")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "quantities.csv")
    assert {"replicas(2)", "replica-mean L", "window"} <= set(table.method)
    assert table[table.quantity == "fit_end"].value.iloc[0] == 40


def test_analyze_real_lammps_data_needs_and_uses_a_timestep(tmp_path):
    folder = HTPMD / "9-0-246295613-0"
    args = ["analyze", folder / "relaxed.lmp", folder / "traj.lammpstrj", "--cation", LITFSI["cation"],
            "--anion", LITFSI["anion"], "--solvent", LITFSI["solvent"], "--temperature", 353, "--blocks", 1,
            "--fit-window", 2, 6, "--out", tmp_path, "--no-cache", "--no-figures"]
    missing = invoke(*args)
    assert missing.exit_code == 2 and "--timestep" in missing.output and "Traceback" not in missing.output
    ok = invoke(*args, "--timestep", 2)
    assert ok.exit_code == 0, ok.output
    assert "rounded to valence +1" in ok.output


@pytest.mark.parametrize("args, message", [
    (["--cation", "type 99", "--anion", "type 2"], "matches no atoms"),
    (["--cation", "type 1", "--anion", "type 2", "--valence", "anion=-2"], "not neutral"),
    (["--cation", "type 1", "--anion", "type 2", "--valence", "anion"], "LABEL=VALUE"),
])
def test_bad_input_gives_a_message_not_a_traceback(walkers_on_disk, tmp_path, args, message):
    _, top, traj = walkers_on_disk
    result = invoke("analyze", top, traj, *args, "--temperature", 300, "--out", tmp_path / "x")
    assert result.exit_code == 2 and message in result.output.replace("\n", " ")
    assert "Traceback" not in result.output and not (tmp_path / "x").exists()


def test_wrong_file_is_refused_clearly(walkers_on_disk, tmp_path):
    _, top, _ = walkers_on_disk
    bogus = tmp_path / "traj.dcd"
    bogus.write_text("not a trajectory")
    result = invoke("analyze", top, bogus, "--cation", "type 1", "--anion", "type 2", "--temperature", 300)
    assert result.exit_code == 2 and "cannot read" in result.output
    result = invoke("analyze", top, tmp_path / "missing.dcd", "--cation", "type 1", "--anion", "type 2",
                    "--temperature", 300)
    assert result.exit_code == 2 and "not found" in result.output


def test_species_lists_molecules():
    folder = HTPMD / "9-0-246295613-0"
    result = invoke("species", folder / "relaxed.lmp")
    assert result.exit_code == 0
    assert "type 90" in result.output and "+0.700" in result.output and "-0.700" in result.output


def test_analyze_structure_and_transport_from_one_pass(tmp_path):
    folder = HTPMD / "9-0-246295613-0"
    result = invoke("analyze", folder / "relaxed.lmp", folder / "traj.lammpstrj", "--cation", LITFSI["cation"],
                    "--anion", LITFSI["anion"], "--solvent", LITFSI["solvent"], "--temperature", 353,
                    "--timestep", 2, "--blocks", 1, "--fit-window", 2, 6, "--donors", "anion=type 94",
                    "--donors", "solvent=type 16", "--cutoff", "anion=0.26", "--cutoff", "solvent=0.26",
                    "--out", tmp_path, "--no-cache", "--no-figures")
    assert result.exit_code == 0, result.output
    assert "solvation structure" in result.output
    document = json.loads((tmp_path / "results.json").read_text())
    assert document["structure"]["cutoff_nm"] == {"anion": 0.26, "solvent": 0.26}
    assert "clusters: cation–anion first-shell contacts (shell cut-offs: anion 0.26 nm)" in document["mesoscale"]["notes"]
    table = pd.read_csv(tmp_path / "quantities.csv", keep_default_na=False, na_values=[""])
    bound = table[table.quantity == "bound_fraction"].value.iloc[0]
    free = table[table.quantity == "free_fraction"].value.iloc[0]
    assert 0 < bound <= 1 and bound + free == pytest.approx(1.0)
    assert {"L", "t_plus", "shell_molecules", "anions_bound_fraction"} <= set(table.quantity)
    for name in ("rdf.csv", "acf.csv", "speciation.csv", "msd.csv"):
        columns = pd.read_csv(tmp_path / name).columns
        assert len(columns) > 1, name

    alone = invoke("analyze", folder / "relaxed.lmp", folder / "traj.lammpstrj", "--cation", LITFSI["cation"],
                   "--anion", LITFSI["anion"], "--solvent", LITFSI["solvent"], "--temperature", 353,
                   "--timestep", 2, "--no-transport", "--donors", "anion=type 94", "--cutoff", "anion=0.26",
                   "--donors", "solvent=type 16", "--cutoff", "solvent=0.26", "--out", tmp_path / "s",
                   "--no-cache", "--no-figures")
    assert alone.exit_code == 0, alone.output
    again = pd.read_csv(tmp_path / "s" / "quantities.csv", keep_default_na=False, na_values=[""])
    assert "L" not in set(again.quantity)
    assert again[again.quantity == "bound_fraction"].value.iloc[0] == pytest.approx(bound, rel=1e-12)


# -- mesoscale options (issue 5): cluster contacts, carrier D, S_ZZ k_max --------------------------
def htpmd_clusters(tmp_path, contacts: str, cutoff_nm: float):
    """Clusters of htp_md run 1 with distance contacts of its Li / TFSI N, O, S atoms (no structure analysis):
    (quantities, {(n_cations, n_anions): clusters per frame}, notes of the mesoscale section)."""
    folder = HTPMD / "9-0-246295613-0"
    out = tmp_path / contacts
    result = invoke("analyze", folder / "relaxed.lmp", folder / "traj.lammpstrj", "--cation", LITFSI["cation"],
                    "--anion", LITFSI["anion"], "--solvent", LITFSI["solvent"], "--temperature", 353,
                    "--timestep", 2, "--blocks", 1, "--fit-window", 2, 6, "--no-structure", "--cluster-contacts",
                    contacts, "--cluster-atoms", HTPMD_CONTACT_ATOMS, "--cluster-cutoff-nm", cutoff_nm, "--out", out,
                    "--no-cache", "--no-figures")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "quantities.csv", keep_default_na=False, na_values=[""])
    population = {}
    for row in table[table.quantity == "cluster_population"].itertuples():
        n_cations, n_anions = map(int, row.species.rstrip("-").split("+"))
        population[n_cations, n_anions] = row.value
    return table, population, json.loads((out / "results.json").read_text())["mesoscale"]["notes"]


def test_cluster_contacts_all_is_htpmd_definition(tmp_path):
    """'all' contacts within 3.4 Å are htp_md's own definition: its population matrix comes out exactly."""
    table, population, notes = htpmd_clusters(tmp_path, "all", 0.34)
    reference = np.loadtxt(HTPMD / "9-0-246295613-0" / "population.txt")
    mine = np.zeros_like(reference)
    for (i, j), value in population.items():
        mine[i, j] = value
    np.testing.assert_allclose(mine, reference, rtol=1e-9, atol=1e-12)
    assert sum(i * p for (i, _), p in population.items()) == pytest.approx(50)   # each of the 50 Li once a frame
    assert notes[0] == f"clusters: any two ions with atoms ({HTPMD_CONTACT_ATOMS}) within 0.34 nm"
    assert table[table.quantity == "percolating_fraction"].value.iloc[0] == 0


def test_cluster_contacts_cation_anion_drop_like_charge_bonds(tmp_path):
    """At 4.5 Å, TFSI–TFSI contacts join clusters: 'cation-anion' gives what DistanceContacts(pairs=
    "cation-anion") gives through the API, and more clusters per frame than pairs="all"."""
    table, population, notes = htpmd_clusters(tmp_path, "cation-anion", 0.45)
    es = Electrolyte.from_universe(htpmd_universe("9-0-246295613-0"), **LITFSI, timestep_ps=2.0)
    made = {pairs: DistanceContacts.from_electrolyte(es, HTPMD_CONTACT_ATOMS, 0.45, pairs=pairs, name=pairs)
            for pairs in ("cation-anion", "all")}
    store = scan(es, collectors=list(made.values()), cache=False)
    api = {pairs: ClusterAnalysis(es, store, store.extras[f"{pairs}/edges"]).run() for pairs in made}
    expected = {tuple(c): p for c, p in zip(api["cation-anion"].compositions, api["cation-anion"].population)}
    assert population.keys() == expected.keys()
    assert [population[k] for k in expected] == pytest.approx(list(expected.values()), rel=1e-12)
    assert sum(population.values()) > api["all"].population.sum() + 1         # 44.0 against 42.4 per frame
    free = table[(table.quantity == "free_ion_fraction") & (table.species == "anion")].value.iloc[0]
    assert free == pytest.approx(api["cation-anion"].get("free_ion_fraction", "anion").value, rel=1e-12)
    assert notes[0].startswith("clusters: a cation and an anion with atoms")


def test_centre_of_mass_carriers_and_k_max_options(walkers_on_disk, tmp_path):
    """Free random walkers (contacts within 0.01 nm: none): the cluster NE conductivity of centre-of-mass
    carriers over 5 ps is the Nernst–Einstein value of the exact D's; S_ZZ ≈ 1 (no charge correlation) up to
    the |k| asked for."""
    syn, top, traj = walkers_on_disk
    result = invoke("analyze", top, traj, "--cation", "type 1", "--anion", "type 2", "--solvent", "type 3",
                    "--temperature", 300, "--epsilon-r", 10, "--cluster-contacts", "cation-anion",
                    "--cluster-cutoff-nm", 0.01, "--cluster-carrier", "com", "--carrier-lag-ps", 5,
                    "--szz-k-max-nm-inv", 6, "--out", tmp_path, "--no-cache", "--no-figures")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "quantities.csv", keep_default_na=False, na_values=[""])
    sigma = table[table.quantity == "conductivity_cluster_ne"].iloc[0]
    assert "cluster centre-of-mass D over 5 ps" in sigma.method and sigma.unit == "mS/cm"
    volume_m3 = (4e-9) ** 3                                          # the 40 Å box
    exact = (1.602176634e-19 ** 2 / (volume_m3 * 1.380649e-23 * 300) * 100      # 100 ions of each species
             * (syn.D_m2_s["cation"] + syn.D_m2_s["anion"]) * 10)                 # S/m → mS/cm
    assert sigma.value == pytest.approx(exact, rel=0.05)
    szz = pd.read_csv(tmp_path / "szz.csv")
    k = szz["k (nm^-1)"]
    assert k.max() <= 6 and k.max() > 6 - 2 * np.pi / 4 and k.min() == pytest.approx(2 * np.pi / 4)
    assert np.average(szz["S_ZZ (1)"], weights=szz["n_vectors (1)"]) == pytest.approx(1.0, abs=0.05)


@pytest.fixture(scope="module")
def short_on_disk(tmp_path_factory):
    return write(build("walkers", n_pairs=10, n_frames=60, seed=3).universe, tmp_path_factory.mktemp("short"))


@pytest.mark.parametrize("args, message", [
    (["--cluster-contacts", "bonds"], "cluster_contacts (--cluster-contacts): Input should be 'shell', "
                                     "'cation-anion' or 'all', got 'bonds'"),
    (["--cluster-contacts", "all"], "'all' cluster contacts need a contact distance"),
    (["--cluster-cutoff-nm", 0.3], "use them with cluster contacts 'cation-anion' or 'all'"),
    (["--cluster-contacts", "all", "--cluster-cutoff-nm", -1], "the cluster cut-off must be positive (in nm), got -1"),
    (["--cluster-contacts", "all", "--cluster-cutoff-nm", 0.3, "--cluster-atoms", "type 9"], "matches no atoms"),
    (["--cluster-carrier", "fast"], "Input should be 'majority' or 'com', got 'fast'"),
    (["--carrier-lag-ps", 5], "use it with the 'com' cluster carrier"),
    (["--cluster-contacts", "all", "--cluster-cutoff-nm", 0.3, "--cluster-carrier", "com", "--carrier-lag-ps", 0.2],
     "shorter than half the frame interval (1 ps)"),
    (["--cluster-contacts", "all", "--cluster-cutoff-nm", 0.3, "--cluster-carrier", "com", "--carrier-lag-ps", 100],
     "not shorter than the trajectory (59 ps)"),
    (["--szz-k-max-nm-inv", 0], "the largest |k| of S_ZZ must be positive (in nm⁻¹), got 0"),
    (["--szz-k-max-nm-inv", 1], "raise k_max above 2π/L = 1.57 nm⁻¹"),
    (["--no-mesoscale", "--szz-k-max-nm-inv", 5, "--epsilon-r", 10], "epsilon_r, szz_k_max_nm_inv set with the "
                                                                    "mesoscale analyses off"),
])
def test_bad_mesoscale_options_give_a_message(short_on_disk, tmp_path, args, message):
    top, traj = short_on_disk
    result = invoke("analyze", top, traj, "--cation", "type 1", "--anion", "type 2", "--temperature", 300,
                    "--blocks", 1, "--fit-window", 2, 10, "--no-cache", "--out", tmp_path / "x", *args)
    assert result.exit_code == 2 and message in " ".join(result.output.split()), result.output
    assert "Traceback" not in result.output and not (tmp_path / "x").exists()
