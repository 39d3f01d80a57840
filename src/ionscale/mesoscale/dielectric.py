"""The continuum reference of screening: the solvent's dielectric constant and the Debye length (SPEC §7).

Theory
------
Debye length of point ions in a dielectric continuum (Debye & Hückel 1923; Coste et al. §V.A):

    λ_D = sqrt(ε0 ε_r k_B T / (e² Σ_i ρ_i z_i²)),   ρ_i = N_i / V.

Static dielectric constant from the fluctuations of the total dipole M of the neutral molecules, with
conducting (tin-foil) boundaries as in Ewald sums (Neumann 1983):

    ε = 1 + (<M²> − <M>²) / (3 ε0 V k_B T).

With ions present this is an approximation: M leaves out the ions' own polarisation current, and the
ion–dipole cross term that a full treatment separates is ignored; the fluctuations also converge
slowly (nanoseconds for water-like solvents). It is labelled as such in every output.
"""

from __future__ import annotations

import hashlib

import numpy as np
from scipy import constants

from ..core.units import C_M_PER_E_NM, M3_PER_NM3
from ..errors import IonscaleError
from ..system import Electrolyte

ANGSTROM_PER_NM = 10.0


def debye_length_nm(number_density_nm3: np.ndarray, valences: np.ndarray, epsilon_r: float,
                    temperature_K: float) -> float:
    """λ_D in nm. number_density_nm3 : (n_species,) ρ_i in nm⁻³; valences : (n_species,)."""
    if not epsilon_r > 0 or not temperature_K > 0:
        raise IonscaleError(f"the Debye length needs ε_r > 0 and T > 0 K, got ε_r = {epsilon_r}, T = {temperature_K}")
    strength = np.sum(np.asarray(number_density_nm3, float) / M3_PER_NM3 * np.asarray(valences, float) ** 2)
    return float(np.sqrt(constants.epsilon_0 * epsilon_r * constants.k * temperature_K
                         / (constants.e ** 2 * strength)) * 1e9)


def dielectric_constant(dipole_e_nm: np.ndarray, volume_nm3: float, temperature_K: float) -> float:
    """ε from the total dipole of the neutral molecules. dipole_e_nm : (n_frames, 3) in e·nm."""
    m = np.asarray(dipole_e_nm, dtype=float) * C_M_PER_E_NM
    if len(m) < 2:
        raise IonscaleError("the dielectric constant needs the dipole of at least two frames")
    fluctuation = np.mean(np.sum(m ** 2, axis=1)) - np.sum(np.mean(m, axis=0) ** 2)
    return float(1.0 + fluctuation / (3 * constants.epsilon_0 * volume_nm3 * M3_PER_NM3 * constants.k * temperature_K))


class SolventDipoles:
    """A store :class:`~ionscale.trajectory.Collector` of the total dipole M (e·nm) of the solvent molecules.

    M = Σ_a q_a (r_a − r_first(a)) over the atoms of the neutral molecules, each molecule made whole by
    the minimum image about its first atom (for a neutral molecule the dipole does not depend on the
    origin). Assumes no molecule is longer than half the box.

    Parameters
    ----------
    atom_indices : (n_atoms,) universe indices of the solvent atoms.
    first_atom : (n_atoms,) universe index of the first atom of each one's molecule.
    charges_e : (n_atoms,) partial charges in e.
    """

    name = "dipoles"

    def __init__(self, atom_indices: np.ndarray, first_atom: np.ndarray, charges_e: np.ndarray):
        self.atom_indices = np.asarray(atom_indices, dtype=np.int64)
        self.first_atom = np.asarray(first_atom, dtype=np.int64)
        self.charges_e = np.asarray(charges_e, dtype=np.float64)
        digest = hashlib.sha256(self.atom_indices.tobytes() + self.charges_e.tobytes()).hexdigest()[:16]
        self.key = digest

    @classmethod
    def from_electrolyte(cls, electrolyte: Electrolyte) -> "SolventDipoles":
        """All solvent species; their molecules must be neutral and carry partial charges."""
        solvents = electrolyte.solvents
        if not solvents:
            raise IonscaleError("the dielectric constant needs explicit solvent molecules; give ε_r instead")
        if any(s.topology_charge_e != s.topology_charge_e for s in solvents):
            raise IonscaleError("the topology has no partial charges, so solvent dipoles are unknown; give ε_r instead")
        charged = [s.label for s in solvents if abs(s.topology_charge_e) > 1e-6]
        if charged:
            raise IonscaleError(f"solvent species {charged} are not neutral: their dipole depends on the origin")
        atoms = np.concatenate([s.atom_indices for s in solvents])
        charges = electrolyte.universe.atoms.charges[atoms]
        if not np.any(charges):
            raise IonscaleError("the solvent atoms carry no partial charges (all zero, e.g. neutral beads): they "
                                "have no dipole to fluctuate; give ε_r instead")
        first = np.concatenate([s.atom_indices[np.r_[0, np.flatnonzero(np.diff(s.molecule_of_atom)) + 1]]
                                [s.molecule_of_atom] for s in solvents])
        return cls(atoms, first, charges)

    def collect(self, ts) -> dict:
        x = ts.positions.astype(np.float64)
        relative = x[self.atom_indices] - x[self.first_atom]
        box = ts.dimensions.astype(np.float64)
        if np.allclose(box[3:], 90.0):
            relative -= box[:3] * np.rint(relative / box[:3])
        else:
            from MDAnalysis.lib.distances import minimize_vectors
            relative = minimize_vectors(relative, box)
        return {"dipole_e_nm": self.charges_e @ relative / ANGSTROM_PER_NM}

    def finish(self, frames: list) -> dict:
        return {"dipole_e_nm": np.array([f["dipole_e_nm"] for f in frames]).reshape(-1, 3)}
