"""One save/load for every result (ionscale.core.result): each analysis of a state point with two replicas
is written by ``write_analysis`` and read back by its class's ``load``, equal in every field to the bit;
the state file's encoding (shared arrays once, small integers, dtypes restored) and its refusals."""

import dataclasses
import json
import math
import zipfile

import numpy as np
import pandas as pd
import pytest
from synthetic import build

import ionscale
from ionscale import Electrolyte
from ionscale.analyses import Options
from ionscale.continuum.analysis import ContinuumResult
from ionscale.core.result import read_state, write_analysis, write_state
from ionscale.errors import IonscaleError
from ionscale.mesoscale import MesoscaleResult
from ionscale.pipeline import analyse
from ionscale.structure import StructureResult
from ionscale.structure.shell_dipoles import ShellDipoleResult
from ionscale.transport.result import OnsagerResult

CLASSES = {"transport": OnsagerResult, "structure": StructureResult, "mesoscale": MesoscaleResult,
           "continuum": ContinuumResult, "shell_dipoles": ShellDipoleResult}


def assert_same(a, b, where="result"):
    """``a`` and ``b`` are equal field by field, arrays in dtype and every bit (NaN equal to NaN)."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, f"{where}: {a.dtype}{a.shape} != {b.dtype}{b.shape}"
        assert np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"), where
    elif isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=True, obj=where)
    elif isinstance(a, dict):
        assert list(a) == list(b), f"{where}: keys {list(a)} != {list(b)}"
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{where}: length {len(a)} != {len(b)}"
        for k, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{k}]")
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b), where
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def replica(seed: int) -> Electrolyte:
    """Walkers with a polar dimer solvent (±0.4 e), so that every analysis has something to report."""
    syn = build("walkers", n_pairs=30, n_frames=200, n_solvent=60, seed=seed)
    solvent = syn.universe.select_atoms(syn.solvent)
    solvent.charges = np.tile([0.4, -0.4], len(solvent) // 2)
    return Electrolyte.from_universe(syn.universe, cation=syn.cation, anion=syn.anion, solvent=syn.solvent,
                                     timestep_ps=1.0)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """(results of every analysis of two replicas, the folder they were written to)."""
    options = Options(donors={"anion": "type 2", "solvent": "type 3"}, cutoffs={"anion": 0.5, "solvent": 0.5}, blocks=2)
    results, _ = analyse([replica(1), replica(2)], 300.0, options, cache=False)
    folder = tmp_path_factory.mktemp("saved")
    write_analysis(folder, results, figures=False)
    return results, folder


def test_every_analysis_ran(saved):
    results, _ = saved
    assert [r.section for r in results] == list(CLASSES)
    assert all(r.rows for r in results), [r.section for r in results if not r.rows]
    assert len(results[1].replicas) == len(results[2].replicas) == 2   # structure and mesoscale keep the replicas


@pytest.mark.parametrize("section", list(CLASSES))
def test_every_result_round_trips(saved, section):
    results, folder = saved
    original = next(r for r in results if r.section == section)
    back = CLASSES[section].load(folder)
    assert_same(original, back)
    assert back.to_frame().equals(original.to_frame())
    assert back.summary().equals(original.summary())


def test_the_comparison_sees_one_changed_bit(saved):
    """assert_same is not blind: one value one ulp off, or one dtype changed, is caught."""
    results, folder = saved
    back = StructureResult.load(folder)
    back.rdf.g[0, 5] = np.nextafter(back.rdf.g[0, 5], np.inf)
    with pytest.raises(AssertionError, match=r"result.rdf.g"):
        assert_same(results[1], back)
    back = StructureResult.load(folder)
    back.anion_bonds = back.anion_bonds.astype(np.int32)
    with pytest.raises(AssertionError, match=r"result.anion_bonds: int64.* != int32"):
        assert_same(results[1], back)


def test_shared_arrays_are_stored_once_and_integers_small(tmp_path):
    big = np.arange(1000, dtype=np.int64) % 7        # fits in int8
    negative = np.array([-40000, 5], dtype=np.int64)  # needs int32
    value = {"a": big, "b": [big, (big, 2.5)], "c": negative, "nan": float("nan"), 3: "int key"}
    path = write_state(tmp_path / "s.result.npz", value)
    with zipfile.ZipFile(path) as archive:
        entries = sorted(n for n in archive.namelist() if n.endswith(".npy"))
        stored = {n: np.lib.format.read_array(archive.open(n)) for n in entries}
    assert len(entries) == 2 and sorted(a.dtype.name for a in stored.values()) == ["int32", "int8"]
    back = read_state(path)
    assert back["a"].dtype == np.int64 and np.array_equal(back["a"], big) and back["b"][1][1] == 2.5
    assert back["c"].tolist() == [-40000, 5] and math.isnan(back["nan"]) and back[3] == "int key"
    assert isinstance(back["b"][1], tuple)


def test_a_field_that_cannot_be_saved_is_named(tmp_path):
    with pytest.raises(TypeError, match="holds a set, which cannot be saved"):
        write_state(tmp_path / "s.result.npz", {"x": {1, 2}})
    with pytest.raises(TypeError, match="array of Python objects"):
        write_state(tmp_path / "s.result.npz", np.array([1, "a"], dtype=object))
    assert not (tmp_path / "s.result.npz").exists()   # nothing half-written


def test_missing_damaged_and_foreign_state_files_are_refused(saved, tmp_path):
    _, folder = saved
    with pytest.raises(IonscaleError, match="holds no saved transport result.*run the analysis again"):
        OnsagerResult.load(tmp_path)
    (tmp_path / "structure.result.npz").write_bytes(b"not a zip")
    with pytest.raises(IonscaleError, match="not a readable ionscale result"):
        StructureResult.load(tmp_path)
    (tmp_path / "structure.result.npz").write_bytes((folder / "transport.result.npz").read_bytes())
    with pytest.raises(IonscaleError, match="holds a OnsagerResult, not a StructureResult"):
        StructureResult.load(tmp_path)


def test_a_whole_folder_loads_in_the_order_of_results_json(saved, tmp_path):
    results, folder = saved
    back = ionscale.load_results(folder)
    assert list(back) == list(CLASSES)
    for original in results:
        assert_same(original, back[original.section])
    with pytest.raises(IonscaleError, match="holds no saved result"):
        ionscale.load_results(tmp_path)


def test_a_state_of_another_version_is_refused_by_name(tmp_path):
    """A type that no longer exists, or whose fields changed, gives a message, not a traceback."""
    from ionscale.core.table import Row
    path = write_state(tmp_path / "s.result.npz", Row("q", "", "", 1.0, 0.0, "1", "none"))
    with zipfile.ZipFile(path) as archive:
        tree = archive.read("state.json").decode()
    for old, new in (("ionscale.core.table:Row", "ionscale.core.table:Gone"), ('"items": [', '"items": [1, ')):
        with zipfile.ZipFile(tmp_path / "old.result.npz", "w") as archive:
            archive.writestr("state.json", tree.replace(old, new))
        with pytest.raises(IonscaleError, match="written by another version of ionscale"):
            read_state(tmp_path / "old.result.npz")


def test_a_state_of_format_1_with_display_numbers_is_refused(tmp_path):
    """Format 1 held rows in display units; read as SI they would be silently wrong, so they are refused."""
    from ionscale.core.table import Row
    path = write_state(tmp_path / "s.result.npz", Row.from_display("cutoff", "", "", 0.3, 0.0, "nm", "none"))
    with zipfile.ZipFile(path) as archive:
        tree = json.loads(archive.read("state.json"))
    with zipfile.ZipFile(tmp_path / "old.result.npz", "w") as archive:
        archive.writestr("state.json", json.dumps({**tree, "format": 1}))
    with pytest.raises(IonscaleError, match="state format 1; this ionscale reads format 2: run the analysis again"):
        read_state(tmp_path / "old.result.npz")


def test_the_mesoscale_stage_checks_the_cluster_picture_against_onsager(saved):
    """The registry finds the cluster t+, the Onsager t+^0, the fit start and the cation–anion contact
    lifetime of the same run: a cluster t+ of the opposite sign gives the warning with those numbers."""
    from ionscale.analyses import Mesoscale
    results, _ = saved
    transport, structure, mesoscale = (next(r for r in results if r.section == s)
                                       for s in ("transport", "structure", "mesoscale"))
    t0 = transport.get("t_plus", transport.reference_frame, "cation")
    cluster = mesoscale.get("t_plus_cluster_ne", "cation")
    assert np.sign(cluster.value) == np.sign(t0.value) and Mesoscale._against_onsager(mesoscale, transport, structure) is None
    flipped = dataclasses.replace(mesoscale, clusters=dataclasses.replace(mesoscale.clusters, rows=[
        r._replace(value_si=-r.value_si) if r.quantity == "t_plus_cluster_ne" else r for r in mesoscale.clusters.rows]))
    note = Mesoscale._against_onsager(flipped, transport, structure)
    lifetime = structure.get("residence_time", "anion:molecule").value
    assert note.startswith(f"the cluster Nernst–Einstein t+ ({-cluster.value:.2g}) and the Onsager t+^0 "
                           f"({t0.value:.2g} ± {t0.stderr:.2g}) differ in sign")
    assert f"{transport.window['start_ps']:.3g} ps" in note
    assert (f"contacts last {lifetime:.3g} ps" in note) == (lifetime < transport.window["start_ps"])
