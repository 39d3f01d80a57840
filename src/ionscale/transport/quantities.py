"""Macroscopic transport quantities from an Onsager matrix (SPEC §3).

Conventions and units (SI):

- L : per-volume molar Onsager matrix, L_ij = lim d/dt <ΔR_i · ΔR_j> / (6 V k_B T N_A^2), in
  mol^2 J^-1 m^-1 s^-1 (Wheeler & Newman 2004; Fong et al. 2020), shape (n, n), symmetric, one
  reference frame.
- L' : species-mean convention of Fang et al. (their Eq. 1), L'_ij = L_ij / (c_i c_j), in
  m^5 J^-1 s^-1.
- c : concentrations in mol/m^3; z : valences (integers, signed); D : self-diffusion coefficients in
  m^2/s; temperature in K. Conductivities are returned in S/m.

Every function takes one matrix (or one set of vectors) and returns numbers; NaN inputs give NaN.
Constants are CODATA values from ``scipy.constants``; F = N_A e and R = N_A k_B are exact since the
2019 SI redefinition, so CODATA 2018 and later agree on them.
"""

import numpy as np
from scipy.constants import R as GAS_CONSTANT  # J mol^-1 K^-1
from scipy.constants import physical_constants

from ..errors import IonscaleError

FARADAY = physical_constants["Faraday constant"][0]  # C mol^-1


def species_mean(L, c):
    """Species-mean Onsager matrix L'_ij = L_ij / (c_i c_j), (n, n), in m^5 J^-1 s^-1.

    L in mol^2 J^-1 m^-1 s^-1, shape (n, n); c in mol/m^3, shape (n,).
    """
    c = np.asarray(c, dtype=float)
    return np.asarray(L, dtype=float) / np.outer(c, c)


def per_volume(Lprime, c):
    """Per-volume Onsager matrix L_ij = L'_ij c_i c_j, (n, n), in mol^2 J^-1 m^-1 s^-1.

    Lprime in m^5 J^-1 s^-1, shape (n, n); c in mol/m^3, shape (n,). Inverse of ``species_mean``.
    """
    c = np.asarray(c, dtype=float)
    return np.asarray(Lprime, dtype=float) * np.outer(c, c)


def conductivity(L, z):
    """Ionic conductivity κ = F^2 Σ_ij z_i z_j L_ij in S/m, for any number of species."""
    z = np.asarray(z, dtype=float)
    return FARADAY**2 * (z @ np.asarray(L, dtype=float) @ z)


def transference_numbers(L, z):
    """Transference numbers t_i = z_i Σ_j z_j L_ij / Σ_jk z_j z_k L_jk, shape (n,); they sum to 1.

    In the solvent frame, t_+ of a binary salt is t_+^0 (Fang et al. Eq. 3).
    """
    z = np.asarray(z, dtype=float)
    current = np.asarray(L, dtype=float) @ z
    return z * current / (z @ current)


def current_fraction(L, z, cation):
    """Steady-state current fraction ρ_+ of a symmetric cell with electrodes reversible to a cation.

    Generalises Fang et al. Eq. 4 (Balsara & Newman 2015) to any number of species. The fluxes are
    J_i = −Σ_j L_ij ∇μ̃_j (μ̃ = electrochemical potential). Initially the composition is uniform and
    ∇μ̃_j = z_j F ∇Φ, so i_0 ∝ F^2 zᵀ L z. At steady state every species a other than the cation has
    J_a = 0, which fixes ∇μ̃_a = −L_aa^-1 L_a+ ∇μ̃_+ and leaves J_+ = −S ∇μ̃_+ with the Schur
    complement S = L_++ − L_+a L_aa^-1 L_a+; the electrodes, reversible to the cation, measure the
    potential μ̃_+ / (z_+ F). Hence at equal applied voltage

        ρ_+ = i_ss / i_0 = z_+^2 (L_++ − L_+a L_aa^-1 L_a+) / (zᵀ L z).

    For a binary salt (c_+ z_+ = −c_- z_-) this is 1 / (1 + Ne) of Eq. 4 exactly.

    Assumptions: linear response (small polarisation, L constant across the cell), ideal electrodes
    (only the cation reacts), no convection, L in the solvent frame. "a" is every other species of
    L, normally the other ions; a neutral species kept in L (e.g. a second solvent) is blocked too,
    as it should be, and adds nothing to i_0 since its z is 0.

    Parameters
    ----------
    L : array (n, n), per-volume Onsager matrix in the solvent frame
    z : array (n,), valences
    cation : int, index of the cation species in L and z

    Returns
    -------
    rho_plus : float
    """
    L = np.asarray(L, dtype=float)
    z = np.asarray(z, dtype=float)
    others = np.arange(len(z)) != cation
    coupling = L[others, cation]
    schur = L[cation, cation] - coupling @ np.linalg.solve(L[np.ix_(others, others)], coupling)
    return z[cation] ** 2 * schur / (z @ L @ z)


