"""Residence-time correlation functions and their stretched-exponential fits (SPEC §5; Fang et al. 2026, Eq. 6, Fig. 5).

A contact (a cation with one donor atom, or with one molecule, or a linker cation with the same two
anions) is a 0/1 series h(t) over the frames. The **continuous** correlation function (Eq. 6)

    C(t) = ⟨P(t₀, t)⟩ / ⟨h(t₀)⟩,   P(t₀, t) = 1 while the contact exists without a break from t₀ to t₀ + t,

averages over every contact and every time origin t₀ (T − t origins at lag t, T at lag 0). It follows
exactly from the lengths L of the unbroken runs of each contact: a run of length L contributes
max(L − t, 0) origins at lag t, so

    C(t) = [Σ_runs max(L − t, 0) / (T − t)] / [Σ_runs L / T],

one histogram of run lengths and two cumulative sums — no loop over contacts or origins. The
**intermittent** function C_I(t) = ⟨h(t₀) h(t₀ + t)⟩ / ⟨h⟩ (the contact need only exist at both ends)
is the summed autocorrelation of the contact series, computed by FFT over batches of contacts; it is
what solvation_analysis reports as the residence auto-covariance.

Both are fitted with the Kohlrausch–Williams–Watts function C(t) = exp(−(t/τ_K)^β) over the lags where
C ≥ ``floor`` (default 0.02, at most half the trajectory), least squares in (ln τ_K, β) with
0.05 ≤ β ≤ 5, started from the straight line ln(−ln C) = β ln t − β ln τ_K. The mean residence time is
its integral, τ = (τ_K/β) Γ(1/β).

The **linker** function (Fang et al. Fig. 5c) uses the same continuous definition for the contact
"cation bound to both anions a and b" (a < b), which exists in every frame where the cation has both
in its first shell.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.fft
from scipy.optimize import curve_fit
from scipy.special import gamma

#: dense values per FFT batch of the intermittent correlation (memory bound, 8 bytes each)
BATCH_VALUES = 1 << 22
#: function evaluations of the unbounded KWW fit before the bounded one takes over (a good start needs < 20)
LM_EVALUATIONS = 40
#: the range of the stretching exponent β in the KWW fits
BETA_BOUNDS = (0.05, 5.0)


def continuous_acf(key: np.ndarray, frame: np.ndarray, n_frames: int) -> np.ndarray:
    """Continuous C(t) of the contacts ``key`` present at ``frame``, lags 0..n_frames-1.

    Parameters
    ----------
    key : ndarray of int ≥ 0, shape (m,)
        Which contact each entry is (any integer label); (key, frame) pairs must be distinct.
    frame : ndarray of int, shape (m,)
    n_frames : int

    Returns
    -------
    ndarray, shape (n_frames,)
        C(t) with C(0) = 1; NaN everywhere when there is no contact.
    """
    return correlation_functions(key, frame, n_frames, ("continuous",))["continuous"]


def intermittent_acf(key: np.ndarray, frame: np.ndarray, n_frames: int) -> np.ndarray:
    """Intermittent C_I(t) = ⟨h(t₀) h(t₀+t)⟩ / ⟨h⟩ of the contacts, shape (n_frames,) (same inputs)."""
    return correlation_functions(key, frame, n_frames, ("intermittent",))["intermittent"]


def correlation_functions(key: np.ndarray, frame: np.ndarray, n_frames: int,
                          modes=("continuous", "intermittent")) -> dict:
    """{mode: C(t)} of one series of contacts (inputs as :func:`continuous_acf`), sorted once for all."""
    if len(key) == 0:
        return {mode: np.full(n_frames, np.nan) for mode in modes}
    ordered = _by_contact(key, frame, n_frames)
    return {mode: _FROM_ORDERED[mode](ordered, n_frames) for mode in modes}


def _continuous(ordered: np.ndarray, n_frames: int) -> np.ndarray:
    """C(t) from the run lengths of the sorted contact codes of :func:`_by_contact` (module docstring)."""
    starts = np.flatnonzero(np.r_[True, np.diff(ordered) != 1])           # a run breaks where a frame is missing
    runs = np.bincount(np.diff(np.r_[starts, len(ordered)]), minlength=n_frames + 1)   # runs[L]: runs of length L
    length = np.arange(n_frames + 1)
    longer = np.cumsum(runs[::-1])[::-1]                       # Σ_{L ≥ t} runs[L]
    longer_sum = np.cumsum((length * runs)[::-1])[::-1]        # Σ_{L ≥ t} L runs[L]
    t = np.arange(n_frames)
    origins = longer_sum[t + 1] - t * longer[t + 1]            # Σ_runs max(L − t, 0)
    return origins / (n_frames - t) * n_frames / origins[0]


def _intermittent(ordered: np.ndarray, n_frames: int) -> np.ndarray:
    """C_I(t) by FFT of the contact series, batch after batch of contacts (sorted codes as above)."""
    contact = ordered // (n_frames + 1)
    frame = ordered - contact * (n_frames + 1)
    row = np.cumsum(np.r_[0, np.diff(contact) != 0])                       # contacts numbered 0, 1, ...
    n_fft = scipy.fft.next_fast_len(2 * n_frames)
    per_batch = max(1, BATCH_VALUES // n_fft)
    bounds = np.searchsorted(row, np.arange(0, row[-1] + per_batch + 1, per_batch))
    power = np.zeros(n_fft // 2 + 1)
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        if lo == hi:
            continue
        dense = np.zeros((row[hi - 1] - row[lo] + 1, n_fft))
        dense.ravel()[(row[lo:hi] - row[lo]) * n_fft + frame[lo:hi]] = 1.0
        spectrum = scipy.fft.rfft(dense, axis=1)
        power += (spectrum.real ** 2 + spectrum.imag ** 2).sum(axis=0)
    pairs = scipy.fft.irfft(power, n_fft)[:n_frames]          # Σ_contacts Σ_t₀ h(t₀) h(t₀ + t)
    t = np.arange(n_frames)
    return pairs / (n_frames - t) * n_frames / pairs[0]


_FROM_ORDERED = {"continuous": _continuous, "intermittent": _intermittent}


def _by_contact(key: np.ndarray, frame: np.ndarray, n_frames: int) -> np.ndarray:
    """key × (n_frames + 1) + frame, sorted: contact after contact, frames ascending, and consecutive
    frames of one contact (only they) differ by exactly 1."""
    return np.sort(key.astype(np.int64) * (n_frames + 1) + frame)


class KWW(NamedTuple):
    """A stretched-exponential fit C(t) = exp(−(t/τ_K)^β) and its mean time τ = (τ_K/β) Γ(1/β)."""

    tau_k_ps: float
    beta: float
    tau_ps: float
    fit_end_ps: float

    def __call__(self, time_ps: np.ndarray) -> np.ndarray:
        return np.exp(-(np.asarray(time_ps) / self.tau_k_ps) ** self.beta)


NO_FIT = KWW(np.nan, np.nan, np.nan, np.nan)


def fit_kww(time_ps: np.ndarray, acf: np.ndarray, floor: float = 0.02) -> KWW:
    """Least-squares KWW fit of ``acf`` over the lags where it stays ≥ ``floor`` (first half of the run).

    Needs three such lags after t = 0 and a decay below 0.9 among them; :data:`NO_FIT` (all NaN)
    otherwise — a function that barely decays says nothing about its time scale."""
    half = len(time_ps) // 2 + 1
    below = np.flatnonzero(~(acf[:half] >= floor))
    end = below[0] if below.size else half
    t, c = time_ps[1:end], acf[1:end]
    if t.size < 3 or not c.min() < 0.9:
        return NO_FIT
    mid = (c > 0.05) & (c < 0.95)
    if mid.sum() >= 2:
        # the straight line ln(−ln C) = β ln t − β ln τ_K
        slope, intercept = np.polyfit(np.log(t[mid]), np.log(-np.log(c[mid])), 1)
        beta0, log_tau0 = float(np.clip(slope, 0.1, 2.0)), -intercept / slope
    else:
        slope = beta0 = 1.0
        log_tau0 = float(np.log(t[np.argmin(np.abs(c - np.exp(-1)))]))
    log_t = np.log(t)

    def model(_, log_tau, beta):
        return np.exp(-np.exp(beta * (log_t - log_tau)))

    def jacobian(_, log_tau, beta):
        x = log_t - log_tau
        power = np.exp(beta * x)
        c_power = np.exp(-power) * power
        return np.column_stack([beta * c_power, -x * c_power])

    def on_bound(beta):
        """ln τ_K of the least squares with β fixed at a bound, or None unless that is a constrained minimum
        (the sum of squares grows from the bound inwards)."""
        try:
            (log_tau,), _ = curve_fit(lambda t, log_tau: model(t, log_tau, beta), t, c, p0=(log_tau0,),
                                      jac=lambda t, log_tau: jacobian(t, log_tau, beta)[:, :1], maxfev=LM_EVALUATIONS)
        except RuntimeError:
            return None
        half_gradient = (model(t, log_tau, beta) - c) @ jacobian(t, log_tau, beta)[:, 1]   # ½ ∂S/∂β
        return log_tau if (half_gradient >= 0) == (beta == BETA_BOUNDS[0]) else None

    low, high = BETA_BOUNDS
    beta = np.nan
    with np.errstate(over="ignore", under="ignore"):
        if 0.1 <= slope <= 2.0:  # β well inside its bounds: Levenberg–Marquardt (MINPACK), several times faster
            try:
                (log_tau, beta), _ = curve_fit(model, t, c, p0=(log_tau0, beta0), jac=jacobian, maxfev=LM_EVALUATIONS)
            except RuntimeError:
                pass
        if not low <= beta <= high:
            # beyond a bound (or the straight line is): the minimum is on that bound as a rule; else, or when
            # the unbounded fit failed, the bounded trust-region fit
            edge = low if beta < low or slope < 0.1 else high if beta > high or slope > 2.0 else None
            log_tau = on_bound(edge) if edge is not None else None
            if log_tau is not None:
                beta = edge
            else:
                (log_tau, beta), _ = curve_fit(model, t, c, p0=(log_tau0, beta0), jac=jacobian,
                                               bounds=([-np.inf, low], [np.inf, high]))
    tau_k = float(np.exp(log_tau))
    return KWW(tau_k, float(beta), tau_k / beta * float(gamma(1.0 / beta)), float(t[-1]))


def linker_contacts(frame: np.ndarray, cation: np.ndarray, anion: np.ndarray, n_cations: int,
                    n_anions: int) -> tuple[np.ndarray, np.ndarray]:
    """Contacts "cation with anions a < b", from cation–anion bonds.

    Parameters
    ----------
    frame, cation, anion : ndarray of int, shape (n_bonds,)
        Each cation–anion bond once, sorted by frame then cation (anions numbered 0..n_anions-1).

    Returns
    -------
    key, frame : ndarray of int, shape (n_linker_contacts,)
        One entry per frame, cation and pair of anions both in its shell.
    """
    shell = frame.astype(np.int64) * n_cations + cation
    group_end = np.r_[np.flatnonzero(shell[1:] != shell[:-1]) + 1, len(shell)]
    end = np.repeat(group_end, np.diff(np.r_[0, group_end]))        # end of each bond's group
    partners = end - np.arange(len(shell)) - 1                      # later bonds in the same shell
    first = np.repeat(np.arange(len(shell)), partners)
    offset = np.arange(len(first)) - np.repeat(np.cumsum(partners) - partners, partners)
    second = first + 1 + offset
    key = (cation[first].astype(np.int64) * n_anions + anion[first]) * n_anions + anion[second]
    return key, frame[first]
