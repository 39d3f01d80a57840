"""The study file: state points × replicas of one electrolyte, validated, with errors that name the line.

A study (Fang et al. 2026: 8 concentrations × 4 independent replicas) is one TOML file::

    name = "LiPF6 in EC/DMC"
    temperature = 303.0                       # K

    [species]                                 # shared by every state point (a state point may override)
    cation = "resname LI"
    anion = "resname PF6"                     # or a list, or a table {label = selection}
    solvent = { EC = "resname EC", DMC = "resname DMC" }
    valences = { cation = 1, anion = -1 }     # optional overrides
    timestep_ps = 10.0                        # optional: time between frames when files carry none
                                              #   (force_timestep = true: override the files' own)
                                              # allow_unassigned = true: atoms in no species, no solvent
    implicit_solvent = false                  # optional: no solvent species because it is a continuum
                                              #   (else no solvent = a solvent-free melt, no solvent frame)
    particles = "molecules"                   # optional: "atoms" = every atom a particle (xyz, melts)

    [analysis]                                # optional; the keys are the settings of ionscale.analyses,
                                              #   the same as the options of `ionscale analyze`
    transport = true                          # false: no transport (nor continuum)
    fit_window = [100.0, 1000.0]              # ps; default: found from the self-MSDs
    blocks = 5                                # error bars of single trajectories
    start = 100                               # frames: first to use (also stop, step)
    structure = true                          # false: no solvation structure
    donors = { PF6 = "name F*" }              # structure: donor atoms per species (default O and N)
    cutoffs = { EC = 0.27 }                   # structure: shell cut-offs in nm (default: RDF minima)
    mesoscale = true                          # false: no clusters, percolation or screening
    epsilon_r = 20.0                          # screening: solvent permittivity for λ_D (default: from dipoles)
    cluster_contacts = "all"                  # clusters: "shell" (default: cation–anion first-shell contacts),
                                              #   "cation-anion" or "all" (ion atoms within cluster_cutoff_nm)
    cluster_atoms = "name Li N O S"           # clusters: ion atoms of distance contacts (default: every one)
    cluster_cutoff_nm = 0.34                  # clusters: distance of "cation-anion"/"all" contacts, nm
    cluster_carrier = "com"                   # cluster NE: D of a cluster = "majority" ion's (default) or its
    carrier_lag_ps = 10.0                     #   centre-of-mass MSD over this lag, ps (default: one frame)
    szz_k_max_nm_inv = 10.0                   # screening: largest |k| of S_ZZ(k), nm⁻¹
    thermodynamic_factor = 1.0                # continuum: given TDF — a number, "tdf.csv" (columns
                                              #   concentration_mol_L, thermodynamic_factor[, stderr]) or
                                              #   { concentration_mol_L = [...], thermodynamic_factor = [...] };
                                              #   default: Kirkwood–Buff from the ion RDFs (implicit solvent)

    [[state_points]]
    label = "0.5 M"
    concentration = 0.5                       # mol/L; computed from the system when absent
    replicas = [
      { topology = "c05/r1/topol.tpr", trajectories = ["c05/r1/traj.xtc"] },
      { topology = "c05/r2/topol.tpr", trajectories = ["c05/r2/traj.xtc"] },
    ]

    [[state_points]]
    label = "0.3 M model"
    simulate = { preset = "star-anion", replicas = 2, overrides = { concentration = 0.3 } }

    [[experiment]]                            # optional data to overlay on the figures
    label = "eNMR"
    file = "experiment.csv"                   # columns: concentration_mol_L, quantity, value[, stderr, species, frame]

Relative paths are relative to the study file. Every mistake is reported with its line and what was
expected (:class:`StudyFileError`).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Dict, List, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..analyses import Settings
from ..errors import IonscaleError

Selections = Union[str, List[str], Dict[str, str]]


class StudyFileError(IonscaleError):
    """A study file that cannot be used; the message lists each problem with its line."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)  # inf/nan: "a finite number"


class SpeciesSpec(_Strict):
    """Selections of the species (see :meth:`ionscale.Electrolyte.from_universe`)."""

    cation: str
    anion: Selections
    solvent: Optional[Selections] = None
    valences: Dict[str, int] = Field(default_factory=dict)
    centers: Dict[str, str] = Field(default_factory=dict)
    allow_non_neutral: bool = False
    timestep_ps: Optional[float] = Field(None, gt=0, description="time between stored frames, ps")
    force_timestep: bool = Field(False, description="timestep_ps overrides the frame interval the files store")
    allow_unassigned: bool = Field(False, description="proceed with atoms in no species and no solvent selected")
    implicit_solvent: bool = Field(False, description="no solvent species: the solvent is a continuum at rest "
                                                      "(else a solvent-free melt or ionic liquid)")
    particles: Literal["molecules", "atoms"] = Field("molecules", description="what a particle is")

    def electrolyte_kwargs(self) -> dict:
        return dict(cation=self.cation, anion=self.anion, solvent=self.solvent, valences=self.valences,
                    centers=self.centers, allow_non_neutral=self.allow_non_neutral, timestep_ps=self.timestep_ps,
                    force_timestep=self.force_timestep, allow_unassigned=self.allow_unassigned,
                    implicit_solvent=self.implicit_solvent, particles=self.particles)


