"""Results are never lost or silently falsified (issue 16): damaged caches, impostor trajectories,
duplicate replicas, wrong timesteps, unassigned solvent."""

import os
import shutil

import MDAnalysis as mda
import numpy as np
import pytest
from synthetic import build, write

from ionscale import Electrolyte, IonscaleError
from ionscale.pipeline import Options, analyse
from ionscale.trajectory import INTEGRITY_KEY, DamagedStoreError, TransportStore, scan


@pytest.fixture
def cached_run(tmp_path):
    syn = build("walkers", n_pairs=10, n_frames=40, seed=2)
    top, traj = write(syn.universe, tmp_path / "run")
    es = Electrolyte.from_universe(mda.Universe(str(top), str(traj)), cation="type 1", anion="type 2")
    reference = scan(es)
    (cache_file,) = (tmp_path / "run" / ".ionscale-cache").glob("*.npz")
    return es, reference, cache_file


def truncated(raw: bytes) -> bytes:
    return raw[:len(raw) // 2]


def bit_flipped(raw: bytes) -> bytes:
    k = len(raw) // 3
    return raw[:k] + bytes([raw[k] ^ 0x10]) + raw[k + 1:]


@pytest.mark.parametrize("damage", [truncated, bit_flipped, lambda raw: b""], ids=["truncated", "bit-flipped", "empty"])
def test_damaged_cache_is_detected_and_recomputed(cached_run, damage):
    es, reference, cache_file = cached_run
    cache_file.write_bytes(damage(cache_file.read_bytes()))
    with pytest.raises(DamagedStoreError):
        TransportStore.load(cache_file)
    with pytest.warns(UserWarning, match="damaged and is recomputed"):
        again = scan(es)
    assert np.array_equal(again.positions_nm, reference.positions_nm)
    assert np.array_equal(TransportStore.load(cache_file).positions_nm, reference.positions_nm)  # rewritten whole


def test_altered_array_in_a_valid_file_fails_its_checksum(cached_run):
    """A file that is a perfectly valid .npz (its zip CRCs match) but whose numbers were changed."""
    es, reference, cache_file = cached_run
    with np.load(cache_file) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["positions_nm"][5, 3, 1] += 1e-3
    np.savez(cache_file, **arrays)
    with pytest.raises(DamagedStoreError, match="positions_nm"):
        TransportStore.load(cache_file)
    del arrays[INTEGRITY_KEY]
    np.savez(cache_file, **arrays)  # a store without a record: not trusted either
    with pytest.raises(DamagedStoreError, match="integrity record"):
        TransportStore.load(cache_file)
    with pytest.warns(UserWarning, match="recomputed"):
        assert np.array_equal(scan(es).positions_nm, reference.positions_nm)


def test_saved_store_round_trips_every_array_with_its_shape(cached_run, tmp_path):
    """0-d extras (a collector's settings string) stay 0-d: a (1,)-array would no longer equal its key."""
    _, reference, _ = cached_run
    reference.extras.update({"probe/settings": np.array("key"), "probe/count": np.array(3.5)})
    reference.save(tmp_path / "store.npz")
    loaded = TransportStore.load(tmp_path / "store.npz")
    assert str(loaded.extras["probe/settings"]) == "key" and loaded.extras["probe/count"].shape == ()
    for name, array in reference.__dict__.items():
        if isinstance(array, np.ndarray):
            assert np.array_equal(getattr(loaded, name), array) and getattr(loaded, name).shape == array.shape


def test_cache_key_sees_content_not_only_size_and_time(tmp_path):
    """Another trajectory of the same size copied over the first with its modification time (``cp -p``,
    then the old time restored) must not be answered from the first one's cache."""
    first = write(build("walkers", n_pairs=10, n_frames=40, seed=2).universe, tmp_path / "a")
    other = write(build("walkers", n_pairs=10, n_frames=40, seed=3).universe, tmp_path / "b")
    assert first[1].stat().st_size == other[1].stat().st_size
    es = Electrolyte.from_universe(mda.Universe(str(first[0]), str(first[1])), cation="type 1", anion="type 2")
    old = scan(es)
    stat = first[1].stat()
    shutil.copy2(other[1], first[1])
    os.utime(first[1], ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert first[1].stat().st_mtime_ns == stat.st_mtime_ns and first[1].stat().st_size == stat.st_size
    es = Electrolyte.from_universe(mda.Universe(str(first[0]), str(first[1])), cation="type 1", anion="type 2")
    new = scan(es)
    assert not np.array_equal(new.positions_nm, old.positions_nm)
    assert np.array_equal(new.positions_nm, scan(es, cache=False).positions_nm)


def _walkers(folder, seed=2, n_solvent=0):
    return write(build("walkers", n_pairs=10, n_frames=40, n_solvent=n_solvent, seed=seed).universe, folder)


def test_timestep_contradicting_the_stored_frame_interval_is_refused_unless_forced(tmp_path):
    """The DCD stores 1 ps between frames; 0.002 (fs typed as ps) would make every D and κ 500× off."""
    top, traj = _walkers(tmp_path)
    u = mda.Universe(str(top), str(traj))
    assert u.trajectory.dt == pytest.approx(1.0, rel=1e-6)
    wrong = Electrolyte.from_universe(u, cation="type 1", anion="type 2", timestep_ps=0.002)
    with pytest.raises(IonscaleError, match="0.002 ps, contradicts the 1 ps between frames.*--force-timestep"):
        scan(wrong, cache=False)
    same = scan(Electrolyte.from_universe(u, cation="type 1", anion="type 2", timestep_ps=1.0), cache=False)
    assert same.frame_interval_ps == 1.0
    forced = Electrolyte.from_universe(u, cation="type 1", anion="type 2", timestep_ps=0.002, force_timestep=True)
    assert scan(forced, cache=False).frame_interval_ps == 0.002


def test_explicit_solvent_left_out_of_every_species_is_refused_by_name(tmp_path):
    """5 solvent dimers (10 atoms of type 3) and no solvent selection: the 'solvent frame' would be the lab frame."""
    top, traj = _walkers(tmp_path, n_solvent=5)
    u = mda.Universe(str(top), str(traj))
    with pytest.raises(IonscaleError, match=r"10 atoms \(33 % of the system, 5 molecules; types 3; e\.g\. atom index 20\) "
                                            r"belong to no species.*Select them as solvent \(--solvent 'type 3'\)"):
        Electrolyte.from_universe(u, cation="type 1", anion="type 2")
    with pytest.warns(UserWarning, match="10 atoms .* belong to no species"):
        es = Electrolyte.from_universe(u, cation="type 1", anion="type 2", allow_unassigned=True)
    assert any("not in the solvent frame" in n for n in es.notes)
    assert Electrolyte.from_universe(u, cation="type 1", anion="type 2", solvent="type 3").has_solvent


def test_the_same_trajectory_twice_is_not_two_replicas(tmp_path):
    top, traj = _walkers(tmp_path / "a")
    copy = tmp_path / "copy" / "traj.dcd"
    copy.parent.mkdir()
    shutil.copy(traj, copy)
    other = _walkers(tmp_path / "b", seed=5)[1]

    def electrolyte(path):
        return Electrolyte.from_universe(mda.Universe(str(top), str(path)), cation="type 1", anion="type 2")
    options = Options(structure=False, mesoscale=False)
    for twin in (traj, copy):
        with pytest.raises(IonscaleError, match="replicas 1 and 3 are the same trajectory"):
            analyse([electrolyte(traj), electrolyte(other), electrolyte(twin)], 300.0, options, cache=False)
    syn = build("walkers", n_pairs=10, n_frames=40, seed=2)
    es = Electrolyte.from_universe(syn.universe, cation=syn.cation, anion=syn.anion)
    with pytest.raises(IonscaleError, match="replicas 1 and 2 are the same trajectory \\(an in-memory"):
        analyse([es, es], 300.0, options, cache=False)
