"""Results are never lost or silently falsified (issue 16): damaged caches, impostor trajectories,
duplicate replicas, wrong timesteps, unassigned solvent."""

import os
import shutil

import MDAnalysis as mda
import numpy as np
import pytest
from synthetic import build, write

from ionscale import Electrolyte
from ionscale.store import INTEGRITY_KEY, DamagedStoreError, TransportStore, scan


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