class ReplicaSpec(_Strict):
    topology: Path
    trajectories: List[Path] = Field(min_length=1)
    topology_format: Optional[str] = None
    format: Optional[str] = None


class SimulateSpec(_Strict):
    preset: str
    replicas: int = Field(2, ge=1)
    first_seed: int = 1
    overrides: Dict[str, Union[float, int, str, bool]] = Field(default_factory=dict)


class StatePointSpec(_Strict):
    label: str = Field(min_length=1)
    concentration: Optional[float] = Field(None, gt=0, description="cation concentration, mol/L")
    replicas: List[ReplicaSpec] = Field(default_factory=list)
    simulate: Optional[SimulateSpec] = None
    species: Optional[SpeciesSpec] = None

    @model_validator(mode="after")
    def _one_source(self):
        if bool(self.replicas) == (self.simulate is not None):
            raise ValueError("give either `replicas` (trajectory files) or `simulate` (a preset), not both or neither")
        return self

    @field_validator("label")
    @classmethod
    def _safe_label(cls, label):
        if not re.fullmatch(r"[\w .+-]+", label):
            raise ValueError("label may use letters, digits, spaces and . + - _ only (it names a folder)")
        return label


class ExperimentSpec(_Strict):
    label: str
    file: Path


class StudySpec(_Strict):
    name: str = "study"
    temperature: float = Field(gt=0, description="K")
    species: Optional[SpeciesSpec] = None
    #: the [analysis] table: the settings of :mod:`ionscale.analyses` (the names and defaults of the command
    #: line's options and of :class:`ionscale.analyses.Options`, whose docs give the physics)
    analysis: Settings = Field(default_factory=Settings)
    state_points: List[StatePointSpec] = Field(min_length=1)
    experiment: List[ExperimentSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _species_everywhere(self):
        labels = [p.label for p in self.state_points]
        if len(set(labels)) != len(labels):
            raise ValueError(f"state point labels must be unique, got {labels}")
        for p in self.state_points:
            if p.species is None and self.species is None and p.simulate is None:
                raise ValueError(f"state point {p.label!r} has no species: add a [species] table")
        return self

    def species_of(self, point: StatePointSpec) -> SpeciesSpec | None:
        return point.species or self.species


def load_study(path: str | Path) -> StudySpec:
    """Read and validate a study file; relative paths become relative to its folder."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as err:
        raise StudyFileError(f"cannot read the study file {path}: {err.strerror}") from None
    except UnicodeDecodeError as err:
        raise StudyFileError(f"{path} is not UTF-8 text (byte {err.start}): TOML files are UTF-8; save it as "
                             "UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise StudyFileError(f"{path}: not valid TOML: {err}") from None
    _anchor_tdf_table(data, path.parent.resolve())
    try:
        spec = StudySpec.model_validate(data)
    except ValidationError as err:
        problems = [f"  line {_line_of(text, e['loc'])}: {'.'.join(map(str, e['loc'])) or '(top level)'}: "
                    f"{_expected(e)}" for e in err.errors()]
        raise StudyFileError(f"{path} has {len(problems)} problem(s):\n" + "\n".join(problems)) from None
    return _resolve(spec, path.parent.resolve())


def _anchor_tdf_table(data: dict, base: Path) -> None:
    """A TDF table file named in [analysis] is relative to the study file (read when validated)."""
    analysis = data.get("analysis")
    tdf = analysis.get("thermodynamic_factor") if isinstance(analysis, dict) else None
    if isinstance(tdf, str) and not Path(tdf).is_absolute():
        try:
            float(tdf)
        except ValueError:
            analysis["thermodynamic_factor"] = str(base / tdf)


def _expected(error: dict) -> str:
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        return "unknown key (check its spelling against the documented study file)"
    if error["type"] == "missing":
        return "required, but missing"
    return f"{message} (got {error.get('input')!r})" if error["type"] != "value_error" else message


def _line_of(text: str, loc: tuple) -> str:
    """The line of the deepest key of ``loc`` present in the file (an approximation for nested arrays)."""
    lines = text.splitlines()
    start = 0
    for part in loc:
        if isinstance(part, int):
            continue
        pattern = re.compile(rf"^\s*(\[\[?)?\s*([\w.]*\.)?{re.escape(str(part))}\s*(=|\]|\.)|[{{,]\s*{re.escape(str(part))}\s*=")
        for k in range(start, len(lines)):
            if pattern.search(lines[k]):
                start = k
                break
    return str(start + 1) if loc else "1"


def _resolve(spec: StudySpec, base: Path) -> StudySpec:
    def fix(p: Path) -> Path:
        return p if p.is_absolute() else base / p
    points = [p.model_copy(update={"replicas": [r.model_copy(update={"topology": fix(r.topology),
                                                                     "trajectories": [fix(t) for t in r.trajectories]})
                                                for r in p.replicas]}) for p in spec.state_points]
    experiment = [e.model_copy(update={"file": fix(e.file)}) for e in spec.experiment]
    return spec.model_copy(update={"state_points": points, "experiment": experiment})
