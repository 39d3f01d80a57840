"""Time-origin averaged displacement correlations by FFT, in O(T log T).

For two trajectories a(t), b(t) sampled at T equally spaced frames, the displacement correlation at
lag m (m = 0 .. T-1 frames) averaged over all T - m time origins is

    C_ab(m) = 1/(T-m) Σ_{t=0}^{T-1-m} [a(t+m) - a(t)] · [b(t+m) - b(t)]
            = 1/(T-m) [ Σ_{t=0}^{T-1-m} p(t) + Σ_{t=m}^{T-1} p(t)
                        - Σ_t (a(t)·b(t+m) + a(t+m)·b(t)) ]

with p(t) = a(t)·b(t). The first two sums are running sums of p; the last one is a
cross-correlation, computed with a zero-padded real FFT of length >= 2T (no wrap-around). For a = b
this is the classic "S1 − 2 S2" mean-squared-displacement algorithm (Kneller et al., Comput. Phys.
Commun. 91, 191 (1995); Calandrini et al., Collection SFN 12, 201 (2011)).

Everything is accumulated in float64, and each trajectory is first centred on its time average:
displacements do not depend on the origin of coordinates, and centring removes the round-off that
large absolute coordinates would cause.

Lengths come out in the squared unit of the input; the lag axis is in frames.

Relation to the Onsager coefficients (SPEC §2): with R_i(t) = Σ_α r_iα(t) the summed (unwrapped)
position of species i, ``collective_msd_matrix`` returns <ΔR_i(t)·ΔR_j(t)> = 6 V k_B T Ω_ij(t).
"""

import os

import numpy as np
import scipy.fft

#: Default cap on the FFT work buffers of ``self_msd`` (bytes).
MAX_BUFFER_BYTES = 64 * 2**20
#: Threads for the FFTs: each thread transforms whole series, so results do not depend on it.
FFT_THREADS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _n_lags(n_frames, max_lag):
    """Number of lags 0 .. max_lag to return (all n_frames when max_lag is None)."""
    return n_frames if max_lag is None else max(1, min(int(max_lag) + 1, n_frames))


def _fft_length(n_frames, n_lags):
    """A fast FFT length >= n_frames + n_lags: zero padding that long keeps the circular correlation of
    lags 0 .. n_lags-1 free of wrap-around (2 n_frames for all lags)."""
    return scipy.fft.next_fast_len(n_frames + n_lags, real=True)


def _centred(x):
    """A float64 copy of x (time along axis 0) minus its time average."""
    x = np.array(x, dtype=np.float64)
    x -= x.mean(axis=0)
    return x


#: Frames transposed at a time into the series layout: a tile stays in cache, a whole transpose does not.
TRANSPOSE_TILE = 512


def _padded_series(x, n):
    """x (T, ...) as float64 series, one per row (contiguous in time), each minus its time average and
    zero-padded to length n: (k, n)."""
    flat = np.reshape(x, (len(x), -1))
    mean = flat.mean(axis=0, dtype=np.float64)[:, None]
    series = np.zeros((flat.shape[1], n))
    for start in range(0, len(flat), TRANSPOSE_TILE):
        stop = min(start + TRANSPOSE_TILE, len(flat))
        np.subtract(flat[start:stop].T, mean, out=series[:, start:stop])
    return series


def _power_spectrum(series, n):
    """Σ_k |FFT_n(series_k)|² over the rows of series (k, n), already padded: -> (n // 2 + 1,)."""
    spectrum = scipy.fft.rfft(series, n=n, axis=1, workers=FFT_THREADS).view(np.float64)  # (k, 2 (n//2+1))
    return np.einsum("kf,kf->f", spectrum, spectrum).reshape(-1, 2).sum(axis=1)


def _origin_average(equal_time, lag_correlation):
    """Combine p(t) = a(t)·b(t) and c(m) = Σ_t a(t)·b(t+m) + a(t+m)·b(t) into C_ab(m).

    equal_time: array (T, ...); lag_correlation: array (n_lags, ...), n_lags <= T -> (n_lags, ...) float64.
    """
    n_frames, n_lags = len(equal_time), len(lag_correlation)
    running = np.concatenate([np.zeros_like(equal_time[:1]), np.cumsum(equal_time, axis=0)])
    lags = np.arange(n_lags)
    head = running[n_frames - lags]  # Σ_{t < T-m} p(t)
    tail = running[n_frames] - running[lags]  # Σ_{t >= m} p(t)
    origins = (n_frames - lags).reshape((-1,) + (1,) * (equal_time.ndim - 1))
    return (head + tail - lag_correlation) / origins