def newman_number(L, z, cation):
    """Newman number Ne = 1 / ρ_+ − 1 (Fang et al. Eq. 4), from ``current_fraction``."""
    return 1 / current_fraction(L, z, cation) - 1


def binary_species_mean_quantities(Lp_pp, Lp_pm, Lp_mm, c_plus, z_plus):
    """Fang et al. Eqs. 2–4 as written, for a binary salt in the species-mean convention.

    An independent check of the general forms above. Valid for c_+ z_+ = −c_- z_-.

    Parameters
    ----------
    Lp_pp, Lp_pm, Lp_mm : float, L'_++, L'_+-, L'_-- in m^5 J^-1 s^-1 (solvent frame)
    c_plus : float, cation concentration in mol/m^3
    z_plus : float, cation valence

    Returns
    -------
    dict with
        "conductivity"  κ = F^2 c_+^2 z_+^2 (L'_++ − 2 L'_+- + L'_--) in S/m      (Eq. 2)
        "t_plus"        t_+^0 = (L'_++ − L'_+-) / (L'_++ − 2 L'_+- + L'_--)      (Eq. 3)
        "newman_number" Ne = (L'_-- − L'_+-)^2 / (L'_++ L'_-- − L'_+-^2)          (Eq. 4)
        "rho_plus"      ρ_+ = 1 / (1 + Ne)                                        (Eq. 4)
        "rho_plus_schur" ρ_+ = (L'_++ − L'_+-^2 / L'_--) / (L'_++ − 2 L'_+- + L'_--) (identity)
    """
    curvature = Lp_pp - 2 * Lp_pm + Lp_mm
    ne = (Lp_mm - Lp_pm) ** 2 / (Lp_pp * Lp_mm - Lp_pm**2)
    return {
        "conductivity": FARADAY**2 * c_plus**2 * z_plus**2 * curvature,
        "t_plus": (Lp_pp - Lp_pm) / curvature,
        "newman_number": ne,
        "rho_plus": 1 / (1 + ne),
        "rho_plus_schur": (Lp_pp - Lp_pm**2 / Lp_mm) / curvature,
    }


def nernst_einstein_conductivity(c, z, D, temperature):
    """Nernst–Einstein conductivity κ_NE = F^2 / (R T) Σ_i c_i z_i^2 D_i in S/m.

    The conductivity of uncorrelated ions; κ / κ_NE is the ionicity (inverse Haven ratio).
    c in mol/m^3, z, D in m^2/s: shape (n,) each; temperature in K.
    """
    c, z, D = (np.asarray(x, dtype=float) for x in (c, z, D))
    return FARADAY**2 / (GAS_CONSTANT * temperature) * np.sum(c * z**2 * D)


def pfg_transference(c, z, D):
    """Self-diffusion ("PFG-NMR") transference numbers t_i = c_i z_i^2 D_i / Σ_j c_j z_j^2 D_j.

    c in mol/m^3, z, D in m^2/s: shape (n,) each; returns shape (n,). For a binary salt
    t_+ = z_+ D_+ / (z_+ D_+ + |z_-| D_-) (Fang et al. Eq. 5, written there for z_+ = 1).
    """
    c, z, D = (np.asarray(x, dtype=float) for x in (c, z, D))
    weight = c * z**2 * D
    return weight / weight.sum()


def binary_salt(L, z, c) -> tuple:
    """(L, z, c) as float arrays, checked to be one cation and one anion species, cation first."""
    L, z, c = (np.asarray(x, dtype=float) for x in (L, z, c))
    if L.shape != (2, 2) or z.shape != (2,) or c.shape != (2,):
        raise IonscaleError("the Newman set is defined for a binary salt: one cation and one anion species "
                            f"(got an Onsager matrix of shape {L.shape})")
    if not (z[0] > 0 > z[1]):
        raise IonscaleError(f"the Newman set needs the cation first (z_+ > 0 > z_-); got valences {z.tolist()}")
    return L, z, c


def ideal_salt_diffusion(L, z, c, temperature: float) -> float:
    """D_id = R T |z_+ z_−| (1/c_+ + 1/c_−) det L / zᵀLz in m²/s: the Fickian salt diffusion coefficient
    of the solvent frame divided by the thermodynamic factor (:mod:`ionscale.continuum.newman`).

    L : (2, 2) solvent-frame Onsager matrix, mol² J⁻¹ m⁻¹ s⁻¹, cation first; z : (2,) valences;
    c : (2,) ion concentrations in mol/m³; temperature in K.
    """
    L, z, c = binary_salt(L, z, c)
    return GAS_CONSTANT * temperature * abs(z[0] * z[1]) * (1 / c[0] + 1 / c[1]) * np.linalg.det(L) / (z @ L @ z)
