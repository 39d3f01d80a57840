"""Studies on a Dask LocalCluster: resumable, invalidated exactly by changed inputs, clear errors (issue 6)."""

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from distributed import Client, LocalCluster
from synthetic import build, write

from ionscale import IonscaleError
from ionscale.study import StudyFileError, load_study, run_study

STUDY = """
name = "walkers"
temperature = 300.0

[species]
cation = "type 1"
anion = "type 2"
implicit_solvent = true

[analysis]
blocks = 4
{analysis}
{points}
"""
#: clusters of cation–anion contacts within 0.05 nm (next to none: free walkers) carried by their own
#: centre-of-mass D over 3 ps, S_ZZ up to 6 nm⁻¹
MESOSCALE = """cluster_contacts = "cation-anion"
cluster_cutoff_nm = 0.05
cluster_carrier = "com"
carrier_lag_ps = 3.0
szz_k_max_nm_inv = 6.0
"""
POINT = """
[[state_points]]
label = "{label}"
replicas = [{replicas}]
"""


def make_study(folder: Path, points=(("low", 40), ("high", 80)), n_replicas=2, n_frames=600, analysis="") -> Path:
    blocks = []
    for label, n in points:
        reps = []
        for r in range(n_replicas):
            top, traj = write(build("walkers", n_pairs=n, n_frames=n_frames, seed=100 * n + r).universe,
                              folder / label / f"r{r}")
            reps.append(f'{{ topology = "{top.relative_to(folder)}", trajectories = ["{traj.relative_to(folder)}"] }}')
        blocks.append(POINT.format(label=label, replicas=", ".join(reps)))
    path = folder / "study.toml"
    path.write_text(STUDY.format(points="".join(blocks), analysis=analysis))
    return path


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as c:
        yield c


def test_two_by_two_study_and_resume(tmp_path, client):
    path = make_study(tmp_path, analysis=MESOSCALE)
    out = tmp_path / "out"
    first = run_study(load_study(path), out, client=client)
    assert len(first.computed) == 4 and not first.failed
    assert len(list((out / "cache").glob("*.npz"))) == 4   # the analysis found every pass cached: no second read
    study = pd.read_csv(out / "study.csv")
    assert list(study.columns[:2]) == ["state_point", "concentration_mol_L"]
    t = study[(study.quantity == "t_plus") & (study.frame == "solvent") & (study.method == "replicas(2)")]
    assert len(t) == 2 and t.stderr.notna().all()
    assert set(study.state_point) == {"low", "high"}
    assert study.concentration_mol_L.is_monotonic_increasing
    # the mesoscale options of the study file: free walkers, so σ_cNE (centre-of-mass D, mean over replicas) ≈ κ_NE
    sigma = study[study.quantity == "conductivity_cluster_ne"]
    assert len(sigma) == 2 and sigma.method.str.startswith("cluster centre-of-mass D over 3 ps").all()
    for label in ("low", "high"):
        point = pd.read_csv(out / "points" / label / "quantities.csv")   # per replica: replica 1's κ_NE
        ne = point[(point.quantity == "conductivity_ne") & (point.frame == "lab")].value.iloc[0]
        assert sigma[sigma.state_point == label].value.iloc[0] == pytest.approx(ne, rel=0.1)
        assert pd.read_csv(out / "points" / label / "szz.csv")["k (nm^-1)"].max() <= 6.0
    assert (study[study.quantity == "percolating_fraction"].value == 0).all()
    assert set(study[study.quantity == "percolation_onset_lower"].value) == {study.concentration_mol_L.max()}

    again = run_study(load_study(path), out, client=client)
    assert again.computed == [] and set(again.tasks.values()) >= {"cached"}
    pd.testing.assert_frame_equal(pd.read_csv(out / "study.csv"), study)


def test_changed_input_invalidates_exactly_its_task(tmp_path, client):
    path = make_study(tmp_path)
    out = tmp_path / "out"
    run_study(load_study(path), out, client=client)
    traj = tmp_path / "high" / "r1" / "traj.dcd"
    os.utime(traj, ns=(traj.stat().st_atime_ns, traj.stat().st_mtime_ns + 10**9))  # a new file identity
    outcome = run_study(load_study(path), out, client=client)
    assert outcome.computed == ["high / replica 2"]


