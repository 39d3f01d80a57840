"""The streaming pass: unwrapping, bookkeeping on real LAMMPS data, parallel identity, the cache."""

import json
from pathlib import Path

import numpy as np
import pytest
from realdata import HTPMD, LITFSI, htpmd_universe
from synthetic import BOX_A, build

from ionscale import Electrolyte, IonscaleError
from ionscale.trajectory import parallel as parallel_module
from ionscale.trajectory import streaming as scan_module
from ionscale.core.files import atomic_write
from ionscale.trajectory import TransportStore, scan

CM2_S_PER_NM2_PS = 1e-14 / 1e-12


def test_htpmd_self_diffusion_matches_its_reference(htpmd_run):
    """htp_md's own definition: |r(last) − r(first)|² / (6 t), Li atoms and TFSI by its N atom
    (type 93), from image-flag-unwrapped coordinates; asserted there to relative 1e-4."""
    ref = json.loads((HTPMD / htpmd_run / "test_results.json").read_text())
    es = Electrolyte.from_universe(htpmd_universe(htpmd_run), **LITFSI, centers={"anion": "type 93"},
                                   timestep_ps=2.0)
    st = scan(es, cache=False)
    assert st.frame_interval_ps == 2.0 and st.n_frames in (7, 8)
    for k, key in enumerate(["li_diffusivity", "tfsi_diffusivity"]):
        x = st.species_positions(k)
        D = ((x[-1] - x[0]) ** 2).sum(-1).mean() / (6 * st.time_ps[-1]) * CM2_S_PER_NM2_PS
        assert D == pytest.approx(ref[key], rel=1e-4)


def test_htpmd_box_volume_and_density():
    es = Electrolyte.from_universe(htpmd_universe("9-0-246295613-0"), **LITFSI, timestep_ps=2.0)
    st = scan(es, cache=False)
    assert st.volume_nm3 == pytest.approx(4.0735335049513701 ** 3, rel=1e-6)
    mass_g = es.universe.atoms.masses.sum() / 6.02214076e23
    assert mass_g / (st.volume_nm3[0] * 1e-21) == pytest.approx(1.1921, abs=1e-4)  # README density, g/cm³


def test_unwrapping_recovers_true_displacements():
    syn = build("walkers", n_pairs=20, n_frames=400, seed=3, sigma_cation_A=2.0)
    es = Electrolyte.from_universe(syn.universe, cation=syn.cation, anion=syn.anion)
    st = scan(es, cache=False)
    rng = np.random.default_rng(3)  # rebuild the unwrapped truth of the cations
    steps = rng.normal(size=(400, 20, 3)) * 2.0
    steps[0] = rng.uniform(0, BOX_A, (20, 3))
    truth = np.cumsum(steps, axis=0) / 10.0
    x = st.species_positions(0)
    assert np.abs((x - x[0]) - (truth - truth[0])).max() < 1e-4  # float32 storage of wrapped Å
    assert np.abs(truth[-1] - truth[0]).max() > BOX_A / 10  # really crossed the box


