"""Averages over frames with frame-block standard errors.

A structural average is a ratio of sums over frames, Σ_f a_f / Σ_f b_f (molecules per shell, a fraction
of cations, q over the four-donor shells, ...). Its error bar comes from the same ratio in
``n_blocks`` contiguous blocks of frames: stderr = std(block values, ddof=1) / √n_blocks, method
``frame-blocks(n)`` (:mod:`ionscale.core.estimate`). Correlated frames inside a block do not shrink the
error; blocks longer than the correlation time make it honest.
"""

from __future__ import annotations

import numpy as np

from ..core.estimate import SampleEstimate, over_frame_blocks


def block_ratio(numerator: np.ndarray, denominator: np.ndarray | float, n_blocks: int) -> SampleEstimate:
    """Σ_f numerator / Σ_f denominator over frames (axis 0), with its frame-block standard error.

    Parameters
    ----------
    numerator : ndarray, shape (n_frames, ...)
    denominator : ndarray broadcastable to ``numerator``, or a number (per frame)
    n_blocks : int
        Blocks for the error; fewer frames than blocks (or fewer than 2 blocks) give NaN errors.
    """
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.broadcast_to(np.asarray(denominator, dtype=float), numerator.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        return over_frame_blocks(lambda frames: numerator[frames].sum(axis=0) / denominator[frames].sum(axis=0),
                                 len(numerator), n_blocks)
