"""The model's physical knobs: the association well, its effect on binding, the time mapping."""

import numpy as np
import openmm
import pytest
from scipy.constants import R

from ionscale import Electrolyte, OnsagerAnalysis
from ionscale.simulate import ASSOCIATION, PRESETS, preset, run_simulation
from ionscale.simulate.config import WCA_RANGE
from ionscale.simulate.placement import place
from ionscale.simulate.mapping import REFERENCE_CATION_DIFFUSION, free_cation_diffusion, time_scale
from ionscale.simulate.models import short_range_force
from ionscale.simulate.protocol import fastest_platform
from ionscale.errors import IonscaleError
from ionscale.simulate.species import CONTACT_CUTOFF_NM
from ionscale.simulate.topology import Topology

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


def test_association_well_has_the_documented_shape():
    """U(r) = -eps kT inside the WCA core, -eps kT cos^2(pi (r - r_m) / 2w) over the width w, 0 beyond;
    only cation-tip pairs feel it: the short-range energy with the well minus the one without."""
    cfg = preset("star-anion", arms=4, n_anions=6, concentration=0.1, cutoff=1.5, association_kT=4.0,
                 association_range=0.12)
    top = Topology.from_config(cfg)
    contexts = []
    for depth in (cfg.association_kT, 0.0):
        system = openmm.System()
        for _ in range(top.n_beads):
            system.addParticle(1.0)
        box = cfg.box_length
        system.setDefaultPeriodicBoxVectors(openmm.Vec3(box, 0, 0), openmm.Vec3(0, box, 0), openmm.Vec3(0, 0, box))
        system.addForce(short_range_force(cfg.model_copy(update={"association_kT": depth}), top))
        contexts.append(openmm.Context(system, openmm.VerletIntegrator(0.001),
                                       openmm.Platform.getPlatformByName("Reference")))
    grid = np.stack(np.meshgrid(*[np.arange(6) * 1.2] * 3, indexing="ij"), -1).reshape(-1, 3)[: top.n_beads]
    cations, tips = np.flatnonzero(top.names == "CAT"), np.flatnonzero(top.names == "TIP")
    kT = R / 1000 * cfg.temperature
    r_m = WCA_RANGE * 0.30

    def well(a, b, r):
        x = grid.copy()
        x[b] = x[a] + [r, 0, 0]
        energies = []
        for context in contexts:
            context.setPositions(x)
            energies.append(context.getState(getEnergy=True).getPotentialEnergy().value_in_unit(
                openmm.unit.kilojoule_per_mole))
        return energies[0] - energies[1]

    for r in (0.30, 0.33, r_m + 0.03, r_m + 0.06, r_m + 0.11, r_m + 0.13, 0.9):
        expected = -4 * kT * (np.cos(np.pi * (r - r_m) / 0.24) ** 2 if r > r_m else 1.0) * (r < r_m + 0.12)
        assert well(cations[0], tips[0], r) == pytest.approx(expected, abs=1e-6)
    assert well(cations[0], cations[1], 0.33) == pytest.approx(0.0, abs=1e-9)
    assert well(tips[0], tips[5], 0.33) == pytest.approx(0.0, abs=1e-9)