def cut_to_three_frames(folder: Path, n_pairs: int) -> None:
    """Replace a replica's trajectory by 3 frames of the same system: it opens, but its pass fails."""
    short = write(build("walkers", n_pairs=n_pairs, n_frames=3, seed=1).universe, folder / "short")[1]
    short.replace(folder / "traj.dcd")


def test_failed_task_does_not_stop_the_others(tmp_path, client):
    path = make_study(tmp_path)
    cut_to_three_frames(tmp_path / "low" / "r0", 40)
    logged = []
    handler = logging.Handler(level=logging.WARNING)
    handler.emit = logged.append
    logging.getLogger("distributed").addHandler(handler)
    try:
        outcome = run_study(load_study(path), tmp_path / "out", client=client)
    finally:
        logging.getLogger("distributed").removeHandler(handler)
    assert not [r for r in logged if "Compute Failed" in r.getMessage()]  # the study reports it, once
    assert [f["state_point"] for f in outcome.failed] == ["low"]
    assert "only 3 frame(s) selected" in outcome.failed[0]["error"]
    assert outcome.points["high"] is not None and outcome.points["low"] is not None  # low kept one replica
    notes = (tmp_path / "out" / "points" / "low" / "results.json").read_text()
    assert "only 1 of 2 replicas finished" in notes


def test_failed_task_never_replaces_results_of_more_replicas(tmp_path, client):
    """A good two-replica study re-run after one replica broke (here: its file cut short) keeps its
    two-replica results instead of overwriting them with one replica's."""
    path = make_study(tmp_path, points=(("low", 40),), n_frames=300)
    out = tmp_path / "out"
    run_study(load_study(path), out, client=client)
    good_point = (out / "points" / "low" / "quantities.csv").read_bytes()
    good_study = pd.read_csv(out / "study.csv")
    cut_to_three_frames(tmp_path / "low" / "r0", 40)
    with pytest.warns(UserWarning, match="kept the previous results of 2 replicas"):
        outcome = run_study(load_study(path), out, client=client)
    assert [f["state_point"] for f in outcome.failed] == ["low"]
    assert outcome.tasks["low / analysis"].startswith("kept the previous results of 2 replicas")
    assert (out / "points" / "low" / "quantities.csv").read_bytes() == good_point
    pd.testing.assert_frame_equal(pd.read_csv(out / "study.csv"), good_study)


def test_study_is_checked_before_any_task_runs(tmp_path, client):
    """Unreadable files, wrong selections, repeated replicas and unknown presets of every state point are
    reported together, before a task starts."""
    path = make_study(tmp_path)
    (tmp_path / "low" / "r0" / "traj.dcd").write_bytes(b"broken")
    text = path.read_text().replace('"high/r1/traj.dcd"', '"high/r0/traj.dcd"')
    text += '[[state_points]]\nlabel = "model"\nsimulate = { preset = "no-such-preset" }\n'
    path.write_text(text)
    with pytest.raises(IonscaleError) as refused:
        run_study(load_study(path), tmp_path / "out", client=client)
    message = str(refused.value)
    assert "3 problem(s) (nothing was started)" in message
    assert "low / replica 1: MDAnalysis cannot read" in message
    assert "high: replicas 1 and 2 are the same trajectory" in message
    assert "model: unknown preset 'no-such-preset'" in message
    assert not (tmp_path / "out").exists()
    wrong = make_study(tmp_path / "other")
    wrong.write_text(wrong.read_text().replace('cation = "type 1"', 'cation = "type 7"'))
    with pytest.raises(IonscaleError, match="low / replica 1: cation: selection 'type 7' matches no atoms"):
        run_study(load_study(wrong), tmp_path / "out", client=client)


