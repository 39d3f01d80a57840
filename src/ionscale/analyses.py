"""The analyses of a state point and their settings: one pydantic model per analysis, the single source
of every setting.

Every analysis declares one settings model; :class:`Settings` is their union, and it is what the three
ways in take:

- the Python API, :class:`Options` (``Options(fit_window=(100, 1000), blocks=4)``);
- the study file, the keys of its ``[analysis]`` table (:mod:`ionscale.study.spec`), validated by
  :class:`Settings` so that each mistake is reported with its line;
- the command line, the options of ``ionscale analyze``: ``--fit-window``, ``--blocks``, ... — each
  field as ``--its-name-with-dashes``, built from the models by :mod:`ionscale.cli` (a field's
  :class:`Cli` metadata keeps the older flags users type: ``--cutoff``, ``--tdf``).

A new setting is one field of its analysis' model; ``tests/test_settings.py`` checks that the three
expose the same names and defaults, and that the same values give the same settings.

=======================  ==================================================================
model                    settings
=======================  ==================================================================
:class:`PassSettings`    the frames of the pass (start, stop, step) and the blocks of error bars
:class:`TransportSettings`   on/off, fit window (SPEC §2–3)
:class:`StructureSettings`   on/off, donor atoms and shell cut-offs (SPEC §4–5)
:class:`MesoscaleSettings`   on/off, cluster contacts and carriers, ε_r, S_ZZ's k_max (SPEC §6–7)
:class:`ContinuumSettings`   a given thermodynamic factor (:mod:`ionscale.continuum`)
=======================  ==================================================================
"""

from __future__ import annotations

from typing import Annotated, Dict, List, Literal, Optional, Tuple, Union

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from .errors import IonscaleError


class Cli:
    """How a setting is typed on the command line besides ``--its-name``: the older flags that keep working
    (``Annotated[type, Cli("--cutoff")]``)."""

    def __init__(self, *flags: str):
        self.flags = flags


class _Model(BaseModel):
    # a misspelt key is refused, settings do not change once made, inf/nan are not a finite number
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _positive(value: float | None, what: str, unit: str) -> float | None:
    if value is not None and not value > 0:
        raise ValueError(f"{what} must be positive{f' (in {unit})' if unit else ''}, got {value:g}")
    return value


class PassSettings(_Model):
    """The frames of the single pass, and how a single trajectory's frames are cut into blocks for error
    bars (SPEC §3: replicas give the error bars when there are several)."""

    start: Optional[int] = Field(None, description="First frame to use.")
    stop: Optional[int] = Field(None, description="Frame to stop before.")
    step: Optional[int] = Field(None, description="Use every STEP-th frame.")
    blocks: int = Field(5, ge=1, description="Blocks for error bars of a single trajectory (replicas are used "
                                             "when given), each fitted over the value's window: fewer when a "
                                             "given window does not fit in one block.")

    @field_validator("start", "stop", "step", "blocks", mode="before")
    @classmethod
    def _whole(cls, value, info):
        if isinstance(value, bool):  # True is not frame 1
            raise ValueError(f"{info.field_name} is a whole number, got {value!r}")
        return value

    @field_validator("step")
    @classmethod
    def _stride(cls, step):
        if step is not None and step < 1:
            raise ValueError(f"step must be 1 or more (every STEP-th frame), got {step}")
        return step


class TransportSettings(_Model):
    """Onsager coefficients, conductivity, transference numbers (SPEC §2–3)."""

    transport: bool = Field(True, description="Compute transport (Onsager coefficients and what follows).")
    fit_window: Optional[Tuple[float, float]] = Field(
        None, description="Fit window T_START T_END in ps (default: found from the self-MSDs). Either way γ of every "
                          "term is checked and a warning names those not diffusive.")

    @field_validator("fit_window")
    @classmethod
    def _ordered(cls, window):
        if window is not None and not 0 <= window[0] < window[1]:
            raise ValueError(f"the fit window must satisfy 0 <= start < end (ps), got {tuple(window)}")
        return window


