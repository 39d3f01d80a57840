"""The HTML report of a study (or of one ``ionscale analyze`` folder): one self-contained file.

:func:`write_report` reads the saved files only — ``study.json``, ``study.csv``, ``points/*/`` (or
``results.json`` + ``quantities.csv`` of one analysis) — redraws the study figures
(:func:`~ionscale.report.study_figures.make_study_figures`) and writes ``DIR/report.html``: the system
(species, counts, valences, concentrations), the settings, a summary table per state point (t_+^0, ρ_+,
t_+,PFG, κ, κ_NE, κ/κ_NE and the D_i, each 'value ± standard error'), every figure with its caption
and the figures that could not be drawn (and why), the fitting windows and the exponents γ of every
self and collective term (|γ − 1| above the tolerance flagged in red for the self terms), notes and
warnings, failed tasks and software versions. Figures are embedded as base64 PNG; the page loads no
external CSS, script, font or image, so it can be mailed or archived as is.

``ionscale report DIR`` (:func:`report_command`) rebuilds figures and report from the files, so a
report can be regenerated after editing the experimental data or upgrading ionscale, without
touching a trajectory.

Example
-------
>>> from ionscale.report.html import write_report      # doctest: +SKIP
>>> write_report("my-study")                          # doctest: +SKIP
PosixPath('my-study/report.html')
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import math
import re
import struct
from importlib import metadata
from pathlib import Path

import numpy as np
import typer
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ..errors import IonscaleError
from ..core.files import atomic_write
from ..core.table import format_value
from .study_figures import (
    DIFFUSION_FRAMES,
    TRANSFERENCE_FRAMES,
    FigureList,
    Study,
    load_study,
    make_study_figures,
    pick_frame,
    pretty_unit,
    select,
)

TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE = "report.html.j2"
DEFAULT_GAMMA_TOLERANCE = 0.1


def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


# -- pieces of the context ------------------------------------------------------------------------
def _png_data_uri(path: Path) -> str | None:
    try:
        return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")
    except OSError:
        return None


def _png_width(path: Path) -> int:
    """Pixel width from the PNG header (IHDR), 600 when unreadable."""
    try:
        with open(path, "rb") as f:
            head = f.read(24)
        return struct.unpack(">I", head[16:20])[0] if head[:8] == b"\x89PNG\r\n\x1a\n" else 600
    except OSError:
        return 600


def _fmt(value, digits: int = 4) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return "—" if not math.isfinite(value) else f"{value:.{digits}g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_fmt(v, digits) for v in value)
    return str(value)


def _estimate(study: Study, label: str, quantity: str, frame: str | None, species: str | None) -> dict:
    rows = select(study.table[study.table["state_point"] == label], quantity, frame, species)
    if rows.empty:
        return {"text": "—", "method": ""}
    r = rows.iloc[0]
    return {"text": format_value(r["value"], r["stderr"]), "method": r["method"]}


def _gamma_tolerance(study: Study) -> float:
    for key in ("gamma_tolerance", "tolerance"):
        value = study.settings.get(key)
        if isinstance(value, (int, float)) and value > 0:
            return float(value)
    return DEFAULT_GAMMA_TOLERANCE


def _summary(study: Study) -> dict:
    table = study.table
    cation = (study.labels_of("cation") or sorted(set(select(table, "t_plus")["species"])) or [""])[0]
    t_frame = pick_frame(table, "t_plus", TRANSFERENCE_FRAMES) or "solvent"
    k_frame = pick_frame(table, "conductivity", TRANSFERENCE_FRAMES) or t_frame
    d_frame = pick_frame(table, "D", DIFFUSION_FRAMES) or "barycentric"
    d_rows = select(table, "D", d_frame)
    known = list(study.species_info())
    d_species = sorted(set(d_rows["species"]), key=lambda s: (known.index(s) if s in known else 99, s))
    d_unit = pretty_unit(d_rows["unit"].iloc[0]) if not d_rows.empty else ""
    k_rows = select(table, "conductivity", k_frame)
    k_unit = pretty_unit(k_rows["unit"].iloc[0]) if not k_rows.empty else "mS/cm"
    t_symbol = "t₊⁰" if t_frame == "solvent" else f"t₊ ({t_frame})"
    columns = [(f"{t_symbol}", "t_plus", t_frame, cation),
               ("ρ₊", "rho_plus", t_frame, cation),
               ("t₊,PFG", "t_plus_pfg", t_frame, cation),
               (f"κ ({k_unit})", "conductivity", k_frame, ""),
               (f"κ_NE ({k_unit})", "conductivity_ne", k_frame, ""),
               ("κ/κ_NE", "ionicity", k_frame, "")]
    columns += [(f"D {s} ({d_unit})", "D", d_frame, s) for s in d_species]
    if not select(table, "percolating_fraction").empty:
        columns.append(("percolating (fraction of frames)", "percolating_fraction", "", ""))
    rows = []
    for p in study.points:
        cells = [_estimate(study, p.label, q, f, s) for _, q, f, s in columns]
        methods = sorted({c["method"] for c in cells if c["method"]})
        rows.append({"label": p.label, "c": _fmt(p.concentration_mol_L, 4), "replicas": _fmt(p.n_replicas),
                     "cells": [c["text"] for c in cells], "method": ", ".join(methods) or "—"})
    return {"headers": [h for h, *_ in columns], "rows": rows,
            "frames": {"transference": t_frame, "conductivity": k_frame, "diffusion": d_frame},
            "percolation_onset": _percolation_onset(study)}


def _percolation_onset(study: Study) -> str | None:
    """The percolation onset in a sentence (:func:`ionscale.mesoscale.onset.percolation_onset_of`), for
    studies of several state points with a cluster analysis; else None."""
    from ..mesoscale.onset import percolation_onset_of
    if study.kind != "study":
        return None
    onset = percolation_onset_of(study.table)
    return None if onset is None else onset["text"]


def _systems(study: Study) -> list:
    out = []
    for p in study.points:
        s = p.system or {}
        species = [{"label": sp.get("label", ""), "role": sp.get("role", ""), "count": _fmt(sp.get("count")),
                    "valence": ("+" if (sp.get("valence") or 0) > 0 else "") + _fmt(sp.get("valence")),
                    "mass": _fmt(sp.get("molecule_mass_g_mol"), 5),
                    "concentration": _fmt(sp.get("concentration_mol_L"), 4),
                    "selection": sp.get("selection", "")}
                   for sp in s.get("species", []) or [] if isinstance(sp, dict)]
        facts = [("salt concentration (mol/L)", _fmt(p.concentration_mol_L, 4)),
                 ("temperature (K)", _fmt(s.get("temperature_K", study.temperature_K))),
                 ("mean box volume (nm³)", _fmt(s.get("volume_nm3"), 6)),
                 ("replicas", _fmt(s.get("n_replicas", p.n_replicas))),
                 ("frames per replica", _fmt(s.get("n_frames"))),
                 ("frame interval (ps)", _fmt(s.get("frame_interval_ps"))),
                 ("duration per replica (ps)", _fmt(s.get("duration_ps"), 6))]
        out.append({"label": p.label, "species": species, "facts": [(k, v) for k, v in facts if v != "—"]})
    return out


def _flatten(prefix: str, value, out: list) -> list:
    if isinstance(value, dict) and value:
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    else:
        out.append((prefix, value if isinstance(value, str) else json.dumps(value, default=str)))
    return out


def _windows(study: Study, tolerance: float) -> list:
    out = []
    for p in study.points:
        rows = study.table[(study.table["state_point"] == p.label) & (study.table["quantity"] == "gamma")]
        frames = [f for f in ("lab", "barycentric", "solvent") if f in set(rows["frame"])] + \
            sorted(set(rows["frame"]) - {"lab", "barycentric", "solvent"})
        gammas = []
        for r in rows.itertuples(index=False):
            dev = abs(r.value - 1) if np.isfinite(r.value) else float("nan")
            self_term = r.method == "self MSD" or ("|" not in r.species and r.species != "charge")
            gammas.append({"frame": r.frame, "species": r.species, "kind": "self" if self_term else "collective",
                           "value": _fmt(r.value, 3),
                           "flag": bool(self_term and np.isfinite(dev) and dev > tolerance),
                           "soft": bool(not self_term and (not np.isfinite(dev) or dev > tolerance))})
        gammas.sort(key=lambda g: (frames.index(g["frame"]) if g["frame"] in frames else 99, g["kind"] != "self"))
        w = p.window or {}
        if not w:
            start = select(study.table[study.table["state_point"] == p.label], "fit_start")
            end = select(study.table[study.table["state_point"] == p.label], "fit_end")
            w = {"start_ps": start["value"].iloc[0] if len(start) else None,
                 "end_ps": end["value"].iloc[0] if len(end) else None}
        max_dev = w.get("max_gamma_deviation")
        found = w.get("found")
        given = w.get("given", found is True and not (isinstance(max_dev, (int, float)) and math.isfinite(max_dev)))
        if given and not (isinstance(max_dev, (int, float)) and math.isfinite(max_dev)):
            # a window fixed by the user (results before issue 14): judge it by the γ of the self terms
            self_rows = rows[(rows["method"] == "self MSD") | ~rows["species"].str.contains("|", regex=False)]
            primary = self_rows[self_rows["frame"] == "solvent"]
            values = (primary if len(primary) else self_rows)["value"].to_numpy(float)
            values = values[np.isfinite(values)]
            max_dev = float(np.abs(values - 1).max()) if values.size else None
        max_dev = float(max_dev) if isinstance(max_dev, (int, float)) else float("nan")
        out.append({"label": p.label, "start": _fmt(w.get("start_ps")), "end": _fmt(w.get("end_ps")),
                    "found": "—" if found is None else ("given" if given else "yes" if found else "no"),
                    "not_found": found is False,
                    "max_dev": _fmt(max_dev, 3),
                    "max_dev_flag": math.isfinite(max_dev) and max_dev > tolerance,
                    "gammas": gammas, "n_flagged": sum(g["flag"] for g in gammas)})
    return out


#: words that make a note a warning (it asks the user to act, or says a number may be unreliable)
WARNING_WORDS = re.compile(r"warn|run longer|extrapolat|not converged|fail|skipped|too (short|slow)|"
                           r"no diffusive|may not|unreliable", re.I)


def _notes(study: Study, figures: FigureList, windows: list, tolerance: float) -> tuple[list, list]:
    warnings, notes = [], []
    flagged = {w["label"]: w["n_flagged"] for w in windows}
    for p in study.points:
        w = p.window or {}
        if w.get("found") is False:
            warnings.append((p.label, f"no diffusive window found (|γ−1| ≤ {tolerance:g}); the best window "
                                      f"{_fmt(w.get('start_ps'))}–{_fmt(w.get('end_ps'))} ps was used, where |γ−1| "
                                      f"reaches {_fmt(w.get('max_gamma_deviation'), 3)}: run longer"))
        elif flagged.get(p.label):
            warnings.append((p.label, f"{flagged[p.label]} self term(s) have |γ−1| > {tolerance:g} in the fitting "
                                      "window (see Fit windows): the MSDs are not diffusive there"))
        for note in p.notes:
            if "no diffusive window" in note and w.get("found") is False:
                continue
            (warnings if WARNING_WORDS.search(note) else notes).append((p.label, note))
        if not (study.table["state_point"] == p.label).any():
            warnings.append((p.label, "no results in the table for this state point"))
    for message in dict.fromkeys(list(study.messages) + list(figures.notes)):
        warnings.append(("study", message))
    for f in figures.figures:
        for note in f.notes:
            notes.append((f.name, note))
    return warnings, notes


def _versions(study: Study) -> tuple[list, list]:
    recorded = [(k, _fmt(v)) for k, v in sorted(study.versions.items())]
    now = []
    for package in ("ionscale", "numpy", "pandas", "matplotlib", "jinja2"):
        try:
            now.append((package, metadata.version(package)))
        except metadata.PackageNotFoundError:
            pass
    return recorded, now


#: captions of the figures an analysis folder holds (any other PNG there is shown under its file name)
POINT_FIGURES = {
    "msd.png": "self-MSDs and |Ω_ij| against lag time, the fitting window shaded",
    "onsager.png": "Onsager coefficients L_ij per frame",
    "rdf.png": "cation–donor RDFs and running coordination numbers",
    "shells.png": "shell composition",
    "anions_bound.png": "cations bound to n anions",
    "acf.png": "residence-time autocorrelation functions and their fits",
    "geometry.png": "shell geometry: tetrahedral order and shell dipole",
    "clusters.png": "clusters",
    "szz.png": "charge structure factor S_ZZ(k)",
    "hzz.png": "charge–charge correlation r h_ZZ(r) and its fit",
}


def _point_details(study: Study) -> list:
    out = []
    for p in study.points:
        images = []
        if p.folder is not None:
            names = [n for n in POINT_FIGURES if (p.folder / n).is_file()]
            names += sorted(f.name for f in p.folder.glob("*.png") if f.name not in POINT_FIGURES)
            for name in names:
                uri = _png_data_uri(p.folder / name)
                if uri:
                    title = POINT_FIGURES.get(name, name)
                    images.append({"uri": uri, "alt": f"{p.label}: {title}", "title": f"{title} ({name})",
                                   "width": _png_width(p.folder / name)})
        rows = study.table[(study.table["state_point"] == p.label) & (study.table["quantity"] != "gamma")]
        table = [{"quantity": r.quantity, "frame": r.frame, "species": r.species,
                  "value": format_value(r.value, r.stderr), "unit": pretty_unit(r.unit) if r.unit else "",
                  "method": r.method}
                 for r in rows.itertuples(index=False)]
        out.append({"label": p.label, "images": images, "table": table})
    return out


def build_context(study: Study, figures: FigureList) -> dict:
    """Everything the template shows, as plain strings and lists (no numbers left to format)."""
    tolerance = _gamma_tolerance(study)
    windows = _windows(study, tolerance)
    warnings, notes = _notes(study, figures, windows, tolerance)
    recorded, now = _versions(study)
    figure_items = []
    for f in figures.figures:
        uri = _png_data_uri(f.png)
        if uri:
            figure_items.append({"name": f.name, "title": f.title, "caption": f.caption, "uri": uri,
                                 "notes": f.notes, "width": _png_width(f.png)})
    c_values = [p.concentration_mol_L for p in study.points if np.isfinite(p.concentration_mol_L)]
    return {
        "study": {"name": study.name, "kind": study.kind, "root": str(study.root),
                  "temperature": _fmt(study.temperature_K), "created": study.created or "—",
                  "n_points": len(study.points),
                  "c_range": (f"{min(c_values):.3g}–{max(c_values):.3g} mol/L" if len(c_values) > 1 else
                              f"{c_values[0]:.3g} mol/L" if c_values else "—")},
        "generated": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "systems": _systems(study),
        "settings": _flatten("", study.settings, []) if study.settings else [],
        "summary": _summary(study),
        "figures": figure_items,
        "skipped": [{"name": s.name, "reason": s.reason} for s in figures.skipped],
        "tolerance": f"{tolerance:g}",
        "windows": windows,
        "warnings": warnings,
        "notes": notes,
        "failed": [{"state_point": str(f.get("state_point", "—")), "replica": _fmt(f.get("replica")),
                    "error": str(f.get("error", ""))} for f in study.failed if isinstance(f, dict)],
        "versions_recorded": recorded,
        "versions_now": now,
        "points": _point_details(study),
    }


# -- the report -----------------------------------------------------------------------------------
def render_report(study: Study, figures: FigureList) -> str:
    """The report's HTML text."""
    return _environment().get_template(TEMPLATE).render(**build_context(study, figures))


