"""Error bars from independent samples: blocks of one trajectory, or replicas.

Every error bar in ionscale is the standard error of a mean over n samples taken to be independent,

    stderr = s / √n,   s² = Σ_k (x_k − x̄)² / (n − 1)

(:func:`from_samples`; block averaging: H. Flyvbjerg and H. G. Petersen, J. Chem. Phys. 91, 461 (1989)).
What differs is where the samples come from, and the ``method`` column of every row says which
(:func:`label`):

``replicas(n)``
    n independent trajectories of one state point, each analysed as a whole; the value is the mean of
    the n replica values (SPEC §2.3).
``frame-blocks(n)``
    one trajectory's per-frame series cut into n contiguous blocks (:func:`frame_blocks`: no frame
    dropped, the first n_frames mod n blocks one frame longer); the quantity is computed again from the
    frames of each block, and the value is that of all frames. Structure and mesoscale averages and the
    Kirkwood–Buff thermodynamic factor (:func:`over_frame_blocks`, :func:`frame_average`).
``fit-blocks(n)``
    one trajectory cut into n blocks of ⌊n_frames / n⌋ frames (the frames left over dropped), each block
    correlated again and fitted over the very window of the value; the value is the whole trajectory's
    (the transport analysis, SPEC §2.3: :mod:`ionscale.transport.onsager`).
``none``
    fewer than two samples: no error bar (NaN).

The rows of one analysis of n replicas become one list of rows through :func:`over_replicas`: the
replica label takes the place of a row's own error label, and what its method says of how the value was
obtained stays (``KWW fit, continuous; replicas(3)``: :func:`replica_method`).

The value of a blocked quantity is that of all the data, not the mean of the blocks: a ratio or a fit
of a short block is biased where that of the whole is not, and its error is that of the block mean to
leading order. Blocks are independent only when they are much longer than the correlation time of the
series: Flyvbjerg and Petersen's block error rises with the block length until it levels off, and a
block too short for that plateau gives too small an error. ionscale cuts a fixed number of blocks
(``n_blocks``, 5 by default) and does not look for the plateau.
"""

from __future__ import annotations

import re
from typing import Callable, NamedTuple, Sequence

import numpy as np

from .table import Row

FRAME_BLOCKS = "frame-blocks"
FIT_BLOCKS = "fit-blocks"
REPLICAS = "replicas"
#: the samples that an error bar is estimated from, as the method labels name them
KINDS = (FRAME_BLOCKS, FIT_BLOCKS, REPLICAS)
#: the method of a value without an error bar (fewer than two samples)
NONE = "none"
#: an error label at the end of a method text, alone or after "; "
_ERROR_LABEL = re.compile(rf"(?:^|; )(?:(?:{'|'.join(map(re.escape, KINDS))})\(\d+\)|{NONE})$")


class SampleEstimate(NamedTuple):
    """A value, its standard error over independent samples (NaN for none) and the method label."""

    value: np.ndarray
    stderr: np.ndarray
    method: str


def label(kind: str, n: int) -> str:
    """The method of an error bar from ``n`` samples of ``kind`` (one of :data:`KINDS`): ``kind(n)``,
    or ``none`` for fewer than two."""
    return f"{kind}({n})" if n >= 2 else NONE


def from_samples(samples, kind: str, value=None) -> SampleEstimate:
    """The mean of independent ``samples`` (along axis 0) and its standard error s/√n, method ``kind(n)``.

    ``value``: the estimate from all the data, reported instead of the samples' mean (blocks: the whole
    trajectory's value). Fewer than two samples give a NaN error of the shape of the value and method
    ``none``; with no sample at all, ``value`` must be given.
    """
    samples = np.asarray(samples, dtype=float)
    n = len(samples)
    if value is None:
        value = samples.mean(axis=0)
    if n < 2:
        return SampleEstimate(value, np.full(np.shape(value), np.nan), NONE)
    return SampleEstimate(value, samples.std(axis=0, ddof=1) / np.sqrt(n), label(kind, n))


def frame_blocks(n_frames: int, n_blocks: int) -> list[slice]:
    """The ``n_blocks`` contiguous blocks of ``n_frames`` frames, as :func:`numpy.array_split` cuts them:
    every frame in one block, the first ``n_frames mod n_blocks`` blocks one frame longer. No block (an
    empty list) when fewer than two fit: ``n_blocks < 2``, or fewer frames than blocks."""
    if not 2 <= n_blocks <= n_frames:
        return []
    size, longer = divmod(n_frames, n_blocks)
    bounds = np.cumsum([0] + [size + 1] * longer + [size] * (n_blocks - longer))
    return [slice(int(start), int(end)) for start, end in zip(bounds[:-1], bounds[1:])]


