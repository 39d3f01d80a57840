"""The one estimator of error bars (:mod:`ionscale.core.estimate`) against a brute-force reference: NumPy's
mean and standard deviation of samples and of blocks split by hand, bit for bit (the numbers written
before the estimator existed must not change), the cases without an error bar, the labels, and the rows
of replicas merged into one list of rows."""

import numpy as np
import pytest

from ionscale.core.estimate import (FIT_BLOCKS, FRAME_BLOCKS, KINDS, NONE, REPLICAS, frame_average, frame_blocks,
                                    from_samples, label, over_frame_blocks, over_replicas, replica_method)
from ionscale.core.table import Row
from ionscale.report.study_figures import error_method
from ionscale.structure.statistics import block_ratio


def hand_split(n_frames: int, n_blocks: int) -> list[np.ndarray]:
    """The frames of each block, by hand: n_frames // n_blocks each, one more for the first n_frames % n_blocks."""
    size, longer = divmod(n_frames, n_blocks)
    blocks, start = [], 0
    for b in range(n_blocks):
        length = size + (b < longer)
        blocks.append(np.arange(start, start + length))
        start += length
    return blocks


def reference_stderr(samples) -> np.ndarray:
    samples = np.array(samples)
    return np.std(samples, axis=0, ddof=1) / np.sqrt(len(samples))


@pytest.mark.parametrize("n_frames", [2, 3, 7, 10, 23, 40])
def test_frame_blocks_cover_every_frame_as_array_split_does(n_frames):
    for n_blocks in range(2, n_frames + 1):
        blocks = [np.arange(n_frames)[s] for s in frame_blocks(n_frames, n_blocks)]
        expected = hand_split(n_frames, n_blocks)
        assert len(blocks) == n_blocks
        assert all(np.array_equal(b, e) for b, e in zip(blocks, expected))
        assert all(np.array_equal(b, e) for b, e in zip(blocks, np.array_split(np.arange(n_frames), n_blocks)))


@pytest.mark.parametrize("n_frames, n_blocks", [(10, 1), (10, 0), (4, 5), (0, 2)])
def test_no_frame_blocks_when_fewer_than_two_fit(n_frames, n_blocks):
    assert frame_blocks(n_frames, n_blocks) == []


def test_sample_mean_and_standard_error_bit_for_bit():
    samples = np.random.default_rng(1).normal(size=(4, 3, 2))
    estimate = from_samples(list(samples), REPLICAS)
    assert np.array_equal(estimate.value, samples.mean(axis=0))
    assert np.array_equal(estimate.stderr, reference_stderr(samples))
    assert estimate.method == "replicas(4)"
    scalars = samples[:, 0, 0]
    one = from_samples(scalars, REPLICAS)
    assert one.value == scalars.mean() and one.stderr == scalars.std(ddof=1) / np.sqrt(4)


def test_the_value_of_all_the_data_is_reported_instead_of_the_mean():
    samples = np.random.default_rng(2).normal(size=(5, 3))
    whole = np.array([0.1, 0.2, 0.3])
    estimate = from_samples(samples, FIT_BLOCKS, whole)
    assert estimate.value is whole and estimate.method == "fit-blocks(5)"
    assert np.array_equal(estimate.stderr, reference_stderr(samples))


def test_fewer_than_two_samples_give_no_error_bar():
    whole = np.ones((2, 2))
    none = from_samples([], FIT_BLOCKS, whole)
    assert none.method == NONE and none.stderr.shape == (2, 2) and np.isnan(none.stderr).all()
    single = from_samples([np.array([1.0, 2.0])], REPLICAS)
    assert single.method == NONE and np.array_equal(single.value, [1.0, 2.0]) and np.isnan(single.stderr).all()


@pytest.mark.parametrize("n_frames, n_blocks", [(40, 5), (23, 5), (10, 3), (7, 7), (12, 2)])
def test_frame_average_matches_hand_split_blocks(n_frames, n_blocks):
    per_frame = np.random.default_rng(n_frames).random((n_frames, 6))
    derive = lambda mean: mean[:3] / mean[3:]  # noqa: E731  (a ratio: not the mean of the block ratios)
    estimate = frame_average(per_frame, n_blocks, derive)
    blocks = [derive(per_frame[frames].mean(axis=0)) for frames in hand_split(n_frames, n_blocks)]
    assert np.array_equal(estimate.value, derive(per_frame.mean(axis=0)))
    assert np.array_equal(estimate.stderr, reference_stderr(blocks))
    assert estimate.method == f"frame-blocks({n_blocks})"
    plain = frame_average(per_frame, n_blocks)
    assert np.array_equal(plain.value, per_frame.mean(axis=0))
    assert np.array_equal(plain.stderr, reference_stderr([per_frame[f].mean(axis=0)
                                                          for f in hand_split(n_frames, n_blocks)]))