class StructureSettings(_Model):
    """The cation's first shells, ion pairs, geometry and residence times (SPEC §4–5)."""

    structure: bool = Field(True, description="Compute solvation structure (shells, pairs, residence times).")
    donors: Dict[str, str] = Field(default_factory=dict, description="Donor atoms of a coordinating species: "
                                   "SPECIES=SELECTION (default: its O and N atoms); repeatable.")
    cutoffs: Annotated[Dict[str, float], Cli("--cutoff")] = Field(
        default_factory=dict, description="Shell cut-off of a species in nm: SPECIES=NM (default: first RDF "
                                          "minimum); repeatable.")

    @field_validator("cutoffs")
    @classmethod
    def _positive_cutoffs(cls, cutoffs):
        for label, cutoff in cutoffs.items():
            if not cutoff > 0:
                raise ValueError(f"the shell cut-off of {label} must be a positive distance in nm "
                                 f"(--cutoff {label}=NM), got {cutoff}")
        return cutoffs


class MesoscaleSettings(_Model):
    """Clusters of ion contacts, percolation, the cluster Nernst–Einstein conductivity and screening
    (SPEC §6–7); clusters and carriers are explained in :mod:`ionscale.pipeline`."""

    mesoscale: bool = Field(True, description="Compute clusters, percolation and screening.")
    epsilon_r: Optional[float] = Field(None, description="Relative permittivity of the solvent for the Debye length "
                                                         "(default: from solvent dipole fluctuations, if possible).")
    cluster_contacts: Literal["shell", "cation-anion", "all"] = Field(
        "shell", description="Contacts that bond two ions into a cluster: 'shell' — a cation and an anion in each "
                             "other's first shell (the structure analysis' donors and cut-offs); 'cation-anion' — a "
                             "--cluster-atoms atom of a cation within --cluster-cutoff-nm of one of an anion; 'all' "
                             "— the same for any two ions, like charges too (htp_md's definition).")
    cluster_atoms: Optional[str] = Field(None, description="Ion atoms that make 'cation-anion'/'all' cluster contacts "
                                                           "(MDAnalysis selection; default: every atom of the ions).")
    cluster_cutoff_nm: Optional[float] = Field(None, description="Contact distance in nm of 'cation-anion'/'all' "
                                                                 "cluster contacts (required for them).")
    cluster_carrier: Literal["majority", "com"] = Field(
        "majority", description="Diffusion coefficient of a cluster in the cluster Nernst–Einstein conductivity: "
                                "'majority' — the self-D of the ion species carrying most of its charge; 'com' — its "
                                "own centre-of-mass MSD over --carrier-lag-ps.")
    carrier_lag_ps: Optional[float] = Field(None, description="Lag time in ps of the centre-of-mass D of "
                                                              "--cluster-carrier com (default: one frame).")
    szz_k_max_nm_inv: float = Field(10.0, description="Largest wave number |k| of the charge structure factor "
                                                      "S_ZZ(k), in nm⁻¹.")

    @field_validator("epsilon_r")
    @classmethod
    def _epsilon(cls, value):
        return _positive(value, "epsilon_r (the relative permittivity)", "")

    @field_validator("cluster_cutoff_nm")
    @classmethod
    def _cutoff(cls, value):
        return _positive(value, "the cluster cut-off", "nm")

    @field_validator("carrier_lag_ps")
    @classmethod
    def _lag(cls, value):
        return _positive(value, "the carrier lag", "ps")

    @field_validator("szz_k_max_nm_inv")
    @classmethod
    def _k_max(cls, value):
        return _positive(value, "the largest |k| of S_ZZ", "nm⁻¹")

    @model_validator(mode="after")
    def _consistent(self):
        """Settings that only make sense together, and none given for analyses that are off."""
        if not self.mesoscale:
            given = [name for name, f in MesoscaleSettings.model_fields.items()
                     if name != "mesoscale" and getattr(self, name) != f.default]
            if given:
                raise ValueError(f"{', '.join(given)} set with the mesoscale analyses off (--no-mesoscale): they "
                                 "would be ignored; drop them or switch the mesoscale analyses on")
        distance = self.cluster_contacts != "shell"
        if distance and self.cluster_cutoff_nm is None:
            raise ValueError(f"{self.cluster_contacts!r} cluster contacts need a contact distance: give the "
                             "cluster cut-off in nm (--cluster-cutoff-nm, cluster_cutoff_nm)")
        if not distance and (self.cluster_cutoff_nm is not None or self.cluster_atoms is not None):
            raise ValueError("a cluster cut-off or cluster atoms define distance contacts: use them with cluster "
                             "contacts 'cation-anion' or 'all'; 'shell' contacts take the structure analysis' "
                             "donor atoms and shell cut-offs (--donors, --cutoff)")
        if self.carrier_lag_ps is not None and self.cluster_carrier != "com":
            raise ValueError("a carrier lag sets the centre-of-mass D of clusters: use it with the 'com' "
                             "cluster carrier")
        return self


