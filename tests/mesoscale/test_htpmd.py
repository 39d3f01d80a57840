"""Real LAMMPS data (htp_md, LiTFSI in polycarbonates): cluster populations and cluster
Nernst–Einstein values of the reference, with htp_md's definitions selected by options:

- contacts: any two ions with Li / TFSI N, O, S atoms within 3.4 Å (``pairs="all"``);
- D: endpoint MSD of the Li atoms and of the TFSI N atoms; carrier D: the majority ion's;
- V from the box, T = 353 K, formal charges ±1.
"""

import json

import numpy as np
import pytest
from realdata import HTPMD, HTPMD_RUNS, LITFSI, htpmd_universe

from ionscale import Electrolyte
from ionscale.mesoscale import ClusterAnalysis, DistanceContacts, ScreeningAnalysis, endpoint_diffusion_m2_s
from ionscale.trajectory import scan

CONTACT_ATOMS = "type 90 93 94 95"
README = {"9-0-246295613-0": dict(sigma_S_cm=0.0047982559, t_plus=0.1211187893),
          "9-0-413610210-0": dict(sigma_S_cm=0.0055822300, t_plus=-0.1303790339)}


@pytest.fixture(scope="module", params=HTPMD_RUNS)
def htpmd(request):
    """(run, electrolyte, store with both contact definitions, box in nm)."""
    u = htpmd_universe(request.param)
    es = Electrolyte.from_universe(u, **LITFSI, centers={"anion": "type 93"}, timestep_ps=2.0)
    htpmd_contacts = DistanceContacts.from_electrolyte(es, CONTACT_ATOMS, cutoff_nm=0.34, pairs="all")
    ours = DistanceContacts.from_electrolyte(es, CONTACT_ATOMS, cutoff_nm=0.34, name="cation_anion")
    store = scan(es, collectors=[htpmd_contacts, ours], cache=False)
    box = np.array([ts.dimensions for ts in u.trajectory], dtype=float)
    box[:, :3] /= 10.0
    return request.param, es, store, box


def htpmd_analysis(es, store, box, **options):
    D = [endpoint_diffusion_m2_s(store.species_positions(k), store.time_ps) for k in range(2)]
    return ClusterAnalysis(es, store, store.extras["contacts/edges"], box_nm=box, temperature=353.0,
                           diffusion_m2_s=D, diffusion_method="endpoint MSD", **options).run()


def test_population_matrix_is_reproduced(htpmd):
    run, es, store, box = htpmd
    reference = np.loadtxt(HTPMD / run / "population.txt")
    P = htpmd_analysis(es, store, box).population_matrix()
    mine = np.zeros_like(reference)
    mine[:P.shape[0], :P.shape[1]] = P
    np.testing.assert_allclose(mine, reference, rtol=1e-6, atol=1e-12)
    assert np.sum(P * np.arange(P.shape[0])[:, None]) == pytest.approx(50)  # every Li in one cluster per frame


def test_cluster_nernst_einstein_matches_the_reference(htpmd):
    run, es, store, box = htpmd
    res = htpmd_analysis(es, store, box)
    ref = json.loads((HTPMD / run / "test_results.json").read_text())
    D = [endpoint_diffusion_m2_s(store.species_positions(k), store.time_ps) * 1e4 for k in range(2)]
    assert D == pytest.approx([ref["li_diffusivity"], ref["tfsi_diffusivity"]], rel=1e-4)
    sigma = res.get("conductivity_cluster_ne")
    assert sigma.unit == "mS/cm"
    assert sigma.value / 1000 == pytest.approx(README[run]["sigma_S_cm"], rel=1e-4)
    assert res.get("t_plus_cluster_ne", "cation").value == pytest.approx(README[run]["t_plus"], rel=1e-4)


def test_cation_anion_clusters_refine_htpmd_clusters(htpmd):
    """Our contact graph is a subgraph of htp_md's (no like-charge contacts), so each of our clusters
    lies inside one of theirs, and free ions can only become more numerous."""
    _, es, store, box = htpmd
    theirs = htpmd_analysis(es, store, box)
    ours = ClusterAnalysis(es, store, store.extras["cation_anion/edges"], box_nm=box).run()
    a, b = ours.clusters.label.ravel(), theirs.clusters.label.ravel()
    assert all(len(np.unique(b[a == c])) == 1 for c in np.unique(a))
    for ion in ("cation", "anion"):
        assert ours.get("free_ion_fraction", ion).value >= theirs.get("free_ion_fraction", ion).value
    assert ours.get("percolating_fraction").value == theirs.get("percolating_fraction").value == 0.0


def test_screening_runs_on_real_data(htpmd):
    _, es, store, box = htpmd
    res = ScreeningAnalysis(es, store, temperature=353.0, box_nm=box, epsilon_r=5.0).run()
    # S_ZZ → small at the smallest k (screening), no wave vector beyond k_max
    assert res.k_nm_inv.max() <= 10.0 and res.s_zz[0] < 0.2
    ions_per_m3 = 100 / (store.volume_nm3[0] * 1e-27)
    debye_m = np.sqrt(8.8541878128e-12 * 5 * 1.380649e-23 * 353 / (1.602176634e-19 ** 2 * ions_per_m3))
    assert res.get("debye_length").value == pytest.approx(debye_m * 1e9, rel=1e-8)
    assert res.get("screening_ratio").value == pytest.approx(
        res.get("screening_length").value / res.get("debye_length").value)
