"""What the pass keeps of a trajectory: the frame store, the points it tracks, the times of its frames.

:class:`TransportStore` holds per frame the time, the box and its volume, the unwrapped positions of
every ion particle (centre of mass of each molecule) and the centres of mass of the solvent and of the
whole system, plus what the pass's collectors kept; it saves to one ``.npz`` file with an integrity
record (every array's dtype, shape and CRC-32), so a damaged file is detected on loading
(:class:`DamagedStoreError`). :func:`tracked_points` is the sparse weight matrix W from atoms to those
points; :func:`frame_times` and :func:`uniform_times` give the frames' times in ps, checked to be evenly
spaced and consistent with a timestep the user gives.
"""

from __future__ import annotations

import json
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
import scipy.sparse as sp

from ..core.files import atomic_write
from ..errors import IonscaleError
from ..system import Electrolyte

STORE_VERSION = 3  # 3: stores carry an integrity record (TransportStore.save)


ANGSTROM_PER_NM = 10.0
#: fewer stored frames than this cannot give a correlation function worth fitting
MIN_FRAMES = 4


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


#: a user's timestep may differ this much (relative) from the frame interval a trajectory stores
#: (single-precision times and unit conversions of DCD headers differ by ~1e-7)
TIMESTEP_TOLERANCE = 1e-4


def frame_times(universe, frames: np.ndarray, timestep_ps: float | None,
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


def uniform_times(time_ps: np.ndarray) -> np.ndarray:
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
