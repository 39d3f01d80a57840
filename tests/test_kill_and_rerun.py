"""Whole processes killed or racing (issue 14, item 6): nothing lost, nothing corrupted, the same numbers.

- ``simulate`` killed with SIGKILL mid-run (no handler runs, no checkpoint on the way out), then run
  again: it resumes from its last checkpoint and ends with exactly the trajectory of an uninterrupted run.
- Two ``analyze`` runs on one trajectory at the same time, both filling the same cache: both succeed
  with identical numbers, and the cache they leave is whole (a third run reads it, and agrees).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from synthetic import build, write

TESTS = Path(__file__).parent
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

SIMULATE = """
import sys
sys.path.insert(0, {tests!r})
from simulate.conftest import TINY
from ionscale.simulate import preset, run_simulation
run_simulation(preset("star-anion", **dict(TINY, production={production})), {out!r}, seed=7,
               deterministic=True, checkpoint_seconds=0)
"""


def _frames_written(out: Path) -> int:
    try:
        return json.loads((out / "parameters.json").read_text()).get("n_frames", 0)
    except (OSError, ValueError):
        return 0  # not written yet, or being replaced


def _coordinates(out: Path) -> np.ndarray:
    """The run folder's trajectory (SimulationOutput's file names), Å."""
    import MDAnalysis as mda
    u = mda.Universe(str(out / "topology.psf"), str(out / "trajectory.dcd"))
    return np.array([ts.positions.copy() for ts in u.trajectory])


def _simulate(out: Path, production: float) -> subprocess.Popen:
    code = SIMULATE.format(tests=str(TESTS), out=str(out), production=production)
    return subprocess.Popen([sys.executable, "-c", code], env=ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SIGKILL")
def test_simulate_killed_with_sigkill_resumes_to_the_uninterrupted_trajectory(tmp_path):
    production = 40.0  # model ps: 80 frames, long enough to be caught in the middle
    whole = _simulate(tmp_path / "whole", production)
    assert whole.wait(timeout=300) == 0, whole.stderr.read()
    expected = _coordinates(tmp_path / "whole")

    cut = tmp_path / "cut"
    proc = _simulate(cut, production)
    try:
        deadline = time.monotonic() + 240
        while _frames_written(cut) < 10 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before it could be killed: make it longer"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    killed_at = _frames_written(cut)
    assert 10 <= killed_at < len(expected)
    again = _simulate(cut, production)
    assert again.wait(timeout=300) == 0, again.stderr.read()
    assert json.loads((cut / "parameters.json").read_text())["status"] == "complete"
    assert np.array_equal(_coordinates(cut), expected)


def test_two_analyses_of_one_trajectory_at_once_share_a_whole_cache(tmp_path):
    syn = build("walkers", n_pairs=40, n_frames=3000, seed=4)
    top, traj = write(syn.universe, tmp_path / "run")
    args = ["analyze", str(top), str(traj), "--cation", "type 1", "--anion", "type 2", "--temperature", "300",
            "--no-figures", "--no-structure", "--no-mesoscale", "--workers", "1"]

    def analyze(out: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "ionscale.cli", *args, "--out", str(tmp_path / out)],
                                env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    runs = [analyze("a"), analyze("b")]
    outputs = [r.communicate(timeout=300)[0] for r in runs]
    for r, text in zip(runs, outputs):
        assert r.returncode == 0, text
        assert "Traceback" not in text and "Exception ignored" not in text, text
    (cache_file,) = (tmp_path / "run" / ".ionscale-cache").glob("*.npz")
    assert not list((tmp_path / "run" / ".ionscale-cache").glob(".*.tmp"))  # no temporary file left
    third = analyze("c")
    text = third.communicate(timeout=300)[0]
    assert third.returncode == 0, text
    tables = [pd.read_csv(tmp_path / out / "quantities.csv") for out in "abc"]
    for other in tables[1:]:
        pd.testing.assert_frame_equal(tables[0], other)
    assert cache_file.stat().st_mtime_ns == next((tmp_path / "run" / ".ionscale-cache").glob("*.npz")).stat().st_mtime_ns
