"""OpenMM force field and thermostat of the coarse-grained star-anion electrolyte.

Potential energy (lengths nm, energies kJ/mol), in the spirit of the POSS(−20) electrolytes of
Fang et al., J. Mater. Chem. A 2026 (DOI 10.1039/D5TA05739F):

* Coulomb in a uniform dielectric: U = q_i q_j / (4π ε_0 ε_r r), implemented with vacuum permittivity
  and charges q_i = z_i e / √ε_r; long range by particle-mesh Ewald (tin-foil boundary) or by a reaction
  field with conducting surroundings (ε_RF → ∞), both with a real-space cut-off ``cutoff``.
* Weeks–Chandler–Andersen repulsion between all non-bonded beads,
  U = 4ε[(σ_ij/r)^12 − (σ_ij/r)^6] + ε for r < 2^(1/6) σ_ij, with σ_ij = (σ_i + σ_j)/2.
* Harmonic bonds along the arms, U = (k/2)(r − σ_ij)^2; bonded pairs have no other interaction.
* Specific association (``association_kT`` = ε_a > 0): between a cation and a charged arm end only, a
  short-range well of depth ε_a k_B T in the cosine-squared form of Cooke, Kremer & Deserno (Phys. Rev.
  E 72, 011506 (2005)), U = −ε_a for r < r_m = 2^(1/6) σ_ij (where the WCA repulsion ends),
  U = −ε_a cos²(π (r − r_m) / (2 w)) for r_m ≤ r < r_m + w, 0 beyond; w = ``association_range``. It
  stands for what a continuum ε_r cannot describe: the Li⁺–sulfonylimide contact, in which the
  anion's sulfonyl O atoms replace carbonate O atoms in the Li⁺ shell (a desolvation free energy
  and a multidentate contact that lowers the contact-ion-pair free energy beyond the screened
  Coulomb term). The well is within the first shell (r_m + w = 0.44 nm < the 0.45 nm contact
  cut-off of the analyses), so it deepens binding without adding longer-ranged attraction.

Dynamics: Langevin (``LangevinMiddleIntegrator``, friction γ) for the implicit solvent, whose continuum
is at rest in the lab frame; for explicit solvent beads, Newtonian dynamics under a Nosé–Hoover chain
thermostat (``NoseHooverIntegrator``, collision frequency γ), which conserves the total momentum, so
that the solvent and barycentric reference frames differ as in a real liquid. (OpenMM's momentum-
conserving ``DPDIntegrator`` was measured 3–6 times slower than Nosé–Hoover on the CPU platform.)
Model time is mapped onto physical time by :mod:`ionscale.simulate.mapping`.

Why these values (written before any transport result was looked at). The contact energy of a cation
and an arm end in the continuum is the Bjerrum ratio l_B / r: l_B = 55.1 nm / ε_r at 303 K, so at the
WCA contact r ≈ 0.34 nm it is 8.1 k_B T for ε_r = 20 and 4.1 k_B T for ε_r = 40. EC/DMC blends have
a bulk ε_r of a few tens (EC ≈ 90, DMC ≈ 3), and the first solvation shell of a small ion is
dielectrically saturated, so the effective ε_r at contact is lower than the bulk value; ε_r = 20 is
the default. Presets bracket the association (``ASSOCIATION``): *weak* — ε_r = 40, no specific well,
a continuum that screens at contact like the bulk of an EC-rich blend or better, the lower bracket;
*moderate* — ε_r = 20, no well (the default model); *strong* — ε_r = 20 and ε_a = 4 k_B T: the
order of the free energy of one or two Li⁺–O coordination bonds that replace solvent (a few k_B T
each; LiTFSI forms contact ion pairs in DMC-rich carbonates), the upper bracket. None of them is
fitted to a transport number.

What the implicit solvent can and cannot do (the prediction, written before the transport runs). Its
friction is free-draining: every bead feels m γ from the continuum, with no hydrodynamic interaction,
so a molecule of total mass M diffuses with k_B T / (M γ) — a star of 17 beads (2,000 amu) 20 times
slower than a cation, where a real star of ≈ 1 nm radius in a liquid diffuses only ~2–3 times slower
than solvated Li⁺ (Stokes–Einstein, D ∝ 1/R). For clusters of an anion of valence −f with n bound
cations (diffusing with D_c) and free cations (D_f, concentration c_f = c_a (f − n) by
electroneutrality), t₊⁰ ∝ c_f D_f − c_a ⟨n (f − n)⟩ D_c; a negative t₊⁰ needs n D_c ≳ D_f, which the
free-draining D_c ≈ D_f m_+ / M_cluster forbids for any association strength (n ≤ f ≪ M/m_+).

What the runs showed (demo-size system, 4,000 model ps = 336 ns per replica; README "What the model
gives"): strong association binds 98 % of the cations, the terminal D₊/D₋ falls to ≈ 1.6 at 0.2 mol/L
(t₊,PFG ≈ 0.16, as in the paper) and L'₊₊ ≈ L'₊₋ ≈ L'₋₋; but D_f/D_c ≈ 40 > n ≈ 8, and where t₊⁰ is
well determined it is positive (0.2 mol/L: +0.71 ± 0.05 in the automatic window, +0.50 ± 0.34 in
[5, 50] ns); it drifts negative only in late windows whose error bars include 0 (−1.2 ± 0.7 in
[20, 200] ns), and at 0.5 mol/L the ions form one sluggish aggregate (κ ≈ 0.01 mS/cm) in which
t₊⁰ = (L'₊₊ − L'₊₋)/(…) is a ratio of differences of nearly equal numbers and is not determined
(+0.7 ± 3.9). Four 1-µs runs of 8 stars at 0.2 mol/L: +0.56 ± 0.09 in the automatic window, −2.1 ±
0.9 in [50, 500] ns, but the cation self-MSD stays subdiffusive (γ ≈ 0.8) throughout — a gel of
anions bridged by linker cations — so no window meets |γ − 1| ≤ 0.1 and the late negative values are
not Onsager coefficients. Bound cations are dragged with their anions; where the fit is defensible
the rare free cations, ~40 times faster than the anions, still carry the current, as predicted.

With explicit solvent (hydrodynamics; 8 stars, 0.5 mol/L, 2 × 4 model ns each): at 4 k_B T the ions
form one network (99.96 % bound, 96 % linkers) whose charge hardly moves, so t₊⁰ is undefined; with no
well (moderate) 80 % of the cations are bound, few are linkers, and D₊/D₋ falls to 2.6 — the paper's
structure — but a cation stays on one anion for only ~20 ps, far less than the diffusive lags, so the
bound ones do not move with their anions and t₊⁰ = +0.46 ± 0.26 (the cluster Nernst–Einstein picture,
which assumes they do, gives −0.4 to −1.6). A negative t₊⁰ in this criterion needs n D_c ≳ D_f with
the bond outliving the diffusive time, not just a high bound fraction. At 2 k_B T (the midpoint) the
bonds last longer (47 ps), 97.5 % of the cations are bound, L'₊₋ > L'₊₊ and t₊⁰ is negative in every
window (−1.6 to −5.1, ρ₊ ≈ 0.9 in the early ones) — but 71 % of the cations link anions, the ions form
one cluster and no window is diffusive (cation γ ≈ 0.8), so it is the sign of a slowly relaxing
network, not yet a converged Onsager result.
"""