def over_frame_blocks(statistic: Callable[[slice], np.ndarray], n_frames: int, n_blocks: int) -> SampleEstimate:
    """A quantity of all ``n_frames`` frames, with its standard error over their :func:`frame_blocks`
    (method ``frame-blocks(n)``, or ``none`` when fewer than two blocks fit).

    ``statistic(frames)``: the quantity (a number or an array) computed from the frames ``frames`` (a
    slice along axis 0) of the caller's per-frame arrays; it is called once on all frames and once per
    block.
    """
    value = statistic(slice(None))
    return from_samples([statistic(block) for block in frame_blocks(n_frames, n_blocks)], FRAME_BLOCKS, value)


def frame_average(per_frame, n_blocks: int, derive: Callable | None = None) -> SampleEstimate:
    """``derive`` of the average over frames, with its frame-block standard error (:func:`over_frame_blocks`).

    per_frame : (n_frames, ...) one value (or array) per frame.
    derive : function of a frame average (...) → the reported quantity, e.g. a ratio of two columns;
        the average itself when not given. Each block's average is derived the same way.
    """
    per_frame = np.asarray(per_frame, dtype=float)
    derive = derive or (lambda mean: mean)
    return over_frame_blocks(lambda frames: np.asarray(derive(per_frame[frames].mean(axis=0)), dtype=float),
                             len(per_frame), n_blocks)


def replica_method(method: str, n: int) -> str:
    """The method of a row averaged over ``n`` replicas: its error label (``frame-blocks(5)``, ``none``, ...)
    replaced by ``replicas(n)``, what it says of how the value was obtained kept in front
    (``cluster centre-of-mass D over 3 ps; frame-blocks(5)`` → ``cluster centre-of-mass D over 3 ps;
    replicas(2)``; ``KWW fit, continuous`` → ``KWW fit, continuous; replicas(2)``)."""
    description = _ERROR_LABEL.sub("", method)
    return f"{description}; {label(REPLICAS, n)}" if description else label(REPLICAS, n)


def over_replicas(row_lists: Sequence[Sequence[Row]], fixed: Sequence[str] = (), counted: Sequence[str] = ()) -> list:
    """The rows of one analysis of n replicas of a state point → one list of rows: each the mean over the
    replicas ± its standard error s/√n (:func:`from_samples`, method :func:`replica_method`; SPEC §2.3).

    row_lists : the rows of each replica (:class:`~ionscale.core.table.Row`), the first replica first.
    fixed : quantities whose rows stay the first replica's (e.g. the structure's shell cut-offs, which the
        other replicas were given).
    counted : quantities whose rows are the shares or numbers of categories that a replica may not have
        met at all (a cluster size, a number of bound anions): a replica without a category's row had
        none of it, so it counts as 0 there, and the category of any replica is reported (after the
        first replica's rows of the quantity). They are matched without their method.

    Other rows are matched by (quantity, frame, species, method), in the order of the first replica's rows.
    A row whose quantity is fixed, or whose key some replica lacks (a fit of another kind), stays the first
    replica's as it is; keys of the other replicas alone are dropped. The replicas' own error bars are not
    used. A NaN value in any replica gives a NaN value and error (NumPy's mean and standard deviation).
    One replica: its rows, unchanged.
    """
    if len(row_lists) == 1:
        return list(row_lists[0])

    def key(r: Row) -> tuple:
        return (r.quantity, r.frame, r.species) + (() if r.quantity in counted else (r.method,))
    keyed = [{key(r): r for r in rows} for rows in row_lists]
    order = list(keyed[0])
    for replica in keyed[1:]:
        for k in replica:
            if k[0] in counted and k not in order:
                same = [i for i, known in enumerate(order) if known[0] == k[0]]
                order.insert(same[-1] + 1 if same else len(order), k)
    merged = []
    for k in order:
        first = next(replica[k] for replica in keyed if k in replica)
        if k[0] in counted:
            values = [replica[k].value_si if k in replica else 0.0 for replica in keyed]
        else:
            values = [replica[k].value_si for replica in keyed if k in replica]
        if first.quantity in fixed or len(values) < len(keyed):
            merged.append(first)
            continue
        mean = from_samples(values, REPLICAS)
        merged.append(first._replace(value_si=float(mean.value), stderr_si=float(mean.stderr),
                                     method=replica_method(first.method, len(values))))
    return merged
