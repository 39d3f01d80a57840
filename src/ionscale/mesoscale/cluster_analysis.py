"""Cluster analysis of one trajectory: populations, free ions, percolation, lifetimes, cluster carriers.

Puts together :mod:`.clusters` (components of the contact graph), :mod:`.percolation`,
:mod:`.persistence` and :mod:`.carriers` (cluster Nernst–Einstein) on the transport store of the single
pass, and reports tidy rows (:mod:`.result`). Error bars: contiguous blocks of frames (``frame-blocks(n)``,
:mod:`ionscale.core.estimate`).

Example
-------
>>> contacts = DistanceContacts.from_electrolyte(es, "type 90 93 94 95", cutoff_nm=0.34)   # doctest: +SKIP
>>> store = scan(es, collectors=[contacts])                                              # doctest: +SKIP
>>> res = ClusterAnalysis(es, store, store.extras["contacts/edges"], temperature=353,
...                       diffusion_m2_s=onsager.D["solvent"].si().value).run()        # doctest: +SKIP
>>> res.get("free_ion_fraction", "cation"), res.population_matrix()                     # doctest: +SKIP

Pitfalls
--------
- The contact definition decides everything: a cation–anion cut-off from the first minimum of their
  RDF (SPEC §4) is the physical choice; htp_md joins any two ions (also like charges) within 3.4 Å of
  Li/N/O/S atoms (``DistanceContacts(..., pairs="all")``).
- Percolation in a small box is easy: a cluster only has to span one box length. Compare state points
  in boxes of similar size, and mind the percolating fraction's finite-size rounding.
- The cluster NE conductivity counts clusters as independent carriers; short trajectories give noisy
  populations of large clusters, and ``carrier="com"`` needs clusters that live longer than the lag.
"""

from __future__ import annotations

import numpy as np

from ..core.estimate import frame_average
from ..core.table import Row
from ..core.units import M3_PER_NM3
from ..errors import IonscaleError
from ..trajectory import TransportStore
from ..system import Electrolyte
from .box import box_of
from .carriers import center_of_mass_diffusion, cluster_nernst_einstein, majority_diffusion
from .clusters import categories, composition_label, find_clusters
from .percolation import percolating
from .persistence import mean_lifetime_ps, successors
from .result import ClusterResult, row

CARRIERS = ("majority", "com")


