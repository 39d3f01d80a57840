"""The Newman set from L against independent derivations: Stefan–Maxwell inversion, flux elimination by
a linear solve, and the ideal (Nernst–Hartley) limit, for monovalent and multivalent anions."""

import numpy as np
import pytest
from scipy.constants import R, physical_constants

from ionscale.continuum.newman import continuum_current_fraction, ideal_salt_diffusion, newman_set
from ionscale.errors import IonscaleError

F = physical_constants["Faraday constant"][0]
T = 300.0


def stefan_maxwell_onsager(c0, c, z, D0p, D0m, Dpm):
    """Solvent-frame Onsager matrix of Stefan–Maxwell coefficients 𝒟_0+, 𝒟_0−, 𝒟_+− (m²/s):
    c_i ∇μ̃_i = Σ_j K_ij (v_j − v_i), K_ij = R T c_i c_j / (c_T 𝒟_ij), v_0 = 0, J = c v = −L ∇μ̃."""
    cT = c0 + c.sum()
    K = lambda ci, cj, d: R * T * ci * cj / (cT * d)  # noqa: E731
    k0p, k0m, kpm = K(c0, c[0], D0p), K(c0, c[1], D0m), K(c[0], c[1], Dpm)
    A = np.array([[-(k0p + kpm), kpm], [kpm, -(k0m + kpm)]])
    return -np.diag(c) @ np.linalg.inv(A) @ np.diag(c)


@pytest.mark.parametrize("z_minus", [-1, -2, -8])
def test_against_stefan_maxwell_inversion(z_minus):
    """Newman & Thomas-Alyea ch. 12–14: 𝒟 = 𝒟_0+𝒟_0−(z_+−z_−)/(z_+𝒟_0+ − z_−𝒟_0−), D = 𝒟 c_T/c_0 · TDF_m,
    t_+^0 = z_+𝒟_0+/(z_+𝒟_0+ − z_−𝒟_0−), 1/κ = −RT/(c_T z_+z_− F²)[1/𝒟_+− + c_0 t_−^0/(c_+𝒟_0−)]."""
    rng = np.random.default_rng(-z_minus)
    z = np.array([1.0, z_minus])
    c_salt = 800.0                                    # mol/m³
    c = np.array([-z_minus * c_salt, c_salt])         # ν_+ = |z_−|, ν_− = 1
    c0 = 9000.0
    D0p, D0m, Dpm = rng.uniform(0.5e-10, 3e-10, 3)
    L = stefan_maxwell_onsager(c0, c, z, D0p, D0m, Dpm)
    cT = c0 + c.sum()
    sm = D0p * D0m * (z[0] - z[1]) / (z[0] * D0p - z[1] * D0m)
    t_plus = z[0] * D0p / (z[0] * D0p - z[1] * D0m)
    kappa = 1 / (-R * T / (cT * z[0] * z[1] * F**2) * (1 / Dpm + c0 * (1 - t_plus) / (c[0] * D0m)))
    tdf = 1.7
    out = newman_set(L, z, c, T, tdf)
    assert out["ideal_salt_diffusion"] == pytest.approx(sm * cT / c0, rel=1e-12)
    assert out["salt_diffusion"] == pytest.approx(tdf * sm * cT / c0, rel=1e-12)
    assert out["t_plus"] == pytest.approx(t_plus, rel=1e-12)
    assert out["conductivity"] == pytest.approx(kappa, rel=1e-12)


def test_against_flux_elimination():
    """Zero current solved numerically: unknowns J_+, J_−, ∇Φ from J = −L(∇μ + zF∇Φ), zᵀJ = 0, with
    ∇μ_± the ideal-plus-activity gradients of a salt gradient ∇c; D = −(J_+/ν_+)/∇c."""
    rng = np.random.default_rng(3)
    a = rng.normal(size=(2, 2))
    L = a @ a.T * 1e-9 + np.eye(2) * 1e-9             # positive definite, with cross terms
    z = np.array([2.0, -3.0])
    nu = np.array([3.0, 2.0])
    c_salt, grad_c, tdf = 500.0, 7.0, 0.6
    c = nu * c_salt
    # salt chemical potential gradient ν R T TDF ∇ln c, shared between the ions in any split (Φ absorbs it)
    grad_mu_s = nu.sum() * R * T * tdf * grad_c / c_salt
    grad_mu = np.array([grad_mu_s / nu[0], 0.0])
    M = np.zeros((3, 3))
    rhs = np.zeros(3)
    M[:2, :2] = np.eye(2)
    M[:2, 2] = L @ z * F
    rhs[:2] = -L @ grad_mu
    M[2, :2] = z
    J_plus, J_minus, _ = np.linalg.solve(M, rhs)
    assert J_minus / nu[1] == pytest.approx(J_plus / nu[0], rel=1e-12)
    D = -(J_plus / nu[0]) / grad_c
    assert newman_set(L, z, c, T, tdf)["salt_diffusion"] == pytest.approx(D, rel=1e-12)


@pytest.mark.parametrize("z_minus", [-1, -20])
def test_ideal_limit_is_nernst_hartley(z_minus):
    """Uncorrelated ions, L = diag(c D / RT): D = D_+D_−(z_+ − z_−)/(z_+D_+ − z_−D_−); t_+ = t_PFG."""
    z = np.array([1.0, z_minus])
    c = np.array([-z_minus * 100.0, 100.0])
    Dp, Dm = 2e-10, 0.3e-10
    L = np.diag(c * np.array([Dp, Dm]) / (R * T))
    out = newman_set(L, z, c, T, 1.0)
    assert out["salt_diffusion"] == pytest.approx(Dp * Dm * (z[0] - z[1]) / (z[0] * Dp - z[1] * Dm), rel=1e-12)
    assert out["t_plus"] == pytest.approx(z[0] * Dp / (z[0] * Dp - z[1] * Dm), rel=1e-12)
    assert out["rho_plus"] == pytest.approx(out["t_plus"], rel=1e-12)


def test_refuses_more_than_two_ions():
    with pytest.raises(IonscaleError, match="binary salt"):
        ideal_salt_diffusion(np.eye(3), [1, -1, 1], [1, 1, 1], T)


@pytest.mark.parametrize("z_minus", [-1, -3, -20])
def test_continuum_current_fraction_is_the_onsager_one(z_minus):
    """ρ_+ from κ, t_+^0, D and TDF (diffusion potential + ohmic drop) = the Schur complement of L; TDF cancels."""
    rng = np.random.default_rng(11)
    a = rng.normal(size=(2, 2))
    L = (a @ a.T + np.eye(2)) * 1e-9
    z = np.array([1.0, z_minus])
    c = np.array([-z_minus * 100.0, 100.0])
    for tdf in (0.5, 2.0):
        out = newman_set(L, z, c, T, tdf)
        rho = continuum_current_fraction(out["conductivity"], out["t_plus"], out["salt_diffusion"], tdf, c[0],
                                         z[0], z[1], T)
        assert rho == pytest.approx(out["rho_plus"], rel=1e-12)
