"""Faults a user meets give a message, not a traceback, and never silently wrong numbers (issue 16):
cut trajectories, single-precision times, wrong options, unwritable outputs, rich markup."""

import gc
import os
import sys
import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from synthetic import build, write
from typer.testing import CliRunner

from ionscale import Electrolyte, IonscaleError
from ionscale.cli import app
from ionscale.io import open_universe
from ionscale.trajectory import scan

runner = CliRunner()
FAST = ["--cation", "type 1", "--anion", "type 2", "--no-figures", "--no-structure", "--no-mesoscale", "--blocks", 2]


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A 200-frame random-walker run on disk as LAMMPS data + DCD, and the same frames as XTC."""
    folder = tmp_path_factory.mktemp("walkers")
    top, dcd = write(build("walkers", n_pairs=10, n_frames=200, seed=2).universe, folder)
    u = mda.Universe(str(top), str(dcd))
    xtc = folder / "traj.xtc"
    with mda.Writer(str(xtc), len(u.atoms)) as w:
        for _ in u.trajectory:
            w.write(u.atoms)
    return top, dcd, xtc


def test_truncated_xtc_is_a_message_naming_the_frame(run, tmp_path):
    top, _, xtc = run
    cut = tmp_path / "cut.xtc"
    cut.write_bytes(xtc.read_bytes()[:xtc.stat().st_size // 3])
    es = Electrolyte.from_universe(open_universe(top, [cut]), cation="type 1", anion="type 2")
    with pytest.raises(IonscaleError, match=r"frame \d+ of the trajectory cannot be read.*cut short.*--stop \d+"):
        scan(es, cache=False)
    result = invoke("analyze", top, cut, *FAST, "--temperature", 300, "--out", tmp_path / "out", "--no-cache")
    assert result.exit_code == 2 and "cannot be read" in result.output and "Traceback" not in result.output


def test_dcd_cut_mid_frame_warns(run, tmp_path):
    top, dcd, _ = run
    cut = tmp_path / "cut.dcd"
    raw = dcd.read_bytes()
    cut.write_bytes(raw[:len(raw) - 320 - 100])  # 20 atoms: 320 bytes a frame; 220 bytes of frame 198 remain
    with pytest.warns(UserWarning, match="ends in part of a frame \\(220 of the 320 bytes of frame 198\\)"):
        u = open_universe(top, [cut])
    assert u.trajectory.n_frames == 198
    result = invoke("analyze", top, cut, *FAST, "--temperature", 300, "--out", tmp_path / "out", "--no-cache")
    assert result.exit_code == 0 and "ends in part of a frame" in result.output


def test_garbage_dcd_gives_the_message_and_no_teardown_traceback(run, tmp_path):
    """MDAnalysis' reader ``__del__`` used to print an AttributeError traceback after the message."""
    top, _, _ = run
    garbage = tmp_path / "garbage.dcd"
    garbage.write_bytes(np.random.default_rng(0).bytes(5000))
    seen = []
    previous, sys.unraisablehook = sys.unraisablehook, seen.append
    try:
        with pytest.raises(IonscaleError, match="cannot read"):
            open_universe(top, [garbage])
        gc.collect()
    finally:
        sys.unraisablehook = previous
    assert seen == []


def test_xtc_times_rounded_to_single_precision_are_evenly_spaced(run, tmp_path):
    """XTC stores times as float32: frames 0.1 ps apart from t = 10⁵ ps are 0.09375 or 0.1015625 ps apart
    once rounded (spacing 1/128 ps); the same frames must give the same store as the DCD, with Δt = 0.1 ps."""
    top, dcd, _ = run
    u = mda.Universe(str(top), str(dcd))
    late = tmp_path / "late.xtc"
    with mda.Writer(str(late), len(u.atoms)) as w:
        for ts in u.trajectory:
            ts.time = 100000.0 + ts.frame * 0.1
            w.write(u.atoms)
    times = np.array([ts.time for ts in mda.Universe(str(top), str(late)).trajectory])
    assert np.ptp(np.diff(times)) > 1e-3  # really rounded
    es = Electrolyte.from_universe(open_universe(top, [late]), cation="type 1", anion="type 2")
    st = scan(es, cache=False)
    assert st.frame_interval_ps == 0.1 and st.time_ps[-1] == pytest.approx(19.9, rel=1e-12)
    ref = scan(Electrolyte.from_universe(u, cation="type 1", anion="type 2"), cache=False)
    np.testing.assert_allclose(st.positions_nm, ref.positions_nm, atol=2e-3)  # XTC keeps 0.001 nm