@pytest.mark.parametrize("layout", ["contiguous", "strided", "transposed"])
def test_block_ratio_matches_hand_split_sums(layout):
    rng = np.random.default_rng(3)
    numerator = {"contiguous": rng.random((23, 4)), "strided": rng.random((46, 8))[::2, ::2],
                 "transposed": rng.random((4, 23)).T}[layout]
    denominator = rng.integers(1, 5, size=(23, 1)).astype(float)
    estimate = block_ratio(numerator, denominator, 5)
    den = np.broadcast_to(denominator, numerator.shape)
    blocks = [numerator[f].sum(axis=0) / den[f].sum(axis=0) for f in hand_split(23, 5)]
    assert np.array_equal(estimate.value, numerator.sum(axis=0) / den.sum(axis=0))
    assert np.array_equal(estimate.stderr, reference_stderr(blocks))
    assert estimate.method == "frame-blocks(5)"


@pytest.mark.parametrize("n_frames, n_blocks", [(10, 1), (4, 5)])
def test_frame_blocks_that_do_not_fit_give_the_value_without_an_error_bar(n_frames, n_blocks):
    per_frame = np.random.default_rng(4).random((n_frames, 3))
    estimate = frame_average(per_frame, n_blocks)
    assert np.array_equal(estimate.value, per_frame.mean(axis=0))
    assert estimate.method == NONE and estimate.stderr.shape == (3,) and np.isnan(estimate.stderr).all()
    ratio = block_ratio(per_frame, 2.0, n_blocks)
    assert ratio.method == NONE and np.isnan(ratio.stderr).all()


def test_over_frame_blocks_calls_the_statistic_on_all_frames_and_each_block():
    seen = []
    estimate = over_frame_blocks(lambda frames: seen.append(frames) or 1.0, 11, 3)
    assert seen == [slice(None), slice(0, 4), slice(4, 8), slice(8, 11)]
    assert estimate.value == 1.0 and estimate.stderr == 0.0 and estimate.method == "frame-blocks(3)"


def test_labels_are_distinct_and_read_back_by_the_report():
    assert [label(kind, 5) for kind in KINDS] == ["frame-blocks(5)", "fit-blocks(5)", "replicas(5)"]
    assert label(FRAME_BLOCKS, 1) == label(REPLICAS, 0) == NONE == "none"
    for kind in KINDS:
        assert error_method(f"a fit; {label(kind, 4)}") == label(kind, 4)
    assert error_method(label(FIT_BLOCKS, 1)) == ""


def hand_made_replicas() -> list:
    """Three replicas' rows (stored, and averaged, in SI): a fixed cut-off, a fraction in all three (one
    replica NaN for another), a residence time of two kinds, a cluster size that replica 2 never formed and
    one only replica 3 has."""
    rng = np.random.default_rng(5)
    replicas = []
    for k in range(3):
        rows = [Row.from_display("cutoff", "", "A", 0.30 + 0.01 * k, np.nan, "nm", "first RDF minimum"),
                Row("free_ion_fraction", "", "Li", rng.random(), 0.01, "1", "frame-blocks(5)"),
                Row("free_ion_fraction", "", "A", np.nan if k == 1 else rng.random(), 0.01, "1", "frame-blocks(5)"),
                Row.from_display("residence_time", "", "S:atom", 10.0 + rng.random(), np.nan, "ps", "KWW fit, continuous"),
                Row.from_display("residence_time", "", "S:atom", 20.0 + rng.random(), np.nan, "ps", "KWW fit, intermittent")]
        if k != 1:
            rows.append(Row("cluster_size_fraction", "", "5", rng.random(), 0.02, "1", "frame-blocks(5)"))
        if k == 2:
            rows.append(Row("cluster_size_fraction", "", "6", rng.random(), 0.02, "1", "frame-blocks(5)"))
        replicas.append(rows)
    return replicas


