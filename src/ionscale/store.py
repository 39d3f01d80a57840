"""The single streaming pass over a trajectory, and its on-disk cache.

One pass reads every frame once and keeps only what transport needs (DESIGN: "one pass over the big
files"): the time, the box volume, the unwrapped positions of every ion particle (centre of mass of each
molecule), the centre of mass of the solvent and of the whole system. Memory grows with
frames × ions, never with frames × atoms.

Unwrapping
----------
Atom displacements between consecutive frames are folded back by the minimum-image convention of the
*current* box, Δx = x(t) − x(t−1) − h(t) round(h(t)⁻¹ (x(t) − x(t−1))), and summed. This is the
"toroidal-view-preserving" scheme of von Bülow, Bullerjahn & Hummer (J. Chem. Phys. 153, 021101, 2020),
which stays jump-free when the box fluctuates at constant pressure; it assumes no atom moves more than
half a box length between stored frames. Each tracked point (molecule centre of mass, solvent and
system barycentre) is a fixed linear combination of atoms, so the pass keeps one sparse weight matrix
W and accumulates W·Δx (:mod:`ionscale.unwrap`: one compiled loop over the atoms when numba is
installed, NumPy otherwise, the same numbers either way). Molecules are made whole in the first frame only (minimum image about their
first atom), which fixes absolute positions; displacements — all that transport uses — are exact
whatever the first frame looks like.

Because frame t's increment depends only on frames t−1 and t, the frames can be cut into chunks that
are read in parallel (multiprocessing or Dask) and summed in order: the result is identical to the
serial pass, bit for bit. Worker processes write their increments straight into one file in shared
memory that the parent maps, so nothing of the trajectory's size is copied back. The workers end with
the parent however it ends, and the shared file loses its name as soon as it is made (Linux), so a
killed pass leaves neither processes nor files behind.

The cached result carries a checksum of every array and is recomputed when damaged; its key hashes
sampled content of the trajectory files besides their sizes and times (:func:`content_sample_hash`).
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import mmap
import multiprocessing
import os
import signal
import sys
import tempfile
import threading
import time
import warnings
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty
from typing import Callable, Optional, Protocol, Sequence

import numpy as np
import scipy.sparse as sp

from .core.files import atomic_write
from .errors import IonscaleError
from .system import Electrolyte
from .unwrap import Unwrapper, use_compiled

STORE_VERSION = 3  # 3: stores carry an integrity record (TransportStore.save)
ANGSTROM_PER_NM = 10.0
#: fewer stored frames than this cannot give a correlation function worth fitting
MIN_FRAMES = 4

Progress = Callable[[int, int], None]


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
class TransportStore:
    """What the transport analyses need from one trajectory.

    Attributes
    ----------
    time_ps : ndarray, shape (n_frames,)
        Time of each frame in ps, starting at 0 (uniformly spaced).
    volume_nm3 : ndarray, shape (n_frames,)
        Box volume in nm³.
    positions_nm : ndarray, shape (n_frames, n_particles, 3), or None
        Unwrapped positions of the ion particles in nm, species after species in the order of
        ``Electrolyte.ions``; ``counts`` gives how many belong to each. None for a pass without
        transport (``scan(..., transport=False)``), as are the two centres of mass.
    system_com_nm : ndarray, shape (n_frames, 3), or None
        Unwrapped centre of mass of all atoms (the barycentre) in nm.
    solvent_com_nm : ndarray, shape (n_frames, 3), or None
        Unwrapped centre of mass of all solvent molecules in nm (None without a solvent).
    counts : ndarray of int, shape (n_ion_species,)
    box_nm : ndarray, shape (n_frames, 6)
        Box of each frame: edge lengths a, b, c in nm and angles α, β, γ in degrees.
    extras : dict of ndarray
        What collectors kept, keyed ``"<collector name>/<array name>"``.
    """

    time_ps: np.ndarray
    volume_nm3: np.ndarray
    positions_nm: np.ndarray
    system_com_nm: np.ndarray
    solvent_com_nm: Optional[np.ndarray]
    counts: np.ndarray
    box_nm: Optional[np.ndarray] = None
    extras: dict = field(default_factory=dict)

    @property
    def n_frames(self) -> int:
        return len(self.time_ps)

    @property
    def frame_interval_ps(self) -> float:
        return float(self.time_ps[1] - self.time_ps[0]) if self.n_frames > 1 else float("nan")

    def species_positions(self, k: int) -> np.ndarray:
        """Positions of the particles of ion species k, shape (n_frames, n_k, 3), in nm."""
        edges = np.r_[0, np.cumsum(self.counts)]
        return self.positions_nm[:, edges[k]:edges[k + 1]]

    def save(self, path: Path, durable: bool = True) -> None:
        """Write atomically (temporary file, then rename): an interrupted save leaves nothing behind.

        The file carries an integrity record (:data:`INTEGRITY_KEY`): every array's dtype, shape and
        CRC-32 of its bytes, checked by :meth:`load`, so a truncated, bit-flipped or emptied file is
        detected instead of being read as results. ``durable=False`` skips waiting for the disk (for a
        cache: see :func:`atomic_write`)."""
        arrays = {k: v for k, v in self.__dict__.items() if v is not None and k != "extras"}
        arrays.update({f"extra:{k}": v for k, v in self.extras.items()})
        arrays = {k: np.asarray(v, order="C") for k, v in arrays.items()}  # (ascontiguousarray makes 0-d 1-d)
        record = {"version": STORE_VERSION, "arrays": {k: _array_record(v) for k, v in arrays.items()}}
        arrays[INTEGRITY_KEY] = np.frombuffer(json.dumps(record, sort_keys=True).encode(), dtype=np.uint8)
        atomic_write(Path(path), lambda f: np.savez(f, **arrays), binary=True, durable=durable)

    @classmethod
    def load(cls, path: Path) -> "TransportStore":
        """Read a store written by :meth:`save`; :class:`DamagedStoreError` if the file is unreadable,
        incomplete, altered or of another store version."""
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
        except Exception as err:  # zipfile, zlib, numpy and OS errors all mean the same: unusable
            raise DamagedStoreError(f"{path} cannot be read ({type(err).__name__}: {err})") from None
        _check_integrity(path, arrays)
        extras = {k[len("extra:"):]: arrays.pop(k) for k in list(arrays) if k.startswith("extra:")}
        for name in ("positions_nm", "system_com_nm", "solvent_com_nm"):
            arrays.setdefault(name, None)
        try:
            return cls(**arrays, extras=extras)
        except TypeError as err:
            raise DamagedStoreError(f"{path} holds unexpected arrays ({err})") from None


#: name of the integrity record in a saved store
INTEGRITY_KEY = "_integrity"


class DamagedStoreError(IonscaleError):
    """A saved store that is unreadable, incomplete, altered, or of another store version."""


def _array_record(array: np.ndarray) -> list:
    """[dtype, shape, CRC-32 of the bytes] of a C-contiguous array."""
    return [array.dtype.str, list(array.shape), zlib.crc32(memoryview(array).cast("B")) if array.size else 0]


def _check_integrity(path, arrays: dict) -> None:
    """Compare the loaded arrays with the record :meth:`TransportStore.save` wrote beside them."""
    raw = arrays.pop(INTEGRITY_KEY, None)
    if raw is None:
        raise DamagedStoreError(f"{path} has no integrity record (written by an older ionscale, or not a store)")
    try:
        record = json.loads(raw.tobytes().decode())
        expected = record["arrays"]
        version = record["version"]
    except (ValueError, KeyError, TypeError):
        raise DamagedStoreError(f"{path}: its integrity record is damaged") from None
    if version != STORE_VERSION:
        raise DamagedStoreError(f"{path} is a store of version {version}, this ionscale writes {STORE_VERSION}")
    if set(expected) != set(arrays):
        raise DamagedStoreError(f"{path} lacks or adds arrays: {sorted(set(expected) ^ set(arrays))}")
    for name, array in arrays.items():
        if _array_record(np.asarray(array, order="C")) != expected[name]:
            raise DamagedStoreError(f"{path}: array {name!r} does not match its checksum (the file was altered)")


# -- the weights of tracked points -----------------------------------------------------------------
def tracked_points(electrolyte: Electrolyte, solvent_weighting: str = "mass") -> sp.csr_matrix:
    """Sparse weight matrix W, shape (n_particles + 2, n_atoms): row p gives point p = Σ_a W[p, a] x_a.

    Rows: every ion particle (mass-weighted centre of its centre atoms), then the solvent centre
    (mass-weighted over all solvent atoms, or ``solvent_weighting="number"``: the mean of the solvent
    molecules' centres of mass; a zero row without solvent), then the barycentre of all atoms.
    """
    if solvent_weighting not in ("mass", "number"):
        raise IonscaleError(f"solvent_weighting must be 'mass' or 'number', got {solvent_weighting!r}")
    masses = electrolyte.universe.atoms.masses.astype(np.float64)
    n_atoms = len(masses)
    rows, cols, vals, offset = [], [], [], 0
    for s in electrolyte.ions:
        idx = s.atom_indices[s.center_mask]
        mol = s.molecule_of_atom[s.center_mask]
        w = masses[idx] / np.bincount(mol, weights=masses[idx])[mol]
        rows.append(offset + mol), cols.append(idx), vals.append(w)
        offset += s.n_molecules
    solvents = electrolyte.solvents
    if solvents:
        idx = np.concatenate([s.atom_indices for s in solvents])
        if solvent_weighting == "mass":
            w = masses[idx] / masses[idx].sum()
        else:
            n_mol = sum(s.n_molecules for s in solvents)
            w = np.concatenate([masses[s.atom_indices] / s.molecule_mass_g_mol for s in solvents]) / n_mol
        rows.append(np.full(len(idx), offset)), cols.append(idx), vals.append(w)
    rows.append(np.full(n_atoms, offset + 1)), cols.append(np.arange(n_atoms)), vals.append(masses / masses.sum())
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(offset + 2, n_atoms))


# -- minimum image --------------------------------------------------------------------------------
def minimum_image(vectors: np.ndarray, dimensions: np.ndarray) -> np.ndarray:
    """Fold vectors (n, 3) in Å into the minimum image of the box ``dimensions`` [a, b, c, α, β, γ]
    (Å, degrees); orthorhombic boxes take a fast path. Works in place and returns ``vectors``."""
    lengths, angles = dimensions[:3].astype(np.float64), dimensions[3:]
    if is_orthorhombic(angles):
        return _fold_orthorhombic(vectors, lengths)
    from MDAnalysis.lib.distances import minimize_vectors
    from MDAnalysis.lib.mdamath import triclinic_vectors
    if not np.isfinite(triclinic_vectors(dimensions)).all():
        raise IonscaleError("the trajectory's box is degenerate; transport needs a periodic box")
    vectors[:] = minimize_vectors(vectors, dimensions.astype(np.float64))
    return vectors


def is_orthorhombic(angles: np.ndarray) -> bool:
    """``np.allclose(angles, 90.0)``, without its overhead in the usual case of exact right angles."""
    return bool((angles == 90.0).all()) or bool(np.allclose(angles, 90.0))


def _fold_orthorhombic(vectors: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """In place: v −= L·rint(v / L) on every row (vector) with a component beyond half a box length.

    Only atoms that crossed a face need correcting, far fewer than all of them. For a C-contiguous
    float64 (n, 3) array the rows are found in one pass over the flat array against the smallest
    half-length (a superset), then checked per axis, so exactly the same rows get the same arithmetic
    as with the direct per-axis test (kept for other arrays).
    """
    half = 0.5 * lengths
    if vectors.ndim == 2 and vectors.shape[1] == 3 and vectors.dtype == np.float64 and vectors.flags.c_contiguous:
        candidates = np.flatnonzero(np.abs(vectors.reshape(-1)) > half.min())
        if not candidates.size:
            return vectors
        # a row with several such components is listed several times: it is corrected identically
        # each time, so the repeats change nothing (and cost less than removing them)
        rows = candidates // 3
        rows = rows[(np.abs(vectors[rows]) > half).any(axis=1)]
    else:
        crossed = np.abs(vectors) > half
        if not crossed.any():
            return vectors
        rows = np.flatnonzero(crossed.any(axis=1))
    if rows.size:
        sub = vectors[rows]
        sub -= lengths * np.rint(sub / lengths)
        vectors[rows] = sub
    return vectors


def _whole_molecules(positions: np.ndarray, dimensions: np.ndarray, first_atom: np.ndarray) -> np.ndarray:
    """Positions (n_atoms, 3) with each molecule made whole about its first atom (minimum image)."""
    x = positions.astype(np.float64)
    rel = x - x[first_atom]
    return x[first_atom] + minimum_image(rel, dimensions)


# -- the pass -------------------------------------------------------------------------------------
@dataclass
class _Chunk:
    time_ps: np.ndarray
    volume_nm3: np.ndarray
    box_nm: np.ndarray      # (n_frames, 6): lengths in nm, angles in degrees
    increments: np.ndarray | None  # (n_frames, n_points, 3) in Å; None if written to shared rows
    collected: dict                # collector name → list of per-frame dicts


@dataclass(frozen=True)
class _SharedRows:
    """Frames ``first`` .. ``first + n - 1`` of the increments (n_frames, n_points, 3), float64, kept in a
    file that the parent and the worker processes all map: a worker writes its chunk in place, and the
    parent finds the whole pass in its own mapping, with no copy sent back through a pipe."""
    path: str
    shape: tuple
    first: int

    def rows(self, n: int) -> np.ndarray:
        return _map_shared(self.path, self.shape)[self.first:self.first + n]


def _map_shared(path: str, shape: tuple) -> np.ndarray:
    """The file at ``path`` as a writable float64 array of ``shape`` (the mapping lives as long as the
    array, also after the file is unlinked)."""
    with open(path, "r+b") as f:
        buffer = mmap.mmap(f.fileno(), int(np.prod(shape)) * 8)
    return np.frombuffer(buffer, dtype=np.float64).reshape(shape)


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


def _shared_file(n_bytes: int) -> str | None:
    """A new file of ``n_bytes`` with its space reserved (so that a full file system fails here, not as a
    bus error in a worker), in shared memory (/dev/shm) if there is room, else in the temporary folder;
    None if neither has room, and off POSIX systems (the file is unlinked while mapped)."""
    if os.name != "posix":
        return None
    for folder in ("/dev/shm", tempfile.gettempdir()):
        if not os.path.isdir(folder):
            continue
        try:
            fd, path = tempfile.mkstemp(prefix="ionscale-pass-", suffix=".f64", dir=folder)
        except OSError:
            continue
        try:
            if hasattr(os, "posix_fallocate"):
                os.posix_fallocate(fd, 0, n_bytes)
            else:
                os.ftruncate(fd, n_bytes)
            return path
        except OSError:
            os.unlink(path)
        finally:
            os.close(fd)
    return None


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
                total: int = 0, shared: _SharedRows | None = None) -> _Chunk:
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
                unwrapper.first(_whole_molecules(ts.positions, dims, first_atom), ts.positions, increments[k])
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
    volume_nm3 = _box_volumes(box_nm) / ANGSTROM_PER_NM ** 3
    box_nm[:, :3] /= ANGSTROM_PER_NM
    return _Chunk(time_ps, volume_nm3, box_nm, None if shared is not None else increments, collected)


def _box_volumes(box: np.ndarray) -> np.ndarray:
    """Volumes of boxes (n, 6) [a, b, c in Å, α, β, γ in degrees] in Å³: ``Timestep.volume`` of each,
    with the orthorhombic ones (a·b·c in float64, as MDAnalysis computes them) done at once."""
    volume = box[:, 0] * box[:, 1] * box[:, 2]
    from MDAnalysis.lib.mdamath import box_volume
    for k in np.flatnonzero((box[:, 3:] != 90.0).any(axis=1)):
        volume[k] = box_volume(box[k])
    return volume


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


#: a user's timestep may differ this much (relative) from the frame interval a trajectory stores
#: (single-precision times and unit conversions of DCD headers differ by ~1e-7)
TIMESTEP_TOLERANCE = 1e-4


def _frame_times(universe, frames: np.ndarray, timestep_ps: float | None,
                 force_timestep: bool = False) -> np.ndarray | None:
    """Times in ps from the user's timestep, or None to take them from the reader (checked to exist).

    A timestep that contradicts the frame interval the trajectory stores is refused unless forced: it
    would scale every D, L_ij and κ by the ratio (a wrong unit, e.g. fs for ps, gives factors of 1000)."""
    if len(frames) == 1:  # one configuration (structure only): no interval to know
        return np.zeros(1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        stored = universe.trajectory.dt
    has_times = not any("dt information" in str(w.message) for w in caught)
    if timestep_ps is not None:
        if has_times and not force_timestep and abs(timestep_ps - stored) > TIMESTEP_TOLERANCE * abs(stored):
            raise IonscaleError(
                f"the timestep given, {timestep_ps:g} ps, contradicts the {stored:g} ps between frames that the "
                "trajectory stores (every D, L_ij and κ would be off by their ratio). Drop the timestep to use "
                "the stored times, or force yours if the stored times are wrong (force_timestep=True, "
                "--force-timestep)")
        return (frames - frames[0]) * float(timestep_ps)
    if not has_times:
        raise IonscaleError(
            "the trajectory carries no time information (e.g. a LAMMPS dump); give the time between "
            "stored frames: timestep_ps=... in Python, --timestep PS on the command line")
    return None


def scan(electrolyte: Electrolyte, *, start: int | None = None, stop: int | None = None, step: int | None = None,
         solvent_weighting: str = "mass", collectors: Sequence[Collector] = (), backend: str = "serial",
         n_workers: int = 1, cache: bool | Path = True, progress: Progress | None = None,
         transport: bool = True) -> TransportStore:
    """Run the streaming pass (or load its cached result) and return a :class:`TransportStore`.

    Parameters
    ----------
    start, stop, step : int, optional
        Frames to read, as in ``trajectory[start:stop:step]``.
    solvent_weighting : {"mass", "number"}
        How the solvent reference point averages the solvent molecules (SPEC §2.1).
    collectors : sequence of Collector
        Extra per-frame work done in the same pass; what they keep lands in ``store.extras``.
    backend : {"serial", "multiprocessing", "dask"}
        Read chunks of frames in parallel processes, or as Dask tasks on the active scheduler
        (a ``dask.distributed.Client`` if one exists). Results are identical to the serial pass.
    n_workers : int
        Number of chunks (and processes for ``multiprocessing``); 0 picks it (:func:`auto_workers`).
    cache : bool or path
        Keep the result in ``.ionscale-cache/`` beside the trajectory (or in the given folder) and
        reuse it when the files and settings are unchanged.
    progress : callable(done, total), optional
        Called after each frame (serial) or chunk (parallel).
    transport : bool
        False: run only the collectors (and keep times, volumes and boxes), without the unwrapped
        positions that transport needs — ``positions_nm`` and the centres of mass are None. For
        analyses that need nothing else, e.g. the structure analysis alone; cached apart from full passes.
    """
    universe = electrolyte.universe
    frames = np.arange(len(universe.trajectory))[slice(start, stop, step)]
    if len(frames) < (MIN_FRAMES if transport else 1):
        raise IonscaleError(f"only {len(frames)} frame(s) selected; transport needs at least {MIN_FRAMES} "
                            "(and many more for a diffusive regime): use a longer trajectory or a smaller step; the "
                            "structure alone needs one frame (--no-transport --no-mesoscale)")
    times = _frame_times(universe, frames, electrolyte.timestep_ps, electrolyte.force_timestep)
    weights = tracked_points(electrolyte, solvent_weighting) if transport else None
    settings = {"frames": [int(frames[0]), int(frames[-1]), len(frames)], "timestep_ps": electrolyte.timestep_ps,
                "solvent_weighting": solvent_weighting, "collectors": {c.name: c.key for c in collectors}}
    if not transport:  # keyed apart; full passes keep the keys (and caches) they had
        settings["transport"] = False
    cache_file = _cache_path(electrolyte, weights, settings, cache)
    if cache_file is not None and cache_file.exists():
        try:
            return TransportStore.load(cache_file)
        except DamagedStoreError as err:  # a damaged cache is recomputed, never used
            warnings.warn(f"the cached pass is damaged and is recomputed: {err}")
            cache_file.unlink(missing_ok=True)

    first_atom = _first_atom_of_molecule(electrolyte.molecules) if transport else None
    if n_workers < 0:
        raise IonscaleError(f"n_workers must be 0 (automatic) or a number of processes, got {n_workers}")
    if n_workers == 0:
        n_workers = auto_workers(len(frames), len(universe.atoms))
    chunks, increments = _run_chunks(universe, weights, first_atom, frames, collectors, backend, n_workers,
                                     progress)
    time_ps = np.concatenate([c.time_ps for c in chunks]) if times is None else times
    time_ps = _uniform_times(time_ps)
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
    if cache_file is not None:
        try:
            store.save(cache_file, durable=False)
        except OSError as err:
            warnings.warn(f"could not write the cache {cache_file}: {err}")
    return store


#: frames × atoms below which a parallel pass does not repay starting its processes (about a second)
PARALLEL_MIN_WORK = 10_000_000


def auto_workers(n_frames: int, n_atoms: int) -> int:
    """Processes for a pass: every available core (at most 8) when the trajectory is large enough for
    parallel reading to repay starting the processes, else 1."""
    if n_frames * n_atoms < PARALLEL_MIN_WORK:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, 8))


def _first_atom_of_molecule(mol: np.ndarray) -> np.ndarray:
    """Index of the first atom of each atom's molecule, shape (n_atoms,); ``mol``: molecule of each atom."""
    first = np.full(mol.max() + 1, len(mol))
    np.minimum.at(first, mol, np.arange(len(mol)))
    return first[mol]


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
        chunks = list(dask.compute(*tasks, scheduler=_dask_scheduler()))
        if progress is not None:
            progress(len(parts), len(parts))
        return chunks, _joined_increments(chunks)
    shape = path = None
    if weights is not None:
        shape = (len(frames), weights.shape[0], 3)
        path = _shared_file(int(np.prod(shape)) * 8)
    if path is None:  # no transport, or no room for a shared file: the chunks come back through pipes
        chunks = _run_in_processes(jobs, n_workers, progress, len(frames))
        return chunks, _joined_increments(chunks)
    with _detached(path) as reachable:  # the parent's mapping outlives the file's name; the memory goes with it
        starts = np.cumsum([0] + [len(p) for p in parts[:-1]])
        shared = [_SharedRows(reachable, shape, int(first)) for first in starts]
        chunks = _run_in_processes(jobs, n_workers, progress, len(frames), shared)
        return chunks, _map_shared(reachable, shape)


@contextlib.contextmanager
def _detached(path: str):
    """The shared file ``path`` under a name that dies with this process, deleted at the end.

    A process killed by SIGKILL runs no clean-up, so a named file in /dev/shm would stay behind and
    hold its memory. On Linux the file is therefore unlinked at once and kept by an open descriptor,
    which the workers reach as ``/proc/<parent pid>/fd/<fd>``: the kernel frees it when the last
    process holding it goes, however it ends. Elsewhere the name lives until the pass ends."""
    fd = os.open(path, os.O_RDWR)
    through_proc = f"/proc/{os.getpid()}/fd/{fd}"
    try:
        if os.path.exists(through_proc):
            os.unlink(path)
            yield through_proc
        else:
            yield path
    finally:
        os.close(fd)
        if os.path.exists(path):
            os.unlink(path)


def _joined_increments(chunks: list[_Chunk]) -> np.ndarray | None:
    """The chunks' increments in one array (a single chunk's own buffer, not a copy), taken from the
    chunks, or None without transport."""
    if chunks[0].increments is None:
        return None
    increments = chunks[0].increments if len(chunks) == 1 else np.concatenate([c.increments for c in chunks])
    for c in chunks:
        c.increments = None
    return increments


def _run_in_processes(jobs: list, n_workers: int, progress: Progress | None, total: int,
                      shared: Sequence[_SharedRows | None] | None = None) -> list[_Chunk]:
    """The chunk jobs in a process pool, each writing its increments into its ``shared`` rows if given;
    workers report frames read through a queue, so ``progress`` counts frames as the serial pass does.
    The workers die with this process, however it ends (:func:`_worker_start`)."""
    shared = shared or [None] * len(jobs)
    context = multiprocessing.get_context()
    queue = context.Queue() if progress is not None else None
    with ProcessPoolExecutor(max_workers=n_workers, mp_context=context, initializer=_worker_start,
                             initargs=(os.getpid(), queue)) as pool:
        futures = [pool.submit(_scan_chunk, *job, shared=rows,
                               progress=None if queue is None else _QueueProgress(k))
                   for k, (job, rows) in enumerate(zip(jobs, shared))]
        if queue is None:
            return [f.result() for f in futures]
        done = [0] * len(jobs)
        while not all(f.done() for f in futures):
            try:
                chunk, count = queue.get(timeout=0.2)
            except Empty:
                continue
            done[chunk] = count
            progress(sum(done), total)
        chunks = [f.result() for f in futures]
        progress(total, total)
        queue.close()
        return chunks


#: PR_SET_PDEATHSIG of Linux prctl(2): the signal a process receives when its parent ends
PR_SET_PDEATHSIG = 1
#: the progress queue of a worker process (set by :func:`_worker_start`)
_worker_queue = None


def _worker_start(parent: int, queue) -> None:
    """Start of a pass worker: ask to be killed when the parent process ends, by any means — SIGKILL and
    SIGTERM included, which leave the parent no chance to stop its pool (Linux: prctl PR_SET_PDEATHSIG;
    elsewhere a thread that watches the parent's process id) — and keep the progress queue."""
    global _worker_queue
    _worker_queue = queue
    watched = False
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            watched = libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
        except (OSError, AttributeError):
            watched = False
    if os.getppid() != parent:  # the parent ended before the request took effect
        os._exit(1)
    if not watched:
        threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int, interval_s: float = 0.5) -> None:
    """Poll the parent process id and end this process once the parent has gone (it is re-parented)."""
    while os.getppid() == parent:
        time.sleep(interval_s)
    os._exit(1)


