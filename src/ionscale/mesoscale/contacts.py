"""Contacts between ions from atom distances, collected during the single pass over the trajectory.

Two ions are in contact in a frame when any chosen atom of one lies within ``cutoff_nm`` of any chosen
atom of the other (minimum image, all pairs found by ``MDAnalysis.lib.distances.self_capped_distance``,
a grid search: O(n_atoms) per frame). Which pairs of ions count:

- ``pairs="cation-anion"`` (default, SPEC §6): only a cation with an anion — the ionic bond network.
- ``pairs="all"``: any two ions, also cation–cation and anion–anion. This is the definition of the
  htp_md project (LAMMPS ``compute aggregate/atom 3.4`` over the Li and the N, O, S atoms of TFSI:
  every atom pair closer than 3.4 Å joins the clusters of its atoms).

Atoms of the same ion never make an edge (an ion is one node). The edges are ion indices in store
order (cations first, then the anions), ready for :func:`~.clusters.find_clusters`.

Example
-------
>>> contacts = DistanceContacts.from_electrolyte(es, "type 90 93 94 95", cutoff_nm=0.34, pairs="all")  # doctest: +SKIP
>>> store = scan(es, collectors=[contacts])                                                           # doctest: +SKIP
>>> edges = store.extras["contacts/edges"]          # (n_edges, 3): frame, i, j                      # doctest: +SKIP
"""

from __future__ import annotations

import hashlib

import numpy as np
from MDAnalysis.exceptions import SelectionError
from MDAnalysis.lib.distances import self_capped_distance

from ..errors import IonscaleError
from ..system import Electrolyte

ANGSTROM_PER_NM = 10.0
PAIRS = ("cation-anion", "all")


class DistanceContacts:
    """A store :class:`~ionscale.trajectory.Collector` of ion–ion contact edges (module docstring).

    Parameters
    ----------
    atom_indices : (n_atoms,) universe indices of the atoms that make contacts.
    ion_of_atom : (n_atoms,) index of the ion (store order) each atom belongs to.
    is_cation : (n_ions,) bool, True for cations.
    cutoff_nm : contact distance in nm (inclusive).
    pairs : ``"cation-anion"`` or ``"all"``.
    name : prefix of its arrays in the store (``"<name>/edges"``); give two collectors different names.
    """

    def __init__(self, atom_indices: np.ndarray, ion_of_atom: np.ndarray, is_cation: np.ndarray,
                 cutoff_nm: float, pairs: str = "cation-anion", name: str = "contacts"):
        if pairs not in PAIRS:
            raise IonscaleError(f"pairs must be one of {PAIRS}, got {pairs!r}")
        if not cutoff_nm > 0:
            raise IonscaleError(f"the contact cut-off must be a positive distance in nm, got {cutoff_nm}")
        self.atom_indices = np.asarray(atom_indices, dtype=np.int64)
        self.ion_of_atom = np.asarray(ion_of_atom, dtype=np.int64)
        self.is_cation = np.asarray(is_cation, dtype=bool)
        self.cutoff_nm = float(cutoff_nm)
        self.pairs = pairs
        self.name = name
        digest = hashlib.sha256(self.atom_indices.tobytes() + self.ion_of_atom.tobytes()).hexdigest()[:16]
        self.key = f"{self.cutoff_nm!r}|{pairs}|{digest}"

    @classmethod
    def from_electrolyte(cls, electrolyte: Electrolyte, selection: str | None, cutoff_nm: float,
                         pairs: str = "cation-anion", name: str = "contacts") -> "DistanceContacts":
        """Contacts between the atoms of ``selection`` (e.g. ``"type 90 93 94 95"``) of the ions; None: every
        atom of the ions."""
        ions = electrolyte.ions
        atom = np.concatenate([s.atom_indices for s in ions])
        if selection is None:
            chosen = np.sort(atom)
        else:
            try:
                chosen = electrolyte.universe.select_atoms(selection).indices
            except (SelectionError, ValueError) as err:
                raise IonscaleError(f"cannot parse contact selection {selection!r}: {err}") from None
        offsets = np.cumsum([0] + [s.n_molecules for s in ions])[:-1]
        ion = np.concatenate([o + s.molecule_of_atom for o, s in zip(offsets, ions)])
        inside = np.isin(chosen, atom)
        if not inside.all():
            raise IonscaleError(f"contact selection {selection!r} takes {np.count_nonzero(~inside)} atom(s) that "
                                f"belong to no ion species (e.g. atom index {chosen[~inside][0]}); "
                                "select ion atoms only")
        if len(chosen) == 0:
            raise IonscaleError(f"contact selection {selection!r} matches no atoms")
        order = np.argsort(atom)
        ion_of_atom = ion[order][np.searchsorted(atom[order], chosen)]
        is_cation = np.arange(int(electrolyte.counts.sum())) < ions[0].n_molecules
        return cls(chosen, ion_of_atom, is_cation, cutoff_nm, pairs, name)

    def collect(self, ts) -> dict:
        """Contact edges (i, j), i < j, of one frame, shape (n_contacts, 2)."""
        pairs = self_capped_distance(ts.positions[self.atom_indices], self.cutoff_nm * ANGSTROM_PER_NM,
                                     box=ts.dimensions, return_distances=False)
        i, j = self.ion_of_atom[pairs[:, 0]], self.ion_of_atom[pairs[:, 1]]
        keep = i != j
        if self.pairs == "cation-anion":
            keep &= self.is_cation[i] != self.is_cation[j]
        i, j = i[keep], j[keep]
        n = len(self.is_cation)
        key = np.unique(np.minimum(i, j) * n + np.maximum(i, j))
        return {"edges": np.column_stack([key // n, key % n]).astype(np.int32)}

    def finish(self, frames: list) -> dict:
        """All frames' edges as one table (n_edges, 3): frame, i, j."""
        sizes = [len(f["edges"]) for f in frames]
        if not sum(sizes):
            return {"edges": np.zeros((0, 3), dtype=np.int64)}
        edges = np.concatenate([f["edges"] for f in frames]).astype(np.int64)
        return {"edges": np.column_stack([np.repeat(np.arange(len(frames)), sizes), edges])}
