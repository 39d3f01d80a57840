"""Figures of the mesoscale analyses (matplotlib, headless).

- :func:`plot_clusters`: distributions of cluster size and net charge, and the population P(n_+, n_−)
  (Coste et al. Fig. 1b: from ion pairs to clusters).
- :func:`plot_structure_factor`: S_ZZ(k) with the Debye–Hückel form k²/(k² + λ_D⁻²) for reference.
- :func:`plot_charge_correlation`: r h_ZZ(r), its fits on the fit range, λ_S and λ_D, and the
  reliability flag (Coste et al. §V: monotonic vs oscillatory screening).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .screening_analysis import verdict  # noqa: E402


def _bars(ax, result, quantity: str, xlabel: str) -> None:
    rows = [r for r in result.rows if r.quantity == quantity]
    x = np.arange(len(rows))
    ax.bar(x, [r.value for r in rows], yerr=[r.stderr if np.isfinite(r.stderr) else 0 for r in rows], capsize=2)
    ax.set_xticks(x, [r.species for r in rows], rotation=90 if len(rows) > 12 else 0, fontsize=8)
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("fraction of clusters")


def plot_clusters(result):
    """Cluster size and charge distributions, and the mean population of each composition per frame."""
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    _bars(axes[0], result, "cluster_size_fraction", "cluster size (ions)")
    _bars(axes[1], result, "cluster_charge_fraction", "net cluster charge (e)")
    ax = axes[2]
    if result.compositions.shape[1] == 2:
        matrix = result.population_matrix()
        image = ax.imshow(np.where(matrix > 0, matrix, np.nan).T, origin="lower", cmap="viridis",
                          norm=matplotlib.colors.LogNorm())
        fig.colorbar(image, ax=ax, label="clusters per frame")
        ax.set_xlabel(f"{result.species[0]} in cluster")
        ax.set_ylabel(f"{result.species[1]} in cluster")
    else:
        rows = sorted((r for r in result.rows if r.quantity == "cluster_population"), key=lambda r: -r.value)[:15]
        ax.barh([r.species for r in rows], [r.value for r in rows])
        ax.set_xlabel("clusters per frame")
    ax.set_title("population")
    fig.tight_layout()
    return fig


def plot_structure_factor(screening):
    """S_ZZ(k) per shell with standard errors; the Debye–Hückel S_ZZ when λ_D is known."""
    fig, ax = plt.subplots(figsize=(5.5, 4))
    k = screening.k_nm_inv
    ax.errorbar(k, screening.s_zz, yerr=np.nan_to_num(screening.s_zz_stderr), fmt="o", ms=3, capsize=2, label="MD")
    if np.isfinite(screening.debye_length_nm):
        grid = np.linspace(0, k.max(), 200)
        kd2 = screening.debye_length_nm ** -2
        ax.plot(grid, grid ** 2 / (grid ** 2 + kd2), "k--", lw=1, label="Debye–Hückel")
    ax.axhline(1.0, color="0.6", lw=0.8)
    ax.set_xlabel("k (nm⁻¹)")
    ax.set_ylabel("S_ZZ(k)")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_charge_correlation(screening):
    """r h_ZZ(r) with its standard error, both fits on the shaded fit range, and the verdict."""
    fig, ax = plt.subplots(figsize=(6, 4))
    r, y, e = screening.r_nm, screening.r_nm * screening.h_zz, screening.r_nm * np.nan_to_num(screening.h_zz_stderr)
    ax.plot(r, y, color="C0", lw=1, label="r h_ZZ(r)")
    ax.fill_between(r, y - e, y + e, color="C0", alpha=0.25, lw=0)
    lo, hi = screening.fit_range_nm
    ax.axvspan(lo, hi, color="0.92", zorder=0)
    inside = (r >= lo) & (r <= hi)
    for fit, style in ((screening.monotonic, ":"), (screening.oscillatory, "--")):
        if fit is not None:
            chosen = " (chosen)" if fit is screening.fit else ""
            ax.plot(r[inside], fit(r[inside]), "k" + style, lw=1,
                    label=f"{fit.kind}: λ_S = {fit.decay_length_nm:.3g} nm{chosen}")
    ax.axhline(0, color="0.5", lw=0.6)
    title = f"λ_D = {screening.debye_length_nm:.3g} nm" if np.isfinite(screening.debye_length_nm) else "λ_D unknown"
    flag = "" if screening.reliable else f"  —  UNRELIABLE: {verdict(screening.message)}"
    ax.set_title(title + flag, fontsize=10)
    ax.set_xlabel("r (nm)")
    ax.set_ylabel("r h_ZZ(r) (nm)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
