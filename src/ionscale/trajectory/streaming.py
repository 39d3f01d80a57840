"""The single streaming pass over a trajectory (or its cached result).

One pass reads every frame once and keeps only what the analyses need (DESIGN: "one pass over the big
files"): the time, the box volume, the unwrapped positions of every ion particle (centre of mass of each
molecule), the centre of mass of the solvent and of the whole system (:class:`.frames.TransportStore`),
and what the collectors riding on the pass keep (:class:`Collector`). Memory grows with
frames × ions, never with frames × atoms.

Unwrapping
----------
Atom displacements between consecutive frames are folded back by the minimum-image convention of the
*current* box, Δx = x(t) − x(t−1) − h(t) round(h(t)⁻¹ (x(t) − x(t−1))), and summed. This is the
"toroidal-view-preserving" scheme of von Bülow, Bullerjahn & Hummer (J. Chem. Phys. 153, 021101, 2020),
which stays jump-free when the box fluctuates at constant pressure; it assumes no atom moves more than
half a box length between stored frames. Each tracked point (molecule centre of mass, solvent and
system barycentre) is a fixed linear combination of atoms, so the pass keeps one sparse weight matrix
W (:func:`.frames.tracked_points`) and accumulates W·Δx (:mod:`.unwrap`: one compiled loop over the
atoms when numba is installed, NumPy otherwise, the same numbers either way). Molecules are made whole
in the first frame only (minimum image about their first atom), which fixes absolute positions;
displacements — all that transport uses — are exact whatever the first frame looks like.

Because frame t's increment depends only on frames t−1 and t, the frames can be cut into chunks that
are read in parallel (:mod:`.parallel`: processes or Dask) and summed in order: the result is identical
to the serial pass, bit for bit.

A pass is first *prepared* (:func:`prepare`: frames, times, weights and its cache entry, all decided
without reading a frame), then run (:meth:`PreparedPass.run`) or found in its cache (:mod:`.cache`);
the cached result carries a checksum of every array and is recomputed when damaged. Two collectors of
one name would share one list of frames and one cache-key entry (their frames merged, silently), so a
pass refuses them (:func:`refuse_duplicate_names`).
"""

from __future__ import annotations

import mmap
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Protocol, Sequence

import numpy as np
import scipy.sparse as sp

from ..errors import IonscaleError
from ..system import Electrolyte
from . import parallel
from .cache import cache_path, finish_writing, write_entry
from .frames import (ANGSTROM_PER_NM, MIN_FRAMES, DamagedStoreError, TransportStore, frame_times, tracked_points,
                     uniform_times)
from .parallel import Progress, SharedRows, auto_workers, dask_scheduler, detached, map_shared, run_in_processes
from .pbc import box_volumes, first_atom_of_molecule, is_orthorhombic, minimum_image, whole_molecules
from .unwrap import Unwrapper, use_compiled



class Collector(Protocol):
    """Extra per-frame work riding on the same single pass (e.g. cation–donor contacts).

    A collector must be picklable (parallel chunks run in other processes). ``name`` prefixes its
    arrays in the store; ``key`` is a string that identifies its settings in the cache key.
    """

    name: str
    key: str

    def collect(self, ts) -> dict:
        """One frame (``ts.positions`` in Å, ``ts.dimensions``) → a dict of small arrays. The pass keeps
        the dict as it is until :meth:`finish`, so a collector may fill it in later (batching frames)."""

    def finish(self, frames: list) -> dict:
        """The per-frame dicts of every frame, in order → the arrays to keep (``{name: ndarray}``)."""


@dataclass
class _Chunk:
    time_ps: np.ndarray
    volume_nm3: np.ndarray
    box_nm: np.ndarray      # (n_frames, 6): lengths in nm, angles in degrees
    increments: np.ndarray | None  # (n_frames, n_points, 3) in Å; None if written to shared rows
    collected: dict                # collector name → list of per-frame dicts


