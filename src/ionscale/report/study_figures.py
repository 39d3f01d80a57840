"""Figures of a study: every quantity against salt concentration (Fang et al., J. Mater. Chem. A 2026, Figs. 1–5).

:func:`make_study_figures` reads a study folder (or one ``ionscale analyze`` output folder) from its saved
files only, and writes each figure as PNG and SVG into ``DIR/figures/`` (temporary file + rename, so no
figure is ever half-written). Nothing is recomputed from trajectories.

Figures (file stem — content)
-----------------------------
``fig1_diffusion``             D_i of every species with a D row vs c (barycentric frame; Fig. 1)
``fig2_onsager``               L_ij vs c, (a) barycentric and (b) solvent frame, per-volume convention (Fig. 2)
``fig2_onsager_species_mean``  the same in the species-mean convention L'_ij = L_ij / (c_i c_j) (paper Eq. 1)
``fig3_transference``          t_+,PFG, ρ_+ and t_+^0 in the solvent frame vs c, dashed lines at 0 and 1 (Fig. 3),
                               and the cluster Nernst–Einstein t_+ when computed
``transference_frames``        t_+ in every reference frame vs c (paper SI Fig. S5)
``conductivity``               (a) κ, κ_NE (and cluster κ_NE) vs c, (b) κ/κ_NE vs c
``fig4_solvation``             (a) shell composition (molecules and donor atoms), (b) P(n anions bound),
                               (c) bound / free / linker fractions vs c (Fig. 4)
``ion_pairing``                shares of free / SSIP / CIP / AGG anions vs c (Coste et al. §II.C)
``fig5_dynamics``              (a) residence times (donor atom, molecule, linker), (b) L_++ self and distinct
                               shares in the barycentric frame (Fig. 5)
``clusters``                   (a) cluster-size distributions, (b) percolating fraction, largest cluster and
                               free-ion fractions vs c, the percolation onset marked (line and bracket)
``screening``                  (a) λ_S and λ_D vs c, (b) λ_S/λ_D vs c
``newman_set``                 the continuum (Newman) set in the solvent frame vs c: (a) κ, (b) t_+^0 and ρ_+,
                               (c) the salt diffusion coefficient D and D/TDF, (d) the thermodynamic factor
``device``                     PyBaMM predictions (needs the extra ionscale[continuum]): (a) ρ_+ of a simulated
                               Bruce–Vincent polarisation next to ρ_+ from L_ij, (b) discharge of a lithium-metal
                               half cell with the study's electrolyte and with LiPF6 (ionscale.continuum.cells)

A quantity that was not computed never makes a figure fail: its panel is left out, and a figure with no
panel left is skipped. Both are reported (``FigureList.skipped`` / ``FigureInfo.notes``, and the
``ionscale.report`` logger). Error bars are the standard errors of the table; when the state points of
one curve were estimated by different methods (``replicas(4)`` here, ``fit-blocks(5)`` there) the methods
are split in the legend. One state point gives points, not lines.

Study folder layout (read)
--------------------------
::

    DIR/study.json   name, temperature_K, created, versions, settings, state_points [label,
                     concentration_mol_L, n_replicas, folder, window, notes, system], experiment
                     [label, file], failed [state_point, replica, error]
    DIR/study.csv    state_point, concentration_mol_L, quantity, frame, species, value, stderr, unit, method
    DIR/points/<label>/results.json, quantities.csv, msd.csv, msd.png, onsager.png

Without ``study.csv`` the table is assembled from ``points/*/quantities.csv``. A folder with
``results.json`` + ``quantities.csv`` and no ``study.json`` (the output of ``ionscale analyze``) is read
as a study of one state point, at the cation concentration of its ``results.json``.

Experimental data
-----------------
Each ``experiment`` entry of ``study.json`` names a CSV file (path relative to DIR) with columns::

    concentration_mol_L, quantity, value[, stderr][, species][, frame]

using the quantity names, species labels and units of ``study.csv`` (e.g. ``D`` in 1e-10 m^2/s with the
species label, ``t_plus`` / ``rho_plus`` / ``t_plus_pfg`` (dimensionless; species may be left empty),
``conductivity`` in mS/cm, ``bound_fraction``). An empty ``species`` matches a curve only when the panel
has a single curve of that quantity; an empty ``frame`` matches any frame. Experimental points are drawn
as open symbols in the colour of the matching simulated curve, labelled with the entry's ``label``.
A file that cannot be read is reported, not fatal.

Example
-------
>>> from ionscale.report.study_figures import make_study_figures      # doctest: +SKIP
>>> written = make_study_figures("my-study")                         # doctest: +SKIP
>>> written.skipped                                                  # doctest: +SKIP
[Skipped(name='clusters', reason='no cluster_size_fraction or percolating_fraction rows ...')]
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, NamedTuple

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ..errors import IonscaleError  # noqa: E402
from ..core.estimate import KINDS as ERROR_KINDS  # noqa: E402
from ..core.files import atomic_write, read_json  # noqa: E402

log = logging.getLogger("ionscale.report")

TABLE_COLUMNS = ["state_point", "concentration_mol_L", "quantity", "frame", "species", "value", "stderr", "unit",
                 "method"]
NUMERIC = ("concentration_mol_L", "value", "stderr")
#: reference frames in which each kind of figure is drawn, first available wins
DIFFUSION_FRAMES = ("barycentric", "lab", "solvent")
TRANSFERENCE_FRAMES = ("solvent", "lab", "barycentric")
ONSAGER_FRAMES = ("barycentric", "solvent")
NO_ERROR_METHOD = "replica-mean L"
C_LABEL = "salt concentration c (mol/L)"


# -- reading a study ------------------------------------------------------------------------------
@dataclass
class StatePoint:
    """One state point of a study as saved on disk."""

    label: str
    concentration_mol_L: float
    n_replicas: int | None = None
    folder: Path | None = None
    window: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    system: dict = field(default_factory=dict)


@dataclass
class Study:
    """Everything a study folder holds, read from its files (see the module docstring)."""

    root: Path
    kind: str                      # "study" or "analysis"
    name: str
    temperature_K: float | None
    created: str | None
    versions: dict
    settings: dict
    points: list
    table: pd.DataFrame            # TABLE_COLUMNS
    experiment: pd.DataFrame       # label, concentration_mol_L, quantity, value, stderr, species, frame
    failed: list
    messages: list = field(default_factory=list)   # problems met while reading (bad experiment file, ...)

    def species_info(self) -> dict:
        """{label: {"role", "valence", ...}} over the systems of every state point."""
        info = {}
        for p in self.points:
            for s in p.system.get("species", []) or []:
                if isinstance(s, dict) and "label" in s:
                    info.setdefault(str(s["label"]), s)
        return info

    def labels_of(self, role: str) -> list:
        return [label for label, s in self.species_info().items() if s.get("role") == role]


def is_study_folder(path: str | Path) -> bool:
    path = Path(path)
    return (path / "study.json").is_file() or (path / "results.json").is_file()


def load_study(path: str | Path) -> Study:
    """Read a study folder, or one ``ionscale analyze`` output folder as a one-point study."""
    root = Path(path)
    if (root / "study.json").is_file():
        return _load_study_folder(root)
    if (root / "results.json").is_file():
        return _load_analysis_folder(root)
    if not root.exists():
        raise IonscaleError(f"{root} does not exist; give a study folder (with study.json) or an "
                            "`ionscale analyze` output folder (with results.json)")
    raise IonscaleError(f"{root} is not a study or analysis folder: it has neither study.json (written by "
                        "`ionscale study`) nor results.json (written by `ionscale analyze`)")


def read_table(path: Path, extra: dict | None = None) -> pd.DataFrame:
    """A tidy CSV (study.csv or quantities.csv) with empty strings for missing text and NaN for numbers."""
    try:
        table = pd.read_csv(path, keep_default_na=False, dtype=str)
    except (OSError, ValueError, pd.errors.ParserError) as err:
        raise IonscaleError(f"cannot read {path}: {err}") from None
    for key, value in (extra or {}).items():
        table[key] = value
    return _normalise(table, path)


def _normalise(table: pd.DataFrame, source) -> pd.DataFrame:
    missing = {"quantity", "value"} - set(table.columns)
    if missing:
        raise IonscaleError(f"{source} lacks the column(s) {sorted(missing)}")
    for col in TABLE_COLUMNS:
        if col not in table.columns:
            table[col] = np.nan if col in NUMERIC else ""
    for col in TABLE_COLUMNS:
        if col in NUMERIC:
            table[col] = pd.to_numeric(table[col], errors="coerce").astype(float)
        else:
            table[col] = table[col].fillna("").astype(str).str.strip()
    return table[TABLE_COLUMNS + [c for c in table.columns if c not in TABLE_COLUMNS]].reset_index(drop=True)


def _load_study_folder(root: Path) -> Study:
    meta = read_json(root / "study.json")
    messages = []
    points = []
    for k, sp in enumerate(meta.get("state_points", []) or []):
        label = str(sp.get("label", f"point{k + 1}"))
        folder = root / sp.get("folder", f"points/{label}")
        system, window, notes = sp.get("system") or {}, sp.get("window") or {}, list(sp.get("notes") or [])
        if (folder / "results.json").is_file():   # the structure and mesoscale notes live only there
            saved = _transport_section(read_json(folder / "results.json"))
            system = system or saved.get("system", {})
            window = window or saved.get("window", {})
            notes += [n for n in saved.get("notes", []) if n not in notes]
        points.append(StatePoint(label, float(sp.get("concentration_mol_L", np.nan)), sp.get("n_replicas"),
                                 folder if folder.is_dir() else None, window, notes, system))
    if (root / "study.csv").is_file():
        table = read_table(root / "study.csv")
    else:
        parts = [read_table(p.folder / "quantities.csv", {"state_point": p.label,
                                                          "concentration_mol_L": p.concentration_mol_L})
                 for p in points if p.folder is not None and (p.folder / "quantities.csv").is_file()]
        table = pd.concat(parts, ignore_index=True) if parts else _normalise(pd.DataFrame(columns=TABLE_COLUMNS),
                                                                              root)
        if parts:
            messages.append("study.csv is missing: the table was assembled from points/*/quantities.csv")
    experiment = _load_experiment(root, meta.get("experiment") or [], messages)
    return Study(root, "study", str(meta.get("name", root.name)), meta.get("temperature_K"), meta.get("created"),
                 dict(meta.get("versions") or {}), dict(meta.get("settings") or {}), points, table, experiment,
                 list(meta.get("failed") or []), messages)


def _transport_section(document: dict) -> dict:
    """results.json keeps each analysis in its own section; the transport one holds system, window and
    notes, and the notes of the other sections join it."""
    section = dict(document.get("transport") or {})
    section["notes"] = [n for key in ("transport", "structure", "mesoscale")
                        for n in (document.get(key) or {}).get("notes", [])]
    return section


def _load_analysis_folder(root: Path) -> Study:
    document = read_json(root / "results.json")
    saved = _transport_section(document)
    system = saved.get("system", {}) or {}
    cations = [s for s in system.get("species", []) if s.get("role") == "cation"]
    c = float(cations[0].get("concentration_mol_L", np.nan)) if cations else float("nan")
    label = root.resolve().name
    point = StatePoint(label, c, system.get("n_replicas"), root, saved.get("window", {}) or {},
                       list(saved.get("notes", []) or []), system)
    extra = {"state_point": label, "concentration_mol_L": c}
    if (root / "quantities.csv").is_file():
        table = read_table(root / "quantities.csv", extra)
    else:
        rows = pd.DataFrame(document.get("quantities", []), dtype=object)
        for key, value in extra.items():
            rows[key] = value
        table = _normalise(rows, root / "results.json")
    return Study(root, "analysis", label, system.get("temperature_K"), None, {}, {}, [point], table,
                 _empty_experiment(), [], [])


def _empty_experiment() -> pd.DataFrame:
    return pd.DataFrame({"label": pd.Series(dtype=str), "concentration_mol_L": pd.Series(dtype=float),
                         "quantity": pd.Series(dtype=str), "value": pd.Series(dtype=float),
                         "stderr": pd.Series(dtype=float), "species": pd.Series(dtype=str),
                         "frame": pd.Series(dtype=str)})


def _load_experiment(root: Path, entries: list, messages: list) -> pd.DataFrame:
    parts = []
    for k, entry in enumerate(entries):
        label = str(entry.get("label", f"experiment {k + 1}"))
        path = root / str(entry.get("file", ""))
        try:
            data = pd.read_csv(path, keep_default_na=False, dtype=str)
        except (OSError, ValueError, pd.errors.ParserError) as err:
            messages.append(f"experimental data {label!r} ({path.name}) not read: {err}")
            continue
        missing = {"concentration_mol_L", "quantity", "value"} - set(data.columns)
        if missing:
            messages.append(f"experimental data {label!r} ({path.name}) not used: it lacks the column(s) "
                            f"{sorted(missing)}")
            continue
        data = data.assign(label=label)
        for col in ("stderr", "species", "frame"):
            if col not in data.columns:
                data[col] = ""
        for col in ("concentration_mol_L", "value", "stderr"):
            data[col] = pd.to_numeric(data[col], errors="coerce").astype(float)
        for col in ("quantity", "species", "frame"):
            data[col] = data[col].fillna("").astype(str).str.strip()
        bad = data["value"].isna() | data["concentration_mol_L"].isna()
        if bad.any():
            messages.append(f"experimental data {label!r}: {int(bad.sum())} row(s) without a number skipped")
        parts.append(data[~bad][list(_empty_experiment().columns)])
    return pd.concat(parts, ignore_index=True) if parts else _empty_experiment()


# -- selecting rows -------------------------------------------------------------------------------
def select(table: pd.DataFrame, quantity: str, frame: str | None = None, species: str | None = None) -> pd.DataFrame:
    """Rows of one quantity (optionally one frame / species), one per (state point, frame, species).

    Where a state point has several rows for the same key (``replicas(4)`` and ``replica-mean L``), the
    one with an error bar from a method other than ``replica-mean L`` is kept."""
    rows = table[table["quantity"] == quantity]
    rows = rows[~rows["method"].astype(str).str.startswith("window spread")]  # a spread is not a value
    if frame is not None:
        rows = rows[rows["frame"] == frame]
    if species is not None:
        rows = rows[rows["species"] == species]
    rows = rows[np.isfinite(rows["value"])]
    if rows.empty:
        return rows
    rank = (rows["method"] == NO_ERROR_METHOD).astype(int) * 2 + (~np.isfinite(rows["stderr"])).astype(int)
    rows = rows.assign(_rank=rank.to_numpy()).sort_values(["_rank"], kind="stable")
    rows = rows.drop_duplicates(["state_point", "frame", "species"], keep="first").drop(columns="_rank")
    return rows.sort_values("concentration_mol_L", kind="stable").reset_index(drop=True)


def pick_frame(table: pd.DataFrame, quantity: str, preferences) -> str | None:
    """The first frame of ``preferences`` with rows of ``quantity``."""
    frames = set(table.loc[table["quantity"] == quantity, "frame"])
    return next((f for f in preferences if f in frames), None)


# -- labels and units -----------------------------------------------------------------------------
_SUPERSCRIPT = str.maketrans("0123456789-+", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺")


def pretty_unit(unit: str) -> str:
    """'mol^2 J^-1 m^-1 s^-1' → 'mol² J⁻¹ m⁻¹ s⁻¹', '1e-10 m^2/s' → '10⁻¹⁰ m²/s', '1' or '' → '–'."""
    unit = (unit or "").strip()
    if unit in ("", "1", "-", "dimensionless"):
        return "–"
    unit = re.sub(r"^1e([+-]?\d+)\s*", lambda m: f"10{str(int(m.group(1))).translate(_SUPERSCRIPT)} ", unit)
    return re.sub(r"\^([+-]?\d+)", lambda m: m.group(1).translate(_SUPERSCRIPT), unit)


def axis_label(name: str, unit: str, exponent: int = 0) -> str:
    """'name (unit)', with a power of ten pulled out of the numbers when ``exponent`` is not 0."""
    unit = pretty_unit(unit)
    if exponent:
        power = f"10{str(exponent).translate(_SUPERSCRIPT)}"
        unit = power if unit == "–" else f"{power} {unit}"
    return f"{name} ({unit})"


_PLAIN = re.compile(r"^[A-Za-z0-9+\-]+$")


def sub(base: str, index: str) -> str:
    """Mathtext base_{index} when ``index`` is plain, 'base[index]' otherwise."""
    if _PLAIN.match(index):
        return f"${base}_{{\\mathrm{{{index}}}}}$"
    return f"{base}[{index}]"


# -- drawing --------------------------------------------------------------------------------------
@dataclass
class Series:
    """One curve against concentration (or against cluster size, with ``x`` = "species")."""

    label: str
    data: pd.DataFrame                 # concentration_mol_L, value, stderr, method (+ x)
    key: tuple | None = None           # (quantity, frame, species) for matching experimental data
    marker: str = "o"
    linestyle: str = "-"
    color: str | None = None


@dataclass
class Panel:
    title: str
    name: str                          # the quantity's name for the axis label
    unit: str
    series: list
    hlines: tuple = ()
    vspans: tuple = ()                 # (x0, x1, label): a shaded band across the panel
    vlines: tuple = ()                 # (x, label): a vertical line
    log_y: bool | None = False         # None: log when positive and spanning > 1.5 decades
    xlabel: str = C_LABEL
    x: str = "concentration_mol_L"
    log_x: bool = False


class FigureInfo(NamedTuple):
    name: str
    title: str
    caption: str
    png: Path
    svg: Path
    notes: list      # panels left out, and why


class Skipped(NamedTuple):
    name: str
    reason: str


class FigureList(list):
    """The written files (PNG and SVG paths), with ``figures`` (FigureInfo) and ``skipped`` (Skipped)."""

    def __init__(self, paths=(), figures=(), skipped=(), notes=()):
        super().__init__(paths)
        self.figures = list(figures)
        self.skipped = list(skipped)
        self.notes = list(notes)


def _scale_exponent(values: np.ndarray) -> int:
    values = np.abs(values[np.isfinite(values)])
    values = values[values > 0]
    if not values.size:
        return 0
    top = values.max()
    if 1e-2 <= top < 1e4:
        return 0
    return int(math.floor(math.log10(top)))


#: ``replicas(4)``, ``frame-blocks(5)``, ``fit-blocks(5)`` (the labels of :mod:`ionscale.core.estimate`)
_ERROR_METHOD = re.compile(rf"\b((?:{'|'.join(map(re.escape, ERROR_KINDS))})\(\d+\))")


def error_method(method: str) -> str:
    """How a row's error bar was estimated, from its method text: ``replicas(4)``, ``frame-blocks(5)``,
    ``fit-blocks(5)``, or '' (``none``, or a method that only says how the value was obtained, e.g.
    ``KWW fit, continuous``)."""
    found = _ERROR_METHOD.findall(method or "")
    return found[-1] if found else ""


def _methods_text(methods: set) -> str:
    methods = sorted(m for m in methods if m)
    if not methods:
        return ""
    return ", ".join(methods)


class _Drawer:
    """Draws panels of one study with shared conventions (colours, experiment overlay, single point)."""

    def __init__(self, study: Study):
        self.study = study
        self.single = study.table["state_point"].nunique() <= 1
        self.methods: set = set()

    def _experiment_for(self, series: Series, unique_quantity: bool) -> pd.DataFrame:
        exp = self.study.experiment
        if series.key is None or exp.empty:
            return exp.iloc[0:0]
        quantity, frame, species = series.key
        rows = exp[exp["quantity"] == quantity]
        species_ok = rows["species"] == species
        if unique_quantity:
            species_ok |= rows["species"] == ""
        frame_ok = (rows["frame"] == "") | (rows["frame"] == frame)
        return rows[species_ok & frame_ok]

    def draw(self, ax, panel: Panel) -> None:
        values = np.concatenate([s.data["value"].to_numpy(float) for s in panel.series] or [np.zeros(0)])
        quantities = [s.key[0] for s in panel.series if s.key]
        overlays = []
        used = set()
        for s in panel.series:
            exp = self._experiment_for(s, s.key is not None and quantities.count(s.key[0]) == 1)
            fresh = np.array([(lab, q, sp, fr) not in used for lab, q, sp, fr in
                              zip(exp["label"], exp["quantity"], exp["species"], exp["frame"])], dtype=bool)
            exp = exp[fresh] if len(exp) else exp
            used |= set(zip(exp["label"], exp["quantity"], exp["species"], exp["frame"]))
            if not exp.empty:
                overlays.append((s, exp))
                values = np.concatenate([values, exp["value"].to_numpy(float)])
        finite = values[np.isfinite(values)]
        log_y = panel.log_y
        if log_y is None:
            log_y = bool(finite.size and (finite > 0).all() and finite.max() / finite.min() > 30)
        exponent = 0 if log_y else _scale_exponent(values)
        scale = 10.0 ** exponent
        style_single = self.single and panel.x == "concentration_mol_L"

        for s in panel.series:
            data = s.data.sort_values(panel.x, kind="stable")
            kinds = data["method"].map(error_method)
            self.methods |= {m for m, e in zip(kinds, data["stderr"]) if m and np.isfinite(e)}
            methods = list(dict.fromkeys(kinds))
            groups = [(s.label, data)] if len(methods) <= 1 else \
                [(f"{s.label} [{m or 'no error bar'}]", data[(kinds == m).to_numpy()]) for m in methods]
            color = s.color
            for k, (label, part) in enumerate(groups):
                marker = s.marker if k == 0 else "sDv^<>p"[k % 7]
                err = part["stderr"].to_numpy(float) / scale
                container = ax.errorbar(part[panel.x].to_numpy(float), part["value"].to_numpy(float) / scale,
                                        yerr=err if np.isfinite(err).any() else None, marker=marker,
                                        linestyle="none" if style_single or len(groups) > 1 else s.linestyle,
                                        color=color, capsize=3, markersize=5, lw=1.4, label=label)
                color = container[0].get_color()
            s.color = color
            if len(groups) > 1 and not style_single:   # one line through all points, methods as markers
                ax.plot(data[panel.x].to_numpy(float), data["value"].to_numpy(float) / scale, color=color,
                        linestyle=s.linestyle, lw=1.0, alpha=0.6)
        for s, exp in overlays:
            for label, part in exp.groupby("label", sort=False):
                part = part.sort_values("concentration_mol_L")
                err = part["stderr"].to_numpy(float) / scale
                ax.errorbar(part["concentration_mol_L"].to_numpy(float), part["value"].to_numpy(float) / scale,
                            yerr=err if np.isfinite(err).any() else None, marker=s.marker, mfc="white",
                            mec=s.color, color=s.color, linestyle="none" if len(part) == 1 else ":", capsize=3,
                            markersize=6, lw=1.0, label=f"{s.label} ({label})")
        for y in panel.hlines:
            ax.axhline(y / scale, color="0.4", ls="--", lw=0.9, zorder=0)
        for x0, x1, label in panel.vspans:
            ax.axvspan(x0, x1, color="0.5", alpha=0.15, lw=0, zorder=0, label=label)
        for x, label in panel.vlines:
            ax.axvline(x, color="k", ls="-.", lw=1.2, zorder=1, label=label)
        if log_y:
            ax.set_yscale("log")
        if panel.log_x:
            ax.set_xscale("log")
        ax.set_xlabel(panel.xlabel)
        ax.set_ylabel(axis_label(panel.name, panel.unit, exponent))
        ax.set_title(panel.title, fontsize=10)
        ax.grid(alpha=0.3)
        if style_single and panel.x == "concentration_mol_L":
            c = float(self.study.table["concentration_mol_L"].dropna().iloc[0]) \
                if self.study.table["concentration_mol_L"].notna().any() else 0.0
            if np.isfinite(c) and c > 0:
                ax.set_xlim(0, 2 * c)
        handles, _ = ax.get_legend_handles_labels()
        if handles:
            ax.legend(frameon=False)


# -- the figures ----------------------------------------------------------------------------------
class _Builder:
    def __init__(self, study: Study):
        self.study = study
        self.table = study.table
        info = study.species_info()
        self.info = info
        cations, anions = study.labels_of("cation"), study.labels_of("anion")
        self.cations, self.anions = cations, anions
        self.symbols = {cations[0]: "+", anions[0]: "-"} if len(cations) == 1 and len(anions) == 1 else {}

    def sym(self, label: str) -> str:
        return self.symbols.get(label, label)

    def pair(self, species: str) -> str:
        a, _, b = species.partition("|")
        sa, sb = self.sym(a), self.sym(b)
        if sa in "+-" and sb in "+-" and sa and sb:
            return sa + sb
        return f"{sa},{sb}"

    def _order(self, labels) -> list:
        known = list(self.info)
        return sorted(labels, key=lambda s: (known.index(s) if s in known else len(known), s))

    def _pair_order(self, pairs) -> list:
        known = list(self.info)

        def key(p):
            a, _, b = p.partition("|")
            return (known.index(a) if a in known else 99, known.index(b) if b in known else 99, p)
        return sorted(pairs, key=key)

    def _unit(self, rows: pd.DataFrame) -> str:
        units = [u for u in rows["unit"] if u]
        return units[0] if units else ""

    # Fig. 1
    def diffusion(self):
        frame = pick_frame(self.table, "D", DIFFUSION_FRAMES)
        if frame is None:
            return None, "no D rows in the table"
        rows = select(self.table, "D", frame)
        series = [Series(sub("D", self.sym(sp)), rows[rows["species"] == sp], ("D", frame, sp))
                  for sp in self._order(set(rows["species"]))]
        panel = Panel(f"Self-diffusion, {frame} frame", "$D_i$", self._unit(rows), series, log_y=None)
        return ("Self-diffusion coefficients", f"Self-diffusion coefficients D_i of every species against salt "
                f"concentration, {frame} frame (Fang et al. Fig. 1).", [panel], []), None

    # Fig. 2
    def onsager(self, quantity: str):
        panels, notes = [], []
        kind = "per-volume" if quantity == "L" else "species-mean"
        symbol = "L" if quantity == "L" else "L'"
        for letter, frame in zip("ab", ONSAGER_FRAMES):
            rows = select(self.table, quantity, frame)
            if rows.empty:
                notes.append(f"{frame} frame left out: no {quantity} rows in the {frame} frame")
                continue
            series = [Series(sub(symbol, self.pair(p)), rows[rows["species"] == p], (quantity, frame, p))
                      for p in self._pair_order(set(rows["species"]))]
            panels.append(Panel(f"({letter}) {frame} frame", f"${symbol}_{{ij}}$" if symbol == "L" else "$L'_{ij}$",
                                self._unit(rows), series, hlines=(0.0,)))
        if not panels:
            return None, f"no {quantity} rows in the barycentric or solvent frame"
        caption = (f"Onsager coefficients L_ij against salt concentration in the barycentric (centre-of-mass) and "
                   f"solvent frames, {kind} convention" +
                   (" (L_ij per unit volume; Fang et al. Fig. 2)." if quantity == "L" else
                    ", L'_ij = L_ij/(c_i c_j) as in Fang et al. Eq. 1."))
        return (f"Onsager coefficients ({kind})", caption, panels, notes), None

    # Fig. 3
    def transference(self):
        frame = pick_frame(self.table, "t_plus", TRANSFERENCE_FRAMES) or \
            pick_frame(self.table, "t_plus_pfg", TRANSFERENCE_FRAMES)
        if frame is None:
            return None, "no t_plus or t_plus_pfg rows in the table"
        series, notes = [], []
        for quantity, symbol in (("t_plus_pfg", "$t_{+,\\mathrm{PFG}}$"), ("rho_plus", "$\\rho_+$"),
                                 ("t_plus", "$t_+^0$" if frame == "solvent" else f"$t_+$ ({frame})")):
            rows = select(self.table, quantity, frame)
            if rows.empty:
                notes.append(f"{quantity} not computed in the {frame} frame")
                continue
            for sp in self._order(set(rows["species"])):
                label = symbol if len(set(rows["species"])) == 1 else f"{symbol} [{sp}]"
                series.append(Series(label, rows[rows["species"] == sp], (quantity, frame, sp)))
        cluster = select(self.table, "t_plus_cluster_ne")
        for sp in self._order(set(cluster["species"])):
            label = "$t_+$ cluster NE" + ("" if len(set(cluster["species"])) == 1 else f" [{sp}]")
            series.append(Series(label, cluster[cluster["species"] == sp], ("t_plus_cluster_ne", "", sp), "s", ":"))
        panel = Panel(f"Cation transference, {frame} frame", "transference number", "1", series, hlines=(0.0, 1.0))
        return ("Cation transference numbers", "Cation transference from self-diffusion (t_+,PFG, Eq. 5), the "
                f"current fraction ρ_+ (Eq. 4) and the transference number t_+ (Eq. 3) in the {frame} frame "
                "against salt concentration; dashed lines at 0 and 1 (Fang et al. Fig. 3)." +
                (" Dotted: the cluster Nernst–Einstein estimate, clusters moving as units." if not cluster.empty
                 else ""), [panel], notes), None

    def transference_frames(self):
        rows = select(self.table, "t_plus")
        if rows.empty:
            return None, "no t_plus rows in the table"
        frames = [f for f in ("solvent", "barycentric", "lab") if f in set(rows["frame"])] + \
            sorted(set(rows["frame"]) - {"solvent", "barycentric", "lab"})
        series = []
        for frame in frames:
            part = rows[rows["frame"] == frame]
            for sp in self._order(set(part["species"])):
                label = f"{frame}" if len(set(part["species"])) == 1 else f"{frame} [{sp}]"
                series.append(Series(label, part[part["species"] == sp], ("t_plus", frame, sp)))
        panel = Panel("Cation transference number by reference frame", "$t_+$", "1", series, hlines=(0.0, 1.0))
        return ("Transference number in each reference frame", "Cation transference number t_+ (Eq. 3) in every "
                "reference frame against salt concentration (cf. Fang et al. SI Fig. S5).", [panel], []), None

    def conductivity(self):
        frame = pick_frame(self.table, "conductivity", TRANSFERENCE_FRAMES) or \
            pick_frame(self.table, "conductivity_ne", TRANSFERENCE_FRAMES)
        series, notes, panels = [], [], []
        if frame is not None:
            for quantity, label in (("conductivity", "κ (Onsager)"), ("conductivity_ne", "$\\kappa_\\mathrm{NE}$")):
                rows = select(self.table, quantity, frame)
                if rows.empty:
                    notes.append(f"{quantity} not computed in the {frame} frame")
                else:
                    series.append(Series(label, rows, (quantity, frame, rows["species"].iloc[0])))
        cluster = select(self.table, "conductivity_cluster_ne")
        if not cluster.empty:
            series.append(Series("$\\kappa_\\mathrm{NE}$ of clusters", cluster,
                                 ("conductivity_cluster_ne", cluster["frame"].iloc[0], cluster["species"].iloc[0]),
                                 marker="s", linestyle="--"))
        if series:
            unit = self._unit(pd.concat([s.data for s in series]))
            panels.append(Panel(f"(a) Conductivity{f', {frame} frame' if frame else ''}", "κ", unit, series))
        ratio = select(self.table, "ionicity", frame) if frame else select(self.table, "ionicity")
        if not ratio.empty:
            panels.append(Panel("(b) Ionicity", "$\\kappa/\\kappa_\\mathrm{NE}$", "1",
                                [Series("$\\kappa/\\kappa_\\mathrm{NE}$", ratio, ("ionicity", ratio["frame"].iloc[0],
                                                                          ratio["species"].iloc[0]))],
                                hlines=(1.0,)))
        else:
            notes.append("κ/κ_NE panel left out: no ionicity rows")
        if not panels:
            return None, "no conductivity, conductivity_ne or ionicity rows in the table"
        return ("Conductivity", "Ionic conductivity κ from the Onsager coefficients (Eq. 2), the Nernst–Einstein "
                "estimate κ_NE from the self-diffusion coefficients, and their ratio κ/κ_NE (the ionicity, "
                "inverse Haven ratio) against salt concentration.", panels, notes), None

    # Fig. 4
    def _per_species(self, quantity: str, label: Callable, marker: str = "o", linestyle: str = "-") -> list:
        """One series per species of ``quantity``; ``label(species, several)`` names it."""
        rows = select(self.table, quantity)
        species = self._order(set(rows["species"]))
        return [Series(label(sp, len(species) > 1), rows[rows["species"] == sp], (quantity, "", sp), marker,
                       linestyle) for sp in species]

    def _units(self, series: list) -> str:
        units = list(dict.fromkeys(u for s in series for u in s.data["unit"] if u))
        return ", ".join(units)

    # Fig. 4
    def solvation(self):
        panels, notes = [], []
        series = self._per_species("shell_molecules", lambda sp, _: f"{sp} molecules") + \
            self._per_species("shell_donor_atoms", lambda sp, _: f"{sp} donor atoms", "s", "--")
        if series:
            panels.append(Panel("(a) Shell composition", "number per cation shell", self._units(series), series))
        else:
            notes.append("shell composition left out: no shell_molecules or shell_donor_atoms rows")
        rows = select(self.table, "anions_bound_fraction")
        if not rows.empty:
            def n_of(label):
                m = re.search(r"\d+", label)
                return int(m.group()) if m else 10 ** 6
            series = [Series(f"n = {n_of(sp)}" if n_of(sp) < 10 ** 6 else sp, rows[rows["species"] == sp],
                             ("anions_bound_fraction", "", sp)) for sp in sorted(set(rows["species"]), key=n_of)]
            panels.append(Panel("(b) Cations bound to n anions", "P(n)", self._unit(rows) or "1", series))
        else:
            notes.append("P(n anions bound) left out: no anions_bound_fraction rows")
        series = []
        for quantity, name, marker in (("bound_fraction", "bound (n ≥ 1)", "o"), ("free_fraction", "free (n = 0)", "v"),
                                       ("linker_fraction", "linkers (n ≥ 2)", "s")):
            series += self._per_species(quantity, lambda sp, several, name=name: name + (f" [{sp}]" if several else ""),
                                        marker)
        if series:
            panels.append(Panel("(c) Bound cations", "fraction of cations", "1", series))
        else:
            notes.append("bound fraction left out: no bound_fraction, free_fraction or linker_fraction rows")
        if not panels:
            return None, "no solvation-structure rows (shell_molecules, anions_bound_fraction, bound_fraction): " \
                         "the structure analysis was not run"
        return ("Solvation structure", "Solvation shell of the cation against salt concentration: (a) mean number of "
                "molecules (solid) and donor atoms (dashed) of each species in the first shell, (b) fraction of "
                "cations bound to n distinct anions, (c) fractions of anion-bound, free and linker cations "
                "(Fang et al. Fig. 4).", panels, notes), None

    def pairing(self):
        rows = select(self.table, "pair_class_fraction")
        if rows.empty:
            return None, "no pair_class_fraction rows: the structure analysis was not run"
        order = {"free": 0, "SSIP": 1, "CIP": 2, "AGG": 3}
        keys = sorted(set(rows["species"]), key=lambda k: (k.rpartition(":")[0], order.get(k.rpartition(":")[2], 9), k))
        anions = {k.rpartition(":")[0] for k in keys}
        markers = dict(zip(("free", "SSIP", "CIP", "AGG"), "ov^s"))
        series = [Series(k.rpartition(":")[2] + (f" [{k.rpartition(':')[0]}]" if len(anions) > 1 else ""),
                         rows[rows["species"] == k], ("pair_class_fraction", "", k),
                         markers.get(k.rpartition(":")[2], "D")) for k in keys]
        panel = Panel("Ion pairing of the anions", "fraction of anions", "1", series)
        return ("Ion pairing", "Share of the anions that are free, solvent-separated (SSIP), in contact with one "
                "cation (CIP) or with several (AGG), against salt concentration (Coste et al. §II.C).",
                [panel], []), None

    # Fig. 5
    def dynamics(self):
        panels, notes = [], []
        rows = select(self.table, "residence_time")
        if not rows.empty:
            series = []
            for sp in self._order(set(rows["species"])):
                name, _, kind = sp.partition(":")
                label = sub("\\tau", name) + {"atom": " (donor atom)", "molecule": " (molecule)"}.get(kind, "")
                if sp == "linker":
                    label = "linker (same two anions)"
                style = {"molecule": ("s", "--")}.get(kind, ("D", ":") if sp == "linker" else ("o", "-"))
                series.append(Series(label, rows[rows["species"] == sp], ("residence_time", "", sp), *style))
            panels.append(Panel("(a) Mean residence times", "τ", self._unit(rows), series, log_y=None))
        else:
            notes.append("residence times left out: no residence_time rows")
        frame = pick_frame(self.table, "L_self", ("barycentric", "lab", "solvent"))
        cations = self.cations or sorted(set(select(self.table, "L_self")["species"]))[:1]
        series = []
        if frame is not None:
            for cation in cations:
                self_rows = select(self.table, "L_self", frame, cation)
                total = select(self.table, "L", frame, f"{cation}|{cation}")
                merged = self_rows.merge(total, on="state_point", suffixes=("", "_L"))
                if merged.empty:
                    continue
                share = merged["value"] / merged["value_L"]
                err = np.abs(share) * np.sqrt((merged["stderr"] / merged["value"]) ** 2 +
                                              (merged["stderr_L"] / merged["value_L"]) ** 2)
                base = merged[["state_point", "concentration_mol_L", "method"]]
                plus = self.sym(cation) == "+"
                series.append(Series("$L^{\\mathrm{self}}_{++}/L_{++}$" if plus else f"self share [{cation}]",
                                     base.assign(value=share.to_numpy(), stderr=err.to_numpy())))
                series.append(Series("$L^{\\mathrm{distinct}}_{++}/L_{++}$" if plus else f"distinct share [{cation}]",
                                     base.assign(value=(1 - share).to_numpy(), stderr=err.to_numpy()), marker="s",
                                     linestyle="--"))
        if series:
            panels.append(Panel(f"(b) Cation–cation correlations, {frame} frame", "share of $L_{++}$", "1", series,
                                hlines=(0.0, 1.0)))
        else:
            notes.append("L_++ self/distinct shares left out: no L_self and L rows of the cation")
        if not panels:
            return None, "no residence_time rows and no L_self/L rows of the cation"
        return ("Dynamics of ion association", "(a) Mean residence times τ = (τ_K/β) Γ(1/β) of cation contacts "
                "with the donor atoms (solid) and molecules (dashed) of each coordinating species, and of linker "
                "cations with the same two anions (dotted), from stretched-exponential fits (Eq. 6); (b) self and "
                "distinct shares of the cation–cation coefficient, L_++^self/L_++ and L_++^distinct/L_++ (Eq. 7; "
                "error bars propagated from the standard errors of L_self and L, treated as independent) "
                "(Fang et al. Fig. 5).", panels, notes), None

    def clusters(self):
        panels, notes = [], []
        rows = select(self.table, "cluster_size_fraction")
        sizes = pd.to_numeric(rows["species"].str.extract(r"(\d+)")[0], errors="coerce") if not rows.empty else None
        if not rows.empty and sizes.notna().any():
            rows = rows.assign(size=sizes.to_numpy(float))[sizes.notna().to_numpy()]
            points = rows.drop_duplicates("state_point")[["state_point", "concentration_mol_L"]]
            cmap = plt.get_cmap("viridis")
            series = []
            for k, (label, c) in enumerate(points.itertuples(index=False)):
                part = rows[rows["state_point"] == label]
                series.append(Series(f"{c:.3g} mol/L" if np.isfinite(c) else label, part, None,
                                     color=cmap(k / max(1, len(points) - 1) * 0.9)))
            panels.append(Panel("(a) Cluster-size distribution", "fraction of clusters", self._unit(rows) or "1",
                                series, xlabel="cluster size (ions)", x="size", log_x=rows["size"].max() > 20,
                                log_y=None))
        else:
            notes.append("cluster-size distribution left out: no cluster_size_fraction rows")
        series = self._per_species("percolating_fraction", lambda sp, _: "frames with a percolating cluster")
        series += self._per_species("largest_cluster_fraction", lambda sp, _: "largest cluster's share of ions",
                                    "s", "--")
        series += self._per_species("free_ion_fraction", lambda sp, _: f"free {sp} ions" if sp else "free ions",
                                    "v", ":")
        if series:
            panels.append(Panel("(b) Network", "fraction", "1", series, hlines=(0.0, 1.0),
                                **self._percolation_onset(notes)))
        else:
            notes.append("network panel left out: no percolating_fraction, largest_cluster_fraction or "
                         "free_ion_fraction rows")
        if not panels:
            return None, "no cluster_size_fraction or percolating_fraction rows: the cluster analysis was not run"
        return ("Ion clusters", "(a) Distribution of cluster sizes (ions per cluster; clusters of cation–anion shell "
                "contacts) at each concentration; (b) fraction of frames in which a cluster percolates through the "
                "periodic box, the largest cluster's share of all ions, and the fraction of each ion species in no "
                "contact; the percolation onset — the lowest concentration with a percolating cluster in at least "
                "half of its frames — as a vertical line, the interval between it and the highest concentration "
                "below it shaded.", panels, notes), None

    def _percolation_onset(self, notes: list) -> dict:
        """The onset's line and bracket (``vlines``, ``vspans`` of a Panel), from the percolating fractions."""
        from ..mesoscale.onset import percolation_onset_of
        onset = percolation_onset_of(self.table)
        if onset is None:
            return {}
        first, below = onset["concentration_mol_L"], onset["lower_mol_L"]
        if first is None:
            notes.append(f"no percolation onset: {onset['text']}")
            return {}
        line = {"vlines": ((first, f"percolation onset {first:.3g} mol/L"),)}
        if below is None:
            notes.append(f"percolation onset not bracketed: {onset['text']}")
            return line
        return {**line, "vspans": ((below, first, f"onset bracket {below:.3g}–{first:.3g} mol/L"),)}

    def screening(self):
        panels, notes = [], []
        series = []
        for quantity, label, marker in (("screening_length", "$\\lambda_S$", "o"),
                                        ("debye_length", "$\\lambda_D$", "s")):
            rows = select(self.table, quantity)
            if not rows.empty:
                series.append(Series(label, rows, (quantity, "", rows["species"].iloc[0]), marker))
        if series:
            panels.append(Panel("(a) Screening lengths", "λ", self._unit(pd.concat([s.data for s in series])), series))
        else:
            notes.append("screening lengths left out: no screening_length or debye_length rows")
        rows = select(self.table, "screening_ratio")
        if not rows.empty:
            panels.append(Panel("(b) Underscreening", "$\\lambda_S/\\lambda_D$", "1",
                                [Series("$\\lambda_S/\\lambda_D$", rows,
                                        ("screening_ratio", "", rows["species"].iloc[0]))],
                                hlines=(1.0,)))
        else:
            notes.append("λ_S/λ_D left out: no screening_ratio rows")
        if not panels:
            return None, "no screening_length, debye_length or screening_ratio rows: the screening analysis was not run"
        return ("Screening", "(a) Screening length λ_S from the decay of the charge–charge correlation and the Debye "
                "length λ_D; (b) the underscreening ratio λ_S/λ_D, against salt concentration.", panels, notes), None

    def newman_set(self):
        """κ, t_+^0, ρ_+, D (and D/TDF), TDF in the solvent frame: what a continuum cell model reads."""
        panels, notes = [], []
        spec = [("(a) Conductivity", "κ", [("conductivity", "solvent", "$\\kappa$", "o", "-")], ()),
                ("(b) Transference", "transference number",
                 [("t_plus", "solvent", "$t_+^0$", "o", "-"), ("rho_plus", "solvent", "$\\rho_+$", "s", "--")],
                 (0.0, 1.0)),
                ("(c) Salt diffusion", "$D$", [("salt_diffusion", "solvent", "$D$", "o", "-"),
                                               ("ideal_salt_diffusion", "solvent", "$D$/TDF", "s", "--")], ()),
                ("(d) Thermodynamic factor", "TDF", [("thermodynamic_factor", "", "TDF", "o", "-")], (1.0,))]
        for title, name, curves, hlines in spec:
            series = []
            for quantity, frame, label, marker, style in curves:
                rows = select(self.table, quantity, frame)
                rows = rows[np.isfinite(rows["value"].to_numpy(float))]
                if rows.empty:
                    notes.append(f"{label} left out: no finite {quantity} rows" + (f" in the {frame} frame" if frame
                                                                                   else ""))
                    continue
                series.append(Series(label, rows, (quantity, frame, rows["species"].iloc[0]), marker, style))
            if series:
                panels.append(Panel(title, name, self._units(series), series, hlines=hlines))
        if not panels:
            return None, "no conductivity, t_plus, rho_plus, salt_diffusion or thermodynamic_factor rows"
        return ("Continuum (Newman) transport properties", "The properties a concentrated-solution (Newman) cell "
                "model needs, against salt concentration, solvent frame: (a) conductivity κ; (b) transference "
                "number t_+^0 and the Bruce–Vincent current fraction ρ_+; (c) Fickian salt diffusion coefficient "
                "D = TDF · D/TDF, both from the Onsager coefficients; (d) the thermodynamic factor TDF = "
                "1 + d ln y_±/d ln c (Kirkwood–Buff or given; ionscale.continuum).", panels, notes), None

    def device(self):
        """PyBaMM on the study's Newman set: Bruce–Vincent ρ_+ against the Onsager one; a half-cell discharge."""
        from ..continuum import require_pybamm
        from ..continuum.cells import device_predictions
        points = [{"label": p.label, "concentration_mol_L": p.concentration_mol_L, "system": p.system}
                  for p in self.study.points]
        try:
            require_pybamm()
            out = device_predictions(self.table, points, self.study.name, self.study.temperature_K)
        except IonscaleError as err:
            return None, f"no device predictions: {err}"
        notes = []
        checks = pd.DataFrame(out["bruce_vincent"]).assign(stderr=np.nan, method="", unit="1")
        missing = checks["rho_plus_pybamm"].isna()
        if missing.any():
            notes.append(f"{int(missing.sum())} state point(s) without a Bruce–Vincent run: non-positive κ, D or TDF")
        same_l = checks.assign(value=checks["rho_plus_same_L"].astype(float))
        pybamm_rows = checks[~missing].assign(value=lambda t: t["rho_plus_pybamm"].astype(float))
        panels = [Panel("(a) Current fraction", "$\\rho_+$", "1",
                        [Series("$\\rho_+$ from $L_{ij}$, replica average (Eq. 4)", select(self.table, "rho_plus", "solvent"),
                                ("rho_plus", "solvent", ""), "o", ":"),
                         Series("$\\rho_+$ of the same $L$ as the cell", same_l, None, "s", "-"),
                         Series("$\\rho_+$ Bruce–Vincent (PyBaMM)", pybamm_rows, None, "x", "--")],
                        hlines=(0.0, 1.0))]
        curves = []
        for key, label in (("md", "MD electrolyte"), ("lipf6", "LiPF$_6$ (Valøen–Reimers)")):
            run = out[key]
            data = pd.DataFrame({"capacity_mAh": run["capacity_mAh"], "value": run["voltage_V"]}).assign(
                stderr=np.nan, method="", unit="V", concentration_mol_L=np.nan)
            curves.append(Series(label, data, None, "", "-" if key == "md" else "--"))
        panels.append(Panel(f"(b) Li-metal half cell, {out['c_rate']:g}C", "voltage", "V", curves,
                            xlabel="discharge capacity (mA h)", x="capacity_mAh"))
        lim = out["limiting"]
        if lim is not None:
            ratio = lim["current_A_m2"] / lim["I_lim_analytic"]
            grid = np.linspace(0, 0.95, 40)
            analytic = lim["diffusion_potential_V"] * np.log((1 + grid) / (1 - grid))
            frame = lambda x, y: pd.DataFrame({"ratio": x, "value": 1e3 * np.asarray(y)}).assign(  # noqa: E731
                stderr=np.nan, method="", unit="mV", concentration_mol_L=np.nan)
            panels.append(Panel("(c) Concentration polarisation", "$\\eta_c$",
                                "mV", [Series(f"PyBaMM, $I_{{lim}}$ = {lim['I_lim_pybamm']:.3g} A/m²",
                                              frame(ratio, lim["eta_c_V"]), None, "o", "none"),
                                       Series("analytic", frame(grid, analytic), None, "", "-")],
                                xlabel="current density / limiting current, I/I_lim (–)", x="ratio"))
        else:
            notes.append("concentration polarisation left out: t_+^0 ≥ 1, the salt never depletes")
        return ("Device predictions (PyBaMM)", "(a) Current fraction ρ_+ of a Li|electrolyte|Li cell from a simulated "
                "1 mV Bruce–Vincent polarisation (PyBaMM, concentrated-solution theory with κ, t_+^0, D and TDF of one "
                "Onsager matrix — the replica-mean L; ionscale.continuum.cells), next to ρ_+ of that L (Eq. 4): "
                "they must agree; dotted, the replica average of ρ_+ with its standard error. "
                f"(b) Constant-current discharge of PyBaMM's lithium-metal half cell (Xu2019: NMC532 | electrolyte | Li) "
                f"at {out['c_rate']:g}C, with the study's electrolyte and with the set's LiPF6, both from "
                f"c_e = {out['initial_concentration_mol_m3']:.4g} mol/m³ (the study concentration nearest 1 M; the "
                "MD functions are clamped outside the study's range; PyBaMM's equations are those of a 1:1 salt). "
                "(c) Steady concentration overpotential of a "
                f"{1e6 * out['thickness_m']:.0f} µm symmetric cell against I/I_lim (galvanostatic PyBaMM runs; line: "
                "(νRT/z_+ν_+F)(1 − t_+^0) TDF ln[(1 + I/I_lim)/(1 − I/I_lim)]), I_lim where the cathode empties. "
                "Model predictions, not measurements.", panels, notes), None

    def recipes(self) -> list:
        return [
            ("fig1_diffusion", self.diffusion),
            ("fig2_onsager", lambda: self.onsager("L")),
            ("fig2_onsager_species_mean", lambda: self.onsager("L_mean")),
            ("fig3_transference", self.transference),
            ("transference_frames", self.transference_frames),
            ("conductivity", self.conductivity),
            ("fig4_solvation", self.solvation),
            ("ion_pairing", self.pairing),
            ("fig5_dynamics", self.dynamics),
            ("clusters", self.clusters),
            ("screening", self.screening),
            ("newman_set", self.newman_set),
            ("device", self.device),
        ]


