'''``ionscale export pybamm STUDY_DIR``: a PyBaMM parameter module (and JSON) from a study's Newman set.

The study's solvent-frame conductivity κ, transference number t_+^0, Fickian salt diffusion coefficient D
and thermodynamic factor (``study.csv``, :mod:`.analysis`) become PyBaMM's
``"Electrolyte conductivity [S.m-1]"``, ``"Cation transference number"``,
``"Electrolyte diffusivity [m2.s-1]"`` and ``"Thermodynamic factor"`` — functions of c_e by linear
interpolation (``pybamm.Interpolant``) over the state points, clamped to the nearest end outside them —
on top of a named PyBaMM parameter set (default ``Chen2020``; ``Xu2019`` is a lithium-metal half cell).
The written module is plain Python with its data inline (numpy and pybamm only)::

    import pybamm, importlib.util
    spec = importlib.util.spec_from_file_location("md", "my-study/pybamm_parameters.py")
    md = importlib.util.module_from_spec(spec); spec.loader.exec_module(md)
    sim = pybamm.Simulation(pybamm.lithium_ion.DFN(), parameter_values=md.parameter_values())

Its docstring carries the caveats (model, force field, one temperature, valences, clamping, error bars
not propagated). The JSON holds the same table with units and the caveats.
'''

from __future__ import annotations

import datetime
import fnmatch
import importlib.metadata
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ..core.files import atomic_write, read_study
from ..core.units import si_unit, to_si
from ..errors import IonscaleError

#: (PyBaMM parameter, study quantity, frame, study unit); the values go to PyBaMM in SI (core.units)
PARAMETERS = (
    ("Electrolyte conductivity [S.m-1]", "conductivity", "solvent", "mS/cm"),
    ("Cation transference number", "t_plus", "solvent", "1"),
    ("Electrolyte diffusivity [m2.s-1]", "salt_diffusion", "solvent", "1e-10 m^2/s"),
    ("Thermodynamic factor", "thermodynamic_factor", "", "1"),
)
NO_ERROR_METHOD = "replica-mean L"


