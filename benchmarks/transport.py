#!/usr/bin/env python
"""Transport benchmark: the ionscale analysis against a bare MDAnalysis read, kinisi and EinsteinMSD.

What it does
------------
1. Writes (once, then reuses) a synthetic electrolyte into a cache folder (default
   ``benchmarks/.data/<size>/``): single-atom cations, 5-atom anions (BF4-like) and 3-atom solvent
   molecules (water-like), as a LAMMPS DATA topology (masses, charges, molecule ids, bonds) and an
   XTC trajectory. Molecules random-walk as rigid bodies (centre-of-mass steps and small random
   rotations), atoms get a small non-accumulating jitter, the system's centre of mass is held fixed
   (as momentum conservation does in MD), and every atom is wrapped into the box, so unwrapping is
   exercised. Frames are generated and written one at a time: memory stays bounded at any size.
   Full size: 20,100 atoms (1,000 cations + 1,000 anions + 4,700 solvent molecules), 5,000 frames.
2. Times, each run in its own fresh Python process so that its peak memory is its own (the child's
   ``ru_maxrss`` from ``wait4``):

   a. bare read       ``for ts in u.trajectory: ts.positions`` (MDAnalysis only: the floor);
   b. ionscale pass   ``Electrolyte.from_universe(...)`` + ``store.scan(cache=False)``: the streaming
                      pass alone, to show where the time goes;
   c. ionscale        ``Electrolyte.from_universe(...)`` + ``OnsagerAnalysis(es, temperature=300,
                      cache=False).run()``, solvent given, so the lab, barycentric and solvent frames
                      are all computed (with the default 5 blocks for error bars), in one process;
   c'. ionscale, parallel: the same with ``n_workers=0`` (what ``ionscale analyze`` does by default):
                      chunks of frames are read by one process per core (up to 8); its CPU time and
                      memory include the worker processes;
   d. EinsteinMSD     ``MDAnalysis.analysis.msd.EinsteinMSD(fft=True)`` on the cation and anion atoms
                      in one pass, unwrapped on the fly by MDAnalysis's ``NoJump`` transformation (the
                      documented way; the MSD of a wrapped trajectory would be wrong);
   e. kinisi          ``kinisi.analyze.ConductivityAnalyzer.from_universe`` (mean-squared charge
                      displacement) + ``.conductivity(start_dt, temperature)`` (its Bayesian fit), from
                      the start of ionscale's fit window. kinisi 2.1 cannot mix ions of different
                      charge in one analyzer (a per-ion charge array fails: kinisi issue #174), so the
                      cations (``specie='1'``) and the anions (molecules: ``species_indices`` +
                      ``masses``) are analysed one after the other; there is no cross term.
                      With its default lags (all of them, as ionscale uses) it is first measured on
                      the first 250/500/1000 frames; its full-size time is extrapolated from those
                      (labelled as such) and it is run at full size only if that estimate is within
                      ``--kinisi-timeout``. It is also run at full size with ``--kinisi-lags``
                      log-spaced lags. A kinisi run past ``--kinisi-timeout`` s or
                      ``--kinisi-memory`` GiB is stopped and reported as failed.

   Wall and CPU time are measured inside the child, from just before the Universe is built to the end
   of the analysis (imports excluded). The bare read and the ionscale runs are repeated
   (``--repeat``, interleaved) and the best run is reported, since other load can only add time.
3. Prints the table with the ratios to the bare read and checks the targets, for the serial and the
   parallel (default) analysis: ≤ 1.3 × the bare read (wall; the bare read is one process), peak
   memory < 1 GiB. Exit status 0 only if both hold for the default, parallel analysis.
   Also cross-checks ionscale's cation D (lab frame) against EinsteinMSD's over the same window.

Usage
-----
    .venv/bin/python benchmarks/transport.py            # full size (≈ 25 min on 2 cores, mostly kinisi)
    .venv/bin/python benchmarks/transport.py --quick    # smoke size (≈ 2 k atoms, 500 frames; ~1–2 min)
    .venv/bin/python benchmarks/transport.py --skip kinisi,einstein --repeat 5   # ionscale vs bare only
    .venv/bin/python benchmarks/transport.py --scaling  # 2.5k–20k frames, as `ionscale analyze` (≈ 20 min)

The data are written once (~100 s at full size) into ``benchmarks/.data/`` (``--data DIR`` to
change); delete the folder to regenerate.

Scaling (``--scaling``)
-----------------------
The full-size system is written once with 20,000 frames (1.5 GB, ~150 s; deleted at the end unless
``--keep-data``); each length N of ``--scaling-frames`` (default 2.5k, 5k, 10k, 20k) reads its first N
frames. For every N, interleaved over ``--repeat`` rounds (best kept): the bare read of those frames,
and ``ionscale analyze --no-structure --no-mesoscale`` as the command line runs it — the pass into a
cold cache, ``OnsagerAnalysis.run()`` on its store, ``write_analysis`` with the figures — serially
(``--workers 1``) and with the default workers. Printed: times and ratios to the bare read (also of
``run()`` alone, and the serial CPU ratio), peak Pss of the process tree, the size of the stored series,
and the stages (decode, unwrap, cache, correlations, fits, writing, figures; wall and CPU) timed by
wrapping those functions in the child process. Exit status 0 only if both analyses stay within
1.3 × the bare read at every length and their ratios within ±0.1 of each other.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
GIB = 2.0 ** 30

#: system sizes: cations (1 atom), anions (5 atoms), solvent molecules (3 atoms), frames
SIZES = {
    "full": dict(n_cation=1000, n_anion=1000, n_solvent=4700, n_frames=5000),
    "quick": dict(n_cation=100, n_anion=100, n_solvent=470, n_frames=500),
    # --scaling: the full system, long enough for the longest length; shorter ones read its first frames
    "scaling": dict(n_cation=1000, n_anion=1000, n_solvent=4700, n_frames=20000),
}
FORMAT_VERSION = 1
TIMESTEP_PS = 1.0          # time between stored frames
ATOMS_PER_A3 = 0.1         # number density of atoms (liquid water: 0.100 Å⁻³)
#: rigid-body centre-of-mass step (Å per frame, per Cartesian direction) and rotation step (rad)
STEP_A = {"cation": 0.25, "anion": 0.18, "solvent": 0.35}
ROTATION_RAD = 0.15
JITTER_A = 0.05
SELECTIONS = dict(cation="type 1", anion="type 2 3", solvent="type 4 5")
TEMPERATURE_K = 300.0
TARGET_RATIO = 1.3
TARGET_MEMORY_GIB = 1.0


# =================================================================================================
# the synthetic trajectory
# =================================================================================================
def _templates():
    """Body-frame geometry of each molecule kind: (type ids, masses, charges, offsets from the COM in Å, bonds)."""
    # BF4-like tetrahedron (B–F 1.40 Å) and a water-like molecule (O–H 0.9572 Å, 104.52°)
    tet = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], float) / np.sqrt(3) * 1.40
    half = np.deg2rad(104.52) / 2
    water = np.array([[0, 0, 0], [0.9572 * np.sin(half), 0.9572 * np.cos(half), 0],
                      [-0.9572 * np.sin(half), 0.9572 * np.cos(half), 0]])
    kinds = {
        "cation": ([1], [6.94], [1.0], np.zeros((1, 3)), []),
        "anion": ([2, 3, 3, 3, 3], [10.81] + [18.998] * 4, [1.0] + [-0.5] * 4,
                  np.vstack([[0, 0, 0], tet]), [(0, 1), (0, 2), (0, 3), (0, 4)]),
        "solvent": ([4, 5, 5], [15.999, 1.008, 1.008], [-0.834, 0.417, 0.417], water, [(0, 1), (0, 2)]),
    }
    out = {}
    for name, (types, masses, charges, xyz, bonds) in kinds.items():
        masses = np.array(masses)
        xyz = xyz - (masses[:, None] * xyz).sum(0) / masses.sum()
        out[name] = dict(types=np.array(types), masses=masses, charges=np.array(charges), body=xyz, bonds=bonds)
    return out


def _paths(data: Path, size: str) -> dict:
    folder = data / size
    return {"folder": folder, "topology": folder / "system.data", "trajectory": folder / "traj.xtc",
            "meta": folder / "meta.json"}


def ensure_data(data: Path, size: str, seed: int = 20240501) -> dict:
    """Write the synthetic system once; reuse it when ``meta.json`` says it is complete and current."""
    paths = _paths(Path(data).resolve(), size)
    params = dict(SIZES[size], seed=seed, format=FORMAT_VERSION, timestep_ps=TIMESTEP_PS, step_a=STEP_A,
                  rotation_rad=ROTATION_RAD, jitter_a=JITTER_A, atoms_per_a3=ATOMS_PER_A3)
    if paths["meta"].exists():
        meta = json.loads(paths["meta"].read_text())
        if meta.get("params") == params and paths["trajectory"].exists() and paths["topology"].exists():
            return dict(meta, topology=str(paths["topology"]), trajectory=str(paths["trajectory"]))
    paths["folder"].mkdir(parents=True, exist_ok=True)
    paths["meta"].unlink(missing_ok=True)
    t0 = time.perf_counter()
    meta = _generate(paths, params)
    meta["generate_s"] = time.perf_counter() - t0
    paths["meta"].write_text(json.dumps(meta, indent=1))
    return meta


def _generate(paths: dict, params: dict) -> dict:
    from MDAnalysis.lib.formats.libmdaxdr import XTCFile
    from scipy.spatial.transform import Rotation

    rng = np.random.default_rng(params["seed"])
    tpl = _templates()
    counts = {"cation": params["n_cation"], "anion": params["n_anion"], "solvent": params["n_solvent"]}
    n_atoms = sum(counts[k] * len(tpl[k]["types"]) for k in counts)
    box = (n_atoms / params["atoms_per_a3"]) ** (1 / 3)

    # per-molecule state: centre of mass (unwrapped, Å) and orientation
    com = {k: rng.uniform(0, box, (counts[k], 3)) for k in counts}
    rot = {k: Rotation.random(counts[k], random_state=rng) for k in counts if len(tpl[k]["types"]) > 1}
    mol_mass = {k: tpl[k]["masses"].sum() for k in counts}
    total_mass = sum(counts[k] * mol_mass[k] for k in counts)

    def atoms_now():
        parts = []
        for k in counts:
            if k in rot:
                xyz = com[k][:, None, :] + np.einsum("mij,aj->mai", rot[k].as_matrix(), tpl[k]["body"])
            else:
                xyz = com[k][:, None, :] + tpl[k]["body"][None]
            parts.append(xyz.reshape(-1, 3))
        x = np.concatenate(parts)
        x += rng.normal(0.0, params["jitter_a"], x.shape)
        return np.mod(x, box)  # wrapped into [0, box)

    def barycentre():
        return sum(mol_mass[k] * com[k].sum(0) for k in counts) / total_mass

    origin = barycentre()
    _write_lammps_data(paths["topology"], tpl, counts, box, atoms_now())
    tmp = paths["trajectory"].with_suffix(".xtc.tmp")
    box_nm = np.diag([box / 10.0] * 3).astype(np.float32)
    with XTCFile(str(tmp), "w") as xtc:
        for frame in range(params["n_frames"]):
            if frame:
                for k in counts:
                    com[k] += rng.normal(0.0, params["step_a"][k], com[k].shape)
                    if k in rot:
                        rot[k] = Rotation.from_rotvec(rng.normal(0.0, params["rotation_rad"], (counts[k], 3))) * rot[k]
                drift = barycentre() - origin  # keep the barycentre at rest (MD conserves momentum)
                for k in counts:
                    com[k] -= drift
            x = atoms_now()
            xtc.write((x / 10.0).astype(np.float32), box_nm, frame, frame * params["timestep_ps"])
    os.replace(tmp, paths["trajectory"])
    return {"params": params, "n_atoms": int(n_atoms), "box_A": float(box),
            "n_ions": counts["cation"] + counts["anion"], "counts": counts,
            "topology": str(paths["topology"]), "trajectory": str(paths["trajectory"]),
            "trajectory_bytes": paths["trajectory"].stat().st_size}


def _write_lammps_data(path: Path, tpl: dict, counts: dict, box: float, x: np.ndarray) -> None:
    """LAMMPS DATA file, atom_style full (id, molecule id, type, charge, x, y, z) with bonds."""
    types, mols, charges, masses, bonds = [], [], [], {}, []
    atom, mol = 0, 0
    for k in ("cation", "anion", "solvent"):
        t = tpl[k]
        for _ in range(counts[k]):
            mol += 1
            for a in range(len(t["types"])):
                types.append(int(t["types"][a])), mols.append(mol), charges.append(float(t["charges"][a]))
                masses[int(t["types"][a])] = float(t["masses"][a])
            bonds += [(1 if k == "anion" else 2, atom + i + 1, atom + j + 1) for i, j in t["bonds"]]
            atom += len(t["types"])
    lines = ["LAMMPS data file: ionscale transport benchmark (synthetic)", "",
             f"{atom} atoms", f"{len(bonds)} bonds", f"{len(masses)} atom types", "2 bond types", "",
             f"0.0 {box:.6f} xlo xhi", f"0.0 {box:.6f} ylo yhi", f"0.0 {box:.6f} zlo zhi", "", "Masses", ""]
    lines += [f"{t} {m:.4f}" for t, m in sorted(masses.items())]
    lines += ["", "Atoms # full", ""]
    lines += [f"{i + 1} {mols[i]} {types[i]} {charges[i]:.4f} {x[i, 0]:.4f} {x[i, 1]:.4f} {x[i, 2]:.4f}"
              for i in range(atom)]
    lines += ["", "Bonds", ""]
    lines += [f"{b + 1} {bt} {i} {j}" for b, (bt, i, j) in enumerate(bonds)]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n")
    os.replace(tmp, path)


def _build_offsets(topology: str, trajectory: str) -> None:
    """Open the files once, so that MDAnalysis writes its XTC frame-offset index now (it keeps it beside
    the file) and no timed run pays for building it."""
    import MDAnalysis as mda
    mda.Universe(topology, trajectory)


def ensure_prefix(meta: dict, n_frames: int) -> str:
    """An XTC with the first ``n_frames`` frames of the benchmark trajectory (for kinisi subsamples)."""
    from MDAnalysis.lib.formats.libmdaxdr import XTCFile

    src = Path(meta["trajectory"])
    dst = src.with_name(f"traj_first{n_frames}.xtc")
    if dst.exists() and dst.stat().st_mtime >= src.stat().st_mtime:
        return str(dst)
    tmp = dst.with_suffix(".xtc.tmp")
    with XTCFile(str(src)) as xin, XTCFile(str(tmp), "w") as xout:
        for k, frame in enumerate(xin):
            if k == n_frames:
                break
            xout.write(frame.x, frame.box, frame.step, frame.time, frame.prec)
    os.replace(tmp, dst)
    _build_offsets(meta["topology"], str(dst))
    return str(dst)


# =================================================================================================
# the measured cases (each runs in a child process: ``transport.py --child CASE --args JSON``)
# =================================================================================================
def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _cpu_s() -> float:
    """CPU time of this process and of its children that have finished (parallel workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _start() -> tuple[float, int]:
    """Start of the measured part (after the imports): wall clock and RSS; CPU time goes to _CPU0."""
    global _CPU0
    _CPU0 = _cpu_s()
    return time.perf_counter(), _rss_bytes()


_CPU0 = 0.0


def case_bare(a: dict) -> dict:
    import MDAnalysis as mda
    t0, base = _start()
    u = mda.Universe(a["topology"], a["trajectory"])
    t1 = time.perf_counter()
    checksum, n = 0.0, 0
    for ts in u.trajectory:
        checksum += float(ts.positions[-1, 2])  # touch the coordinates
        n += 1
    return {"wall_s": time.perf_counter() - t0, "baseline_rss_bytes": base, "frames": n,
            "result": f"{n} frames read (Universe built in {t1 - t0:.2f} s)"}


def case_ionscale(a: dict) -> dict:
    import MDAnalysis as mda
    from ionscale.system import Electrolyte
    from ionscale.transport.onsager import OnsagerAnalysis
    t0, base = _start()
    u = mda.Universe(a["topology"], a["trajectory"])
    es = Electrolyte.from_universe(u, **SELECTIONS)
    workers = a.get("n_workers", 1)  # 0: automatic, as `ionscale analyze` does by default
    res = OnsagerAnalysis(es, temperature=TEMPERATURE_K, cache=False, n_workers=workers,
                          backend="serial" if workers == 1 else "multiprocessing").run()
    wall = time.perf_counter() - t0
    rows = {(r.quantity, r.frame, r.species): r for r in res.rows}
    kappa = rows[("conductivity", "solvent", "")]
    d_plus = rows[("D", "solvent", es.ions[0].label)]
    d_plus_lab = rows[("D", "lab", es.ions[0].label)]
    return {"wall_s": wall, "baseline_rss_bytes": base, "frames": int(res.system["n_frames"][0]),
            "window_ps": [res.window["start_ps"], res.window["end_ps"]], "window_found": res.window["found"],
            "D_plus_lab_1e-10m2s": d_plus_lab.value,
            "result": (f"κ(solvent) = {kappa.value:.4g} ± {kappa.stderr:.2g} {kappa.unit}; "
                       f"D+ = {d_plus.value:.4g} {d_plus.unit}; window {res.window['start_ps']:g}–"
                       f"{res.window['end_ps']:g} ps")}


def case_pass(a: dict) -> dict:
    """The streaming pass alone (what the analysis reads from the trajectory), no correlations."""
    import MDAnalysis as mda
    from ionscale.trajectory import scan
    from ionscale.system import Electrolyte
    t0, base = _start()
    u = mda.Universe(a["topology"], a["trajectory"])
    es = Electrolyte.from_universe(u, **SELECTIONS)
    st = scan(es, cache=False)
    return {"wall_s": time.perf_counter() - t0, "baseline_rss_bytes": base, "frames": st.n_frames,
            "result": f"store of {st.positions_nm.shape[1]} particles"}


def case_einstein(a: dict) -> dict:
    import MDAnalysis as mda
    from MDAnalysis.analysis.msd import EinsteinMSD
    from MDAnalysis.transformations import NoJump
    t0, base = _start()
    u = mda.Universe(a["topology"], a["trajectory"])
    u.trajectory.add_transformations(NoJump(u))
    sel = f"{SELECTIONS['cation']} or {SELECTIONS['anion']}"
    msd = EinsteinMSD(u, select=sel, msd_type="xyz", fft=True).run()
    wall = time.perf_counter() - t0
    by_particle = msd.results.msds_by_particle  # (n_frames, n_atoms) in Å²
    is_cation = np.isin(u.select_atoms(sel).indices, u.select_atoms(SELECTIONS["cation"]).indices)
    out = {"wall_s": wall, "baseline_rss_bytes": base, "frames": int(by_particle.shape[0])}
    if a.get("window_ps"):
        t = np.arange(by_particle.shape[0]) * u.trajectory.dt
        inside = (t >= a["window_ps"][0]) & (t <= a["window_ps"][1])
        d = {}
        for name, mask in (("cation", is_cation), ("anion atoms", ~is_cation)):
            slope = np.polyfit(t[inside], by_particle[inside][:, mask].mean(axis=1), 1)[0]  # Å²/ps
            d[name] = slope / 6.0 * 1e-20 / 1e-12 * 1e10  # → 1e-10 m²/s
        out["D_plus_1e-10m2s"] = d["cation"]
        out["result"] = (f"D+ = {d['cation']:.4g}, D(anion atoms) = {d['anion atoms']:.4g} 1e-10 m^2/s "
                         "(same window, OLS)")
    return out


def case_kinisi(a: dict) -> dict:
    """kinisi 2.x: mean-squared charge displacement + Bayesian conductivity fit, per ion species.

    kinisi 2.1 cannot combine species of different charge in one ConductivityAnalyzer (a per-ion
    charge array fails in ``calculate_mstd``: the charges are applied after the particles have been
    summed; kinisi issue #174), so the cations (single atoms, ``specie='1'``) and the anions
    (5-atom molecules: ``species_indices`` (particle × atoms in particle) + ``masses``) are analysed
    one after the other — the cation–cation and anion–anion parts of the conductivity; the
    cross term cannot be had from kinisi 2.1.
    """
    import warnings
    import MDAnalysis as mda
    import scipp as sc
    from kinisi.analyze import ConductivityAnalyzer
    warnings.simplefilter("ignore")
    t0, base = _start()
    u = mda.Universe(a["topology"], a["trajectory"])
    n_frames = len(u.trajectory)
    common = dict(time_step=TIMESTEP_PS * sc.Unit("ps"), step_skip=1 * sc.Unit("dimensionless"), progress=False)
    if a.get("n_lags"):
        lags = np.unique(np.geomspace(1, n_frames - 1, a["n_lags"]).astype(int))
        common["dt"] = sc.array(dims=["time interval"], values=lags * TIMESTEP_PS, unit="ps")
    start = float(a["start_ps"])
    anion = u.select_atoms(SELECTIONS["anion"])
    per_mol = len(anion) // len(anion.fragments)
    sigma, stages = {}, {}
    for name in ("cation", "anion"):
        t1 = time.perf_counter()
        if name == "cation":
            k = ConductivityAnalyzer.from_universe(u, specie="1", ionic_charge=1 * sc.Unit("e"), **common)
        else:
            k = ConductivityAnalyzer.from_universe(
                u, species_indices=sc.array(dims=["particle", "atoms in particle"],
                                            values=anion.indices.reshape(-1, per_mol)),
                masses=sc.array(dims=["atoms in particle"], values=anion.masses[:per_mol]),
                ionic_charge=-1 * sc.Unit("e"), **common)
        t2 = time.perf_counter()
        k.conductivity(start * sc.Unit("ps"), temperature=TEMPERATURE_K * sc.Unit("K"), progress=False)
        stages[name] = {"mscd_s": t2 - t1, "fit_s": time.perf_counter() - t2}
        sigma[name] = float(np.median(sc.to_unit(k.sigma, "mS/cm").values))
        del k
    return {"wall_s": time.perf_counter() - t0, "baseline_rss_bytes": base, "frames": n_frames, "stages": stages,
            "result": (f"σ(cations alone) = {sigma['cation']:.4g}, σ(anions alone) = {sigma['anion']:.4g} mS/cm "
                       f"(posterior medians; lags: {a.get('n_lags') or 'all'}, fit from {start:g} ps)")}


def case_bare_limit(a: dict) -> dict:
    """The bare read of the first ``a["frames"]`` frames (the floor of the --scaling table)."""
    import MDAnalysis as mda
    t0, base = _start()
    u = mda.Universe(a["topology"], a["trajectory"])
    checksum, n = 0.0, 0
    for ts in u.trajectory[:a["frames"]]:
        checksum += float(ts.positions[-1, 2])  # touch the coordinates
        n += 1
    return {"wall_s": time.perf_counter() - t0, "baseline_rss_bytes": base, "frames": n}


class _StageClock:
    """Wall and CPU seconds (of this process, all its threads) spent inside chosen functions, by wrapping
    them where they are looked up (the benchmark process only; nothing else changes):
    ``wrap(owner, name, stage)``; ``clock[stage]`` → (wall, CPU)."""

    def __init__(self):
        self.seconds: dict = {}

    def wrap(self, owner, name: str, stage: str, method: bool = False) -> None:
        original = getattr(owner, name)
        function = original.__func__ if method else original

        def timed(*args, **kwargs):
            t, c = time.perf_counter(), time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                wall, cpu = self.seconds.get(stage, (0.0, 0.0))
                self.seconds[stage] = (wall + time.perf_counter() - t, cpu + time.process_time() - c)
        setattr(owner, name, classmethod(timed) if method else timed)

    def __getitem__(self, stage: str) -> np.ndarray:
        return np.array(self.seconds.get(stage, (0.0, 0.0)))


def _now() -> np.ndarray:
    """(wall, CPU of this process) in s."""
    return np.array([time.perf_counter(), time.process_time()])


def case_analyze(a: dict) -> dict:
    """What ``ionscale analyze --no-structure --no-mesoscale [--workers 1]`` does, on the first
    ``a["frames"]`` frames, timed by stage: the pass (into a cold cache in a temporary folder, as a first
    ``ionscale analyze`` writes it), OnsagerAnalysis.run() on its store, and write_analysis (tables,
    results.json, figures) into a temporary folder.

    Stages: decode (the reader's ``next()``, serial pass only: in a parallel pass the workers decode),
    unwrap (the rest of the pass: per-frame centres of mass and unwrapping, running sums), cache
    (writing the store, in a background thread as ``ionscale analyze`` does; "cache wait": what is left
    of it after the last file), correlations (every ``Correlations.from_store``: the FFTs of the whole run
    and of its blocks), fits (the rest of ``run()``: windows, slopes, derived quantities), writing (tables
    and results.json), figures (drawing and PNG)."""
    import tempfile
    import MDAnalysis as mda
    import matplotlib.figure
    from ionscale import trajectory as store_module
    from ionscale.core.result import write_analysis
    from ionscale.transport import figures as figure_module
    from ionscale.system import Electrolyte
    from ionscale.transport import onsager
    from ionscale.trajectory.cache import finish_writing
    clock = _StageClock()
    clock.wrap(onsager.Correlations, "from_store", "correlations", method=True)
    clock.wrap(store_module.TransportStore, "save", "cache")
    for name in ("plot_correlations", "plot_onsager"):
        clock.wrap(figure_module, name, "figures")
    clock.wrap(matplotlib.figure.Figure, "savefig", "figures")
    workers = a["n_workers"]
    with tempfile.TemporaryDirectory(prefix="ionscale-bench-") as tmp:
        t0, base = _start()
        c0 = time.process_time()
        u = mda.Universe(a["topology"], a["trajectory"])
        es = Electrolyte.from_universe(u, **SELECTIONS)
        if workers == 1:  # the reader is not sent to other processes: time its frames here
            clock.wrap(u.trajectory, "next", "decode")
        t1 = _now()
        st = store_module.scan(es, stop=a["frames"], cache=Path(tmp) / "cache", n_workers=workers,
                               backend="serial" if workers == 1 else "multiprocessing", cache_in_background=True)
        t2 = _now()
        res = onsager.OnsagerAnalysis(es, temperature=TEMPERATURE_K, stores=[st]).run()
        t3 = _now()
        write_analysis(Path(tmp) / "out", [res])
        t4a = _now()
        finish_writing()   # the process ends only when the cache entry is written
        t4 = _now()
    t0 = np.array([t0, c0])
    stages = {"setup": t1 - t0, "decode": clock["decode"], "cache": clock["cache"], "cache wait": t4 - t4a,
              "unwrap": t2 - t1 - clock["decode"], "correlations": clock["correlations"],
              "fits": t3 - t2 - clock["correlations"], "figures": clock["figures"],
              "writing": t4a - t3 - clock["figures"]}
    return {"wall_s": t4[0] - t0[0], "analysis_s": t3[0] - t0[0], "baseline_rss_bytes": base,
            "frames": st.n_frames, "stages": {k: v.tolist() for k, v in stages.items()},
            "positions_bytes": st.positions_nm.nbytes}


CASES = {"bare": case_bare, "pass": case_pass, "ionscale": case_ionscale,
         "ionscale_parallel": lambda a: case_ionscale(dict(a, n_workers=0)), "einstein": case_einstein,
         "kinisi": case_kinisi, "bare_limit": case_bare_limit, "analyze": case_analyze}


def child_main(case: str, args_json: str) -> None:
    out = CASES[case](json.loads(args_json))
    out["cpu_s"] = _cpu_s() - _CPU0  # all threads of the process and its finished workers, measured part only
    out["maxrss_bytes_self"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print("@@RESULT@@" + json.dumps(out), flush=True)


# =================================================================================================
# the parent: run each case in a fresh process, watch it, tabulate
# =================================================================================================
def _tree_memory(pid: int) -> int:
    """Memory of a process and all its descendants (worker processes included), in bytes: the sum of
    their proportional set sizes (Pss: pages shared between forked processes counted once in all), or
    of their VmRSS where Pss is not available; 0 for processes that have just exited."""
    total = _proc_field(f"/proc/{pid}/smaps_rollup", "Pss:") or _proc_field(f"/proc/{pid}/status", "VmRSS:")
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = [int(child) for child in f.read().split()]
    except OSError:
        children = []
    return total + sum(_tree_memory(child) for child in children)


def _proc_field(path: str, key: str) -> int:
    """A 'Key: N kB' field of a /proc file in bytes, 0 when the file or the field is missing."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run_child(case: str, args: dict, timeout_s: float | None = None, memory_limit: float | None = None,
              profile: bool = False) -> dict:
    """Run one case in a fresh interpreter; its peak RSS comes from wait4 (ru_maxrss of that child).

    A child that runs past ``timeout_s`` or whose RSS passes ``memory_limit`` bytes is killed (its
    own process id only) and reported as failed, with the reason.
    """
    import tempfile
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", case, "--child-args", json.dumps(args)]
    if profile:
        cmd.append("--child-profile")
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        reason, seen = None, 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            seen = max(seen, _tree_memory(proc.pid))
            if memory_limit and seen > memory_limit:
                reason = f"stopped: resident memory passed the {memory_limit / GIB:.0f} GiB limit"
            elif timeout_s and time.monotonic() - t0 > timeout_s:
                reason = f"stopped: still running after the {timeout_s:.0f} s limit"
            if reason:
                os.kill(proc.pid, signal.SIGKILL)
                _, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.1)
        proc.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.monotonic() - t0
        out.seek(0), err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    # ru_maxrss: the child's own peak (its waited-for workers' peaks included, not their sum); the sampled
    # sum over the process tree catches parallel workers running side by side
    result = {"case": case, "peak_rss_bytes": max(usage.ru_maxrss * 1024, seen), "peak_pss_bytes": seen,
              "process_s": elapsed, "ok": False}
    found = [line for line in stdout.splitlines() if line.startswith("@@RESULT@@")]
    if found and proc.returncode == 0 and reason is None:
        result.update(json.loads(found[-1][len("@@RESULT@@"):]), ok=True)
        if profile:
            result["profile"] = stdout.split("@@PROFILE@@", 1)[-1] if "@@PROFILE@@" in stdout else ""
    else:
        tail = stderr.strip().splitlines()[-3:]
        result["error"] = reason or (f"exit code {proc.returncode}: " + " | ".join(tail))
        result["wall_s"] = elapsed
    return result


def _fmt_bytes(b: float) -> str:
    return f"{b / GIB:.2f} GiB" if b >= 0.5 * GIB else f"{b / 2**20:.0f} MiB"


def _versions() -> str:
    import importlib.metadata as md
    parts = [f"Python {platform.python_version()}"]
    for name in ("numpy", "scipy", "MDAnalysis", "kinisi", "scipp", "tidynamics", "ionscale"):
        try:
            parts.append(f"{name} {md.version(name)}")
        except md.PackageNotFoundError:
            parts.append(f"{name} (not installed)")
    try:
        rev = subprocess.run(["git", "-C", str(HERE), "describe", "--always", "--dirty"], capture_output=True,
                             text=True, timeout=10).stdout.strip()
        parts.append(f"ionscale git {rev}")
    except (OSError, subprocess.SubprocessError):
        pass
    return ", ".join(parts)


def _extrapolate(points: list, n_frames: int) -> tuple[float, float, float]:
    """Power law t ∝ T^p through the two largest subsamples → (time, exponent, memory by a straight line)."""
    (t1, s1, m1), (t2, s2, m2) = points[-2], points[-1]
    p = np.log(s2 / s1) / np.log(t2 / t1)
    memory = m2 + (m2 - m1) / (t2 - t1) * (n_frames - t2)
    return s2 * (n_frames / t2) ** p, float(p), memory


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def _merge(runs: list) -> dict:
    """Several runs of one case → the best (smallest) wall and CPU time, the largest peak memory.

    The work is deterministic, so other load on the machine can only add time: the minimum is the
    least disturbed estimate (all runs are printed too)."""
    ok = [r for r in runs if r["ok"]]
    if not ok:
        return runs[-1]
    return dict(ok[-1], wall_s=min(r["wall_s"] for r in ok), cpu_s=min(r["cpu_s"] for r in ok),
                peak_rss_bytes=max(r["peak_rss_bytes"] for r in ok), all_wall_s=[r["wall_s"] for r in ok],
                all_cpu_s=[r["cpu_s"] for r in ok])


SCALING_FRAMES = "2500,5000,10000,20000"
#: stages of the --scaling table, in the order of the work
STAGES = ("setup", "decode", "unwrap", "cache", "correlations", "fits", "writing", "figures", "cache wait")


def run_scaling(opts) -> int:
    """``--scaling``: bare read, serial and default ``ionscale analyze`` (transport only) on the first
    2.5k, 5k, 10k and 20k frames of one trajectory of the full-size system; ratios, Pss, stages."""
    lengths = sorted(int(v) for v in opts.scaling_frames.split(",") if v.strip())
    print("ionscale transport benchmark — scaling with trajectory length")
    print(_versions())
    print(f"{os.cpu_count()} CPU(s), {platform.machine()}, {platform.platform()}; load average at start {_loadavg()}")
    meta = ensure_data(opts.data, "scaling")
    if lengths[-1] > meta["params"]["n_frames"]:
        raise SystemExit(f"--scaling-frames goes up to {lengths[-1]} but the trajectory has "
                         f"{meta['params']['n_frames']} frames")
    c = meta["counts"]
    print(f"system: {meta['n_atoms']} atoms = {c['cation']} cations + {c['anion']} anions (5 atoms) + "
          f"{c['solvent']} solvent molecules (3 atoms); {meta['params']['n_frames']} frames "
          f"({_fmt_bytes(meta['trajectory_bytes'])} XTC), of which the first N are used")
    files = {"topology": meta["topology"], "trajectory": meta["trajectory"]}
    _build_offsets(meta["topology"], meta["trajectory"])
    from ionscale.trajectory import auto_workers
    from ionscale.trajectory.unwrap import compiled_available
    cases = {"bare": ("bare_limit", {}), "serial": ("analyze", {"n_workers": 1}),
             "default": ("analyze", {"n_workers": 0})}
    runs = {(n, case): [] for n in lengths for case in cases}
    for rep in range(opts.repeat):
        for n in lengths:
            print(f"  run {rep + 1}/{opts.repeat}, {n} frames (load average {_loadavg()}) ...", flush=True)
            for case, (child, extra) in cases.items():
                runs[n, case].append(run_child(child, dict(files, frames=n, **extra)))
    best = {key: _merge(r) for key, r in runs.items()}
    failed = [f"{case} at {n} frames: {r.get('error')}" for (n, case), r in best.items() if not r.get("ok")]
    if failed:
        print("FAILED: " + "; ".join(failed))
        return 1
    print(f"\nResults (best of {opts.repeat}; load average at end {_loadavg()}; numba "
          f"{'installed: compiled per-frame step' if compiled_available() else 'not installed: NumPy step'}; "
          f"default = {auto_workers(lengths[-1], meta['n_atoms'])} worker processes on this machine)")
    head = (f"{'frames':>6} {'bare [s]':>8} {'serial [s]':>10} {'× bare':>6} {'default [s]':>11} {'× bare':>6} "
            f"{'CPU × bare':>10} {'Pss serial':>10} {'Pss default':>11} {'series':>8}  "
            "run() alone × bare: serial, default")
    print(head + "\n" + "-" * len(head))
    ratios = {"serial": [], "default": []}
    for n in lengths:
        bare, ser, par = best[n, "bare"], best[n, "serial"], best[n, "default"]
        for case, r in (("serial", ser), ("default", par)):
            ratios[case].append(r["wall_s"] / bare["wall_s"])
        print(f"{n:>6} {bare['wall_s']:>8.2f} {ser['wall_s']:>10.2f} {ratios['serial'][-1]:>6.2f} "
              f"{par['wall_s']:>11.2f} {ratios['default'][-1]:>6.2f} {ser['cpu_s'] / bare['cpu_s']:>10.2f} "
              f"{_fmt_bytes(ser['peak_pss_bytes']):>10} {_fmt_bytes(par['peak_pss_bytes']):>11} "
              f"{_fmt_bytes(ser['positions_bytes']):>8}  "
              f"{ser['analysis_s'] / bare['wall_s']:.2f}, {par['analysis_s'] / bare['wall_s']:.2f}")
    print("-" * len(head))
    print("wall time from building the Universe to the last file written (imports excluded), fresh process each;")
    print("CPU × bare: the serial analysis's CPU time (all threads) over the bare read's; run() alone: without")
    print("writing tables and figures (as the plain benchmark measures); Pss: peak proportional set size of the")
    print("process and its workers (/proc/PID/smaps_rollup, sampled every 0.1 s); series: the unwrapped ion")
    print("positions the store keeps (frames × ions × 3 float64)")
    print("\nStages of the best run, wall/CPU s (CPU of the main process, all its threads): " + ", ".join(STAGES))
    for case in ("serial", "default"):
        for n in lengths:
            st = best[n, case]["stages"]
            print(f"  {case:<7} {n:>6}: " + "  ".join(f"{k} {st[k][0]:.2f}/{st[k][1]:.2f}" for k in STAGES
                                                       if not (case == "default" and k == "decode")))
    print("  (serial: unwrap = pass − decode; default: the workers decode, unwrap = the whole pass, CPU of the "
          "workers not included; cache: writing the cache entry in its background thread, beside the stages "
          "after the pass; cache wait: what is left of it when the files are written)")
    ok = True
    for case in ("serial", "default"):
        r = ratios[case]
        flat = max(r) - min(r)
        good = max(r) <= TARGET_RATIO and flat <= 0.2
        ok &= good
        print(f"Target {case}: ≤ {TARGET_RATIO} × bare at every length, flat within ±0.1: max {max(r):.2f}, "
              f"spread {flat:.2f} → {'PASS' if good else 'FAIL'}")
    if opts.json:
        opts.json.write_text(json.dumps({"meta": meta, "runs": {f"{n}/{c}": r for (n, c), r in runs.items()}},
                                        indent=1, default=str))
    if not opts.keep_data:
        import shutil
        shutil.rmtree(Path(meta["trajectory"]).parent)
        print(f"deleted {Path(meta['trajectory']).parent} (--keep-data keeps it)")
    return 0 if ok else 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smoke-sized system (≈2 k atoms, 500 frames)")
    ap.add_argument("--data", type=Path, default=HERE / ".data", help="cache folder for the synthetic trajectory")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of the bare read, the ionscale pass and the ionscale analysis, interleaved; "
                         "the best of them is reported")
    ap.add_argument("--skip", default="", help="comma-separated cases to leave out: kinisi, einstein")
    ap.add_argument("--kinisi-timeout", type=float, default=900.0, help="seconds before a kinisi run is stopped")
    ap.add_argument("--kinisi-memory", type=float, default=12.0, help="GiB of RSS before a kinisi run is stopped")
    ap.add_argument("--kinisi-frames", default=None,
                    help="subsample sizes (first frames) on which kinisi with all lags is measured first "
                         "(default 250,500,1000; none with --quick)")
    ap.add_argument("--kinisi-lags", type=int, default=100,
                    help="also run kinisi at full size with this many log-spaced lags (0: don't)")
    ap.add_argument("--json", type=Path, help="also write every measurement to this JSON file")
    ap.add_argument("--profile", action="store_true", help="profile one ionscale run (cProfile) and print the top")
    ap.add_argument("--scaling", action="store_true",
                    help="the analysis as `ionscale analyze` (transport only) runs it, serial and default, "
                         "against the bare read at several trajectory lengths (--scaling-frames)")
    ap.add_argument("--scaling-frames", default=SCALING_FRAMES, help="trajectory lengths of --scaling (frames)")
    ap.add_argument("--keep-data", action="store_true",
                    help="keep the --scaling trajectory (1.5 GB) instead of deleting it at the end")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--child-args", help=argparse.SUPPRESS)
    ap.add_argument("--child-profile", action="store_true", help=argparse.SUPPRESS)
    opts = ap.parse_args(argv)
    if opts.child:
        if opts.child_profile:
            import cProfile
            import io
            import pstats
            prof = cProfile.Profile()
            prof.runcall(child_main, opts.child, opts.child_args)
            buf = io.StringIO()
            pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(25)
            print("@@PROFILE@@" + buf.getvalue())
        else:
            child_main(opts.child, opts.child_args)
        return 0

    if opts.scaling:
        return run_scaling(opts)
    size = "quick" if opts.quick else "full"
    if opts.kinisi_frames is None:
        opts.kinisi_frames = "" if opts.quick else "250,500,1000"
    skip = {s.strip() for s in opts.skip.split(",") if s.strip()}
    print(f"ionscale transport benchmark — {size} size")
    print(_versions())
    print(f"{os.cpu_count()} CPU(s), {platform.machine()}, {platform.platform()}; load average at start {_loadavg()}")
    meta = ensure_data(opts.data, size)
    c = meta["counts"]
    print(f"system: {meta['n_atoms']} atoms = {c['cation']} cations (1 atom) + {c['anion']} anions (5 atoms) + "
          f"{c['solvent']} solvent molecules (3 atoms); box {meta['box_A']:.2f} Å; "
          f"{meta['params']['n_frames']} frames, {TIMESTEP_PS:g} ps apart; XTC {_fmt_bytes(meta['trajectory_bytes'])}")
    print(f"data:   {Path(meta['trajectory']).parent}  (written in {meta.get('generate_s', float('nan')):.0f} s; "
          "delete the folder to regenerate)")
    files = {"topology": meta["topology"], "trajectory": meta["trajectory"]}
    n_frames = meta["params"]["n_frames"]
    _build_offsets(meta["topology"], meta["trajectory"])

    if opts.profile:
        r = run_child("ionscale", files, profile=True)
        print(r.get("profile") or r.get("error"))
        return 0 if r["ok"] else 1

    rows = []  # (label, result dict, note)
    print(f"\n[1/4] bare read, ionscale pass, ionscale analysis: {opts.repeat} interleaved run(s) each ...", flush=True)
    from ionscale.trajectory import auto_workers
    runs = {"bare": [], "pass": [], "ionscale": [], "ionscale_parallel": []}
    for _ in range(opts.repeat):
        for case in runs:
            runs[case].append(run_child(case, files))
    labels = {"bare": ("bare read (MDAnalysis)", "for ts in u.trajectory: ts.positions"),
              "pass": ("ionscale pass only (store.scan)", "Electrolyte + scan(cache=False), no correlations"),
              "ionscale": ("ionscale OnsagerAnalysis.run(), serial", "Electrolyte + OnsagerAnalysis(cache=False).run(), "
                                                                      "3 frames, 5 blocks, one process"),
              "ionscale_parallel": ("ionscale, parallel pass (CLI default)",
                                    f"the same with n_workers=0: {auto_workers(n_frames, meta['n_atoms'])} "
                                    "processes read chunks of frames (ionscale analyze's default)")}
    merged = {case: _merge(r) for case, r in runs.items()}
    for case, r in merged.items():
        note = labels[case][1]
        if r.get("all_wall_s"):
            note += (f"; best of {len(r['all_wall_s'])}: wall " + ", ".join(f"{w:.1f}" for w in r["all_wall_s"])
                     + " s; CPU " + ", ".join(f"{w:.1f}" for w in r["all_cpu_s"]) + " s")
        rows.append((labels[case][0], r, note))
    bare, ion, par = merged["bare"], merged["ionscale"], merged["ionscale_parallel"]
    window = ion.get("window_ps")

    if "einstein" not in skip:
        print("[2/4] MDAnalysis EinsteinMSD (fft=True, NoJump) ...", flush=True)
        r = run_child("einstein", dict(files, window_ps=window))
        rows.append(("EinsteinMSD cations+anions", r, "atoms, not molecular centres; NoJump unwrapping"))

    extrapolated = []
    if "kinisi" not in skip:
        start = window[0] if window else 0.1 * n_frames * TIMESTEP_PS
        limit = dict(timeout_s=opts.kinisi_timeout, memory_limit=opts.kinisi_memory * GIB)
        note = "cation, then anion ConductivityAnalyzer (kinisi 2.1 cannot mix charges: no cross term, #174)"
        print("[3/4] kinisi ConductivityAnalyzer, all lags (its default) — first on subsamples ...", flush=True)
        points = []
        for n in sorted(int(v) for v in opts.kinisi_frames.split(",") if v.strip()):
            if n >= n_frames:
                continue
            print(f"      first {n} frames ...", flush=True)
            sub = dict(files, trajectory=ensure_prefix(meta, n), start_ps=min(start, 0.1 * n * TIMESTEP_PS))
            r = run_child("kinisi", sub, **limit)
            rows.append((f"kinisi, all lags: SUBSAMPLE, first {n} frames", r, note))
            if r["ok"]:
                points.append((n, r["wall_s"], r["peak_rss_bytes"]))
        predicted = None
        if len(points) >= 2:
            predicted, p, m = _extrapolate(points, n_frames)
            extrapolated.append((f"kinisi, all lags: EXTRAPOLATED to {n_frames} frames", predicted, m,
                                 f"NOT measured: t ∝ T^{p:.2f} through {points[-2][0]} and {points[-1][0]} frames "
                                 "(rough: its MSCD loop is O(T²), its fit O(lags²) to O(lags³), so the exponent "
                                 "drifts with size); memory on a straight line"))
        if n_frames <= max([n for n, *_ in points] + [0]) or predicted is None or predicted < opts.kinisi_timeout:
            print(f"      full size ({n_frames} frames; limit {opts.kinisi_timeout:.0f} s, "
                  f"{opts.kinisi_memory:g} GiB) ...", flush=True)
            r = run_child("kinisi", dict(files, start_ps=start), **limit)
            rows.append(("kinisi, all lags", r, note))
        else:
            rows.append(("kinisi, all lags", {"ok": False, "skipped": True, "peak_rss_bytes": 0, "process_s": 0,
                                              "error": f"not run at full size: the extrapolated {predicted:.0f} s "
                                                       f"exceed the {opts.kinisi_timeout:.0f} s limit "
                                                       "(--kinisi-timeout to try)"}, note))
        if opts.kinisi_lags:
            print(f"[4/4] kinisi ConductivityAnalyzer, {opts.kinisi_lags} log-spaced lags, full size ...", flush=True)
            r = run_child("kinisi", dict(files, start_ps=start, n_lags=opts.kinisi_lags), **limit)
            rows.append((f"kinisi, {opts.kinisi_lags} log-spaced lags", r, note))

    # -- the table ---------------------------------------------------------------------------------
    ref = bare["wall_s"] if bare.get("ok") else float("nan")
    print(f"\nResults ({size}: {meta['n_atoms']} atoms, {meta['n_ions']} ions, {n_frames} frames; "
          f"load average at end {_loadavg()})")
    head = (f"{'case':<46} {'frames':>6} {'wall [s]':>9} {'× bare':>7} {'CPU [s]':>8} {'peak RSS':>10} "
            f"{'above start':>11}")
    print(head + "\n" + "-" * len(head))
    for label, r, note in rows:
        if r.get("ok"):
            above = r["peak_rss_bytes"] - r.get("baseline_rss_bytes", 0)
            print(f"{label:<46} {r.get('frames', ''):>6} {r['wall_s']:>9.2f} {r['wall_s'] / ref:>7.2f} "
                  f"{r.get('cpu_s', float('nan')):>8.2f} {_fmt_bytes(r['peak_rss_bytes']):>10} {_fmt_bytes(above):>11}")
            print(f"{'':<4}{note}")
            if r.get("result"):
                print(f"{'':<4}→ {r['result']}")
            if r.get("stages"):
                stages = [f"{k}: read+unwrap+MSCD {v['mscd_s']:.1f} s, fit {v['fit_s']:.1f} s"
                          for k, v in r["stages"].items()]
                print(f"{'':<4}stages: " + "; ".join(stages))
        elif r.get("skipped"):
            print(f"{label:<46} {'':>6} {'not run':>9}")
            print(f"{'':<4}{r['error']}")
        else:
            print(f"{label:<46} {'':>6} {'FAILED':>9} {'':>7} {'':>8} {_fmt_bytes(r['peak_rss_bytes']):>10}")
            print(f"{'':<4}{r.get('error')} (after {r['process_s']:.0f} s; the peak RSS is what it had reached)")
    for label, t, m, note in extrapolated:
        print(f"{label:<46} {n_frames:>6} {'~' + format(t, '.0f'):>9} {'~' + format(t / ref, '.0f'):>7} {'':>8} "
              f"{'~' + _fmt_bytes(m):>10}")
        print(f"{'':<4}{note}")
    print("-" * len(head))
    print("wall/CPU: from building the Universe to the end of the analysis (imports excluded), in a fresh process;")
    print("peak RSS: the child's ru_maxrss (whole process); above start: peak minus the RSS after the imports.")
    print("The machine may be shared: compare CPU times too when the load average is high.")

    # -- targets -----------------------------------------------------------------------------------
    def target(run: dict, label: str) -> bool:
        ok = bool(bare.get("ok") and run.get("ok"))
        ratio = run["wall_s"] / ref if ok else float("nan")
        cpu_ratio = run["cpu_s"] / bare["cpu_s"] if ok else float("nan")
        mem = run.get("peak_rss_bytes", float("nan"))
        t_ok, m_ok = bool(ok and ratio <= TARGET_RATIO), bool(ok and mem < TARGET_MEMORY_GIB * GIB)
        print(f"  {label}: wall {ratio:.2f} × the bare read (CPU {cpu_ratio:.2f} ×) → {'PASS' if t_ok else 'FAIL'}; "
              f"peak memory {_fmt_bytes(mem)} → {'PASS' if m_ok else 'FAIL'}")
        return t_ok and m_ok

    print(f"\nTargets: ionscale analysis wall ≤ {TARGET_RATIO} × bare read (one process), peak memory < "
          f"{TARGET_MEMORY_GIB:g} GiB")
    target(ion, "serial            ")
    parallel_ok = target(par, "parallel (default)")
    p = merged["pass"]
    if p.get("ok") and bare.get("ok"):
        print(f"         (the pass alone: {p['wall_s'] / ref:.2f} × wall, {p['cpu_s'] / bare['cpu_s']:.2f} × CPU; "
              f"correlations and fits: the rest)")
    em = next((r for lbl, r, _ in rows if lbl.startswith("EinsteinMSD")), {})
    if ion.get("ok") and em.get("ok") and "D_plus_1e-10m2s" in em:
        print(f"Cross-check: D+ (lab frame, same window) ionscale {ion['D_plus_lab_1e-10m2s']:.6g} vs EinsteinMSD "
              f"{em['D_plus_1e-10m2s']:.6g} 1e-10 m^2/s")
    if opts.json:
        opts.json.write_text(json.dumps({"size": size, "meta": meta, "rows": [
            {"label": lbl, "note": n, **{k: v for k, v in r.items() if k != "profile"}} for lbl, r, n in rows],
            "extrapolated": [{"label": lbl, "wall_s": t, "peak_rss_bytes": m, "note": n}
                             for lbl, t, m, n in extrapolated]}, indent=1, default=str))
    return 0 if parallel_ok else 1


if __name__ == "__main__":
    sys.exit(main())