class _QueueProgress:
    """Progress callback of a chunk in a worker process: sends (chunk, frames done) about every 1 %."""

    def __init__(self, chunk: int):
        self.chunk = chunk

    def __call__(self, done: int, total: int) -> None:
        if done == total or done % max(1, total // 100) == 0:
            _worker_queue.put((self.chunk, done))


def _dask_scheduler():
    """The active distributed client if there is one, else Dask's process pool."""
    try:
        from distributed import get_client
        return get_client()
    except (ImportError, ValueError):
        return "processes"


def _uniform_times(time_ps: np.ndarray) -> np.ndarray:
    """Check that frames (times in ps as stored) are evenly spaced and return the exact grid k·Δt from 0.

    Formats that store times in single precision (XTC, TRR) round each time to half a float32 spacing
    at its magnitude — at t = 1e5 ps that is 0.004 ps — so two intervals may differ by up to two such
    spacings without any irregularity; beyond that (and 1e-5 of Δt) the frames are refused. Δt, the
    mean interval, is then known to within that rounding over the frame count (and 1e-7 of itself); it
    is given the fewest significant digits (at most 6) that stay within it, so that a window such as
    5–50 ps selects the same lags whatever the file format and a 0.1 ps interval stays 0.1 ps."""
    dt = np.diff(time_ps)
    if not dt.size:
        return np.zeros(len(time_ps))
    rounding = 2.0 * float(np.spacing(np.float32(np.abs(time_ps).max())))
    if not (dt > 0).all() or np.ptp(dt) > max(1e-5 * abs(dt.mean()), 1.01 * rounding):
        raise IonscaleError(
            f"frames are not evenly spaced in time (intervals from {dt.min():g} to {dt.max():g} ps); "
            "the correlation functions need a uniform interval. Concatenate compatible files, select a "
            "regular stride (step=...), or give timestep_ps=... if the stored times are wrong.")
    mean = (time_ps[-1] - time_ps[0]) / len(dt)
    known_to = rounding / len(dt) + 1e-7 * abs(mean)
    interval = next((c for c in (float(f"{mean:.{d}g}") for d in range(1, 7)) if abs(c - mean) <= known_to),
                    float(f"{mean:.6g}"))
    return np.arange(len(time_ps)) * interval


# -- cache ----------------------------------------------------------------------------------------
#: content sampled for a file's identity: this many blocks of SAMPLE_BLOCK_BYTES, evenly spread over the file
SAMPLE_BLOCKS, SAMPLE_BLOCK_BYTES = 64, 64 * 1024


def _file_identity(path: str) -> list:
    """Path, size, modification time and a hash of sampled content: a file copied over another with the
    same size and time (``cp -p``) or rewritten in place still changes its identity."""
    st = os.stat(path)
    return [os.path.abspath(path), st.st_size, st.st_mtime_ns, content_sample_hash(path, st.st_size)]


def content_sample_hash(path: str, size: int | None = None) -> str:
    """SHA-256 of :data:`SAMPLE_BLOCKS` blocks of :data:`SAMPLE_BLOCK_BYTES` spread evenly over the file,
    the first and the last included (the whole file when it is smaller): 4 MiB read whatever the size."""
    size = os.path.getsize(path) if size is None else size
    digest = hashlib.sha256(str(size).encode())
    with open(path, "rb") as f:
        if size <= SAMPLE_BLOCKS * SAMPLE_BLOCK_BYTES:
            digest.update(f.read())
        else:
            for offset in np.linspace(0, size - SAMPLE_BLOCK_BYTES, SAMPLE_BLOCKS).astype(np.int64):
                f.seek(int(offset))
                digest.update(f.read(SAMPLE_BLOCK_BYTES))
    return digest.hexdigest()


def _trajectory_files(universe) -> list[str]:
    traj = universe.trajectory
    names = getattr(traj, "filenames", None) or [getattr(traj, "filename", None)]
    return [str(n) for n in names if n is not None and os.path.exists(str(n))]


def trajectory_fingerprint(universe) -> tuple:
    """What makes two trajectories the same: per file its size and sampled content hash (the same file
    under another name, a link or a copy give the same fingerprint); an in-memory trajectory is itself."""
    files = _trajectory_files(universe)
    if not files:
        return ("memory", id(universe.trajectory))
    return tuple((os.path.getsize(f), content_sample_hash(f)) for f in files)


def _cache_path(electrolyte: Electrolyte, weights: sp.csr_matrix | None, settings: dict, cache) -> Path | None:
    if cache is False:
        return None
    universe = electrolyte.universe
    files = _trajectory_files(universe)
    topology = getattr(universe, "filename", None)
    if not files:
        return None  # in-memory trajectory: nothing to key on
    digest = hashlib.sha256()
    digest.update(json.dumps({
        "version": STORE_VERSION,
        "files": [_file_identity(f) for f in files + ([str(topology)] if topology and os.path.exists(str(topology)) else [])],
        "settings": settings,
    }, sort_keys=True).encode())
    for array in (weights.indices, weights.indptr, weights.data) if weights is not None else ():
        digest.update(np.ascontiguousarray(array).tobytes())
    folder = Path(cache) if isinstance(cache, (str, Path)) else Path(files[0]).parent / ".ionscale-cache"
    if not os.access(folder if folder.exists() else folder.parent, os.W_OK):
        folder = Path.home() / ".cache" / "ionscale"
    return folder / f"{Path(files[0]).stem}-{digest.hexdigest()[:20]}.npz"