def test_rows_of_replicas_become_their_mean_and_standard_error():
    replicas = hand_made_replicas()
    merged = over_replicas(replicas, fixed=("cutoff",))
    first = replicas[0]
    assert [(r.quantity, r.species) for r in merged] == [(r.quantity, r.species) for r in first]   # the first's order
    assert merged[0] == first[0]                                  # fixed: the first replica's cut-off
    values = np.array([rows[1].value_si for rows in replicas])
    assert merged[1] == Row("free_ion_fraction", "", "Li", values.mean(), np.std(values, ddof=1) / np.sqrt(3), "1",
                            "replicas(3)")
    nan = merged[2]                                               # NaN in one replica: NaN, as NumPy gives
    assert np.isnan(nan.value_si) and np.isnan(nan.stderr_si) and nan.method == "replicas(3)"
    for row, kind, i in ((merged[3], "continuous", 3), (merged[4], "intermittent", 4)):   # matched by method
        times = np.array([rows[i].value_si for rows in replicas])
        assert (row.value_si, row.stderr_si) == (times.mean(), np.std(times, ddof=1) / np.sqrt(3))
        assert row.method == f"KWW fit, {kind}; replicas(3)"
    assert merged[5] == first[5]                                  # missing in replica 2: the first's row
    assert len(merged) == 6                                       # replica 3's size 6 alone is dropped


def test_counted_categories_a_replica_never_met_count_as_zero():
    """Cluster sizes: size 5 is missing in replica 2 and size 6 exists in replica 3 only; counted, both are
    reported (6 right after 5, before any later quantity), with 0 for the replicas without them, and
    matched whatever their method says."""
    replicas = hand_made_replicas()
    replicas[2][-1] = replicas[2][-1]._replace(method="none")          # size 6: another error method
    replicas[0].append(Row("largest_cluster_fraction", "", "", 0.5, 0.1, "1", "frame-blocks(5)"))
    merged = over_replicas(replicas, fixed=("cutoff",), counted=("cluster_size_fraction",))
    assert [(r.quantity, r.species) for r in merged][-3:] == [("cluster_size_fraction", "5"),
                                                              ("cluster_size_fraction", "6"),
                                                              ("largest_cluster_fraction", "")]
    for row, values in ((merged[-3], [replicas[0][5].value_si, 0.0, replicas[2][5].value_si]),
                        (merged[-2], [0.0, 0.0, replicas[2][6].value_si])):
        values = np.array(values)
        assert (row.value_si, row.stderr_si, row.method) == (values.mean(), np.std(values, ddof=1) / np.sqrt(3),
                                                       "replicas(3)")
    assert merged[-1] == replicas[0][-1]                           # not counted, missing in two: the first's


def test_rows_of_one_replica_are_kept_and_nothing_is_fixed_unless_asked():
    replicas = hand_made_replicas()
    assert over_replicas(replicas[:1]) == replicas[0] and over_replicas(replicas[:1]) is not replicas[0]
    cutoffs = np.array([rows[0].value_si for rows in replicas])
    cutoff = over_replicas(replicas)[0]
    assert (cutoff.value_si, cutoff.stderr_si, cutoff.method) == (cutoffs.mean(), np.std(cutoffs, ddof=1) / np.sqrt(3),
                                                            "first RDF minimum; replicas(3)")


@pytest.mark.parametrize("method, merged", [
    ("frame-blocks(5)", "replicas(2)"), ("none", "replicas(2)"), ("fit-blocks(3)", "replicas(2)"),
    ("majority-ion D (given); frame-blocks(5)", "majority-ion D (given); replicas(2)"),
    ("KWW fit, continuous", "KWW fit, continuous; replicas(2)"),
    ("monotonic fit of r h_ZZ on [0.4, 2] nm; UNRELIABLE: box too small",
     "monotonic fit of r h_ZZ on [0.4, 2] nm; UNRELIABLE: box too small; replicas(2)"),
    ("given", "given; replicas(2)")])
def test_a_replica_mean_keeps_what_the_method_says_of_the_value(method, merged):
    assert replica_method(method, 2) == merged
    assert error_method(merged) == "replicas(2)"
