"""Clusters and screening of several replicas: the merged rows are the mean over replicas ± s/√n of the
single-replica analyses computed independently (random walkers), and the pipeline analyses every replica
with its own contacts (the hand-built frame of the structure tests, one ion moved in replica 2)."""

import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from synthetic import build

from ionscale import Electrolyte
from ionscale.core.estimate import replica_method
from ionscale.mesoscale import ClusterAnalysis, DistanceContacts, MesoscaleResult, ScreeningAnalysis, merge_replicas
from ionscale.mesoscale.result import COUNTED
from ionscale.core.result import write_analysis
from ionscale.core.table import COLUMNS
from ionscale.pipeline import Options, analyse
from ionscale.trajectory import scan

sys.path.insert(0, str(Path(__file__).parents[1] / "structure"))
from structure_data import hand_built_electrolyte, hand_built_universe  # noqa: E402

T = 300.0
D_M2_S = [1.0e-9, 5.0e-10]   # cation, anion: the replica-mean D that the pipeline gives every replica


def walker_replica(seed: int, fit_range_nm=None) -> MesoscaleResult:
    """40 ion pairs of random walkers, cation–anion contacts within 0.9 nm: clusters that percolate in some
    frames; screening with a given ε_r and, after the first replica, the first replica's fit range."""
    syn = build("walkers", n_pairs=40, n_frames=40, seed=seed)
    es = Electrolyte.from_universe(syn.universe, cation=syn.cation, anion=syn.anion)
    store = scan(es, collectors=[DistanceContacts.from_electrolyte(es, "all", 0.9)], cache=False)
    clusters = ClusterAnalysis(es, store, store.extras["contacts/edges"], temperature=T, diffusion_m2_s=D_M2_S).run()
    screening = ScreeningAnalysis(es, store, T, epsilon_r=10.0, fit_range_nm=fit_range_nm).run()
    return MesoscaleResult(clusters=clusters, screening=screening)


@pytest.fixture(scope="module")
def replicas():
    first = walker_replica(seed=2)
    return [first, walker_replica(seed=3, fit_range_nm=first.screening.fit_range_nm)]


def keyed(result) -> dict:
    return {(r.quantity, r.frame, r.species, r.method): r for r in result.rows}


def test_merged_rows_are_the_mean_and_standard_error_over_replicas(replicas):
    one, two = replicas
    merged = merge_replicas(replicas)
    # categories of clusters (sizes, charges, compositions): those of either replica, 0 where one has none
    shares = [{(r.quantity, r.species): r.value_si for r in res.rows if r.quantity in COUNTED} for res in replicas]
    counted = {(r.quantity, r.species): r for r in merged.rows if r.quantity in COUNTED}
    assert set(counted) == set(shares[0]) | set(shares[1]) and set(shares[0]) != set(shares[1])
    for category, row in counted.items():
        values = np.array([share.get(category, 0.0) for share in shares])
        assert (row.value_si, row.stderr_si, row.method) == (values.mean(), np.std(values, ddof=1) / np.sqrt(2),
                                                       "replicas(2)"), category
    assert sum(r.value_si for r in merged.rows if r.quantity == "cluster_size_fraction") == pytest.approx(1, abs=1e-12)
    # every other row: matched with its method
    a = {k: r for k, r in keyed(one).items() if r.quantity not in COUNTED}
    b = keyed(two)
    others = [r for r in merged.rows if r.quantity not in COUNTED]
    assert len(others) == len(a)
    for row, (key, first) in zip(others, a.items()):
        assert (row.quantity, row.frame, row.species, row.unit) == key[:3] + (first.unit,)
        if key not in b:                                  # not alike in both replicas: the first one's row
            assert row == first
            continue
        values = np.array([first.value_si, b[key].value_si])
        assert row.value_si == values.mean()
        assert row.stderr_si == np.std(values, ddof=1) / np.sqrt(2)
        assert row.method == replica_method(first.method, 2)
    for quantity, species in (("free_ion_fraction", "cation"), ("free_ion_fraction", "anion"),
                              ("percolating_fraction", ""), ("largest_cluster_fraction", ""),
                              ("debye_length", ""), ("dielectric_constant", "")):
        values = np.array([one.get(quantity, species).value_si, two.get(quantity, species).value_si])
        estimate = merged.get(quantity, species)
        assert (estimate.value_si, estimate.stderr_si) == (values.mean(), np.std(values, ddof=1) / np.sqrt(2))
        assert estimate.method.endswith("replicas(2)")
    assert merged.get("percolating_fraction").method == "replicas(2)"        # was frame-blocks(5)
    assert merged.get("debye_length").method == "epsilon_r: given; replicas(2)"
    assert one.get("percolating_fraction").value_si != two.get("percolating_fraction").value_si   # not a trivial mean
    sigma = [r.get("conductivity_cluster_ne").value_si for r in replicas]
    assert merged.get("conductivity_cluster_ne").value_si == np.mean(sigma)
    assert merged.get("conductivity_cluster_ne").method == "majority-ion D (given); replicas(2)"


