#!/usr/bin/env python
"""Mesoscale benchmark: what the cluster and S_ZZ(k) analyses add to the structure pass (issue 5, item 7).

Default mode — the issue's measurement (target: at most 30 % added)
-------------------------------------------------------------------
1. The benchmark trajectory of the structure issue, built by ``benchmarks/structure.py`` (imported, not
   copied): the LiPF6 / butyronitrile / FEC test trajectory of the solvation_analysis wheel played
   "ping-pong" to ``--frames`` frames (default 1000, 49 Li⁺, 7118 atoms), cached in ``benchmarks/.data/``.
2. Each of ``--repeat`` runs (best kept) gets a fresh Universe (topology read before the clocks start,
   as in ``benchmarks/structure.py``) and times, one after the other on the same data:

   a. ``structure``  — the Electrolyte and ``StructureAnalysis`` set up as ``benchmarks/structure.py``
      does, the single pass with the contact collector and the structure analysis. The pass keeps its
      transport bookkeeping (``ionscale.trajectory.scan``), as in ``ionscale analyze``: clusters and S_ZZ
      need the ion positions. (``benchmarks/structure.py`` times the lighter transport-free pass.)
   b. ``+ clusters`` — ``ClusterAnalysis.run()`` on the structure's cation–anion shell contacts
      (``anion_bonds``, as ``ionscale analyze`` builds them): components, distributions, percolation and
      the cluster Nernst–Einstein conductivity with majority-ion carriers (the D's are a fixed
      1e-9 m²/s: the cost does not depend on their values);
   c. ``+ S_ZZ(k)``  — ``ScreeningAnalysis(...).structure_factor()``: S_ZZ of the ion centres with the
      analysis' defaults (k ≤ 10 nm⁻¹, shells of equal |k|, at most 200 evenly spaced frames);
   d. for information, not in the ratio: S_ZZ(k) of every frame (``max_frames=None``).

3. Prints the times of a, a + b + c, and the ratio (b + c) / a with PASS/FAIL against 30 %, in CPU
   time of this process (the fair clock on a shared machine; ``benchmarks/structure.py`` uses it too)
   and in wall time, with the machine's load average.

``--synthetic`` mode — the breakdown against a bare MDAnalysis read
--------------------------------------------------------------------
1. Uses the synthetic electrolyte of ``benchmarks/transport.py`` (written once into ``benchmarks/.data/``:
   1000 Li-like cations, 1000 BF4-like anions, 4700 water-like molecules, 20 100 atoms, XTC; ``--quick``:
   a tenth of it) — or any LAMMPS DATA + trajectory given with ``--topology/--trajectory`` and selections.
2. Times — wall clock and CPU time of this process, the latter less sensitive to a busy machine — on
   the first ``--frames`` frames (best of ``--repeat``):

   a. ``bare read``         — ``for ts in u.trajectory: ts.positions`` (MDAnalysis only);
   b. ``store pass``        — ``ionscale.trajectory.scan`` (what transport reads anyway);
   c. ``+ contacts``        — the same pass with a ``DistanceContacts`` collector (cation–anion contacts
                              of the ``--contact-atoms`` within ``--cutoff-nm``); its share = c − b;
   d. ``clusters``          — ``ClusterAnalysis.run()`` on the store: components, distributions,
                              percolation (no carriers: they need D's);
   e. ``S_ZZ(k)``           — ``charge_structure_factor`` of the ion centres up to ``--k-max``, on the
                              frames ``ScreeningAnalysis`` uses by default (at most 200, evenly spaced)
                              and, for information, on every frame;
   f. ``screening``         — the whole ``ScreeningAnalysis`` with its defaults (S_ZZ, the pair
                              histogram of h_ZZ, fits), for information.

3. Prints the times and the ratios to the bare read of (contacts share + clusters + S_ZZ as analysed)
   — the mesoscale cost on top of a pass that is made anyway — and of the same without the contact
   collector, for when the contacts come from the structure pass.

Timings on a machine shared with other work are noisy; OpenBLAS threads on the small per-frame
products of S_ZZ suffer most (``OPENBLAS_NUM_THREADS=1`` can be faster on a busy machine).

Usage
-----
    .venv/bin/python benchmarks/mesoscale.py                          # the issue's ratio, 1000 frames
    .venv/bin/python benchmarks/mesoscale.py --frames 200             # quicker
    .venv/bin/python benchmarks/mesoscale.py --synthetic              # 1000 frames of the synthetic system
    .venv/bin/python benchmarks/mesoscale.py --synthetic --quick      # seconds
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import MDAnalysis as mda
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from transport import SELECTIONS, TEMPERATURE_K, ensure_data  # noqa: E402  (same synthetic system)

from ionscale import Electrolyte  # noqa: E402
from ionscale.mesoscale import (ClusterAnalysis, DistanceContacts, ScreeningAnalysis,  # noqa: E402
                                charge_structure_factor)
from ionscale.mesoscale.screening_analysis import frame_stride  # noqa: E402
from ionscale.trajectory import scan  # noqa: E402


def best_of(repeat: int, work):
    """(best wall time in s, best CPU time of this process in s, the last result) of ``repeat`` calls."""
    wall, cpu, result = [], [], None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        result = work()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return min(wall), min(cpu), result


def synthetic(opts) -> int:
    """The breakdown on the synthetic system against a bare MDAnalysis read (module docstring)."""

    if opts.topology:
        files = {"topology": opts.topology, "trajectory": opts.trajectory}
    else:
        meta = ensure_data(opts.data, "quick" if opts.quick else "full")
        files = {"topology": meta["topology"], "trajectory": meta["trajectory"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        u = mda.Universe(files["topology"], files["trajectory"])
    n = min(opts.frames, len(u.trajectory))
    es = Electrolyte.from_universe(u, cation=opts.cation, anion=opts.anion, solvent=opts.solvent or None)
    contacts = DistanceContacts.from_electrolyte(es, opts.contact_atoms, opts.cutoff_nm)
    print(f"ionscale mesoscale benchmark — {len(u.atoms)} atoms, {int(es.counts.sum())} ions, {n} frames; "
          f"{os.cpu_count()} CPU(s); best of {opts.repeat}")

    def bare():
        return sum(float(ts.positions[-1, 2]) for ts in u.trajectory[:n])
    t_bare = best_of(opts.repeat, bare)
    t_pass = best_of(opts.repeat, lambda: scan(es, stop=n, cache=False))
    t_contacts = best_of(opts.repeat, lambda: scan(es, stop=n, collectors=[contacts], cache=False))
    store = t_contacts[2]
    box_nm = getattr(store, "box_nm", None)
    if box_nm is None:  # stores without the box: the synthetic box is constant
        box_nm = np.tile(np.r_[u.dimensions[:3] / 10.0, u.dimensions[3:]], (store.n_frames, 1))
    edges = store.extras["contacts/edges"]
    t_clusters = best_of(opts.repeat, lambda: ClusterAnalysis(es, store, edges, box_nm=box_nm).run())
    z = np.repeat(es.valences, store.counts)
    stride = frame_stride(store.n_frames, 200)
    t_szz = best_of(opts.repeat, lambda: charge_structure_factor(store.positions_nm[::stride], box_nm[::stride],
                                                                 z, opts.k_max))
    t_szz_all = best_of(1, lambda: charge_structure_factor(store.positions_nm, box_nm, z, opts.k_max))
    t_screen = best_of(1, lambda: ScreeningAnalysis(es, store, TEMPERATURE_K, box_nm=box_nm, epsilon_r=10.0,
                                                    k_max_nm_inv=opts.k_max).run())

    clusters, sf, screening = t_clusters[2], t_szz[2], t_screen[2]
    rows = [("bare read (MDAnalysis)", t_bare, ""),
            ("store pass (ionscale.trajectory.scan)", t_pass, ""),
            ("store pass + contact collector", t_contacts, f"{len(edges) / n:.0f} contacts/frame"),
            ("clusters (ClusterAnalysis.run)", t_clusters,
             f"free cations {clusters.get('free_ion_fraction', es.ions[0].label).value:.3f}"),
            (f"S_ZZ(k), k ≤ {opts.k_max:g} nm⁻¹", t_szz, f"{sf.n_vectors.sum()} wave vectors, every {stride} frame(s)"),
            ("S_ZZ(k) of every frame (info)", t_szz_all, ""),
            ("screening (ScreeningAnalysis, defaults)", t_screen, screening.notes[-1]),
            ]
    width = max(len(r[0]) for r in rows)
    print(f"\n{'':<{width}}  {'wall':>8}  {'/ bare':>7}  {'CPU':>8}  {'/ bare':>7}  {'CPU/frame':>10}")
    for label, (wall, cpu, _), note in rows:
        print(f"{label:<{width}}  {wall:7.2f}s  {wall / t_bare[0]:6.2f}×  {cpu:7.2f}s  {cpu / t_bare[1]:6.2f}×  "
              f"{1e3 * cpu / n:7.2f} ms   {note}")
    for k, what in ((0, "wall"), (1, "CPU")):
        collector = t_contacts[k] - t_pass[k]
        share = collector + t_clusters[k] + t_szz[k]
        analyses = t_clusters[k] + t_szz[k]
        print(f"\n{what}: mesoscale share (contact collector {collector:.2f} s + clusters + S_ZZ) = {share:.2f} s = "
              f"{share / t_bare[k]:.2f} × the bare read, {share / t_pass[k]:.2f} × the store pass; without the "
              f"collector (contacts from the structure pass): {analyses / t_bare[k]:.2f} × the bare read")
    return 0




#: the issue's target: clusters + S_ZZ(k) add at most this fraction to the structure pass and analysis
TARGET = 0.30
#: carrier D of every ion species for the cluster Nernst–Einstein rows, m²/s (timing only: cost does not depend on it)
TIMING_D_M2_S = 1e-9


def on_structure_trajectory(opts) -> int:
    """The issue's measurement: structure pass + analysis, then clusters and S_ZZ(k) on top (module docstring)."""
    import structure as bench  # benchmarks/structure.py: its trajectory, Universe, Electrolyte and analysis

    from ionscale.structure.contacts import Contacts

    trajectory = bench.long_trajectory(opts.frames, opts.data)
    runs = []
    for _ in range(opts.repeat):
        u = bench.universe(trajectory)  # topology read before the clocks start, as in benchmarks/structure.py
        clock = Clock()
        es = bench.electrolyte(u)
        sa = bench.analysis(es)
        store = scan(es, collectors=[sa.collector], cache=False)
        result = sa.analyze(Contacts.from_store(store, sa.collector))
        t_structure = clock.lap()
        edges = result.anion_bonds + np.array([0, 0, int(store.counts[0])])   # anions after the cations
        clusters = ClusterAnalysis(es, store, edges, temperature=298.15,
                                   diffusion_m2_s=np.full(len(es.ions), TIMING_D_M2_S),
                                   diffusion_method="fixed, timing only").run()
        t_clusters = clock.lap()
        screening = ScreeningAnalysis(es, store, 298.15)   # its defaults: k ≤ 10 nm⁻¹, ≤ 200 frames
        sf = screening.structure_factor()
        t_szz = clock.lap()
        charge_structure_factor(store.positions_nm, store.box_nm, np.repeat(es.valences, store.counts),
                                screening.k_max)
        t_szz_all = clock.lap()
        runs.append((t_structure, t_clusters, t_szz, t_szz_all))
    best = [tuple(min(r[k][c] for r in runs) for c in (0, 1)) for k in range(4)]   # (CPU, wall) of each step
    (cpu_s, wall_s), (cpu_c, wall_c), (cpu_z, wall_z), (cpu_all, wall_all) = best
    n_ions = int(store.counts.sum())
    print(f"trajectory: {trajectory.name}, {store.n_frames} frames, {len(u.atoms)} atoms, {n_ions} ions "
          f"(ping-pong of solvation_analysis' bn_fec test data, built by benchmarks/structure.py); "
          f"{os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.2f} at the end; best of {opts.repeat}")
    print(f"clusters: {len(edges) / store.n_frames:.1f} cation–anion shell contacts/frame, free Li "
          f"{clusters.get('free_ion_fraction', es.ions[0].label).value:.3f}, percolating fraction "
          f"{clusters.get('percolating_fraction').value:.3f}; S_ZZ: {sf.n_vectors.sum()} wave vectors in "
          f"{len(sf.k_nm_inv)} shells, every {screening.stride} frame(s)")
    rows = [("structure pass + analysis", cpu_s, wall_s),
            ("  clusters (ClusterAnalysis.run)", cpu_c, wall_c),
            (f"  S_ZZ(k), k ≤ {screening.k_max:g} nm⁻¹", cpu_z, wall_z),
            ("structure + clusters + S_ZZ(k)", cpu_s + cpu_c + cpu_z, wall_s + wall_c + wall_z),
            (f"(info: S_ZZ(k) of all {store.n_frames} frames)", cpu_all, wall_all)]
    print(f"\n{'':<36} {'CPU (s)':>8} {'wall (s)':>9}")
    for name, cpu, wall in rows:
        print(f"{name:<36} {cpu:>8.2f} {wall:>9.2f}")
    ratio_cpu, ratio_wall = (cpu_c + cpu_z) / cpu_s, (wall_c + wall_z) / wall_s
    verdict = "PASS" if ratio_cpu <= TARGET else "FAIL"
    print(f"\nclusters + S_ZZ(k) add {100 * ratio_cpu:.1f} % to the structure pass in CPU time "
          f"({100 * ratio_wall:.1f} % in wall time); target ≤ {100 * TARGET:.0f} %: {verdict}")
    return 0 if verdict == "PASS" else 1