FIGURE_NAMES = ("fig1_diffusion", "fig2_onsager", "fig2_onsager_species_mean", "fig3_transference",
                "transference_frames", "conductivity", "fig4_solvation", "ion_pairing", "fig5_dynamics", "clusters",
                "screening", "newman_set", "device")


def _save(fig, path: Path, fmt: str) -> None:
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    atomic_write(path, lambda f: fig.savefig(f, format=fmt, dpi=130, metadata=metadata), binary=True)


RC = {"svg.hashsalt": "ionscale", "font.size": 9, "legend.fontsize": 8}


def _draw(study: Study, name: str, recipe) -> tuple:
    """(Figure, title, caption, notes), or (None, reason) when nothing can be drawn."""
    try:
        spec, reason = recipe()
    except Exception as err:   # a malformed table must not cost the other figures
        log.exception("figure %s failed", name)
        return None, f"could not be drawn: {type(err).__name__}: {err}"
    if spec is None:
        return None, reason
    title, caption, panels, notes = spec
    drawer = _Drawer(study)
    fig, axes = plt.subplots(1, len(panels), figsize=(4.3 * len(panels), 3.6), squeeze=False)
    try:
        for ax, panel in zip(axes[0], panels):
            drawer.draw(ax, panel)
        fig.tight_layout()
    except Exception as err:
        plt.close(fig)
        log.exception("figure %s failed", name)
        return None, f"could not be drawn: {type(err).__name__}: {err}"
    methods = _methods_text(drawer.methods)
    if methods:
        caption += f" Error bars: standard errors ({methods})."
    return fig, title, caption, list(notes)


