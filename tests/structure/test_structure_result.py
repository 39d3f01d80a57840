"""The result's rows and tables, its figures, and the contacts of a parallel pass."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from structure_data import hand_built_electrolyte, hand_built_universe

from ionscale.trajectory import scan
from ionscale.structure import StructureAnalysis
from ionscale.structure.contacts import Contacts
from ionscale.core.table import COLUMNS


@pytest.fixture
def result():
    es = hand_built_electrolyte()
    return StructureAnalysis(es, ssip_cutoffs=0.45, intermittent=True).run(cache=False)


def test_rows_and_tables(result):
    table = result.to_frame()
    assert table.columns.tolist() == COLUMNS == ["quantity", "frame", "species", "value", "stderr", "unit", "method"]
    assert (table["frame"] == "").all()
    assert set(table["quantity"]) == {
        "cutoff", "shell_molecules", "shell_donor_atoms", "anions_bound_fraction", "bound_fraction", "free_fraction",
        "linker_fraction", "free_solvent_fraction", "pair_class_fraction", "tetrahedral_order", "shell_dipole",
        "residence_time", "kww_tau", "kww_beta"}
    assert result.to_rows() == result.rows
    cutoffs = table[table["quantity"] == "cutoff"]
    assert cutoffs["species"].tolist() == ["A", "A:SSIP", "S"]
    assert cutoffs["method"].tolist() == ["first RDF minimum", "given", "first RDF minimum"]
    assert cutoffs["value"].iloc[0] == pytest.approx(0.30, abs=0.005)  # halfway between the contacts at 0.2 and 0.4 nm
    residence = table[table["quantity"] == "residence_time"]
    assert residence["species"].tolist() == ["A:atom"] * 2 + ["A:molecule"] * 2 + ["S:atom"] * 2 + \
        ["S:molecule"] * 2 + ["linker"] * 2
    assert residence["method"].tolist()[:2] == ["KWW fit, continuous", "KWW fit, intermittent"]
    assert result.rdf_frame().columns.tolist() == ["r (nm)", "g Li-A (1)", "n Li-A (donor atoms)",
                                                   "g Li-S (1)", "n Li-S (donor atoms)"]
    acf = result.acf_frame()
    assert acf.columns[0] == "time (ps)" and "C linker continuous (1)" in acf.columns
    np.testing.assert_array_equal(acf["C A:molecule continuous (1)"], 1.0)  # frozen frames: contacts never break
    assert any("decays by less than 10 %" in n for n in result.notes)


def test_figures(result):
    figures = result.plot()
    assert len(figures) == 5
    for fig in figures:
        plt.close(fig)


def test_parallel_pass_gives_the_same_contacts():
    """Chunks read in other processes, the collector pickled: the same arrays as the serial pass. A chunk
    is longer than a batch of the search: workers search full batches, the ends of chunks are searched
    with the results."""
    from ionscale.structure.contacts import BATCH_FRAMES
    u = hand_built_universe(n_frames=20)
    assert BATCH_FRAMES < 10 and 10 % BATCH_FRAMES
    rng = np.random.default_rng(0)
    coords = u.trajectory.coordinate_array
    coords += rng.normal(scale=0.3, size=coords.shape).astype(np.float32)  # contacts that form and break
    from ionscale.system import Electrolyte
    es = Electrolyte.from_universe(u, cation={"Li": "resname LI"}, anion={"A": "resname A"},
                                   solvent={"S": "resname S"}, timestep_ps=1.0)
    analysis = StructureAnalysis(es)
    serial = Contacts.from_store(scan(es, collectors=[analysis.collector], cache=False), analysis.collector)
    parallel = Contacts.from_store(scan(es, collectors=[analysis.collector], cache=False, backend="multiprocessing",
                                        n_workers=2), analysis.collector)
    for name in ("frame", "cation", "donor", "distance_nm", "vector_nm", "dipole_frame", "dipole_molecule",
                 "dipole_debye", "volume_nm3"):
        np.testing.assert_array_equal(getattr(serial, name), getattr(parallel, name))
    assert len(serial.frame) > 0 and set(serial.frame) == set(range(20))


def test_structure_alone_skips_the_transport_bookkeeping(monkeypatch):
    """Its own pass, and the pipeline without transport and mesoscale, keep no ion positions and give
    the numbers of a full pass."""
    from ionscale import pipeline
    from ionscale.structure import analysis as analysis_module
    es = hand_built_electrolyte()
    analysis = StructureAnalysis(es)
    full = analysis.run(scan(es, collectors=[analysis.collector], cache=False)).to_frame()
    passes = []

    def recording(*args, **kwargs):
        passes.append(scan(*args, **kwargs))
        return passes[-1]
    monkeypatch.setattr(analysis_module, "scan", recording)
    monkeypatch.setattr(pipeline, "scan", recording)
    alone = analysis.run(cache=False).to_frame()
    (piped, *_), _ = pipeline.analyse([es], 298.15, pipeline.Options(transport=False, mesoscale=False), cache=False)
    assert len(passes) == 2 and all(p.positions_nm is None for p in passes)
    pd.testing.assert_frame_equal(alone, full)
    pd.testing.assert_frame_equal(piped.to_frame(), full)
