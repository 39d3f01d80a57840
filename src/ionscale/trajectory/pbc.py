"""Periodic boxes: the minimum image of vectors, whole molecules, box volumes.

A box is MDAnalysis's ``dimensions`` [a, b, c, α, β, γ] (Å, degrees). Orthorhombic boxes (all angles
90°) take fast paths; triclinic ones go through MDAnalysis (``minimize_vectors``, ``box_volume``).
Used by the pass (:mod:`.streaming`: unwrapping, the first frame's whole molecules, the volumes) and by
the structure analyses (distances between atoms).
"""

from __future__ import annotations

import numpy as np

from ..errors import IonscaleError


def minimum_image(vectors: np.ndarray, dimensions: np.ndarray) -> np.ndarray:
    """Fold vectors (n, 3) in Å into the minimum image of the box ``dimensions`` [a, b, c, α, β, γ]
    (Å, degrees); orthorhombic boxes take a fast path. Works in place and returns ``vectors``."""
    lengths, angles = dimensions[:3].astype(np.float64), dimensions[3:]
    if is_orthorhombic(angles):
        return _fold_orthorhombic(vectors, lengths)
    from MDAnalysis.lib.distances import minimize_vectors
    from MDAnalysis.lib.mdamath import triclinic_vectors
    if not np.isfinite(triclinic_vectors(dimensions)).all():
        raise IonscaleError("the trajectory's box is degenerate; transport needs a periodic box")
    vectors[:] = minimize_vectors(vectors, dimensions.astype(np.float64))
    return vectors


def is_orthorhombic(angles: np.ndarray) -> bool:
    """``np.allclose(angles, 90.0)``, without its overhead in the usual case of exact right angles."""
    return bool((angles == 90.0).all()) or bool(np.allclose(angles, 90.0))


def _fold_orthorhombic(vectors: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """In place: v −= L·rint(v / L) on every row (vector) with a component beyond half a box length.

    Only atoms that crossed a face need correcting, far fewer than all of them. For a C-contiguous
    float64 (n, 3) array the rows are found in one pass over the flat array against the smallest
    half-length (a superset), then checked per axis, so exactly the same rows get the same arithmetic
    as with the direct per-axis test (kept for other arrays).
    """
    half = 0.5 * lengths
    if vectors.ndim == 2 and vectors.shape[1] == 3 and vectors.dtype == np.float64 and vectors.flags.c_contiguous:
        candidates = np.flatnonzero(np.abs(vectors.reshape(-1)) > half.min())
        if not candidates.size:
            return vectors
        # a row with several such components is listed several times: it is corrected identically
        # each time, so the repeats change nothing (and cost less than removing them)
        rows = candidates // 3
        rows = rows[(np.abs(vectors[rows]) > half).any(axis=1)]
    else:
        crossed = np.abs(vectors) > half
        if not crossed.any():
            return vectors
        rows = np.flatnonzero(crossed.any(axis=1))
    if rows.size:
        sub = vectors[rows]
        sub -= lengths * np.rint(sub / lengths)
        vectors[rows] = sub
    return vectors


def whole_molecules(positions: np.ndarray, dimensions: np.ndarray, first_atom: np.ndarray) -> np.ndarray:
    """Positions (n_atoms, 3) with each molecule made whole about its first atom (minimum image)."""
    x = positions.astype(np.float64)
    rel = x - x[first_atom]
    return x[first_atom] + minimum_image(rel, dimensions)


def first_atom_of_molecule(mol: np.ndarray) -> np.ndarray:
    """Index of the first atom of each atom's molecule, shape (n_atoms,); ``mol``: molecule of each atom."""
    first = np.full(mol.max() + 1, len(mol))
    np.minimum.at(first, mol, np.arange(len(mol)))
    return first[mol]


def box_volumes(box: np.ndarray) -> np.ndarray:
    """Volumes of boxes (n, 6) [a, b, c in Å, α, β, γ in degrees] in Å³: ``Timestep.volume`` of each,
    with the orthorhombic ones (a·b·c in float64, as MDAnalysis computes them) done at once."""
    volume = box[:, 0] * box[:, 1] * box[:, 2]
    from MDAnalysis.lib.mdamath import box_volume
    for k in np.flatnonzero((box[:, 3:] != 90.0).any(axis=1)):
        volume[k] = box_volume(box[k])
    return volume