def _anonymous_array(shape: tuple) -> np.ndarray:
    """An uninitialised float64 array on ordinary anonymous memory pages, for the pass's big buffer.

    NumPy asks the kernel for transparent huge pages on large arrays; where the kernel compacts memory
    to serve them on the first write (THP "defrag = madvise", a common default), writing a 240 MB pass
    buffer frame by frame took 0.27–0.48 s against 0.10 s on ordinary pages (2-core benchmark machine).
    """
    n_bytes = int(np.prod(shape)) * 8
    flags = getattr(mmap, "MAP_PRIVATE", 0) | getattr(mmap, "MAP_ANONYMOUS", 0)
    buffer = mmap.mmap(-1, max(n_bytes, 1), **({"flags": flags} if flags else {}))
    return np.frombuffer(buffer, dtype=np.float64, count=n_bytes // 8).reshape(shape)


def _timesteps(traj, frames: np.ndarray, current: int | None):
    """Each frame's timestep in turn, ``current`` being the frame the reader is on (or None): consecutive
    frames are read on sequentially (a seek per frame costs about a tenth of an XTC frame's decoding),
    others by index."""
    for frame in frames:
        try:
            ts = traj.next() if current is not None and frame == current + 1 else traj[frame]
        except (OSError, EOFError, StopIteration) as err:  # a file cut short or damaged at this frame
            raise IonscaleError(
                f"frame {frame} of the trajectory cannot be read ({type(err).__name__}: {err}): the file is cut "
                f"short or damaged (e.g. a run stopped while writing). Analyse the frames before it (stop={frame}, "
                f"--stop {frame}) or use an intact copy") from None
        current = frame
        yield ts


def _scan_chunk(universe, weights: sp.csr_matrix, first_atom: np.ndarray, frames: np.ndarray,
                previous: int | None, collectors: Sequence[Collector] = (), progress: Progress | None = None,
                total: int = 0, shared: SharedRows | None = None) -> _Chunk:
    """Read ``frames`` (after ``previous``, or from scratch) and return per-frame increments of W·x
    (None when ``weights`` is None: a pass without transport, for the collectors only), or write them
    into ``shared`` rows."""
    traj = universe.trajectory
    n = len(frames)
    transport = weights is not None
    increments = None
    if transport:
        increments = shared.rows(n) if shared is not None else _anonymous_array((n, weights.shape[0], 3))
    time_ps, box_nm = np.empty(n), np.empty((n, 6))
    collected = {c.name: [] for c in collectors}
    if transport:
        unwrapper = Unwrapper(weights, compiled=use_compiled(n, weights.shape[1]))
        have_last = previous is not None
        if have_last:
            unwrapper.start(traj[previous].positions)
    else:
        previous = None  # no frame to continue from: the reader starts at the chunk's first frame
    for k, ts in enumerate(_timesteps(traj, frames, previous)):
        dims = ts.dimensions
        if dims is None or not (dims[0] > 0 and dims[1] > 0 and dims[2] > 0):
            raise IonscaleError(f"frame {ts.frame} has no periodic box; transport needs one (set "
                                "universe.dimensions or use a trajectory that stores the box)")
        if transport:
            if not have_last:
                unwrapper.first(whole_molecules(ts.positions, dims, first_atom), ts.positions, increments[k])
                have_last = True
            else:
                lengths = dims[:3].astype(np.float64) if is_orthorhombic(dims[3:]) else None
                unwrapper.step(ts.positions, lengths, lambda delta: minimum_image(delta, dims), increments[k])
        for c in collectors:
            collected[c.name].append(c.collect(ts))
        time_ps[k] = ts.time
        box_nm[k] = dims  # in Å until the volumes are taken
        if progress is not None:
            progress(k + 1, total or n)
    volume_nm3 = box_volumes(box_nm) / ANGSTROM_PER_NM ** 3
    box_nm[:, :3] /= ANGSTROM_PER_NM
    return _Chunk(time_ps, volume_nm3, box_nm, None if shared is not None else increments, collected)


def _points_nm(increments: np.ndarray) -> np.ndarray:
    """The tracked points in nm, (n_frames, n_points, 3): the running sum of the increments (Å).

    Done in place in the increments' own buffer, frame by frame: point[t] = point[t-1] + increment[t]
    is the same sequence of additions as ``np.cumsum(increments, axis=0)``, so the result is
    bit-identical, but it reads memory in order and needs no second array of the trajectory's size.
    """
    for t in range(1, len(increments)):
        np.add(increments[t - 1], increments[t], out=increments[t])
    increments /= ANGSTROM_PER_NM
    return increments


def _leading_points(points: np.ndarray, n: int) -> np.ndarray:
    """``np.ascontiguousarray(points[:, :n])`` without a second array: the first ``n`` points of every
    frame are moved, in place and in order, to the front of ``points``' buffer (which is then no
    longer valid), and returned as a C-contiguous (n_frames, n, 3) view of it."""
    n_frames, n_points, dims = points.shape
    if n == n_points:
        return points
    flat = points.reshape(n_frames, n_points * dims)
    packed = points.reshape(-1)[:n_frames * n * dims].reshape(n_frames, n * dims)
    for t in range(1, n_frames):  # the destination never lies after the source: a forward move is safe
        np.copyto(packed[t], flat[t, :n * dims])
    return packed.reshape(n_frames, n, dims)


def refuse_duplicate_names(collectors: Sequence[Collector]) -> None:
    """Refuse collectors that share a name: the pass keeps each collector's frames, its arrays
    (``"<name>/<array>"``) and its cache-key entry under its name, so two of one name would be merged
    silently (both frames lists in one, the second's arrays over the first's)."""
    by_name: dict = {}
    for c in collectors:
        by_name.setdefault(c.name, []).append(c)
    clashes = {name: group for name, group in by_name.items() if len(group) > 1}
    if clashes:
        listed = "; ".join(f"{name!r}: " + ", ".join(f"{type(c).__name__} ({c.key})" for c in group)
                           for name, group in clashes.items())
        raise IonscaleError(f"two or more collectors of the pass share a name ({listed}): their frames and arrays "
                            "would be merged. Give each collector a distinct name (e.g. DistanceContacts(..., "
                            "name=\"ion_contacts\"))")


@dataclass
class PreparedPass:
    """A pass with everything decided that needs no frame read: the frames, their times (None: the
    reader's, taken while reading), the weights of the tracked points (None without transport), the
    collectors and the cache entry (None: not cached). Made by :func:`prepare`; :meth:`run` reads."""

    electrolyte: Electrolyte
    frames: np.ndarray
    times: Optional[np.ndarray]
    weights: Optional[sp.csr_matrix]
    collectors: tuple
    cache_file: Optional[Path]

    def cached(self) -> TransportStore | None:
        """The store from the cache entry, or None when there is none; a damaged entry is deleted (and
        recomputed by :meth:`run`), never used."""
        if self.cache_file is None:
            return None
        finish_writing(self.cache_file)
        if not self.cache_file.exists():
            return None
        try:
            return TransportStore.load(self.cache_file)
        except DamagedStoreError as err:
            warnings.warn(f"the cached pass is damaged and is recomputed: {err}")
            self.cache_file.unlink(missing_ok=True)
            return None

    def run(self, *, backend: str = "serial", n_workers: int = 1, progress: Progress | None = None,
            cache_in_background: bool = False) -> TransportStore:
        """The store: from the cache entry when it is there and intact, else read and cached
        (:func:`scan` explains the arguments)."""
        found = self.cached()
        if found is not None:
            return found
        electrolyte, frames, weights, collectors = self.electrolyte, self.frames, self.weights, self.collectors
        universe = electrolyte.universe
        transport = weights is not None
        first_atom = first_atom_of_molecule(electrolyte.molecules) if transport else None
        if n_workers < 0:
            raise IonscaleError(f"n_workers must be 0 (automatic) or a number of processes, got {n_workers}")
        if n_workers == 0:
            n_workers = auto_workers(len(frames), len(universe.atoms))
        chunks, increments = _run_chunks(universe, weights, first_atom, frames, collectors, backend, n_workers,
                                         progress)
        time_ps = np.concatenate([c.time_ps for c in chunks]) if self.times is None else self.times
        time_ps = uniform_times(time_ps)
        positions_nm = system_com_nm = solvent_com_nm = None
        if transport:
            points = _points_nm(increments)
            system_com_nm = points[:, -1].copy()
            solvent_com_nm = points[:, -2].copy() if electrolyte.has_solvent else None
            positions_nm = _leading_points(points, weights.shape[0] - 2)
        store = TransportStore(
            time_ps=time_ps,
            volume_nm3=np.concatenate([c.volume_nm3 for c in chunks]),
            box_nm=np.concatenate([c.box_nm for c in chunks]),
            positions_nm=positions_nm,
            system_com_nm=system_com_nm,
            solvent_com_nm=solvent_com_nm,
            counts=electrolyte.counts.astype(int),
            extras={f"{c.name}/{k}": v for c in collectors
                    for k, v in c.finish([f for chunk in chunks for f in chunk.collected[c.name]]).items()},
        )
        if self.cache_file is not None:
            write_entry(store, self.cache_file, background=cache_in_background)
        return store


def prepare(electrolyte: Electrolyte, *, start: int | None = None, stop: int | None = None, step: int | None = None,
            solvent_weighting: str = "mass", collectors: Sequence[Collector] = (), cache: bool | Path = True,
            transport: bool = True) -> PreparedPass:
    """Decide a pass without reading a frame (:func:`scan` explains the arguments): refuse what cannot
    work (too few frames, a contradicted timestep, collectors of one name) and find its cache entry."""
    refuse_duplicate_names(collectors)
    universe = electrolyte.universe
    frames = np.arange(len(universe.trajectory))[slice(start, stop, step)]
    if len(frames) < (MIN_FRAMES if transport else 1):
        raise IonscaleError(f"only {len(frames)} frame(s) selected; transport needs at least {MIN_FRAMES} "
                            "(and many more for a diffusive regime): use a longer trajectory or a smaller step; the "
                            "structure alone needs one frame (--no-transport --no-mesoscale)")
    times = frame_times(universe, frames, electrolyte.timestep_ps, electrolyte.force_timestep)
    weights = tracked_points(electrolyte, solvent_weighting) if transport else None
    settings = {"frames": [int(frames[0]), int(frames[-1]), len(frames)], "timestep_ps": electrolyte.timestep_ps,
                "solvent_weighting": solvent_weighting, "collectors": {c.name: c.key for c in collectors}}
    if not transport:  # keyed apart; full passes keep the keys (and caches) they had
        settings["transport"] = False
    return PreparedPass(electrolyte, frames, times, weights, tuple(collectors),
                        cache_path(electrolyte, weights, settings, cache))


def scan(electrolyte: Electrolyte, *, start: int | None = None, stop: int | None = None, step: int | None = None,
         solvent_weighting: str = "mass", collectors: Sequence[Collector] = (), backend: str = "serial",
         n_workers: int = 1, cache: bool | Path = True, progress: Progress | None = None,
         transport: bool = True, cache_in_background: bool = False) -> TransportStore:
    """Run the streaming pass (or load its cached result) and return a :class:`TransportStore`.

    Parameters
    ----------
    start, stop, step : int, optional
        Frames to read, as in ``trajectory[start:stop:step]``.
    solvent_weighting : {"mass", "number"}
        How the solvent reference point averages the solvent molecules (SPEC §2.1).
    collectors : sequence of Collector
        Extra per-frame work done in the same pass; what they keep lands in ``store.extras``. Their
        names must differ (:func:`refuse_duplicate_names`).
    backend : {"serial", "multiprocessing", "dask"}
        Read chunks of frames in parallel processes, or as Dask tasks on the active scheduler
        (a ``dask.distributed.Client`` if one exists). Results are identical to the serial pass.
    n_workers : int
        Number of chunks (and processes for ``multiprocessing``); 0 picks it (:func:`.parallel.auto_workers`).
    cache : bool or path
        Keep the result in ``.ionscale-cache/`` beside the trajectory (or in the given folder) and
        reuse it when the files and settings are unchanged.
    progress : callable(done, total), optional
        Called after each frame (serial) or chunk (parallel).
    transport : bool
        False: run only the collectors (and keep times, volumes and boxes), without the unwrapped
        positions that transport needs — ``positions_nm`` and the centres of mass are None. For
        analyses that need nothing else, e.g. the structure analysis alone; cached apart from full passes.
    cache_in_background : bool
        Write a new cache entry in a background thread while the caller goes on with the store
        (:func:`.cache.write_entry`); for analyses in this process, not for a pass whose entry another
        process reads next (a study's workers write theirs before they return).
    """
    return prepare(electrolyte, start=start, stop=stop, step=step, solvent_weighting=solvent_weighting,
                   collectors=collectors, cache=cache, transport=transport).run(
        backend=backend, n_workers=n_workers, progress=progress, cache_in_background=cache_in_background)


def _run_chunks(universe, weights, first_atom, frames, collectors, backend, n_workers,
                progress) -> tuple[list[_Chunk], np.ndarray | None]:
    """The pass in chunks of frames: the chunks (times, boxes, what the collectors kept) and all the
    increments of W·x (n_frames, n_points, 3) in Å, in frame order (None without transport)."""
    if backend not in ("serial", "multiprocessing", "dask"):
        raise IonscaleError(f"backend must be 'serial', 'multiprocessing' or 'dask', got {backend!r}")
    if backend == "serial" or n_workers <= 1:
        chunks = [_scan_chunk(universe, weights, first_atom, frames, None, collectors, progress, len(frames))]
        return chunks, _joined_increments(chunks)
    parts = [p for p in np.array_split(frames, n_workers) if len(p)]
    jobs = [(universe, weights, first_atom, p, None if k == 0 else int(parts[k - 1][-1]), tuple(collectors))
            for k, p in enumerate(parts)]
    if backend == "dask":  # workers may be other machines: the chunks come back as results
        import dask
        tasks = [dask.delayed(_scan_chunk)(*job) for job in jobs]
        chunks = list(dask.compute(*tasks, scheduler=dask_scheduler()))
        if progress is not None:
            progress(len(parts), len(parts))
        return chunks, _joined_increments(chunks)
    shape = path = None
    if weights is not None:
        shape = (len(frames), weights.shape[0], 3)
        path = parallel.shared_file(int(np.prod(shape)) * 8)
    if path is None:  # no transport, or no room for a shared file: the chunks come back through pipes
        chunks = run_in_processes(_scan_chunk, jobs, n_workers, progress, len(frames))
        return chunks, _joined_increments(chunks)
    with detached(path) as reachable:  # the parent's mapping outlives the file's name; the memory goes with it
        starts = np.cumsum([0] + [len(p) for p in parts[:-1]])
        shared = [SharedRows(reachable, shape, int(first)) for first in starts]
        chunks = run_in_processes(_scan_chunk, jobs, n_workers, progress, len(frames), shared)
        return chunks, map_shared(reachable, shape)


def _joined_increments(chunks: list[_Chunk]) -> np.ndarray | None:
    """The chunks' increments in one array (a single chunk's own buffer, not a copy), taken from the
    chunks, or None without transport."""
    if chunks[0].increments is None:
        return None
    increments = chunks[0].increments if len(chunks) == 1 else np.concatenate([c.increments for c in chunks])
    for c in chunks:
        c.increments = None
    return increments
