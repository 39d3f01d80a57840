"""The HTML report: one self-contained file, rebuilt from saved files only."""

import base64
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import typer
from studyfolder import write_study
from typer.testing import CliRunner

from ionscale.report.html import render_report, report_command, write_report
from ionscale.report.study_figures import FIGURE_NAMES, load_study, make_study_figures, select
from ionscale.core.table import format_value

CHROMIUM = Path("/usr/bin/chromium")
IMG_SRC = re.compile(r'<img\b[^>]*\bsrc="([^"]*)"')


@pytest.fixture(scope="module")
def report(full_study):
    root, figures = full_study
    path = write_report(root, figures=figures)
    return root, figures, path, path.read_text(encoding="utf-8")


def _point_images(root: Path) -> int:
    """Every PNG an analysis folder holds is embedded (msd.png and onsager.png here: transport only)."""
    return len(list((root / "points").glob("*/*.png")))


def test_report_is_one_self_contained_file(report):
    root, figures, path, html = report
    assert path == root / "report.html" and path.is_file()
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert "<link" not in html.lower()
    assert not re.search(r'\b(src|href)\s*=\s*"(https?:|//|file:)', html, re.I)
    assert "@import" not in html and "url(" not in html
    assert not re.search(r"<script[^>]*\bsrc=", html, re.I)
    assert not list(root.glob(".report.html.*.tmp"))


def test_report_embeds_every_figure_as_png(report):
    root, figures, _, html = report
    sources = IMG_SRC.findall(html)
    assert len(sources) == len(figures.figures) + _point_images(root) == len(FIGURE_NAMES) + 4
    for src in sources:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    for f in figures.figures:
        assert f'id="fig-{f.name}"' in html and f.title in html


def test_summary_numbers_are_formatted_with_errors(report):
    root, _, _, html = report
    study = load_study(root)
    for p in study.points:
        rows = study.table[study.table["state_point"] == p.label]
        for quantity, frame, species in (("t_plus", "solvent", "cation"), ("rho_plus", "solvent", "cation"),
                                         ("t_plus_pfg", "solvent", "cation"), ("conductivity", "solvent", ""),
                                         ("D", "barycentric", "cation"), ("D", "barycentric", "anion")):
            r = select(rows, quantity, frame, species).iloc[0]
            text = format_value(r["value"], r["stderr"])
            assert "±" in text and text in html, (p.label, quantity, text)
    summary = html[html.index('id="summary-table"'):html.index("</table>", html.index('id="summary-table"'))]
    assert "replicas(2)" in summary and "t₊⁰" in summary and "ρ₊" in summary and "t₊,PFG" in summary
    assert "percolating (fraction of frames)" in summary and "0.519 ± 0.050" in summary


def test_report_states_the_percolation_onset(report):
    """The made-up percolating fractions equal c: 0.259 at 0.259 mol/L, 0.519 at 0.519 mol/L."""
    _, _, _, html = report
    onset = html[html.index('<p id="percolation-onset">'):]
    onset = onset[:onset.index("</p>")]
    assert "first at 0.519 mol/L (fraction 0.519 ± 0.050)" in onset
    assert "onset between 0.259 and 0.519 mol/L (linear interpolation 0.5 mol/L)" in onset


def test_report_shows_system_settings_windows_failures_and_versions(report):
    root, _, _, html = report
    for text in ("valence z", "molecules", "gamma_tolerance", "window start (ps)", "trajectory truncated",
                 "recorded with the results", "that wrote this report", "synthetic walkers"):
        assert text in html, text
    assert 'class="num bad"' not in html            # every self term diffusive in this study


def test_non_diffusive_self_terms_are_flagged_red(full_study):
    root, figures = full_study
    study = load_study(root)
    table = study.table
    row = (table["quantity"] == "gamma") & (table["method"] == "self MSD") & (table["frame"] == "solvent") \
        & (table["species"] == "cation")
    first = row & (table["state_point"] == study.points[0].label)
    study.table = table.assign(value=table["value"].where(~first, 1.37))
    study.points[0].window = dict(study.points[0].window, found=False, max_gamma_deviation=0.37)
    html = render_report(study, figures)
    assert '<td class="num bad">1.37</td>' in html
    assert "no diffusive window found" in html


