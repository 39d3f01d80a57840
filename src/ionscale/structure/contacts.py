"""Cation–donor contacts: the per-frame part of the structure analysis, kept sparse.

Every structure number of SPEC §4–5 — shells, ion-pair classes, residence times, and the RDFs that
set the cut-offs — follows from one list: which donor atom is how far from which cation in which
frame, for all pairs closer than a collection radius. :class:`ContactCollector` builds that list in
the single streaming pass (it is a :class:`ionscale.trajectory.Collector`), searching a few frames at a time
(:data:`BATCH_FRAMES`); its arrays land in the store and its cache. Everything after it is NumPy on
those arrays, so a new cut-off (up to the collection radius) never re-reads the trajectory.

For the motif geometry of Coste et al. 2026 (§II.A–B) the collector can also keep the cation→donor
vector of every pair and the dipole moment of every solvent molecule in contact with a cation.

Stored arrays (``store.extras["contacts/<name>"]``), m = number of contacts sorted by frame, cation
and donor, k = molecule dipoles:

=================  ================  ====================================================
``frame``          (m,) int32        frame index 0..n_frames-1 (position in the pass)
``cation``         (m,) int32        cation index 0..n_cations-1
``donor``          (m,) int32        donor index into ``Sites.donor_atoms``
``distance_nm``    (m,) float32      minimum-image distance
``vector_nm``      (m, 3) float32    donor − cation, minimum image (with ``vectors``)
``dipole_frame``   (k,) int32        frame of each molecular dipole (with ``dipoles``)
``dipole_molecule`` (k,) int32       coordinating molecule (``Sites`` numbering)
``dipole_debye``   (k, 3) float32    its dipole moment about its centre of mass
``settings``       0-d str           the collector's key, to check a store fits an analysis
=================  ================  ====================================================
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from ..errors import IonscaleError
from ..trajectory import ANGSTROM_PER_NM
from .geometry import MolecularDipoles
from .neighbours import pairs_within
from .sets import distinct
from .sites import Sites

NAME = "contacts"
#: frames whose contacts are searched together: the few dozen NumPy calls of a search serve them all,
#: and their positions are still in cache. The pass holds at most this many frames of cation and donor
#: positions (of all atoms, with dipoles) until they are searched.
BATCH_FRAMES = 8


class ContactCollector:
    """Collect cation–donor pairs closer than a per-species radius, every frame.

    Parameters
    ----------
    sites : Sites
    radius_nm : ndarray, shape (n_species,)
        Collection radius of each coordinating species in nm; cut-offs used later must not exceed it.
    vectors : bool
        Keep the cation→donor vector of each pair (for the tetrahedral order).
    dipoles : MolecularDipoles, optional
        Keep the dipole of every solvent molecule in contact with a cation (for the shell dipole).
    """

    name = NAME

    def __init__(self, sites: Sites, radius_nm, vectors: bool = False, dipoles: MolecularDipoles | None = None):
        radius_nm = np.broadcast_to(np.asarray(radius_nm, dtype=float), (len(sites.species),)).copy()
        if not (radius_nm > 0).all():
            raise IonscaleError(f"collection radii must be positive distances in nm, got {radius_nm.tolist()}")
        self.sites = sites
        self.radius_nm = radius_nm
        self.vectors = bool(vectors)
        self.dipoles = dipoles
        self._donor_radius_A = (radius_nm * ANGSTROM_PER_NM)[sites.donor_species]
        self._max_radius_A = float(radius_nm.max() * ANGSTROM_PER_NM)
        self._one_radius = bool((radius_nm == radius_nm.max()).all())
        self._atoms = np.concatenate([sites.cation_atoms, sites.donor_atoms])   # gathered at once
        self._pending = []   # dicts of frames collected but not searched yet

    @property
    def key(self) -> str:
        return json.dumps({"sites": self.sites.key(), "radius_nm": self.radius_nm.round(9).tolist(),
                           "vectors": self.vectors, "dipoles": self.dipoles is not None})

    def collect(self, ts) -> dict:
        """The frame's dict, filled when its batch of :data:`BATCH_FRAMES` frames is searched: here when
        the batch is full, in :meth:`finish` for the frames a chunk of the pass ends with."""
        frame = {"sites": np.take(ts.positions, self._atoms, axis=0), "dimensions": ts.dimensions.copy()}
        if self.dipoles is not None:
            frame["positions"] = ts.positions.copy()
        self._pending.append(frame)
        if len(self._pending) == BATCH_FRAMES:
            self._search(self._pending)
            self._pending = []
        return frame

    def _search(self, frames: list) -> None:
        """Find the contacts of ``frames`` (dicts of :meth:`collect`) at once and fill in their dicts."""
        n_cations = self.sites.n_cations
        sites = np.stack([f.pop("sites") for f in frames])
        dimensions = np.stack([f.pop("dimensions") for f in frames])
        frame, i, j, v, d = pairs_within(sites[:, :n_cations], sites[:, n_cations:], self._max_radius_A, dimensions)
        if not self._one_radius:  # species with a smaller radius than the largest
            keep = d <= self._donor_radius_A[j]
            frame, i, j, v, d = frame[keep], i[keep], j[keep], v[keep], d[keep]
        cation, donor = i.astype(np.int32, copy=False), j.astype(np.int32)
        distance = (d / ANGSTROM_PER_NM).astype(np.float32)
        vector = (v / ANGSTROM_PER_NM).astype(np.float32) if self.vectors else None
        bounds = np.searchsorted(frame, np.arange(len(frames) + 1))
        for k, f in enumerate(frames):
            part = slice(bounds[k], bounds[k + 1])
            f.update(cation=cation[part], donor=donor[part], distance_nm=distance[part])
            if self.vectors:
                f["vector_nm"] = vector[part]
            if self.dipoles is not None:
                molecules = distinct(self.sites.donor_molecule[donor[part]])
                molecules = molecules[self.dipoles.covers(molecules)]
                f["dipole_molecule"] = molecules.astype(np.int32)
                f["dipole_debye"] = self.dipoles(f.pop("positions"), dimensions[k], molecules).astype(np.float32)

    def finish(self, frames: list) -> dict:
        waiting = [f for f in frames if "sites" in f]
        if waiting:
            self._search(waiting)
        self._pending = []
        arrays = {"frame": _frame_index(frames, "cation"), "settings": np.array(self.key)}
        pairs = ["cation", "donor", "distance_nm"] + (["vector_nm"] if self.vectors else [])
        arrays.update({name: np.concatenate([f[name] for f in frames]) for name in pairs})
        # each frame's pairs come grouped by cation; one sort over the pass orders the donors of each
        order = np.argsort((arrays["frame"].astype(np.int64) * self.sites.n_cations + arrays["cation"])
                           * len(self.sites.donor_atoms) + arrays["donor"])
        arrays.update({name: arrays[name][order] for name in pairs})
        if self.dipoles is not None:
            arrays["dipole_frame"] = _frame_index(frames, "dipole_molecule")
            for name in ("dipole_molecule", "dipole_debye"):
                arrays[name] = np.concatenate([f[name] for f in frames])
        return arrays


def _frame_index(frames: list, name: str) -> np.ndarray:
    counts = [len(f[name]) for f in frames]
    return np.repeat(np.arange(len(frames), dtype=np.int32), counts)


@dataclass(frozen=True, eq=False)
class Contacts:
    """The contacts of one pass (see the module docstring for the arrays), the box volume of each frame
    and the frame interval."""

    frame: np.ndarray
    cation: np.ndarray
    donor: np.ndarray
    distance_nm: np.ndarray
    volume_nm3: np.ndarray
    frame_interval_ps: float
    vector_nm: np.ndarray | None = None
    dipole_frame: np.ndarray | None = None
    dipole_molecule: np.ndarray | None = None
    dipole_debye: np.ndarray | None = None

    @property
    def n_frames(self) -> int:
        return len(self.volume_nm3)

    @classmethod
    def from_store(cls, store, collector: ContactCollector) -> "Contacts":
        """The contacts that ``collector`` left in ``store.extras``; refuses contacts of other settings."""
        extras = {k[len(NAME) + 1:]: v for k, v in store.extras.items() if k.startswith(NAME + "/")}
        if "settings" not in extras:
            raise IonscaleError("the store holds no cation–donor contacts: run the pass with the analysis' "
                                "collector, scan(electrolyte, collectors=[analysis.collector])")
        if str(extras["settings"]) != collector.key:
            raise IonscaleError(
                "the store's contacts were collected with other settings (donors, radii, vectors or dipoles) "
                f"than this analysis: stored {extras['settings']}, wanted {collector.key}. Run the pass with "
                "this analysis' collector, or build the analysis with the settings of the pass.")
        fields = {k: extras[k] for k in ("frame", "cation", "donor", "distance_nm")}
        optional = {k: extras.get(k) for k in ("vector_nm", "dipole_frame", "dipole_molecule", "dipole_debye")}
        return cls(**fields, **optional, volume_nm3=store.volume_nm3, frame_interval_ps=store.frame_interval_ps)

    def within(self, cutoff_nm: np.ndarray, donor_species: np.ndarray) -> np.ndarray:
        """Mask of the contacts inside the cut-off of their donor's species, shape (m,).

        ``cutoff_nm`` has shape (n_species,) (NaN: that species never binds); a pair at exactly the
        cut-off is inside, as in ``capped_distance``."""
        return self.distance_nm <= cutoff_nm.astype(np.float32)[donor_species[self.donor]]
