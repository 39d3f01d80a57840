"""Screening analysis of one trajectory: λ_D, S_ZZ(k), h_ZZ(r), λ_S, d and λ_S/λ_D (SPEC §7).

Puts together :mod:`.dielectric` (ε_r, Debye length), :mod:`.structure_factor`,
:mod:`.charge_correlation` and :mod:`.decay_fit` on the ion centres of the transport store.

The screening length is only meaningful when its exponential decay is seen over a few decay lengths
inside the box: the result is flagged unreliable (``reliable=False`` and a message, also in the rows'
method and in the notes) when half the box's smallest width holds fewer than
``MIN_DECAY_LENGTHS`` screening lengths — then λ_S is set by the box, not by the electrolyte — and
also when the decay is not resolved by the histogram or the fit explains less than ``MIN_R2`` of
r h_ZZ(r) on the fit range (noise).

Example
-------
>>> res = ScreeningAnalysis(es, store, temperature=298, epsilon_r=20).run()                 # doctest: +SKIP
>>> res.get("screening_ratio"), res.reliable, res.message                                 # doctest: +SKIP
>>> res.szz_frame().to_csv("szz.csv"); res.hzz_frame().to_csv("hzz.csv")                  # doctest: +SKIP

Pitfalls
--------
- λ_D uses ε_r of the solvent (given, or from dipole fluctuations — an approximation with ions
  present, and slow to converge). Concentrated electrolytes have λ_S ≠ λ_D: that is the point.
- r h_ZZ(r) at large r is small and noisy: long trajectories, large boxes, and a fit range that
  starts beyond the contact peak (``fit_range_nm``) matter more than the fitting details.
"""

from __future__ import annotations

import numpy as np

from ..core.estimate import frame_average
from ..errors import IonscaleError
from ..trajectory import TransportStore
from ..system import Electrolyte
from .box import box_of, half_width_nm
from .charge_correlation import charge_correlation, partial_rdfs
from .decay_fit import fit_decay
from .dielectric import debye_length_nm, dielectric_constant
from .result import ScreeningResult, row
from .structure_factor import charge_structure_factor

#: half the box must hold at least this many screening lengths for λ_S to be reported as reliable
MIN_DECAY_LENGTHS = 2.0
#: and the fitted model must explain at least this fraction of Σ (r h_ZZ)² on the fit range
MIN_R2 = 0.5
DIELECTRIC_METHOD = "solvent dipole fluctuations, tin-foil (approximation with ions present)"


