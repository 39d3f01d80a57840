"""The fitting window of the Onsager coefficients (SPEC §2.2).

An Onsager coefficient is the long-time slope of a displacement correlation Ω(t). At short times
the motion is ballistic or caged (local exponent γ = d ln MSD / d ln t ≠ 1); at long times too few
time origins remain and the curve is noise. The window is therefore chosen on the self-MSDs of the
ions: the earliest span [t_a, 10^decades t_a] inside the first half of the trajectory in which every
ion's self-MSD is diffusive, |γ − 1| ≤ tolerance (Fang et al.: one decade, "maximum deviation of γ
from unity about 10%").

Log-spaced lags are used to find the window and to measure exponents; the slope itself is an
ordinary least-squares fit over every stored lag inside the window (uniform weights), so that two
correct implementations agree to round-off.

Times are in whatever unit the caller's ``time`` array uses (ps by convention); ``time[0] == 0`` is
lag zero and ``time[k]`` is the lag of k frames.
"""

from dataclasses import dataclass

import numpy as np

#: Minimum number of log-spaced lags that a window must contain to measure an exponent.
MIN_WINDOW_LAGS = 3

#: Window bounds are inclusive up to this relative round-off (so 10 * 0.1 ps includes 1.0 ps).
_BOUND_RTOL = 1e-9


@dataclass(frozen=True)
class FitWindow:
    """A fitting window [start, end] in the time unit of the ``time`` array it was found on.

    found: whether every ion self-MSD satisfies |γ − 1| ≤ tolerance in it; max_gamma_deviation: the
    largest |γ − 1| over its log-spaced lags and the series it was chosen on.
    """

    start: float
    end: float
    found: bool
    max_gamma_deviation: float


def log_spaced_lags(n_frames, per_decade=10):
    """Sorted unique lag indices in [1, n_frames − 1], about ``per_decade`` per decade.

    Returns an int array (empty when n_frames < 2).
    """
    if n_frames < 2:
        return np.zeros(0, dtype=int)
    n_points = int(np.ceil(per_decade * np.log10(n_frames - 1))) + 1
    return np.unique(np.rint(np.geomspace(1, n_frames - 1, n_points)).astype(int))


def local_exponent(time, series, lags):
    """Local exponent γ(t) = d ln y / d ln t at the given lags.

    Finite differences of ln y against ln t on the lag grid (``numpy.gradient``: second order
    inside, first order at the two ends).

    Parameters
    ----------
    time : array (n_frames,), time[0] == 0
    series : array (n_frames, ...), positive (γ is not finite next to lags where y <= 0)
    lags : int array (n_lags,), n_lags >= 2, lag indices >= 1 (e.g. ``log_spaced_lags``)

    Returns
    -------
    gamma : array (n_lags, ...)
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        log_y = np.log(np.asarray(series, dtype=float)[lags])
    return np.gradient(log_y, np.log(np.asarray(time, dtype=float)[lags]), axis=0)


def _inside(times, start, end):
    """Boolean mask of ``times`` within [start, end], inclusive up to round-off."""
    slack = _BOUND_RTOL * abs(end)
    return (times >= start - slack) & (times <= end + slack)


def _candidates(time, decades, max_end):
    """Log-spaced lags, the candidate windows [t_a, 10^decades t_a] (start lag index k, inside-mask) that end
    by the latest allowed end, and that end with what limited it."""
    lags = log_spaced_lags(len(time))
    lag_times = time[lags]
    limited_by_max_end = max_end is not None and max_end < time[-1] / 2
    latest_end = max_end if limited_by_max_end else time[-1] / 2
    ends = lag_times * 10**decades
    windows = [_inside(lag_times, start, end) for start, end in zip(lag_times, ends)]
    candidates = [k for k, inside in enumerate(windows)
                  if ends[k] <= latest_end * (1 + _BOUND_RTOL) and inside.sum() >= MIN_WINDOW_LAGS]
    return lags, lag_times, ends, windows, candidates, latest_end, limited_by_max_end


def _worst_deviation(time, self_msds, lags, windows, candidates):
    """Largest |γ − 1| over each candidate window's log-spaced lags and every series (NaN γ: infinite)."""
    gamma = np.stack([local_exponent(time, msd, lags) for msd in self_msds])
    deviation = np.nan_to_num(np.abs(gamma - 1).max(axis=0), nan=np.inf)
    return np.array([deviation[windows[k]].max() for k in candidates])