def plot_study(study: Study | str | Path, name: str):
    """Draw one study figure (a name of :data:`FIGURE_NAMES`) and return the matplotlib Figure.

    For notebooks: ``plot_study("my-study", "fig3_transference")``. Raises :class:`IonscaleError` with
    the reason when the figure cannot be drawn (its quantities were not computed)."""
    study = study if isinstance(study, Study) else load_study(study)
    recipes = dict(_Builder(study).recipes())
    if name not in recipes:
        raise IonscaleError(f"no study figure {name!r}; choose one of {', '.join(FIGURE_NAMES)}")
    with plt.rc_context(RC):
        drawn = _draw(study, name, recipes[name])
    if drawn[0] is None:
        raise IonscaleError(f"figure {name} not drawn: {drawn[1]}")
    return drawn[0]


def make_study_figures(study_dir: str | Path, *, study: Study | None = None,
                       formats: tuple = ("png", "svg")) -> FigureList:
    """Write the figures of a study (or of one analysis folder) into ``DIR/figures/`` as PNG and SVG.

    Parameters
    ----------
    study_dir : path
        A study folder (``study.json``) or an ``ionscale analyze`` output folder (``results.json``).
    study : Study, optional
        The folder already read by :func:`load_study`.
    formats : tuple of str
        File formats to write; PNG is always written (the report embeds it).

    Returns
    -------
    FigureList
        The written paths (a list of :class:`~pathlib.Path`, PNG then SVG of each figure), with
        ``.figures`` (name, title, caption, png, svg, notes on left-out panels), ``.skipped``
        (name, reason) for every figure not drawn, and ``.notes`` (problems met reading the folder).
        Each file is written to a temporary name and renamed. Files of figures skipped now but drawn
        by an earlier run are removed, and ``figures/figures.json`` lists what was drawn and skipped.
    """
    study = study if study is not None else load_study(study_dir)
    formats = ("png",) + tuple(f for f in formats if f != "png")
    out = Path(study_dir) / "figures"
    out.mkdir(parents=True, exist_ok=True)
    result = FigureList(notes=study.messages)
    with plt.rc_context(RC):
        for name, recipe in _Builder(study).recipes():
            paths = {fmt: out / f"{name}.{fmt}" for fmt in ("png", "svg", *formats)}
            drawn = _draw(study, name, recipe)
            if drawn[0] is None:
                result.skipped.append(Skipped(name, drawn[1]))
                log.info("figure %s skipped: %s", name, drawn[1])
                for path in paths.values():
                    path.unlink(missing_ok=True)
                continue
            fig, title, caption, notes = drawn
            try:
                for fmt in formats:
                    _save(fig, paths[fmt], fmt)
            finally:
                plt.close(fig)
            for note in notes:
                log.info("figure %s: %s", name, note)
            result += [paths[fmt] for fmt in formats]
            result.figures.append(FigureInfo(name, title, caption, paths["png"], paths["svg"], notes))
    _write_manifest(out, result)
    return result