def self_msd(positions, *, max_lag=None, max_buffer_bytes=MAX_BUFFER_BYTES):
    """Particle-averaged mean-squared displacement, averaged over all time origins.

    MSD(m) = < |r_α(t0+m) − r_α(t0)|^2 >, averaged over particles α and origins t0 = 0 .. T-1-m.
    For diffusive motion MSD(t) → 6 D t.

    Parameters
    ----------
    positions : array (n_frames, n_particles, 3)
        Unwrapped positions, any float dtype (converted to float64 chunk by chunk).
    max_lag : int, optional
        Return lags 0 .. max_lag frames only (all by default); the FFTs then need less padding.
    max_buffer_bytes : int
        Particles are transformed in chunks whose FFT work buffers stay below this size, so memory
        is bounded for long trajectories of many particles; the result does not depend on it (to
        round-off). At least one particle is transformed at a time.

    Returns
    -------
    msd : array (n_lags,) float64, in the squared length unit of ``positions``
        (msd[0] = 0 to round-off).
    """
    n_frames, n_particles, n_dim = np.shape(positions)
    n_lags = _n_lags(n_frames, max_lag)
    n = _fft_length(n_frames, n_lags)
    # series, padded copy, spectrum: about three float64 arrays of length n per coordinate
    chunk = max(1, max_buffer_bytes // (3 * n * n_dim * 8))
    equal_time = np.zeros(n_frames)
    power = np.zeros(n // 2 + 1)
    for first in range(0, n_particles, chunk):
        series = _padded_series(positions[:, first:first + chunk], n)
        equal_time += np.einsum("kt,kt->t", series[:, :n_frames], series[:, :n_frames])
        power += _power_spectrum(series, n)
    autocorrelation = scipy.fft.irfft(power, n=n)[:n_lags]
    return _origin_average(equal_time, 2 * autocorrelation) / n_particles


def collective_msd_matrix(R, *, max_lag=None):
    """All pairwise displacement correlations of several trajectories, from one FFT each.

    M_ij(m) = < ΔR_i(m) · ΔR_j(m) >, averaged over all time origins, ΔR_i(m) = R_i(t0+m) − R_i(t0).
    With R_i the summed unwrapped positions of species i this is 6 V k_B T Ω_ij (SPEC §2).

    Parameters
    ----------
    R : array (n_frames, n_species, 3)
    max_lag : int, optional
        Return lags 0 .. max_lag frames only (all by default).

    Returns
    -------
    M : array (n_lags, n_species, n_species) float64, symmetric in (i, j), in the squared unit
        of R.
    """
    R = _centred(R)
    n_frames = len(R)
    n_lags = _n_lags(n_frames, max_lag)
    n = _fft_length(n_frames, n_lags)
    spectrum = scipy.fft.rfft(R, n=n, axis=0)
    # Re(conj(F_i) F_j) is the transform of Σ_t R_i(t)·R_j(t+m) + R_i(t+m)·R_j(t), halved
    cross = np.einsum("fid,fjd->fij", spectrum.real, spectrum.real)
    cross += np.einsum("fid,fjd->fij", spectrum.imag, spectrum.imag)
    lag_correlation = 2 * scipy.fft.irfft(cross, n=n, axis=0)[:n_lags]
    equal_time = np.einsum("tid,tjd->tij", R, R)
    return _origin_average(equal_time, lag_correlation)


def cross_msd(a, b):
    """Displacement cross-correlation of two trajectories, averaged over all time origins.

    C(m) = < (a(t0+m) − a(t0)) · (b(t0+m) − b(t0)) >, t0 = 0 .. T-1-m. Symmetric in a and b;
    cross_msd(a, a) is the mean-squared displacement of a.

    Parameters
    ----------
    a, b : arrays (n_frames, 3)

    Returns
    -------
    C : array (n_frames,) float64, in the product of the units of a and b.
    """
    return collective_msd_matrix(np.stack([a, b], axis=1))[:, 0, 1]
