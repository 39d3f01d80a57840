"""Study figures from saved files: every expected figure, skipped ones with reasons, never a failure."""

import json
import shutil

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from studyfolder import write_study

from ionscale import IonscaleError
from ionscale.report.study_figures import (
    FIGURE_NAMES,
    error_method,
    load_study,
    make_study_figures,
    plot_study,
    pretty_unit,
    select,
)

TRANSPORT_FIGURES = {"fig1_diffusion", "fig2_onsager", "fig2_onsager_species_mean", "fig3_transference",
                     "transference_frames", "conductivity", "fig5_dynamics", "newman_set",
                     "device"}
STRUCTURE_FIGURES = {"fig4_solvation", "ion_pairing", "clusters", "screening"}


def test_every_figure_is_written_as_png_and_svg(full_study):
    root, written = full_study
    assert not written.skipped, written.skipped
    assert {f.name for f in written.figures} == set(FIGURE_NAMES)
    for name in FIGURE_NAMES:
        png, svg = root / "figures" / f"{name}.png", root / "figures" / f"{name}.svg"
        assert png in written and svg in written
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000, name
        text = svg.read_text()
        assert text.lstrip().startswith("<?xml") and "<svg" in text and svg.stat().st_size > 10_000, name
    assert not list((root / "figures").glob("*.tmp")), "temporary files left behind"
    manifest = json.loads((root / "figures" / "figures.json").read_text())
    assert [f["name"] for f in manifest["figures"]] == list(FIGURE_NAMES) and manifest["skipped"] == []


def test_captions_name_the_error_method_and_frames(full_study):
    _, written = full_study
    captions = {f.name: f.caption for f in written.figures}
    assert "replicas(2)" in captions["fig2_onsager"]
    assert "barycentric" in captions["fig1_diffusion"]
    assert "solvent frame" in captions["fig3_transference"]


def test_missing_quantities_are_skipped_with_reasons(transport_study):
    root, written = transport_study
    assert {s.name for s in written.skipped} == STRUCTURE_FIGURES
    for s in written.skipped:
        assert "not run" in s.reason and "rows" in s.reason, s
    assert {f.name for f in written.figures} == TRANSPORT_FIGURES
    dynamics = next(f for f in written.figures if f.name == "fig5_dynamics")
    assert any("residence_time" in note for note in dynamics.notes)   # panel (a) left out, and said so
    for name in STRUCTURE_FIGURES:
        assert not (root / "figures" / f"{name}.png").exists()
    manifest = json.loads((root / "figures" / "figures.json").read_text())
    assert {s["name"] for s in manifest["skipped"]} == STRUCTURE_FIGURES


def test_stale_figures_of_skipped_quantities_are_removed(tmp_path, point_results):
    root = write_study(tmp_path / "s", point_results[:1], structure=True, only=("D", "percolating_fraction"))
    make_study_figures(root, formats=("png",))
    assert (root / "figures" / "clusters.png").exists()
    write_study(root, point_results[:1], only=("D",))           # the cluster rows are gone now
    written = make_study_figures(root, formats=("png",))
    assert "clusters" in {s.name for s in written.skipped}
    assert not (root / "figures" / "clusters.png").exists()


def test_a_table_with_only_D_never_fails(tmp_path, point_results):
    root = write_study(tmp_path / "d", point_results, only=("D",))
    written = make_study_figures(root, formats=("png",))
    assert [f.name for f in written.figures] == ["fig1_diffusion"]
    assert {s.name for s in written.skipped} == set(FIGURE_NAMES) - {"fig1_diffusion"}
    assert all(s.reason for s in written.skipped)


def test_single_state_point_gives_points_not_lines(tmp_path, point_results):
    root = write_study(tmp_path / "one", point_results[:1])
    fig = plot_study(root, "fig2_onsager")
    for ax in fig.axes:
        data_lines = [line for line in ax.get_lines() if len(line.get_xdata()) and line.get_marker() not in
                      (None, "None", "")]
        assert data_lines
        assert all(line.get_linestyle() == "None" for line in data_lines)
    plt.close(fig)


def test_axis_labels_carry_units(full_study):
    root, _ = full_study
    study = load_study(root)
    for name in FIGURE_NAMES:
        fig = plot_study(study, name)
        for ax in fig.axes:
            assert ax.get_ylabel().endswith(")") and "(" in ax.get_ylabel(), (name, ax.get_ylabel())
            assert "(" in ax.get_xlabel(), (name, ax.get_xlabel())
        plt.close(fig)


def test_experimental_points_are_overlaid(full_study):
    root, _ = full_study
    fig = plot_study(root, "fig3_transference")
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert any("PFG-NMR" in label for label in labels)
    plt.close(fig)
    fig = plot_study(root, "fig1_diffusion")
    assert any("PFG D" in label for label in fig.axes[0].get_legend_handles_labels()[1])
    plt.close(fig)


def test_mixed_error_methods_are_split_in_the_legend(tmp_path, point_results):
    root = write_study(tmp_path / "mixed", point_results)
    table = pd.read_csv(root / "study.csv", keep_default_na=False)
    first = (table["state_point"] == point_results[0][0]) & (table["method"] == "replicas(2)")
    table.loc[first, "method"] = "fit-blocks(5)"
    table.to_csv(root / "study.csv", index=False)
    fig = plot_study(root, "fig1_diffusion")
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert any("[fit-blocks(5)]" in label for label in labels) and any("[replicas(2)]" in label for label in labels)
    plt.close(fig)


