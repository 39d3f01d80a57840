"""Time mapping of the implicit-solvent model onto Li⁺ in EC/DMC: model picoseconds → physical picoseconds.

Lengths of the model are physical (nm: bead diameters are those of Li⁺ and of a sulfonylimide end
group), energies are physical (k_B T at 303 K), but its time is not: in the Langevin continuum a free
bead of mass m diffuses with exactly D_model = k_B T / (m γ) (Einstein relation of the Langevin
equation, independent of inertia), 2.52e-8 m²/s for the default m = 100 amu, γ = 1 ps⁻¹ — about 80
times a real Li⁺. Running at a realistic friction (γ ≈ 80 ps⁻¹) would cost 80 times more steps for the
same physics, so the model runs fast and its clock is rescaled afterwards:

    t_phys = s · t_model,   s = D_model / D_ref,

chosen so that a free cation at infinite dilution diffuses like Li⁺ at infinite dilution in EC/DMC at
303 K. Every D and every Onsager coefficient (∝ 1/time) is divided by s, κ too; every ratio of them
— t₊⁰, ρ₊, t₊,PFG, κ/κ_NE, bound fractions — is unchanged. The simulator writes the trajectory with
mapped frame times (the DCD time step is s · Δt), so every analysis of it is in physical units, and it
records the mapping in ``parameters.json``; with ``mapped_cation_diffusion = 0`` (and always for the
explicit solvent, whose free-cation D has no closed form) times stay model picoseconds and are
labelled so.

The reference value, D_ref = 3.0e-10 m²/s, is an estimate, not a measurement at infinite dilution:
Stokes–Einstein, k_B T / (6π η r_s), with η ≈ 1.5 mPa·s for EC/DMC and the Li⁺ Stokes radius of
≈ 0.5 nm found in carbonate solvents by PGSE-NMR (Hayamizu & Akiba, Electrochemistry 71, 1052 (2003))
gives 3.0e-10 m²/s at 303 K; PFG-NMR of 1 mol/L LiPF6 in carbonate blends at 303 K gives D_Li of
order 1–2e-10 m²/s (Hayamizu, J. Chem. Eng. Data 57, 2012 (2012)), lower as expected at that
concentration. Its uncertainty (a factor ~1.5) moves every D and κ by the same factor and no ratio.
"""

from __future__ import annotations

from scipy.constants import R

REFERENCE_CATION_DIFFUSION = 3.0
"""D of Li⁺ at infinite dilution in EC/DMC at 303 K [1e-10 m²/s], the estimate above (the default mapping)."""

REFERENCE = ("Li+ at infinite dilution in EC/DMC, 303 K: Stokes-Einstein estimate, eta = 1.5 mPa s, "
             "r_s = 0.5 nm (Hayamizu & Akiba, Electrochemistry 71, 1052 (2003))")

MOLAR_GAS_CONSTANT = R / 1000
"""k_B N_A in kJ/mol/K."""

NM2_PER_PS_IN_1E_10_M2_S = 1e-18 / 1e-12 / 1e-10
"""1 nm²/ps expressed in 1e-10 m²/s (= 1e4)."""


def free_cation_diffusion(cfg) -> float:
    """D = k_B T / (m_+ γ) of a free cation bead in the Langevin continuum [1e-10 m²/s] (model time)."""
    return MOLAR_GAS_CONSTANT * cfg.temperature / (cfg.bead_mass * cfg.friction) * NM2_PER_PS_IN_1E_10_M2_S


def is_mapped(cfg) -> bool:
    """Whether model time of ``cfg`` is mapped onto physical time (implicit solvent, a reference D given)."""
    return cfg.solvent == "implicit" and cfg.mapped_cation_diffusion > 0


def time_scale(cfg) -> float:
    """Physical ps per model ps, s = D_model / D_ref; 1.0 where there is no mapping (model units)."""
    return free_cation_diffusion(cfg) / cfg.mapped_cation_diffusion if is_mapped(cfg) else 1.0


def describe_mapping(cfg) -> str:
    """One sentence (ASCII: it goes into the PSF too) naming the time mapping of ``cfg``, or saying
    that times are model units."""
    if not is_mapped(cfg):
        return "times, D and kappa in model units (no time mapping)"
    return (f"time mapped: 1 model ps = {time_scale(cfg):.3g} ps, so that a free cation "
            f"(D = {free_cation_diffusion(cfg):.3g}e-10 m^2/s in model time) diffuses with "
            f"{cfg.mapped_cation_diffusion:g}e-10 m^2/s, as Li+ at infinite dilution in EC/DMC")


def mapping_record(cfg) -> dict:
    """The mapping as ``parameters.json`` keeps it."""
    mapped = is_mapped(cfg)
    return {
        "mapped": mapped,
        "physical_ps_per_model_ps": time_scale(cfg),
        "free_cation_diffusion_model_1e-10_m2_s": free_cation_diffusion(cfg) if cfg.solvent == "implicit" else None,
        "mapped_cation_diffusion_1e-10_m2_s": cfg.mapped_cation_diffusion if mapped else None,
        "reference": REFERENCE if mapped else None,
        "text": describe_mapping(cfg),
    }