@dataclass
class ElectrolyteTable:
    """The Newman set of a study per state point, SI units: ``concentration_mol_m3`` (n,), and per PyBaMM
    parameter name ``values`` / ``stderr`` (n,), with the study's name, temperature, valences and methods."""

    name: str
    temperature_K: float
    valences: dict
    concentration_mol_m3: np.ndarray
    values: dict
    stderr: dict
    methods: dict

    @classmethod
    def from_study(cls, study_dir: str | Path, select: Sequence[str] = ()) -> "ElectrolyteTable":
        """From a study folder's ``study.csv`` and ``study.json``; ``select``: glob patterns of the state
        point labels to take (default all), e.g. ``["strong*"]`` for one series of a two-series study."""
        folder = Path(study_dir)
        table, study = read_study(folder)
        points = study["state_points"]
        if select:
            points = [p for p in points if any(fnmatch.fnmatchcase(p["label"], pattern) for pattern in select)]
            if not points:
                raise IonscaleError(f"no state point matches {', '.join(select)}; the study has "
                                    f"{', '.join(repr(p['label']) for p in study['state_points'])}")
        return cls.from_table(table, points, study.get("name", folder.name), float(study["temperature_K"]))

    @classmethod
    def from_table(cls, table: pd.DataFrame, points: list, name: str, temperature_K: float) -> "ElectrolyteTable":
        """From study rows (columns of ``study.csv``) and the state points (``label``, ``concentration_mol_L``,
        ``system`` as in ``study.json``)."""
        table = table[table["method"] != NO_ERROR_METHOD].assign(frame=lambda t: t["frame"].fillna(""))
        points = sorted(points, key=lambda p: p["concentration_mol_L"])
        if not points:
            raise IonscaleError("the study has no analysed state point")
        species = points[0]["system"]["species"]
        valences = {s["role"]: s["valence"] for s in species if s["role"] in ("cation", "anion")}
        values, stderr, methods = {}, {}, {}
        for parameter, quantity, frame, unit in PARAMETERS:
            v, s, m = [], [], []
            for p in points:
                hit = table[(table["state_point"] == p["label"]) & (table["quantity"] == quantity)
                            & (table["frame"] == frame)]
                if hit.empty or not np.isfinite(hit["value"].iloc[0]):
                    hint = (" (give the study a thermodynamic_factor in [analysis]: explicit-solvent runs have no "
                            "Kirkwood–Buff TDF)" if quantity in ("thermodynamic_factor", "salt_diffusion") else "")
                    raise IonscaleError(f"state point {p['label']!r} has no finite {quantity} ({frame or 'no'} frame) "
                                        f"in study.csv{hint}")
                v.append(to_si(hit["value"].iloc[0], unit))
                s.append(to_si(hit["stderr"].iloc[0], unit))
                m.append(str(hit["method"].iloc[0]))
            values[parameter], stderr[parameter], methods[parameter] = np.array(v), np.array(s), sorted(set(m))
        c = to_si(np.array([p["concentration_mol_L"] for p in points]), "mol/L")
        if len(np.unique(c)) != len(c):
            listed = ", ".join(f"{p['label']!r} ({p['concentration_mol_L']:g} mol/L)" for p in points)
            raise IonscaleError(f"state points share a concentration, so one table against c_e cannot hold them: "
                                f"{listed}. Export one series at a time: select its state points by label "
                                "(--points 'PATTERN', repeatable; select=[...] in Python)")
        return cls(name, float(temperature_K), valences, c, values, stderr, methods)

    def caveats(self, base: str) -> list:
        z_plus, z_minus = self.valences.get("cation", 1), self.valences.get("anion", -1)
        c = self.concentration_mol_m3
        lines = [
            "These are simulation results, not measurements: the force field (its charges, its solvent model, "
            "scaled or not) sets them, and its errors carry over unchanged; a coarse-grained model (e.g. the "
            "`ionscale demo` electrolyte) describes a model salt, not a real one.",
            f"One temperature, {self.temperature_K:g} K: the T argument of every function is ignored.",
            f"Measured only for c_e = {c.min():.4g}–{c.max():.4g} mol/m^3 ({len(c)} state point(s)); outside that "
            "range each function keeps its value at the nearest end (clamped), which is not a prediction.",
            "c_e is the cation concentration of the study (its concentration_mol_L x 1000).",
            "Diffusivity is the Fickian salt diffusion coefficient D = TDF x D_id of the solvent frame, t_+ is t_+^0 "
            "of the solvent frame; the thermodynamic factor is the molar 1 + dln y/dln c "
            f"({'; '.join(self.methods['Thermodynamic factor'])}).",
            "Error bars (STDERR below, the study's standard errors) are not propagated into PyBaMM.",
            f"Every other parameter (electrodes, geometry, initial concentration) is the base set {base!r}.",
        ]
        if (z_plus, z_minus) != (1, -1):
            lines.append(f"Valences z+ = {z_plus}, z- = {z_minus}: PyBaMM's electrolyte equations are those of a "
                         "1:1 salt (diffusion potential 2RT/F (1 - t+) TDF); for this salt they are only indicative.")
        return lines


MODULE = '''"""PyBaMM parameters for the MD electrolyte of the ionscale study {name!r}.

Generated {created} by ionscale {version} (`ionscale export pybamm`) from {study}.
Base parameter set: {base!r}; replaced: electrolyte conductivity, diffusivity, cation transference number
and thermodynamic factor, as functions of c_e [mol.m-3] (linear pybamm.Interpolant of the state points).

CAVEATS
{caveats}

Use::

    sim = pybamm.Simulation(pybamm.lithium_ion.DFN(), parameter_values=parameter_values())
"""

import numpy as np
import pybamm

BASE = {base!r}
TEMPERATURE_K = {temperature!r}
CONCENTRATION_MOL_M3 = np.array({c!r})
#: parameter name -> values at CONCENTRATION_MOL_M3 (SI units: S/m, 1, m^2/s, 1)
DATA = {{
{data}
}}
#: their standard errors (not used by PyBaMM; None: no error bar)
STDERR = {{
{stderr}
}}


def _table(name, c_e):
    values = np.array(DATA[name])
    if len(values) == 1:
        return pybamm.Scalar(values[0])
    c = pybamm.maximum(pybamm.minimum(c_e, CONCENTRATION_MOL_M3[-1]), CONCENTRATION_MOL_M3[0])
    return pybamm.Interpolant(CONCENTRATION_MOL_M3, values, c, name="ionscale " + name, interpolator="linear")


def electrolyte_conductivity(c_e, T):
    return _table("Electrolyte conductivity [S.m-1]", c_e)


def electrolyte_diffusivity(c_e, T):
    return _table("Electrolyte diffusivity [m2.s-1]", c_e)


def cation_transference_number(c_e, T):
    return _table("Cation transference number", c_e)


def thermodynamic_factor(c_e, T):
    return _table("Thermodynamic factor", c_e)


def parameter_values(base=BASE):
    """The base set with the MD electrolyte functions."""
    values = pybamm.ParameterValues(base)
    values.update({{
        "Electrolyte conductivity [S.m-1]": electrolyte_conductivity,
        "Electrolyte diffusivity [m2.s-1]": electrolyte_diffusivity,
        "Cation transference number": cation_transference_number,
        "Thermodynamic factor": thermodynamic_factor,
    }})
    return values
'''