def test_fluctuating_box_is_unwrapped_without_jumps():
    """Under NpT the box changes every frame; the displacement scheme stays jump-free
    (von Bülow et al. 2020)."""
    import MDAnalysis as mda
    from MDAnalysis.coordinates.memory import MemoryReader
    rng = np.random.default_rng(1)
    n, T = 50, 300
    true = rng.uniform(0, 30, (n, 3)) + np.cumsum(rng.normal(size=(T, n, 3)) * 0.8, axis=0)
    L = 30.0 * (1 + 0.02 * np.sin(np.arange(T) / 7.0))
    wrapped = true - L[:, None, None] * np.floor(true / L[:, None, None])
    u = mda.Universe.empty(n, n_residues=n, atom_resindex=np.arange(n), trajectory=True)
    u.add_TopologyAttr("masses", np.full(n, 10.0))
    u.add_TopologyAttr("charges", np.r_[np.ones(n // 2), -np.ones(n // 2)])
    u.add_TopologyAttr("names", ["A"] * (n // 2) + ["B"] * (n // 2))
    dims = np.column_stack([L, L, L, np.full((T, 3), 90.0)])
    u.load_new(wrapped.astype(np.float32), format=MemoryReader, dimensions=dims)
    es = Electrolyte.from_universe(u, cation="name A", anion="name B")
    x = scan(es, cache=False).positions_nm * 10
    steps = np.diff(x, axis=0)
    assert np.abs(steps).max() < 5.0  # no jump of a box length
    # a step differs from the true one only by (images crossed) × (box change per frame) < 0.25 Å
    np.testing.assert_allclose(steps, np.diff(true, axis=0), atol=0.25)
    assert np.abs(x[-1] - x[0]).max() > 15


def test_triclinic_box_is_unwrapped():
    import MDAnalysis as mda
    from MDAnalysis.coordinates.memory import MemoryReader
    from MDAnalysis.lib.distances import apply_PBC
    rng = np.random.default_rng(2)
    n, T = 40, 200
    true = rng.uniform(0, 30, (n, 3)) + np.cumsum(rng.normal(size=(T, n, 3)) * 0.7, axis=0)
    dims = np.array([30.0, 32.0, 34.0, 80.0, 95.0, 110.0])
    wrapped = np.stack([apply_PBC(f.astype(np.float32), dims) for f in true])
    u = mda.Universe.empty(n, n_residues=n, atom_resindex=np.arange(n), trajectory=True)
    u.add_TopologyAttr("masses", np.full(n, 10.0))
    u.add_TopologyAttr("charges", np.r_[np.ones(n // 2), -np.ones(n // 2)])
    u.add_TopologyAttr("names", ["A"] * (n // 2) + ["B"] * (n // 2))
    u.load_new(wrapped, format=MemoryReader, dimensions=np.tile(dims, (T, 1)))
    es = Electrolyte.from_universe(u, cation="name A", anion="name B")
    x = scan(es, cache=False).positions_nm * 10
    np.testing.assert_allclose(x - x[0], true - true[0], atol=1e-3)


@pytest.mark.parametrize("backend, shared_file", [("multiprocessing", "tmp"), ("multiprocessing", "none"),
                                                  ("dask", "unused")])
def test_parallel_chunks_are_bit_identical(backend, shared_file, tmp_path, monkeypatch):
    """Workers write into one shared file (here in tmp_path), or send their chunks back when there is no
    room for it: the same bits as the serial pass either way, and the shared file is gone afterwards."""
    made = []

    def shared_file_in_tmp(n_bytes):
        path = tmp_path / f"pass-{len(made)}.f64"
        path.write_bytes(bytes(n_bytes))
        made.append(path)
        return str(path)

    monkeypatch.setattr(parallel_module, "shared_file", shared_file_in_tmp if shared_file == "tmp" else lambda n: None)
    syn = build("walkers", n_pairs=30, n_frames=200, n_solvent=20, seed=5)
    es = Electrolyte.from_universe(syn.universe, cation=syn.cation, anion=syn.anion, solvent=syn.solvent)
    serial = scan(es, cache=False)
    parallel = scan(es, cache=False, backend=backend, n_workers=3)
    for name in ("positions_nm", "system_com_nm", "solvent_com_nm", "time_ps", "volume_nm3"):
        assert np.array_equal(getattr(serial, name), getattr(parallel, name)), name
    assert len(made) == (shared_file == "tmp") and not any(p.exists() for p in made)


def test_shared_file_reserves_its_size_and_maps_back():
    path = parallel_module.shared_file(4 * 5 * 3 * 8)
    try:
        assert Path(path).stat().st_size == 4 * 5 * 3 * 8
        rows = parallel_module.SharedRows(path, (4, 5, 3), first=2).rows(2)
        rows[:] = np.arange(30.0).reshape(2, 5, 3)
        whole = parallel_module.map_shared(path, (4, 5, 3))
    finally:
        Path(path).unlink()
    assert np.array_equal(whole[2:], np.arange(30.0).reshape(2, 5, 3)) and not whole[:2].any()


def test_parallel_progress_counts_frames_and_workers_are_checked():
    syn = build("walkers", n_pairs=10, n_frames=300, n_solvent=10, seed=3)
    es = Electrolyte.from_universe(syn.universe, cation=syn.cation, anion=syn.anion, solvent=syn.solvent)
    seen = []
    parallel = scan(es, cache=False, backend="multiprocessing", n_workers=2,
                    progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (300, 300) and all(t == 300 for _, t in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and len(seen) > 2  # frames, not just chunks
    assert np.array_equal(parallel.positions_nm, scan(es, cache=False).positions_nm)
    with pytest.raises(IonscaleError, match="n_workers"):
        scan(es, cache=False, n_workers=-1)


def test_automatic_workers_only_for_large_trajectories(monkeypatch):
    monkeypatch.setattr(parallel_module.os, "sched_getaffinity", lambda pid: set(range(12)), raising=False)
    assert parallel_module.auto_workers(100, 1000) == 1
    assert parallel_module.auto_workers(5000, 20_000) == 8
    monkeypatch.setattr(parallel_module.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert parallel_module.auto_workers(5000, 20_000) == 2


def test_memory_grows_with_ions_not_atoms():
    syn = build("walkers", n_pairs=10, n_frames=50, n_solvent=200, seed=1)
    es = Electrolyte.from_universe(syn.universe, cation=syn.cation, anion=syn.anion, solvent=syn.solvent)
    st = scan(es, cache=False)
    assert st.positions_nm.shape == (50, 20, 3)  # 420 atoms, 20 ion particles
    assert st.solvent_com_nm.shape == st.system_com_nm.shape == (50, 3)


def test_barycentre_of_all_atoms(tmp_path):
    syn = build("walkers", n_pairs=10, n_frames=60, n_solvent=30, seed=7)
    u = syn.universe
    es = Electrolyte.from_universe(u, cation=syn.cation, anion=syn.anion, solvent=syn.solvent)
    st = scan(es, cache=False)
    # the barycentre moves as the mass-weighted mean of every particle's displacement
    parts = [(st.species_positions(k), s.molecule_mass_g_mol) for k, s in enumerate(es.ions)]
    solvent_mass = es.solvents[0].molecule_mass_g_mol * es.solvents[0].n_molecules
    total = sum(m * x.shape[1] for x, m in parts) + solvent_mass
    moved = sum(m * (x - x[0]).sum(axis=1) for x, m in parts) + solvent_mass * (st.solvent_com_nm - st.solvent_com_nm[0])
    np.testing.assert_allclose(st.system_com_nm - st.system_com_nm[0], moved / total, atol=1e-10)


def test_cache_is_reused_and_keyed_on_settings(tmp_path, monkeypatch):
    from synthetic import write
    import MDAnalysis as mda
    syn = build("walkers", n_pairs=10, n_frames=40, seed=2)
    top, traj = write(syn.universe, tmp_path / "run")
    es = Electrolyte.from_universe(mda.Universe(str(top), str(traj)), cation="type 1", anion="type 2")
    first = scan(es)
    cached = list((tmp_path / "run" / ".ionscale-cache").glob("*.npz"))
    assert len(cached) == 1

    def no_reading(*args, **kwargs):
        raise AssertionError("the trajectory was read again")
    monkeypatch.setattr(scan_module, "_scan_chunk", no_reading)
    again = scan(es)
    assert np.array_equal(first.positions_nm, again.positions_nm)
    with pytest.raises(AssertionError, match="read again"):
        scan(es, step=2)  # other settings, other key
    monkeypatch.undo()
    scan(es, step=2)
    assert len(list((tmp_path / "run" / ".ionscale-cache").glob("*.npz"))) == 2


class FirstAtom:
    """A collector: the position of atom 0 in every frame."""

    name, key = "first", "atom 0"

    def collect(self, ts) -> dict:
        return {"x": ts.positions[0].copy()}

    def finish(self, frames: list) -> dict:
        return {"x": np.array([f["x"] for f in frames])}


def test_pass_without_transport_runs_the_collectors_only_and_is_cached_apart(tmp_path, monkeypatch):
    from synthetic import write
    import MDAnalysis as mda
    syn = build("walkers", n_pairs=10, n_frames=40, n_solvent=5, seed=2)
    top, traj = write(syn.universe, tmp_path / "run")
    es = Electrolyte.from_universe(mda.Universe(str(top), str(traj)), cation="type 1", anion="type 2",
                                   solvent="type 3")
    full = scan(es, collectors=[FirstAtom()])
    light = scan(es, collectors=[FirstAtom()], transport=False)
    assert light.positions_nm is None and light.system_com_nm is None and light.solvent_com_nm is None
    for name in ("time_ps", "volume_nm3", "box_nm"):
        assert np.array_equal(getattr(light, name), getattr(full, name)), name
    assert np.array_equal(light.extras["first/x"], full.extras["first/x"]) and len(light.extras["first/x"]) == 40
    parallel = scan(es, collectors=[FirstAtom()], transport=False, cache=False, backend="multiprocessing",
                    n_workers=3)
    assert np.array_equal(parallel.extras["first/x"], light.extras["first/x"])
    assert len(list((tmp_path / "run" / ".ionscale-cache").glob("*.npz"))) == 2

    def no_reading(*args, **kwargs):
        raise AssertionError("the trajectory was read again")
    monkeypatch.setattr(scan_module, "_scan_chunk", no_reading)
    assert scan(es, collectors=[FirstAtom()], transport=False).positions_nm is None  # from its cache
    assert np.array_equal(scan(es, collectors=[FirstAtom()]).positions_nm, full.positions_nm)  # never the light one


def test_interrupted_write_leaves_nothing(tmp_path):
    target = tmp_path / "out.json"

    def crash(f):
        f.write("half")
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, crash)
    assert list(tmp_path.iterdir()) == []


def test_store_round_trip(tmp_path):
    syn = build("walkers", n_pairs=5, n_frames=20, seed=2)
    es = Electrolyte.from_universe(syn.universe, cation=syn.cation, anion=syn.anion)
    st = scan(es, cache=False)
    st.extras["contacts/pairs"] = np.arange(6).reshape(3, 2)
    st.save(tmp_path / "s.npz")
    back = TransportStore.load(tmp_path / "s.npz")
    assert back.solvent_com_nm is None
    assert np.array_equal(back.positions_nm, st.positions_nm)
    assert np.array_equal(back.extras["contacts/pairs"], st.extras["contacts/pairs"])


def test_too_few_frames_and_missing_times_are_refused():
    syn = build("walkers", n_pairs=5, n_frames=20, seed=2)
    es = Electrolyte.from_universe(syn.universe, cation=syn.cation, anion=syn.anion)
    with pytest.raises(IonscaleError, match="only 3 frame"):
        scan(es, stop=3, cache=False)
    lammps = Electrolyte.from_universe(htpmd_universe("9-0-246295613-0"), **LITFSI)
    with pytest.raises(IonscaleError, match="--timestep"):
        scan(lammps, cache=False)


@pytest.mark.parametrize("damage", ["truncated", "empty"])
def test_damaged_cache_is_recomputed(damage, tmp_path):
    """The cache is written without waiting for the disk (durable=False): what a system crash can leave
    (a cut or empty file under the final name) is detected, removed and recomputed."""
    from synthetic import write
    import MDAnalysis as mda
    syn = build("walkers", n_pairs=10, n_frames=40, seed=6)
    top, traj = write(syn.universe, tmp_path / "run")
    es = Electrolyte.from_universe(mda.Universe(str(top), str(traj)), cation="type 1", anion="type 2")
    first = scan(es)
    (cached,) = (tmp_path / "run" / ".ionscale-cache").glob("*.npz")
    data = cached.read_bytes()
    cached.write_bytes(data[:len(data) // 2] if damage == "truncated" else b"")
    again = scan(es)
    assert np.array_equal(first.positions_nm, again.positions_nm)
    assert np.array_equal(TransportStore.load(cached).positions_nm, first.positions_nm)  # rewritten whole


def test_a_cache_written_in_the_background_is_whole_and_read_after_its_writing(tmp_path, monkeypatch):
    from synthetic import write
    import MDAnalysis as mda
    import threading
    import time
    from ionscale.trajectory import cache as cache_module
    syn = build("walkers", n_pairs=10, n_frames=40, seed=5)
    top, traj = write(syn.universe, tmp_path / "run")
    es = Electrolyte.from_universe(mda.Universe(str(top), str(traj)), cation="type 1", anion="type 2")
    saving = []
    original = TransportStore.save

    def slow_save(self, path, durable=True):  # a slow disk: the caller must not wait for it
        saving.append(threading.current_thread().name)
        time.sleep(0.3)
        original(self, path, durable)
    monkeypatch.setattr(TransportStore, "save", slow_save)
    first = scan(es, cache_in_background=True)
    pending = [p for p in cache_module._writing if p.parent == tmp_path / "run" / ".ionscale-cache"]
    assert saving and saving[0].startswith("ionscale cache") and len(pending) == 1  # still writing
    monkeypatch.setattr(scan_module, "_scan_chunk", lambda *a, **k: pytest.fail("the trajectory was read again"))
    again = scan(es)   # waits for the entry, then reads it
    assert pending[0] not in cache_module._writing
    assert np.array_equal(first.positions_nm, again.positions_nm) and again is not first
    assert len(list((tmp_path / "run" / ".ionscale-cache").glob("*.npz"))) == 1
    assert not list((tmp_path / "run" / ".ionscale-cache").glob(".*.tmp"))
