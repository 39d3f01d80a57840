"""Onsager analysis on analytic trajectories with known answers (SPEC §8 items 2, 3, 5, 6)."""


import MDAnalysis as mda
import numpy as np
import pytest
from scipy import constants
from synthetic import build, write

from ionscale import Electrolyte, IonscaleError, OnsagerAnalysis, OnsagerResult
from ionscale.trajectory import scan
from ionscale.transport.frames import solvent_from_barycentric


def within(estimate, expected, sigmas=4.0):
    """|value − expected| below `sigmas` standard errors."""
    return abs(estimate.value - expected) <= sigmas * estimate.stderr


@pytest.fixture(scope="module")
def walkers():
    syn = build("walkers", n_pairs=120, n_frames=2000, n_solvent=80, seed=11)
    es = Electrolyte.from_universe(syn.universe, cation=syn.cation, anion=syn.anion, solvent=syn.solvent)
    return syn, es, OnsagerAnalysis(es, temperature=300.0, cache=False).run()


def _reference_D(syn, es, frame):
    """Exact D of the reference point: the solvent centre is the mean of N_s independent walkers,
    D_s/N_s; the lab frame is at rest."""
    return {"lab": 0.0, "solvent": syn.D_m2_s["solvent"] / es.solvents[0].n_molecules}[frame]


def test_random_walkers_self_diffusion(walkers):
    syn, es, res = walkers
    for frame in ("lab", "solvent"):
        D = res.D[frame]
        for k, label in enumerate(["cation", "anion"]):
            expected = (syn.D_m2_s[label] + _reference_D(syn, es, frame)) * 1e10
            assert abs(D.value[k] - expected) <= 4 * D.stderr[k], (frame, label)


def test_random_walkers_have_no_distinct_correlations(walkers):
    """Lab frame: nothing. Solvent frame: only the common motion of the reference point,
    L_ij^distinct = n_i n_j D_ref / (V k_B T) (minus the self part n_i D_ref for i = j)."""
    syn, es, res = walkers
    volume_m3 = res.system["volume_nm3"] * 1e-27
    n = es.counts
    for frame in ("lab", "solvent"):
        D_ref = _reference_D(syn, es, frame)
        for i, j in ((0, 0), (0, 1), (1, 1)):
            expected = (n[i] * n[j] - (n[i] if i == j else 0)) * D_ref / (volume_m3 * constants.k * 300.0)
            pair = f"{es.ions[i].label}|{es.ions[j].label}"
            assert within(res.get("L_distinct", frame, pair), expected / constants.N_A ** 2), (frame, pair)


def test_self_part_is_rho_D_over_kT(walkers):
    syn, es, res = walkers
    volume_m3 = res.system["volume_nm3"] * 1e-27
    for frame in res.frames:
        for k, label in enumerate(["cation", "anion"]):
            L_self = res.get("L_self", frame, label).value
            D = res.get("D", frame, label).value * 1e-10
            rho = es.ions[k].n_molecules / volume_m3
            assert L_self == pytest.approx(rho * D / (constants.k * 300.0) / constants.N_A ** 2, rel=1e-12)
        assert within(res.get("L", "lab", "cation|cation"), res.get("L_self", "lab", "cation").value)


def test_uncorrelated_transference_equals_pfg_and_current_fraction(walkers):
    _, _, res = walkers
    t, pfg, rho = res.t_plus["lab"], res.t_plus_pfg["lab"], res.rho_plus["lab"]
    assert abs(t.value - pfg.value) <= 4 * np.hypot(t.stderr, pfg.stderr)
    assert abs(rho.value - t.value) <= 4 * np.hypot(t.stderr, rho.stderr)
    assert within(res.ionicity["lab"], 1.0)
    assert res.get("t_plus", "lab", "cation").method == "fit-blocks(5)"


