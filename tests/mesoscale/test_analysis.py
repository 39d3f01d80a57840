"""The analyses end to end on analytic trajectories: rigid pairs, independent walkers; rows, tables, figures."""

import json

import matplotlib.pyplot as plt
import numpy as np
import pytest
from synthetic import BOX_A, build

from ionscale import Electrolyte, IonscaleError
from ionscale.mesoscale import (ClusterAnalysis, DistanceContacts, MesoscaleResult, ScreeningAnalysis,
                                screening_analysis)
from ionscale.mesoscale.decay_fit import DecayFit
from ionscale.mesoscale.figures import plot_charge_correlation
from ionscale.trajectory import scan
from ionscale.transport.quantities import nernst_einstein_conductivity
from ionscale.core.table import COLUMNS

N_PAIRS, N_FRAMES, T = 20, 40, 300.0


def prepared(kind: str, cutoff_nm: float):
    syn = build(kind, n_pairs=N_PAIRS, n_frames=N_FRAMES, seed=2)
    es = Electrolyte.from_universe(syn.universe, cation=syn.cation, anion=syn.anion)
    store = scan(es, collectors=[DistanceContacts.from_electrolyte(es, "all", cutoff_nm)], cache=False)
    box = np.tile([BOX_A / 10] * 3 + [90.0] * 3, (N_FRAMES, 1))
    D = np.array([syn.D_m2_s["cation"], syn.D_m2_s["anion"]])
    return es, store, box, D


@pytest.fixture(scope="module")
def pairs():
    return prepared("pairs", cutoff_nm=0.26)     # each cation glued to its anion at 0.25 nm


@pytest.fixture(scope="module")
def walkers():
    return prepared("walkers", cutoff_nm=0.001)  # no contacts: every ion free


@pytest.mark.parametrize("carrier", ["majority", "com"])
def test_rigid_pairs_carry_no_current(pairs, carrier):
    es, store, box, D = pairs
    res = ClusterAnalysis(es, store, store.extras["contacts/edges"], box_nm=box, temperature=T, diffusion_m2_s=D,
                          carrier=carrier, lifetimes=True).run()
    assert res.get("free_ion_fraction", "cation").value == res.get("free_ion_fraction", "anion").value == 0
    assert res.get("cluster_charge_fraction", "0").value == 1.0
    assert res.get("conductivity_cluster_ne").value == 0.0 and np.isnan(res.get("t_plus_cluster_ne", "cation").value)
    assert res.get("cluster_composition_fraction", "1+1-").value > 0.9
    assert res.get("percolating_fraction").value == 0.0
    assert res.get("cluster_lifetime").unit == "ps"


def test_free_ions_give_nernst_einstein(walkers):
    es, store, box, D = walkers
    res = ClusterAnalysis(es, store, store.extras["contacts/edges"], box_nm=box, temperature=T, diffusion_m2_s=D,
                          lifetimes=True).run()
    c = store.counts / (6.02214076e23 * store.volume_nm3.mean() * 1e-27)
    kappa_ne = nernst_einstein_conductivity(c, [1, -1], D, T) * 10       # mS/cm
    sigma = res.get("conductivity_cluster_ne")
    assert sigma.value == pytest.approx(kappa_ne, rel=1e-12) and sigma.stderr == pytest.approx(0, abs=1e-12)
    assert res.get("t_plus_cluster_ne", "cation").value == pytest.approx(D[0] / D.sum(), rel=1e-12)
    assert res.get("cluster_size_fraction", "1").value == 1.0 and res.get("largest_cluster_fraction").value == 1 / 40
    assert np.isnan(res.get("cluster_lifetime").value)
    assert res.population_matrix().tolist() == [[0, N_PAIRS], [N_PAIRS, 0]]


def test_centre_of_mass_carriers_recover_the_walkers_diffusion(walkers):
    es, store, box, D = walkers
    res = ClusterAnalysis(es, store, store.extras["contacts/edges"], box_nm=box, temperature=T, carrier="com").run()
    reference = ClusterAnalysis(es, store, store.extras["contacts/edges"], box_nm=box, temperature=T,
                                diffusion_m2_s=D).run()
    # one-frame displacements of random walkers are exactly diffusive: same σ within sampling noise
    assert res.get("conductivity_cluster_ne").value == pytest.approx(
        reference.get("conductivity_cluster_ne").value, rel=0.1)
    assert "centre-of-mass D over 1 ps" in res.get("conductivity_cluster_ne").method


