"""Residence correlation functions (Fang et al. Eq. 6) against explicit definitions, and the KWW fit."""

import numpy as np
import pytest
from scipy.optimize import least_squares
from scipy.special import gamma

from ionscale.structure.residence import (
    continuous_acf,
    fit_kww,
    intermittent_acf,
    linker_contacts,
)


def brute_force(series: np.ndarray, continuous: bool) -> np.ndarray:
    """C(t) from 0/1 series (n_contacts, T) by loops over contacts and origins, straight from the definition."""
    n, T = series.shape
    numerator = np.zeros(T)
    for t in range(T):
        for p in range(n):
            for t0 in range(T - t):
                window = series[p, t0:t0 + t + 1]
                numerator[t] += window.all() if continuous else window[0] * window[-1]
        numerator[t] /= T - t
    return numerator / (series.sum() / T)


def sparse(series: np.ndarray):
    contact, frame = np.nonzero(series)
    return contact * 7 + 3, frame  # any integer labels will do


def test_continuous_from_known_run_lengths():
    """One contact, T = 10, runs of 3 and 5 frames: Σ max(L − t, 0) = 8, 6, 4, 2, 1, 0 for t = 0..5."""
    series = np.array([[1, 1, 1, 0, 0, 1, 1, 1, 1, 1]])
    acf = continuous_acf(*sparse(series), 10)
    T = 10
    expected = np.array([8, 6, 4, 2, 1, 0, 0, 0, 0, 0]) / (T - np.arange(T)) / (8 / T)
    np.testing.assert_allclose(acf, expected, rtol=1e-14)
    assert acf[0] == 1.0


@pytest.mark.parametrize("continuous", [True, False])
def test_random_contacts_against_definition(continuous):
    rng = np.random.default_rng(3)
    series = (rng.random((6, 40)) < 0.7).astype(int)
    series[2] = 0  # a contact that never forms changes nothing
    acf = (continuous_acf if continuous else intermittent_acf)(*sparse(series), 40)
    np.testing.assert_allclose(acf, brute_force(series, continuous), rtol=1e-12, atol=1e-14)


def test_intermittent_batches(monkeypatch):
    """Summing power spectra over batches of contacts gives the same function as one batch."""
    import ionscale.structure.residence as residence
    rng = np.random.default_rng(5)
    series = (rng.random((50, 30)) < 0.5).astype(int)
    whole = intermittent_acf(*sparse(series), 30)
    monkeypatch.setattr(residence, "BATCH_VALUES", 3 * 64)  # 3 contacts per batch
    np.testing.assert_allclose(intermittent_acf(*sparse(series), 30), whole, rtol=1e-12)


def test_no_contacts():
    assert np.isnan(continuous_acf(np.array([], int), np.array([], int), 5)).all()


def test_kww_refit():
    """A stretched exponential sampled every 0.5 ps refits to its τ_K and β; τ = (τ_K/β) Γ(1/β)."""
    time = 0.5 * np.arange(4000)
    tau_k, beta = 12.3, 0.63
    fit = fit_kww(time, np.exp(-(time / tau_k) ** beta))
    assert fit.tau_k_ps == pytest.approx(tau_k, rel=1e-7)
    assert fit.beta == pytest.approx(beta, rel=1e-7)
    assert fit.tau_ps == pytest.approx(tau_k / beta * gamma(1 / beta), rel=1e-7)
    assert fit.tau_ps == pytest.approx(17.41813, rel=1e-6)  # Γ(1/0.63) = 0.892148
    assert fit(np.array([tau_k])) == pytest.approx([np.exp(-1)])
    # the fit stops where C(t) drops below the floor
    assert fit.fit_end_ps < tau_k * (-np.log(0.02)) ** (1 / beta)


@pytest.mark.parametrize("shape", ["beta below its range", "beta above its range", "plateau", "low plateau",
                                   "slow linear drop", "noisy", "two steps"])
