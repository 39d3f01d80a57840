"""The shell dipole per shell composition (Coste et al., §II.B and §IV.b).

Within a cation's first shell the solvent dipoles partly cancel: the total shell dipole
|M| = |Σ_{solvent molecules in the shell} μ_i| is small when similar molecules sit in a symmetric
(tetrahedral) arrangement, and can *grow* when a less polar molecule (a linear carbonate) replaces one of
them, because it breaks the cancellation. Coste et al. therefore ask to "track shell dipole and local
symmetry, not just shell composition": two shells of the same composition may differ in |M|, and two
compositions of the same coordination number may differ in mobility through it.

This descriptor splits the shell dipole distribution of the structure analysis
(:attr:`StructureResult.shell_dipole_debye`, the dipoles about each molecule's centre of mass, in debye)
by the composition of the shell (:attr:`StructureResult.shell_molecules`): for every composition held by
at least ``min_fraction`` of all cation-frames and containing a solvent molecule (|M| of a shell without
solvent is 0 by definition), the mean |M| with its error bar and the histogram of |M|.

Error bars: several replicas give the mean over replicas ± its standard error (``replicas(n)``, over
the replicas where the composition occurs); one trajectory gives the frame-block error of the ratio
Σ_frames Σ|M| / Σ_frames (shells) (:func:`ionscale.structure.statistics.block_ratio`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from ..core.estimate import REPLICAS, from_samples
from ..core.result import Result
from ..core.table import Row
from .result import StructureResult, dipole_bins
from .statistics import block_ratio

#: the descriptor's section in ``results.json``, and the quantity of its rows
SECTION, QUANTITY = "shell_dipoles", "shell_dipole_by_composition"


def composition_label(counts: Sequence[int], species: Sequence[str]) -> str:
    """A composition as ``3EC+1DMC`` (molecules of each species in the shell, the absent left out)."""
    return "+".join(f"{int(n)}{label}" for n, label in zip(counts, species) if n) or "empty"


def shell_compositions(results: Sequence[StructureResult]) -> np.ndarray:
    """Every composition that occurs in any replica, shape (n_compositions, n_species), most frequent first."""
    shells = np.concatenate([r.shell_molecules.reshape(-1, r.shell_molecules.shape[2]) for r in results])
    kinds, counts = np.unique(shells, axis=0, return_counts=True)
    return kinds[np.argsort(-counts, kind="stable")]


@dataclass
class ShellDipoleResult(Result):
    """Mean shell dipole (D) and its distribution per shell composition (module docstring).

    Attributes
    ----------
    cation : str
    species : list of str
        Coordinating species, in the order of the composition counts.
    compositions : list of str
        The compositions reported (:func:`composition_label`), most frequent first.
    fraction : ndarray, shape (n_compositions,)
        Share of all cation-frames (all replicas) whose shell has that composition.
    rows : list of Row
        ``shell_dipole_by_composition`` per composition, in D.
    histogram : pandas.DataFrame
        ``composition, low (D), high (D), density (1/D)``: the probability density of |M| per composition.
    notes : list of str
    """

    cation: str
    species: list
    compositions: list
    fraction: np.ndarray
    rows: list
    histogram: pd.DataFrame
    notes: list = field(default_factory=list)

    section, title = SECTION, "shell dipole per shell composition"
    #: the mean shell dipole of each composition
    SUMMARY = (QUANTITY,)

    def to_dict(self) -> dict:
        return {"cation": self.cation, "species": self.species, "notes": self.notes,
                "compositions": [{"composition": c, "fraction": float(f)}
                                 for c, f in zip(self.compositions, self.fraction)]}

    def tables(self) -> dict:
        return {"shell_dipoles.csv": self.histogram} if len(self.histogram) else {}

    def figures(self) -> dict:
        return {"shell_dipoles.png": plot_shell_dipoles(self)} if self.rows else {}


def shell_dipoles_by_composition(structure: StructureResult, solvents: Sequence[str], *, min_fraction: float = 0.05,
                                 n_blocks: int = 5) -> ShellDipoleResult:
    """The descriptor from a structure result (merged over replicas or not); ``solvents``: the labels of
    the solvent species among ``structure.species``; ``min_fraction``: the smallest share of cation-frames
    a composition must hold to be reported."""
    species, replicas = list(structure.species), structure.per_replica()
    notes = []
    if any(r.shell_dipole_debye is None or r.shell_molecules is None for r in replicas):
        notes.append("no shell dipoles: the topology has no partial charges, or there is no solvent")
        return ShellDipoleResult(structure.cation, species, [], np.zeros(0), [], _histogram({}), notes)
    kinds = shell_compositions(replicas)
    n_shells = sum(r.shell_dipole_debye.size for r in replicas)
    has_solvent = np.isin(species, list(solvents))
    rows, labels, fractions, values = [], [], [], {}
    for kind in kinds:
        in_replica = [_of_composition(r, kind) for r in replicas]
        fraction = sum(m.sum() for m in in_replica) / n_shells
        if fraction < min_fraction or not kind[has_solvent].any():
            continue
        label = composition_label(kind, species)
        value, stderr, method = _estimate(replicas, in_replica, n_blocks)
        rows.append(Row.from_display(QUANTITY, "", label, value, stderr, "D", method))
        labels.append(label), fractions.append(fraction)
        values[label] = np.concatenate([r.shell_dipole_debye[m.ravel()] for r, m in zip(replicas, in_replica)])
    notes.append(f"{len(rows)} shell compositions with solvent held by at least {min_fraction:.0%} of the "
                 f"{structure.cation}-frames" + (f" ({len(replicas)} replicas)" if len(replicas) > 1 else ""))
    return ShellDipoleResult(structure.cation, species, labels, np.array(fractions), rows, _histogram(values), notes)


def _of_composition(result: StructureResult, kind: np.ndarray) -> np.ndarray:
    """Which shells of a replica have the composition ``kind``, shape (n_frames, n_cations)."""
    return (result.shell_molecules == kind).all(axis=2)


def _estimate(replicas: Sequence[StructureResult], in_replica: Sequence[np.ndarray], n_blocks: int) -> tuple:
    """(mean |M| in D, its standard error, method) of the shells marked in each replica (module docstring)."""
    per_frame = [(np.where(m, r.shell_dipole_debye.reshape(m.shape), 0.0).sum(axis=1), m.sum(axis=1))
                 for r, m in zip(replicas, in_replica)]
    if len(replicas) == 1:
        total, count = per_frame[0]
        estimate = block_ratio(total[:, None], count[:, None], n_blocks)
        return float(estimate.value[0]), float(estimate.stderr[0]), estimate.method
    estimate = from_samples([t.sum() / c.sum() for t, c in per_frame if c.sum()], REPLICAS)
    return float(estimate.value), float(estimate.stderr), estimate.method


def _histogram(values: dict) -> pd.DataFrame:
    parts = []
    for label, v in values.items():
        edges = dipole_bins(v)
        density, _ = np.histogram(v, bins=edges, density=True)
        parts.append(pd.DataFrame({"composition": label, "low (D)": edges[:-1], "high (D)": edges[1:],
                                   "density (1/D)": density}))
    columns = ["composition", "low (D)", "high (D)", "density (1/D)"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def plot_shell_dipoles(result: ShellDipoleResult):
    """Probability density of the shell dipole |M| (D) per shell composition, the mean dashed."""
    from .figures import plt  # the headless pyplot of the structure figures
    fig, ax = plt.subplots(figsize=(5.0, 3.4))
    for k, row in enumerate(result.rows):
        part = result.histogram[result.histogram["composition"] == row.species]
        edges = np.r_[part["low (D)"].to_numpy(), part["high (D)"].to_numpy()[-1]]
        colour = f"C{k % 10}"
        ax.stairs(part["density (1/D)"].to_numpy(), edges, color=colour,
                  label=f"{row.species} ({result.fraction[k]:.0%}): {row.value:.2f} ± {row.stderr:.2f} D")
        ax.axvline(row.value, color=colour, linestyle="--", linewidth=0.8)
    ax.set_xlabel(f"shell dipole |M| of the {result.cation} shell (D)")
    ax.set_ylabel("probability density (1/D)")
    ax.legend(fontsize=7, title="composition (share of shells)", title_fontsize=7)
    fig.tight_layout()
    return fig
