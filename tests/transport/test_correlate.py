"""FFT correlations against brute-force O(T^2) loops (SPEC §8.1) and analytic trajectories."""

import numpy as np
import pytest

from ionscale.transport.correlate import collective_msd_matrix, cross_msd, self_msd

SHAPES = [(1, 1), (2, 3), (7, 2), (64, 5), (101, 4)]  # (n_frames, n_particles), odd T included


def brute_cross_msd(a, b):
    """C(m) = mean over t0 of (a(t0+m) − a(t0))·(b(t0+m) − b(t0)), by explicit loops."""
    n_frames = len(a)
    out = np.zeros(n_frames)
    for m in range(n_frames):
        out[m] = np.mean([np.dot(a[t + m] - a[t], b[t + m] - b[t]) for t in range(n_frames - m)])
    return out


def random_walks(rng, n_frames, n_walkers, offset=50.0):
    """Random walks far from the origin of coordinates (as unwrapped positions are)."""
    return offset + np.cumsum(rng.normal(size=(n_frames, n_walkers, 3)), axis=0)


def assert_close(actual, expected):
    """Agreement to 1e-10 relative to the largest |value| (cross terms cross zero)."""
    np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-10 * np.abs(expected).max())


@pytest.mark.parametrize("n_frames, n_particles", SHAPES)
def test_self_msd_equals_brute_force(n_frames, n_particles):
    rng = np.random.default_rng(n_frames)
    r = random_walks(rng, n_frames, n_particles)
    expected = np.mean([brute_cross_msd(r[:, p], r[:, p]) for p in range(n_particles)], axis=0)
    msd = self_msd(r)
    assert msd.shape == (n_frames,) and msd.dtype == np.float64
    assert_close(msd, expected)


@pytest.mark.parametrize("n_frames, n_particles", SHAPES)
def test_cross_msd_equals_brute_force(n_frames, n_particles):
    rng = np.random.default_rng(100 + n_frames)
    a, b = random_walks(rng, n_frames, 2).transpose(1, 0, 2)
    assert_close(cross_msd(a, b), brute_cross_msd(a, b))
    np.testing.assert_array_equal(cross_msd(a, b), cross_msd(b, a))
    assert_close(cross_msd(a, a), self_msd(a[:, None]))


@pytest.mark.parametrize("n_frames, n_species", SHAPES)
def test_collective_matrix_equals_brute_force(n_frames, n_species):
    rng = np.random.default_rng(200 + n_frames)
    R = random_walks(rng, n_frames, n_species)
    M = collective_msd_matrix(R)
    assert M.shape == (n_frames, n_species, n_species)
    np.testing.assert_array_equal(M, M.transpose(0, 2, 1))
    for i in range(n_species):
        for j in range(n_species):
            assert_close(M[:, i, j], brute_cross_msd(R[:, i], R[:, j]))


def test_self_msd_does_not_depend_on_chunking_or_dtype():
    rng = np.random.default_rng(7)
    r = random_walks(rng, 300, 37)
    reference = self_msd(r)
    one_at_a_time = self_msd(r, max_buffer_bytes=1)
    np.testing.assert_allclose(one_at_a_time, reference, rtol=1e-12, atol=1e-12 * reference.max())
    single = r.astype(np.float32)
    np.testing.assert_allclose(self_msd(single), self_msd(single.astype(np.float64)), rtol=1e-12)


def test_straight_line_gives_ballistic_msd():
    """r(t) = r0 + v t: every displacement over m frames is v m, so MSD(m) = |v|^2 m^2."""
    v = np.array([[0.3, -1.2, 0.5], [2.0, 0.0, -0.7]])  # (n_particles, 3), length per frame
    m = np.arange(50)
    r = 10.0 + m[:, None, None] * v
    expected = np.mean(np.sum(v**2, axis=1)) * m**2
    np.testing.assert_allclose(self_msd(r), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        cross_msd(r[:, 0], r[:, 1]), v[0] @ v[1] * m**2, rtol=1e-12, atol=1e-12)


def test_collective_matrix_is_pairwise_cross_msd():
    rng = np.random.default_rng(3)
    R = random_walks(rng, 80, 3)
    M = collective_msd_matrix(R)
    scale = np.abs(M).max()
    np.testing.assert_allclose(
        M[:, 0, 2], cross_msd(R[:, 0], R[:, 2]), rtol=1e-13, atol=1e-13 * scale)
    np.testing.assert_allclose(M[:, 1, 1], self_msd(R[:, 1:2]), rtol=1e-12, atol=1e-12 * scale)


@pytest.mark.parametrize("max_lag", [0, 1, 7, 299, 1000])
def test_max_lag_returns_the_leading_lags_of_the_full_result(max_lag):
    rng = np.random.default_rng(11)
    r = random_walks(rng, 300, 5)
    full_self, full_collective = self_msd(r), collective_msd_matrix(r)
    n_lags = min(max_lag + 1, 300)
    short_self, short_collective = self_msd(r, max_lag=max_lag), collective_msd_matrix(r, max_lag=max_lag)
    assert short_self.shape == (n_lags,) and short_collective.shape == (n_lags, 5, 5)
    scale = full_self.max()
    np.testing.assert_allclose(short_self, full_self[:n_lags], rtol=1e-12, atol=1e-12 * scale)
    np.testing.assert_allclose(short_collective, full_collective[:n_lags], rtol=1e-12,
                               atol=1e-12 * np.abs(full_collective).max())
