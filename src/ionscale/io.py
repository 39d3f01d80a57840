"""Opening trajectories: MDAnalysis universes with formats guessed from common extensions.

MDAnalysis guesses most formats from file extensions; this adds the LAMMPS habits it does not know
(``.lmp`` data files) and turns the many ways a read can fail into one clear :class:`IonscaleError`.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import warnings
from pathlib import Path
from typing import Sequence

import MDAnalysis as mda

from .errors import IonscaleError

#: extensions MDAnalysis does not map to the format they usually hold
TOPOLOGY_FORMATS = {".lmp": "DATA", ".data": "DATA"}
TRAJECTORY_FORMATS = {".lammpstrj": "LAMMPSDUMP", ".dump": "LAMMPSDUMP"}


def open_universe(topology: str | Path, trajectories: Sequence[str | Path] = (), *,
                  topology_format: str | None = None, format: str | None = None) -> mda.Universe:
    """An MDAnalysis Universe of ``topology`` and ``trajectories`` (joined in order), or a clear error."""
    paths = [Path(topology), *map(Path, trajectories)]
    for p in paths:
        if not p.exists():
            raise IonscaleError(f"file not found: {p}")
    topology_format = topology_format or TOPOLOGY_FORMATS.get(paths[0].suffix.lower())
    if format is None and trajectories:
        format = TRAJECTORY_FORMATS.get(Path(trajectories[0]).suffix.lower())
    kwargs = {k: v for k, v in (("topology_format", topology_format), ("format", format)) if v}
    with _quiet_reader_teardown():
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*(guess|Reader has no dt|No coordinate reader).*")
                universe = mda.Universe(str(paths[0]), *[str(p) for p in paths[1:]], **kwargs)
            failure = None
        except Exception as err:  # MDAnalysis raises many types for unreadable files
            failure = f"{type(err).__name__}: {err}"
        gc.collect()  # the half-built reader of a failure goes now, while its teardown error is silenced
    if failure is not None:  # raised outside the handler: the error keeps no reference to that reader
        names = ", ".join(str(p) for p in paths)
        raise IonscaleError(
            f"MDAnalysis cannot read {names}: {failure}. Check that the topology and "
            "trajectory belong together (same atom count) and give the formats if the extensions "
            "mislead (--topology-format DATA, --format LAMMPSDUMP, ...).")
    warn_cut_frames(universe)
    return universe


@contextlib.contextmanager
def _quiet_reader_teardown():
    """Silence the error that a trajectory reader whose opening failed raises when it is destroyed
    (MDAnalysis' ``ReaderBase.__del__`` closes a file it never opened), and only that one."""
    previous = sys.unraisablehook

    def hook(unraisable):
        if not (isinstance(unraisable.exc_value, AttributeError)
                and getattr(unraisable.object, "__qualname__", "").endswith("__del__")
                and getattr(unraisable.object, "__module__", "").startswith("MDAnalysis")):
            previous(unraisable)
    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = previous


def warn_cut_frames(universe) -> None:
    """Warn when a DCD file ends in part of a frame (a run stopped while writing): MDAnalysis reads the
    complete frames only, and says nothing of the rest."""
    traj = universe.trajectory
    for reader in getattr(traj, "readers", None) or [traj]:
        dcd = getattr(reader, "_file", None)
        if type(reader).__name__ != "DCDReader" or not hasattr(dcd, "_framesize"):
            continue
        n = reader.n_frames
        expected = dcd._header_size + (dcd._firstframesize + (n - 1) * dcd._framesize if n else 0)
        size = os.path.getsize(reader.filename)
        if size > expected:
            warnings.warn(f"{reader.filename} ends in part of a frame ({size - expected} of the "
                          f"{dcd._framesize} bytes of frame {n}): the file was cut, e.g. by a run stopped while "
                          f"writing; only its {n} complete frames are used")
