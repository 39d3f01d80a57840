"""Results of the mesoscale analyses: tidy rows with units, curves as tables, figures.

Every number is a :class:`~ionscale.core.table.Row` ``(quantity, frame, species, value, stderr,
unit, method)`` with ``frame = ""`` (no reference frame is involved). Quantities:

==============================  ===============================  ==========================================
quantity                        species                          meaning
==============================  ===============================  ==========================================
cluster_size_fraction           size, e.g. ``"3"``               fraction of clusters with that many ions
cluster_charge_fraction         net charge, e.g. ``"-1"``        fraction of clusters with that charge Σz
cluster_composition_fraction    composition, e.g. ``"3+2-"``     fraction of clusters of that composition
cluster_population              composition                      mean number of such clusters per frame
free_ion_fraction               ion species label                fraction of its ions in no contact
largest_cluster_fraction        ""                               largest cluster's share of all ions
percolating_fraction            ""                               fraction of frames with a percolating cluster
cluster_lifetime                ""                               mean lifetime of clusters of ≥ 2 ions (ps)
conductivity_cluster_ne         ""                               cluster Nernst–Einstein σ (mS/cm)
t_plus_cluster_ne               cation label                     cluster Nernst–Einstein t_+
dielectric_constant             ""                               ε_r used for λ_D
debye_length                    ""                               λ_D (nm)
screening_length                ""                               λ_S from the tail of r h_ZZ(r) (nm)
screening_period                ""                               d of the oscillatory tail (nm; NaN if monotonic)
screening_ratio                 ""                               λ_S / λ_D
==============================  ===============================  ==========================================

Fractions of clusters count clusters (not ions) over all frames. Several replicas of a state point give
one result (:func:`merge_replicas`): every row the mean over replicas ± its standard error
(``replicas(n)``), the curves, populations and figures those of the first replica.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd

from ..core.estimate import over_replicas
from ..core.result import Result, Rows
from ..core.table import Row
from .clusters import Clusters
from .decay_fit import DecayFit

#: quantities per category of cluster, which a replica may never meet (it then had 0 of it): merged over
#: replicas with :func:`ionscale.core.estimate.over_replicas`'s ``counted``
COUNTED = ("cluster_size_fraction", "cluster_charge_fraction", "cluster_composition_fraction", "cluster_population")


@dataclass
class ClusterResult(Rows):
    """Clusters of one trajectory.

    Attributes
    ----------
    species : ion species labels, cation first.
    rows : list of Row (module docstring).
    compositions : (n_types, n_species) distinct cluster compositions.
    population : (n_types,) mean number of clusters of each composition per frame.
    percolating_frames : (n_frames,) bool, frames with a percolating cluster.
    clusters : the :class:`~.clusters.Clusters` of every frame (labels, compositions, charges).
    notes : what the analysis assumed or warned about.
    """

    species: list
    rows: list
    compositions: np.ndarray
    population: np.ndarray
    percolating_frames: np.ndarray
    clusters: Clusters
    notes: list = field(default_factory=list)

    def population_matrix(self) -> np.ndarray:
        """P[i, j]: mean number per frame of clusters of i cations and j anions (one anion species)."""
        if self.compositions.shape[1] != 2:
            raise ValueError("a population matrix P[i, j] needs exactly one cation and one anion species; "
                             "use .compositions and .population")
        size = self.compositions.max(axis=0) + 1
        matrix = np.zeros(size)
        matrix[self.compositions[:, 0], self.compositions[:, 1]] = self.population
        return matrix


@dataclass
class ScreeningResult(Rows):
    """Charge structure and screening of one trajectory.

    Attributes
    ----------
    rows : list of Row (module docstring).
    k_nm_inv, s_zz, s_zz_stderr, n_vectors : (n_shells,) S_ZZ(k) per shell of |k|.
    r_nm, h_zz, h_zz_stderr : (n_bins,) h_ZZ(r); g : {"a|b": (n_bins,)} partial RDFs.
    fit, monotonic, oscillatory : the chosen fit of r h_ZZ(r) and both candidates (None when no fit).
    fit_range_nm : (r_min, r_max) of the fit.
    debye_length_nm : λ_D (NaN without ε_r).
    reliable : False when the box is too small for λ_S to mean anything (see ``message``).
    message : why the screening length is (un)reliable.
    notes : what the analysis assumed or warned about.
    """

    rows: list
    k_nm_inv: np.ndarray
    s_zz: np.ndarray
    s_zz_stderr: np.ndarray
    n_vectors: np.ndarray
    r_nm: np.ndarray
    h_zz: np.ndarray
    h_zz_stderr: np.ndarray
    g: dict
    fit: DecayFit | None
    monotonic: DecayFit | None
    oscillatory: DecayFit | None
    fit_range_nm: tuple
    debye_length_nm: float
    reliable: bool
    message: str
    notes: list = field(default_factory=list)

    def szz_frame(self) -> pd.DataFrame:
        """S_ZZ(k) per shell: ``szz.csv``."""
        return pd.DataFrame({"k (nm^-1)": self.k_nm_inv, "S_ZZ (1)": self.s_zz, "S_ZZ stderr (1)": self.s_zz_stderr,
                             "n_vectors (1)": self.n_vectors})

    def hzz_frame(self) -> pd.DataFrame:
        """h_ZZ(r), r h_ZZ(r), the chosen fit on its range, and the partial RDFs: ``hzz.csv``."""
        r = self.r_nm
        inside = (r >= self.fit_range_nm[0]) & (r <= self.fit_range_nm[1])
        fitted = np.where(inside, self.fit(r), np.nan) if self.fit is not None else np.full(len(r), np.nan)
        columns = {"r (nm)": r, "h_ZZ (1)": self.h_zz, "h_ZZ stderr (1)": self.h_zz_stderr,
                   "r h_ZZ (nm)": r * self.h_zz, "r h_ZZ fit (nm)": fitted}
        columns.update({f"g {pair} (1)": g for pair, g in self.g.items()})
        return pd.DataFrame(columns)


@dataclass
class MesoscaleResult(Result):
    """Clusters and screening of one trajectory, or of the replicas of a state point merged
    (:func:`merge_replicas`), together (either may be None): the analysis result
    (:mod:`ionscale.core.result`) whose rows are theirs.

    ``replicas``: the results of the single replicas merged into this one; empty for the result of one
    trajectory (:meth:`per_replica` gives ``[self]`` then)."""

    clusters: ClusterResult | None = None
    screening: ScreeningResult | None = None
    replicas: list = field(default_factory=list)
    section, title = "mesoscale", "clusters and screening"
    SUMMARY = ("free_ion_fraction", "largest_cluster_fraction", "percolating_fraction", "conductivity_cluster_ne",
               "t_plus_cluster_ne", "dielectric_constant", "debye_length", "screening_length", "screening_period",
               "screening_ratio")

    @property
    def rows(self) -> list:
        return [r for part in (self.clusters, self.screening) if part is not None for r in part.rows]

    @property
    def notes(self) -> list:
        return [n for part in (self.clusters, self.screening) if part is not None for n in part.notes]

    def per_replica(self) -> list:
        """The result of each replica (:func:`merge_replicas`), or ``[self]`` for one trajectory."""
        return self.replicas or [self]

    def to_dict(self) -> dict:
        """What ``results.json`` records besides the rows: populations, the screening fit and verdict, notes."""
        out = {"notes": self.notes}
        if self.clusters is not None:
            c = self.clusters
            out["clusters"] = {"species": c.species, "compositions": c.compositions.tolist(),
                               "population_per_frame": c.population.tolist(),
                               "percolating_frames": np.flatnonzero(c.percolating_frames).tolist()}
        if self.screening is not None:
            s = self.screening
            fits = {name: None if fit is None else asdict(fit)
                    for name, fit in (("chosen", s.fit), ("monotonic", s.monotonic), ("oscillatory", s.oscillatory))}
            out["screening"] = {"reliable": s.reliable, "message": s.message, "fit_range_nm": list(s.fit_range_nm),
                                "debye_length_nm": s.debye_length_nm, "fits": fits}
        return out

    def tables(self) -> dict:
        """``{"szz.csv": ..., "hzz.csv": ...}`` when there is a screening analysis."""
        if self.screening is None:
            return {}
        return {"szz.csv": self.screening.szz_frame(), "hzz.csv": self.screening.hzz_frame()}

    def figures(self) -> dict:
        """``{file name: Figure}``: cluster distributions, S_ZZ(k) and r h_ZZ(r)."""
        from .figures import plot_charge_correlation, plot_clusters, plot_structure_factor
        figures = {}
        if self.clusters is not None:
            figures["clusters.png"] = plot_clusters(self.clusters)
        if self.screening is not None:
            figures["szz.png"] = plot_structure_factor(self.screening)
            figures["hzz.png"] = plot_charge_correlation(self.screening)
        return figures

    def szz_frame(self) -> pd.DataFrame:
        return self.tables()["szz.csv"]

    def hzz_frame(self) -> pd.DataFrame:
        return self.tables()["hzz.csv"]


def merge_replicas(results: list) -> MesoscaleResult:
    """Replicas of one state point → one result: every row of the clusters and of the screening becomes the
    mean over replicas ± its standard error (:func:`ionscale.core.estimate.over_replicas`, ``replicas(n)``);
    populations, compositions, percolating frames, S_ZZ, h_ZZ, the fits and the figures are those of the
    first replica (said in the notes). The notes of the other replicas that the first lacks are kept,
    marked with their replica. The single results stay in ``replicas``."""
    if len(results) == 1:
        return results[0]
    n = len(results)
    alike = (f"; a row without replicas({n}) in its method is the first replica's: not every replica has it with "
             "that method (another fit or verdict); a cluster category that a replica never formed counts as 0 there")
    clusters = _merged([r.clusters for r in results], f"clusters: mean ± standard error over {n} replicas; "
                       "populations, compositions, percolating frames and the figure are the first replica's" + alike)
    screening = _merged([r.screening for r in results], f"screening: mean ± standard error over {n} replicas; "
                        "S_ZZ, h_ZZ, the fits of r h_ZZ with their verdict and the figures are the first replica's"
                        + alike)
    return MesoscaleResult(clusters=clusters, screening=screening, replicas=list(results))


def _merged(parts: list, note: str):
    """The first of the replicas' ``parts`` (cluster or screening results; None when not computed) with the
    rows of all of them merged, their notes and ``note``."""
    first = parts[0]
    if first is None:
        return None
    others = [f"replica {k}: {text}" for k, part in enumerate(parts[1:], 2) for text in part.notes
              if text not in first.notes]
    return replace(first, rows=over_replicas([part.rows for part in parts], counted=COUNTED),
                   notes=first.notes + others + [note])


def row(quantity: str, species: str, value, stderr, unit: str, method: str) -> Row:
    """One tidy row with frame "" from a value and error in the display ``unit`` (floats made plain)."""
    return Row.from_display(quantity, "", str(species), float(value), float(stderr), unit, method)
