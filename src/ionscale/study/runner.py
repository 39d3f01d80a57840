"""Running a study on Dask: one task per (state point, replica), resumable, then one analysis per point.

Every expensive step is a task on a ``dask.distributed`` cluster (a ``LocalCluster`` by default, or an
existing scheduler by address): simulating a replica (for state points that name a preset) and the
single pass over each replica's trajectory. Each pass is planned here (:class:`ionscale.trajectory.PassPlan`:
its collectors and its cache entry, from the same settings as the analysis) and executed by a worker,
which writes its result atomically into ``DIR/cache/``, keyed by the files' identities and the settings
(:func:`ionscale.trajectory.scan`); the analysis of a state point reads only those entries (a missing
one is an error, never a second reading of the trajectory). A re-run after a
crash, Ctrl-C, a killed worker or a new state point finds the finished passes and recomputes only what
is missing or whose inputs changed. Each state point is then analysed from its cached passes (cheap,
in this process) into ``DIR/points/<label>/``, skipped when its inputs are unchanged, and the study is
aggregated into ``study.csv`` / ``study.json``; the paper's figures and ``report.html`` are drawn from
those files by :func:`ionscale.report.html.write_report` (the CLI calls it: the study does not draw).

A failed task is reported with its error and does not stop the others; its state point is analysed
with the replicas that finished (and says so), or reported as failed when none did.
"""

from __future__ import annotations

import functools
import json
import time
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from ..core.files import atomic_write, read_json
from ..errors import IonscaleError
from ..pipeline import pass_plan
from ..trajectory import ElectrolyteSource, PassPlan
from .spec import ReplicaSpec, SpeciesSpec, StatePointSpec, StudySpec

CACHE_FOLDER = "cache"
POINTS_FOLDER = "points"
SIMULATIONS_FOLDER = "simulations"


def source_of(replica: ReplicaSpec, species: SpeciesSpec) -> ElectrolyteSource:
    """Where a replica's electrolyte comes from: its files and the state point's selections."""
    return ElectrolyteSource(Path(replica.topology), tuple(replica.trajectories), replica.topology_format,
                             replica.format, species.electrolyte_kwargs())


@dataclass(frozen=True)
class ReplicaJob:
    """One pass task: the replica's pass, planned in the study's process (picklable: it travels to a
    Dask worker, which executes the plan; the state point's analysis then loads what it left)."""

    point: str
    index: int
    plan: PassPlan

    @property
    def name(self) -> str:
        return replica_name(self.point, self.index)


def replica_name(point: str, index: int) -> str:
    return f"{point} / replica {index + 1}"


class TaskFailed(Exception):
    """A task's error, sent back as its result (see :func:`reported`); the message is the error's text."""


def reported(task: Callable) -> Callable:
    """A Dask task that returns its error instead of raising it: ``{"failed": text}`` (the text as
    :func:`error_text` gives it). A raised error would also be logged by the Dask worker as a block of
    "Compute Failed" lines over the study's own report of it."""
    @functools.wraps(task)
    def run(*args, **kwargs):
        try:
            return task(*args, **kwargs)
        except Exception as err:  # noqa: BLE001 — every error of a task is reported, none stops the study
            return {"failed": error_text(err)}
    return run


def result_of(future) -> dict:
    """The result of a :func:`reported` task's future; :class:`TaskFailed` if the task failed."""
    result = future.result()
    if "failed" in result:
        raise TaskFailed(result["failed"])
    return result


def error_text(err: BaseException) -> str:
    """An error as the study reports it: the message of bad input, else type, message and where."""
    if isinstance(err, (IonscaleError, TaskFailed)):
        return str(err)
    return f"{type(err).__name__}: {err}\n" + "".join(traceback.format_exception(err)[-3:])