def write_report(study_dir: str | Path, *, figures: FigureList | None = None) -> Path:
    """Redraw the figures and write ``DIR/report.html`` from the saved files of a study or analysis folder.

    Parameters
    ----------
    study_dir : path
        A study folder (``study.json``, ``study.csv``, ``points/``) or an ``ionscale analyze`` output folder
        (``results.json``, ``quantities.csv``, ``msd.csv``): the latter gives a one-state-point report.
    figures : FigureList, optional
        The result of :func:`make_study_figures` when already drawn; by default they are drawn again.

    Returns
    -------
    Path of the written report (written to a temporary file and renamed).

    Raises
    ------
    IonscaleError
        When ``study_dir`` is neither kind of folder, or its files cannot be read.
    """
    study_dir = Path(study_dir)
    study = load_study(study_dir)
    if figures is None:
        figures = make_study_figures(study_dir, study=study)
    html = render_report(study, figures)
    path = study_dir / "report.html"
    atomic_write(path, lambda f: f.write(html))
    return path


def report_command(
    study_dir: Path = typer.Argument(..., help="A study folder (with study.json) or an `ionscale analyze` "
                                               "output folder (with results.json).", show_default=False),
) -> None:
    """Rebuild the figures and the HTML report of a study or analysis folder from its saved files."""
    try:
        figures = make_study_figures(study_dir, study=load_study(study_dir))
        path = write_report(study_dir, figures=figures)
    except IonscaleError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2)
    for s in figures.skipped:
        typer.echo(f"skipped figure {s.name}: {s.reason}", err=True)
    typer.echo(str(path))


__all__ = ["write_report", "render_report", "build_context", "report_command"]
