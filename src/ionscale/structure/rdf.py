"""Cation–donor radial distribution functions, running coordination numbers and shell cut-offs.

From the contacts of the pass (every pair within the collection radius), per coordinating species s
with N_s donor atoms and N_c cations over n_f frames of volumes V_f:

    g_s(r) = H_s(r) / (n_f N_c N_s ⟨1/V⟩ · 4π/3 (r₂³ − r₁³))      H_s: pair counts in the bin [r₁, r₂)
    n_s(r) = (number of donor atoms of s within r of a cation) / (n_f N_c)

n_s(r) is the running coordination number in donor atoms (the RDF integral ρ_s ∫ g 4πr² dr).

The cut-off of a species is the first minimum after the first peak of g_s (SPEC §4, Fang et al. 2026
Fig. 4, Coste et al. 2026 §II), found robustly on sparsely sampled RDFs:

1. g_s is smoothed with a Gaussian of width ``smooth_nm`` (default 0.01 nm);
2. peaks and minima count only when their prominence (scipy.signal.find_peaks) is at least
   ``prominence`` (default 0.05, in units of g, whose bulk value is 1);
3. the first minimum is the first one after the first peak that lies below half of that peak's height
   — a noise dip on top of a sharp first peak is not a shell boundary, and inside the empty gap that
   follows a sharp Li⁺ peak every position gives the same shells.

A species whose smoothed g stays below ``PEAK_G`` = 2 (twice the ideal-gas value) over the collected
range has no contact peak: it never enters a shell (cut-off NaN, with a note), as ideal particles.

Later minima (the second one bounds solvent-separated ion pairs) need only the prominence. A minimum
at the edge of the collected range is not a minimum: the analysis then asks for a larger radius or an
explicit cut-off.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.signal import find_peaks

from .contacts import Contacts
from .sites import Sites


@dataclass(frozen=True, eq=False)
class RDF:
    """Cation–donor RDFs of every coordinating species.

    Attributes
    ----------
    r_nm : ndarray, shape (n_bins,)
        Bin centres.
    g : ndarray, shape (n_species, n_bins)
        g_s(r); NaN beyond the collection radius of species s.
    n : ndarray, shape (n_species, n_bins)
        Running coordination number (donor atoms per cation within r); NaN beyond the radius.
    """

    r_nm: np.ndarray
    g: np.ndarray
    n: np.ndarray


def radial_distribution(contacts: Contacts, sites: Sites, radius_nm: np.ndarray, bin_nm: float) -> RDF:
    """g_s(r) and n_s(r) of every species from the contacts, in bins of ``bin_nm`` up to its radius."""
    n_bins = int(np.ceil(radius_nm.max() / bin_nm - 1e-9))
    edges = bin_nm * np.arange(n_bins + 1)
    n_species = len(sites.species)
    species = sites.donor_species[contacts.donor]
    bins = np.minimum((contacts.distance_nm / bin_nm).astype(np.int64), n_bins - 1)
    counts = np.bincount(species * n_bins + bins, minlength=n_species * n_bins).reshape(n_species, n_bins)
    per_cation = contacts.n_frames * sites.n_cations
    density = np.bincount(sites.donor_species, minlength=n_species) * np.mean(1.0 / contacts.volume_nm3)
    shell = 4.0 / 3.0 * np.pi * np.diff(edges ** 3)
    with np.errstate(invalid="ignore", divide="ignore"):
        g = counts / (per_cation * density[:, None] * shell)
    n = (np.cumsum(counts, axis=1) - 0.5 * counts) / per_cation
    beyond = edges[1:][None, :] > radius_nm[:, None] + 1e-12
    return RDF(0.5 * (edges[1:] + edges[:-1]), np.where(beyond, np.nan, g), np.where(beyond, np.nan, n))


#: smoothed g(r) that a contact peak reaches at least (the ideal-gas value is 1)
PEAK_G = 2.0


def has_contact_peak(r_nm: np.ndarray, g: np.ndarray, smooth_nm: float = 0.01) -> bool:
    """Whether g, smoothed by a Gaussian of ``smooth_nm``, reaches ``PEAK_G`` over its finite range."""
    finite = np.isfinite(g)
    r, g = r_nm[finite], g[finite]
    if g.size < 3:
        return False
    return bool(gaussian_filter1d(g, smooth_nm / (r[1] - r[0]), mode="nearest").max() >= PEAK_G)


def rdf_minima(r_nm: np.ndarray, g: np.ndarray, smooth_nm: float = 0.01, prominence: float = 0.05) -> np.ndarray:
    """Positions (nm) of the shell minima of g, nearest first, shape (k,): the first minimum after the
    first peak (see the module docstring), then every later minimum.

    ``g`` may end in NaN (beyond the collected range); edges are never minima. Empty when there is
    no first minimum inside the range."""
    finite = np.isfinite(g)
    r, g = r_nm[finite], g[finite]
    if g.size < 3 or not g.max() > 0:
        return np.empty(0)
    smooth = gaussian_filter1d(g, smooth_nm / (r[1] - r[0]), mode="nearest")
    peaks, _ = find_peaks(smooth, prominence=prominence)
    troughs, _ = find_peaks(-smooth, prominence=prominence)
    if peaks.size == 0:
        return np.empty(0)
    after = troughs[troughs > peaks[0]]
    deep = after[smooth[after] <= 0.5 * smooth[peaks[0]]]
    return r[after[after >= deep[0]]] if deep.size else np.empty(0)