def test_screening_judged_alike_merges_and_unlike_keeps_the_first(replicas):
    """The walkers have nothing to screen: both replicas' fits are flagged UNRELIABLE for the same reason
    (each with its own R², in the notes only), so the screening length is averaged and keeps the flag; a
    replica whose fit is of another kind is not averaged with it: the first replica's row is kept."""
    one, two = replicas
    assert one.screening.fit_range_nm == two.screening.fit_range_nm
    assert not one.screening.reliable and one.screening.message != two.screening.message
    method = one.get("screening_length").method
    assert method == two.get("screening_length").method and "; UNRELIABLE: " in method and "R²" not in method
    merged = merge_replicas(replicas)
    lengths = np.array([r.get("screening_length").value_si for r in replicas])
    assert merged.get("screening_length") == (lengths.mean(), np.std(lengths, ddof=1) / np.sqrt(2), "nm",
                                              f"{method}; replicas(2)")
    other = replace(two, screening=replace(two.screening, rows=[
        r._replace(method=r.method.replace("monotonic", "other").replace("oscillatory", "other"))
        for r in two.screening.rows]))
    unlike = merge_replicas([one, other])
    assert unlike.get("screening_length") == one.get("screening_length")
    assert any("a row without replicas(2) in its method is the first replica's" in n for n in unlike.notes)


def test_merged_result_keeps_the_replicas_and_the_first_replicas_curves(replicas, tmp_path):
    merged = merge_replicas(replicas)
    assert merged.per_replica() == replicas and replicas[0].per_replica() == [replicas[0]]
    assert merge_replicas(replicas[:1]) is replicas[0]
    assert merged.to_rows() == merged.rows
    pd.testing.assert_frame_equal(merged.szz_frame(), replicas[0].szz_frame())
    assert merged.to_dict()["clusters"] == replicas[0].to_dict()["clusters"]
    assert "±" in merged.summary().set_index("quantity").loc["percolating_fraction"].to_string()
    write_analysis(tmp_path, [merged], figures=False)
    written = json.loads((tmp_path / "results.json").read_text())
    pd.testing.assert_frame_equal(pd.DataFrame(written["quantities"])[COLUMNS], merged.to_frame(), check_dtype=False)
    table = pd.read_csv(tmp_path / "quantities.csv")
    assert (table.query("quantity == 'free_ion_fraction'").method == "replicas(2)").all()


def test_pipeline_analyses_every_replica_with_its_own_shell_contacts(tmp_path):
    """Replica 2 is the hand-built frame with the free Li4 moved 2 Å from an O of the free anion A4: 2 of
    5 Li and 2 of 5 anions are free in replica 1, 1 of 5 of each in replica 2 — free fractions 0.3 ± 0.1
    over the replicas, from each replica's own first-shell contacts."""
    moved = hand_built_universe()
    moved.trajectory.coordinate_array[:, 4] = (10, 30, 28)
    electrolytes = [hand_built_electrolyte(), hand_built_electrolyte(moved)]
    options = Options(transport=False, shell_dipoles=False, cutoffs={"A": 0.25, "S": 0.25}, epsilon_r=10.0)
    (structure, mesoscale), notes = analyse(electrolytes, T, options, cache=False)
    singles = mesoscale.per_replica()
    for k, free in enumerate((0.4, 0.2)):
        assert singles[k].get("free_ion_fraction", "Li").value == pytest.approx(free)
        assert singles[k].get("free_ion_fraction", "A").value == pytest.approx(free)
        assert singles[k].get("free_ion_fraction", "Li").value == structure.per_replica()[k].get(
            "free_fraction", "Li").value
    for species in ("Li", "A"):
        free = mesoscale.get("free_ion_fraction", species)
        assert (free.value, free.stderr, free.method) == (pytest.approx(0.3), pytest.approx(0.1), "replicas(2)")
    assert mesoscale.get("largest_cluster_fraction") == (pytest.approx(0.4), 0.0, "1", "replicas(2)")
    assert not [n for n in notes + mesoscale.notes if "replica 1" in n]
    write_analysis(tmp_path, [structure, mesoscale], figures=False)
    written = json.loads((tmp_path / "results.json").read_text())
    free_li = [q for q in written["quantities"] if (q["quantity"], q["species"]) == ("free_ion_fraction", "Li")]
    assert [(q["value"], q["method"]) for q in free_li] == [(pytest.approx(0.3), "replicas(2)")]
    assert not [n for n in written["mesoscale"]["notes"] if "replica 1" in n]