class ScreeningAnalysis:
    """Charge correlations and screening lengths of one trajectory.

    Parameters
    ----------
    electrolyte : Electrolyte
        Species labels and valences (cation first, as in the store).
    store : TransportStore
        Ion centres of every frame.
    temperature : float
        In K.
    box_nm : ndarray (n_frames, 6), optional
        Default ``store.box_nm``.
    epsilon_r : float, optional
        Relative permittivity of the solvent for λ_D. Default: from ``dipole_e_nm`` (or the store's
        ``"dipoles/dipole_e_nm"`` collected by :class:`~.dielectric.SolventDipoles`); else no λ_D.
    dipole_e_nm : ndarray (n_frames, 3), optional
        Total dipole of the solvent molecules per frame in e·nm.
    k_max_nm_inv, shell_width_nm_inv : S_ZZ(k) up to |k| ≤ k_max, shells of equal |k| or of this width.
    dr_nm, r_max_nm : histogram of the partial RDFs (r_max ≤ half the box width, the default).
    fit_range_nm : (r_min, r_max) of the fit of r h_ZZ(r); default from the extremum of |r h_ZZ|
        (the contact peak) to the end of the histogram.
    max_frames : S_ZZ and h_ZZ from at most this many frames, evenly spaced (every ⌈n_frames/max_frames⌉-th;
        None: all). They are static averages: successive MD frames are strongly correlated, while the
        cost grows as n_ions · n_k (S_ZZ) and n_ions² (pair histogram) per frame.
    n_blocks : blocks of (used) frames for the error bars.
    """

    def __init__(self, electrolyte: Electrolyte, store: TransportStore, temperature: float, *,
                 box_nm: np.ndarray | None = None, epsilon_r: float | None = None,
                 dipole_e_nm: np.ndarray | None = None,
                 k_max_nm_inv: float = 10.0, shell_width_nm_inv: float | None = None, dr_nm: float = 0.01,
                 r_max_nm: float | None = None, fit_range_nm: tuple[float, float] | None = None,
                 max_frames: int | None = 200, n_blocks: int = 5):
        if not temperature > 0:
            raise IonscaleError(f"temperature must be positive in K, got {temperature}")
        if max_frames is not None and max_frames < 1:
            raise IonscaleError(f"max_frames must be a positive number of frames (or None), got {max_frames}")
        if fit_range_nm is not None and not 0 <= fit_range_nm[0] < fit_range_nm[1]:
            raise IonscaleError(f"fit_range_nm must satisfy 0 <= r_min < r_max, got {fit_range_nm}")
        self.species = [s.label for s in electrolyte.ions]
        self.valences = electrolyte.valences
        self.store = store
        self.temperature = float(temperature)
        self.box_nm = box_of(store, box_nm)
        self.epsilon_r = epsilon_r
        self.dipole_e_nm = store.extras.get("dipoles/dipole_e_nm") if dipole_e_nm is None else dipole_e_nm
        self.k_max = k_max_nm_inv
        self.shell_width = shell_width_nm_inv
        self.dr = dr_nm
        self.r_max = r_max_nm
        self.fit_range = fit_range_nm
        self.stride = frame_stride(store.n_frames, max_frames)
        self.n_blocks = n_blocks

    def run(self) -> ScreeningResult:
        st = self.store
        positions, box = st.positions_nm[::self.stride], self.box_nm[::self.stride]
        notes, rows = [], []
        volume = float(st.volume_nm3.mean())

        epsilon, how = self._dielectric(volume)
        if np.isfinite(epsilon):
            rows.append(row("dielectric_constant", "", epsilon, np.nan, "1", how))
            debye = debye_length_nm(st.counts / volume, self.valences, epsilon, self.temperature)
            rows.append(row("debye_length", "", debye, np.nan, "nm", f"epsilon_r: {how}"))
        else:
            debye = np.nan
            notes.append("no ε_r (give epsilon_r, or collect solvent dipoles): no Debye length and no λ_S/λ_D")

        sf = self.structure_factor()
        s_zz, s_zz_err, error = frame_average(sf.per_frame, self.n_blocks)

        rdf = partial_rdfs(positions, box, st.counts, self.dr, self.r_max)
        h_zz, h_zz_err, _ = frame_average(charge_correlation(rdf.per_frame, st.counts, self.valences), self.n_blocks)
        g = np.nanmean(rdf.per_frame, axis=0)
        pairs = {f"{a}|{b}": g[i, j] for i, a in enumerate(self.species) for j, b in enumerate(self.species) if j >= i}

        r = rdf.r_nm
        fit_range = self.fit_range or (float(r[np.nanargmax(np.abs(r * h_zz))]), float(r[-1]))
        inside = (r >= fit_range[0]) & (r <= fit_range[1])
        best, monotonic, oscillatory = fit_decay(r[inside], r[inside] * h_zz[inside])
        reliable, message = _judge(best, r[inside], r[inside] * h_zz[inside], half_width_nm(box))
        if not reliable:
            notes.append(message)
        method = (f"{best.kind} fit of r h_ZZ on [{fit_range[0]:.3g}, {fit_range[1]:.3g}] nm"
                  + ("" if reliable else f"; UNRELIABLE: {verdict(message)}"))
        rows.append(row("screening_length", "", best.decay_length_nm, best.decay_length_stderr_nm, "nm", method))
        rows.append(row("screening_period", "", best.period_nm, best.period_stderr_nm, "nm", method))
        ratio = best.decay_length_nm / debye
        rows.append(row("screening_ratio", "", ratio, best.decay_length_stderr_nm / debye, "1", method))
        notes.append(f"S_ZZ and h_ZZ from {len(positions)} frames (every {self.stride}), error bars: {error}")
        return ScreeningResult(rows=rows, k_nm_inv=sf.k_nm_inv, s_zz=s_zz, s_zz_stderr=s_zz_err, n_vectors=sf.n_vectors,
                               r_nm=r, h_zz=h_zz, h_zz_stderr=h_zz_err, g=pairs, fit=best, monotonic=monotonic,
                               oscillatory=oscillatory, fit_range_nm=fit_range, debye_length_nm=debye,
                               reliable=reliable, message=message, notes=notes)

    def structure_factor(self):
        """S_ZZ(k) of the ion centres on the frames this analysis uses (every ``stride``-th), per frame and
        shell of |k| (:func:`~.structure_factor.charge_structure_factor`)."""
        st = self.store
        return charge_structure_factor(st.positions_nm[::self.stride], self.box_nm[::self.stride],
                                       np.repeat(self.valences, st.counts), self.k_max, self.shell_width)

    def _dielectric(self, volume_nm3: float) -> tuple[float, str]:
        if self.epsilon_r is not None:
            return float(self.epsilon_r), "given"
        if self.dipole_e_nm is not None:
            return dielectric_constant(self.dipole_e_nm, volume_nm3, self.temperature), DIELECTRIC_METHOD
        return float("nan"), ""


