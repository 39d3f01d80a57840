"""First solvation shells of the cations, frame by frame (SPEC §4; Fang et al. 2026, Fig. 4).

A donor atom is in a cation's first shell when it lies within the cut-off of its species; a molecule
is in the shell when any of its donor atoms is. Per cation and frame this gives the number of
molecules of each species, the number of donor atoms of each species, and the number of distinct
anions bound. From those:

- mean shell composition (molecules and donor atoms per species), as in Fang et al. Fig. 4a;
- P(n), the fraction of cations bound to n distinct anions (Fig. 4b); bound fraction P(n ≥ 1)
  (Fig. 4c), free fraction P(0), and **linkers**, cations bound to n ≥ 2 anions that bridge them;
- the speciation table, the frequency of every shell composition (molecules per species);
- the free-solvent fraction: molecules of a solvent in no cation's shell.

All fractions are per cation (or per molecule) and frame, averaged over frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .contacts import Contacts
from .sets import distinct
from .sites import Sites


@dataclass(frozen=True, eq=False)
class Shells:
    """The first shells of every cation in every frame.

    Attributes
    ----------
    molecules : ndarray of int, shape (n_frames, n_cations, n_species)
        Molecules of each coordinating species in the shell.
    donor_atoms : ndarray of int, shape (n_frames, n_cations, n_species)
        Donor atoms of each species in the shell.
    anions : ndarray of int, shape (n_frames, n_cations)
        Distinct anions (of any anion species) in the shell.
    bond_frame, bond_cation, bond_molecule : ndarray of int, shape (n_bonds,)
        Every (frame, cation, molecule) with the molecule in the cation's shell, once, sorted.
    inside : ndarray of bool, shape (n_contacts,)
        Which contacts of the pass are inside their cut-off.
    """

    molecules: np.ndarray
    donor_atoms: np.ndarray
    anions: np.ndarray
    bond_frame: np.ndarray
    bond_cation: np.ndarray
    bond_molecule: np.ndarray
    inside: np.ndarray

    @property
    def n_frames(self) -> int:
        return self.molecules.shape[0]

    @property
    def n_cations(self) -> int:
        return self.molecules.shape[1]

    def anion_counts(self) -> np.ndarray:
        """Cations bound to n = 0, 1, ..., n_max distinct anions in each frame, shape (n_frames, n_max + 1)."""
        width = int(self.anions.max(initial=0)) + 1
        frame = np.repeat(np.arange(self.n_frames), self.n_cations)
        return np.bincount(frame * width + self.anions.ravel(), minlength=self.n_frames * width).reshape(-1, width)

    def molecules_in_shells(self, sites: Sites) -> np.ndarray:
        """Distinct molecules of each species in any cation's shell, per frame, shape (n_frames, n_species)."""
        n_molecules = sites.n_molecules
        taken = distinct(self.bond_frame.astype(np.int64) * n_molecules + self.bond_molecule)
        frame = taken // n_molecules
        species = sites.molecule_species[taken - frame * n_molecules]
        n_species = len(sites.species)
        return np.bincount(frame * n_species + species,
                           minlength=self.n_frames * n_species).reshape(self.n_frames, n_species)

    def speciation(self, labels) -> pd.DataFrame:
        """Frequency of every shell composition, most frequent first.

        One column per species (molecules of it in the shell), then ``count`` (cation-frames with that
        shell) and ``fraction`` (count over all cation-frames, empty shells included)."""
        shells = self.molecules.reshape(-1, self.molecules.shape[2])
        ordered = shells[np.lexsort(shells.T[::-1])]   # by composition, first species first
        start = np.flatnonzero(np.r_[True, (ordered[1:] != ordered[:-1]).any(axis=1)])
        counts = np.diff(np.r_[start, len(ordered)])
        table = pd.DataFrame(ordered[start], columns=list(labels))
        table["count"] = counts
        table["fraction"] = counts / counts.sum()
        return table.sort_values(["count", *labels], ascending=[False] + [True] * len(labels), ignore_index=True)


def first_shells(contacts: Contacts, sites: Sites, cutoff_nm: np.ndarray) -> Shells:
    """The shells for cut-offs ``cutoff_nm`` (one per species, nm; NaN: the species never binds)."""
    n_frames, n_cations, n_species = contacts.n_frames, sites.n_cations, len(sites.species)
    inside = contacts.within(cutoff_nm, sites.donor_species)
    donor = contacts.donor[inside]
    shell = contacts.frame[inside].astype(np.int64) * n_cations + contacts.cation[inside]
    size = n_frames * n_cations * n_species
    species = sites.donor_species[donor]
    donor_atoms = np.bincount(shell * n_species + species, minlength=size).reshape(n_frames, n_cations, n_species)
    bonds = distinct(shell * sites.n_molecules + sites.donor_molecule[donor])
    bond_shell = bonds // sites.n_molecules   # (no np.divmod: its integer division is several times slower)
    bond_molecule = bonds - bond_shell * sites.n_molecules
    molecules = np.bincount(bond_shell * n_species + sites.molecule_species[bond_molecule],
                            minlength=size).reshape(n_frames, n_cations, n_species)
    bond_frame = bond_shell // n_cations
    bond_cation = bond_shell - bond_frame * n_cations
    return Shells(molecules=molecules, donor_atoms=donor_atoms,
                  anions=molecules[:, :, sites.anion_species].sum(axis=2),
                  bond_frame=bond_frame, bond_cation=bond_cation, bond_molecule=bond_molecule, inside=inside)