from __future__ import annotations

import numpy as np
import openmm

from .config import WCA_RANGE, SimulationConfig
from .mapping import MOLAR_GAS_CONSTANT
from .topology import Topology

CONDUCTING = 1e10
"""Reaction-field dielectric standing for ε_RF → ∞: the electrolyte beyond the cut-off conducts."""


def build_system(cfg: SimulationConfig, top: Topology) -> openmm.System:
    """The OpenMM System: particles with masses, bonds, scaled Coulomb and WCA forces, cubic box."""
    system = openmm.System()
    box = cfg.box_length
    system.setDefaultPeriodicBoxVectors(openmm.Vec3(box, 0, 0), openmm.Vec3(0, box, 0), openmm.Vec3(0, 0, box))
    for mass in top.masses:
        system.addParticle(float(mass))

    bonds = openmm.HarmonicBondForce()
    for i, j in top.bonds:
        bonds.addBond(int(i), int(j), float(top.sigmas[i] + top.sigmas[j]) / 2, cfg.bond_k)
    system.addForce(bonds)

    coulomb = openmm.NonbondedForce()
    if cfg.electrostatics == "pme":
        coulomb.setNonbondedMethod(openmm.NonbondedForce.PME)
        coulomb.setEwaldErrorTolerance(cfg.ewald_tolerance)
    else:
        coulomb.setNonbondedMethod(openmm.NonbondedForce.CutoffPeriodic)
        coulomb.setReactionFieldDielectric(CONDUCTING)
    coulomb.setCutoffDistance(cfg.cutoff)
    coulomb.setUseDispersionCorrection(False)
    for charge in top.charges:
        coulomb.addParticle(float(charge) * cfg.charge_scale, 1.0, 0.0)
    for i, j in top.bonds:
        coulomb.addException(int(i), int(j), 0.0, 1.0, 0.0)
    system.addForce(coulomb)

    system.addForce(short_range_force(cfg, top))
    return system


