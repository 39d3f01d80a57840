"""The table every analysis reports in: one :class:`Row` per number, stored in SI, shown in its display unit.

``quantity, frame, species, value, stderr, unit, method`` — the columns of every ``*.csv`` table that
ionscale writes (:data:`COLUMNS`), values in the display ``unit`` an electrochemist reads (D in
1e-10 m²/s, κ in mS/cm, lengths in nm). A row stores its number in SI (``value_si``, ``stderr_si``, in
``si_unit``) and derives the display value from the one units table (:mod:`ionscale.core.units`);
``results.json`` records both. :class:`Estimate` is one value (a number, vector or matrix) with its
error bar, stored the same way, as the results' attributes give it; :func:`format_value` prints
``value ± stderr`` at the error bar's precision.

An analysis that computes in SI (transport, the cluster conductivity) builds its rows from SI values,
``Row(quantity, frame, species, value_si, stderr_si, unit, method)``, and the display value is the same
number the analyses always showed (SI × an exact power of ten, to the bit). One that computes in a
display unit (a length in nm from the trajectory, a time in ps) builds them with
:meth:`Row.from_display`; the display value it shows then carries the round trip through SI, within one
unit in the last place (a round trip through a power of ten cannot be exact for every float: 5–13 % of
values move by one ulp), far below any error bar, and the files print it at the 15 significant digits
that survive it (:data:`FLOAT_FORMAT`).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd

from .units import from_si, si_unit, to_si

COLUMNS = ["quantity", "frame", "species", "value", "stderr", "unit", "method"]

#: how the files print a display value: the 15 significant digits a double holds exactly (DBL_DIG), so
#: a value entered as 0.45 nm reads 0.45 after its round trip through SI (not 0.45000000000000007)
FLOAT_FORMAT = "%.15g"


def _number(value):
    """A float, or a float array for a vector or matrix."""
    return np.asarray(value, dtype=float) if np.ndim(value) else float(value)


class Row(NamedTuple):
    """One reported number: ``value_si ± stderr_si`` in the SI unit of the display ``unit``."""

    quantity: str
    frame: str
    species: str
    value_si: float
    stderr_si: float
    unit: str
    method: str

    @classmethod
    def from_display(cls, quantity: str, frame: str, species: str, value: float, stderr: float, unit: str,
                     method: str) -> "Row":
        """A row from a value and error computed in the display ``unit`` (stored in SI)."""
        return cls(quantity, frame, species, float(to_si(value, unit)), float(to_si(stderr, unit)), unit, method)

    @property
    def value(self) -> float:
        """The value in the display ``unit``."""
        return from_si(self.value_si, self.unit)

    @property
    def stderr(self) -> float:
        """The standard error in the display ``unit`` (NaN when none)."""
        return from_si(self.stderr_si, self.unit)

    @property
    def si_unit(self) -> str:
        return si_unit(self.unit)

    def shown(self) -> tuple:
        """The row in the columns of the tables (:data:`COLUMNS`): value and error in the display unit."""
        return (self.quantity, self.frame, self.species, self.value, self.stderr, self.unit, self.method)

    def to_dict(self) -> dict:
        """The row as ``results.json`` records it: in the display unit and in SI."""
        return {**dict(zip(COLUMNS, self.shown())), "value_si": self.value_si, "stderr_si": self.stderr_si,
                "si_unit": self.si_unit}

    def estimate(self) -> "Estimate":
        return Estimate(self.value_si, self.stderr_si, self.unit, self.method)


def rows_frame(rows) -> pd.DataFrame:
    """Rows as a DataFrame with the columns of ``quantities.csv`` (:data:`COLUMNS`, display units)."""
    return pd.DataFrame([r.shown() for r in rows], columns=COLUMNS)


class Estimate(NamedTuple):
    """A value with its standard error (NaN when none), display unit and error method, stored in SI
    (``value_si``, ``stderr_si``: numbers, or arrays for a vector or matrix)."""

    value_si: float | np.ndarray
    stderr_si: float | np.ndarray
    unit: str
    method: str

    @classmethod
    def from_display(cls, value, stderr, unit: str, method: str) -> "Estimate":
        """An estimate from a value and error in the display ``unit``."""
        return cls(to_si(_number(value), unit), to_si(_number(stderr), unit), unit, method)

    @property
    def value(self) -> float | np.ndarray:
        """The value in the display ``unit``."""
        return from_si(self.value_si, self.unit)

    @property
    def stderr(self) -> float | np.ndarray:
        """The standard error in the display ``unit``."""
        return from_si(self.stderr_si, self.unit)

    def si(self) -> "Estimate":
        """The same estimate shown in SI (:mod:`ionscale.core.units`), e.g. ``res.D["solvent"].si()`` in m²/s:
        its ``value`` is ``value_si``, exactly."""
        return Estimate(self.value_si, self.stderr_si, si_unit(self.unit), self.method)

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
