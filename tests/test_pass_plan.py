"""A pass planned in one process, executed in another, read back by the planner (ionscale.trajectory.plan),
and collectors that share a name (refused: they would be merged silently)."""

import pickle

import MDAnalysis as mda
import numpy as np
import pytest
from synthetic import build, write

from ionscale import IonscaleError
from ionscale.analyses import Options
from ionscale.pipeline import analyse, pass_plan
from ionscale.trajectory import ElectrolyteSource, PassPlan, PassPlanError, scan
from ionscale.trajectory import streaming as streaming_module

SELECTIONS = {"cation": "type 1", "anion": "type 2"}


class AtomPosition:
    """A collector: the position of one atom in every frame, under a name of the caller's choice."""

    def __init__(self, atom: int, name: str):
        self.atom, self.name, self.key = atom, name, f"atom {atom}"

    def collect(self, ts) -> dict:
        return {"x": ts.positions[self.atom].copy()}

    def finish(self, frames: list) -> dict:
        return {"x": np.array([f["x"] for f in frames])}


def no_reading(*args, **kwargs):
    raise AssertionError("the trajectory was read again")


@pytest.fixture
def source(tmp_path):
    syn = build("walkers", n_pairs=10, n_frames=30, seed=4)
    top, traj = write(syn.universe, tmp_path / "run")
    return ElectrolyteSource(top, (traj,), selections=SELECTIONS)


def test_two_collectors_of_one_name_are_refused(source):
    # before: a 20-frame pass gave one "first/x" array of 40 rows (both collectors' frames, merged)
    es = source.open()
    with pytest.raises(IonscaleError, match="share a name.*'first'.*distinct name"):
        scan(es, stop=20, collectors=[AtomPosition(0, "first"), AtomPosition(1, "first")], cache=False)
    store = scan(es, stop=20, collectors=[AtomPosition(0, "first"), AtomPosition(1, "second")], cache=False)
    assert store.extras["first/x"].shape == store.extras["second/x"].shape == (20, 3)
    assert not np.array_equal(store.extras["first/x"], store.extras["second/x"])


def test_a_plan_runs_in_a_worker_and_is_read_back_without_reading_again(source, tmp_path, monkeypatch):
    es = source.open()
    plan = PassPlan.make("0.5M / replica 1", source, es, cache_folder=tmp_path / "cache",
                         collectors=[AtomPosition(3, "third")], step=2)
    worker = pickle.loads(pickle.dumps(plan))  # what travels to a Dask worker
    executed = worker.execute()
    assert worker.cache_file.exists() and executed.n_frames == 15
    monkeypatch.setattr(streaming_module, "_scan_chunk", no_reading)
    loaded = plan.load(es, [AtomPosition(3, "third")])
    monkeypatch.undo()
    reference = scan(source.open(), step=2, collectors=[AtomPosition(3, "third")], cache=False)
    assert np.array_equal(loaded.positions_nm, reference.positions_nm)
    assert np.array_equal(loaded.extras["third/x"], reference.extras["third/x"])


def test_a_missing_or_other_entry_is_an_error_never_a_second_reading(source, tmp_path, monkeypatch):
    es = source.open()
    plan = PassPlan.make("1M / replica 2", source, es, cache_folder=tmp_path / "cache",
                         collectors=[AtomPosition(3, "third")])
    plan.execute()
    monkeypatch.setattr(streaming_module, "_scan_chunk", no_reading)
    with pytest.raises(PassPlanError, match=r"1M / replica 2.*collected \['third \(atom 3\)'\].*expects "
                                            r"\['third \(atom 4\)'\]"):
        plan.load(es, [AtomPosition(4, "third")])
    plan.cache_file.unlink()
    with pytest.raises(PassPlanError, match="1M / replica 2: the cache entry of its pass.*is missing"):
        plan.load(es, [AtomPosition(3, "third")])


def test_a_worker_refuses_files_changed_after_the_plan(source, tmp_path):
    plan = PassPlan.make("r1", source, source.open(), cache_folder=tmp_path / "cache")
    other = build("walkers", n_pairs=10, n_frames=30, seed=5).universe   # same size, other content
    with mda.Writer(str(source.trajectories[0]), other.atoms.n_atoms) as w:
        for _ in other.trajectory:
            w.write(other.atoms)
    with pytest.raises(PassPlanError, match="not those the pass was planned for"):
        plan.execute()
    assert not plan.cache_file.exists()


def test_pipeline_reads_planned_passes_only(source, tmp_path, monkeypatch):
    options = Options(structure=False, mesoscale=False, blocks=1)
    plan = pass_plan("p / replica 1", source, options, tmp_path / "cache")
    plan.execute()
    monkeypatch.setattr(streaming_module, "_scan_chunk", no_reading)
    planned, _ = analyse([source.open()], 300.0, options, plans=[plan])
    monkeypatch.undo()
    direct, _ = analyse([source.open()], 300.0, options, cache=False)
    assert [r.section for r in planned] == [r.section for r in direct] == ["transport", "continuum"]
    assert planned[0].to_frame().equals(direct[0].to_frame())
    assert np.isfinite(planned[0].L[planned[0].reference_frame].value).all()
    plan.cache_file.unlink()
    monkeypatch.setattr(streaming_module, "_scan_chunk", no_reading)
    with pytest.raises(PassPlanError, match="is missing"):
        analyse([source.open()], 300.0, options, plans=[plan])