def load_figure_list(study_dir: str | Path) -> FigureList:
    """The :class:`FigureList` of the last :func:`make_study_figures` run, read from ``figures/figures.json``.

    Lets :func:`~ionscale.report.html.write_report` embed figures already drawn, without drawing again."""
    out = Path(study_dir) / "figures"
    try:
        manifest = json.loads((out / "figures.json").read_text())
    except (OSError, ValueError) as err:
        raise IonscaleError(f"no figure list in {out} ({err}); draw the figures with make_study_figures "
                            "or `ionscale report`") from None
    figures = [FigureInfo(f["name"], f["title"], f["caption"], out / f["png"], out / f["svg"], list(f["notes"]))
               for f in manifest["figures"]]
    paths = [p for f in figures for p in (f.png, f.svg) if p.is_file()]
    return FigureList(paths, figures, [Skipped(**s) for s in manifest["skipped"]], manifest.get("notes", []))


def _write_manifest(out: Path, result: FigureList) -> None:
    manifest = {"figures": [{"name": f.name, "title": f.title, "caption": f.caption, "png": f.png.name,
                             "svg": f.svg.name, "notes": f.notes} for f in result.figures],
                "skipped": [s._asdict() for s in result.skipped], "notes": result.notes}
    atomic_write(out / "figures.json", lambda f: json.dump(manifest, f, indent=1))


__all__ = ["make_study_figures", "plot_study", "load_figure_list", "load_study", "is_study_folder", "select",
           "pick_frame", "pretty_unit", "error_method", "Study", "StatePoint", "FigureList", "FigureInfo", "Skipped",
           "FIGURE_NAMES"]