def frame_stride(n_frames: int, max_frames: int | None) -> int:
    """Every how many frames to take at most ``max_frames`` evenly spaced ones (None: all)."""
    return 1 if max_frames is None else -(-n_frames // max_frames)


def verdict(message: str) -> str:
    """The reason of a screening verdict without its numbers: what the rows' method (and the figure) say,
    so that replicas judged alike merge (:func:`ionscale.core.estimate.over_replicas`); the notes hold
    the whole message."""
    return message.split(":")[0]


def _judge(fit, r_nm: np.ndarray, y: np.ndarray, half_box_nm: float) -> tuple[bool, str]:
    """Is the screening length of ``fit`` (to y = r h_ZZ at r_nm) meaningful in a box of half-width L/2?

    It is not when the decay is not resolved by the histogram (λ_S < 2 bins), when the model explains
    less than half of the signal on the fit range (R² < ``MIN_R2``: r h_ZZ is mostly noise there), or
    when half the box holds fewer than ``MIN_DECAY_LENGTHS`` screening lengths (λ_S is then set by the
    box, not by the electrolyte). The message starts with its reason, up to the first colon
    (:func:`verdict`), and goes on with the numbers behind it."""
    decay = fit.decay_length_nm
    if not np.isfinite(decay) or decay <= 0:
        return False, "the fit of r h_ZZ(r) gave no finite positive decay length"
    bin_nm = float(np.median(np.diff(r_nm)))
    if decay < 2 * bin_nm:
        return False, f"the decay is not resolved: λ_S = {decay:.3g} nm is shorter than two bins ({bin_nm:g} nm)"
    r2 = 1.0 - fit.rss / float(np.sum(y ** 2))
    if r2 < MIN_R2:
        return False, f"r h_ZZ(r) is mostly noise on the fit range: the fit explains R² = {r2:.2f} of it"
    n = half_box_nm / decay
    if n < MIN_DECAY_LENGTHS:
        return False, (f"box too small: half its width ({half_box_nm:.3g} nm) holds {n:.2g} screening lengths "
                       f"(λ_S = {decay:.3g} nm), fewer than {MIN_DECAY_LENGTHS:g}; λ_S is set by the box")
    return True, f"half the box width holds {n:.2g} screening lengths; the fit explains R² = {r2:.2f}"
