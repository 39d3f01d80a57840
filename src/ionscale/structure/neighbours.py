"""Pairs of points closer than a radius in a periodic box: the one neighbour query of the structure pass.

A pair counts when its minimum-image distance |x_j − c_i − h·round(h⁻¹(x_j − c_i))| is at most the
radius. The search takes a batch of frames at once: the same few dozen NumPy calls serve several
frames, whose positions stay in cache between them. Candidate pairs come from a cell list, and their
minimum-image vectors are computed here in double precision (from the single-precision coordinates)
before the radius is applied, so the pairs and distances are those of
``MDAnalysis.lib.distances.distance_array`` up to its own single-precision rounding, whichever way
the candidates were found:

- **orthorhombic boxes**: the box is cut into n_a × n_b × n_c cells at least ``radius + MARGIN_A``
  wide (an axis with fewer than three such cells is one cell; at most ``MAX_CELLS`` cells, wider
  ones in big boxes), every point falls in the cell of its coordinates taken modulo the box, and a
  centre's candidates are the points of its own and the 26 neighbouring cells (periodically). A pair
  within the radius is at most one cell apart along each axis, so no pair is missed. The cells of a
  batch are counted in its smallest box, so that they are wide enough in every frame of a
  fluctuating box. About fifty NumPy calls per batch on arrays of a few thousand elements, several
  times cheaper than a general search for the few hundred cations of an electrolyte;
- **triclinic boxes**: MDAnalysis' ``capped_distance`` (grid search) finds the candidates, frame by
  frame. It wraps coordinates in single precision, so candidates are searched ``MARGIN_A`` further out.

(freud's AABB query and scipy's periodic cKDTree were tried: slower per CPU second at these sizes.)
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import numpy as np
from MDAnalysis.lib.distances import capped_distance

from ..trajectory import is_orthorhombic, minimum_image

#: candidates are searched this much further out (Å), so that rounding in the search misses nothing
MARGIN_A = 1e-3
#: most cells of the orthorhombic search (the table of each cell's neighbours stays below 15 MB)
MAX_CELLS = 1 << 16


def pairs_within(centres: np.ndarray, points: np.ndarray, radius_A: float, dimensions: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every (frame, centre, point) pair at most ``radius_A`` apart (minimum image), in a batch of frames.

    Parameters
    ----------
    centres : ndarray, shape (f, n, 3), Å
        The centres in each of f frames.
    points : ndarray, shape (f, m, 3), Å
    radius_A : float
    dimensions : ndarray, shape (f, 6)
        Box lengths (Å) and angles (degrees) of each frame, as ``ts.dimensions``.

    Returns
    -------
    frame : ndarray of int, shape (k,)
        Frame of each pair, ascending, and within a frame:
    i : ndarray of int, shape (k,)
        the index of the centre, ascending (the order of the points of one centre is not specified);
    j : ndarray of int, shape (k,)
        the index of the point.
    vector_A : ndarray of float64, shape (k, 3)
        points[frame, j] − centres[frame, i], minimum image.
    distance_A : ndarray of float64, shape (k,)
        Its length.
    """
    n_frames, n = centres.shape[:2]
    sites = np.concatenate([centres, points], axis=1)          # (f, n + m, 3): centres, then points
    n_sites = sites.shape[1]
    if is_orthorhombic(dimensions[:, 3:]):
        lengths = dimensions[:, :3].astype(np.float64)
        xyz = np.ascontiguousarray(sites.reshape(-1, 3).T, dtype=np.float64)   # (3, f × (n + m))
        frame, i, site = _cell_candidates(xyz.reshape(3, n_frames, n_sites), n, lengths, radius_A + MARGIN_A)
        v = np.take(xyz, site, axis=1) - np.take(xyz, frame * n_sites + i, axis=1)
        box = np.take(lengths.T, frame, axis=1)
        v -= box * np.rint(v / box)   # store.minimum_image's arithmetic, on every component
    else:
        frame, i, site, v = _capped_candidates(sites, n, dimensions, radius_A + MARGIN_A)
    distance = np.sqrt(np.einsum("xk,xk->k", v, v))
    keep = np.flatnonzero(distance <= radius_A)
    frame = frame[keep]
    return frame, i[keep], site[keep] - frame * n_sites - n, np.take(v, keep, axis=1).T, distance[keep]


