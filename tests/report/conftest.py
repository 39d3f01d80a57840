"""Fixtures of the report tests: the real analysis on analytic trajectories, run once per test session.

The study folders are built once even under pytest-xdist: the first worker builds them in the session's
shared temporary folder under a lock, the others read them back from disk (read only).
"""

import fcntl
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # studyfolder.py

from studyfolder import POINTS, analyse, write_study  # noqa: E402

from ionscale import OnsagerResult  # noqa: E402
from ionscale.report.study_figures import load_figure_list, make_study_figures  # noqa: E402


def shared_folder(tmp_path_factory, name: str, build) -> Path:
    """``build(folder)`` once per test session (all xdist workers together); returns the folder."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    folder = base / f"shared-{name}"
    with open(base / f"shared-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / ".complete").exists():
            folder.mkdir(parents=True, exist_ok=True)
            build(folder)
            (folder / ".complete").touch()
    return folder


def _analyse_points(folder: Path) -> None:
    for k, (label, n_pairs) in enumerate(POINTS):
        analyse(n_pairs, seed=100 + 10 * k).save(folder / label)


@pytest.fixture(scope="session")
def point_results(tmp_path_factory):
    """Two state points × two replicas, analysed and saved once: [(label, c, OnsagerResult, folder)]."""
    base = shared_folder(tmp_path_factory, "points", _analyse_points)
    out = []
    for label, _ in POINTS:
        res = OnsagerResult.load(base / label)
        out.append((label, round(res.system["species"][0]["concentration_mol_L"], 3), res, base / label))
    return out


@pytest.fixture(scope="session")
def full_study(tmp_path_factory, point_results):
    """Two state points with transport, made-up structure/mesoscale rows, experimental data and a failed
    replica; every figure drawn as PNG and SVG. Returns (folder, FigureList). Do not modify it."""
    failed = [{"state_point": point_results[1][0], "replica": 3, "error": "IonscaleError: trajectory truncated"}]

    def build(root):
        write_study(root, point_results, structure=True, experiment=True, failed=failed)
        make_study_figures(root)
    root = shared_folder(tmp_path_factory, "full", build)
    return root, load_figure_list(root)


@pytest.fixture(scope="session")
def transport_study(tmp_path_factory, point_results):
    """Transport only, as the study runner writes it before the structure analyses exist (PNG only)."""
    def build(root):
        write_study(root, point_results)
        make_study_figures(root, formats=("png",))
    root = shared_folder(tmp_path_factory, "transport", build)
    return root, load_figure_list(root)
