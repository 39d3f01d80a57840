"""The result of a structure analysis: tidy rows of estimates, and the curves and tables behind them.

Every number is one :class:`ionscale.core.table.Row` — ``quantity, frame, species, value, stderr,
unit, method`` with ``frame`` empty (structure has no reference frame):

=========================  ======================================  =====================================
quantity                   species                                 value
=========================  ======================================  =====================================
``cutoff``                 species; ``anion:SSIP``                 shell (second) cut-off, nm
``shell_molecules``        coordinating species                    molecules per shell
``shell_donor_atoms``      coordinating species                    donor atoms per shell
``anions_bound_fraction``  ``n=0``, ``n=1``, ...                   P(cation bound to n distinct anions)
``bound_fraction``         cation                                  P(n ≥ 1)
``free_fraction``          cation                                  P(n = 0)
``linker_fraction``        cation                                  P(n ≥ 2)
``free_solvent_fraction``  solvent species                         molecules in no shell
``pair_class_fraction``    ``anion:free|SSIP|CIP|AGG``             share of anions in the class
``tetrahedral_order``      cation                                  mean q of four-donor shells
``shell_dipole``           cation                                  mean |Σ μ| of shell solvent, D
``residence_time``         ``species:atom|molecule``, ``linker``   τ = (τ_K/β) Γ(1/β), ps
``kww_tau``                same                                    τ_K, ps
``kww_beta``               same                                    β
=========================  ======================================  =====================================

``method`` says where the error bar comes from (``frame-blocks(5)``, ``replicas(3)``, ``none``) or how a value without one was
obtained (``first RDF minimum``, ``given``, ``KWW fit, continuous``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..core.estimate import over_replicas
from ..core.result import Result
from ..core.table import Row, summary_frame
from .rdf import RDF
from .residence import KWW

#: histogram bins of the distributions: q in [−3, 1], shell dipole from 0 D
Q_BINS = np.linspace(-3.0, 1.0, 81)
DIPOLE_BIN_DEBYE = 0.25


@dataclass
class StructureResult(Result):
    """Solvation structure of one trajectory.

    Attributes
    ----------
    cation : str
    species : list of str
        Coordinating species (anions, then solvents).
    rows : list of Row
        Every estimate (module docstring).
    cutoff_nm : dict
        Species → shell cut-off in nm (NaN: the species never binds).
    ssip_cutoff_nm : dict
        Anion species → second cut-off in nm (NaN: no SSIP class).
    rdf : RDF
    speciation : pandas.DataFrame
        Frequency of each shell composition (see :meth:`Shells.speciation`).
    time_ps : ndarray, shape (n_lags,)
        Lags of the correlation functions.
    acfs : dict
        ``"<name> <mode>"`` (e.g. ``"EC:atom continuous"``, ``"linker continuous"``) → C(t), shape (n_lags,).
    fits : dict
        Same keys → :class:`KWW` fit.
    tetrahedral_order : ndarray, shape (n_four_donor_shells,), or None
        q of every four-donor shell of every frame.
    shell_dipole_debye : ndarray, shape (n_frames × n_cations,), or None
        |Σ μ| of every shell of every frame, in D.
    anion_bonds : ndarray of int, shape (n_bonds, 3), or None
        Every (frame, cation, anion) first-shell contact; anions numbered over all anion species in
        the order of ``Electrolyte.ions`` — the edges of the cluster graph (SPEC §6).
    notes : list of str
    shell_molecules : ndarray of int, shape (n_frames, n_cations, n_species), or None
        Molecules of each coordinating species in every shell of every frame (the shell compositions
        that ``speciation`` counts), aligned with ``shell_dipole_debye`` reshaped (n_frames, n_cations).
    replicas : list of StructureResult
        The results of the single replicas merged into this one (:func:`merge_replicas`); empty for the
        result of one trajectory (:meth:`per_replica` gives ``[self]`` then).
    """

    cation: str
    species: list
    rows: list
    cutoff_nm: dict
    ssip_cutoff_nm: dict
    rdf: RDF
    speciation: pd.DataFrame
    time_ps: np.ndarray
    acfs: dict
    fits: dict
    tetrahedral_order: np.ndarray | None = None
    shell_dipole_debye: np.ndarray | None = None
    anion_bonds: np.ndarray | None = None
    notes: list = field(default_factory=list)
    shell_molecules: np.ndarray | None = None
    replicas: list = field(default_factory=list)

    section, title = "structure", "solvation structure"

    # -- access ------------------------------------------------------------------------------
    def per_replica(self) -> list:
        """The result of each replica (analysed with the same cut-offs): for analyses downstream that need
        the per-shell arrays of every replica, not only the first one's."""
        return self.replicas or [self]

    # -- tables for files ---------------------------------------------------------------------
    def rdf_frame(self) -> pd.DataFrame:
        """``rdf.csv``: r (nm), then g(r) and the running coordination number n(r) of each species."""
        cols = {"r (nm)": self.rdf.r_nm}
        for k, s in enumerate(self.species):
            cols[f"g {self.cation}-{s} (1)"] = self.rdf.g[k]
            cols[f"n {self.cation}-{s} (donor atoms)"] = self.rdf.n[k]
        return pd.DataFrame(cols)

    def acf_frame(self) -> pd.DataFrame:
        """``acf.csv``: lag time (ps), then every residence correlation function C(t) (dimensionless)."""
        return pd.DataFrame({"time (ps)": self.time_ps, **{f"C {k} (1)": v for k, v in self.acfs.items()}})

    def speciation_frame(self) -> pd.DataFrame:
        """``speciation.csv``: molecules of each species in the shell, ``count`` and ``fraction``."""
        return self.speciation.copy()

    def distributions_frame(self) -> pd.DataFrame:
        """Probability densities of the tetrahedral order q and the shell dipole (D), tidy:
        ``quantity, low, high, unit, density``."""
        parts = []
        for name, values, edges, unit in (
                ("tetrahedral_order", self.tetrahedral_order, Q_BINS, "1"),
                ("shell_dipole", self.shell_dipole_debye, dipole_bins(self.shell_dipole_debye), "D")):
            if values is None or len(values) == 0:
                continue
            density, _ = np.histogram(values, bins=edges, density=True)
            parts.append(pd.DataFrame({"quantity": name, "low": edges[:-1], "high": edges[1:], "unit": unit,
                                       "density": density}))
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
            columns=["quantity", "low", "high", "unit", "density"])

    SUMMARY = ("cutoff", "shell_molecules", "bound_fraction", "free_fraction", "linker_fraction",
               "pair_class_fraction", "residence_time")

    def summary(self) -> pd.DataFrame:
        """The headline numbers (continuous residence times only), formatted 'value ± stderr'."""
        return summary_frame([r for r in self.rows if "intermittent" not in r.method], self.SUMMARY)

    # -- the analysis folder (ionscale.core.result) ------------------------------------------

    def to_dict(self) -> dict:
        """What ``results.json`` records besides the rows: species, cut-offs (nm), notes."""
        return {"cation": self.cation, "species": self.species, "cutoff_nm": self.cutoff_nm,
                "ssip_cutoff_nm": self.ssip_cutoff_nm, "notes": self.notes}

    def tables(self) -> dict:
        return {"rdf.csv": self.rdf_frame(), "acf.csv": self.acf_frame(), "speciation.csv": self.speciation_frame(),
                "distributions.csv": self.distributions_frame()}

    def figures(self) -> dict:
        """RDFs with cut-offs, shell composition, P(n anions), ACFs with fits, geometry: ``{file: Figure}``."""
        from . import figures
        out = {"rdf.png": figures.plot_rdf(self), "shells.png": figures.plot_shells(self),
               "anions_bound.png": figures.plot_anions_bound(self), "acf.png": figures.plot_acf(self)}
        if self.tetrahedral_order is not None:
            out["geometry.png"] = figures.plot_geometry(self)
        return out


