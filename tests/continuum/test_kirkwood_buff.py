"""Kirkwood–Buff thermodynamic factor: the Krüger integral against quadrature, the extrapolation on an
RDF with a known integral, and configurations whose TDF is known exactly (ideal ions: 1; ions bound
into independent neutral clusters of ν ions: 1/ν)."""

import numpy as np
import pytest
from scipy.integrate import quad

from ionscale.continuum.kirkwood_buff import extrapolated_integral, kirkwood_buff_tdf, krueger_integrals


def gaussian_h(r, amplitude=0.8, width=0.3):
    return amplitude * np.exp(-((r / width) ** 2))


def test_krueger_integral_equals_quadrature():
    dr = 1e-4
    r = np.arange(0.5 * dr, 3.0, dr)
    diameters = np.array([0.4, 1.0, 2.5])
    got = krueger_integrals(r, gaussian_h(r), diameters)
    for L, value in zip(diameters, got):
        x = lambda s: s / L  # noqa: E731
        ref = quad(lambda s: 4 * np.pi * s**2 * gaussian_h(s) * (1 - 1.5 * x(s) + 0.5 * x(s) ** 3), 0, L)[0]
        assert value == pytest.approx(ref, rel=1e-6)


def test_extrapolation_recovers_the_infinite_integral():
    """h = A exp(−r²/a²) has G_∞ = π^{3/2} A a³; the finite-volume integrals alone are far from it."""
    a, amplitude = 0.3, 0.8
    dr = 1e-3
    r = np.arange(0.5 * dr, 20 * a, dr)
    exact = np.pi**1.5 * amplitude * a**3
    assert extrapolated_integral(r, gaussian_h(r, amplitude, a), (10 * a, 20 * a)) == pytest.approx(exact, rel=1e-3)
    assert abs(krueger_integrals(r, gaussian_h(r, amplitude, a), np.array([2 * a]))[0] / exact - 1) > 0.3


BOX_NM = 6.0


def clusters(rng, n_clusters, f, n_frames, bond_nm, box_nm=BOX_NM):
    """Frames of independent rigid clusters: one anion (valence −f) with f cations at ``bond_nm`` in random
    directions, clusters placed uniformly at random. bond_nm = None: every ion placed at random (ideal)."""
    centres = rng.uniform(0, box_nm, (n_frames, n_clusters, 1, 3))
    if bond_nm is None:
        ions = rng.uniform(0, box_nm, (n_frames, n_clusters, f + 1, 3))
    else:
        arms = rng.normal(size=(n_frames, n_clusters, f, 3))
        arms *= bond_nm / np.linalg.norm(arms, axis=-1, keepdims=True)
        ions = centres + np.concatenate([arms, np.zeros((n_frames, n_clusters, 1, 3))], axis=2)
    cations = ions[:, :, :f].reshape(n_frames, -1, 3)
    anions = ions[:, :, f].reshape(n_frames, -1, 3)
    box = np.tile([box_nm] * 3 + [90.0] * 3, (n_frames, 1))
    return np.concatenate([cations, anions], axis=1) % box_nm, box, np.array([f * n_clusters, n_clusters])


@pytest.mark.parametrize("f, bond, expected", [(1, None, 1.0), (2, None, 1.0), (1, 0.3, 0.5), (2, 0.3, 1 / 3)])
def test_known_thermodynamic_factors(f, bond, expected):
    rng = np.random.default_rng(f)
    positions, box, counts = clusters(rng, 150, f, 100, bond)
    res = kirkwood_buff_tdf(positions, box, counts, ["cation", "anion"])
    assert res.reliable, res.message
    assert abs(res.value - expected) < min(4 * res.stderr, 0.1)
    assert 0 < res.stderr < 0.1


def test_small_box_warns():
    """Clusters as large as the box: the correlations reach into the extrapolation range."""
    rng = np.random.default_rng(7)
    positions, box, counts = clusters(rng, 40, 2, 20, bond_nm=1.0, box_nm=3.0)
    res = kirkwood_buff_tdf(positions, box, counts, ["cation", "anion"])
    assert not res.reliable
    assert "box too small" in res.message and "UNRELIABLE" in res.method
    assert res.method.endswith("UNRELIABLE: box too small for the finite-volume extrapolation")  # no numbers
