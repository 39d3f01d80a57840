"""Who can bind the cation: one site per cation, and the donor atoms of every coordinating species.

Every species other than the cation may coordinate it — the anions included (the sulfonyl oxygens of
TFSI, the oxygens of a POSS macro-anion's side chains in Fang et al., J. Mater. Chem. A 2026, Fig. 4).
A **donor atom** is an atom that may sit in the cation's first shell (SPEC §4). The defaults follow
the chemistry of each species, read from the topology:

1. a monatomic ion (Cl⁻, Br⁻, I⁻, F⁻, or a bead of a coarse-grained model) is its own donor: there is
   nothing else it could bind the cation with;
2. a polyatomic anion binds the cation through its negatively charged atoms: the atoms with a negative
   partial charge (the O of TFSI, FSI, ClO4⁻, triflate, the F of PF6⁻ and BF4⁻, the N of DCA⁻), when the
   topology carries charges;
3. any other molecule (solvents, anions without charges) through its O, N and F atoms: by element when
   the topology has elements for all of them, else by atom name (else type) starting with ``O``, ``N``
   or ``F`` followed by anything but a lower-case letter (``OW``, ``O1``, ``N3``, ``F2`` count; ``Na``,
   ``Ne``, ``Fe``, ``opls_135`` do not); with numeric types only (LAMMPS data), by atom mass within
   0.01 g/mol of O (15.999), N (14.007) or F (18.998).

Give a selection per species to change that, e.g. ``donors={"EC": "name O1"}`` (the carbonyl O only).
Every result says which atoms were taken and why; a species that never enters a shell although it
comes close to the cation is warned about (:func:`ionscale.structure.analysis.missed_contacts`).

Molecules of all coordinating species are numbered together, species after species, so that one
integer names any molecule that can enter a shell.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Mapping

import numpy as np
from MDAnalysis.exceptions import SelectionError

from ..errors import IonscaleError
from ..system import Electrolyte

_DONOR_NAME = re.compile(r"^[ONF](?![a-z])")
DONOR_ELEMENTS = ("O", "N", "F")
#: standard atomic masses of the donor elements (IUPAC, g/mol), for topologies with numeric types only
DONOR_MASSES = {"O": 15.999, "N": 14.007, "F": 18.998}
#: how close an atom mass must be to one of them; force fields print 15.9994, 15.999, 16.00 for O
MASS_TOLERANCE_G_MOL = 0.01


@dataclass(frozen=True, eq=False)
class Sites:
    """The cation sites and donor atoms of an electrolyte.

    Attributes
    ----------
    cation : str
        Label of the cation species.
    species : tuple of str
        Coordinating species (anions, then solvents), shape (n_species,).
    roles : tuple of str
        ``"anion"`` or ``"solvent"`` for each coordinating species.
    cation_atoms : ndarray of int, shape (n_cations,)
        Universe index of the one site atom of each cation.
    donor_atoms : ndarray of int, shape (n_donors,)
        Universe indices of the donor atoms.
    donor_species : ndarray of int, shape (n_donors,)
        Index into ``species`` of each donor atom.
    donor_molecule : ndarray of int, shape (n_donors,)
        Molecule of each donor atom, numbered over all coordinating species.
    molecule_species : ndarray of int, shape (n_molecules,)
        Species of each coordinating molecule.
    molecule_atoms : tuple of ndarray
        Universe indices of the atoms of each species' molecules, shape (n_molecules_s, n_atoms_s).
    descriptions : dict
        Species → how its donors were chosen, for the notes of a result.
    """

    cation: str
    species: tuple
    roles: tuple
    cation_atoms: np.ndarray
    donor_atoms: np.ndarray
    donor_species: np.ndarray
    donor_molecule: np.ndarray
    molecule_species: np.ndarray
    molecule_atoms: tuple
    descriptions: dict

    @property
    def n_cations(self) -> int:
        return len(self.cation_atoms)

    @property
    def n_molecules(self) -> int:
        return len(self.molecule_species)

    @property
    def anion_species(self) -> np.ndarray:
        """Indices of the anion species, shape (n_anion_species,)."""
        return np.flatnonzero(np.array(self.roles) == "anion")

    @property
    def solvent_species(self) -> np.ndarray:
        """Indices of the solvent species, shape (n_solvent_species,)."""
        return np.flatnonzero(np.array(self.roles) == "solvent")

    def molecules_per_species(self) -> np.ndarray:
        """Number of molecules of each coordinating species, shape (n_species,)."""
        return np.bincount(self.molecule_species, minlength=len(self.species))

    def key(self) -> str:
        """A short fingerprint of the sites, for cache keys."""
        digest = hashlib.sha256()
        for array in (self.cation_atoms, self.donor_atoms, self.donor_species, self.donor_molecule):
            digest.update(np.ascontiguousarray(array, dtype=np.int64).tobytes())
        digest.update(repr(self.species).encode())
        return digest.hexdigest()[:16]


def find_sites(electrolyte: Electrolyte, donors: Mapping[str, str] | None = None,
               cation_site: str | None = None) -> Sites:
    """Resolve the cation sites and the donor atoms of every coordinating species.

    Parameters
    ----------
    electrolyte : Electrolyte
    donors : {species label: selection}, optional
        MDAnalysis selection of the donor atoms of a species (intersected with that species' atoms);
        species not named keep the default (their O and N atoms).
    cation_site : str, optional
        Selection of one atom per cation molecule (needed for molecular cations); by default the
        cation must be monatomic (Li⁺, Na⁺, ...).
    """
    universe = electrolyte.universe
    cation = electrolyte.cation
    coordinating = [s for s in electrolyte.species if s is not cation]
    labels = [s.label for s in coordinating]
    donors = dict(donors or {})
    if cation.label in donors:
        raise IonscaleError(f"donors names the cation {cation.label!r}; donors are atoms of the species that "
                            f"bind the cation: {labels}")
    unknown = set(donors) - set(labels)
    if unknown:
        raise IonscaleError(f"donors names unknown species {sorted(unknown)}; coordinating species are {labels}")
    if not coordinating:
        raise IonscaleError("the electrolyte has no species besides the cation, so nothing can coordinate it")

    atoms, species_of, molecule_of, molecule_species, molecule_atoms, descriptions = [], [], [], [], [], {}
    offset = 0
    for k, s in enumerate(coordinating):
        if s.label in donors:
            mask = np.isin(s.atom_indices, _select(universe, donors[s.label], s.label))
            if not mask.any():
                raise IonscaleError(f"donor selection {donors[s.label]!r} matches no atom of {s.label} "
                                    f"(selection {s.selection!r}); check the atom names or types")
            how = f"selection {donors[s.label]!r}"
        else:
            mask, how = _default_donors(universe, s)
        atoms.append(s.atom_indices[mask])
        species_of.append(np.full(mask.sum(), k))
        molecule_of.append(offset + s.molecule_of_atom[mask])
        molecule_species.append(np.full(s.n_molecules, k))
        molecule_atoms.append(s.atom_indices.reshape(s.n_molecules, -1))
        offset += s.n_molecules
        per_molecule = mask.sum() // s.n_molecules
        names = _atom_labels(universe, s.atom_indices[mask][:per_molecule])
        if per_molecule > 12:  # a polymer: the kinds, not every atom
            names = "kinds " + " ".join(sorted(set(names.split()), key=lambda n: (len(n), n)))
        descriptions[s.label] = (f"{per_molecule} donor atom(s) per molecule ({names}) by {how}"
                                 if per_molecule else f"no donor atoms (no O, N or F by {how})")
    donor_atoms = np.concatenate(atoms)
    if donor_atoms.size == 0:
        raise IonscaleError(
            "no donor atoms found: the default takes the negative atoms of anions and the O, N and F atoms of "
            "molecules, by element, else by atom name or type, "
            f"and none of {labels} has any that way (e.g. numeric LAMMPS types). Name them per species, "
            "e.g. donors={'solvent': 'type 5', 'anion': 'name F*'} (CLI: --donors SPECIES=SELECTION).")
    return Sites(cation=cation.label, species=tuple(labels), roles=tuple(s.role for s in coordinating),
                 cation_atoms=_cation_sites(universe, cation, cation_site), donor_atoms=donor_atoms,
                 donor_species=np.concatenate(species_of), donor_molecule=np.concatenate(molecule_of),
                 molecule_species=np.concatenate(molecule_species), molecule_atoms=tuple(molecule_atoms),
                 descriptions=descriptions)


def _select(universe, selection: str, label: str) -> np.ndarray:
    try:
        return universe.select_atoms(selection).indices
    except (SelectionError, ValueError) as err:
        raise IonscaleError(f"{label}: cannot parse selection {selection!r}: {err}") from None


def _default_donors(universe, species) -> tuple[np.ndarray, str]:
    """Default donor atoms of a species (module docstring): mask over its atoms and how they were chosen."""
    indices = species.atom_indices
    if species.is_ion and len(indices) == species.n_molecules:
        return np.ones(len(indices), bool), "default for a monatomic ion (the ion itself)"
    if species.role == "anion":
        charges = getattr(universe.atoms[indices], "charges", None)
        if charges is not None and (charges < 0).any():
            return np.asarray(charges) < 0, "default for an anion (its negatively charged atoms)"
    atoms = universe.atoms[indices]
    elements = getattr(atoms, "elements", None)
    if elements is not None and all(e.strip() for e in elements):
        return np.isin(np.char.upper(elements.astype(str)), DONOR_ELEMENTS), "element"
    for attr in ("names", "types"):
        values = getattr(atoms, attr, None)
        if values is not None:
            if all(str(v).isdigit() for v in values):  # numeric LAMMPS types say nothing: try the masses
                break
            return np.array([bool(_DONOR_NAME.match(str(v))) for v in values], dtype=bool), f"atom {attr[:-1]}"
    masses = getattr(atoms, "masses", None)
    if masses is not None:
        near = np.abs(np.asarray(masses)[:, None] - np.array(list(DONOR_MASSES.values()))[None, :])
        return near.min(axis=1) <= MASS_TOLERANCE_G_MOL, "atom mass (O, N, F within 0.01 g/mol; numeric types)"
    return np.zeros(len(indices), bool), "element, name or type (none in the topology)"


def _atom_labels(universe, indices: np.ndarray) -> str:
    atoms = universe.atoms[indices]
    for attr in ("names", "types"):
        values = getattr(atoms, attr, None)
        if values is not None:
            return " ".join(map(str, values))
    return " ".join(f"#{i}" for i in indices)


def _cation_sites(universe, cation, selection: str | None) -> np.ndarray:
    """One atom per cation molecule, in molecule order, shape (n_cations,)."""
    if selection is None:
        if len(cation.atom_indices) != cation.n_molecules:
            raise IonscaleError(
                f"the cation {cation.label} has {len(cation.atom_indices) // cation.n_molecules} atoms per "
                "molecule; say which one is its binding site, e.g. cation_site='name N1' (one atom per cation)")
        return cation.atom_indices.copy()
    mask = np.isin(cation.atom_indices, _select(universe, selection, cation.label))
    if np.bincount(cation.molecule_of_atom[mask], minlength=cation.n_molecules).tolist() != [1] * cation.n_molecules:
        raise IonscaleError(f"cation_site {selection!r} must pick exactly one atom in every {cation.label} molecule")
    return cation.atom_indices[mask]