def test_fixed_windows_and_warning_notes(full_study):
    root, figures = full_study
    study = load_study(root)
    study.points[0].window = {"start_ps": 2.0, "end_ps": 20.0, "found": True, "max_gamma_deviation": None}
    study.points[0].notes = ["anion:atom (continuous): τ is an extrapolation, run longer", "valence rounded"]
    html = render_report(study, figures)
    assert "<td>given</td>" in html.replace('<td class="">', "<td>")
    warnings = html[html.index('<ul class="warnings">'):html.index("</ul>", html.index('<ul class="warnings">'))]
    notes = html[html.index('<ul class="notes">'):html.index("</ul>", html.index('<ul class="notes">'))]
    assert "run longer" in warnings and "valence rounded" in notes


def test_skipped_figures_are_listed_with_reasons(transport_study):
    root, figures = transport_study
    html = write_report(root, figures=figures).read_text(encoding="utf-8")
    assert 'id="skipped"' in html
    for s in figures.skipped:
        assert s.name in html and s.reason in html
    assert len(IMG_SRC.findall(html)) == len(figures.figures) + _point_images(root)


def test_report_of_one_analysis_folder(tmp_path, point_results):
    folder = tmp_path / "analysis"
    shutil.copytree(point_results[0][3], folder)
    figures = make_study_figures(folder, formats=("png",))
    html = write_report(folder, figures=figures).read_text(encoding="utf-8")
    assert "analysis of one state point" in html and "analysis" in html
    assert len(IMG_SRC.findall(html)) == len(figures.figures) + 2
    assert "fig3_transference" in {f.name for f in figures.figures}


def test_report_escapes_text(tmp_path, point_results):
    root = write_study(tmp_path / "esc", point_results[:1], name="<script>alert(1)</script>", only=("D",))
    html = write_report(root).read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


# -- `ionscale report DIR` ------------------------------------------------------------------------
def _cli() -> typer.Typer:
    app = typer.Typer()
    app.command()(report_command)
    return app


def test_report_command_rebuilds_figures_and_report(tmp_path, point_results):
    root = write_study(tmp_path / "cmd", point_results, only=("D", "t_plus"))
    result = CliRunner().invoke(_cli(), [str(root)])
    assert result.exit_code == 0, result.output
    assert str(root / "report.html") in result.stdout
    assert (root / "report.html").is_file() and (root / "figures" / "fig1_diffusion.svg").is_file()
    assert "skipped figure fig4_solvation" in result.output


@pytest.mark.parametrize("make", [lambda p: p / "missing", lambda p: p])
def test_report_command_refuses_other_folders(tmp_path, make):
    result = CliRunner().invoke(_cli(), [str(make(tmp_path))])
    assert result.exit_code == 2
    assert "study.json" in result.output and "results.json" in result.output
    assert not (tmp_path / "report.html").exists()


# -- in a real browser ----------------------------------------------------------------------------
def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
         f"--user-data-dir={tmp_path / 'chromium-profile'}", *args],
        capture_output=True, text=True, timeout=120, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install -y chromium)")
def test_report_renders_in_headless_chromium(report, tmp_path):
    root, figures, path, html = report
    n = len(IMG_SRC.findall(html))
    dom = _chromium(tmp_path, "--dump-dom", path.resolve().as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert f'data-images-loaded="{n}/{n}"' in dom.stdout, "an embedded image did not decode"
    assert dom.stdout.count("<img") == n and 'class="broken"' not in dom.stdout
    shot = tmp_path / "report.png"
    run = _chromium(tmp_path, "--window-size=1280,2000", f"--screenshot={shot}", path.resolve().as_uri())
    assert run.returncode == 0 and shot.is_file(), run.stderr[-2000:]
    from PIL import Image
    pixels = Image.open(shot).convert("L")
    lo, hi = pixels.getextrema()
    assert pixels.size == (1280, 2000) and lo < 50 and hi > 200     # text and figures on a white page