def test_short_range_forces_equal_the_brute_force_pair_sum():
    """WCA between every non-bonded pair plus the cation-tip well, summed over all pairs (minimum image) in
    numpy, equals OpenMM's energy of the short-range force on a packed box."""
    cfg = preset("star-anion", arms=4, n_anions=12, concentration=1.0, cutoff=1.5, association_kT=3.0)
    top = Topology.from_config(cfg)
    x = place(cfg, top, np.random.default_rng(4))
    box = cfg.box_length
    system = openmm.System()
    for _ in range(top.n_beads):
        system.addParticle(1.0)
    system.setDefaultPeriodicBoxVectors(openmm.Vec3(box, 0, 0), openmm.Vec3(0, box, 0), openmm.Vec3(0, 0, box))
    system.addForce(short_range_force(cfg, top))
    context = openmm.Context(system, openmm.VerletIntegrator(0.001), openmm.Platform.getPlatformByName("CPU"))
    context.setPositions(x)
    energy = context.getState(getEnergy=True).getPotentialEnergy().value_in_unit(openmm.unit.kilojoule_per_mole)

    i, j = np.triu_indices(top.n_beads, 1)
    bonded = {tuple(sorted(b)) for b in top.bonds.tolist()}
    keep = np.array([(a, b) not in bonded for a, b in zip(i, j)])
    i, j = i[keep], j[keep]
    d = x[i] - x[j]
    d -= box * np.round(d / box)
    r = np.sqrt((d**2).sum(1))
    sigma = (top.sigmas[i] + top.sigmas[j]) / 2
    r_m = WCA_RANGE * sigma
    wca = np.where(r < r_m, 4 * cfg.wca_epsilon * ((sigma / r) ** 12 - (sigma / r) ** 6) + cfg.wca_epsilon, 0.0)
    pair = ((top.names[i] == "CAT") & (top.names[j] == "TIP")) | ((top.names[i] == "TIP") & (top.names[j] == "CAT"))
    w = cfg.association_range
    shape = np.where(r < r_m, 1.0, np.where(r < r_m + w, np.cos(np.pi * (r - r_m) / (2 * w)) ** 2, 0.0))
    expected = wca.sum() - (cfg.association_kT * R / 1000 * cfg.temperature * shape * pair).sum()
    core_core = (top.names[i] == "COR") & (top.names[j] == "COR")
    # the packed box tests every term: small pairs, pairs with a core (core-core counted once), the well
    assert (wca > 0).sum() > 20 and (wca[core_core] > 0).sum() > 0 and (pair & (shape > 0)).sum() > 0
    assert energy == pytest.approx(expected, rel=1e-5)


def _bound_fraction(output, cutoff_nm: float) -> float:
    """Brute force: the fraction of (cation, frame) with an arm end closer than ``cutoff_nm`` (minimum image)."""
    u = output.universe()
    cations, tips = u.select_atoms("name CAT"), u.select_atoms("name TIP")
    bound = []
    for ts in u.trajectory:
        box = ts.dimensions[:3] / 10
        d = cations.positions[:, None] / 10 - tips.positions[None] / 10
        d -= box * np.round(d / box)
        bound.append((np.sqrt((d**2).sum(-1)) < cutoff_nm).any(1))
    return float(np.mean(bound))


def test_stronger_association_binds_more_cations(tiny, tmp_path):
    """The bracket weak -> moderate -> strong raises the bound fraction (same system, seed and length)."""
    fractions = {}
    for level, fields in ASSOCIATION.items():
        cfg = tiny.model_copy(update=dict(fields, electrostatics="reaction-field", production=20.0))
        fractions[level] = _bound_fraction(run_simulation(cfg, tmp_path / level, seed=3), CONTACT_CUTOFF_NM["anion"])
    assert fractions["weak"] + 0.1 < fractions["moderate"] < fractions["strong"] - 0.1, fractions


def _analysis(output, fit=None, n_blocks=5):
    es = Electrolyte.from_universe(output.universe(), cation="resname CAT", anion="resname ANI",
                                   implicit_solvent=True)
    return OnsagerAnalysis(es, temperature=output.config.temperature, fit=fit, n_blocks=n_blocks, cache=False).run()


def test_mapped_free_cation_diffuses_like_the_reference(tmp_path):
    """Cations that barely interact (eps_r = 1e4, 0.05 mol/L) diffuse with the calibrated D_ref after the mapping.

    In model time a free Langevin bead has D = k_B T / (m gamma) exactly; the WCA collisions at a bead
    volume fraction of 1e-3 lower it by well under 1 %.
    """
    cfg = preset("monovalent", n_anions=60, concentration=0.05, epsilon_r=1e4, electrostatics="reaction-field",
                 anneal_cycles=0, equilibration=10.0, production=400.0, frame_interval=2.0)
    res = _analysis(run_simulation(cfg, tmp_path, seed=2))
    d = res.D["lab"]
    tolerance = 4 * d.stderr[0] + 0.01 * REFERENCE_CATION_DIFFUSION
    assert d.value[0] == pytest.approx(REFERENCE_CATION_DIFFUSION, abs=tolerance)
    assert d.stderr[0] < 0.1 * REFERENCE_CATION_DIFFUSION  # the check has teeth
    # model time: D = k_B T / (m gamma) = 252e-10 m^2/s, the mapping divides by 84
    assert free_cation_diffusion(cfg) / time_scale(cfg) == pytest.approx(REFERENCE_CATION_DIFFUSION)