def test_notes_and_errors(walkers):
    es, store, box, D = walkers
    edges = store.extras["contacts/edges"]
    assert ClusterAnalysis(es, store, edges, box_nm=box).run().notes == [
        "no temperature given: no cluster Nernst–Einstein conductivity"]
    no_D = ClusterAnalysis(es, store, edges, box_nm=box, temperature=T).run()
    assert "no ion diffusion coefficients" in no_D.notes[0]
    with pytest.raises(IonscaleError, match="one diffusion coefficient per ion species"):
        ClusterAnalysis(es, store, edges, box_nm=box, temperature=T, diffusion_m2_s=[1e-9])
    with pytest.raises(IonscaleError, match="box_nm must have shape"):
        ClusterAnalysis(es, store, edges, box_nm=box[:3])
    with pytest.raises(IonscaleError, match="carrier must be"):
        ClusterAnalysis(es, store, edges, box_nm=box, carrier="vehicle")


def test_uncorrelated_ions_have_flat_charge_structure(walkers):
    es, store, box, _ = walkers
    res = ScreeningAnalysis(es, store, T, box_nm=box, epsilon_r=10.0, k_max_nm_inv=8.0).run()
    weights = res.n_vectors / res.n_vectors.sum()
    assert np.sum(res.s_zz * weights) == pytest.approx(1.0, abs=0.05)       # <|ρ_k|²> = Σ z²
    assert np.nanmean(res.h_zz[res.r_nm > 0.5]) == pytest.approx(0.0, abs=0.05)
    # there is nothing to screen: whatever the fit finds is flagged, not reported as a length
    assert not res.reliable and "UNRELIABLE" in res.get("screening_length").method
    fig = plot_charge_correlation(res)          # the figure names the reason, whichever it is
    assert fig.axes[0].get_title().endswith(f"UNRELIABLE: {res.message.split(':')[0]}")
    plt.close(fig)
    assert res.get("debye_length").unit == "nm" and res.get("dielectric_constant").method == "given"
    assert res.notes[-1] == "S_ZZ and h_ZZ from 40 frames (every 1), error bars: frame-blocks(5)"
    fewer = ScreeningAnalysis(es, store, T, box_nm=box, epsilon_r=10.0, max_frames=7).run()
    assert fewer.notes[-1] == "S_ZZ and h_ZZ from 7 frames (every 6), error bars: frame-blocks(5)"


def test_a_decay_length_beyond_the_box_is_flagged(walkers, monkeypatch):
    es, store, box, _ = walkers
    long = DecayFit(kind="monotonic", decay_length_nm=3.0, decay_length_stderr_nm=0.1, period_nm=np.nan,
                    period_stderr_nm=np.nan, amplitude=1.0, reference_nm=0.5, phase=0.0, rss=0.0, aic=0.0, n_points=50)
    monkeypatch.setattr(screening_analysis, "fit_decay", lambda r, y: (long, long, None))
    res = ScreeningAnalysis(es, store, T, box_nm=box, epsilon_r=10.0).run()
    assert not res.reliable and "box too small" in res.message and res.message in res.notes
    for quantity in ("screening_length", "screening_period", "screening_ratio"):
        assert "UNRELIABLE: box too small" in res.get(quantity).method
    assert res.get("screening_length").value == 3.0


def test_dielectric_constant_from_solvent_dipoles_is_labelled(walkers):
    es, store, box, _ = walkers
    dipoles = np.random.default_rng(0).normal(scale=2.0, size=(N_FRAMES, 3))
    res = ScreeningAnalysis(es, store, T, box_nm=box, dipole_e_nm=dipoles).run()
    assert "approximation with ions present" in res.get("dielectric_constant").method
    assert res.get("debye_length").value > 0
    assert "no ε_r" in ScreeningAnalysis(es, store, T, box_nm=box).run().notes[0]


