"""The table every analysis reports in: one :class:`Row` per number, with its unit and error method.

``quantity, frame, species, value, stderr, unit, method`` — the columns of every ``*.csv`` table that
ionscale writes (:data:`COLUMNS`). Transport, structure, mesoscale and continuum results are lists of
rows; :class:`Estimate` is one value (a number, vector or matrix) with its error bar, as the results'
attributes give it; :func:`format_value` prints ``value ± stderr`` at the error bar's precision.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd

COLUMNS = ["quantity", "frame", "species", "value", "stderr", "unit", "method"]


class Row(NamedTuple):
    quantity: str
    frame: str
    species: str
    value: float
    stderr: float
    unit: str
    method: str


class Estimate(NamedTuple):
    """A value with its standard error (NaN when none), unit and error method."""

    value: float | np.ndarray
    stderr: float | np.ndarray
    unit: str
    method: str

    def si(self) -> "Estimate":
        """The same estimate in SI units (:mod:`ionscale.core.units`), e.g. ``res.D["solvent"].si()`` in m²/s."""
        from .units import si_unit, to_si
        return Estimate(to_si(np.asarray(self.value, float), self.unit) if np.ndim(self.value)
                        else to_si(float(self.value), self.unit),
                        to_si(np.asarray(self.stderr, float), self.unit) if np.ndim(self.stderr)
                        else to_si(float(self.stderr), self.unit), si_unit(self.unit), self.method)

    def __str__(self) -> str:
        if np.ndim(self.value):  # a vector or matrix (``res.D[frame]``, ``res.L[frame]``): element by element
            cells = np.vectorize(format_value, otypes=[object])(self.value, self.stderr)
            return f"{np.array2string(cells, separator=', ', formatter={'all': str})} {self.unit}".rstrip()
        return f"{format_value(self.value, self.stderr)} {self.unit}".rstrip()


def pair_labels(labels: list, i: int, j: int) -> str:
    return f"{labels[i]}|{labels[j]}"


#: an error bar this small relative to its value is round-off (e.g. a quantity equal in every block)
ROUND_OFF = 1e-9


def format_value(value: float, stderr: float) -> str:
    """'value ± stderr' with the error's two significant digits setting the precision."""
    if not np.isfinite(value):
        return "nan"
    if not np.isfinite(stderr) or stderr <= ROUND_OFF * abs(value):
        return f"{value:.4g}"  # no error bar, or one at round-off: "± 0.000000" would claim an exact number
    exp = int(math.floor(math.log10(abs(value)))) if value and (abs(value) >= 1e4 or abs(value) < 1e-3) else 0
    scale = 10.0 ** exp
    # two significant digits of the error, but never more than six of the value
    digits = max(0, 1 - int(math.floor(math.log10(stderr / scale))))
    digits = min(digits, max(0, 5 - int(math.floor(math.log10(abs(value / scale)))) if value else 6))
    body = f"{value / scale:.{digits}f} ± {stderr / scale:.{digits}f}"
    return f"({body})e{exp:+d}" if exp else body


def summary_frame(rows, order, frames=None, extra=None) -> pd.DataFrame:
    """The rows whose quantity is in ``order`` (and frame in ``frames``, when given), in that order,
    formatted 'value ± stderr' — the terminal summary of every analysis. ``extra``: {column name:
    function of a row → text}, columns placed after the value."""
    extra = dict(extra or {})
    main = [r for r in rows if r.quantity in order and (frames is None or r.frame in frames)]
    main.sort(key=lambda r: (order.index(r.quantity), frames.index(r.frame) if frames else 0))
    columns = ["quantity", "species"] + (["frame"] if frames else []) + ["value", *extra, "unit", "method"]
    return pd.DataFrame([(r.quantity, r.species) + ((r.frame,) if frames else ())
                         + (format_value(r.value, r.stderr), *(f(r) for f in extra.values()), r.unit, r.method)
                         for r in main], columns=columns)


def is_spread(row: Row) -> bool:
    """Whether a row is a window-sensitivity spread (its method starts with 'window spread')."""
    return row.method.startswith("window spread")