def test_species_mean_convention_is_L_over_cc(walkers):
    _, es, res = walkers
    c = es.counts / (constants.N_A * res.system["volume_nm3"] * 1e-27)
    for frame in res.frames:
        np.testing.assert_allclose(res.L_mean[frame].value, res.L[frame].value / np.outer(c, c), rtol=1e-12)


def test_rigid_pairs_carry_no_current():
    syn = build("pairs", n_pairs=150, n_frames=1500, seed=4)
    es = Electrolyte.from_universe(syn.universe, cation=syn.cation, anion=syn.anion, implicit_solvent=True)
    res = OnsagerAnalysis(es, temperature=300.0, cache=False).run()
    kappa = res.conductivity["solvent"]
    L = res.L["solvent"]
    assert abs(kappa.value) < 1e-6 * res.conductivity_ne["solvent"].value
    assert L.value[0, 1] == pytest.approx(L.value[0, 0], rel=1e-6)
    assert L.value[1, 1] == pytest.approx(L.value[0, 0], rel=1e-6)
    assert res.ionicity["solvent"].value == pytest.approx(0.0, abs=1e-6)


def test_solvent_frame_direct_equals_mapped_from_barycentric(tmp_path):
    """SPEC §8.5 on a trajectory written to disk and read back through MDAnalysis."""
    syn = build("walkers", n_pairs=40, n_frames=600, n_solvent=60, seed=8)
    top, traj = write(syn.universe, tmp_path)
    es = Electrolyte.from_universe(mda.Universe(str(top), str(traj)), cation="type 1", anion="type 2",
                                   solvent="type 3")
    res = OnsagerAnalysis(es, temperature=300.0, fit=(5.0, 50.0), cache=False).run()
    solvent_mass = sum(s.n_molecules * s.molecule_mass_g_mol for s in es.solvents)
    masses = np.array([s.molecule_mass_g_mol for s in es.ions])
    mapped = solvent_from_barycentric(res.L["barycentric"].value, es.counts, masses, solvent_mass)
    np.testing.assert_allclose(res.L["solvent"].value, mapped, rtol=1e-9, atol=1e-12 * np.abs(mapped).max())
    assert not np.allclose(res.L["solvent"].value, res.L["barycentric"].value, rtol=1e-3, atol=0)


def test_disk_round_trip_gives_in_memory_results(tmp_path):
    """SPEC §8.6: Å and ps on disk, nm and ps inside, the same numbers either way."""
    syn = build("walkers", n_pairs=40, n_frames=600, n_solvent=20, seed=9)
    top, traj = write(syn.universe, tmp_path)
    kwargs = dict(temperature=300.0, fit=(5.0, 50.0), cache=False)
    mem = OnsagerAnalysis(Electrolyte.from_universe(syn.universe, cation=syn.cation, anion=syn.anion,
                                                    solvent=syn.solvent), **kwargs).run()
    disk = OnsagerAnalysis(Electrolyte.from_universe(mda.Universe(str(top), str(traj)), cation="type 1",
                                                     anion="type 2", solvent="type 3"), **kwargs).run()
    for frame in mem.frames:
        np.testing.assert_allclose(disk.L[frame].value, mem.L[frame].value, rtol=1e-5)
        np.testing.assert_allclose(disk.D[frame].value, mem.D[frame].value, rtol=1e-5)
    assert disk.D["lab"].value[0] == pytest.approx(syn.D_m2_s["cation"] * 1e10, rel=0.1)


def test_replicas_give_replica_errors_and_mean_L_values():
    reps = [build("walkers", n_pairs=60, n_frames=800, seed=s) for s in (1, 2, 3)]
    es = [Electrolyte.from_universe(r.universe, cation=r.cation, anion=r.anion, implicit_solvent=True) for r in reps]
    res = OnsagerAnalysis(es, temperature=300.0, cache=False).run()
    each = [OnsagerAnalysis(e, temperature=300.0, fit=(res.window["start_ps"], res.window["end_ps"]),
                            n_blocks=1, cache=False).run() for e in es]
    values = [r.t_plus["solvent"].value for r in each]
    t = res.get("t_plus", "solvent", "cation", method="replicas(3)")
    assert t.value == pytest.approx(np.mean(values), rel=1e-12)
    assert t.stderr == pytest.approx(np.std(values, ddof=1) / np.sqrt(3), rel=1e-9)
    assert res.get("t_plus", "solvent", "cation", method="replica-mean L").stderr != res.get(
        "t_plus", "solvent", "cation", method="replica-mean L").stderr  # NaN: no error bar for it