def test_combined_result_rows_tables_and_figures(pairs):
    es, store, box, D = pairs
    res = MesoscaleResult(
        clusters=ClusterAnalysis(es, store, store.extras["contacts/edges"], box_nm=box, temperature=T,
                                 diffusion_m2_s=D).run(),
        screening=ScreeningAnalysis(es, store, T, box_nm=box, epsilon_r=10.0).run())
    table = res.to_frame()
    assert list(table.columns) == COLUMNS and (table.frame == "").all() and table.unit.str.len().gt(0).all()
    names = set(table.quantity)
    assert {"cluster_size_fraction", "cluster_charge_fraction", "cluster_composition_fraction", "free_ion_fraction",
            "largest_cluster_fraction", "percolating_fraction", "debye_length", "screening_length",
            "screening_period", "screening_ratio", "dielectric_constant", "conductivity_cluster_ne",
            "t_plus_cluster_ne"} <= names
    assert table.query("quantity == 'conductivity_cluster_ne'").unit.item() == "mS/cm"
    assert list(res.szz_frame().columns) == ["k (nm^-1)", "S_ZZ (1)", "S_ZZ stderr (1)", "n_vectors (1)"]
    hzz = res.hzz_frame()
    assert list(hzz.columns)[:5] == ["r (nm)", "h_ZZ (1)", "h_ZZ stderr (1)", "r h_ZZ (nm)", "r h_ZZ fit (nm)"]
    assert "g cation|anion (1)" in hzz.columns and len(hzz) == len(res.screening.r_nm)
    figures = res.figures()
    assert sorted(figures) == ["clusters.png", "hzz.png", "szz.png"]
    for fig in figures.values():
        plt.close(fig)
    assert res.section == "mesoscale" and sorted(res.tables()) == ["hzz.csv", "szz.csv"]
    document = res.to_dict()
    assert document["clusters"]["species"] == ["cation", "anion"] and [1, 1] in document["clusters"]["compositions"]
    assert document["screening"]["fits"]["chosen"]["kind"] in ("monotonic", "oscillatory")
    json.dumps(document)   # plain Python types only


@pytest.mark.parametrize("decay_nm, rss, half_box_nm, verdict", [
    (0.3, 0.1, 2.0, "half the box width holds 6.7 screening lengths"),
    (0.015, 0.1, 2.0, "not resolved"),                # shorter than two 0.01 nm bins
    (0.3, 0.6, 2.0, "mostly noise"),                  # explains 40 % of Σ y² = 1
    (1.2, 0.1, 2.0, "box too small"),                 # 1.7 screening lengths in L/2
])
def test_when_a_screening_length_is_meaningful(decay_nm, rss, half_box_nm, verdict):
    r = np.arange(0.4, 2.0, 0.01)
    y = np.full(len(r), 1 / np.sqrt(len(r)))         # Σ y² = 1
    fit = DecayFit(kind="monotonic", decay_length_nm=decay_nm, decay_length_stderr_nm=0.0, period_nm=np.nan,
                   period_stderr_nm=np.nan, amplitude=1.0, reference_nm=0.4, phase=0.0, rss=rss, aic=0.0,
                   n_points=len(r))
    reliable, message = screening_analysis._judge(fit, r, y, half_box_nm)
    assert verdict in message and reliable == verdict.startswith("half")


def test_the_cluster_picture_is_checked_against_the_onsager_sign():
    """Opposite signs give a warning naming both numbers; where the contacts end before the diffusive fit
    starts it says the cations leave their clusters first (the explicit-solvent moderate run: 20.8 ps
    contacts, fit from 100 ps); same signs, or a NaN, give none."""
    from ionscale.mesoscale.cluster_analysis import cluster_picture_note
    short = cluster_picture_note(-1.6, 0.46, 0.26, 100.0, 20.8)
    assert short.startswith("the cluster Nernst–Einstein t+ (-1.6) and the Onsager t+^0 (0.46 ± 0.26) differ in sign")
    assert short.endswith("contacts last 20.8 ps and the diffusive fit starts at 100 ps: the cations leave their "
                          "clusters first, so t+^0 holds")
    long = cluster_picture_note(-0.5, 0.3, 0.1, 100.0, 500.0)
    assert "leave" not in long and long.endswith("(the diffusive fit starts at 100 ps); compare the residence times")
    assert "leave" not in cluster_picture_note(-0.5, 0.3, 0.1, 100.0, float("nan"))   # lifetime unknown
    assert cluster_picture_note(0.4, 0.46, 0.26, 100.0, 20.8) is None
    assert cluster_picture_note(-0.4, -0.2, 0.1, 100.0, 20.8) is None
    assert cluster_picture_note(float("nan"), 0.46, 0.26, 100.0, 20.8) is None