@reported
def pass_replica(job: ReplicaJob) -> dict:
    """The Dask task: execute the planned pass over one replica (or find it cached). Returns a status dict."""
    began = time.perf_counter()
    read = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # readers' notices, not the user's concern
        job.plan.execute(progress=lambda done, total: read.append(done))
    return {"point": job.point, "index": job.index, "status": "computed" if read else "cached",
            "seconds": time.perf_counter() - began}


@reported
def simulate_replica(point: StatePointSpec, index: int, folder: Path) -> dict:
    """The Dask task for a simulated replica: run the preset (resuming from its checkpoint) → files."""
    from ..simulate import preset, run_simulation
    cfg = preset(point.simulate.preset, **point.simulate.overrides)
    out = run_simulation(cfg, folder / f"replica{index + 1}", seed=point.simulate.first_seed + index,
                         progress=False, resume=True)
    return {"topology": str(out.topology), "trajectory": str(out.trajectory)}


@dataclass
class Outcome:
    """What a study run did: per task its status, per point where its results are."""

    tasks: dict = field(default_factory=dict)      # name → "computed" | "cached" | "failed: ..."
    points: dict = field(default_factory=dict)     # label → folder, or None when it failed
    failed: list = field(default_factory=list)     # {"state_point", "replica", "error"}

    @property
    def computed(self) -> list:
        return sorted(k for k, v in self.tasks.items() if v == "computed")


def run_study(spec: StudySpec, out: Path, *, client, on_event: Callable[[str, str], None] | None = None,
              check: bool = True) -> Outcome:
    """Run every task of ``spec`` on the Dask ``client``, analyse and aggregate into ``out``; first
    :func:`check_study` unless ``check`` is False (the caller did)."""
    from distributed import as_completed

    out = Path(out)
    if check:
        check_study(spec)
    (out / CACHE_FOLDER).mkdir(parents=True, exist_ok=True)
    for stale in (out / CACHE_FOLDER).glob(".*.tmp"):  # writes cut short by a killed run
        stale.unlink(missing_ok=True)
    notify = on_event or (lambda name, status: None)
    outcome = Outcome()
    options = spec.analysis

    replicas = {p.label: list(p.replicas) for p in spec.state_points}
    simulated = [p for p in spec.state_points if p.simulate is not None]
    if simulated:
        futures = {client.submit(simulate_replica, p, k, out / SIMULATIONS_FOLDER / p.label, pure=False):
                   (p.label, k) for p in simulated for k in range(p.simulate.replicas)}
        files = {}
        for future in as_completed(futures):
            label, k = futures[future]
            name = f"{label} / simulation {k + 1}"
            try:
                files[(label, k)] = result_of(future)
                outcome.tasks[name] = "done"
            except Exception as err:  # a failed task must not stop the others
                _failed(outcome, name, label, k, err)
            notify(name, outcome.tasks[name])
        for p in simulated:
            replicas[p.label] = [ReplicaSpec(topology=files[(p.label, k)]["topology"],
                                             trajectories=[files[(p.label, k)]["trajectory"]])
                                 for k in range(p.simulate.replicas) if (p.label, k) in files]

    jobs = []
    for p in spec.state_points:
        species = _species(spec, p)
        for k, replica in enumerate(replicas[p.label]):
            name = replica_name(p.label, k)
            try:  # the collectors and the cache entry of each pass are decided here, once
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    jobs.append(ReplicaJob(p.label, k, pass_plan(name, source_of(replica, species), options,
                                                                 out / CACHE_FOLDER)))
            except IonscaleError as err:
                _failed(outcome, name, p.label, k, err)
                notify(name, outcome.tasks[name])
    futures = {client.submit(pass_replica, job, pure=False): job for job in jobs}
    for job in jobs:
        notify(job.name, "running")
    finished = {p.label: [] for p in spec.state_points}
    for future in as_completed(futures):
        job = futures[future]
        try:
            outcome.tasks[job.name] = result_of(future)["status"]
            finished[job.point].append(job)
        except Exception as err:
            _failed(outcome, job.name, job.point, job.index, err)
        notify(job.name, outcome.tasks[job.name])

    from .aggregate import analyse_point, write_study
    for p in spec.state_points:
        done = sorted(finished[p.label], key=lambda j: j.index)
        expected = p.simulate.replicas if p.simulate else len(p.replicas)
        folder = out / POINTS_FOLDER / p.label
        kept = previous_replicas(folder)
        if len(done) < expected and kept is not None and kept > len(done):
            # results of more replicas are never replaced by those of fewer (a failed task this time)
            outcome.points[p.label] = folder
            name = f"{p.label} / analysis"
            outcome.tasks[name] = (f"kept the previous results of {kept} replicas: only {len(done)} of {expected} "
                                   "finished this time")
            warnings.warn(f"{p.label}: {outcome.tasks[name]}; fix the failed tasks and run the study again")
            notify(name, outcome.tasks[name])
            continue
        if not done:
            outcome.points[p.label] = None
            continue
        name = f"{p.label} / analysis"
        try:
            outcome.points[p.label] = analyse_point(spec, p, done, folder)
        except IonscaleError as err:
            _failed(outcome, name, p.label, None, err)
            outcome.points[p.label] = folder if kept is not None else None  # earlier results stay in the study
            if kept is not None:
                outcome.tasks[name] += f" (kept the previous results of {kept} replicas)"
        notify(name, outcome.tasks.get(name, "done"))
    write_study(spec, out, outcome)
    return outcome