def test_irregular_frames_are_still_refused(run, tmp_path):
    top, dcd, _ = run
    u = mda.Universe(str(top), str(dcd))
    odd = tmp_path / "odd.xtc"
    with mda.Writer(str(odd), len(u.atoms)) as w:
        for ts in u.trajectory:
            ts.time = ts.frame * 1.0 + (0.5 if ts.frame == 100 else 0.0)
            w.write(u.atoms)
    es = Electrolyte.from_universe(open_universe(top, [odd]), cation="type 1", anion="type 2")
    with pytest.raises(IonscaleError, match="not evenly spaced"):
        scan(es, cache=False)


@pytest.mark.parametrize("args, message", [
    (["--step", 0], "step must be 1 or more"),
    (["--temperature", "inf"], "finite number of kelvin"),
    (["--temperature", 1e-300], "at least 1 K"),
    (["--cation", "type 1"], "--cation given 2 times"),
    (["--timestep", 0.002], "0.002 ps, contradicts the 1 ps"),
])
def test_bad_options_are_messages(run, tmp_path, args, message):
    top, dcd, _ = run
    temperature = [] if "--temperature" in args else ["--temperature", 300]
    result = invoke("analyze", top, dcd, *FAST, *temperature, *args, "--out", tmp_path / "out", "--no-cache")
    assert result.exit_code == 2 and message in " ".join(result.output.split()), result.output
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()


def test_unwritable_out_is_refused_before_the_analysis(run, tmp_path, monkeypatch):
    top, dcd, _ = run
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    for out, message in ((blocker, "is a file, not a folder"), (blocker / "sub", "is a file, so the folder")):
        result = invoke("analyze", top, dcd, *FAST, "--temperature", 300, "--out", out)
        text = " ".join(result.output.split())
        assert result.exit_code == 2 and message in text and "Traceback" not in text
    if os.geteuid() != 0:  # root writes anywhere: only the check above applies
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        result = invoke("analyze", top, dcd, *FAST, "--temperature", 300, "--out", locked / "out")
        assert result.exit_code == 2 and "not writable" in " ".join(result.output.split())

    def no_analysis(*args, **kwargs):
        raise AssertionError("the analysis ran before the output folder was checked")
    monkeypatch.setattr("ionscale.pipeline.analyse", no_analysis)
    result = invoke("analyze", top, dcd, *FAST, "--temperature", 300, "--out", blocker)
    assert result.exit_code == 2


def test_full_disk_is_a_message(run, tmp_path, monkeypatch):
    """A write refused by the system (here the results file, as on a full disk) ends in a message."""
    import errno

    from ionscale.core import result as output
    top, dcd, _ = run
    real = output.atomic_write

    def full(path, write, binary=False, durable=True):
        if path.name == "quantities.csv":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(path, write, binary, durable)
    monkeypatch.setattr(output, "atomic_write", full)
    result = invoke("analyze", top, dcd, *FAST, "--temperature", 300, "--out", tmp_path / "out", "--no-cache")
    assert result.exit_code == 2 and "No space left on device" in result.output and "Traceback" not in result.output


def test_reused_out_warns_about_files_of_an_earlier_run(run, tmp_path):
    top, dcd, _ = run
    out = tmp_path / "out"
    first = invoke("analyze", top, dcd, *FAST, "--temperature", 300, "--out", out, "--no-cache")
    assert first.exit_code == 0 and "earlier run" not in first.output
    (out / "rdf.csv").write_text("from an older analysis with structure\n")
    again = invoke("analyze", top, dcd, *FAST, "--temperature", 300, "--out", out, "--no-cache")
    text = " ".join(again.output.split())
    assert again.exit_code == 0 and "held results of an earlier run: 5 file(s) replaced" in text  # json, 2 csv, 2 states
    assert "did not write: rdf.csv" in text


def test_square_brackets_in_messages_survive_rich_markup(run, tmp_path):
    """A selection such as ``[species]`` used to vanish from the message, eaten as a markup tag."""
    top, dcd, _ = run
    result = invoke("analyze", top, dcd, "--cation", "[species]", "--anion", "type 2", "--temperature", 300,
                    "--out", tmp_path / "out")
    assert result.exit_code == 2 and "'[species]'" in result.output