def test_kww_fit_is_the_bounded_least_squares(shape):
    """Whichever way the fit goes (unbounded, on a bound of β, or the bounded trust-region solver), it is the
    bounded least-squares optimum of a tightly converged reference: as small a sum of squares (τ_K is
    ill-determined where β sits on a bound), the same β."""
    time = np.arange(1000.0)
    rng = np.random.default_rng(4)
    acf = {"beta below its range": np.exp(-(time / 40.0) ** 0.03),
           "beta above its range": np.exp(-(time / 60.0) ** 7.0),
           "plateau": 0.55 + 0.45 * np.exp(-time / 8.0),
           "low plateau": 0.15 + 0.85 * np.exp(-time / 5.0),   # the bound is no minimum: bounded solver
           "slow linear drop": np.where(time < 300, 1 - 0.15 * time / 300, 0.85 * np.exp(-(time - 300) / 5)),
           # (the unbounded fit leaves the range of β)
           "noisy": np.exp(-(time / 25.0) ** 0.7) + rng.normal(0, 0.02, time.size),
           "two steps": 0.5 * np.exp(-time / 2.0) + 0.5 * np.exp(-time / 300.0)}[shape]
    fit = fit_kww(time, acf)
    end = np.flatnonzero(~(acf[:501] >= 0.02))
    t, c = time[1:end[0] if end.size else 501], acf[1:end[0] if end.size else 501]
    def residuals(p):
        return np.exp(-np.exp(p[1] * (np.log(t) - p[0]))) - c
    reference = least_squares(residuals, x0=(np.log(fit.tau_k_ps) + 0.1, np.clip(fit.beta * 1.1, 0.06, 4.9)),
                              bounds=([-np.inf, 0.05], [np.inf, 5.0]), xtol=1e-14, ftol=1e-14, gtol=1e-14)
    ours = residuals((np.log(fit.tau_k_ps), fit.beta))
    assert ours @ ours <= 2 * reference.cost * (1 + 1e-9)
    assert fit.beta == pytest.approx(reference.x[1], abs=1e-5)


def test_kww_refuses_what_it_cannot_fit():
    time = np.arange(50.0)
    assert np.isnan(fit_kww(time, np.exp(-time / 0.3))).all()  # below the floor after one lag
    assert np.isnan(fit_kww(time, np.exp(-time / 1e4))).all()  # barely decays


def test_linker_contacts():
    """Frame 0: cation 1 binds anions 0, 2, 5 → pairs (0,2), (0,5), (2,5); cation 3 binds anion 4 only."""
    frame = np.array([0, 0, 0, 0, 1, 1])
    cation = np.array([1, 1, 1, 3, 1, 1])
    anion = np.array([0, 2, 5, 4, 0, 2])
    key, when = linker_contacts(frame, cation, anion, n_cations=4, n_anions=6)
    decoded = [(k // 36, k // 6 % 6, k % 6) for k in key.tolist()]
    assert decoded == [(1, 0, 2), (1, 0, 5), (1, 2, 5), (1, 0, 2)]
    assert when.tolist() == [0, 0, 0, 1]


def test_residence_time_not_shorter_than_the_run_is_flagged():
    """Contacts that last most of a 39 ps run: τ from the KWW fit exceeds the run and is marked a lower bound;
    the linker (broken at 30 ps, τ ≈ 32 ps) is not."""
    import warnings

    from structure_data import hand_built_electrolyte, hand_built_universe

    from ionscale.structure import StructureAnalysis
    u = hand_built_universe(40)
    c = u.trajectory.coordinate_array
    c[30:, 7:9, 2] += 10.0    # A1 leaves Li1 and Li2 at 30 ps
    c[35:, 15:17, 2] += 10.0  # S0 leaves Li0 at 35 ps
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = StructureAnalysis(hand_built_electrolyte(u), cutoffs=0.25, ssip_cutoffs=0.45).run(cache=False)
    flagged = {r.species for r in result.rows if r.quantity == "residence_time" and "lower bound" in r.method}
    assert flagged == {"A:atom", "A:molecule", "S:atom", "S:molecule"}
    assert all(result.get("residence_time", s).value >= 39.0 for s in flagged)
    assert result.get("residence_time", "linker").value < 39.0
    assert any("is not shorter than the trajectory (39 ps)" in n for n in result.notes)