class ContinuumSettings(_Model):
    """The thermodynamic factor of the salt diffusion coefficient (:mod:`ionscale.continuum`)."""

    thermodynamic_factor: Annotated[Optional[Union[float, str, Dict[str, List[float]]]], Cli("--tdf")] = Field(
        None, description="Thermodynamic factor 1 + dln y±/dln c for the salt diffusion coefficient: a number, or a "
                          "CSV table (columns concentration_mol_L, thermodynamic_factor[, stderr]) read at the cation "
                          "concentration (default: Kirkwood–Buff from the ion RDFs, implicit solvent only).")
    _given_tdf: object = PrivateAttr(None)

    @field_validator("thermodynamic_factor", mode="before")
    @classmethod
    def _number(cls, value):
        """A number typed as text (the command line's ``--tdf 1.7``) is that number."""
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        return value

    @model_validator(mode="after")
    def _parse_tdf(self):
        """Read the given TDF (a CSV table is read now, before any pass)."""
        if self.thermodynamic_factor is not None:
            from .continuum.given import GivenTDF
            try:
                self._given_tdf = GivenTDF.parse(self.thermodynamic_factor)
            except IonscaleError as err:
                raise ValueError(str(err)) from None
        return self

    @property
    def given_tdf(self):
        """The given thermodynamic factor (:class:`ionscale.continuum.given.GivenTDF`), or None."""
        return self._given_tdf


#: Python keywords of the earlier ``pipeline.Options`` that the settings now name as the command line and
#: the study file always did
RENAMED = {"fit": "fit_window", "n_blocks": "blocks"}


# fields in the order pass, transport, structure, mesoscale, continuum (pydantic takes the last base first)
class Settings(ContinuumSettings, MesoscaleSettings, StructureSettings, TransportSettings, PassSettings):
    """Every setting of a state point's analysis: the union of the analyses' settings models (module
    docstring). Validation errors are pydantic's, located at the key (the study file reports its line)."""

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data):
        if isinstance(data, dict):
            old = [k for k in RENAMED if k in data]
            if old:
                raise ValueError("; ".join(f"the setting {k!r} is now called {RENAMED[k]!r} ({flag(RENAMED[k])} "
                                           "on the command line)" for k in old) + ": rename it")
        return data

    @model_validator(mode="after")
    def _something_to_do(self):
        if not (self.transport or self.structure):
            raise ValueError("nothing to do: both transport and structure are switched off")
        return self


class Options(Settings):
    """What to compute and how (all optional; defaults as in the command line): :class:`Settings` for
    Python, whose bad values raise :class:`IonscaleError` naming each setting and its command-line flag."""

    def __init__(self, **settings):
        try:
            super().__init__(**settings)
        except ValidationError as err:
            raise IonscaleError(settings_problems(err)) from None


def flag(name: str) -> str:
    """The command-line flag of a setting: ``fit_window`` → ``--fit-window``."""
    return "--" + name.replace("_", "-")


def settings_problems(err: ValidationError) -> str:
    """A validation error of :class:`Settings` as one message: each problem with its setting and flag."""
    problems = []
    for e in err.errors():
        message = e["msg"].removeprefix("Value error, ")
        if not e["loc"]:
            problems.append(message)
            continue
        name = str(e["loc"][0])
        where = f"{name} ({flag(name)})" if name in Settings.model_fields else name
        if e["type"] == "extra_forbidden":
            message = f"unknown setting; the settings are {', '.join(Settings.model_fields)}"
        elif e["type"] != "value_error":
            message += f", got {e.get('input')!r}"
        problems.append(f"{where}: {message}")
    return problems[0] if len(problems) == 1 else "bad settings:\n" + "\n".join(f"  {p}" for p in problems)
