"""The percolation onset along the state points of a study table (SPEC §6; Coste et al. §V.B).

A state point *percolates* when at least half of its frames (:data:`PERCOLATION_THRESHOLD`) hold a
cluster connected to its own periodic image (``percolating_fraction``, :mod:`.percolation`). Along the
concentrations of a study the onset of percolation is bracketed by the lowest concentration that
percolates and the highest one below it that does not; between them the percolating fraction is
interpolated linearly for a point estimate (:func:`.percolation.percolation_onset`).
:func:`percolation_onset_of` reads this off a study table (``study.csv`` rows, :mod:`ionscale.study.aggregate`);
the study and the report both use it. The onset depends on the box size (a cluster need only span one
box length): compare studies in boxes of similar size.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .percolation import percolation_onset

#: a state point percolates when at least this fraction of its frames holds a percolating cluster
PERCOLATION_THRESHOLD = 0.5


def percolation_onset_of(table: pd.DataFrame, threshold: float = PERCOLATION_THRESHOLD) -> dict | None:
    """Where percolation first appears along the state points of a study table (module docstring).

    table : study rows with ``state_point``, ``concentration_mol_L`` (mol/L), ``quantity``, ``value`` and
        ``stderr``; the ``percolating_fraction`` row of each state point is used (the first finite one).
    threshold : fraction of frames with a percolating cluster at which a state point percolates.

    Returns None when no state point has a percolating fraction, else a dict (JSON-ready, None for
    missing numbers): ``concentration_mol_L`` — the lowest concentration that percolates (None if
    none does); ``state_point`` — its label; ``lower_mol_L`` — the highest concentration below it (None
    if it is the lowest; the highest studied when none percolates); ``interpolated_mol_L`` — the linear
    interpolation of the fraction between the two; ``threshold``; ``fractions`` — every state point's
    concentration, fraction and standard error; ``text`` — all this in a sentence.
    """
    rows = table[table["quantity"] == "percolating_fraction"]
    rows = rows.assign(**{k: pd.to_numeric(rows[k], errors="coerce") for k in ("concentration_mol_L", "value", "stderr")})
    rows = rows[np.isfinite(rows["value"]) & np.isfinite(rows["concentration_mol_L"])]
    rows = rows.drop_duplicates("state_point").sort_values("concentration_mol_L", kind="stable")
    if rows.empty:
        return None
    c, p = rows["concentration_mol_L"].to_numpy(float), rows["value"].to_numpy(float)
    onset = percolation_onset(c, p, threshold)
    below, first = onset.bracket
    labels = dict(zip(c, rows["state_point"]))
    record = {"threshold": threshold, "concentration_mol_L": _number(first),
              "state_point": labels.get(first) if np.isfinite(first) else None,
              "lower_mol_L": _number(below), "interpolated_mol_L": _number(onset.concentration),
              "fractions": [{"state_point": r.state_point, "concentration_mol_L": float(r.concentration_mol_L),
                             "percolating_fraction": float(r.value), "stderr": _number(r.stderr)}
                            for r in rows.itertuples(index=False)]}
    record["text"] = _onset_text(record, dict(zip(c, zip(p, rows["stderr"].to_numpy(float)))))
    return record


def _onset_text(record: dict, fraction: dict) -> str:
    """The onset in one sentence, with the fractions (± standard error) of the bracketing state points."""
    from ..core.table import format_value

    def at(c):
        return f"{c:.3g} mol/L (fraction {format_value(*fraction[c])})"
    share = f"a percolating cluster in ≥ {100 * record['threshold']:.0f} % of frames"
    first, below = record["concentration_mol_L"], record["lower_mol_L"]
    if first is None:
        return f"no state point has {share}: the highest, {at(below)}, lies below the percolation onset"
    if below is None:
        return f"{share} already at the lowest concentration, {at(first)}: the onset lies below it"
    return (f"{share} first at {at(first)}; {at(below)} does not percolate: onset between {below:.3g} and "
            f"{first:.3g} mol/L (linear interpolation {record['interpolated_mol_L']:.3g} mol/L)")


def _number(x) -> float | None:
    return float(x) if x is not None and np.isfinite(x) else None