def test_window_is_reported_with_gamma_of_every_term(walkers):
    _, _, res = walkers
    table = res.to_frame()
    assert res.window["found"] and res.window["end_ps"] == pytest.approx(10 * res.window["start_ps"], rel=0.2)
    gammas = table[table.quantity == "gamma"]
    assert len(gammas) == 3 * (2 + 3 + 1)  # per frame: 2 self, 3 collective, the charge (κ) term
    self_gamma = gammas[gammas.method == "self MSD"].value
    assert np.all(np.abs(self_gamma - 1) <= 0.1)


def test_explicit_window_and_its_errors(walkers):
    _, es, _ = walkers
    with pytest.raises(IonscaleError, match="ends at"):
        OnsagerAnalysis(es, temperature=300.0, fit=(10.0, 1e6), cache=False).run()
    with pytest.raises(IonscaleError, match="start < end"):
        OnsagerAnalysis(es, temperature=300.0, fit=(10.0, 5.0))
    with pytest.raises(IonscaleError, match="blocks"):
        OnsagerAnalysis(es, temperature=300.0, n_blocks=1000, cache=False).run()
    light = scan(es, cache=False, stop=50, transport=False)
    with pytest.raises(IonscaleError, match="without transport"):
        OnsagerAnalysis(es, temperature=300.0, stores=[light])


def test_non_diffusive_trajectory_warns_and_says_so():
    syn = build("pairs", n_pairs=20, n_frames=300, seed=1)
    u = syn.universe
    positions = u.trajectory.coordinate_array.copy()
    t = np.arange(len(positions))[:, None, None]
    positions = (positions[:1] + 0.002 * t ** 2 * np.array([1.0, 0.5, 0.2])) % 40.0  # ballistic drift
    positions[:, 20:] = (positions[:, :20] + np.array([2.5, 0, 0])) % 40.0
    u.trajectory.coordinate_array[:] = positions
    es = Electrolyte.from_universe(u, cation=syn.cation, anion=syn.anion, implicit_solvent=True)
    with pytest.warns(UserWarning, match="no diffusive window"):
        res = OnsagerAnalysis(es, temperature=300.0, n_blocks=2, cache=False).run()
    assert not res.window["found"] and any("no diffusive window" in n for n in res.notes)


def test_save_and_load_round_trip(walkers, tmp_path):
    _, _, res = walkers
    written = res.save(tmp_path)
    assert {p.name for p in written} == {"results.json", "quantities.csv", "msd.csv", "msd.png", "onsager.png",
                                         "transport.result.npz"}
    import json
    import pandas as pd
    json.loads((tmp_path / "results.json").read_text(), parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    table = pd.read_csv(tmp_path / "quantities.csv")
    assert list(table.columns) == ["quantity", "frame", "species", "value", "stderr", "unit", "method"]
    assert set(table.unit.dropna()) >= {"mol^2 J^-1 m^-1 s^-1", "m^5 J^-1 s^-1", "1e-10 m^2/s", "mS/cm", "ps", "1"}
    curves = pd.read_csv(tmp_path / "msd.csv")
    assert all("(" in c and c.endswith(")") for c in curves.columns)
    back = OnsagerResult.load(tmp_path)
    assert back.t_plus["solvent"].value == res.t_plus["solvent"].value      # the state file: every bit
    assert np.array_equal(back.curves["omega"]["lab"], res.curves["omega"]["lab"])
