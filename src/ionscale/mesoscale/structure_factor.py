"""Charge–charge structure factor S_ZZ(k) of the ionic centres (SPEC §7; Coste et al. §V).

Theory
------
    S_ZZ(k) = < |Σ_j z_j exp(i k·r_j)|² > / Σ_j z_j² ,

on the wave vectors of the periodic box, k = 2π h⁻¹ n for integer n ≠ 0 (h = box matrix, rows = box
vectors; k = 2π n / L in a cubic box), averaged over the vectors of each shell of |k| and over frames.
Because k·r = 2π n·s with s the fractional coordinates, the sum is unchanged when any ion moves by a
lattice vector: unwrapped or wrapped positions give the same S_ZZ. For a neutral electrolyte
S_ZZ → 0 as k → 0 (perfect screening: Stillinger–Lovett), as k²/k_D² in the Debye–Hückel limit
(k_D = 1/λ_D); a peak at k ≈ 2π/d signals charge ordering with period d; S_ZZ → 1 at large k.

Algorithm
---------
exp(2πi n·s) = e_x^{n_x} e_y^{n_y} e_z^{n_z} with e_a = exp(2πi s_a): one complex exponential per ion
and axis, the other phases by repeated multiplication (e^{−n} = conj e^{n}). With P_j(n_y, n_z) =
e_y^{n_y} e_z^{n_z} for the (n_y, n_z) pairs that some wanted vector uses, the charge density of all
n_x at once is one matrix product per frame, ρ(n_x; n_y, n_z) = Σ_j [z_j e_x(j)^{n_x}] P_j(n_y, n_z)
(BLAS); ρ(−k) = ρ(k)* halves the work. Cost O(n_frames · n_ions · n_k), memory bounded by processing
frames in chunks. These per-frame products are small, and a multi-threaded BLAS spends more on waking
and synchronising its threads for each of them than it gains (2–20× slower on a busy 2-core machine):
they run on one BLAS thread (``threadpoolctl``, a dependency of MDAnalysis). S_ZZ is a static average: passing every n-th frame costs n times less and loses
little, since successive MD frames are strongly correlated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from threadpoolctl import threadpool_limits

from ..errors import IonscaleError
from .box import box_matrices, fractional

#: complex numbers per temporary array in one chunk of frames (≈ 16 MiB)
CHUNK_ELEMENTS = 1_000_000


@dataclass(frozen=True)
class StructureFactor:
    """S_ZZ(k) per shell of |k|.

    Attributes
    ----------
    k_nm_inv : (n_shells,) mean |k| of each shell in nm⁻¹ (mean box).
    per_frame : (n_frames, n_shells) shell-averaged S_ZZ of each frame.
    n_vectors : (n_shells,) number of wave vectors per shell (counting k and −k once).
    """

    k_nm_inv: np.ndarray
    per_frame: np.ndarray
    n_vectors: np.ndarray


def wave_vectors(box_nm: np.ndarray, k_max_nm_inv: float) -> tuple[np.ndarray, np.ndarray]:
    """Integer vectors n of one half-space (n and −n once) with 0 < |k| ≤ k_max, and their |k| in nm⁻¹.

    box_nm : (6,) the box that sets |k| = |2π h⁻¹ n|. Returns n (n_k, 3) and |k| (n_k,).
    """
    h = box_matrices(box_nm)
    n_max = np.floor(np.linalg.norm(h, axis=1) * k_max_nm_inv / (2 * np.pi)).astype(int)
    grid = np.stack(np.meshgrid(*(np.arange(-m, m + 1) for m in n_max[:2]), np.arange(0, n_max[2] + 1),
                                indexing="ij"), axis=-1).reshape(-1, 3)
    k = np.linalg.norm(2 * np.pi * grid @ np.linalg.inv(h).T, axis=1)
    x, y, z = grid.T
    half = (z > 0) | ((z == 0) & (y > 0)) | ((z == 0) & (y == 0) & (x > 0))
    keep = half & (k <= k_max_nm_inv * (1 + 1e-12))
    return grid[keep], k[keep]


def shells(k_nm_inv: np.ndarray, width_nm_inv: float | None = None) -> np.ndarray:
    """Shell index of each |k|: equal |k| (to 1e-9 relative) when ``width_nm_inv`` is None, else bins
    of that width. Shells are numbered 0.. in increasing |k| without gaps."""
    key = np.round(k_nm_inv / k_nm_inv.max(), 9) if width_nm_inv is None else np.floor(k_nm_inv / width_nm_inv)
    return np.unique(key, return_inverse=True)[1].ravel()


def charge_structure_factor(positions_nm: np.ndarray, box_nm: np.ndarray, valences: np.ndarray,
                            k_max_nm_inv: float = 10.0, shell_width_nm_inv: float | None = None) -> StructureFactor:
    """S_ZZ(k) of every frame on the box's wave vectors up to ``k_max_nm_inv``, averaged in shells.

    Parameters
    ----------
    positions_nm : (n_frames, n_ions, 3) ion centres in nm (wrapped or not).
    box_nm : (n_frames, 6) box of each frame; the mean box sets the vectors' |k|.
    valences : (n_ions,) z_j of each ion.
    k_max_nm_inv : largest |k| in nm⁻¹.
    shell_width_nm_inv : bin width for the shells; None groups vectors of equal |k| (natural for cubic boxes).
    """
    z = np.asarray(valences, dtype=np.float64)
    if not np.any(z):
        raise IonscaleError("S_ZZ needs charged particles: all valences are zero")
    n, k = wave_vectors(np.mean(box_nm, axis=0), k_max_nm_inv)
    if not len(n):
        raise IonscaleError(f"no wave vector of the box has |k| ≤ {k_max_nm_inv} nm⁻¹: raise k_max above "
                            f"2π/L = {2 * np.pi / np.max(np.mean(box_nm, axis=0)[:3]):.3g} nm⁻¹")
    shell = shells(k, shell_width_nm_inv)
    n_shells = shell.max() + 1
    n_vectors = np.bincount(shell, minlength=n_shells)
    average = np.zeros((len(n), n_shells))   # mean over the vectors of each shell, as a matrix product
    average[np.arange(len(n)), shell] = 1.0 / n_vectors[shell]
    n_max = np.abs(n).max(axis=0)
    yz, column = np.unique(n[:, 1:], axis=0, return_inverse=True)
    flat = column.ravel() * (2 * n_max[0] + 1) + n[:, 0] + n_max[0]

    n_frames, n_ions = positions_nm.shape[:2]
    chunk = max(1, CHUNK_ELEMENTS // (n_ions * (len(yz) + 4 * n_max.max() + 4)))
    per_frame = np.empty((n_frames, n_shells))
    with threadpool_limits(limits=1, user_api="blas"):   # small products: one thread is faster (docstring)
        for start in range(0, n_frames, chunk):
            stop = min(start + chunk, n_frames)
            s = fractional(positions_nm[start:stop], box_nm[start:stop])
            ex = _phases(s[..., 0], n_max[0], signed=True) * z                     # (2N_x+1, c, n)
            ey = _phases(s[..., 1], n_max[1], signed=True)
            ez = _phases(s[..., 2], n_max[2], signed=False)                         # (N_z+1, c, n)
            pairs = ey[yz[:, 0] + n_max[1]] * ez[yz[:, 1]]                          # (n_yz, c, n)
            # one matrix product per frame: (n_yz × n_ions) @ (n_ions × (2N_x + 1))
            rho = np.matmul(pairs.transpose(1, 0, 2), ex.transpose(1, 2, 0)).reshape(stop - start, -1)[:, flat]
            per_frame[start:stop] = (np.abs(rho) ** 2 / np.sum(z ** 2)) @ average
    k_shell = np.bincount(shell, weights=k, minlength=n_shells) / n_vectors
    return StructureFactor(k_nm_inv=k_shell, per_frame=per_frame, n_vectors=n_vectors)


def _phases(s: np.ndarray, n_max: int, signed: bool) -> np.ndarray:
    """exp(2πi m s) for m = 0..n_max (or −n_max..n_max), shape (n_m, *s.shape).

    One exponential per element, the other powers by repeated multiplication; e^{−m} = conj(e^m)."""
    e = np.empty((n_max + 1,) + s.shape, dtype=np.complex128)
    e[0] = 1.0
    if n_max:
        e[1] = np.exp(2j * np.pi * s)
    for m in range(2, n_max + 1):
        np.multiply(e[m - 1], e[1], out=e[m])
    return np.concatenate([np.conj(e[:0:-1]), e]) if signed else e
