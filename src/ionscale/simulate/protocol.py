"""The simulation protocol: pack, minimise, anneal, equilibrate, produce — resumable, reproducible.

Following Fang et al., J. Mater. Chem. A 2026 (DOI 10.1039/D5TA05739F): the molecules are packed at
random, the energy is minimised, the system goes through ``anneal_cycles`` cycles in which the
thermostat temperature ramps linearly from 303 K to ``anneal_temperature`` (400 K) and back, then it is
equilibrated and a production run is written every ``frame_interval`` ps. The paper runs NpT; here the
box is fixed by the concentration (NVT). Independent replicas differ only in their seed (placement,
initial velocities, thermostat noise), as the paper's four runs per state point.

Everything is a deterministic function of (config, seed, platform): the run advances in chunks of one
frame interval, the thermostat temperature is a function of the step number alone, and a checkpoint
(OpenMM's binary checkpoint: positions, velocities, step count, random-number state) is written
atomically every ``checkpoint_seconds`` of wall time, at the end of each phase and on Ctrl-C. A resumed
run cuts the trajectory back to the checkpoint and continues as if it had never stopped.

Files in the output directory: ``topology.psf``, ``trajectory.dcd`` (production only, wrapped so that
molecules stay whole; its frame times are physical ps through the time mapping of
:mod:`ionscale.simulate.mapping`, model ps where there is none), ``parameters.json`` (config, seed,
species, OpenMM version, platform, timings, frame interval in model and trajectory time, the time
mapping) and ``checkpoint.chk``. The config's durations are model ps. Output is never overwritten silently.

Example
-------
>>> from ionscale.simulate import preset, run_simulation
>>> out = run_simulation(preset("demo-quick"), "sim/0.5M", seed=1, progress=True)  # doctest: +SKIP
>>> u = out.universe()                                                             # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Union

import numpy as np
import openmm

from ..errors import IonscaleError
from ..core.files import atomic_write
from .config import SimulationConfig
from .dcd import Trajectory
from .mapping import describe_mapping, mapping_record, time_scale
from .models import build_system, initial_velocities, make_integrator
from .placement import place
from .progress import SimulationProgress
from .psf import write_psf
from .topology import RESNAMES, Topology

PathLike = Union[str, os.PathLike]
FORMAT = "ionscale-simulation/1"
MINIMISE_TOLERANCE = 10.0
"""Energy minimisation stops when the largest force is below this [kJ/mol/nm]."""


class OutputExistsError(IonscaleError):
    """The output directory holds another run (or foreign files) and overwriting was not asked for."""


@dataclass(frozen=True)
class SimulationOutput:
    """The files of one finished run: PSF topology, production DCD, parameters JSON."""

    directory: Path
    config: SimulationConfig
    seed: int

    @property
    def topology(self) -> Path:
        return self.directory / "topology.psf"

    @property
    def trajectory(self) -> Path:
        return self.directory / "trajectory.dcd"

    @property
    def parameters(self) -> Path:
        return self.directory / "parameters.json"

    @property
    def checkpoint(self) -> Path:
        return self.directory / "checkpoint.chk"

    def universe(self):
        """The run as an ``MDAnalysis.Universe`` (masses, formal charges, bonds, one residue per molecule)."""
        import MDAnalysis

        return MDAnalysis.Universe(str(self.topology), str(self.trajectory))


@dataclass(frozen=True)
class Schedule:
    """Step counts of the phases and the thermostat temperature at every step.

    The run advances in chunks of ``chunk`` steps (one frame interval); production frames are written
    at the end of each production chunk, so after step s the trajectory holds frames_at(s) frames.
    """

    chunk: int
    cycle: int
    anneal: int
    equilibration: int
    production: int
    temperature: float
    hot: float

    @classmethod
    def from_config(cls, cfg: SimulationConfig) -> "Schedule":
        cycle = cfg.steps(cfg.anneal_length)
        return cls(chunk=cfg.steps(cfg.frame_interval), cycle=cycle, anneal=cfg.anneal_cycles * cycle,
                   equilibration=cfg.steps(cfg.equilibration), production=cfg.steps(cfg.production),
                   temperature=cfg.temperature, hot=cfg.anneal_temperature)

    @property
    def production_start(self) -> int:
        return self.anneal + self.equilibration

    @property
    def total(self) -> int:
        return self.production_start + self.production

    def phase(self, step: int) -> str:
        """Name of the phase that the chunk starting at ``step`` belongs to."""
        if step < self.anneal:
            return "anneal"
        return "equilibration" if step < self.production_start else "production"

    def thermostat(self, step: int) -> float:
        """Temperature [K] for the chunk starting at ``step``: a triangle 303 K → hot → 303 K per cycle."""
        if step >= self.anneal:
            return self.temperature
        u = ((step + self.chunk / 2) % self.cycle) / self.cycle
        return self.temperature + (self.hot - self.temperature) * (1 - abs(2 * u - 1))

    def frames_at(self, step: int) -> int:
        return max(0, step - self.production_start) // self.chunk


def run_simulation(
    config: SimulationConfig,
    out_dir: PathLike,
    seed: int = 1,
    *,
    progress: bool = False,
    resume: bool = True,
    overwrite: bool = False,
    platform: Optional[str] = None,
    deterministic: bool = False,
    checkpoint_seconds: float = 60.0,
) -> SimulationOutput:
    """Run (or resume, or just return) one replica of ``config`` with ``seed`` into ``out_dir``.

    resume: continue an unfinished run of the same config and seed in ``out_dir``, or return a finished
        one at once; with ``resume=False`` any existing run is refused.
    overwrite: delete this run's files in ``out_dir`` (only those) and start again.
    platform: OpenMM platform name ("CPU", "CUDA", "OpenCL", "Reference"); default the fastest one,
        or the one a resumed checkpoint was written on (checkpoints are platform-specific).
    deterministic: bitwise reproducible from the seed, resumed or not (CPU: one thread, up to half
        the speed on two cores; GPUs: deterministic force summation; the context is rebuilt from
        its state at every frame, a few % of the run time). Otherwise runs with the same
        seed agree statistically but not bitwise, since multi-threaded force sums vary in order.
    checkpoint_seconds: wall time between checkpoints.
    """
    if seed < 0:
        raise IonscaleError(f"seed must be a non-negative integer, got {seed}")
    output = SimulationOutput(Path(out_dir), config, seed)
    if overwrite:  # validate first, delete last: a run that cannot start must not cost the finished one
        run = _Run(output, {}, platform, deterministic, progress, checkpoint_seconds)
        _claim(output, resume, overwrite=True)
        run.execute()
        return output
    record = _claim(output, resume, overwrite)
    if record.get("status") == "complete":
        return output
    if record and platform and platform != record["platform"]:
        raise IonscaleError(
            f"{output.checkpoint} was written on the {record['platform']} platform and can only be resumed "
            f"there; drop platform={platform!r}, or start again with overwrite=True"
        )
    _Run(output, record, platform or record.get("platform"), deterministic, progress, checkpoint_seconds).execute()
    return output


def run_replicas(config: SimulationConfig, out_dir: PathLike, seeds: Iterable[int] = (1, 2),
                 **kwargs) -> list[SimulationOutput]:
    """Independent replicas of ``config``, one per seed, in ``out_dir/seed-<seed>``; kwargs as run_simulation."""
    seeds = list(seeds)
    if len(set(seeds)) != len(seeds):
        raise IonscaleError(f"replica seeds must differ, got {seeds}")
    return [run_simulation(config, Path(out_dir) / f"seed-{seed}", seed, **kwargs) for seed in seeds]


class _Run:
    """One execution of a run: builds the OpenMM context, then advances it chunk by chunk."""

    def __init__(self, output: SimulationOutput, record: dict, platform: Optional[str], deterministic: bool,
                 progress: bool, checkpoint_seconds: float):
        cfg = output.config
        self.output = output
        self.cfg = cfg
        self.top = Topology.from_config(cfg)
        self.schedule = Schedule.from_config(cfg)
        self.progress = progress
        self.deterministic = deterministic
        self.checkpoint_seconds = checkpoint_seconds
        self.placement_rng, self.velocity_rng, noise_seed = _seeds(output.seed)
        self.integrator = make_integrator(cfg, noise_seed)
        self.context = _context(build_system(cfg, self.top), self.integrator, platform, deterministic)
        self.record = record or _new_record(output, self.top, self.context)

    def execute(self) -> None:
        output, schedule = self.output, self.schedule
        resuming = output.checkpoint.exists()
        if resuming:
            try:
                self.context.loadCheckpoint(output.checkpoint.read_bytes())
            except Exception as exc:
                raise IonscaleError(
                    f"cannot resume from {output.checkpoint} ({exc}); start again with overwrite=True"
                ) from None
        else:
            _write_json(output.parameters, self.record)
            started = time.perf_counter()
            self._prepare()
            self.record["timings"]["setup_s"] = round(time.perf_counter() - started, 3)
        step = self.context.getStepCount()
        trajectory = Trajectory(output.trajectory, self.top.to_openmm(self.cfg.box_length),
                                self.cfg.timestep * time_scale(self.cfg), schedule.chunk,
                                schedule.frames_at(step) if resuming else 0)
        label = f"seed {output.seed}"
        try:
            with SimulationProgress(label, schedule.total, step, self.cfg.timestep, self.progress) as bar:
                self._advance(trajectory, bar)
        except KeyboardInterrupt:
            if trajectory.n_frames == schedule.frames_at(self.context.getStepCount()):
                self._checkpoint(trajectory)
            raise
        finally:
            trajectory.close()
        self._finish()

    def _prepare(self) -> None:
        """Pack, minimise, draw velocities, write the PSF; checkpoint step 0."""
        self.context.setPositions(place(self.cfg, self.top, self.placement_rng))
        openmm.LocalEnergyMinimizer.minimize(self.context, MINIMISE_TOLERANCE)
        self.context.setVelocities(initial_velocities(self.cfg, self.top, self.velocity_rng))
        self.context.setStepCount(0)
        self.context.setTime(0.0)
        scaling = f"formal charges; the force field scales them by 1/sqrt(eps_r) = {self.cfg.charge_scale:.6f}"
        write_psf(self.top, self.output.topology, remarks=(scaling, describe_mapping(self.cfg)))
        atomic_write(self.output.checkpoint, lambda f: f.write(self.context.createCheckpoint()), binary=True)

    def _advance(self, trajectory: Trajectory, bar: SimulationProgress) -> None:
        schedule, context = self.schedule, self.context
        step = context.getStepCount()
        last_checkpoint = time.perf_counter()
        while step < schedule.total:
            phase = schedule.phase(step)
            started = time.perf_counter()
            self.integrator.setTemperature(schedule.thermostat(step))
            self.integrator.step(schedule.chunk)
            step += schedule.chunk
            if self.deterministic:
                # A resumed run starts from a fresh context, whose neighbour lists (and so the order of
                # force sums) are built anew; doing the same at every frame makes resumption bitwise exact.
                context.reinitialize(preserveState=True)
            if phase == "production":
                trajectory.write(context.getState(getPositions=True, enforcePeriodicBox=True))
            now = time.perf_counter()
            timings = self.record["timings"]
            timings[f"{phase}_s"] = timings.get(f"{phase}_s", 0.0) + now - started
            bar.update(step, phase)
            phase_ends = schedule.phase(step) != phase or step == schedule.total
            if phase_ends or now - last_checkpoint >= self.checkpoint_seconds:
                self._checkpoint(trajectory)
                last_checkpoint = time.perf_counter()

    def _checkpoint(self, trajectory: Trajectory) -> None:
        """Checkpoint, then the JSON: the frame count it states never exceeds the checkpoint's."""
        atomic_write(self.output.checkpoint, lambda f: f.write(self.context.createCheckpoint()), binary=True)
        self.record["n_frames"] = trajectory.n_frames
        _write_json(self.output.parameters, self.record)

    def _finish(self) -> None:
        timings = self.record["timings"]
        seconds = timings.get("production_s", 0.0)
        if seconds > 0:
            steps_per_second = self.schedule.production / seconds
            timings["production_steps_per_s"] = round(steps_per_second, 1)
            timings["production_ns_per_day"] = round(steps_per_second * self.cfg.timestep * 86.4, 2)
        for key, value in timings.items():
            timings[key] = round(value, 3)
        self.record["status"] = "complete"
        _write_json(self.output.parameters, self.record)


