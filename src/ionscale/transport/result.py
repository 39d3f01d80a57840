"""The result of a transport analysis: a tidy table of estimates with units, error bars and methods.

Every number is one :class:`Row` — ``quantity, frame, species, value, stderr, unit, method`` — the same
columns as ``quantities.csv``. Attribute access gives the common ones by frame::

    res.t_plus["solvent"]            # Estimate(value, stderr, unit, method)
    res.L["barycentric"].value       # (n, n) matrix in mol² J⁻¹ m⁻¹ s⁻¹
    res.to_frame()                   # pandas DataFrame of every row
    res.save("out/")                 # results.json, quantities.csv, msd.csv, figures
    OnsagerResult.load("out/")       # the same result back (ionscale.core.result)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..core.files import strict_json
from ..core.result import Result
from ..core.table import Estimate, format_value, is_spread, pair_labels, summary_frame


#: quantity → (display unit, shape kind); computed in SI, shown in the display unit (core.units)
UNITS = {
    "L": ("mol^2 J^-1 m^-1 s^-1", "pairs"),
    "L_distinct": ("mol^2 J^-1 m^-1 s^-1", "pairs"),
    "L_self": ("mol^2 J^-1 m^-1 s^-1", "species"),
    "L_mean": ("m^5 J^-1 s^-1", "pairs"),
    "D": ("1e-10 m^2/s", "species"),
    "conductivity": ("mS/cm", "scalar"),
    "conductivity_ne": ("mS/cm", "scalar"),
    "t_plus": ("1", "cation"),
    "transference_number": ("1", "species"),
    "newman_number": ("1", "cation"),
    "rho_plus": ("1", "cation"),
    "t_plus_pfg": ("1", "cation"),
    "ionicity": ("1", "scalar"),
    # Fickian salt diffusion coefficient over the thermodynamic factor, D / TDF (binary salts, solvent
    # frame only; ionscale.continuum.newman)
    "ideal_salt_diffusion": ("1e-10 m^2/s", "scalar"),
}
#: every quantity a transport analysis reports
QUANTITIES = set(UNITS) | {"fit_start", "fit_end", "gamma"}


@dataclass
class OnsagerResult(Result):
    """Transport estimates for one state point.

    Attributes
    ----------
    species : list of str
        Ion species labels, cation first.
    frames : list of str
        Reference frames (``lab``, ``barycentric``, ``solvent``).
    rows : list of Row
        Every estimate (see module docstring).
    window : dict
        ``start_ps``, ``end_ps``, ``found`` (the ion self-MSDs are diffusive in it) and
        ``max_gamma_deviation`` of the fitting window; ``given`` (the user's window), ``error_method``
        (``fit-blocks(n)``, ``replicas(n)`` or ``none``: every block or replica is fitted over this same
        window) and ``spread_windows_ps`` (the windows of the window-sensitivity spread).
    curves : dict
        ``time_ps`` (n_lags,), ``omega`` {frame: (n_lags, n, n)} in mol² J⁻¹ m⁻¹ and
        ``msd_nm2`` {frame: (n_lags, n)} — the replica-mean correlation functions.
    system : dict
        Temperature, volume, species, frames and files of the analysis.
    notes : list of str
        What the analysis assumed or warned about.
    """

    species: list
    frames: list
    rows: list
    window: dict
    curves: dict
    system: dict
    notes: list = field(default_factory=list)
    #: the frame of the headline numbers: "solvent", or "barycentric" for a system without solvent
    reference_frame: str = "solvent"

    section, title = "transport", "transport"

    # -- access ------------------------------------------------------------------------------
    def get(self, quantity: str, frame: str, species: str = "", method: str | None = None) -> Estimate:
        """One estimate; ``species`` as in the table (``cation``, ``cation|anion``, or '' for scalars)."""
        return self._find(quantity, species, frame=frame, method=method)

    def _by_frame(self, quantity: str, species: str = "") -> dict:
        return {f: self.get(quantity, f, species) for f in self.frames}

    def matrix(self, quantity: str, frame: str) -> Estimate:
        """A symmetric (n, n) coefficient matrix (``L``, ``L_distinct``, ``L_mean``) with its errors."""
        n = len(self.species)
        value, stderr = np.full((n, n), np.nan), np.full((n, n), np.nan)
        unit = method = ""
        for i in range(n):
            for j in range(i, n):
                e = self.get(quantity, frame, pair_labels(self.species, i, j))
                value[i, j] = value[j, i] = e.value_si
                stderr[i, j] = stderr[j, i] = e.stderr_si
                unit, method = e.unit, e.method
        return Estimate(value, stderr, unit, method)

    def vector(self, quantity: str, frame: str) -> Estimate:
        """A per-species vector (``D``, ``L_self``, ``transference_number``) with its errors."""
        es = [self.get(quantity, frame, s) for s in self.species]
        return Estimate(np.array([e.value_si for e in es]), np.array([e.stderr_si for e in es]), es[0].unit,
                        es[0].method)

    @property
    def L(self) -> dict:
        """Per-volume Onsager matrices by frame, mol² J⁻¹ m⁻¹ s⁻¹."""
        return {f: self.matrix("L", f) for f in self.frames}

    @property
    def L_mean(self) -> dict:
        """Species-mean Onsager matrices L_ij/(c_i c_j) by frame, m⁵ J⁻¹ s⁻¹ (Fang et al. Eq. 1)."""
        return {f: self.matrix("L_mean", f) for f in self.frames}

    @property
    def D(self) -> dict:
        """Self-diffusion coefficients by frame, 1e-10 m²/s."""
        return {f: self.vector("D", f) for f in self.frames}

    @property
    def conductivity(self) -> dict:
        """Ionic conductivity κ by frame, mS/cm (Eq. 2)."""
        return self._by_frame("conductivity")

    @property
    def conductivity_ne(self) -> dict:
        """Nernst–Einstein conductivity by frame, mS/cm."""
        return self._by_frame("conductivity_ne")

    @property
    def ionicity(self) -> dict:
        """κ/κ_NE by frame."""
        return self._by_frame("ionicity")

    @property
    def t_plus(self) -> dict:
        """Cation transference number by frame (t_+^0 in the solvent frame, Eq. 3)."""
        return self._by_frame("t_plus", self.species[0])

    @property
    def newman_number(self) -> dict:
        return self._by_frame("newman_number", self.species[0])

    @property
    def rho_plus(self) -> dict:
        """Current fraction ρ_+ = 1/(1 + Ne) by frame (Eq. 4)."""
        return self._by_frame("rho_plus", self.species[0])

    @property
    def t_plus_pfg(self) -> dict:
        """PFG-NMR transference number from self-diffusion by frame (Eq. 5)."""
        return self._by_frame("t_plus_pfg", self.species[0])

    # -- presentation -------------------------------------------------------------------------
    SUMMARY = ("conductivity", "t_plus", "rho_plus", "newman_number", "t_plus_pfg", "conductivity_ne",
               "ionicity", "D", "L")

    def spread(self, quantity: str, frame: str, species: str = "") -> Estimate:
        """The window-sensitivity spread of an estimate: half the range of its values over the diffusive
        windows (module :mod:`ionscale.transport.onsager`), in the estimate's unit; NaN when undefined."""
        for r in self.rows:
            if (r.quantity, r.frame, r.species) == (quantity, frame, species) and is_spread(r):
                return Estimate(r.value_si, float("nan"), r.unit, r.method)
        raise KeyError(f"no window spread of {quantity!r} for frame {frame!r} and species {species!r}")

    def summary(self, frames=None) -> pd.DataFrame:
        """The headline numbers, formatted 'value ± stderr', with their window-sensitivity spread, in the
        reference frame, the other frame of physical meaning and the lab frame, for a terminal or a notebook."""
        if frames is None:
            frames = ("solvent", "barycentric", "lab") if self.reference_frame == "solvent" else ("barycentric", "lab")
        spreads = {(r.quantity, r.frame, r.species): r for r in self.rows if is_spread(r)}

        def window_spread(row):
            s = spreads.get((row.quantity, row.frame, row.species))
            return "" if s is None or not np.isfinite(s.value) else f"± {format_value(s.value, np.nan)}"
        main = [r for r in self.rows if r.method != "replica-mean L" and not is_spread(r)]
        return summary_frame(main, self.SUMMARY, list(frames), extra={"window spread": window_spread})

    def figures(self) -> dict:
        """Log–log MSDs with the fit window shaded, and L_ij per frame: ``{file name: Figure}``."""
        from .figures import plot_correlations, plot_onsager
        return {"msd.png": plot_correlations(self), "onsager.png": plot_onsager(self)}

    # -- the analysis folder (ionscale.core.result) ------------------------------------------
    def to_dict(self) -> dict:
        """What ``results.json`` records besides the rows: species, frames, window, system, notes."""
        return strict_json({"species": self.species, "frames": self.frames, "window": self.window,
                        "system": self.system, "notes": self.notes, "reference_frame": self.reference_frame})

    def tables(self) -> dict:
        return {"msd.csv": self.curves_frame()}

    def curves_frame(self) -> pd.DataFrame:
        """Every Ω_ij(t) and MSD_i(t), one column each, with units in the column names."""
        cols = {"time (ps)": self.curves["time_ps"]}
        n = len(self.species)
        for f in self.frames:
            for i in range(n):
                cols[f"MSD {f} {self.species[i]} (nm^2)"] = self.curves["msd_nm2"][f][:, i]
            for i in range(n):
                for j in range(i, n):
                    cols[f"Omega {f} {pair_labels(self.species, i, j)} (mol^2 J^-1 m^-1)"] = \
                        self.curves["omega"][f][:, i, j]
        return pd.DataFrame(cols)


__all__ = ["OnsagerResult"]
