"""Motif geometry of the first shell: tetrahedral order and shell dipole (Coste et al. 2026, §II.A–B).

Tetrahedral order
    For a shell with exactly four donor atoms (four-fold coordination in the *interatomic* sense,
    which survives when an anion binds bidentately), with ψ_jk the angle between the cation→donor
    vectors j and k,

        q = 1 − (3/8) Σ_{j<k} (cos ψ_jk + 1/3)²

    (Chau & Hardwick, Mol. Phys. 93, 511, 1998; Errington & Debenedetti, Nature 409, 318, 2001):
    q = 1 for a regular tetrahedron, 0 on average for four random directions, 1/2 for a square.

Shell dipole
    The dipole of a solvent molecule from its partial charges about its centre of mass,
    μ_m = Σ_a q_a (r_a − r_com), molecules made whole by the minimum image about their first atom;
    the shell dipole is |Σ_m μ_m| over the solvent molecules of one shell, in debye. Symmetric shells
    of one solvent cancel their dipoles; a less polar co-solvent can break that cancellation and raise
    the shell dipole (Coste et al. 2026, §II.B).
"""

from __future__ import annotations

import numpy as np
from scipy import constants

from ..trajectory import minimum_image
from .sites import Sites

#: 1 e·Å in debye (1 D = 1e-21/c C·m)
DEBYE_PER_E_ANGSTROM = constants.e * 1e-10 / (1e-21 / constants.c)


class MolecularDipoles:
    """Dipole moments of solvent molecules about their centres of mass, from partial charges.

    Parameters
    ----------
    row_of : ndarray of int, shape (n_molecules,)
        Row of each coordinating molecule in the tables below, −1 for molecules without a dipole (ions).
    atoms, charges_e, masses : ndarray, shape (n_rows, n_atoms_max)
        Universe index, partial charge and mass of each atom of each solvent molecule; molecules with
        fewer atoms are padded with zero charge and mass.
    """

    def __init__(self, row_of: np.ndarray, atoms: np.ndarray, charges_e: np.ndarray, masses: np.ndarray):
        self.row_of, self.atoms, self.charges_e, self.masses = row_of, atoms, charges_e, masses

    @classmethod
    def for_sites(cls, universe, sites: Sites) -> "MolecularDipoles | None":
        """The solvent molecules of ``sites``; None when the topology has no charges or there is no solvent."""
        charges = getattr(universe.atoms, "charges", None)
        solvents = sites.solvent_species
        if charges is None or solvents.size == 0:
            return None
        masses = universe.atoms.masses
        tables = [sites.molecule_atoms[s] for s in solvents]
        width = max(t.shape[1] for t in tables)
        atoms = np.concatenate([np.pad(t, ((0, 0), (0, width - t.shape[1]))) for t in tables])
        real = np.concatenate([np.pad(np.ones_like(t, bool), ((0, 0), (0, width - t.shape[1]))) for t in tables])
        row_of = np.full(sites.n_molecules, -1)
        row_of[np.isin(sites.molecule_species, solvents)] = np.arange(len(atoms))
        return cls(row_of, atoms, np.where(real, charges[atoms], 0.0), np.where(real, masses[atoms], 0.0))

    def covers(self, molecules: np.ndarray) -> np.ndarray:
        """Which of ``molecules`` have a dipole here (solvent molecules), boolean shape (k,)."""
        return self.row_of[molecules] >= 0

    def __call__(self, positions_A: np.ndarray, dimensions: np.ndarray, molecules: np.ndarray) -> np.ndarray:
        """Dipoles of ``molecules`` (solvent, ``Sites`` numbering) in debye, shape (k, 3)."""
        rows = self.row_of[molecules]
        x = positions_A[self.atoms[rows]].astype(np.float64)                    # (k, a, 3)
        rel = minimum_image((x - x[:, :1]).reshape(-1, 3), dimensions).reshape(x.shape)
        mass = self.masses[rows]
        com = np.einsum("ka,kax->kx", mass, rel) / mass.sum(axis=1)[:, None]
        return np.einsum("ka,kax->kx", self.charges_e[rows], rel - com[:, None]) * DEBYE_PER_E_ANGSTROM


def tetrahedral_order(vectors: np.ndarray) -> np.ndarray:
    """q of each four-donor shell from its cation→donor vectors, shape (n, 4, 3) → (n,)."""
    unit = vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)
    j, k = np.triu_indices(4, k=1)
    cos = np.einsum("nix,nix->ni", unit[:, j], unit[:, k])  # (n, 6)
    return 1.0 - 0.375 * ((cos + 1.0 / 3.0) ** 2).sum(axis=1)


def four_donor_shells(shell: np.ndarray, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The shells with exactly four donor atoms and their vectors.

    Parameters
    ----------
    shell : ndarray of int, shape (m,)
        Shell (e.g. frame × n_cations + cation) of each inside contact, grouped (equal values adjacent).
    vectors : ndarray, shape (m, 3)

    Returns
    -------
    shells : ndarray of int, shape (n,)
    vectors : ndarray, shape (n, 4, 3)
    """
    starts = np.flatnonzero(np.r_[True, shell[1:] != shell[:-1]])
    sizes = np.diff(np.r_[starts, len(shell)])
    first = starts[sizes == 4]
    return shell[first], vectors[first[:, None] + np.arange(4)]


def shell_dipoles(shell: np.ndarray, key: np.ndarray, dipole_key: np.ndarray, dipole_debye: np.ndarray,
                  n_shells: int) -> np.ndarray:
    """|Σ μ| over the solvent molecules of each shell, in debye, shape (n_shells,).

    ``shell`` and ``key`` (frame × n_molecules + molecule) name each solvent molecule in a shell, shape (m,);
    ``dipole_key`` (same numbering, shape (k,)) and ``dipole_debye`` (k, 3) give the dipoles collected in
    the pass, a superset of the molecules in shells."""
    order = np.argsort(dipole_key)
    found = order[np.searchsorted(dipole_key, key, sorter=order)]
    total = np.stack([np.bincount(shell, weights=dipole_debye[found, c].astype(np.float64), minlength=n_shells)
                      for c in range(3)], axis=1)
    return np.linalg.norm(total, axis=1)