def _claim(output: SimulationOutput, resume: bool, overwrite: bool) -> dict:
    """Check that ``output.directory`` may be used; return the record of a run to resume, else {}."""
    directory = output.directory
    files = (output.topology, output.trajectory, output.parameters, output.checkpoint)
    if overwrite:
        for path in files:
            path.unlink(missing_ok=True)
        directory.mkdir(parents=True, exist_ok=True)
        return {}
    if output.parameters.exists():
        try:
            record = json.loads(output.parameters.read_text())
            previous = SimulationConfig(**record["config"]) if record.get("format") == FORMAT else None
        except (ValueError, KeyError, TypeError):
            previous = None
        if previous is None:
            raise OutputExistsError(
                f"{output.parameters} is not an ionscale simulation record: choose another output "
                "directory, or pass overwrite=True (--overwrite) to replace it"
            )
        if previous != output.config or record["seed"] != output.seed:
            raise OutputExistsError(
                f"{directory} holds a run with a different configuration ({_difference(record, output)}): "
                "choose another output directory, or pass overwrite=True (--overwrite) to replace it"
            )
        if not resume:
            raise OutputExistsError(
                f"{directory} already holds this run ({record['status']}): pass resume=True (--resume) "
                "to continue or reuse it, or overwrite=True (--overwrite) to start again"
            )
        if record["status"] == "complete" or output.checkpoint.exists():
            return record
        return _claim(output, resume, overwrite=True)
    present = [path.name for path in files if path.exists()]
    if present:
        raise OutputExistsError(
            f"{directory} already contains {', '.join(present)} without a run record: choose another "
            "output directory, or pass overwrite=True (--overwrite) to replace them"
        )
    directory.mkdir(parents=True, exist_ok=True)
    return {}


