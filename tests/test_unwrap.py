"""The per-frame step of the pass: compiled (numba) and NumPy give the same bits, and both give the
brute-force minimum-image increments W·Δx."""

import numpy as np
import pytest
import scipy.sparse as sp
from synthetic import build

from ionscale import Electrolyte
from ionscale.trajectory import unwrap as unwrap_module
from ionscale.trajectory import minimum_image, scan, tracked_points
from ionscale.trajectory.unwrap import Unwrapper

needs_numba = pytest.mark.skipif(not unwrap_module.compiled_available(), reason="numba is not installed")


def _frames(seed=4, n_atoms=300, n_frames=30, box=(21.0, 23.5, 26.0)):
    """Wrapped float32 frames of atoms random-walking far enough to cross faces often."""
    rng = np.random.default_rng(seed)
    L = np.array(box)
    true = rng.uniform(0, 1, (n_atoms, 3)) * L + np.cumsum(rng.normal(0, 2.5, (n_frames, n_atoms, 3)), axis=0)
    return np.mod(true, L).astype(np.float32), L


def _weights(seed, n_atoms):
    """Sparse ion rows (atoms of 3-atom molecules, one row each) plus two dense rows, as tracked_points."""
    rng = np.random.default_rng(seed)
    ions = n_atoms // 2
    rows = np.repeat(np.arange(ions // 3), 3)
    w = sp.csr_matrix((rng.uniform(0.1, 1, len(rows)), (rows, np.arange(len(rows)))), shape=(ions // 3, n_atoms))
    dense = sp.csr_matrix(rng.uniform(0, 1, (2, n_atoms)) / n_atoms)
    return sp.vstack([w, dense]).tocsr()


def _brute_force(W, frames, L):
    """Σ_a W[p, a] Δx_a with every component folded by rint, dense algebra, frame by frame."""
    out = []
    for prev, now in zip(frames[:-1], frames[1:]):
        d = now.astype(np.float64) - prev.astype(np.float64)
        d -= L * np.rint(d / L)
        out.append(W.toarray() @ d)
    return np.array(out)


def _steps(unwrapper, frames, L, dims):
    out = np.empty((len(frames) - 1, unwrapper.weights.shape[0], 3))
    unwrapper.start(frames[0])
    for k, x in enumerate(frames[1:]):
        unwrapper.step(x, L, lambda delta: minimum_image(delta, dims), out[k])
    return out


@pytest.mark.parametrize("compiled", [pytest.param(True, marks=needs_numba), False])
def test_step_matches_brute_force(compiled):
    frames, L = _frames()
    W = _weights(1, frames.shape[1])
    dims = np.r_[L, 90.0, 90.0, 90.0].astype(np.float32)
    out = _steps(Unwrapper(W, compiled=compiled), frames, L, dims)
    expected = _brute_force(W, frames, L)
    assert np.abs(frames[1:] - frames[:-1]).max() > L.min() / 2  # atoms did cross faces
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


@needs_numba
def test_compiled_and_numpy_steps_are_bit_identical():
    frames, L = _frames(seed=7, n_atoms=500, n_frames=40)
    W = _weights(2, frames.shape[1])
    dims = np.r_[L, 90.0, 90.0, 90.0].astype(np.float32)
    compiled = _steps(Unwrapper(W, compiled=True), frames, L, dims)
    numpy = _steps(Unwrapper(W, compiled=False), frames, L, dims)
    assert np.array_equal(compiled, numpy)


@needs_numba
def test_pass_is_bit_identical_with_and_without_the_compiled_step(monkeypatch):
    syn = build("walkers", n_pairs=30, n_frames=120, n_solvent=25, seed=8, sigma_cation_A=3.0)
    es = Electrolyte.from_universe(syn.universe, cation=syn.cation, anion=syn.anion, solvent=syn.solvent)
    monkeypatch.setattr(unwrap_module, "COMPILED_MIN_WORK", 0)
    assert unwrap_module.use_compiled(120, len(syn.universe.atoms))
    compiled = scan(es, cache=False)
    monkeypatch.setattr(unwrap_module, "COMPILED_MIN_WORK", float("inf"))
    numpy = scan(es, cache=False)
    for name in ("positions_nm", "system_com_nm", "solvent_com_nm"):
        assert np.array_equal(getattr(compiled, name), getattr(numpy, name)), name
    assert tracked_points(es).shape[0] == compiled.positions_nm.shape[1] + 2


def test_without_numba_the_numpy_step_is_used_and_the_compiled_one_refused(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "numba", None)  # as if not installed: importing it fails
    monkeypatch.setattr(unwrap_module, "_kernel_cache", [])
    monkeypatch.setattr(unwrap_module.importlib.util, "find_spec", lambda name: None)
    assert not unwrap_module.use_compiled(10**6, 10**6)
    with pytest.raises(RuntimeError, match="pip install numba"):
        Unwrapper(sp.eye(3, format="csr"), compiled=True)


def test_compiled_step_only_for_passes_that_repay_loading_it():
    big = unwrap_module.COMPILED_MIN_WORK
    assert not unwrap_module.use_compiled(big // 20_000 - 1, 20_000)
    assert unwrap_module.use_compiled(big // 20_000, 20_000) == unwrap_module.compiled_available()


@needs_numba
def test_triclinic_box_takes_the_numpy_fold_in_both():
    frames, _ = _frames(seed=9, n_atoms=200, n_frames=20, box=(24.0, 24.0, 24.0))
    W = _weights(3, frames.shape[1])
    dims = np.array([24.0, 24.0, 24.0, 80.0, 95.0, 110.0], dtype=np.float32)
    steps = [_steps(Unwrapper(W, compiled=c), frames, None, dims) for c in (True, False)]
    assert np.array_equal(steps[0], steps[1])
    d = frames[1].astype(np.float64) - frames[0].astype(np.float64)
    np.testing.assert_allclose(steps[0][0], W @ minimum_image(d, dims), rtol=0, atol=0)