SLOW_PASS = """
import sys, time
sys.path.insert(0, {tests!r})
from synthetic import build
from ionscale import Electrolyte
from ionscale.trajectory import scan


class Slow:
    name, key = "slow", "slow"

    def collect(self, ts):
        time.sleep(0.05)
        return {{}}

    def finish(self, frames):
        return {{}}


syn = build("walkers", n_pairs=10, n_frames=600, seed=1)
es = Electrolyte.from_universe(syn.universe, cation=syn.cation, anion=syn.anion)
scan(es, cache=False, backend="multiprocessing", n_workers=2, collectors=[Slow()],
     progress=lambda done, total: print(done, flush=True))
"""


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(c) for c in f.read().split()]


def _shared_mappings(pid: int) -> set[str]:
    """The pass files (ionscale-pass-*) that a process has mapped, as /proc/<pid>/maps names them."""
    try:
        with open(f"/proc/{pid}/maps") as f:
            return {line.split(None, 5)[5].strip() for line in f if "ionscale-pass-" in line}
    except FileNotFoundError:
        return set()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", ["SIGKILL", "SIGTERM"])
def test_parallel_pass_workers_die_with_their_parent_and_leave_no_shared_file(tmp_path, sig):
    """A killed `analyze --workers 2` used to leave its workers running (each holding the trajectory)
    and its shared pass file in /dev/shm."""
    import signal
    import subprocess
    import time
    from pathlib import Path
    script = tmp_path / "slow_pass.py"
    script.write_text(SLOW_PASS.format(tests=str(Path(__file__).parent)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env=env, text=True)
    try:
        assert proc.stdout.readline().strip()  # a worker is reading
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # until both workers have mapped the shared pass file
            workers = _children(proc.pid)
            mapped = [_shared_mappings(pid) for pid in workers]
            if len(workers) == 2 and all(mapped):
                break
            time.sleep(0.05)
        assert len(workers) == 2
        for shared in mapped:
            assert len(shared) == 1 and all(name.endswith("(deleted)") for name in shared), shared
        os.kill(proc.pid, getattr(signal, sig))
        proc.wait(timeout=30)
        deadline = time.monotonic() + 10
        while any(map(_alive, workers)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(map(_alive, workers))
        name = Path(shared.pop().removesuffix(" (deleted)"))
        assert not name.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("text, message", [
    (b'name = "x"\ntemperature = 300 # caf\xe9\n', "is not UTF-8 text (byte 34)"),
    (b'name = "x"\ntemperature = inf\n', "line 2: temperature: Input should be a finite number"),
])
def test_bad_study_files_are_messages(tmp_path, text, message):
    from ionscale.study import StudyFileError, load_study
    path = tmp_path / "study.toml"
    path.write_bytes(text)
    with pytest.raises(StudyFileError, match=message.replace("(", "\\(").replace(")", "\\)")):
        load_study(path)


def test_study_out_that_is_a_file_is_refused_before_a_cluster_starts(tmp_path):
    study = tmp_path / "study.toml"
    study.write_text('temperature = 300\n[species]\ncation = "type 1"\nanion = "type 2"\n[[state_points]]\n'
                     'label = "a"\nreplicas = [{ topology = "t.data", trajectories = ["x.dcd"] }]\n')
    (tmp_path / "a-file").write_text("not a folder")
    result = invoke("study", study, "--out", tmp_path / "a-file")
    assert result.exit_code == 2 and "is a file, not a folder" in " ".join(result.output.split())


def test_a_cache_that_cannot_be_written_is_a_printed_warning(run, tmp_path, monkeypatch):
    """The pass's cache entry is written in a background thread that may fail after the analysis is done
    (here: slowly, then a full disk); its warning is printed like the others, and the results are whole."""
    import errno
    import time

    from ionscale.trajectory import frames

    def full_disk(self, path, durable=True):
        time.sleep(0.5)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
    monkeypatch.setattr(frames.TransportStore, "save", full_disk)
    top, dcd, _ = run
    copy = tmp_path / "traj.dcd"
    copy.write_bytes(dcd.read_bytes())
    with warnings.catch_warnings(record=True) as escaped:
        warnings.simplefilter("always")
        result = invoke("analyze", top, copy, *FAST, "--temperature", 300, "--out", tmp_path / "out")
    text = " ".join(result.output.split())
    assert result.exit_code == 0 and "warning: could not write the cache" in text and "No space left" in text
    assert not [w for w in escaped if "could not write the cache" in str(w.message)]
    assert (tmp_path / "out" / "quantities.csv").is_file()