def test_mapping_scales_d_and_kappa_but_no_ratio(tiny, tmp_path):
    """The same deterministic run under two mappings: D and kappa scale by the ratio of the mappings, t+^0,
    rho+, t+,PFG and kappa/kappa_NE are identical; no mapping writes model time."""
    results = {}
    for d_ref in (3.0, 1.5, 0.0):
        cfg = tiny.model_copy(update=dict(mapped_cation_diffusion=d_ref, production=20.0))
        window = (1.25 * time_scale(cfg), 4.25 * time_scale(cfg))  # the same frames (0.5 ps apart) in every unit
        output = run_simulation(cfg, tmp_path / f"d{d_ref}", seed=5, deterministic=True)
        results[d_ref] = _analysis(output, window, n_blocks=2)
    ratio = time_scale(tiny.model_copy(update=dict(mapped_cation_diffusion=1.5))) / time_scale(tiny)
    assert ratio == pytest.approx(2.0)
    fast, slow, model = results[3.0], results[1.5], results[0.0]  # DCD time stamps are float32: rel 1e-5
    assert fast.D["lab"].value == pytest.approx(ratio * slow.D["lab"].value, rel=1e-5)
    assert fast.conductivity["lab"].value == pytest.approx(ratio * slow.conductivity["lab"].value, rel=1e-5)
    assert model.D["lab"].value == pytest.approx(time_scale(tiny) * fast.D["lab"].value, rel=1e-5)
    for quantity in ("t_plus", "rho_plus", "t_plus_pfg", "ionicity"):
        values = [getattr(r, quantity)["lab"].value for r in (fast, slow, model)]
        assert values == pytest.approx([values[0]] * 3, rel=1e-9, abs=1e-12), quantity


def test_monovalent_reference_has_a_positive_transference_number(tmp_path):
    """The f = 1 salt of the same beads: 0 < t+^0 < 1, two error bars (blocks) above 0.

    The free-draining friction makes the 600 amu anion ~6 times slower than the cation: t+^0 ≈ 6/7
    for uncorrelated ions; the run is deterministic, so the check does not depend on thread timing."""
    cfg = preset("monovalent", n_anions=64, electrostatics="reaction-field", timestep=0.02, anneal_cycles=1,
                 anneal_length=10.0, equilibration=20.0, production=300.0, frame_interval=1.0, cutoff=1.5)
    t = _analysis(run_simulation(cfg, tmp_path, seed=1, deterministic=True)).t_plus["lab"]
    assert 0 < t.value - 2 * t.stderr and t.value < 1, t


@pytest.mark.parametrize("name", ["weak-association", "strong-association"])
def test_association_presets_bracket_the_default(name):
    cfg, default = preset(name), preset("star-anion")
    assert (cfg.arms, cfg.n_anions, cfg.concentration) == (default.arms, default.n_anions, default.concentration)
    weak = name.startswith("weak")
    assert (cfg.epsilon_r > default.epsilon_r) == weak and (cfg.association_kT > 0) == (not weak)
    assert name in PRESETS