def check_study(spec: StudySpec) -> None:
    """What can be checked before any task runs, for every state point at once: the presets of simulated
    points, and for given files that they open, that the selections make a valid electrolyte of each
    replica, and that no replica repeats another. Raises one :class:`IonscaleError` listing every problem
    (mistakes that would fail every task are not worth a cluster's start-up and a wall of task errors)."""
    from ..pipeline import check_temperature, refuse_duplicate_replicas
    problems = []
    try:
        check_temperature(spec.temperature)
    except IonscaleError as err:
        problems.append(str(err))
    for point in spec.state_points:
        try:
            species = _species(spec, point)  # builds a simulated point's preset
        except IonscaleError as err:
            problems.append(f"{point.label}: {err}")
            continue
        if point.simulate is not None:
            continue
        electrolytes = []
        for k, replica in enumerate(point.replicas):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    electrolytes.append(source_of(replica, species).open())
            except IonscaleError as err:
                problems.append(f"{replica_name(point.label, k)}: {err}")
        if len(electrolytes) == len(point.replicas):
            try:
                refuse_duplicate_replicas(electrolytes)
            except IonscaleError as err:
                problems.append(f"{point.label}: {err}")
    if problems:
        raise IonscaleError(f"the study cannot run, {len(problems)} problem(s) (nothing was started):\n"
                            + "\n".join(f"  {problem}" for problem in problems))


def previous_replicas(folder: Path) -> int | None:
    """How many replicas the results already in a state point's folder came from (None: no readable results)."""
    try:
        return int(read_json(folder / "results.json")["transport"]["system"]["n_replicas"])
    except (IonscaleError, KeyError, TypeError, ValueError):
        return None


def _species(spec: StudySpec, point: StatePointSpec) -> SpeciesSpec:
    if point.simulate is not None:
        from ..simulate.species import species_selections
        return SpeciesSpec(**species_selections(point.simulate.preset, **point.simulate.overrides))
    return spec.species_of(point)


def _failed(outcome: Outcome, name: str, point: str, index: Optional[int], err: BaseException) -> None:
    message = error_text(err)
    outcome.tasks[name] = f"failed: {message.splitlines()[0] if message else type(err).__name__}"
    outcome.failed.append({"state_point": point, "replica": None if index is None else index + 1, "error": message})


def write_json(path: Path, data: dict) -> None:
    atomic_write(path, lambda f: json.dump(data, f, indent=1))
