"""Clusters as charge carriers: the cluster Nernst–Einstein conductivity and transference number.

Theory
------
France-Lanord & Grossman (Phys. Rev. Lett. 122, 136001, 2019) replace the ions of the Nernst–Einstein
relation by the clusters they form: each cluster of type c (n_k ions of species k) is an independent
carrier of charge q_c = Σ_k z_k n_k (in e), present on average P_c times per frame, diffusing with
D_c. Then

    σ_cNE = e² / (V k_B T) Σ_c P_c q_c² D_c ,
    t_+,cNE = Σ_c P_c (z_+ n_+,c) q_c D_c / Σ_c P_c q_c² D_c ,

the second being the share of the current carried by cations (a cluster moving along the field drags
its z_+ n_+ cationic charge with it; it is negative when cations travel mostly inside negative
clusters). Neutral clusters carry no current whatever their D. With only free ions it is κ_NE.

Assumptions: clusters move independently of each other (no correlation between distinct carriers),
each as a rigid unit over the time that defines D_c, and the population is stationary. It includes the
ion-pairing part of the cross correlations of the Onsager matrix but none of the rest; compare it with
κ_NE and the Onsager κ to see how much of the deviation from NE the clusters explain (Coste et al.,
§VII.C, IX.d).

The carrier diffusion coefficient D_c (``carrier=``):

- ``"majority"`` — the D of the ion species that dominates the cluster's charge: the cation's when
  q_c > 0, else that of the anion species carrying most of the cluster's negative charge
  (France-Lanord & Grossman's approximation; htp_md's exact choice "D_Li if i > j else D_TFSI").
- ``"com"`` — the cluster's own centre-of-mass motion: D_c = <|ΔR_cm(τ)|²> / (6τ) over clusters of
  type c that keep their membership for the whole lag τ (:mod:`.persistence`). Types never seen to
  survive τ fall back to the majority D (reported in the notes).
"""

from __future__ import annotations

import numpy as np
from scipy import constants

from ..core.units import M2_PER_NM2, S_PER_PS
from .clusters import Clusters
from .persistence import follow


def cluster_nernst_einstein(population: np.ndarray, charge: np.ndarray, cation_charge: np.ndarray,
                            diffusion_m2_s: np.ndarray, volume_m3: float, temperature_K: float) -> tuple[float, float]:
    """σ_cNE in S/m and t_+,cNE (module docstring).

    Parameters
    ----------
    population : (..., n_types) mean number of clusters of each type per frame (P_c); a leading axis
        (e.g. blocks of frames) gives one result per row.
    charge : (n_types,) net charge q_c in e.
    cation_charge : (n_types,) cationic charge z_+ n_+,c of each type in e.
    diffusion_m2_s : (n_types,) carrier diffusion coefficients D_c in m²/s (NaN allowed for neutral types).
    volume_m3, temperature_K : box volume and temperature.
    """
    charge = np.asarray(charge, dtype=float)
    weight = np.asarray(population, dtype=float) * np.where(charge != 0, np.asarray(diffusion_m2_s, float), 0.0)
    current = np.sum(weight * charge ** 2, axis=-1)
    sigma = constants.e ** 2 / (volume_m3 * constants.k * temperature_K) * current
    with np.errstate(invalid="ignore", divide="ignore"):  # no charged carrier: t_+ undefined (NaN)
        return sigma, np.sum(weight * np.asarray(cation_charge, float) * charge, axis=-1) / current


def majority_diffusion(compositions: np.ndarray, valences: np.ndarray, diffusion_m2_s: np.ndarray) -> np.ndarray:
    """D_c of each cluster type from the ion species that dominates its charge, shape (n_types,).

    compositions : (n_types, n_species), cation first; valences, diffusion_m2_s : (n_species,).
    Neutral types get NaN (they carry no current).
    """
    z = np.asarray(valences, dtype=float)
    partial = compositions * z                      # charge carried by each species in each type
    q = partial.sum(axis=1)
    anion = 1 + np.argmin(partial[:, 1:], axis=1)   # anion species with the most negative charge
    species = np.where(q > 0, 0, anion)
    return np.where(q != 0, np.asarray(diffusion_m2_s, dtype=float)[species], np.nan)


def center_of_mass_diffusion(clusters: Clusters, kind: np.ndarray, n_types: int, successor: np.ndarray,
                             positions_nm: np.ndarray, masses: np.ndarray, lag_frames: int,
                             frame_interval_ps: float) -> tuple[np.ndarray, np.ndarray]:
    """D_c from the centre-of-mass displacement of clusters that keep their identity over the lag.

    Parameters
    ----------
    clusters, successor : from :func:`~.clusters.find_clusters` and :func:`~.persistence.successors`.
    kind : (n_clusters,) type of each cluster (index into the distinct compositions).
    positions_nm : (n_frames, n_ions, 3) unwrapped ion positions in nm (the store's).
    masses : (n_ions,) mass of each ion in g/mol.
    lag_frames : lag τ in frames.

    Returns D_c in m²/s (NaN where no cluster of the type survives the lag) and the number of
    displacements behind each, both shape (n_types,).
    """
    n_clusters = len(clusters.frame)
    label = clusters.label.ravel()
    weight = np.tile(masses, clusters.n_frames)
    flat = positions_nm.reshape(-1, 3)
    total = np.bincount(label, weights=weight, minlength=n_clusters)
    center = np.stack([np.bincount(label, weights=weight * flat[:, k], minlength=n_clusters) for k in range(3)],
                      axis=1) / total[:, None]
    later = follow(successor, lag_frames)
    alive = later >= 0
    squared = np.sum((center[later[alive]] - center[alive]) ** 2, axis=1)
    n = np.bincount(kind[alive], minlength=n_types)
    msd = np.bincount(kind[alive], weights=squared, minlength=n_types) / np.maximum(n, 1)
    lag_s = lag_frames * frame_interval_ps * S_PER_PS
    return np.where(n > 0, msd * M2_PER_NM2 / (6.0 * lag_s), np.nan), n


def endpoint_diffusion_m2_s(positions_nm: np.ndarray, time_ps: np.ndarray) -> float:
    """htp_md's self-diffusion coefficient: D = <|r(t_end) − r(t_0)|²> / (6 (t_end − t_0)), in m²/s.

    positions_nm : (n_frames, n, 3) unwrapped; time_ps : (n_frames,). One displacement per particle,
    no time-origin average and no fit: a quick estimate, exact only in the diffusive limit.
    """
    squared = np.sum((positions_nm[-1] - positions_nm[0]) ** 2, axis=-1).mean()
    return float(squared * M2_PER_NM2 / (6.0 * (time_ps[-1] - time_ps[0]) * S_PER_PS))
