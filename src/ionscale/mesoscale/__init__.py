"""Mesoscale structure of electrolytes: ionic clusters, percolation, cluster carriers and screening.

Coste et al. (2026, §IV–V, VII.C) describe how concentration turns solvated ions into ion pairs,
clusters and correlated domains, which set both screening and the effective charge carriers. This
package measures that hierarchy on the transport store of the single pass (SPEC §6–7):

- :mod:`.clusters` — connected components of the cation–anion contact graph of every frame;
  compositions, sizes, net charges, free ions, the largest cluster.
- :mod:`.percolation` — clusters connected to their own periodic image; onset along state points
  (:mod:`.onset` — the onset read off a study table).
- :mod:`.persistence` — cluster identity in time and its mean lifetime.
- :mod:`.carriers` — cluster Nernst–Einstein conductivity and t_+ (France-Lanord & Grossman 2019).
- :mod:`.contacts` — a store collector of contact edges from atom distances.
- :mod:`.dielectric` — ε_r from solvent dipole fluctuations, the Debye length.
- :mod:`.structure_factor` — S_ZZ(k); :mod:`.charge_correlation` — h_ZZ(r);
  :mod:`.decay_fit` — monotonic/oscillatory fits of r h_ZZ(r).
- :mod:`.cluster_analysis`, :mod:`.screening_analysis` — the analyses; :mod:`.result` — tidy rows,
  tables and :mod:`.figures`, and the merge of replicas (:func:`.result.merge_replicas`).

Example
-------
>>> contacts = DistanceContacts.from_electrolyte(es, "type 90 93 94 95", cutoff_nm=0.34)     # doctest: +SKIP
>>> store = scan(es, collectors=[contacts])                                                # doctest: +SKIP
>>> res = MesoscaleResult(
...     clusters=ClusterAnalysis(es, store, store.extras["contacts/edges"], temperature=353,
...                              diffusion_m2_s=D_m2_s).run(),
...     screening=ScreeningAnalysis(es, store, temperature=353, epsilon_r=10).run())        # doctest: +SKIP
>>> res.to_frame(); res.tables()["szz.csv"]; res.figures()                                # doctest: +SKIP
>>> res.save("out/")                                     # results.json, CSVs, PNGs          # doctest: +SKIP
"""

from .carriers import cluster_nernst_einstein, endpoint_diffusion_m2_s, majority_diffusion
from .charge_correlation import charge_correlation, partial_rdfs
from .cluster_analysis import ClusterAnalysis
from .clusters import Clusters, edges_from_pairs, find_clusters
from .contacts import DistanceContacts
from .decay_fit import DecayFit, fit_decay
from .dielectric import SolventDipoles, debye_length_nm, dielectric_constant
from .percolation import lattice_shifts, percolating, percolation_onset
from .persistence import mean_lifetime_ps, successors
from .result import ClusterResult, MesoscaleResult, ScreeningResult, merge_replicas
from .screening_analysis import ScreeningAnalysis
from .structure_factor import charge_structure_factor

__all__ = [
    "ClusterAnalysis", "ScreeningAnalysis", "MesoscaleResult", "ClusterResult", "ScreeningResult", "merge_replicas",
    "DistanceContacts", "SolventDipoles", "edges_from_pairs",
    "Clusters", "find_clusters", "lattice_shifts", "percolating", "percolation_onset", "successors",
    "mean_lifetime_ps", "cluster_nernst_einstein", "majority_diffusion", "endpoint_diffusion_m2_s",
    "charge_structure_factor", "partial_rdfs", "charge_correlation", "DecayFit", "fit_decay",
    "debye_length_nm", "dielectric_constant",
]