def _difference(record: dict, output: SimulationOutput) -> str:
    changes = [f"seed {record['seed']} -> {output.seed}"] if record["seed"] != output.seed else []
    new = output.config.model_dump()
    changes += [f"{key} {value!r} -> {new[key]!r}" for key, value in record["config"].items()
                if new.get(key) != value]
    return ", ".join(changes) or "an older format"


def _new_record(output: SimulationOutput, top: Topology, context: openmm.Context) -> dict:
    cfg = output.config
    species = {}
    for role, resname in RESNAMES.items():
        beads = top.resnames == resname
        if beads.any():
            n = int(np.unique(top.molecule[beads]).size)
            species[role] = {
                "resname": resname,
                "molecules": n,
                "beads_per_molecule": int(beads.sum()) // n,
                "valence": round(float(top.charges[beads].sum()) / n),
                "molecule_mass_amu": float(top.masses[beads].sum()) / n,
            }
    return {
        "format": FORMAT,
        "status": "running",
        "seed": output.seed,
        "config": cfg.model_dump(),
        "species": species,
        "box_length_nm": cfg.box_length,
        "charge_scale": cfg.charge_scale,
        "charges_in_topology": "formal (unscaled); the force field multiplies them by charge_scale",
        "timestep_ps": cfg.timestep,
        "frame_interval_ps": cfg.frame_interval,
        "time_mapping": mapping_record(cfg),
        "trajectory_frame_interval_ps": cfg.frame_interval * time_scale(cfg),
        "n_frames": 0,
        "trajectory_wrapped": "molecules whole, centres wrapped into the box",
        "solvent_frame": "lab frame (continuum at rest)" if cfg.solvent == "implicit" else "resname SOL",
        "files": {"topology": output.topology.name, "trajectory": output.trajectory.name},
        "openmm_version": openmm.version.full_version,
        "platform": context.getPlatform().getName(),
        "platform_properties": {name: context.getPlatform().getPropertyValue(context, name)
                                for name in context.getPlatform().getPropertyNames()},
        "timings": {},
        "reference": "Fang et al., J. Mater. Chem. A 2026, DOI 10.1039/D5TA05739F",
    }


