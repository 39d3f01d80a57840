"""The continuum properties of one state point: thermodynamic factor and the Newman set (solvent frame).

From the transport result (κ, t_+^0, ρ_+ and D_id = D / TDF of the solvent frame, per replica or block,
:mod:`.newman`) and a thermodynamic factor — given by the user (:mod:`.given`) or from the Kirkwood–Buff
integrals of the ion–ion RDFs of an implicit-solvent simulation (:mod:`.kirkwood_buff`) — it adds the
Fickian salt diffusion coefficient D = TDF · D_id. Rows (``quantities.csv``, ``study.csv``):

======================  ========  ===========  ==============================================
quantity                frame     unit         meaning
======================  ========  ===========  ==============================================
thermodynamic_factor    ""        1            TDF = 1 + d ln y_± / d ln c
kb_integral             ""        nm^3         G_∞ of each ion pair (species ``a|b``; KB only)
salt_diffusion          solvent   1e-10 m^2/s  Fickian salt diffusion coefficient D
======================  ========  ===========  ==============================================

The error of D combines those of TDF (structure) and D_id (dynamics) in quadrature, as independent.
κ, t_+^0 and ρ_+ are the transport analysis' rows (frame ``solvent``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from ..mesoscale.box import box_of
from ..core.estimate import REPLICAS, from_samples
from ..core.result import Result
from ..core.table import Row, pair_labels
from .given import GivenTDF
from .kirkwood_buff import kirkwood_buff_tdf


@dataclass
class ContinuumResult(Result):
    """TDF and salt diffusion of one state point (an analysis result, :mod:`ionscale.core.result`)."""

    rows: list
    notes: list = field(default_factory=list)
    #: what needs the user's attention (no TDF, a box too small): the command line shows these as warnings
    warnings: list = field(default_factory=list)
    kb: list = field(default_factory=list)   # KirkwoodBuffTDF of each replica (empty when the TDF was given)
    section, title = "continuum", "continuum (Newman set, solvent frame)"

    #: the TDF and D (and the KB integrals)
    SUMMARY = ("thermodynamic_factor", "salt_diffusion", "kb_integral")

    def to_dict(self) -> dict:
        out = {"notes": self.notes, "warnings": self.warnings}
        if self.kb:
            out["kirkwood_buff"] = [{"fit_diameters_nm": list(k.fit_nm), "reliable": k.reliable, "message": k.message}
                                    for k in self.kb]
        return out

    def tables(self) -> dict:
        """``kb.csv``: the corrected ion number–number correlation h_NN(r) of replica 1 (KB only)."""
        if not self.kb:
            return {}
        return {"kb.csv": pd.DataFrame({"r (nm)": self.kb[0].r_nm, "h_NN (1)": self.kb[0].h_nn})}


def continuum_analysis(transport, electrolytes: Sequence, stores: Sequence, concentration_mol_L: float,
                       given: GivenTDF | None = None, n_blocks: int = 5) -> ContinuumResult:
    """TDF and D of one state point (module docstring) from its transport result and pass stores."""
    notes: list = []
    warnings: list = []
    if len(transport.species) != 2:
        message = f"continuum: the Newman set needs a binary salt, not {len(transport.species)} ion species"
        return ContinuumResult([], [message], [message])
    if transport.reference_frame != "solvent":  # no solvent frame: a solvent-free system
        message = ("continuum: no solvent (a melt or an ionic liquid): there is no salt to diffuse through a "
                   "solvent, so the thermodynamic factor and the salt diffusion coefficient are undefined")
        return ContinuumResult([], [message], [])
    kb = []
    if given is not None:
        tdf, tdf_err = given.at(concentration_mol_L)
        method = f"{given.source} at {concentration_mol_L:.4g} mol/L"
    elif electrolytes[0].has_solvent:
        tdf, tdf_err, method = np.nan, np.nan, "none"
        warnings.append("continuum: no thermodynamic factor — with explicit solvent the Kirkwood–Buff TDF needs "
                     "ion–solvent integrals that are not collected; give one (--tdf NUMBER|TABLE.csv, study key "
                     "thermodynamic_factor) to get the salt diffusion coefficient D")
    else:
        kb = [kirkwood_buff_tdf(s.positions_nm, box_of(s), s.counts, transport.species, n_blocks=n_blocks)
              for s in stores]
        notes.extend(kb[0].notes)
        warnings.extend(f"replica {r + 1}: {k.notes[-1]}" for r, k in enumerate(kb) if not k.reliable)
        tdf, tdf_err, method = _over_replicas([k.value for k in kb], kb[0])
    rows = [Row("thermodynamic_factor", "", "", float(tdf), float(tdf_err), "1", method)]
    if kb:
        n = len(transport.species)
        G = np.array([k.integrals_nm3 for k in kb])
        for i in range(n):
            for j in range(i, n):
                value, err, how = _over_replicas(G[:, i, j], kb[0], kb[0].integrals_stderr_nm3[i, j])
                rows.append(Row.from_display("kb_integral", "", pair_labels(transport.species, i, j), value, err, "nm^3",
                                              how))
    d_id = transport.get("ideal_salt_diffusion", "solvent")
    D = tdf * d_id.value_si  # m²/s
    D_err = abs(D) * np.hypot(tdf_err / tdf, d_id.stderr_si / d_id.value_si)
    rows.append(Row("salt_diffusion", "solvent", "", float(D), float(D_err), d_id.unit,
                    f"TDF × D_id; D_id: {d_id.method}; TDF: {method}"))
    return ContinuumResult(rows, notes + warnings, warnings, kb)


def _over_replicas(values, first, first_stderr: float | None = None) -> tuple[float, float, str]:
    """Mean ± standard error over replicas, or the single replica's (``first``) block estimate."""
    values = np.asarray(values, dtype=float)
    if len(values) == 1:
        return float(values[0]), float(first.stderr if first_stderr is None else first_stderr), \
            f"{first.method}, {first.error}"
    mean = from_samples(values, REPLICAS)
    return float(mean.value), float(mean.stderr), f"{first.method}, {mean.method}"
