"""One frame of the streaming pass: the increments of the tracked points, W·Δx, with Δx unwrapped.

For consecutive frames t−1, t of ``n_atoms`` positions (Å) and the sparse weight matrix W of
:func:`ionscale.trajectory.frames.tracked_points`, the increment of tracked point p is

    Δp = Σ_a W[p, a] Δx_a,    Δx_a = x_a(t) − x_a(t−1) − L round((x_a(t) − x_a(t−1)) / L),

the minimum-image (toroidal-view-preserving) displacement of von Bülow, Bullerjahn & Hummer
(J. Chem. Phys. 153, 021101, 2020), here for an orthorhombic box of edge lengths L (a triclinic box goes
through MDAnalysis's ``minimize_vectors``). This is the only per-atom work of the pass besides decoding
the frame, so it decides whether the pass keeps up with the reader.

Two implementations give *identical* numbers (tests check it): a compiled one (numba, an optional
dependency; one loop over the atoms, no temporary arrays) and a NumPy one. Both form Δx in float64
from the stored coordinates, fold exactly the atoms that crossed a face (a row with some component
beyond half a box length, as ``pbc._fold_orthorhombic`` does), and sum every row of W in the order
of its column indices, starting from zero — the order of SciPy's CSR product, which is what the NumPy
path calls (sequential sums, not BLAS, whose order depends on the machine).
"""

from __future__ import annotations

import importlib.util

import numpy as np
import scipy.sparse as sp

#: frames × atoms from which the compiled step is used. Importing numba and loading the cached kernel
#: cost about 0.4 s per process (measured on the 2-core benchmark machine), and the compiled step saves
#: about 6 ns per atom and frame over the NumPy one (100 against 230 µs a frame of 20,100 atoms): it
#: repays itself from about 6e7 atom-frames; 1e8 leaves a margin.
COMPILED_MIN_WORK = 100_000_000

_kernel_cache: list = []  # the compiled kernel, once made


def compiled_available() -> bool:
    """Whether numba is installed (the compiled step can run); does not import it."""
    return importlib.util.find_spec("numba") is not None


def use_compiled(n_frames: int, n_atoms: int) -> bool:
    """The compiled step for a pass of ``n_frames`` × ``n_atoms``: when numba is installed and the pass
    is long enough to repay loading it."""
    return n_frames * n_atoms >= COMPILED_MIN_WORK and compiled_available()


def _compiled_kernel():
    """:func:`_unwrapped_increments` compiled by numba (imported here, on first use; the machine code is
    cached on disk by numba, so only the first run on a machine compiles)."""
    if not _kernel_cache:
        try:
            import numba
        except ImportError:
            raise RuntimeError("the compiled step needs numba (pip install numba)") from None
        # no fastmath: the compiled arithmetic must be the IEEE operations of the NumPy step, in its order
        _kernel_cache.append(numba.njit(cache=True, nogil=True)(_unwrapped_increments))
    return _kernel_cache[0]