class ClusterAnalysis:
    """Clusters of the contact graph of one trajectory, and what follows from them.

    Parameters
    ----------
    electrolyte : Electrolyte
        Species labels, valences and molecule masses (cation first, as in the store).
    store : TransportStore
        Unwrapped ion positions, times, volumes and counts of the same frames as ``edges``.
    edges : ndarray of int, shape (n_edges, 3)
        ``(frame, i, j)`` contacts (:mod:`.clusters`), e.g. ``store.extras["contacts/edges"]``.
    box_nm : ndarray, shape (n_frames, 6), optional
        Box of each frame (nm, degrees); default ``store.box_nm``.
    temperature : float, optional
        In K; without it there is no cluster Nernst–Einstein conductivity.
    diffusion_m2_s : array (n_species,), optional
        Self-diffusion coefficient of each ion species in m²/s, for ``carrier="majority"`` (and the
        fallback of ``"com"``).
    diffusion_method : str
        Where those come from (e.g. ``"Onsager fit, solvent frame"``), quoted in the rows' method.
    carrier : {"majority", "com"}
        Diffusion coefficient of a cluster: that of the ion dominating its charge, or its own
        centre-of-mass motion over ``lag_frames`` frames (:mod:`.carriers`).
    lifetimes : bool
        Also report the mean lifetime of cluster identities (:mod:`.persistence`).
    n_blocks : int
        Blocks of frames for the error bars.
    """

    def __init__(self, electrolyte: Electrolyte, store: TransportStore, edges: np.ndarray, *,
                 box_nm: np.ndarray | None = None, temperature: float | None = None,
                 diffusion_m2_s=None, diffusion_method: str = "given", carrier: str = "majority",
                 lag_frames: int = 1, lifetimes: bool = False, n_blocks: int = 5):
        if carrier not in CARRIERS:
            raise IonscaleError(f"carrier must be one of {CARRIERS}, got {carrier!r}")
        if temperature is not None and not temperature > 0:
            raise IonscaleError(f"temperature must be positive in K, got {temperature}")
        if lag_frames < 1:
            raise IonscaleError(f"lag_frames must be at least 1, got {lag_frames}")
        self.species = [s.label for s in electrolyte.ions]
        self.valences = electrolyte.valences.astype(int)
        self.masses = np.repeat([s.molecule_mass_g_mol for s in electrolyte.ions], store.counts)
        if diffusion_m2_s is not None and len(diffusion_m2_s) != len(self.species):
            raise IonscaleError(f"give one diffusion coefficient per ion species {self.species}, "
                                f"got {len(diffusion_m2_s)}")
        self.store = store
        self.edges = edges
        self.box_nm = box_of(store, box_nm)
        self.temperature = temperature
        self.diffusion = None if diffusion_m2_s is None else np.asarray(diffusion_m2_s, dtype=float)
        self.diffusion_method = diffusion_method
        self.carrier = carrier
        self.lag_frames = lag_frames
        self.lifetimes = lifetimes
        self.n_blocks = n_blocks

    def run(self) -> ClusterResult:
        st = self.store
        clusters = find_clusters(self.edges, st.n_frames, st.counts, self.valences)
        compositions, kind = clusters.types()
        per_frame = clusters.per_frame(kind, len(compositions))               # (n_frames, n_types)
        type_labels = [composition_label(c, self.species) for c in compositions]
        percolating_frames = np.zeros(st.n_frames, dtype=bool)
        percolating_frames[clusters.frame[percolating(clusters, self.edges, st.positions_nm, self.box_nm)]] = True
        notes = []
        rows = self._distribution_rows(clusters, kind, type_labels, per_frame)
        percolation = frame_average(percolating_frames, self.n_blocks)
        rows.append(row("percolating_fraction", "", percolation.value, percolation.stderr, "1", percolation.method))
        successor = successors(clusters) if (self.lifetimes or self.carrier == "com") else None
        if self.lifetimes:
            tau = mean_lifetime_ps(clusters, successor, st.frame_interval_ps)
            rows.append(row("cluster_lifetime", "", tau, np.nan, "ps", "birth rate, clusters of >= 2 ions"))
            if tau == np.inf:
                notes.append("no cluster of ≥ 2 ions changed membership: their lifetime exceeds the trajectory")
        if self.temperature is None:
            notes.append("no temperature given: no cluster Nernst–Einstein conductivity")
        else:
            rows += self._carrier_rows(clusters, compositions, kind, per_frame, successor, type_labels, notes)
        return ClusterResult(species=self.species, rows=rows, compositions=compositions,
                             population=per_frame.mean(axis=0), percolating_frames=percolating_frames,
                             clusters=clusters, notes=notes)

    def _distribution_rows(self, clusters, kind, type_labels, per_frame) -> list:
        """Fractions of clusters by size, charge and composition; populations; free ions; largest cluster."""
        st = self.store

        def fractions(quantity, category, labels):
            counts = clusters.per_frame(category, len(labels))
            value, stderr, error = frame_average(counts, self.n_blocks, lambda m: m / m.sum())
            return [row(quantity, lab, v, e, "1", error) for lab, v, e in zip(labels, value, stderr)]

        def per_label(quantity, labels, per_frame_values, unit):
            value, stderr, error = frame_average(per_frame_values, self.n_blocks)
            return [row(quantity, lab, v, e, unit, error) for lab, v, e in zip(labels, value, stderr)]

        sizes, size_index = categories(clusters.size)
        charges, charge_index = categories(clusters.charge)
        single = (clusters.size == 1).astype(float)
        free = clusters.per_frame(np.argmax(clusters.composition, axis=1), len(self.species), weights=single)
        largest = np.maximum.reduceat(clusters.size, np.searchsorted(clusters.frame, np.arange(st.n_frames)))
        return (fractions("cluster_size_fraction", size_index, [str(n) for n in sizes])
                + fractions("cluster_charge_fraction", charge_index, [f"{q:+d}" if q else "0" for q in charges])
                + fractions("cluster_composition_fraction", kind, type_labels)
                + per_label("cluster_population", type_labels, per_frame, "1/frame")
                + per_label("free_ion_fraction", self.species, free / st.counts, "1")
                + per_label("largest_cluster_fraction", [""], largest[:, None] / st.counts.sum(), "1"))

    def _carrier_rows(self, clusters, compositions, kind, per_frame, successor, type_labels, notes) -> list:
        """σ_cNE and t_+,cNE (:mod:`.carriers`) with block error bars."""
        st = self.store
        majority = None if self.diffusion is None else majority_diffusion(compositions, self.valences, self.diffusion)
        if self.carrier == "majority":
            if majority is None:
                notes.append("no ion diffusion coefficients given: no cluster Nernst–Einstein conductivity "
                             "(give diffusion_m2_s, or carrier='com')")
                return []
            diffusion, how = majority, f"majority-ion D ({self.diffusion_method})"
        else:
            diffusion, _ = center_of_mass_diffusion(clusters, kind, len(compositions), successor, st.positions_nm,
                                                    self.masses, self.lag_frames, st.frame_interval_ps)
            missing = np.isnan(diffusion) & (compositions @ self.valences != 0)
            if missing.any():
                names = ", ".join(np.asarray(type_labels)[missing])
                if majority is None:
                    notes.append(f"charged cluster types never keep their membership over {self.lag_frames} frame(s) "
                                 f"({names}) and no ion D is given: the cluster NE conductivity is undefined")
                else:
                    diffusion = np.where(missing, majority, diffusion)
                    notes.append(f"cluster types {names} never keep their membership over {self.lag_frames} "
                                 f"frame(s): they move with their majority ion's D ({self.diffusion_method})")
            how = f"cluster centre-of-mass D over {self.lag_frames * st.frame_interval_ps:g} ps"
        charge = compositions @ self.valences
        cation_charge = compositions[:, 0] * self.valences[0]
        volume = float(st.volume_nm3.mean()) * M3_PER_NM3
        sigma, t_plus = (frame_average(per_frame, self.n_blocks, lambda p, k=k: cluster_nernst_einstein(
            p, charge, cation_charge, diffusion, volume, self.temperature)[k]) for k in (0, 1))
        method = f"{how}; {sigma.method}"
        return [Row("conductivity_cluster_ne", "", "", float(sigma.value), float(sigma.stderr), "mS/cm", method),
                row("t_plus_cluster_ne", self.species[0], t_plus.value, t_plus.stderr, "1", method)]