def dipole_bins(values) -> np.ndarray:
    """Histogram edges of shell dipoles (D): :data:`DIPOLE_BIN_DEBYE` wide, from 0 past the largest value."""
    top = float(np.max(values)) if values is not None and len(values) else 0.0
    return DIPOLE_BIN_DEBYE * np.arange(int(top / DIPOLE_BIN_DEBYE) + 2)


__all__ = ["StructureResult", "Row", "KWW"]


def merge_replicas(results: list) -> StructureResult:
    """Replicas of one state point analysed with the same cut-offs → one result: every estimate becomes
    the mean over replicas ± its standard error (:func:`ionscale.core.estimate.over_replicas`: method
    ``replicas(n)``, after what the method said of how the value was obtained; P(n anions) counts 0 in a
    replica that never had n); cut-offs, curves and tables are those of the first replica (say so in the
    notes)."""
    if len(results) == 1:
        return results[0]
    first, n = results[0], len(results)
    rows = over_replicas([res.rows for res in results], fixed=("cutoff",), counted=("anions_bound_fraction",))
    notes = first.notes + [f"structure: mean ± standard error over {n} replicas with the cut-offs of the first; "
                           "curves and tables are the first replica's"]
    return replace(first, rows=rows, notes=notes, replicas=list(results))