def test_a_bad_experiment_file_is_reported_not_fatal(tmp_path, point_results):
    root = write_study(tmp_path / "bad", point_results[:1], experiment=True)
    (root / "experiment" / "nmr.csv").unlink()
    meta = json.loads((root / "study.json").read_text())
    (root / "experiment" / "pfg.csv").write_text("conc,value\n0.1,2\n")
    study = load_study(root)
    assert len(study.messages) == 2 and any("lacks the column" in m for m in study.messages)
    assert meta["experiment"]


def test_select_prefers_rows_with_error_bars(point_results):
    label, c, res, _ = point_results[0]
    table = res.to_frame().assign(state_point=label, concentration_mol_L=c)
    rows = select(table, "t_plus", "solvent")
    assert len(rows) == 1 and rows["method"].iloc[0] == "replicas(2)"


def test_study_without_study_csv_is_assembled_from_points(full_study, tmp_path):
    """Paths in study.json are relative: a moved (copied) study folder still reads."""
    root = tmp_path / "moved"
    shutil.copytree(full_study[0], root)
    (root / "study.csv").unlink()
    study = load_study(root)
    assert set(study.table["state_point"]) == {p.label for p in study.points} and len(study.points) == 2
    assert all(p.folder is not None and p.folder.parent == root / "points" for p in study.points)
    assert any("study.csv is missing" in m for m in study.messages)


def test_analysis_folder_reads_as_one_state_point(tmp_path, point_results):
    label, c, res, saved = point_results[1]
    shutil.copytree(saved, tmp_path / "run")
    study = load_study(tmp_path / "run")
    assert study.kind == "analysis" and len(study.points) == 1
    assert study.points[0].concentration_mol_L == pytest.approx(c, abs=1e-3)


def test_not_a_study_folder(tmp_path):
    with pytest.raises(IonscaleError, match="not a study or analysis folder"):
        load_study(tmp_path)
    with pytest.raises(IonscaleError, match="does not exist"):
        load_study(tmp_path / "nowhere")


def test_unknown_figure_name(full_study):
    with pytest.raises(IonscaleError, match="no study figure"):
        plot_study(full_study[0], "fig9")


@pytest.mark.parametrize("unit, pretty", [("mol^2 J^-1 m^-1 s^-1", "mol² J⁻¹ m⁻¹ s⁻¹"), ("1e-10 m^2/s", "10⁻¹⁰ m²/s"),
                                          ("1", "–"), ("", "–"), ("mS/cm", "mS/cm")])
def test_pretty_units(unit, pretty):
    assert pretty_unit(unit) == pretty


@pytest.mark.parametrize("method, kind", [("replicas(4)", "replicas(4)"), ("fit-blocks(5)", "fit-blocks(5)"),
                                          ("frame-blocks(5)", "frame-blocks(5)"), ("none", ""),
                                          ("KWW fit, continuous; replicas(3)", "replicas(3)"),
                                          ("monotonic fit of r h_ZZ on [0.355, 2.03] nm", ""), ("", "")])
def test_error_method_is_read_from_the_method_text(method, kind):
    assert error_method(method) == kind


def test_descriptive_methods_do_not_split_the_legend(tmp_path, point_results):
    """Fit ranges differ from point to point; only the error-bar method splits a curve in the legend."""
    root = write_study(tmp_path / "fits", point_results, structure=True, only=("screening_length", "residence_time"))
    table = pd.read_csv(root / "study.csv", keep_default_na=False)
    first = (table["state_point"] == point_results[0][0]) & (table["quantity"] == "screening_length")
    table.loc[first, "method"] = "oscillatory fit of r h_ZZ on [0.4, 1.9] nm"
    table.to_csv(root / "study.csv", index=False)
    fig = plot_study(root, "screening")
    assert fig.axes[0].get_legend_handles_labels()[1] == ["$\\lambda_S$"]
    plt.close(fig)
    fig = plot_study(root, "fig5_dynamics")       # residence times: atom, molecule and linker curves
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert len(labels) == 4 and any("linker" in label for label in labels)
    plt.close(fig)


def test_percolation_onset_is_marked_on_the_network_panel(full_study):
    """Percolating fractions 0.259 and 0.519 at 0.259 and 0.519 mol/L: onset at 0.519, bracket from 0.259."""
    fig = plot_study(full_study[0], "clusters")
    network = fig.axes[1]
    vertical = [line for line in network.get_lines() if line.get_linestyle() == "-." and
                len(set(line.get_xdata())) == 1]
    assert [float(line.get_xdata()[0]) for line in vertical] == [pytest.approx(0.519)]
    labels = network.get_legend_handles_labels()[1]
    assert "percolation onset 0.519 mol/L" in labels and "onset bracket 0.259–0.519 mol/L" in labels
    (band,) = [p for p in network.patches if p.get_label().startswith("onset bracket")]
    assert (band.get_x(), band.get_x() + band.get_width()) == (pytest.approx(0.259), pytest.approx(0.519))
    plt.close(fig)
