"""A pass planned in one process, run in another, and read back by the planner: a study's data channel.

A study runs each replica's pass as a task on a Dask worker, and then analyses the state point in its
own process from what the passes left in the cache. The two sides must agree on one cache entry: if
the analysis asked for another one (other collectors, other frames, a trajectory changed meanwhile), it
would find nothing and read the trajectory again, serially and silently. A :class:`PassPlan` makes that
agreement one object: made in the parent from the replica's electrolyte, it holds where the electrolyte
comes from (:class:`ElectrolyteSource`: files and selections, opened again in the worker), the
collectors, the frame range and the cache entry (file) the pass writes. The worker *executes* the plan
— with the plan's own collectors, refusing to run if its files now give another entry — and the parent
*loads* it: a missing or mismatching entry is an :class:`IonscaleError`, never a second reading.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional, Sequence

from ..errors import IonscaleError
from ..io import open_universe
from ..system import Electrolyte
from .frames import TransportStore
from .parallel import Progress
from .streaming import Collector, PreparedPass, prepare


@dataclass(frozen=True)
class ElectrolyteSource:
    """Where an electrolyte comes from, so that another process can open it again: the topology, the
    trajectory files (joined in order), their formats (None: from the file names) and the keywords of
    :meth:`ionscale.system.Electrolyte.from_universe` (cation, anion, solvent, timestep_ps, ...)."""

    topology: Path
    trajectories: tuple
    topology_format: Optional[str] = None
    format: Optional[str] = None
    selections: Mapping = field(default_factory=dict)

    def open(self) -> Electrolyte:
        universe = open_universe(self.topology, self.trajectories, topology_format=self.topology_format,
                                 format=self.format)
        return Electrolyte.from_universe(universe, **self.selections)


class PassPlanError(IonscaleError):
    """A planned pass whose cache entry is missing, or is not the one the reader of the pass expects."""


@dataclass(frozen=True)
class PassPlan:
    """One replica's pass, decided before it runs (module docstring). Make it with :meth:`make`.

    Attributes
    ----------
    name : str
        What the messages call the pass (e.g. ``"1.0M / replica 2"``).
    source : ElectrolyteSource
        What the worker opens.
    collectors : tuple of Collector
        The per-frame work of the pass besides transport (picklable; names distinct).
    start, stop, step : int or None
        The frames, as in ``trajectory[start:stop:step]``.
    transport : bool
        Whether the pass keeps the unwrapped positions (:func:`ionscale.trajectory.scan`).
    cache_file : Path
        The cache entry the pass writes and the planner reads: the plan's cache key.
    """

    name: str
    source: ElectrolyteSource
    collectors: tuple
    start: Optional[int]
    stop: Optional[int]
    step: Optional[int]
    transport: bool
    cache_file: Path

    @classmethod
    def make(cls, name: str, source: ElectrolyteSource, electrolyte: Electrolyte, *, cache_folder: Path,
             collectors: Sequence[Collector] = (), start: int | None = None, stop: int | None = None,
             step: int | None = None, transport: bool = True) -> "PassPlan":
        """The plan of the pass over ``electrolyte`` (opened here from ``source``), cached in
        ``cache_folder``; refuses what :func:`ionscale.trajectory.prepare` refuses (duplicate collector
        names, too few frames, ...) before anything is sent to a worker."""
        prepared = prepare(electrolyte, start=start, stop=stop, step=step, collectors=collectors,
                           cache=Path(cache_folder), transport=transport)
        if prepared.cache_file is None:
            raise PassPlanError(f"{name}: a planned pass needs trajectory files to key its cache entry on; "
                                "this trajectory is in memory. Write it to a file, or analyse it in this process "
                                "(ionscale.pipeline.analyse)")
        return cls(name, source, tuple(collectors), start, stop, step, transport, prepared.cache_file)

    def _prepare(self, electrolyte: Electrolyte, collectors: Sequence[Collector]) -> PreparedPass:
        return prepare(electrolyte, start=self.start, stop=self.stop, step=self.step, collectors=collectors,
                       cache=self.cache_file.parent, transport=self.transport)

    def execute(self, progress: Progress | None = None) -> TransportStore:
        """In the worker: open the source, run the pass with the plan's collectors (or find it cached)
        into the planned cache entry, and return its store. Refused when the files here give another
        entry (they changed after the plan was made, or this machine sees other files)."""
        prepared = self._prepare(self.source.open(), self.collectors)
        if prepared.cache_file != self.cache_file:
            raise PassPlanError(
                f"{self.name}: the trajectory files are not those the pass was planned for (cache entry "
                f"{prepared.cache_file.name}, planned {self.cache_file.name}): they changed after the study "
                f"started, or this worker sees other files under {self.source.topology}. Keep the files unchanged "
                "while the study runs (and the same on every worker), then run the study again")
        return prepared.run(progress=progress)

    def load(self, electrolyte: Electrolyte, collectors: Sequence[Collector]) -> TransportStore:
        """In the planner: the store the executed pass left in its cache entry. ``electrolyte`` and
        ``collectors`` are those the analysis builds here for this replica; they must give the planned
        entry, and the entry must be there — otherwise :class:`PassPlanError` (the trajectory is never
        read here). A damaged entry raises :class:`ionscale.trajectory.DamagedStoreError`."""
        expected = self._prepare(electrolyte, collectors).cache_file
        if expected != self.cache_file:
            planned = sorted(f"{c.name} ({c.key})" for c in self.collectors)
            here = sorted(f"{c.name} ({c.key})" for c in collectors)
            what = (f"the pass collected {planned or 'nothing'}, the analysis expects {here or 'nothing'}"
                    if planned != here else "the trajectory files or the pass settings changed since the pass ran")
            raise PassPlanError(f"{self.name}: the analysis does not match the pass the worker ran ({what}); it "
                                "would read the trajectory again. Build the plan and the analysis from the same "
                                "options (ionscale.pipeline.pass_plan), or run the study again")
        if not self.cache_file.exists():
            raise PassPlanError(f"{self.name}: the cache entry of its pass, {self.cache_file}, is missing (deleted "
                                "after the pass ran?); the analysis reads only what the passes left and does not "
                                "read the trajectory again. Run the study again: it redoes the missing passes")
        return TransportStore.load(self.cache_file)
