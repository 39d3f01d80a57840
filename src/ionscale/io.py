"""Opening trajectories: MDAnalysis universes with formats guessed from common extensions.

MDAnalysis guesses most formats from file extensions; this adds the LAMMPS habits it does not know
(``.lmp`` data files), extended XYZ (:func:`read_extxyz`), a box for files without one, and turns the
many ways a read can fail into one clear :class:`IonscaleError`.
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
import sys
import warnings
from pathlib import Path
from typing import Sequence

import MDAnalysis as mda
import numpy as np

from .errors import IonscaleError

#: extensions MDAnalysis does not map to the format they usually hold
TOPOLOGY_FORMATS = {".lmp": "DATA", ".data": "DATA"}
TRAJECTORY_FORMATS = {".lammpstrj": "LAMMPSDUMP", ".dump": "LAMMPSDUMP"}


def open_universe(topology: str | Path, trajectories: Sequence[str | Path] = (), *,
                  topology_format: str | None = None, format: str | None = None,
                  box_nm: Sequence[float] | None = None) -> mda.Universe:
    """An MDAnalysis Universe of ``topology`` and ``trajectories`` (joined in order), or a clear error.

    Extended XYZ files (``.extxyz``, or ``.xyz`` whose comment line holds ``Lattice=``) are read by
    :func:`read_extxyz`. ``box_nm`` (orthorhombic edge lengths in nm) sets the box of every frame, for
    files without one (plain xyz) or with a wrong one."""
    paths = [Path(topology), *map(Path, trajectories)]
    for p in paths:
        if not p.exists():
            raise IonscaleError(f"file not found: {p}")
        if p.is_dir():
            raise IonscaleError(f"{p} is a folder, not a file: give the topology or trajectory file inside it")
    if box_nm is not None and (len(box_nm) != 3 or not all(np.isfinite(b) and b > 0 for b in box_nm)):
        raise IonscaleError(f"the box needs three positive edge lengths in nm (--box LX LY LZ), got {list(box_nm)}")
    if topology_format is None and is_extxyz(paths[0]):
        sources = paths[1:] or paths[:1]
        if len(sources) != 1 or not is_extxyz(sources[0]):
            raise IonscaleError(f"{paths[0]} is an extended XYZ file, topology and trajectory in one: give one "
                                "such file as both (ionscale analyze run.extxyz run.extxyz)")
        universe = read_extxyz(sources[0])
    else:
        universe = _mdanalysis_universe(paths, topology_format, format, trajectories)
    _check_complete_dump(universe.trajectory)
    if box_nm is not None:
        _set_box(universe, box_nm)
    if len(paths) > 1 or is_extxyz(paths[0]):  # a trajectory to analyse, not a topology to list
        _check_box(universe, paths)
    return universe


def _check_complete_dump(reader) -> None:
    """Refuse a LAMMPS dump whose last frame is cut: MDAnalysis counts whole frames of n_atoms + 9 lines
    and silently drops a partial one at the end (a run killed while writing, a copy cut short)."""
    if type(reader).__name__ != "DumpReader" or not reader.n_frames:
        return
    with open(reader.filename, "rb") as fh:
        fh.seek(reader._offsets[-1])
        for _ in range(reader.n_atoms + 9):
            fh.readline()
        rest = fh.read(1 << 16)
    if rest.strip():
        lines = rest.count(b"\n")
        raise IonscaleError(
            f"{reader.filename} ends with an incomplete frame after its {reader.n_frames} whole ones ({lines} "
            f"line(s) of a frame of {reader.n_atoms + 9}): the dump was cut (a run stopped while writing, or a "
            "copy cut short). Use a complete file, or cut it after the last whole frame "
            f"(head -n {reader.n_frames * (reader.n_atoms + 9)}).")


def _set_box(universe, box_nm) -> None:
    from MDAnalysis.transformations.boxdimensions import set_dimensions
    universe.trajectory.add_transformations(set_dimensions(np.r_[np.asarray(box_nm, float) * 10.0, 90.0, 90.0, 90.0]))


def _check_box(universe, paths) -> None:
    """Refuse a trajectory without a periodic box: every analysis needs the volume and minimum images."""
    dims = universe.trajectory.ts.dimensions
    if dims is None or not np.all(np.asarray(dims[:3]) > 0):
        raise IonscaleError(f"{paths[-1]} has no periodic box, which the volume, unwrapping and contacts need: give "
                            "it, --box LX LY LZ (nm; Python: open_universe(..., box_nm=(lx, ly, lz)))")


def is_extxyz(path: Path) -> bool:
    """An extended XYZ file: extension .extxyz, or .xyz with ``Lattice=`` on its comment line."""
    if path.suffix.lower() == ".extxyz":
        return True
    if path.suffix.lower() != ".xyz":
        return False
    with open(path, errors="replace") as fh:
        fh.readline()
        return "lattice=" in fh.readline().lower()


_KEY_VALUE = re.compile(r'(\w+)=("[^"]*"|\S+)')


def read_extxyz(path: str | Path) -> mda.Universe:
    """An in-memory Universe of an extended XYZ file (every frame; positions in Å as the format says).

    Per frame: the atom count, a comment line of ``key=value`` pairs — ``Lattice="ax ay az bx by bz cx cy
    cz"`` (Å; the box vectors), ``Properties=species:S:1:pos:R:3[:charge:R:1...]`` (the columns),
    optionally ``Time=`` (ps) — then one line per atom. Atom names, types and elements are the
    ``species`` column; masses are the elements' standard masses (MDAnalysis tables); partial charges
    come from a ``charge`` (or ``charges``, ``initial_charges``) column when there is one. Frames must keep
    the atom count and order. Raises IonscaleError on anything malformed, naming the line.
    """
    from MDAnalysis.coordinates.memory import MemoryReader
    from MDAnalysis.guesser.tables import masses as standard_masses
    from MDAnalysis.lib.mdamath import triclinic_box

    path = Path(path)
    lines = path.read_text(errors="replace").splitlines()
    frames, boxes, times, species, charges, k = [], [], [], None, None, 0
    while k < len(lines) and lines[k].strip():
        where = f"{path}, line {k + 1}"
        try:
            n = int(lines[k].split()[0])
        except ValueError:
            raise IonscaleError(f"{where}: expected the atom count of a frame, got {lines[k][:40]!r}") from None
        if k + 2 + n > len(lines):
            raise IonscaleError(f"{where}: the frame announces {n} atoms but the file ends after "
                                f"{max(0, len(lines) - k - 2)} (truncated file?)")
        info = {key.lower(): value.strip('"') for key, value in _KEY_VALUE.findall(lines[k + 1])}
        if "lattice" not in info:
            raise IonscaleError(f"{path}, line {k + 2}: no Lattice=\"...\" (the box) on the comment line")
        columns = _extxyz_columns(info.get("properties", "species:S:1:pos:R:3"), f"{path}, line {k + 2}")
        rows = [line.split() for line in lines[k + 2:k + 2 + n]]
        width = sum(c[2] for c in columns)
        bad = next((j for j, r in enumerate(rows) if len(r) < width), None)
        if bad is not None:
            raise IonscaleError(f"{path}, line {k + 3 + bad}: {len(rows[bad])} columns, the Properties need {width}")
        table = {}
        start = 0
        for name, kind, count in columns:
            table[name] = [r[start:start + count] for r in rows]
            start += count
        if "species" not in table or "pos" not in table:
            raise IonscaleError(f"{path}, line {k + 2}: Properties need the columns species and pos")
        names = [c[0] for c in table["species"]]
        if species is None:
            species = names
        elif names != species:
            raise IonscaleError(f"{where}: the atoms differ from the first frame's (count or order)")
        try:
            frames.append(np.array(table["pos"], dtype=float))
            lattice = np.array(info["lattice"].split(), dtype=float).reshape(3, 3)
            charge_column = next((table[c] for c in ("charge", "charges", "initial_charges") if c in table), None)
            if charge_column is not None and charges is None:
                charges = np.array(charge_column, dtype=float)[:, 0]
            times.append(float(info["time"]) if "time" in info else np.nan)
        except ValueError as err:
            raise IonscaleError(f"{where}: a number cannot be read ({err})") from None
        boxes.append(triclinic_box(*lattice))
        k += 2 + n
    if not frames:
        raise IonscaleError(f"{path}: no frame (empty file?)")
    elements = [s.capitalize() for s in species]
    unknown = sorted({e for e in elements if e.upper() not in standard_masses})
    if unknown:
        raise IonscaleError(f"{path}: no standard mass for the species {unknown}; name atoms by element")
    u = mda.Universe.empty(len(species), n_residues=len(species), atom_resindex=np.arange(len(species)),
                           trajectory=True)
    for attr, values in (("names", species), ("types", species), ("elements", elements),
                         ("masses", [standard_masses[e.upper()] for e in elements])):
        u.add_TopologyAttr(attr, values)
    u.add_TopologyAttr("resnames", species)
    if charges is not None:
        u.add_TopologyAttr("charges", charges)
    dt = np.diff(times)
    kwargs = {"dt": float(dt[0])} if len(times) > 1 and np.isfinite(dt).all() else {}
    u.load_new(np.stack(frames).astype(np.float32), format=MemoryReader, dimensions=np.stack(boxes), **kwargs)
    return u


def _extxyz_columns(properties: str, where: str) -> list:
    """The columns of ``Properties=name:type:count:...`` as (name, type, count)."""
    parts = properties.split(":")
    if len(parts) % 3:
        raise IonscaleError(f"{where}: malformed Properties={properties!r} (name:type:count triples)")
    try:
        return [(parts[i].lower(), parts[i + 1], int(parts[i + 2])) for i in range(0, len(parts), 3)]
    except ValueError:
        raise IonscaleError(f"{where}: malformed Properties={properties!r} (counts must be integers)") from None


def _mdanalysis_universe(paths, topology_format, format, trajectories) -> mda.Universe:
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