def _cell_candidates(xyz: np.ndarray, n: int, lengths: np.ndarray, reach_A: float
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frame, i, site) of every centre i and point in the same or neighbouring cells of an orthorhombic
    box, grouped by frame and centre. ``xyz`` (3, f, n + m): the centres, then the points, of each frame
    in Å, one row per axis; ``site`` numbers a point in ``xyz`` flattened to (3, f × (n + m));
    ``lengths`` (f, 3): the box edges of each frame in Å."""
    n_frames, n_sites = xyz.shape[1:]
    shape, n_per_axis = _grid(tuple(lengths.min(axis=0).tolist()), reach_A)
    n_cells = int(np.prod(shape))
    # the cell of each centre and point in each frame, wrapped into its box, (f, n + m)
    cells_per_A = (n_per_axis / lengths).T[:, :, None]
    cell = np.ravel_multi_index(np.floor(xyz * cells_per_A).astype(np.int64), shape, mode="wrap")
    # the points sorted by frame and cell; frame × n_cells + cell is a 16-bit key for a few frames (a radix sort)
    key = (cell[:, n:] + (np.arange(n_frames) * n_cells)[:, None]).ravel()
    order = np.argsort(key.astype(np.min_scalar_type(n_frames * n_cells)), kind="stable")
    count = np.bincount(key, minlength=n_frames * n_cells)
    first = np.cumsum(count) - count          # points of (frame, cell) c: order[first[c] : first[c] + count[c]]
    around = _neighbour_cells(shape)[cell[:, :n]] + (np.arange(n_frames) * n_cells)[:, None, None]   # (f, n, k)
    count, first = count[around], first[around]
    per_centre = count.sum(axis=2)
    frame = np.repeat(np.arange(n_frames), per_centre.sum(axis=1))
    i = np.repeat(np.tile(np.arange(n, dtype=np.int32), n_frames), per_centre.ravel())
    count, first = count.ravel(), first.ravel()
    total = np.cumsum(count)
    point = order[np.arange(len(i)) + np.repeat(first - (total - count), count)]   # frame × m + j
    return frame, i, point + (frame + 1) * n


def _capped_candidates(sites: np.ndarray, n: int, dimensions: np.ndarray, reach_A: float
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(frame, i, site, minimum-image vector (3, k)) of the pairs within ``reach_A`` by MDAnalysis'
    ``capped_distance``, frame after frame (any box); ``sites`` (f, n + m, 3) as in :func:`pairs_within`."""
    parts = []
    for f, (x, box) in enumerate(zip(sites, dimensions)):
        pairs = capped_distance(x[:n], x[n:], reach_A, box=box, return_distances=False).astype(np.int64)
        pairs = pairs[np.argsort(pairs[:, 0], kind="stable")]
        v = minimum_image(x[n + pairs[:, 1]].astype(np.float64) - x[pairs[:, 0]], box)
        parts.append((np.full(len(pairs), f), pairs[:, 0], f * len(x) + n + pairs[:, 1], v))
    frame, i, site, v = (np.concatenate(p) for p in zip(*parts))
    return frame, i, site, v.T


@lru_cache(maxsize=64)
def _grid(lengths: tuple, reach_A: float) -> tuple[tuple, np.ndarray]:
    """The cells along each axis, as a tuple and as floats (3,), of a box with edges ``lengths`` (Å): as
    many as fit at least ``reach_A`` wide, one where fewer than three fit (so that a cell's neighbours
    are distinct cells), and fewer when there would be more than :data:`MAX_CELLS`. (Cached: a constant
    box is looked at once.)"""
    n = np.floor(np.array(lengths) / reach_A).astype(np.int64)
    n[n < 3] = 1
    while n.prod() > MAX_CELLS:
        n[np.argmax(n)] -= 1
    return tuple(n.tolist()), n.astype(np.float64)


@lru_cache(maxsize=8)
def _neighbour_cells(shape: tuple) -> np.ndarray:
    """Cell numbers (n_cells, k) of each cell and its neighbours, periodically: offsets −1, 0, 1 along
    the axes cut into ≥ 3 cells, 0 along the others, so that every neighbouring cell is listed once."""
    steps = [(-1, 0, 1) if n >= 3 else (0,) for n in shape]
    offsets = np.array(list(itertools.product(*steps)), dtype=np.int64).T          # (3, k)
    cells = np.array(np.unravel_index(np.arange(np.prod(shape)), shape))          # (3, n_cells)
    return np.ravel_multi_index(cells[:, :, None] + offsets[:, None, :], shape, mode="wrap")