WCA = "step(range - r) * (4 * eps * (x^2 - x) + eps)"
PAIR = "; x = (s / r)^6; range = wca_range * s; s = (sigma1 + sigma2) / 2"


def short_range_force(cfg: SimulationConfig, top: Topology) -> openmm.CustomNonbondedForce:
    """WCA repulsion between all non-bonded beads and, with ``association_kT`` > 0, the cation–arm-end well.

    One force, cut at the longest reach of any term: 2^(1/6) σ_ij of the largest pair (a core pair,
    1.12 nm), or the well's r_m + w if longer; each pair's own terms vanish beyond their reach (the
    ``step`` factors), so the cut-off changes no energy. The well is a term of the same expression:
    each bead carries ``site`` = +1 (cation), −1 (charged arm end) or 0, and a pair feels the well when
    site₁ site₂ = −1. It starts where the WCA repulsion ends, r_m = 2^(1/6) σ_ij.

    Why one force (measured, CPU platform, 2 shared cores; ``benchmarks/simulate.py``): an earlier split
    into small-bead pairs (short cut-off) and an interaction group of the cores with everything visited
    fewer pairs, but OpenMM's CPU platform pays a neighbour-list build and a thread dispatch per force and
    runs interaction groups without its fast path; the single force is 10–16 % faster per step for the
    demo and star-anion presets (200–800 beads) and 1.4–1.7 times faster at 5,000 beads, with the same
    energy and forces (``tests/simulate``: old and new agree to round-off).
    """
    energy = WCA
    if cfg.association_kT > 0:
        energy += (" - depth * step(-site1 * site2 - 0.5)"
                   " * select(step(r - range), step(range + width - r) * cos(0.5 * pi * (r - range) / width)^2, 1)")
    force = openmm.CustomNonbondedForce(energy + PAIR)
    force.addPerParticleParameter("sigma")
    force.addPerParticleParameter("site")
    reach = WCA_RANGE * float(top.sigmas.max())
    if cfg.association_kT > 0:
        force.addGlobalParameter("depth", cfg.association_kT * MOLAR_GAS_CONSTANT * cfg.temperature)
        force.addGlobalParameter("width", cfg.association_range)
        force.addGlobalParameter("pi", np.pi)
        reach = max(reach, WCA_RANGE * (cfg.sigma_cation + cfg.sigma_bead) / 2 + cfg.association_range)
    force.setCutoffDistance(reach)
    sites = np.where(top.names == "CAT", 1.0, np.where(top.names == "TIP", -1.0, 0.0))
    for sigma, site in zip(top.sigmas, sites):
        force.addParticle([float(sigma), float(site)])
    force.addGlobalParameter("eps", cfg.wca_epsilon)
    force.addGlobalParameter("wca_range", WCA_RANGE)
    force.setNonbondedMethod(openmm.CustomNonbondedForce.CutoffPeriodic)
    for i, j in top.bonds:
        force.addExclusion(int(i), int(j))
    return force


def make_integrator(cfg: SimulationConfig, seed: int) -> openmm.Integrator:
    """Langevin for the implicit solvent; momentum-conserving Nosé–Hoover chains for explicit solvent.

    ``seed`` (a positive integer; OpenMM draws a random one for 0) sets the Langevin noise; the
    Nosé–Hoover integrator is deterministic.
    """
    if cfg.solvent == "explicit":
        return openmm.NoseHooverIntegrator(cfg.temperature, cfg.friction, cfg.timestep)
    integrator = openmm.LangevinMiddleIntegrator(cfg.temperature, cfg.friction, cfg.timestep)
    integrator.setRandomNumberSeed(seed)
    return integrator


def initial_velocities(cfg: SimulationConfig, top: Topology, rng: np.random.Generator) -> np.ndarray:
    """Maxwell–Boltzmann velocities [nm/ps], σ_v = √(k_B T / m) per component, zero total momentum."""
    masses = top.masses[:, None]
    velocities = np.sqrt(MOLAR_GAS_CONSTANT * cfg.temperature / masses) * rng.normal(size=(top.n_beads, 3))
    return velocities - (masses * velocities).sum(0) / masses.sum()