def _split_short_range_forces(cfg, top):
    """The short-range forces as they were before the single force (issue 11): small-bead pairs with a
    ``core`` flag and a short cut-off, plus an interaction group of the cores with everything."""
    from ionscale.simulate.models import PAIR, WCA
    from ionscale.simulate.mapping import MOLAR_GAS_CONSTANT
    is_core = top.names == "COR"
    energy = WCA + (" - depth * step(-site1 * site2 - 0.5) * select(step(r - range), step(range + width - r)"
                    " * cos(0.5 * pi * (r - range) / width)^2, 1)")
    small = openmm.CustomNonbondedForce(f"(1 - core1) * (1 - core2) * ({energy}){PAIR}")
    for name in ("sigma", "site", "core"):
        small.addPerParticleParameter(name)
    small.addGlobalParameter("depth", cfg.association_kT * MOLAR_GAS_CONSTANT * cfg.temperature)
    small.addGlobalParameter("width", cfg.association_range)
    small.addGlobalParameter("pi", np.pi)
    small.setCutoffDistance(max(WCA_RANGE * float(top.sigmas[~is_core].max()),
                                WCA_RANGE * (cfg.sigma_cation + cfg.sigma_bead) / 2 + cfg.association_range))
    sites = np.where(top.names == "CAT", 1.0, np.where(top.names == "TIP", -1.0, 0.0))
    for sigma, site, core in zip(top.sigmas, sites, is_core):
        small.addParticle([float(sigma), float(site), float(core)])
    cores = openmm.CustomNonbondedForce(WCA + PAIR)
    cores.addPerParticleParameter("sigma")
    for sigma in top.sigmas:
        cores.addParticle([float(sigma)])
    cores.setCutoffDistance(WCA_RANGE * float(top.sigmas.max()))
    core_index, others = [int(i) for i in np.flatnonzero(is_core)], [int(i) for i in np.flatnonzero(~is_core)]
    cores.addInteractionGroup(core_index, others)
    cores.addInteractionGroup(core_index, core_index)
    for force in (small, cores):
        force.addGlobalParameter("eps", cfg.wca_epsilon)
        force.addGlobalParameter("wca_range", WCA_RANGE)
        force.setNonbondedMethod(openmm.CustomNonbondedForce.CutoffPeriodic)
        for i, j in top.bonds:
            force.addExclusion(int(i), int(j))
    return [small, cores]


@pytest.mark.parametrize("platform", ["Reference", "CPU"])
@pytest.mark.parametrize("base", ["demo", "star-anion"])
def test_single_short_range_force_has_the_hamiltonian_of_the_split_forces(base, platform):
    """The faster force field (one short-range force) gives the total energy and every particle's force
    of the old one (split short-range forces; same bonds and Coulomb) on a packed, minimised-free random
    configuration at strong association, to 1e-4 relative."""
    from ionscale.simulate.models import build_system
    cfg = preset(base, **ASSOCIATION["strong"], concentration=1.0)
    top = Topology.from_config(cfg)
    x = place(cfg, top, np.random.default_rng(7))
    new = build_system(cfg, top)
    old = build_system(cfg, top)
    old.removeForce(old.getNumForces() - 1)
    for force in _split_short_range_forces(cfg, top):
        old.addForce(force)
    assert (new.getNumForces(), old.getNumForces()) == (3, 4)
    results = []
    for system in (new, old):
        context = openmm.Context(system, openmm.VerletIntegrator(0.001), openmm.Platform.getPlatformByName(platform))
        context.setPositions(x)
        state = context.getState(getEnergy=True, getForces=True)
        results.append((state.getPotentialEnergy().value_in_unit(openmm.unit.kilojoule_per_mole),
                        state.getForces(asNumpy=True).value_in_unit(openmm.unit.kilojoule_per_mole / openmm.unit.nanometer)))
    (e_new, f_new), (e_old, f_old) = results
    assert abs(e_old) > 1.0 and np.abs(f_old).max() > 100.0  # a configuration with real work for both
    assert e_new == pytest.approx(e_old, rel=1e-4)
    scale = np.linalg.norm(f_old, axis=1).max()
    assert np.abs(f_new - f_old).max() <= 1e-4 * scale


@pytest.mark.parametrize("names, chosen", [
    (["Reference", "CPU", "CUDA", "OpenCL"], "CUDA"),
    (["Reference", "OpenCL", "CPU"], "OpenCL"),
    (["Reference", "CPU", "HIP"], "HIP"),
    (["Reference", "CPU"], "CPU"),
    (["Reference", "SomePlugin"], "Reference"),
    (["Reference"], "Reference"),
])
def test_a_gpu_platform_is_picked_whenever_one_is_installed(names, chosen):
    assert fastest_platform(names) == chosen
    assert fastest_platform(reversed(names)) == chosen


def test_no_platform_is_a_clear_error():
    with pytest.raises(IonscaleError, match="no platform"):
        fastest_platform([])
