"""Simulations: readable output, correct temperature, reproducibility, exact resumption, no overwrites."""

import json
import shutil

import MDAnalysis as mda
import numpy as np
import openmm
import pytest
from scipy.constants import R

from ionscale import Electrolyte, OnsagerAnalysis
from ionscale.simulate import OutputExistsError, preset, run_replicas, run_simulation
from ionscale.simulate import protocol
from ionscale.simulate.dcd import Trajectory
from ionscale.simulate.models import build_system, initial_velocities, make_integrator
from ionscale.simulate.placement import place
from ionscale.simulate.topology import Topology

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_trajectory_reads_in_mdanalysis(reference, tiny):
    out, _ = reference
    u = out.universe()
    n_tail = tiny.n_anions * tiny.arms * tiny.arm_length
    assert u.atoms.n_atoms == tiny.n_cations + tiny.n_anions + n_tail == 78
    assert len(u.residues) == tiny.n_cations + tiny.n_anions  # one residue per molecule
    assert len(u.atoms.fragments) == len(u.residues)  # bonds join exactly the molecules
    assert len(u.bonds) == n_tail
    cations, anions = u.select_atoms("resname CAT"), u.select_atoms("resname ANI")
    assert (cations.n_residues, anions.n_residues) == (24, 6)
    # formal charges: molecules round to valences +1 and -f; the 1/sqrt(eps_r) scaling is in the JSON
    assert np.allclose(cations.residues.charges, 1) and np.allclose(anions.residues.charges, -tiny.arms)
    assert np.allclose(anions.residues.masses, tiny.core_mass + 8 * tiny.bead_mass)
    assert np.allclose(cations.masses, tiny.bead_mass)
    # frame times are mapped onto physical time: 0.5 model ps x k_B T / (m gamma D_ref)
    scale = R * tiny.temperature / 1000 / (tiny.bead_mass * tiny.friction) / (tiny.mapped_cation_diffusion * 1e-4)
    assert len(u.trajectory) == 20 and u.trajectory.dt == pytest.approx(0.5 * scale, rel=1e-5)
    assert u.dimensions == pytest.approx([10 * tiny.box_length] * 3 + [90] * 3, rel=1e-5)
    record = json.loads(out.parameters.read_text())
    assert record["status"] == "complete" and record["n_frames"] == 20
    assert record["charge_scale"] == pytest.approx(tiny.epsilon_r**-0.5)
    assert record["trajectory_frame_interval_ps"] == pytest.approx(0.5 * scale)
    assert record["time_mapping"]["mapped"] and "Li+" in record["time_mapping"]["text"]
    assert record["frame_interval_ps"] == 0.5 and record["openmm_version"] == openmm.version.full_version
    assert record["species"]["anion"] == {"resname": "ANI", "molecules": 6, "beads_per_molecule": 9,
                                          "valence": -4, "molecule_mass_amu": 1200.0}


def _temperatures(cfg, steps_between, samples, seed=3):
    """Kinetic temperatures sampled every ``steps_between`` steps after a 20 ps equilibration."""
    top = Topology.from_config(cfg)
    integrator = make_integrator(cfg, seed)
    context = openmm.Context(build_system(cfg, top), integrator, openmm.Platform.getPlatformByName("CPU"))
    rng = np.random.default_rng(seed)
    context.setPositions(place(cfg, top, rng))
    openmm.LocalEnergyMinimizer.minimize(context, 10.0)
    context.setVelocities(initial_velocities(cfg, top, rng))
    integrator.step(cfg.steps(20.0))
    kinetic = []
    for _ in range(samples):
        integrator.step(steps_between)
        state = context.getState(getEnergy=True, getVelocities=True)
        kinetic.append(state.getKineticEnergy().value_in_unit(openmm.unit.kilojoule_per_mole))
    momentum = (top.masses[:, None] * state.getVelocities(asNumpy=True)._value).sum(0)
    return np.array(kinetic), top, momentum


@pytest.mark.parametrize("solvent", ["implicit", "explicit"])
def test_temperature_averages_to_the_target(tiny, solvent):
    """<T> within 4 standard errors; its spread within 30 % of the canonical T sqrt(2/N_dof).

    Samples are 2 ps apart, twice the thermostat time 1/gamma, hence nearly independent: the standard
    error of the mean is T sqrt(2/N_dof) / sqrt(n_samples) (2.9 K implicit, 1.5 K explicit).
    """
    extra = dict(solvent="explicit", solvent_density=3.0) if solvent == "explicit" else {}
    cfg = tiny.model_copy(update=dict(electrostatics="reaction-field", **extra))
    kinetic, top, momentum = _temperatures(cfg, cfg.steps(2.0), samples=40)
    dof = 3 * top.n_beads - (3 if solvent == "explicit" else 0)  # Nosé–Hoover conserves the zero momentum
    temperature = 2 * kinetic / (dof * R / 1000)
    spread = cfg.temperature * np.sqrt(2 / dof)
    assert abs(temperature.mean() - cfg.temperature) < 4 * spread / np.sqrt(len(temperature))
    assert temperature.std(ddof=1) == pytest.approx(spread, rel=0.3)
    if solvent == "explicit":
        assert np.abs(momentum).max() < 1e-2  # amu nm/ps, from ~sqrt(N m k_B T) ~ 300 if not conserved


def test_same_seed_same_trajectory(reference, tiny, tmp_path, coordinates):
    _, expected = reference
    again = run_simulation(tiny, tmp_path / "again", seed=7, deterministic=True)
    assert np.array_equal(coordinates(again), expected)
    other = run_simulation(tiny, tmp_path / "other", seed=8, deterministic=True)
    assert not np.allclose(coordinates(other), expected)