def _unwrapped_increments(x, last, lengths, colptr, rows, data, dense, out):
    """Compiled step (numba): out (n_points, 3) = W · Δx, Δx the minimum image of x − last (float64,
    orthorhombic box of edge ``lengths``). W's sparse rows (all but the last two) come by columns (CSC:
    colptr, rows, data), its last two rows as dense vectors ``dense`` (2, n_atoms).

    One loop over the atoms adds each atom's weighted Δx to the rows that contain it: every row sums
    its terms in the order of its column (atom) indices, starting from zero, as a CSR product does. The
    two long sums (solvent centre, barycentre) stay in registers; their zero weights add exact zeros,
    which change no sum."""
    half0, half1, half2 = 0.5 * lengths[0], 0.5 * lengths[1], 0.5 * lengths[2]
    n_sparse = out.shape[0] - 2
    out[:n_sparse] = 0.0
    a0 = a1 = a2 = b0 = b1 = b2 = 0.0
    for a in range(x.shape[0]):
        d0 = np.float64(x[a, 0]) - np.float64(last[a, 0])
        d1 = np.float64(x[a, 1]) - np.float64(last[a, 1])
        d2 = np.float64(x[a, 2]) - np.float64(last[a, 2])
        if abs(d0) > half0 or abs(d1) > half1 or abs(d2) > half2:
            d0 -= lengths[0] * np.rint(d0 / lengths[0])
            d1 -= lengths[1] * np.rint(d1 / lengths[1])
            d2 -= lengths[2] * np.rint(d2 / lengths[2])
        for k in range(colptr[a], colptr[a + 1]):
            p = rows[k]
            w = data[k]
            out[p, 0] += w * d0
            out[p, 1] += w * d1
            out[p, 2] += w * d2
        w = dense[0, a]
        a0 += w * d0
        a1 += w * d1
        a2 += w * d2
        w = dense[1, a]
        b0 += w * d0
        b1 += w * d1
        b2 += w * d2
    out[n_sparse, 0] = a0
    out[n_sparse, 1] = a1
    out[n_sparse, 2] = a2
    out[n_sparse + 1, 0] = b0
    out[n_sparse + 1, 1] = b1
    out[n_sparse + 1, 2] = b2


class Unwrapper:
    """Per-frame increments W·Δx of a pass (module docstring), keeping the previous frame itself.

    Parameters
    ----------
    weights : scipy.sparse matrix (n_points, n_atoms), n_points >= 2
        Row p: the weights of tracked point p (:func:`ionscale.trajectory.frames.tracked_points`: the last two rows
        are the solvent centre and the barycentre, which the compiled step sums as dense rows).
    compiled : bool
        Use the compiled step (numba must be installed) for orthorhombic boxes; the NumPy step otherwise.
    """

    def __init__(self, weights: sp.spmatrix, compiled: bool = False):
        self.kernel = _compiled_kernel() if compiled else None
        self.weights = sp.csr_matrix(weights, dtype=np.float64)
        self.weights.sort_indices()
        if compiled:  # the layout of the compiled step: sparse rows by column, the last two rows dense
            self.by_atom = self.weights[:-2].tocsc()
            self.by_atom.sort_indices()
            self.dense = self.weights[-2:].toarray()
        self.compiled = compiled
        n_atoms = self.weights.shape[1]
        self.delta = np.empty((n_atoms, 3))  # NumPy step: this frame's displacements
        self.last = None  # the previous frame's positions (a copy)
        self.x = np.empty((n_atoms, 3))  # NumPy step: this frame in float64

    def start(self, positions: np.ndarray) -> None:
        """Continue from ``positions`` (Å) of the frame before the first one given to :meth:`step`."""
        self.last = np.array(positions, dtype=np.float64 if not self.compiled else positions.dtype)

    def first(self, whole: np.ndarray, positions: np.ndarray, out: np.ndarray) -> None:
        """A pass's first frame: out = W · ``whole`` (positions with the molecules made whole, float64),
        and ``positions`` (as stored) become the previous frame."""
        out[:] = self.weights @ whole
        self.start(positions)

    def step(self, positions: np.ndarray, lengths: np.ndarray | None, fold, out: np.ndarray) -> None:
        """out (n_points, 3) = W · Δx for this frame's stored ``positions`` (Å). ``lengths``: the edge
        lengths (Å, float64) of an orthorhombic box, or None; ``fold(delta)`` folds displacements into
        the minimum image in place (any box)."""
        if self.compiled and lengths is not None:
            if positions.dtype != self.last.dtype:
                positions = positions.astype(self.last.dtype)
            self.kernel(positions, self.last, lengths, self.by_atom.indptr, self.by_atom.indices,
                                  self.by_atom.data, self.dense, out)
            np.copyto(self.last, positions)
            return
        last = self.last if self.last.dtype == np.float64 else self.last.astype(np.float64)
        np.copyto(self.x, positions)
        np.subtract(self.x, last, out=self.delta)
        out[:] = self.weights @ fold(self.delta)
        if self.last.dtype == np.float64:
            self.x, self.last = self.last, self.x
        else:
            np.copyto(self.last, positions)