def _seeds(seed: int) -> tuple[np.random.Generator, np.random.Generator, int]:
    """Independent streams from one seed: placement and velocity generators, thermostat seed (> 0)."""
    placement, velocities, noise = np.random.SeedSequence(seed).spawn(3)
    return (np.random.default_rng(placement), np.random.default_rng(velocities),
            int(noise.generate_state(1)[0]) % (2**31 - 2) + 1)


PLATFORM_PREFERENCE = ("CUDA", "HIP", "OpenCL", "CPU", "Reference")
"""OpenMM platforms, fastest first: a GPU platform whenever one is installed, else the CPU."""


def fastest_platform(names: Iterable[str]) -> str:
    """The first of :data:`PLATFORM_PREFERENCE` among the platform ``names`` installed (a name not in the
    list, such as a plugin's, ranks after them); ``IonscaleError`` if there is none."""
    names = list(names)
    if not names:
        raise IonscaleError("OpenMM reports no platform: reinstall openmm")
    rank = {name: i for i, name in enumerate(PLATFORM_PREFERENCE)}
    return min(names, key=lambda name: rank.get(name, len(rank)))


def _context(system: openmm.System, integrator: openmm.Integrator, platform: Optional[str],
             deterministic: bool) -> openmm.Context:
    """A Context on ``platform`` (default: the fastest available).

    OpenMM's multi-threaded CPU platform sums forces in a varying order, so runs are reproducible only
    statistically; ``deterministic`` runs it on one thread with deterministic PME summation (bitwise
    reproducible), or asks GPU platforms for deterministic forces.
    """
    names = [openmm.Platform.getPlatform(i).getName() for i in range(openmm.Platform.getNumPlatforms())]
    platform = platform or fastest_platform(names)
    if platform not in names:
        raise IonscaleError(f"unknown OpenMM platform {platform!r}; available here: {', '.join(names)}")
    properties = {}
    if deterministic:
        properties = {"CPU": {"Threads": "1", "DeterministicForces": "true"}, "Reference": {}}.get(
            platform, {"DeterministicForces": "true"})
    return openmm.Context(system, integrator, openmm.Platform.getPlatformByName(platform), properties)


def _write_json(path: Path, record: dict) -> None:
    atomic_write(path, lambda f: f.write(json.dumps(record, indent=2) + "\n"))