def test_resume_after_ctrl_c_continues_exactly(reference, tiny, tmp_path, monkeypatch, coordinates):
    """10 frames, Ctrl-C (checkpoint saved on the way out), resume: the same 20 frames as one go."""
    _, expected = reference
    write = Trajectory.write

    def interrupt_after_ten(self, state):
        write(self, state)
        if self.n_frames == 10:
            raise KeyboardInterrupt

    monkeypatch.setattr(Trajectory, "write", interrupt_after_ten)
    with pytest.raises(KeyboardInterrupt):
        run_simulation(tiny, tmp_path, seed=7, deterministic=True, checkpoint_seconds=1e9)
    record = json.loads((tmp_path / "parameters.json").read_text())
    assert (record["status"], record["n_frames"]) == ("running", 10)
    monkeypatch.undo()
    assert np.array_equal(coordinates(run_simulation(tiny, tmp_path, seed=7, deterministic=True)), expected)


def test_resume_after_crash_truncates_the_trajectory(reference, tiny, tmp_path, monkeypatch, coordinates):
    """A crash while checkpointing leaves frames beyond the last checkpoint: they are cut and redone."""
    _, expected = reference
    calls = {"n": 0}
    checkpoint = protocol._Run._checkpoint

    def crash_at_twelfth_frame(self, trajectory):
        if trajectory.n_frames == 12:
            raise RuntimeError("simulated power cut")
        checkpoint(self, trajectory)
        calls["n"] += 1

    monkeypatch.setattr(protocol._Run, "_checkpoint", crash_at_twelfth_frame)
    with pytest.raises(RuntimeError, match="power cut"):
        run_simulation(tiny, tmp_path, seed=7, deterministic=True, checkpoint_seconds=0)
    monkeypatch.undo()
    assert json.loads((tmp_path / "parameters.json").read_text())["n_frames"] == 11
    assert np.array_equal(coordinates(run_simulation(tiny, tmp_path, seed=7, deterministic=True)), expected)


def test_output_is_never_overwritten_silently(reference, tiny, tmp_path):
    out, _ = reference
    before = out.trajectory.read_bytes()
    changed = r"different configuration \(concentration 0.5 -> 0.4\).*overwrite=True"
    with pytest.raises(OutputExistsError, match=changed):
        run_simulation(tiny.model_copy(update={"concentration": 0.4}), out.directory, seed=7)
    with pytest.raises(OutputExistsError, match=r"different configuration \(seed 7 -> 8\)"):
        run_simulation(tiny, out.directory, seed=8)
    with pytest.raises(OutputExistsError, match="already holds this run"):
        run_simulation(tiny, out.directory, seed=7, resume=False)
    assert run_simulation(tiny, out.directory, seed=7) == out  # finished: returned as it is
    assert out.trajectory.read_bytes() == before
    (tmp_path / "trajectory.dcd").write_bytes(b"someone else's")
    with pytest.raises(OutputExistsError, match="contains trajectory.dcd without a run record"):
        run_simulation(tiny, tmp_path, seed=7)


def test_replicas_go_to_their_own_folders(tiny, tmp_path):
    quick = tiny.model_copy(update={"production": 2.0})
    outputs = run_replicas(quick, tmp_path, seeds=(1, 2))
    assert [o.directory.name for o in outputs] == ["seed-1", "seed-2"]
    assert all(o.trajectory.exists() and o.topology.exists() for o in outputs)
    with pytest.raises(ValueError, match="replica seeds must differ"):
        run_replicas(quick, tmp_path, seeds=(1, 1))


def test_explicit_solvent_is_resname_sol(tmp_path):
    cfg = preset("explicit-solvent", arms=4, n_anions=2, cutoff=1.4, anneal_cycles=0, equilibration=1.0,
                 production=2.0, frame_interval=1.0)
    u = run_simulation(cfg, tmp_path, seed=1).universe()
    assert u.select_atoms("resname SOL").n_residues == cfg.n_solvent > 200
    assert np.allclose(u.select_atoms("resname SOL").charges, 0)
    es = Electrolyte.from_universe(u, cation="resname CAT", anion="resname ANI", solvent="resname SOL")
    assert "simulated by ionscale: times, D and kappa in model units (no time mapping)" in es.notes
    assert ("simulated by ionscale with a continuum ε_r = 20 (the force field scales the formal charges of the "
            "topology): give it for the Debye length (--epsilon-r 20)") in es.notes


def test_an_analysis_names_the_time_mapping_of_the_simulation(reference, tmp_path):
    """The simulation's parameters.json beside the trajectory puts its time mapping into the notes of
    every analysis of it (results.json, the study's state points); a trajectory elsewhere has none."""
    out, _ = reference
    u = out.universe()
    es = Electrolyte.from_universe(u, cation="resname CAT", anion="resname ANI", implicit_solvent=True)
    mapped = [n for n in es.notes if n.startswith("simulated by ionscale: ")]
    assert mapped == ["simulated by ionscale: " + json.loads(out.parameters.read_text())["time_mapping"]["text"]]
    assert "time mapped: 1 model ps = " in mapped[0] and "as Li+ at infinite dilution in EC/DMC" in mapped[0]
    result = OnsagerAnalysis(es, temperature=303.0, fit=(100.0, 400.0), n_blocks=1, cache=False).run()
    assert mapped[0] in result.notes
    for name in ("topology.psf", "trajectory.dcd"):
        shutil.copy(out.directory / name, tmp_path / name)                 # the same files, no record beside
    moved = mda.Universe(str(tmp_path / "topology.psf"), str(tmp_path / "trajectory.dcd"))
    assert not [n for n in Electrolyte.from_universe(moved, cation="resname CAT", anion="resname ANI",
                                                     implicit_solvent=True).notes if "simulated by" in n]
