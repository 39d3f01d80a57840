"""A thermodynamic factor given by the user: one number, or a table against concentration.

Experiments give the TDF of real electrolytes (e.g. concentration cells with transference data;
Valøen & Reimers, J. Electrochem. Soc. 152, A882 (2005); Landesfeind & Gasteiger, J. Electrochem.
Soc. 166, A3079 (2019)), and an explicit-solvent simulation needs it because the ion–solvent
Kirkwood–Buff integrals are not collected (:mod:`.kirkwood_buff`). The value is the molar factor
1 + d ln y_± / d ln c that multiplies ∇ ln c in a continuum model written in molar concentration.

Forms (command line ``--tdf``, study file ``[analysis] thermodynamic_factor``):

- a number, e.g. ``1.0`` (ideal solution) — the same at every concentration;
- a CSV file with columns ``concentration_mol_L`` and ``thermodynamic_factor`` (optionally
  ``stderr``), interpolated linearly in concentration; concentrations outside the table are refused;
- in a study file also an inline table ``{ concentration_mol_L = [...], thermodynamic_factor = [...] }``.

The concentration is that of the state point in mol/L (the study's ``concentration_mol_L``: the study
file's value, else the cation concentration of the system).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import IonscaleError


@dataclass(frozen=True)
class GivenTDF:
    """A given TDF: ``concentration_mol_L`` empty for a constant, else a table (ascending, mol/L)."""

    values: tuple
    concentration_mol_L: tuple = ()
    stderr: tuple = ()
    source: str = "given"

    def __post_init__(self):
        v = np.asarray(self.values, dtype=float)
        if v.size == 0 or not np.all(v > 0):
            raise IonscaleError(f"a thermodynamic factor must be positive (1 for an ideal solution); got {self.values}")
        if self.concentration_mol_L:
            c = np.asarray(self.concentration_mol_L, dtype=float)
            if c.shape != v.shape or c.size < 2 or not np.all(np.diff(c) > 0) or not c[0] >= 0:
                raise IonscaleError(f"the TDF table ({self.source}) needs ≥ 2 rows of distinct, non-negative "
                                    "concentrations in mol/L, each with one positive thermodynamic_factor")
        elif v.size != 1:
            raise IonscaleError("a constant thermodynamic factor is one number")
        if self.stderr and len(self.stderr) != v.size:
            raise IonscaleError(f"the TDF table ({self.source}) has {len(self.stderr)} stderr values for {v.size} rows")

    @classmethod
    def parse(cls, spec, base: Path | None = None) -> "GivenTDF":
        """From a number, a CSV path (relative to ``base``), or a mapping of columns (see module docstring)."""
        if isinstance(spec, GivenTDF):
            return spec
        if isinstance(spec, (int, float)) and not isinstance(spec, bool):
            return cls((float(spec),), source=f"given: {float(spec):g}")
        if isinstance(spec, str):
            try:
                return cls((float(spec),), source=f"given: {float(spec):g}")
            except ValueError:
                return cls.from_csv(Path(spec) if base is None or Path(spec).is_absolute() else base / spec)
        if isinstance(spec, dict):
            unknown = set(spec) - {"concentration_mol_L", "thermodynamic_factor", "stderr"}
            if unknown or not {"concentration_mol_L", "thermodynamic_factor"} <= set(spec):
                raise IonscaleError("a TDF table needs the keys concentration_mol_L and thermodynamic_factor "
                                    f"(optionally stderr); got {sorted(spec)}")
            return cls._table(spec["concentration_mol_L"], spec["thermodynamic_factor"], spec.get("stderr", ()),
                              "given table")
        raise IonscaleError(f"a thermodynamic factor is a number, a CSV file or a table; got {spec!r}")

    @classmethod
    def from_csv(cls, path: Path) -> "GivenTDF":
        import pandas as pd
        try:
            table = pd.read_csv(path)
        except (OSError, ValueError) as err:
            raise IonscaleError(f"cannot read the TDF table {path}: {err}") from None
        missing = {"concentration_mol_L", "thermodynamic_factor"} - set(table.columns)
        if missing:
            raise IonscaleError(f"the TDF table {path} lacks the column(s) {sorted(missing)}; it needs "
                                "concentration_mol_L and thermodynamic_factor (optionally stderr)")
        table = table.sort_values("concentration_mol_L")
        return cls._table(table["concentration_mol_L"], table["thermodynamic_factor"],
                          table["stderr"] if "stderr" in table else (), f"given table {path.name}")

    @classmethod
    def _table(cls, c, v, s, source) -> "GivenTDF":
        order = np.argsort(np.asarray(c, dtype=float))
        pick = lambda x: tuple(float(np.asarray(x, dtype=float)[k]) for k in order)  # noqa: E731
        return cls(pick(v), pick(c), pick(s) if len(s) else (), source)

    def at(self, concentration_mol_L: float) -> tuple[float, float]:
        """(TDF, stderr) at a concentration in mol/L (stderr NaN unless the table gives one)."""
        v = np.asarray(self.values)
        s = np.asarray(self.stderr) if self.stderr else np.full(v.shape, np.nan)
        if not self.concentration_mol_L:
            return float(v[0]), float(s[0])
        c = np.asarray(self.concentration_mol_L)
        if not c[0] <= concentration_mol_L <= c[-1]:
            raise IonscaleError(f"the TDF table ({self.source}) covers {c[0]:g}–{c[-1]:g} mol/L, not "
                                f"{concentration_mol_L:.4g} mol/L: extend the table (no extrapolation)")
        return float(np.interp(concentration_mol_L, c, v)), float(np.interp(concentration_mol_L, c, s))
