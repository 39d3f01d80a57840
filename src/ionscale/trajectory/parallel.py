"""Running the chunks of a pass in parallel: processes writing into shared memory, or Dask tasks.

Frame t's increment depends only on frames t−1 and t, so the frames of a pass are cut into chunks that
are read in parallel and summed in order (:mod:`.streaming`), bit for bit the serial result. Worker
processes write their increments straight into one file in shared memory that the parent maps
(:class:`SharedRows`), so nothing of the trajectory's size is copied back. The workers end with the
parent however it ends (:func:`_worker_start`: Linux's PR_SET_PDEATHSIG, elsewhere a watching thread),
and the shared file loses its name as soon as it is made (:func:`detached`, Linux), so a killed pass
leaves neither processes nor files behind. Dask workers may be other machines: their chunks come back
as results (:func:`dask_scheduler`). :func:`auto_workers` says when parallel reading repays itself.
"""

from __future__ import annotations

import contextlib
import ctypes
import mmap
import multiprocessing
import os
import signal
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from queue import Empty
from typing import Callable, Sequence

import numpy as np

#: progress callback of a pass: (frames done, frames in all)
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SharedRows:
    """Frames ``first`` .. ``first + n - 1`` of the increments (n_frames, n_points, 3), float64, kept in a
    file that the parent and the worker processes all map: a worker writes its chunk in place, and the
    parent finds the whole pass in its own mapping, with no copy sent back through a pipe."""
    path: str
    shape: tuple
    first: int

    def rows(self, n: int) -> np.ndarray:
        return map_shared(self.path, self.shape)[self.first:self.first + n]


def map_shared(path: str, shape: tuple) -> np.ndarray:
    """The file at ``path`` as a writable float64 array of ``shape`` (the mapping lives as long as the
    array, also after the file is unlinked)."""
    with open(path, "r+b") as f:
        buffer = mmap.mmap(f.fileno(), int(np.prod(shape)) * 8)
    return np.frombuffer(buffer, dtype=np.float64).reshape(shape)


def shared_file(n_bytes: int) -> str | None:
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


@contextlib.contextmanager
def detached(path: str):
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


def run_in_processes(task: Callable, jobs: list, n_workers: int, progress: Progress | None, total: int,
                     shared: Sequence[SharedRows | None] | None = None) -> list:
    """``task(*job, shared=rows, progress=...)`` for every chunk job in a process pool, in order, each
    writing its increments into its ``shared`` rows if given (the chunk reader of :mod:`.streaming`); the
    workers report frames read through a queue, so ``progress`` counts frames as the serial pass does.
    The workers die with this process, however it ends (:func:`_worker_start`)."""
    shared = shared or [None] * len(jobs)
    context = multiprocessing.get_context()
    queue = context.Queue() if progress is not None else None
    with ProcessPoolExecutor(max_workers=n_workers, mp_context=context, initializer=_worker_start,
                             initargs=(os.getpid(), queue)) as pool:
        futures = [pool.submit(task, *job, shared=rows,
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


def dask_scheduler():
    """The active distributed client if there is one, else Dask's process pool."""
    try:
        from distributed import get_client
        return get_client()
    except (ImportError, ValueError):
        return "processes"


#: frames × atoms below which a parallel pass does not repay starting its processes (about a second)
PARALLEL_MIN_WORK = 10_000_000


def auto_workers(n_frames: int, n_atoms: int) -> int:
    """Processes for a pass: every available core (at most 8) when the trajectory is large enough for
    parallel reading to repay starting the processes, else 1."""
    if n_frames * n_atoms < PARALLEL_MIN_WORK:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, 8))
