"""The on-disk cache of passes: where a pass's store is kept, and what identifies a trajectory.

A pass is cached in ``.ionscale-cache/`` beside the trajectory (or a folder the caller names; the
user's ``~/.cache/ionscale`` when that is not writable) under a key that hashes the store version, the
identity of every trajectory and topology file — path, size, modification time and a hash of sampled
content (:func:`content_sample_hash`), so a file rewritten in place or copied over with the same size
and time still changes the key — the pass's settings, and the weights of its tracked points. The
stored file checks itself on loading (:meth:`.frames.TransportStore.load`). :func:`trajectory_fingerprint`
tells whether two trajectories are the same data, under whatever names.

A new entry is written without waiting for the disk (the cache is recomputed if lost), and — for an
analysis in this process — in a background thread (:func:`write_entry`): writing a pass of 10⁴–10⁵
frames copies about a gigabyte, about 15 % of a serial analysis, while the correlations need only the
arrays in memory. The entry appears whole or not at all (:func:`ionscale.core.files.atomic_write`); a
read of it in this process first waits for its writing (:func:`finish_writing`), and the interpreter
waits for every writing thread before it exits.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ..system import Electrolyte
from .frames import STORE_VERSION


# -- writing an entry -----------------------------------------------------------------------------
#: entries being written by background threads, cache file → its thread
_writing: dict = {}
_writing_lock = threading.Lock()


def write_entry(store, path: Path, background: bool = False) -> None:
    """Save ``store`` (a :class:`.frames.TransportStore`) as the cache entry ``path``, now or in a
    (non-daemon) background thread; a failure to write is a warning, never an error: the cache is a
    convenience and the analysis has its store."""
    if not background:
        _save(store, path)
        return
    finish_writing(path)   # one writer per entry at a time
    thread = threading.Thread(target=_save, args=(store, path, True), name=f"ionscale cache {path.name}")
    with _writing_lock:
        _writing[path] = thread
    thread.start()


def finish_writing(path: Path | None = None) -> None:
    """Wait until the background writing of the entry ``path`` (or of every entry) has ended."""
    with _writing_lock:
        threads = [_writing.pop(path)] if path in _writing else [] if path is not None else list(_writing.values())
        if path is None:
            _writing.clear()
    for thread in threads:
        thread.join()


def _save(store, path: Path, in_background: bool = False) -> None:
    try:
        store.save(path, durable=False)
    except OSError as err:
        warnings.warn(f"could not write the cache {path}: {err}")
    finally:
        if in_background:  # done: nobody needs to wait for it any more
            with _writing_lock:
                if _writing.get(path) is threading.current_thread():
                    del _writing[path]


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


def cache_path(electrolyte: Electrolyte, weights: sp.csr_matrix | None, settings: dict, cache) -> Path | None:
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