def find_window(time, self_msds, *, decades=1.0, tolerance=0.1, max_end=None, unit=""):
    """The earliest diffusive window [t_a, 10^decades t_a] of the ion self-MSDs.

    t_a runs over the log-spaced lags; a candidate window must end within the first half of the
    trajectory (end <= time[-1] / 2, and <= ``max_end`` when given) and contain at least
    ``MIN_WINDOW_LAGS`` log-spaced lags. The first candidate in which |γ − 1| <= ``tolerance`` at
    every log-spaced lag inside it, for every series, is returned with found=True. Otherwise the
    candidate with the smallest maximum |γ − 1| is returned with found=False (a NaN γ counts as an
    infinite deviation).

    Parameters
    ----------
    time : array (n_frames,), time[0] == 0
    self_msds : sequence of arrays (n_frames,), the self-MSD of each ion species
    decades : float, width of the window (log10 of end / start)
    tolerance : float, allowed |γ − 1|
    max_end : float or None, latest allowed end (same unit as ``time``)
    unit : str, the unit of ``time``, for messages

    Returns
    -------
    FitWindow

    Raises
    ------
    ValueError
        When the trajectory is too short to hold any such window.
    """
    time = np.asarray(time, dtype=float)
    lags, lag_times, ends, windows, candidates, latest_end, limited = _candidates(time, decades, max_end)
    if not candidates:
        u = f" {unit}" if unit else ""
        limit, remedy = (("max_end", "a later max_end") if limited else
                         ("half the trajectory",
                          f"a longer trajectory (at least about {2 * 10**decades + 1:.0f} frames)"))
        raise ValueError(
            f"trajectory too short for a {decades:g}-decade fitting window: its {len(time)} frames "
            f"(last lag {time[-1]:g}{u}) leave no window [t_a, {10**decades:g} t_a] with at least "
            f"{MIN_WINDOW_LAGS} log-spaced lags that ends by {latest_end:g}{u} ({limit}). "
            f"Use {remedy}, or give the fitting window explicitly.")
    worst = _worst_deviation(time, self_msds, lags, windows, candidates)
    acceptable = np.flatnonzero(worst <= tolerance)
    best = acceptable[0] if acceptable.size else int(np.argmin(worst))
    k = candidates[best]
    return FitWindow(float(lag_times[k]), float(ends[k]), bool(acceptable.size), float(worst[best]))


def holds_window(time, *, decades=1.0, max_end=None):
    """Whether :func:`find_window` has any candidate window on ``time`` up to ``max_end``."""
    return bool(_candidates(np.asarray(time, dtype=float), decades, max_end)[4])


def diffusive_windows(time, self_msds, *, decades=1.0, tolerance=0.1, max_end=None):
    """Every candidate window of :func:`find_window` in which all the self-MSDs are diffusive
    (|γ − 1| <= ``tolerance``), earliest first; when none is, every candidate (the search found no
    diffusive regime, and the spread over all of them is what the choice of window can change).

    These are the windows of the window-sensitivity spread (:mod:`ionscale.transport.onsager`): the
    windows the automatic rule could have picked just as well. Empty when the trajectory holds no
    candidate at all.

    Returns
    -------
    list of FitWindow
    """
    time = np.asarray(time, dtype=float)
    lags, lag_times, ends, windows, candidates, _, _ = _candidates(time, decades, max_end)
    if not candidates:
        return []
    worst = _worst_deviation(time, self_msds, lags, windows, candidates)
    chosen = np.flatnonzero(worst <= tolerance)
    found = bool(chosen.size)
    chosen = chosen if found else np.arange(len(candidates))
    return [FitWindow(float(lag_times[candidates[i]]), float(ends[candidates[i]]), found, float(worst[i]))
            for i in chosen]


def _ols(x, y):
    """Least-squares slope of y (n_points, ...) against x (n_points,) -> (...)."""
    if len(x) < 2:
        raise ValueError(f"a slope needs at least 2 points inside the window, got {len(x)}")
    dx = x - x.mean()
    return np.tensordot(dx, y - y.mean(axis=0), axes=(0, 0)) / (dx @ dx)


def ols_slope(time, series, window):
    """Ordinary least-squares slope of ``series`` against ``time`` over the window.

    Uses every stored lag with window.start <= t <= window.end, with uniform weights (SPEC §2.2).

    Parameters
    ----------
    time : array (n_frames,)
    series : array (n_frames, ...)
    window : FitWindow (or anything with ``start`` and ``end``)

    Returns
    -------
    slope : array (...) in series unit per time unit

    Raises
    ------
    ValueError if fewer than 2 lags fall inside the window.
    """
    time = np.asarray(time, dtype=float)
    inside = _inside(time, window.start, window.end)
    return _ols(time[inside], np.asarray(series, dtype=float)[inside])


def window_exponent(time, series, window, lags):
    """Exponent γ of y ∝ t^γ over the window: OLS slope of ln|y| against ln t on the given lags.

    Cross terms may be negative, so |y| is used where y keeps one sign over the window's lags; where
    y changes sign or vanishes there, γ is NaN (SPEC §2.2).

    Parameters
    ----------
    time : array (n_frames,), time[0] == 0
    series : array (n_frames, ...)
    window : FitWindow (or anything with ``start`` and ``end``)
    lags : int array of lag indices >= 1 (e.g. ``log_spaced_lags``)

    Returns
    -------
    gamma : array (...)

    Raises
    ------
    ValueError if fewer than 2 of the lags fall inside the window.
    """
    time = np.asarray(time, dtype=float)
    lags = np.asarray(lags)
    inside = lags[_inside(time[lags], window.start, window.end)]
    y = np.asarray(series, dtype=float)[inside]
    one_sign = np.all(y > 0, axis=0) | np.all(y < 0, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = _ols(np.log(time[inside]), np.log(np.abs(y)))
    return np.where(one_sign, gamma, np.nan)