def module_text(table: ElectrolyteTable, base: str, study: str) -> str:
    """The Python source of the parameter module (see the module docstring)."""
    fmt = lambda d: "\n".join(f"    {k!r}: {[float(x) if np.isfinite(x) else None for x in v]!r},"  # noqa: E731
                               for k, v in d.items())
    return MODULE.format(name=table.name, created=datetime.datetime.now(datetime.timezone.utc).isoformat(
        timespec="seconds"), version=_version(), study=study, base=base,
        caveats="\n".join(f"- {line}" for line in table.caveats(base)), temperature=table.temperature_K,
        c=[float(x) for x in table.concentration_mol_m3], data=fmt(table.values), stderr=fmt(table.stderr))


def export_pybamm(study_dir: str | Path, out: str | Path | None = None, base: str = "Chen2020",
                  select: Sequence[str] = ()) -> tuple[Path, Path]:
    """Write ``pybamm_parameters.py`` (or ``out``) and the same data as ``.json`` beside it; returns both paths.
    ``select``: glob patterns of the state point labels to export (default all; :meth:`ElectrolyteTable.from_study`).

    With PyBaMM installed the base set is checked and the written module is loaded and run once
    (``parameter_values()``), so a file that does not work is never left behind."""
    table = ElectrolyteTable.from_study(study_dir, select)
    out = Path(out) if out is not None else Path(study_dir) / "pybamm_parameters.py"
    if out.suffix != ".py":
        raise IonscaleError(f"the PyBaMM parameter module must be a .py file, got {out}")
    _check_base(base)
    text = module_text(table, base, str(Path(study_dir).resolve()))
    _check_module(text)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, lambda f: f.write(text))
    document = {"study": table.name, "base_parameter_set": base, "temperature_K": table.temperature_K,
                "valences": table.valences, "c_e_mol_m3": table.concentration_mol_m3.tolist(),
                "parameters": {name: {"unit": si_unit(unit), "values": table.values[name].tolist(),
                                      "stderr": [None if not np.isfinite(x) else float(x) for x in table.stderr[name]],
                                      "study_quantity": q, "frame": frame, "methods": table.methods[name]}
                               for name, q, frame, unit in PARAMETERS},
                "caveats": table.caveats(base)}
    json_path = out.with_suffix(".json")
    atomic_write(json_path, lambda f: json.dump(document, f, indent=1))
    return out, json_path


def _check_base(base: str) -> None:
    try:
        from . import require_pybamm
        pybamm = require_pybamm()
    except IonscaleError:
        return   # written unchecked: PyBaMM may live elsewhere
    if base not in pybamm.parameter_sets:
        raise IonscaleError(f"PyBaMM has no parameter set {base!r}; choose one of {', '.join(sorted(pybamm.parameter_sets))}")


def _check_module(text: str) -> None:
    try:
        from . import require_pybamm
        require_pybamm()
    except IonscaleError:
        return
    _run(text)["parameter_values"]()


def _run(text: str) -> dict:
    """The namespace of a generated module's text (the code this module generates, nothing else)."""
    namespace: dict = {}
    exec(compile(text, "pybamm_parameters.py", "exec"), namespace)
    return namespace


def parameter_values(table: ElectrolyteTable, base: str = "Chen2020"):
    """pybamm.ParameterValues of ``base`` with the electrolyte of ``table`` — by the very code that
    :func:`export_pybamm` writes (PyBaMM needed)."""
    from . import require_pybamm
    require_pybamm()
    _check_base(base)
    return _run(module_text(table, base, table.name))["parameter_values"]()


def _version() -> str:
    try:
        return importlib.metadata.version("ionscale")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def load_parameter_module(path: str | Path):
    """Import a module written by :func:`export_pybamm` (PyBaMM needed)."""
    import importlib.util

    from . import require_pybamm
    require_pybamm()
    spec = importlib.util.spec_from_file_location("ionscale_pybamm_parameters", Path(path))
    if spec is None or not Path(path).is_file():
        raise IonscaleError(f"no PyBaMM parameter module at {path}: write one with `ionscale export pybamm`")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
