"""Contacts the donor atoms miss: an ion species that never enters a cation's shell although it touches it.

Donor atoms decide which contacts count (:mod:`.sites`). When they leave out the atoms that actually
touch the cation — Cl⁻ with donors "O and N", a fluorinated anion that binds through F, a shell cut-off
set too short — the analysis finds no contacts and calls every cation free, every anion free, and the
cluster Nernst–Einstein conductivity of free ions; nothing looks wrong. This check catches it.

For every ion species (other than the cation) with no molecule in any cation's first shell, it reads a
few frames spread over the trajectory and computes the RDF between the cation sites and **all** atoms of
that species, up to the collection radius of the structure analysis:

    g(r) = H(r) / (n_f N_c N_a ⟨1/V⟩ · 4π/3 (r₂³ − r₁³))

(the estimator of :mod:`.rdf`), smoothed by a Gaussian of 0.01 nm. The species is reported when this
RDF has a first peak: a smoothed g of at least ``PEAK_G`` = 2 (twice the ideal-gas value; an ion pair's
contact peak is g ≈ 5–20, a second shell g ≈ 1.2–1.5) with at least ``MIN_PAIRS`` = 5 pairs counted
within 0.05 nm of the peak, so that one close pair in a sparse histogram does not count as a peak.
The message names the species, the peak position and the donors used, and says how to name others.
"""

from __future__ import annotations

import numpy as np
from MDAnalysis.lib.distances import capped_distance
from scipy.ndimage import gaussian_filter1d

from .rdf import PEAK_G

#: pairs within 0.05 nm of the peak that make it a peak, not noise
MIN_PAIRS = 5
#: frames read for the check, spread evenly over the trajectory
CHECK_FRAMES = 5
BIN_NM = 0.005
SMOOTH_NM = 0.01


def species_rdf(universe, cation_atoms: np.ndarray, atoms: np.ndarray, radius_nm: float,
                n_frames: int = CHECK_FRAMES) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """RDF between ``cation_atoms`` and ``atoms`` (universe indices) over ``n_frames`` frames spread
    evenly over the trajectory: bin centres (nm), g(r), and pair counts per bin."""
    n_bins = int(np.ceil(radius_nm / BIN_NM - 1e-9))
    edges = BIN_NM * np.arange(n_bins + 1)
    counts = np.zeros(n_bins)
    trajectory = universe.trajectory
    frames = np.unique(np.linspace(0, len(trajectory) - 1, min(n_frames, len(trajectory))).astype(int))
    inverse_volume = []
    for ts in trajectory[frames]:
        positions = universe.atoms.positions
        _, distances = capped_distance(positions[cation_atoms], positions[atoms], max_cutoff=radius_nm * 10.0,
                                       box=ts.dimensions)  # Å
        counts += np.bincount(np.minimum((distances / 10.0 / BIN_NM).astype(int), n_bins - 1), minlength=n_bins)
        inverse_volume.append(1000.0 / ts.volume)  # Å³ → nm⁻³
    shell = 4.0 / 3.0 * np.pi * np.diff(edges ** 3)
    g = counts / (len(frames) * len(cation_atoms) * len(atoms) * np.mean(inverse_volume) * shell)
    return 0.5 * (edges[1:] + edges[:-1]), g, counts


def first_peak(r_nm: np.ndarray, g: np.ndarray, counts: np.ndarray) -> tuple[float, float] | None:
    """(position nm, smoothed height) of a first peak of g by the module's criterion, or None."""
    smooth = gaussian_filter1d(g, SMOOTH_NM / BIN_NM, mode="nearest")
    k = int(np.argmax(smooth))
    near = np.abs(r_nm - r_nm[k]) <= 0.05
    if smooth[k] >= PEAK_G and counts[near].sum() >= MIN_PAIRS:
        return float(r_nm[k]), float(smooth[k])
    return None


def missed_contacts(electrolyte, sites, shell_molecules: dict, radius_nm: float) -> list[str]:
    """Warnings for the ion species that never enter a shell although their RDF has a first peak.

    Parameters
    ----------
    electrolyte : Electrolyte
    sites : Sites of the structure analysis (cation sites, donors and their descriptions)
    shell_molecules : {species label: mean molecules per shell}
    radius_nm : float, how far the RDF is computed (the analysis' collection radius)
    """
    messages = []
    for species in electrolyte.species:
        if species.role != "anion" or not shell_molecules.get(species.label, np.nan) == 0:
            continue
        found = first_peak(*species_rdf(electrolyte.universe, sites.cation_atoms, species.atom_indices, radius_nm))
        if found is None:
            continue
        r, g = found
        messages.append(
            f"{species.label}: no contact with a {sites.cation} in any frame, although the RDF of the "
            f"{sites.cation} and all {species.label} atoms has a first peak at {r:.3f} nm (g = {g:.1f}): its donor "
            f"atoms ({sites.descriptions.get(species.label, '?')}) or its cut-off miss the atoms that touch "
            f"the cation. Name them: --donors {species.label}=\"SELECTION\" (Python: donors={{...}}), "
            "or check --cutoff.")
    return messages
