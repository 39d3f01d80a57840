"""Figures of a transport analysis (matplotlib, headless).

- :func:`plot_correlations`: log–log self-MSDs and |Ω_ij(t)| per frame, the fitting window shaded and
  a dashed slope-1 guide — the check that the fit sits in the diffusive regime (Fang et al. 2026, SI).
- :func:`plot_onsager`: L_ij with error bars, one panel per frame (Fang et al. 2026, Fig. 2).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import NullLocator  # noqa: E402

from .window import log_spaced_lags  # noqa: E402


def defined_frames(result) -> list:
    """The frames of a transport result that exist (no solvent frame without a solvent)."""
    return [f for f in result.frames if np.isfinite(result.curves["msd_nm2"][f]).any()]


def plot_correlations(result):
    """Self-MSDs (nm²) and collective |Ω_ij| (mol² J⁻¹ m⁻¹) against lag time (ps), per frame."""
    frames, species = defined_frames(result), result.species
    lags = log_spaced_lags(len(result.curves["time_ps"]), per_decade=25)  # what a log axis can show
    t = result.curves["time_ps"][lags]
    fig, axes = plt.subplots(2, len(frames), figsize=(4.2 * len(frames), 7), squeeze=False, sharex=True)
    start, end = result.window["start_ps"], result.window["end_ps"]
    for col, frame in enumerate(frames):
        top, bottom = axes[0, col], axes[1, col]
        msd = result.curves["msd_nm2"][frame][lags]
        for i, s in enumerate(species):
            top.loglog(t, msd[:, i], label=s)
        omega = result.curves["omega"][frame][lags]
        for i in range(len(species)):
            for j in range(i, len(species)):
                y = omega[:, i, j]
                line, = bottom.loglog(t, np.where(y > 0, y, np.nan), label=f"{species[i]}|{species[j]}")
                bottom.loglog(t, np.where(y < 0, -y, np.nan), ls=":", color=line.get_color())
        largest = np.nanmax(np.abs(omega))
        bottom.set_ylim(largest * 1e-5, largest * 2)  # near-zero cross terms would stretch the log axis
        for ax in (top, bottom):
            ax.axvspan(start, end, color="0.85", zorder=0)
        guide = msd[:, 0][np.searchsorted(t, start)] * t / start if start > 0 else None
        if guide is not None:
            top.loglog(t, guide, "k--", lw=0.8, label="slope 1")
        top.set_title(f"{frame} frame")
        top.set_ylabel("self MSD (nm²)")
        bottom.set_ylabel("|Ω_ij| (mol² J⁻¹ m⁻¹), dotted < 0")
        bottom.set_xlabel("lag time (ps)")
        top.legend(fontsize=8)
        bottom.legend(fontsize=8)
    for ax in axes.flat:  # after the last loglog, which resets the (shared) locators: minor log ticks
        for axis in (ax.xaxis, ax.yaxis):  # cost most of the figure's time to lay out, and add little
            axis.set_minor_locator(NullLocator())
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_onsager(result):
    """L_ij (mol² J⁻¹ m⁻¹ s⁻¹) with standard errors, one group of bars per frame."""
    frames, species = defined_frames(result), result.species
    pairs = [(i, j) for i in range(len(species)) for j in range(i, len(species))]
    fig, ax = plt.subplots(figsize=(1.6 + 1.3 * len(pairs) * len(frames) / 2, 4))
    width = 0.8 / len(frames)
    x = np.arange(len(pairs))
    for k, frame in enumerate(frames):
        L = result.matrix("L", frame)
        ax.bar(x + (k - (len(frames) - 1) / 2) * width, [L.value[i, j] for i, j in pairs], width,
               yerr=[L.stderr[i, j] if np.isfinite(L.stderr[i, j]) else 0 for i, j in pairs], capsize=3,
               label=frame)
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xticks(x, [f"{species[i]}|{species[j]}" for i, j in pairs])
    ax.set_ylabel("L_ij (mol² J⁻¹ m⁻¹ s⁻¹)")
    ax.legend()
    fig.tight_layout()
    return fig