class Clock:
    """CPU time of this process and wall time since the last lap."""

    def __init__(self):
        self.cpu, self.wall = time.process_time(), time.perf_counter()

    def lap(self) -> tuple[float, float]:
        cpu, wall = time.process_time(), time.perf_counter()
        out = (cpu - self.cpu, wall - self.wall)
        self.cpu, self.wall = cpu, wall
        return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--synthetic", action="store_true",
                    help="the breakdown on the synthetic system of benchmarks/transport.py against a bare read")
    ap.add_argument("--quick", action="store_true", help="--synthetic: the transport benchmark's small system")
    ap.add_argument("--data", type=Path, default=HERE / ".data", help="cache folder of the benchmark trajectories")
    ap.add_argument("--topology", help="--synthetic: this topology (with --trajectory) instead of the synthetic system")
    ap.add_argument("--trajectory")
    ap.add_argument("--cation", default=SELECTIONS["cation"])
    ap.add_argument("--anion", default=SELECTIONS["anion"])
    ap.add_argument("--solvent", default=SELECTIONS["solvent"])
    ap.add_argument("--contact-atoms", default="type 1 3", help="--synthetic: atoms that make contacts (Li and F)")
    ap.add_argument("--cutoff-nm", type=float, default=0.3, help="--synthetic: contact distance in nm")
    ap.add_argument("--k-max", type=float, default=10.0, help="--synthetic: largest |k| of S_ZZ in nm⁻¹")
    ap.add_argument("--frames", type=int, default=1000, help="frames (default mode: of the ping-pong trajectory; "
                                                             "--synthetic: the first ones)")
    ap.add_argument("--repeat", type=int, default=2)
    opts = ap.parse_args(argv)
    return synthetic(opts) if opts.synthetic else on_structure_trajectory(opts)


if __name__ == "__main__":
    sys.exit(main())
