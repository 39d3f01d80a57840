"""The pair search of the structure pass against brute force (MDAnalysis distance_array) in periodic boxes."""

import numpy as np
import pytest
from MDAnalysis.lib.distances import distance_array
from MDAnalysis.lib.mdamath import triclinic_vectors

from ionscale.structure.neighbours import pairs_within

BOXES = {
    "cubic": [30.0, 30.0, 30.0, 90.0, 90.0, 90.0],
    "orthorhombic, an axis of one or two cells": [40.0, 9.0, 15.0, 90.0, 90.0, 90.0],
    "orthorhombic, over MAX_CELLS cells": [200.0, 210.0, 220.0, 90.0, 90.0, 90.0],
    "triclinic": [30.0, 32.0, 28.0, 70.0, 80.0, 100.0],
}


def random_points(rng, n, dimensions, spread):
    """n points in fractional coordinates [-spread, 1 + spread) of the box: outside it as in unwrapped
    trajectories, in single precision as MDAnalysis reads them."""
    return ((rng.uniform(-spread, 1 + spread, (n, 3))) @ triclinic_vectors(dimensions)).astype(np.float32)


def check_frame(found, centres, points, radius, dimensions):
    """One frame's pairs (i, j, vector, distance) are those of brute force, each once, grouped by centre."""
    i, j, vector, distance = found
    all_d = distance_array(centres, points, box=dimensions)
    assert (np.diff(i) >= 0).all()
    pairs = set(zip(i.tolist(), j.tolist()))
    assert len(pairs) == len(i)
    # the same pairs, except within distance_array's single-precision rounding of the radius
    sure = np.abs(all_d - radius) > 1e-4
    expected = {(a, b) for a, b in zip(*np.nonzero((all_d <= radius) & sure))}
    assert expected <= pairs
    assert all(not sure[a, b] for a, b in pairs - expected)
    np.testing.assert_allclose(distance, all_d[i, j], rtol=0, atol=1e-4)
    np.testing.assert_allclose(np.linalg.norm(vector, axis=1), distance, rtol=1e-12)
    assert (distance <= radius).all()
    shift = np.linalg.solve(triclinic_vectors(dimensions).T.astype(np.float64),
                            (vector - (points[j].astype(np.float64) - centres[i])).T)
    np.testing.assert_allclose(shift, np.rint(shift), atol=1e-9)  # vector = point − centre + a lattice vector


@pytest.mark.parametrize("box", BOXES)
@pytest.mark.parametrize("radius", [3.0, 7.5])
def test_pairs_within_is_brute_force(box, radius):
    """A batch of three frames, the last in a box 20 % larger (the cells must fit the smallest box)."""
    rng = np.random.default_rng(len(box) + int(radius))
    dimensions = np.array([BOXES[box]] * 3, dtype=np.float32)
    dimensions[2, :3] *= 1.2
    n_points = 3000 if "MAX_CELLS" in box else 800
    centres = np.stack([random_points(rng, 60, d, 0.5) for d in dimensions])
    points = np.stack([random_points(rng, n_points, d, 1.5) for d in dimensions])
    points[:, :5] = centres[:, :5] + np.float32(radius) * np.array([1, 0, 0], np.float32)  # pairs at the radius
    frame, *found = pairs_within(centres, points, radius, dimensions)
    assert (np.diff(frame) >= 0).all()
    for f in range(3):
        check_frame([a[frame == f] for a in found], centres[f], points[f], radius, dimensions[f])


def test_pairs_within_empty():
    dimensions = np.array([BOXES["cubic"]], dtype=np.float32)
    some = random_points(np.random.default_rng(0), 10, dimensions[0], 0.0)[None]
    none = np.empty((1, 0, 3), np.float32)
    for centres, points in ((none, some), (some, none), (none, none)):
        frame, i, j, vector, distance = pairs_within(centres, points, 4.0, dimensions)
        assert len(frame) == len(i) == len(j) == len(vector) == len(distance) == 0
        assert vector.shape == (0, 3)