def test_killed_study_recomputes_only_missing_tasks(tmp_path):
    path = make_study(tmp_path, points=(("a", 150), ("b", 150)), n_replicas=2, n_frames=2500)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "ionscale.cli", "study", str(path), "--out", str(out), "--workers", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and len(list((out / "cache").glob("*.npz"))) < 1:
        time.sleep(0.05)
    semaphores = _mapped_semaphores(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)  # the main process only: its workers and helpers must follow it
    proc.wait()
    while time.time() < deadline and _session_processes(proc.pid):
        time.sleep(0.1)
    assert not _session_processes(proc.pid), "processes of the killed study are still running"
    assert not [s for s in semaphores if Path(s).exists()], "the killed study left named semaphores in /dev/shm"
    done_before = len(list((out / "cache").glob("*.npz")))
    assert 1 <= done_before < 4 and not (out / "study.csv").exists()
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as c:
        outcome = run_study(load_study(path), out, client=c)
        assert len(outcome.computed) == 4 - done_before
        fresh = run_study(load_study(path), tmp_path / "fresh", client=c)
    assert len(fresh.computed) == 4  # each output folder keeps its own cache
    assert not list((out / "cache").glob(".*.tmp"))  # a write cut by the kill was cleaned up
    pd.testing.assert_frame_equal(pd.read_csv(out / "study.csv"), pd.read_csv(tmp_path / "fresh" / "study.csv"))


def _session_processes(session: int) -> list[int]:
    """Live processes of a session (Linux /proc; empty elsewhere)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] != "Z":  # fields: state, ppid, pgrp, session, ...
            alive.append(int(stat.parent.name))
    return alive


def _mapped_semaphores(session: int) -> set[str]:
    """The named POSIX semaphores (/dev/shm/sem.*) that the processes of a session have mapped."""
    names = set()
    for pid in _session_processes(session):
        try:
            names |= {line.split(None, 5)[5] for line in Path(f"/proc/{pid}/maps").read_text().splitlines()
                      if "/dev/shm/sem." in line and not line.endswith("(deleted)")}
        except OSError:
            continue
    return names


@pytest.mark.parametrize("text, message", [
    ("temperature = 300\n", "line 1: state_points: required, but missing"),
    ('temperature = -3\n[[state_points]]\nlabel = "a"\nreplicas = [{topology = "t", trajectories = ["x"]}]\n'
     '[species]\ncation = "a"\nanion = "b"\n', "line 1: temperature: Input should be greater than 0"),
    ('temperature = 300\n[species]\ncation = "a"\nanion = "b"\ncolour = 3\n[[state_points]]\nlabel = "a"\n'
     'replicas = [{topology = "t", trajectories = ["x"]}]\n', "line 5: species.colour: unknown key"),
    ('temperature = 300\n[species]\ncation = "a"\nanion = "b"\n[[state_points]]\nlabel = "a"\n',
     "either `replicas`"),
    ("temperature = = 3", "not valid TOML"),
    ('temperature = 300\n[species]\ncation = "a"\nanion = "b"\n[analysis]\ncluster_contacts = "bonds"\n'
     '[[state_points]]\nlabel = "a"\nreplicas = [{topology = "t", trajectories = ["x"]}]\n',
     "line 6: analysis.cluster_contacts: Input should be 'shell', 'cation-anion' or 'all'"),
    ('temperature = 300\n[species]\ncation = "a"\nanion = "b"\n[analysis]\ncluster_contacts = "all"\n'
     '[[state_points]]\nlabel = "a"\nreplicas = [{topology = "t", trajectories = ["x"]}]\n',
     "line 5: analysis: 'all' cluster contacts need a contact distance"),
    ('temperature = 300\n[species]\ncation = "a"\nanion = "b"\n[analysis]\ncarrier_lag_ps = 2.0\n'
     '[[state_points]]\nlabel = "a"\nreplicas = [{topology = "t", trajectories = ["x"]}]\n',
     "line 5: analysis: a carrier lag sets the centre-of-mass D of clusters: use it with the 'com'"),
    ('temperature = 300\n[species]\ncation = "a"\nanion = "b"\n[analysis]\nszz_k_max_nm_inv = -1\n'
     '[[state_points]]\nlabel = "a"\nreplicas = [{topology = "t", trajectories = ["x"]}]\n',
     "line 6: analysis.szz_k_max_nm_inv: the largest |k| of S_ZZ must be positive (in nm⁻¹), got -1"),
])
def test_malformed_study_file_gives_line_and_expectation(tmp_path, text, message):
    path = tmp_path / "study.toml"
    path.write_text(text)
    with pytest.raises(StudyFileError, match=message.replace("(", "\\(").replace(")", "\\)").replace("[", "\\[")):
        load_study(path)