def cluster_picture_note(t_cluster: float, t_onsager: float, t_onsager_stderr: float, fit_start_ps: float,
                         contact_lifetime_ps: float) -> str | None:
    """A warning when the cluster Nernst–Einstein t₊ and the Onsager t₊⁰ have opposite signs, else None.

    The cluster picture moves every cluster's ions as one body over the diffusive lags; that holds only
    while its contacts last. Where cation–anion contacts (``contact_lifetime_ps``, the structure's residence
    time; NaN when unknown) end before the diffusive fit window starts (``fit_start_ps``), the cations leave
    their clusters long before the Onsager slopes are taken, and a negative t₊ of clusters is not a negative
    t₊⁰ (README, "What the model gives": 20-ps bonds, cluster t₊ −0.4, t₊⁰ +0.46 ± 0.26).
    """
    if not (np.isfinite(t_cluster) and np.isfinite(t_onsager)) or np.sign(t_cluster) == np.sign(t_onsager):
        return None
    note = (f"the cluster Nernst–Einstein t+ ({t_cluster:.2g}) and the Onsager t+^0 ({t_onsager:.2g} ± "
            f"{t_onsager_stderr:.2g}) differ in sign: the cluster picture moves a cluster's ions together")
    if contact_lifetime_ps < fit_start_ps:
        return (note + f", but cation–anion contacts last {contact_lifetime_ps:.3g} ps and the diffusive fit "
                f"starts at {fit_start_ps:.3g} ps: the cations leave their clusters first, so t+^0 holds")
    return note + f" (the diffusive fit starts at {fit_start_ps:.3g} ps); compare the residence times"
