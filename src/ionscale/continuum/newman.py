"""The Newman set of a binary electrolyte from its Onsager matrix: κ, t_+^0, D and ρ_+ (solvent frame).

Concentrated-solution theory (Newman & Thomas-Alyea, *Electrochemical Systems*, 3rd ed. 2004,
ch. 12–14) describes a binary salt C_ν+ A_ν− (valences z_+ > 0 > z_−, ν_+ z_+ = −ν_− z_−) in a solvent
by three transport properties — the conductivity κ, the cation transference number t_+^0 relative to
the solvent velocity, and the Fickian salt diffusion coefficient D — plus the thermodynamic factor.
The Onsager form used here (Wheeler & Newman, J. Phys. Chem. B 108, 18353 (2004); Fong et al.,
Macromolecules 53, 8795 (2020)) writes the ionic fluxes relative to the solvent as

    J_i = −Σ_j L_ij ∇μ̃_j ,   i, j ∈ {+, −},   μ̃_j = μ_j + z_j F Φ,

with L the per-volume molar Onsager matrix of the solvent frame in mol² J⁻¹ m⁻¹ s⁻¹. Then

    κ      = F² zᵀ L z                                             (uniform composition)
    t_+^0  = z_+ (L z)_+ / zᵀ L z
    ρ_+    = z_+² (L_++ − L_+−² / L_−−) / zᵀ L z                     (Bruce–Vincent current fraction)
    D      = TDF · D_id ,  D_id = R T |z_+ z_−| (1/c_+ + 1/c_−) det L / zᵀ L z .

Derivation of D. At zero current (z_+ J_+ + z_− J_− = 0) the salt flux J_+ / ν_+ = J_− / ν_− is driven
by the salt's chemical potential μ_s = ν_+ μ_+ + ν_− μ_− = μ_s° + ν R T ln(c y_±) (ν = ν_+ + ν_−,
c = c_+ / ν_+ the salt concentration, y_± the molar mean activity coefficient). Eliminating Φ from
the two flux equations gives J_+ = −|z_+ z_−| det L / (ν_− zᵀLz) ∇μ_s, and with
∇μ_s = ν R T · TDF · ∇ ln c the Fick law J_+ / ν_+ = −D ∇c with D as above. The result does not depend
on how ν_± are normalised; for ideal, uncorrelated monovalent ions (L_±± = c D_± / RT, L_+− = 0) it
is the Nernst–Hartley value D = 2 D_+ D_− / (D_+ + D_−).

TDF is the molar thermodynamic factor 1 + d ln y_± / d ln c — the one that multiplies ∇ ln c_e in a
continuum model written in molar concentration (PyBaMM's DFN). Newman tabulates the molal one,
1 + d ln γ_± / d ln m = TDF · c_0 V̄_0 (c_0, V̄_0: solvent concentration and partial molar volume);
the two coincide when the solvent concentration does not change with c (an implicit solvent).
With the molal factor Newman writes D = 𝒟 (c_T / c_0)(1 + d ln γ_± / d ln m) from the Stefan–Maxwell
coefficient 𝒟; the identity D_id = 𝒟 c_T / c_0 is tested against a Stefan–Maxwell inversion.

The Bruce–Vincent current fraction in continuum variables. In a symmetric cell with electrodes
reversible to the cation, a small voltage step gives the ohmic current I_0 = κ V / L at once and, at
steady state (anion flux zero, linear salt profile), I_ss with ρ_+ = I_ss / I_0 = 1 / (1 + Ne),

    Ne = κ R T (1 − t_+^0)² TDF (1 + z_+/|z_−|) / (z_+² F² D c_+)

(Newman & Thomas-Alyea ch. 12, the diffusion potential (ν R T / z_+ ν_+ F)(1 − t_+^0) TDF Δln c added to
the ohmic drop; Balsara & Newman, J. Electrochem. Soc. 162, A2720 (2015) for z = ±1). With κ, t_+^0
and D from L this equals the Schur-complement ρ_+ of :func:`ionscale.transport.quantities.current_fraction`
exactly (tested), TDF cancelling: the continuum and the Onsager routes are one theory.

Every function takes SI units: L in mol² J⁻¹ m⁻¹ s⁻¹, c in mol/m³, T in K; returns S/m, 1, m²/s.
"""

from __future__ import annotations

from scipy.constants import R as GAS_CONSTANT  # J mol⁻¹ K⁻¹

from ..transport import quantities as q
from ..transport.quantities import FARADAY, binary_salt, ideal_salt_diffusion


def salt_diffusion(L, z, c, temperature: float, tdf: float) -> float:
    """Fickian salt diffusion coefficient D = TDF · D_id in m²/s (solvent frame; module docstring)."""
    return tdf * ideal_salt_diffusion(L, z, c, temperature)


def newman_set(L, z, c, temperature: float, tdf: float) -> dict:
    """κ (S/m), t_+^0, D (m²/s), ρ_+ and the TDF of a binary salt from its solvent-frame Onsager matrix.

    Parameters
    ----------
    L : (2, 2) per-volume Onsager matrix of the solvent frame in mol² J⁻¹ m⁻¹ s⁻¹, cation first.
    z : (2,) valences (z_+ > 0 > z_−, any magnitudes: a star anion of valence −f is fine).
    c : (2,) ion concentrations in mol/m³ (c_+ z_+ = −c_− z_−).
    temperature : K.
    tdf : molar thermodynamic factor 1 + d ln y_± / d ln c (NaN gives D = NaN).

    Returns
    -------
    dict with ``conductivity`` (S/m), ``t_plus`` (1), ``salt_diffusion`` (m²/s),
    ``ideal_salt_diffusion`` (m²/s, D / TDF), ``rho_plus`` (1) and ``thermodynamic_factor`` (1).
    """
    L, z, c = binary_salt(L, z, c)
    d_id = ideal_salt_diffusion(L, z, c, temperature)
    return {"conductivity": q.conductivity(L, z), "t_plus": q.transference_numbers(L, z)[0],
            "salt_diffusion": tdf * d_id, "ideal_salt_diffusion": d_id, "rho_plus": q.current_fraction(L, z, 0),
            "thermodynamic_factor": float(tdf)}


def continuum_current_fraction(conductivity: float, t_plus: float, diffusion: float, tdf: float, c_plus: float,
                               z_plus: float, z_minus: float, temperature: float) -> float:
    """Bruce–Vincent ρ_+ = 1 / (1 + Ne) from the Newman set (module docstring).

    conductivity in S/m, diffusion (Fickian D) in m²/s, c_plus in mol/m³, temperature in K."""
    ne = (conductivity * GAS_CONSTANT * temperature * (1 - t_plus) ** 2 * tdf * (1 + z_plus / abs(z_minus))
          / (z_plus**2 * FARADAY**2 * diffusion * c_plus))
    return 1.0 / (1.0 + ne)
