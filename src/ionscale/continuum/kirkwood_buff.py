"""Thermodynamic factor of a salt from Kirkwood–Buff integrals of the ion–ion RDFs, finite-size corrected.

Theory
------
Kirkwood–Buff (J. Chem. Phys. 19, 774 (1951)) relate particle-number fluctuations of an open region to
the integrals G_ij = ∫ 4π r² [g_ij(r) − 1] dr. Ions exchange with their surroundings only as neutral salt,
so (Kusalik & Patey, J. Chem. Phys. 86, 5110 (1987)) all ions together are one component c of density
ρ_c = Σ_i ρ_i with ⟨δN_c²⟩/V = ρ_c + Σ_ij ρ_i ρ_j G_ij, and its chemical potential per ion, μ_s / ν, gives

    TDF = 1 + d ln y_± / d ln c = 1 / (1 + Σ_ij ρ_i ρ_j G_ij / ρ_c)            (implicit solvent)

— the inverse of the ions' number–number structure factor at k → 0. An ideal solution has G = 0 and
TDF = 1; a salt bound into neutral pairs that move independently has Σ ρρG = ρ_c and TDF = 1/2 (μ_s is
that of one particle per formula, not ν). This is the McMillan–Mayer level of a solvent continuum (the
simulation's implicit solvent): the derivative is at fixed solvent chemical potential, where the
constant-pressure value differs by the (small) osmotic-pressure correction. With explicit solvent
molecules the constant-pressure KB formula needs the ion–solvent integrals, G_cw, which the pass does
not collect: the analysis then refuses and asks for a given TDF (:mod:`.given`).

Finite-size corrections (both needed in a periodic box of N ions):

1. Ganguly & van der Vegt, J. Chem. Theory Comput. 9, 1347 (2013): a closed box lacks, around each
   particle, the particles it holds near itself; with g normalised by N_i N_j / V,
   g_ij^GV(r) = g_ij(r) · N_j (1 − V_r/V) / [N_j (1 − V_r/V) − ΔN_ij(r) − δ_ij],
   V_r = 4π r³/3, ΔN_ij(r) = ρ_j ∫_0^r 4π s² [g_ij(s) − 1] ds.
2. Krüger, Schnell, Bedeaux, Kjelstrup, Vlugt & Simon, J. Phys. Chem. Lett. 4, 235 (2013): in a
   sphere of diameter L, G_V(L) = ∫_0^L 4π r² h(r) w(r/L) dr, w(x) = 1 − 3x/2 + x³/2, and
   G_V(L) = G_∞ + F/L (surface term); G_∞ is the slope of the straight line L·G_V(L) against L, fitted
   (ordinary least squares) over L ∈ [FIT_RANGE[0], FIT_RANGE[1]] × r_max, r_max = half the box's
   smallest width (where minimum-image RDFs end).

Small boxes. The extrapolation holds only where the correlations have died out inside the spheres of
the fit: the result carries a warning when |h| of the ion number–number correlation
h_NN = Σ_ij x_i x_j h_ij^GV (x_i = N_i / N_ions), averaged over bins of ``DECAY_BIN_NM``, still exceeds
``DECAY_TOLERANCE`` beyond the start of the fit range (the box is then too small to give G_∞).
These choices (fit over the outer half of the available diameters, 5 % tolerance) are set a priori,
as in Krüger et al.'s Fig. 2, not tuned on any result.

Error bars: standard error over contiguous blocks of frames (``frame-blocks(n)``,
:func:`ionscale.core.estimate.frame_average`), or over replicas by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core.estimate import frame_average
from ..errors import IonscaleError
from ..mesoscale.box import half_width_nm, volumes_nm3
from ..mesoscale.charge_correlation import partial_rdfs
from ..mesoscale.screening_analysis import frame_stride

#: sphere diameters of the Krüger extrapolation, as fractions of r_max (half the box width)
FIT_RANGE = (0.5, 1.0)
#: |h_NN| beyond the start of the fit range above this means the box is too small
DECAY_TOLERANCE = 0.05
#: bin width (nm) over which h_NN is averaged for that test
DECAY_BIN_NM = 0.1


def krueger_integrals(r_nm: np.ndarray, h: np.ndarray, diameters_nm: np.ndarray) -> np.ndarray:
    """Finite-volume KB integrals G_V(L) = ∫_0^L 4π r² h(r) (1 − 3x/2 + x³/2) dr, x = r/L, in nm³.

    r_nm : (n_bins,) bin centres of uniform width; h : (..., n_bins); diameters_nm : (n_L,).
    Returns (..., n_L). The bins are the midpoint rule; a bin counts when its centre lies below L.
    """
    dr = r_nm[1] - r_nm[0]
    x = r_nm[None, :] / diameters_nm[:, None]
    w = np.where(x < 1.0, 1.0 - 1.5 * x + 0.5 * x**3, 0.0) * 4.0 * np.pi * r_nm**2 * dr
    return np.einsum("...r,lr->...l", h, w)


def extrapolated_integral(r_nm: np.ndarray, h: np.ndarray, fit_nm: tuple[float, float]) -> np.ndarray:
    """G_∞ (nm³) by Krüger et al.'s extrapolation: OLS slope of L·G_V(L) against L on L ∈ fit_nm.

    h : (..., n_bins) with r_nm (n_bins,) uniform bin centres. Returns (...)."""
    dr = r_nm[1] - r_nm[0]
    diameters = np.arange(fit_nm[0], fit_nm[1] + 0.5 * dr, dr)
    if len(diameters) < 3:
        raise IonscaleError(f"the Kirkwood–Buff fit range {fit_nm[0]:.3g}–{fit_nm[1]:.3g} nm holds fewer than three "
                            f"bins of {dr:g} nm: use finer bins or a larger box")
    y = diameters * krueger_integrals(r_nm, h, diameters)
    x = diameters - diameters.mean()
    return np.einsum("...l,l->...", y - y.mean(axis=-1, keepdims=True), x) / np.sum(x**2)


def ganguly_van_der_vegt(r_nm: np.ndarray, g_raw: np.ndarray, counts: np.ndarray, volume_nm3: float) -> np.ndarray:
    """g_ij^GV of Ganguly & van der Vegt (module docstring) from g_ij (S, S, n_bins) normalised by N_i N_j / V."""
    counts = np.asarray(counts, dtype=float)
    dr = r_nm[1] - r_nm[0]
    v_r = 4.0 / 3.0 * np.pi * (r_nm + 0.5 * dr) ** 3
    excess = np.cumsum(4.0 * np.pi * r_nm**2 * dr * (g_raw - 1.0), axis=-1) * (counts / volume_nm3)[None, :, None]
    same = np.eye(len(counts))[:, :, None]
    n_j = counts[None, :, None] * (1.0 - v_r / volume_nm3)
    return g_raw * n_j / (n_j - excess - same)


def tdf_from_rdfs(r_nm: np.ndarray, g: np.ndarray, counts: np.ndarray, volume_nm3: float,
                  fit_nm: tuple[float, float]) -> tuple[float, np.ndarray, np.ndarray]:
    """(TDF, G_∞ (S, S) in nm³, h_NN (n_bins)) from the ion–ion RDFs g (S, S, n_bins) of a box of N_i ions.

    g is normalised as :func:`ionscale.mesoscale.charge_correlation.partial_rdfs` does, by N_i (N_j − δ_ij)/V
    (g = 1 for uncorrelated particles); the Ganguly–van der Vegt correction wants N_i N_j / V."""
    counts = np.asarray(counts, dtype=float)
    like = counts[None, :] - np.eye(len(counts))
    g_raw = np.where(like[:, :, None] > 0, g * (like / counts[None, :])[:, :, None], 0.0)
    h = ganguly_van_der_vegt(r_nm, g_raw, counts, volume_nm3) - 1.0
    G = extrapolated_integral(r_nm, h, fit_nm)
    rho = counts / volume_nm3
    x = counts / counts.sum()
    tdf = 1.0 / (1.0 + rho @ G @ rho / rho.sum())
    return float(tdf), G, np.einsum("a,b,abr->r", x, x, h)


@dataclass
class KirkwoodBuffTDF:
    """The thermodynamic factor of one trajectory from its ion–ion RDFs.

    Attributes
    ----------
    value, stderr : TDF = 1 + d ln y_± / d ln c and its standard error.
    method : how it was computed (and ``UNRELIABLE: ...`` when the box is too small).
    error : how its error bar was estimated: ``frame-blocks(n)``, or ``none``.
    integrals_nm3, integrals_stderr_nm3 : (S, S) G_∞ of every ion pair, nm³.
    species : ion labels, cation first.
    fit_nm : sphere diameters of the extrapolation.
    r_nm, h_nn : the corrected number–number correlation (for plots and the small-box test).
    reliable : False when the box is too small (``message`` says why).
    """

    value: float
    stderr: float
    method: str
    error: str
    integrals_nm3: np.ndarray
    integrals_stderr_nm3: np.ndarray
    species: list
    fit_nm: tuple
    r_nm: np.ndarray
    h_nn: np.ndarray
    reliable: bool
    message: str
    notes: list = field(default_factory=list)


def kirkwood_buff_tdf(positions_nm: np.ndarray, box_nm: np.ndarray, counts: np.ndarray, species: list, *,
                      dr_nm: float = 0.02, max_frames: int | None = 200, n_blocks: int = 5) -> KirkwoodBuffTDF:
    """TDF of an implicit-solvent electrolyte from the ion centres of its frames (module docstring).

    positions_nm : (n_frames, n_ions, 3) ion centres, species after species as in ``counts`` (S,);
    box_nm : (n_frames, 6). At most ``max_frames`` evenly spaced frames are used (static average);
    error bars from ``n_blocks`` blocks of them.
    """
    stride = frame_stride(len(positions_nm), max_frames)
    positions, box = positions_nm[::stride], box_nm[::stride]
    r_max = half_width_nm(box)
    rdf = partial_rdfs(positions, box, counts, dr_nm)
    fit = (FIT_RANGE[0] * r_max, FIT_RANGE[1] * rdf.r_nm[-1])
    volume = float(np.mean(volumes_nm3(box)))
    r = rdf.r_nm

    def derive(g_mean):
        tdf, G, _ = tdf_from_rdfs(r, g_mean, counts, volume, fit)
        return np.concatenate([[tdf], G.ravel()])

    per_frame = np.nan_to_num(rdf.per_frame, nan=0.0)
    value, stderr, error = frame_average(per_frame, n_blocks, derive)
    _, G, h_nn = tdf_from_rdfs(r, per_frame.mean(axis=0), counts, volume, fit)
    n = len(counts)
    reliable, message = _judge(r, h_nn, fit)
    method = "Kirkwood–Buff, Krüger 2013 + Ganguly–van der Vegt 2013"
    notes = [f"TDF from the ion–ion RDFs of {len(positions)} frames (every {stride}); L·G_V(L) fitted for "
             f"L = {fit[0]:.3g}–{fit[1]:.3g} nm"]
    if not reliable:  # the reason without this replica's numbers (those are in the note): replicas share a method
        method += f"; UNRELIABLE: {TOO_SMALL}"
        notes.append(f"thermodynamic factor: {message}")
    return KirkwoodBuffTDF(float(value[0]), float(stderr[0]), method, error, G, stderr[1:].reshape(n, n),
                           list(species), fit, r, h_nn, reliable, message, notes)


#: the reason an extrapolation is not trusted, in the method of its rows
TOO_SMALL = "box too small for the finite-volume extrapolation"


def _judge(r_nm: np.ndarray, h_nn: np.ndarray, fit_nm: tuple) -> tuple[bool, str]:
    """Have the ion correlations decayed (|h_NN| ≤ DECAY_TOLERANCE, in bins of DECAY_BIN_NM) beyond the start
    of the fit range? Else the box is too small for the finite-volume extrapolation."""
    width = max(1, int(round(DECAY_BIN_NM / (r_nm[1] - r_nm[0]))))
    n = len(r_nm) // width * width
    coarse_r = r_nm[:n].reshape(-1, width).mean(axis=1)
    coarse_h = h_nn[:n].reshape(-1, width).mean(axis=1)
    beyond = coarse_r >= fit_nm[0]
    worst = float(np.max(np.abs(coarse_h[beyond]))) if beyond.any() else np.inf
    if worst > DECAY_TOLERANCE:
        return False, (f"{TOO_SMALL}: the ion correlations have not decayed where it starts (|h_NN| reaches "
                       f"{worst:.2g} > {DECAY_TOLERANCE:g} beyond "
                       f"{fit_nm[0]:.3g} nm, where the fit starts); simulate a larger box")
    return True, f"|h_NN| ≤ {worst:.2g} beyond {fit_nm[0]:.3g} nm"
