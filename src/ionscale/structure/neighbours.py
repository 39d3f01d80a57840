"""Pairs of points closer than a radius in a periodic box: the one neighbour query of the structure pass.

A pair counts when its minimum-image distance |x_j − c_i − h·round(h⁻¹(x_j − c_i))| is at most the
radius. Candidate pairs come from a cell list, and their minimum-image vectors are computed here in
double precision (from the single-precision coordinates) before the radius is applied, so the pairs
and distances are those of ``MDAnalysis.lib.distances.distance_array`` up to its own single-precision
rounding, whichever way the candidates were found:

- **orthorhombic boxes**: the box is cut into n_a × n_b × n_c cells at least ``radius + MARGIN_A``
  wide (an axis with fewer than three such cells is one cell; at most ``MAX_CELLS`` cells, wider
  ones in big boxes), every point falls in the cell of its coordinates taken modulo the box, and a
  centre's candidates are the points of its own and the 26 neighbouring cells (periodically). A pair
  within the radius is at most one cell apart along each axis, so no pair is missed. About forty
  NumPy calls per frame on arrays of a few thousand elements, several times cheaper than a general
  search for the few hundred cations of an electrolyte;
- **triclinic boxes**: MDAnalysis' ``capped_distance`` (grid search) finds the candidates. It wraps
  coordinates in single precision, so candidates are searched ``MARGIN_A`` further out.

(freud's AABB query and scipy's periodic cKDTree were tried: slower per CPU second at these sizes.)
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import numpy as np
from MDAnalysis.lib.distances import capped_distance

from ..store import _is_orthorhombic, minimum_image

#: candidates are searched this much further out (Å), so that rounding in the search misses nothing
MARGIN_A = 1e-3
#: most cells of the orthorhombic search (16-bit cell numbers sort fastest, and the table of each
#: cell's neighbours stays below 7 MB)
MAX_CELLS = 1 << 16


def pairs_within(centres: np.ndarray, points: np.ndarray, radius_A: float,
                 dimensions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every (centre, point) pair at most ``radius_A`` apart (minimum image).

    Parameters
    ----------
    centres : ndarray, shape (n, 3), Å
    points : ndarray, shape (m, 3), Å
    radius_A : float
    dimensions : ndarray, shape (6,)
        Box lengths (Å) and angles (degrees), as ``ts.dimensions``.

    Returns
    -------
    i : ndarray of int, shape (k,)
        Index of the centre of each pair, ascending (the order of the points of one centre is not
        specified).
    j : ndarray of int, shape (k,)
        Index of the point.
    vector_A : ndarray of float64, shape (k, 3)
        points[j] − centres[i], minimum image.
    distance_A : ndarray of float64, shape (k,)
        Its length.
    """
    if _is_orthorhombic(dimensions[3:]):
        lengths = dimensions[:3].astype(np.float64)[:, None]
        x = np.concatenate([centres.T, points.T], axis=1, dtype=np.float64)   # (3, n + m): centres, then points
        i, j = _cell_candidates(x, len(centres), radius_A + MARGIN_A, lengths)
        v = np.take(x, j + len(centres), axis=1) - np.take(x, i, axis=1)
        v -= lengths * np.rint(v / lengths)   # store.minimum_image's arithmetic, on every component
    else:
        pairs = capped_distance(centres, points, radius_A + MARGIN_A, box=dimensions, return_distances=False)
        pairs = pairs[np.argsort(pairs[:, 0], kind="stable")]
        i, j = pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)
        v = minimum_image(np.take(points, j, axis=0).astype(np.float64) - np.take(centres, i, axis=0), dimensions).T
    squared = np.einsum("xk,xk->k", v, v)
    keep = np.flatnonzero(squared <= radius_A * radius_A)
    return i[keep], j[keep], np.take(v, keep, axis=1).T, np.sqrt(squared[keep])


def _cell_candidates(x: np.ndarray, n_centres: int, reach_A: float,
                     lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(i, j) of every centre and point in the same or neighbouring cells, i ascending: a superset of
    the pairs within ``reach_A``. ``x`` (3, n_centres + m) holds the centres, then the points, in Å,
    one row per axis; ``lengths`` (3, 1) the edges of the orthorhombic box in Å."""
    shape, cells_per_A = _grid(tuple(lengths[:, 0].tolist()), reach_A)
    # the cell of each centre and point, wrapped into the box; the points sorted by cell
    cell = np.ravel_multi_index(np.floor(x * cells_per_A).astype(np.int64), shape, mode="wrap")
    order = np.argsort(cell[n_centres:].astype(np.uint16), kind="stable")   # 16-bit keys: a radix sort
    count = np.bincount(cell[n_centres:], minlength=np.prod(shape))
    first = np.cumsum(count) - count          # points of cell c: order[first[c] : first[c] + count[c]]
    around = _neighbour_cells(shape)[cell[:n_centres]]            # (n_centres, n_neighbours)
    count, first = count[around], first[around]
    i = np.repeat(np.arange(n_centres), count.sum(axis=1))
    count, first = count.ravel(), first.ravel()
    total = np.cumsum(count)
    slot = np.arange(len(i)) + np.repeat(first - (total - count), count)
    return i, order[slot]


@lru_cache(maxsize=64)
def _grid(lengths: tuple, reach_A: float) -> tuple[tuple, np.ndarray]:
    """(cells along each axis, cells per Å (3, 1)) of a box with edges ``lengths`` (Å): as many cells as
    fit at least ``reach_A`` wide, one where fewer than three fit (so that a cell's neighbours are
    distinct cells), and fewer when there would be more than :data:`MAX_CELLS`."""
    n = np.floor(np.array(lengths) / reach_A).astype(np.int64)
    n[n < 3] = 1
    while n.prod() > MAX_CELLS:
        n[np.argmax(n)] -= 1
    return tuple(n.tolist()), (n / np.array(lengths))[:, None]


@lru_cache(maxsize=8)
def _neighbour_cells(shape: tuple) -> np.ndarray:
    """Cell numbers (n_cells, k) of each cell and its neighbours, periodically: offsets −1, 0, 1 along
    the axes cut into ≥ 3 cells, 0 along the others, so that every neighbouring cell is listed once."""
    steps = [(-1, 0, 1) if n >= 3 else (0,) for n in shape]
    offsets = np.array(list(itertools.product(*steps)), dtype=np.int64).T          # (3, k)
    cells = np.array(np.unravel_index(np.arange(np.prod(shape)), shape))          # (3, n_cells)
    return np.ravel_multi_index(cells[:, :, None] + offsets[:, None, :], shape, mode="wrap")
