"""Species and electrolytes: what the molecules of a trajectory are, their roles, valences and masses.

A **species** is a set of identical molecules (or single atoms) with one role: ``cation``, ``anion``
or ``solvent`` (SPEC §1). A **particle** is one molecule; the point that transport follows is its
centre of mass (or, on request, the centre of mass of a sub-group of its atoms, e.g. the N atom of
TFSI). Molecules are the bonded fragments of the topology when it has bonds, else its residues.

The valence z_i of a species is the integer formal charge of one molecule: by default the sum of the
topology's partial charges, rounded (a scaled-charge force field with ±0.7 e or ±0.8 e still gives
z = ±1); the user can override it. A system whose ions do not sum to zero formal charge is refused
unless the user asks to proceed.

Example
-------
>>> import MDAnalysis as mda
>>> u = mda.Universe("relaxed.lmp", "traj.lammpstrj", format="LAMMPSDUMP")   # doctest: +SKIP
>>> for s in list_species(u): print(s)                                          # doctest: +SKIP
>>> es = Electrolyte.from_universe(u, cation="type 90", anion="type 93 94 95 96 97",
...                                solvent="type 0:89", timestep_ps=2.0)       # doctest: +SKIP
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence, Union

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from MDAnalysis.exceptions import NoDataError, SelectionError

from .errors import IonscaleError

ROLES = ("cation", "anion", "solvent")
#: what a particle can be (Electrolyte.from_universe(particles=...))
PARTICLES = ("molecules", "atoms")
#: the hint of every error that a molecule definition from residues may cause
ATOMS_HINT = ("; if every atom is a particle (monatomic ions, a melt, an xyz file without residues), say so: "
              "particles='atoms' (CLI: --atoms-as-particles)")
Selections = Union[None, str, Sequence[str], Mapping[str, str]]

#: a molecule's partial charges may deviate this much from an integer before we call them scaled
SCALED_CHARGE_TOLERANCE_E = 0.01


@dataclass(frozen=True, eq=False)
class Species:
    """One molecular species of an electrolyte.

    Attributes
    ----------
    label : str
        Name used in every output (``cation``, ``anion``, ``cation|anion`` pairs, ...).
    role : str
        ``cation``, ``anion`` or ``solvent``.
    selection : str
        The MDAnalysis selection that defined it.
    atom_indices : ndarray, shape (n_atoms,)
        Universe indices of its atoms, molecule after molecule.
    molecule_of_atom : ndarray, shape (n_atoms,)
        Index 0..n_molecules-1 of the molecule each atom belongs to.
    center_mask : ndarray of bool, shape (n_atoms,)
        Atoms whose centre of mass is the tracked position of each molecule (all atoms by default).
    valence : int
        Formal charge z of one molecule, in units of e.
    molecule_mass_g_mol : float
        Mass of one molecule in g/mol.
    topology_charge_e : float
        Sum of the topology partial charges of one molecule in e (NaN when the topology has none).
    """

    label: str
    role: str
    selection: str
    atom_indices: np.ndarray
    molecule_of_atom: np.ndarray
    center_mask: np.ndarray
    valence: int
    molecule_mass_g_mol: float
    topology_charge_e: float = float("nan")

    @property
    def n_molecules(self) -> int:
        return int(self.molecule_of_atom[-1]) + 1

    @property
    def is_ion(self) -> bool:
        return self.role != "solvent"

    def __repr__(self) -> str:
        return (f"Species({self.label!r}, role={self.role}, n={self.n_molecules}, z={self.valence:+d}, "
                f"mass={self.molecule_mass_g_mol:.2f} g/mol, selection={self.selection!r})")


@dataclass(frozen=True)
class SpeciesInfo:
    """A kind of molecule found in a topology (see :func:`list_species`)."""

    name: str
    count: int
    n_atoms: int
    net_charge_e: float
    mass_g_mol: float
    selection: str

    def __str__(self) -> str:
        return (f"{self.name}: {self.count} molecules of {self.n_atoms} atoms, "
                f"charge {self.net_charge_e:+.3f} e, {self.mass_g_mol:.3f} g/mol, select with {self.selection!r}")


def molecule_ids(universe) -> np.ndarray:
    """Molecule index of every atom: the topology's molecules when it numbers them (GROMACS TPR
    ``molnums``), else bonded fragments when it has bonds, else residues.

    A TPR's molecule numbers come first because its bonds miss massless virtual sites (the M site of
    TIP4P water is bonded to nothing, so bonded fragments would split every water molecule in two).
    Fragments are the connected components of the bond graph, numbered in the order of their first
    atom (as MDAnalysis' ``fragindices``, at a fraction of its cost on large systems).
    """
    return _molecule_ids(universe, _bond_pairs(universe))


def _bond_pairs(universe) -> np.ndarray | None:
    """Bonded atom index pairs (n_bonds, 2), or None when the topology has no bonds."""
    try:
        return universe.bonds.to_indices()
    except (NoDataError, AttributeError):
        return None


def _molecule_ids(universe, bonds: np.ndarray | None) -> np.ndarray:
    molnums = getattr(universe.atoms, "molnums", None)
    if molnums is not None:
        return np.unique(np.asarray(molnums), return_inverse=True)[1].reshape(-1)
    if bonds is None:
        return np.asarray(universe.atoms.resindices)
    n_atoms = len(universe.atoms)
    graph = sp.coo_matrix((np.ones(len(bonds)), (bonds[:, 0], bonds[:, 1])), shape=(n_atoms, n_atoms))
    return connected_components(graph, directed=False)[1]


def _masses(universe) -> np.ndarray:
    try:
        return np.asarray(universe.atoms.masses, dtype=np.float64)
    except NoDataError:
        raise IonscaleError(
            "the topology has no atom masses, and transport needs them for centres of mass and the "
            "barycentric frame. Use a topology that carries masses (TPR, PSF, PRMTOP, LAMMPS data), "
            "or add them: universe.add_TopologyAttr('masses', values_in_g_per_mol)."
        ) from None


def _charges(universe) -> np.ndarray | None:
    try:
        return np.asarray(universe.atoms.charges, dtype=np.float64)
    except NoDataError:
        return None


def _molecule_signature(names: np.ndarray, masses: np.ndarray) -> tuple:
    return tuple(names), tuple(np.round(masses, 3))


def list_species(universe, particles: str = "molecules") -> list[SpeciesInfo]:
    """The kinds of molecules (or, with ``particles="atoms"``, of atoms) in a universe, to help pick selections.

    Molecules with the same atom types (or names) in the same order and the same masses are one kind.
    Each entry suggests a selection that matches exactly its atoms (``resname`` or ``type``), when
    one exists. Without charges in the topology the net charge is NaN.
    """
    mol = molecule_ids(universe) if particles == "molecules" else np.arange(len(universe.atoms))
    masses = _masses(universe)
    charges = _charges(universe)
    atoms = universe.atoms
    kinds = atoms.types if hasattr(atoms, "types") else atoms.names
    order = np.argsort(mol, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(mol[order]) != 0])
    groups: dict[tuple, list[np.ndarray]] = {}
    for idx in np.split(order, starts[1:]):
        groups.setdefault(_molecule_signature(kinds[idx], masses[idx]), []).append(idx)
    found = []
    for (types, _), members in groups.items():
        first = members[0]
        every = np.concatenate(members)
        resnames = sorted(set(atoms[every].resnames)) if hasattr(atoms, "resnames") else []
        name = resnames[0] if len(resnames) == 1 and resnames[0] else "+".join(sorted(set(types)))[:40]
        found.append(SpeciesInfo(
            name=name,
            count=len(members),
            n_atoms=len(first),
            net_charge_e=float(charges[first].sum()) if charges is not None else float("nan"),
            mass_g_mol=float(masses[first].sum()),
            selection=_exact_selection(universe, every, resnames, types),
        ))
    return sorted(found, key=lambda s: (-abs(s.net_charge_e) if s.net_charge_e == s.net_charge_e else 0, s.name))


def _exact_selection(universe, indices: np.ndarray, resnames: list, types: tuple) -> str:
    candidates = []
    if len(resnames) == 1 and resnames[0]:
        candidates.append(f"resname {resnames[0]}")
    candidates.append("type " + " ".join(sorted(set(types))))
    candidates.append("name " + " ".join(sorted(set(types))))
    wanted = set(indices.tolist())
    for sel in candidates:
        try:
            if set(universe.select_atoms(sel).indices.tolist()) == wanted:
                return sel
        except SelectionError:
            continue
    return "(no simple selection: combine index/type/resid)"


def _named(selections: Selections, role: str) -> dict[str, str]:
    """Normalise a role's selections to {label: selection}; labels default to the role name."""
    if selections is None:
        return {}
    if isinstance(selections, str):
        return {role: selections}
    if isinstance(selections, Mapping):
        return dict(selections)
    sels = list(selections)
    if len(sels) == 1:
        return {role: sels[0]}
    return {f"{role}{k + 1}": sel for k, sel in enumerate(sels)}


class Electrolyte:
    """An MD system seen as species: one cation, one or more anions, zero or more solvents.

    Build it with :meth:`from_universe`. It holds the universe (for the streaming pass) and the
    species, ions first (cation, then anions), then solvents.

    Parameters
    ----------
    universe : MDAnalysis.Universe
    species : sequence of Species
    timestep_ps : float, optional
        Time between stored frames in ps, for trajectories that carry no time (e.g. LAMMPS dumps).
    force_timestep : bool
        Use ``timestep_ps`` although the trajectory stores another frame interval (else refused).
    notes : list of str
        What the constructor assumed (scaled charges, molecule definition, ...), for the report.
    """

    def __init__(self, universe, species: Sequence[Species], *, timestep_ps: float | None = None,
                 force_timestep: bool = False, notes: Sequence[str] = (), implicit_solvent: bool = False,
                 molecules: np.ndarray | None = None):
        self.universe = universe
        self.species = list(species)
        self.timestep_ps = timestep_ps
        self.force_timestep = force_timestep
        self.notes = list(notes)
        #: the ions move in a continuum at rest (implicit solvent): the lab frame is the solvent frame.
        #: False without solvent species means a solvent-free system (melt, ionic liquid): no solvent frame.
        self.implicit_solvent = bool(implicit_solvent)
        #: molecule index of every atom of the universe (how molecules are made whole in the pass)
        self.molecules = molecule_ids(universe) if molecules is None else np.asarray(molecules)

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_universe(cls, universe, cation: Selections, anion: Selections, solvent: Selections = None, *,
                      valences: Mapping[str, int] | None = None, centers: Mapping[str, str] | None = None,
                      allow_non_neutral: bool = False, timestep_ps: float | None = None,
                      force_timestep: bool = False, allow_unassigned: bool = False, implicit_solvent: bool = False,
                      particles: str = "molecules") -> "Electrolyte":
        """Define species by MDAnalysis selections.

        Parameters
        ----------
        universe : MDAnalysis.Universe
            Needs masses; needs partial charges unless ``valences`` gives every ion's valence.
        cation, anion, solvent : str, list of str, or {label: str}
            Selections of whole molecules. A list gives several species of that role (labels
            ``anion1``, ``anion2``, ...); a dict names them. Exactly one cation species is required.
        valences : {label: int}, optional
            Override the formal charge of a species (default: rounded sum of partial charges).
        centers : {label: str}, optional
            Track the centre of mass of these atoms of each molecule instead of the whole molecule.
        allow_non_neutral : bool
            Proceed although the formal charges of the ions do not sum to zero.
        timestep_ps : float, optional
            Time between frames in ps; required when the trajectory carries no time information. When
            the trajectory stores times, a different ``timestep_ps`` is refused unless ``force_timestep``.
        force_timestep : bool
            Let ``timestep_ps`` override the frame interval the trajectory stores.
        allow_unassigned : bool
            Proceed although atoms belong to no species while no solvent is selected. Such atoms (an
            explicit solvent forgotten in the selections) count in the barycentre but the "solvent frame"
            becomes the lab frame, as for an implicit solvent — wrong when they are a moving solvent.
            Without a solvent selection this is refused unless allowed; with one, it is noted and warned.
        implicit_solvent : bool
            The ions move in a continuum solvent at rest (no solvent species): the lab frame is then the
            solvent frame. Without solvent species and without this flag the system has no solvent
            (a molten salt, an ionic liquid): no solvent frame, no ρ+ or Newman number (SPEC §2.1).
        particles : {"molecules", "atoms"}
            What a particle is: a molecule (the topology's molecules, bonded fragments or residues), or
            every atom on its own — for monatomic melts and topologies without bonds or residues
            (xyz files), where residues would make one big molecule.
        """
        if particles not in PARTICLES:
            raise IonscaleError(f"particles must be one of {', '.join(PARTICLES)}, got {particles!r}")
        if implicit_solvent and solvent:
            raise IonscaleError("implicit_solvent (--implicit-solvent) means the solvent is a continuum, but "
                                f"solvent species were selected ({solvent!r}); drop one of the two")
        roles = {"cation": _named(cation, "cation"), "anion": _named(anion, "anion"),
                 "solvent": _named(solvent, "solvent")}
        if len(roles["cation"]) != 1:
            raise IonscaleError(f"exactly one cation species is needed, got {len(roles['cation'])}: "
                                "give one selection with cation=...")
        if not roles["anion"]:
            raise IonscaleError("no anion selection: give at least one with anion=...")
        labels = [label for r in ROLES for label in roles[r]]
        if len(set(labels)) != len(labels):
            raise IonscaleError(f"species labels must be unique, got {labels}")
        valences = dict(valences or {})
        centers = dict(centers or {})
        for what, given in (("valences", valences), ("centers", centers)):
            unknown = set(given) - set(labels)
            if unknown:
                raise IonscaleError(f"{what} names unknown species {sorted(unknown)}; species are {labels}")
        if timestep_ps is not None and not timestep_ps > 0:
            raise IonscaleError(f"the time between frames (--timestep, timestep_ps) must be a positive time in ps, "
                                f"got {timestep_ps}")

        masses = _masses(universe)
        charges = _charges(universe)
        bonds = _bond_pairs(universe)
        if particles == "atoms":
            mol = np.arange(len(masses))
            notes = ["every atom is a particle (particles='atoms'): positions are atoms, not molecules"]
        else:
            mol = _molecule_ids(universe, bonds)
            notes = [] if bonds is not None or hasattr(universe.atoms, "molnums") else [
                "the topology has no bonds: each residue is taken as one molecule"]
        atoms_per_molecule = np.bincount(mol)
        species, taken = [], np.zeros(len(masses), bool)
        for role in ROLES:
            for label, sel in roles[role].items():
                s = _build_species(universe, label, role, sel, mol, atoms_per_molecule, masses, charges,
                                   valences.get(label), centers.get(label), notes)
                overlap = taken[s.atom_indices]
                if overlap.any():
                    raise IonscaleError(f"selection {sel!r} of {label} shares atoms with another species "
                                        f"(e.g. atom index {s.atom_indices[overlap][0]}); make selections disjoint")
                taken[s.atom_indices] = True
                species.append(s)

        net = sum(s.n_molecules * s.valence for s in species if s.is_ion)
        if net != 0 and not allow_non_neutral:
            detail = ", ".join(f"{s.n_molecules} × {s.label} ({s.valence:+d})" for s in species if s.is_ion)
            raise IonscaleError(
                f"the ions are not neutral: {detail} sum to {net:+d} e. Check the selections and valences "
                "(valences={...}), or pass allow_non_neutral=True (--allow-non-neutral) to proceed anyway.")
        if net != 0:
            notes.append(f"the ions carry a net formal charge of {net:+d} e (allowed by the user)")
        if not taken.all():
            _unassigned(universe, np.flatnonzero(~taken), mol, any(s.role == "solvent" for s in species),
                        allow_unassigned, notes)
        notes += simulation_notes(universe)
        return cls(universe, species, timestep_ps=timestep_ps, force_timestep=force_timestep, notes=notes,
                   implicit_solvent=implicit_solvent, molecules=mol)

    # -- views -------------------------------------------------------------------------------
    @property
    def ions(self) -> list[Species]:
        """Ionic species: the cation first, then the anions."""
        return [s for s in self.species if s.is_ion]

    @property
    def solvents(self) -> list[Species]:
        return [s for s in self.species if not s.is_ion]

    @property
    def cation(self) -> Species:
        return self.species[0]

    @property
    def has_solvent(self) -> bool:
        return bool(self.solvents)

    @property
    def valences(self) -> np.ndarray:
        """Valences of the ionic species, shape (n_ion_species,)."""
        return np.array([s.valence for s in self.ions], dtype=float)

    @property
    def counts(self) -> np.ndarray:
        """Number of molecules of each ionic species, shape (n_ion_species,)."""
        return np.array([s.n_molecules for s in self.ions], dtype=float)

    def __repr__(self) -> str:
        body = "\n  ".join(repr(s) for s in self.species)
        return f"Electrolyte({len(self.universe.atoms)} atoms, {len(self.universe.trajectory)} frames)\n  {body}"


def _unassigned(universe, indices: np.ndarray, mol: np.ndarray, has_solvent: bool, allowed: bool,
                notes: list) -> None:
    """Atoms in no species: refused without a solvent selection (the solvent frame would silently be the
    lab frame), else noted and warned; the message names them and suggests a selection."""
    import warnings
    atoms = universe.atoms[indices]
    share = len(indices) / len(universe.atoms)
    field = "type" if hasattr(atoms, "types") else "name"
    kinds = sorted(set(map(str, atoms.types if field == "type" else atoms.names)))
    resnames = sorted(set(map(str, atoms.resnames))) if hasattr(atoms, "resnames") else []
    molecules, inverse = np.unique(mol[indices], return_inverse=True)
    charges = _charges(universe)
    charged = charges is not None and bool((np.abs(np.bincount(inverse, weights=charges[indices])) > 0.5).any())
    what = (f"{_count(len(indices), 'atom')} ({100 * share:.0f} % of the system, {_count(len(molecules), 'molecule')}; "
            f"{'resnames ' + ' '.join(resnames[:10]) + ', ' if resnames and all(resnames) else ''}"
            f"{field}s {' '.join(kinds[:20])}{' ...' if len(kinds) > 20 else ''}; e.g. atom index "
            f"{indices[0]}) belong to no species")
    role, option = ("an ion species, as they carry charge", "--cation/--anion") if charged else ("solvent", "--solvent")
    hint = f"select them as {role} ({option} SELECTION)"
    for selection in ([f"resname {' '.join(resnames)}"] if resnames and all(resnames) else []) + \
            [f"{field} {' '.join(kinds)}"]:
        try:
            exact = np.array_equal(np.sort(universe.select_atoms(selection).indices), np.sort(indices))
        except Exception:  # noqa: BLE001 — a suggestion only; MDAnalysis raises many types
            exact = False
        if exact:
            hint = f"select them as {role} ({option} {selection!r})"
            break
    if not has_solvent and not allowed:
        raise IonscaleError(
            f"{what}, and no solvent is selected, so the solvent frame would leave them out (for an implicit "
            "solvent it is the lab frame): wrong if they are an explicit solvent. "
            f"{hint[0].upper() + hint[1:]}, or pass "
            "allow_unassigned=True (--allow-unassigned) if they are not a solvent that moves.")
    message = (f"{what}; they count in the barycentre but not in the solvent frame"
               + ("" if has_solvent else " (the lab frame, as for an implicit solvent)") + f" — to include them, {hint}")
    notes.append(message)
    warnings.warn(message, stacklevel=3)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _build_species(universe, label, role, selection, mol, atoms_per_molecule, masses, charges,
                   valence_override, center_selection, notes) -> Species:
    try:
        group = universe.select_atoms(selection)
    except (SelectionError, ValueError) as err:
        raise IonscaleError(f"{label}: cannot parse selection {selection!r}: {err}") from None
    if len(group) == 0:
        hint = "; ".join(str(s) for s in list_species(universe)[:8])
        raise IonscaleError(f"{label}: selection {selection!r} matches no atoms. Molecules in this "
                            f"topology: {hint}")
    idx = group.indices
    idx = idx[np.lexsort((idx, mol[idx]))]  # molecule after molecule
    m = mol[idx]
    present = np.bincount(m, minlength=len(atoms_per_molecule))
    split = np.flatnonzero((present > 0) & (present != atoms_per_molecule))
    if split.size:
        k = split[0]
        raise IonscaleError(
            f"{label}: selection {selection!r} splits {split.size} molecule(s): e.g. it takes "
            f"{present[k]} of the {atoms_per_molecule[k]} atoms of molecule {k}. Select whole molecules "
            f"(e.g. by resname or all their atom types); to follow a part of each molecule use "
            f"centers={{{label!r}: ...}}{ATOMS_HINT}.")
    molecule_of_atom = np.unique(m, return_inverse=True)[1]
    n_mol = int(molecule_of_atom[-1]) + 1
    sizes = np.bincount(molecule_of_atom)
    mol_mass = np.bincount(molecule_of_atom, weights=masses[idx])
    if len(set(sizes)) != 1 or np.ptp(mol_mass) > 1e-6 * mol_mass.max():
        raise IonscaleError(f"{label}: selection {selection!r} matches different kinds of molecules "
                            f"({sorted(set(sizes.tolist()))} atoms, masses "
                            f"{sorted(set(np.round(mol_mass, 3).tolist()))} g/mol); give each kind its own species{ATOMS_HINT}.")
    if not mol_mass[0] > 0:
        raise IonscaleError(f"{label}: its molecules have zero mass; the topology's masses are missing "
                            "or were guessed as 0 — supply masses (universe.add_TopologyAttr('masses', ...)).")

    topo_charge = float("nan")
    if charges is not None:
        mol_charge = np.bincount(molecule_of_atom, weights=charges[idx])
        if np.ptp(mol_charge) > 1e-3:
            raise IonscaleError(f"{label}: molecules of {selection!r} carry different charges "
                                f"({mol_charge.min():+.3f} to {mol_charge.max():+.3f} e); split the species.")
        topo_charge = float(mol_charge[0])
    valence = _valence(label, role, topo_charge, valence_override, notes)
    center_mask = np.ones(len(idx), bool)
    if center_selection is not None:
        try:
            center_mask = np.isin(idx, universe.select_atoms(center_selection).indices)
        except (SelectionError, ValueError) as err:
            raise IonscaleError(f"{label}: cannot parse centre selection {center_selection!r}: {err}") from None
        missing = n_mol - len(np.unique(molecule_of_atom[center_mask]))
        if missing:
            raise IonscaleError(f"{label}: centre selection {center_selection!r} matches no atom in {missing} "
                                "of its molecules; it must pick atoms in every molecule.")
        if not (np.bincount(molecule_of_atom, weights=masses[idx] * center_mask) > 0).all():
            raise IonscaleError(f"{label}: centre atoms {center_selection!r} have zero mass.")
        notes.append(f"{label}: positions are centres of mass of {center_selection!r}, not of whole molecules")
    return Species(label=label, role=role, selection=selection, atom_indices=idx,
                   molecule_of_atom=molecule_of_atom, center_mask=center_mask, valence=valence,
                   molecule_mass_g_mol=float(mol_mass[0]), topology_charge_e=topo_charge)


#: the record ``ionscale simulate`` writes beside its trajectory (:mod:`ionscale.simulate.protocol`)
SIMULATION_RECORD = "parameters.json"


def simulation_notes(universe) -> list[str]:
    """What an ``ionscale simulate`` run says about its trajectory, read from the ``parameters.json`` beside
    each trajectory file, as notes: its time mapping (physical ps through the named mapping, or model units
    for explicit solvent), so that every D, κ and time computed from it says which; and the continuum ε_r
    its force field scales the (formal) topology charges by, which the Debye length needs. No note for a
    trajectory that ionscale did not simulate."""
    reader = getattr(universe, "trajectory", None)  # None: a topology alone
    files = getattr(reader, "filenames", None) or [getattr(reader, "filename", None)]
    notes = []
    for name in files:
        if not isinstance(name, str):
            continue
        try:
            record = json.loads((Path(name).parent / SIMULATION_RECORD).read_text())
            if not str(record.get("format", "")).startswith("ionscale-simulation/"):
                continue
            notes.append(f"simulated by ionscale: {record['time_mapping']['text']}")
            notes.append(f"simulated by ionscale with a continuum ε_r = {record['config']['epsilon_r']:g} (the force "
                         "field scales the formal charges of the topology): give it for the Debye length "
                         f"(--epsilon-r {record['config']['epsilon_r']:g})")
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue  # no record, or not one of ours
    return list(dict.fromkeys(notes))


def _valence(label: str, role: str, charge: float, override: int | None, notes: list) -> int:
    if override is not None:
        if int(override) != override:
            raise IonscaleError(f"{label}: valence must be an integer, got {override}")
        z = int(override)
        if role != "solvent" and z == 0:
            raise IonscaleError(f"{label}: an ion cannot have valence 0")
        if charge == charge and abs(charge - z) > SCALED_CHARGE_TOLERANCE_E:
            notes.append(f"{label}: topology charge {charge:+.3f} e, valence set to {z:+d} by the user")
    elif charge != charge:
        if role != "solvent":
            raise IonscaleError(
                f"{label}: the topology has no partial charges, so the valence is unknown. Give it, e.g. "
                f"valences={{{label!r}: {'+1' if role == 'cation' else '-1'}}} (CLI: --valence {label}=...), "
                "or use a topology with charges.")
        z = 0
    else:
        z = int(np.rint(charge))
        if abs(charge - z) > SCALED_CHARGE_TOLERANCE_E:
            notes.append(f"{label}: topology charge {charge:+.3f} e rounded to valence {z:+d} (scaled charges)")
    sign = {"cation": 1, "anion": -1, "solvent": 0}[role]
    if np.sign(z) != sign:
        what = {1: "positive", -1: "negative", 0: "zero"}[sign]
        raise IonscaleError(
            f"{label}: role {role} needs a {what} valence but one molecule has charge {charge:+.3f} e "
            f"(valence {z:+d}). Check the selection, or set the valence explicitly (valences={{{label!r}: ...}}).")
    return z
