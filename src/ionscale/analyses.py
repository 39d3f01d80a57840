"""The analyses of a state point and their settings: the registry that :func:`ionscale.pipeline.analyse`
runs, and one pydantic model per analysis, the single source of every setting.

Each analysis is a subclass of :class:`Analysis` that declares its name (its section in
``results.json``), its settings model, the analyses upstream of it (``needs``: it does not run without
them; ``uses``: their results when they ran), whether the pass keeps the unwrapped ion positions for it,
the collectors it adds to the pass over each replica, and ``compute``: its result from the passes over
all replicas (:class:`Run`). :data:`ANALYSES` lists them in dependency order; :func:`plan` sets up
those switched on. A new analysis is one subclass added to :data:`ANALYSES` (CONTRIBUTING.md).

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
:class:`ShellDipoleSettings`  on/off, the smallest share of a reported shell composition (Coste §II.B)
=======================  ==================================================================
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Dict, List, Literal, Optional, Sequence, Tuple, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from .errors import IonscaleError

if TYPE_CHECKING:
    from .system import Electrolyte


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


class ShellDipoleSettings(_Model):
    """The shell dipole per shell composition (Coste et al. §II.B, :mod:`ionscale.structure.shell_dipoles`)."""

    shell_dipoles: bool = Field(True, description="Compute the shell dipole per shell composition (needs the "
                                                  "structure and partial charges of the solvent).")
    shell_dipole_min_fraction: float = Field(0.05, gt=0, le=1, description="Report the shell compositions held by "
                                             "at least this share of the cation-frames (0-1).")


#: Python keywords of the earlier ``pipeline.Options`` that the settings now name as the command line and
#: the study file always did
RENAMED = {"fit": "fit_window", "n_blocks": "blocks"}


# fields in the order pass, transport, structure, mesoscale, continuum, shell dipoles (pydantic takes the last
# base first)
class Settings(ShellDipoleSettings, ContinuumSettings, MesoscaleSettings, StructureSettings, TransportSettings,
               PassSettings):
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


# -- the registry ---------------------------------------------------------------------------------------------
class Skipped(Exception):
    """An analysis that cannot run on these replicas, where nobody asked for it explicitly: the pipeline
    notes why and runs the others."""


@dataclass(frozen=True)
class Run:
    """What an analysis computes from: the passes over all replicas of one state point and the results of
    the upstream analyses it declares."""

    electrolytes: Sequence[Electrolyte]
    #: the pass over each replica (:class:`ionscale.trajectory.TransportStore`), in the order of ``electrolytes``
    stores: Sequence
    temperature: float   # K
    options: Settings
    #: name → result of each analysis of ``needs`` and ``uses`` that ran
    upstream: dict
    #: where a given thermodynamic factor table is read, mol/L (None: the cation concentration)
    concentration_mol_L: float | None
    #: notes for the whole state point (the command line prints them as warnings)
    notes: list


class Analysis(ABC):
    """One analysis of a state point as the pipeline runs it (:func:`ionscale.pipeline.analyse`).

    A subclass declares its ``name`` (its section in ``results.json``, and its on/off setting when its
    settings model has a boolean of that name), its ``settings`` model, the upstream analyses it ``needs``
    (it does not run without them) and ``uses`` (their results when they ran), whether the pass must keep
    the unwrapped ion ``positions``, the ``collectors`` it adds to the pass over each replica, and
    ``compute``: its result (a :class:`ionscale.core.result.Result`) from the passes over *all* replicas.
    It is built once per state point, before the pass; raising :class:`Skipped` there leaves it out.
    """

    name: str
    settings: type
    needs: tuple = ()
    uses: tuple = ()
    positions: bool = False

    def __init__(self, electrolytes: Sequence[Electrolyte], options: Settings):
        self.electrolytes, self.options = list(electrolytes), options

    def collectors(self, k: int) -> list:
        """What the pass over replica ``k`` collects for this analysis (none by default)."""
        return []

    @abstractmethod
    def compute(self, run: Run):
        """The result of the state point."""

    @classmethod
    def switched_on(cls, options: Settings) -> bool:
        return bool(getattr(options, cls.name)) if cls.name in cls.settings.model_fields else True


class Transport(Analysis):
    """Onsager coefficients, conductivity and transference numbers (SPEC §2–3); the replicas give the
    error bars and the replica-mean L's (SPEC §2.3, :class:`ionscale.transport.onsager.OnsagerAnalysis`)."""

    name, settings, positions = "transport", TransportSettings, True

    def compute(self, run: Run):
        from .transport.onsager import OnsagerAnalysis
        return OnsagerAnalysis(run.electrolytes, run.temperature, fit=run.options.fit_window,
                               n_blocks=run.options.blocks, stores=run.stores).run()


class Structure(Analysis):
    """Shells, ion pairs, geometry and residence times of the cation (SPEC §4–5,
    :class:`ionscale.structure.StructureAnalysis`; its contact collector rides on the pass).

    Replica 1 chooses the cut-offs (RDF minima unless given); the others use the same, so that their
    numbers can be averaged (:func:`ionscale.structure.merge_replicas`). When the donor atoms cannot be
    found automatically (e.g. numeric LAMMPS types) and the user named none, the structure is skipped with
    a note instead of stopping transport."""

    name, settings = "structure", StructureSettings

    def __init__(self, electrolytes, options):
        super().__init__(electrolytes, options)
        from .structure import StructureAnalysis
        try:
            self.replicas = [StructureAnalysis(es, donors=dict(options.donors) or None,
                                               cutoffs=dict(options.cutoffs) or None) for es in self.electrolytes]
        except IonscaleError as err:
            if options.donors or options.cutoffs or not options.transport:  # what the user asked for must work
                raise
            raise Skipped(str(err)) from None

    def collectors(self, k: int) -> list:
        return [self.replicas[k].collector]

    def compute(self, run: Run):
        from .structure import merge_replicas
        first = self.replicas[0].run(run.stores[0])
        chosen = {s: c for s, c in first.cutoff_nm.items() if c == c}
        ssip = {s: c for s, c in first.ssip_cutoff_nm.items() if c == c}
        rest = [a.with_cutoffs(chosen, ssip or None).run(store) for a, store in zip(self.replicas[1:], run.stores[1:])]
        return merge_replicas([first, *rest])


#: store name of the distance contacts (the structure's shell contacts are "contacts")
ION_CONTACTS = "ion_contacts"


class Mesoscale(Analysis):
    """Clusters of ion contacts, percolation, the cluster Nernst–Einstein conductivity and screening
    (SPEC §6–7) of every replica, merged into one result (:func:`ionscale.mesoscale.merge_replicas`): each
    row the mean over replicas ± its standard error. Replica 1 chooses the fit range of r h_ZZ(r); the
    others use the same, so that their screening lengths can be averaged.

    Which contacts bond ions into clusters (``cluster_contacts``):

    - ``"shell"`` (default, SPEC §6) — a cation and an anion in each other's first shell: the structure
      analysis' donor atoms and cut-offs (RDF minima unless given), so clusters need the structure analysis;
    - ``"cation-anion"`` — any ``cluster_atoms`` atom of a cation within ``cluster_cutoff_nm`` of one of an
      anion (:class:`~ionscale.mesoscale.DistanceContacts`, collected on the same pass);
    - ``"all"`` — the same between any two ions, like charges too (the htp_md project's definition).

    The cluster Nernst–Einstein conductivity needs each cluster's diffusion coefficient (``cluster_carrier``):
    ``"majority"`` takes the self-diffusion coefficient (Onsager fit, solvent frame) of the ion species that
    carries most of the cluster's charge; ``"com"`` the cluster's own centre-of-mass MSD over
    ``carrier_lag_ps`` (default one frame) among clusters that keep their membership that long
    (:mod:`ionscale.mesoscale.carriers`). Without a given ε_r, the pass collects the solvent dipoles for it
    (SPEC §7) when the solvent carries partial charges.
    """

    name, settings, uses, positions = "mesoscale", MesoscaleSettings, ("transport", "structure"), True

    def collectors(self, k: int) -> list:
        es, options = self.electrolytes[k], self.options
        out = []
        if options.cluster_contacts != "shell":
            from .mesoscale import DistanceContacts
            out.append(DistanceContacts.from_electrolyte(es, options.cluster_atoms, options.cluster_cutoff_nm,
                                                         pairs=options.cluster_contacts, name=ION_CONTACTS))
        if options.epsilon_r is None and es.has_solvent:
            from .mesoscale import SolventDipoles
            try:
                out.append(SolventDipoles.from_electrolyte(es))
            except IonscaleError:
                pass  # no charges or charged solvent: the screening result says it has no ε_r
        return out

    def compute(self, run: Run):
        from .mesoscale import merge_replicas
        structure = run.upstream.get("structure")
        structures = structure.per_replica() if structure is not None else [None] * len(run.stores)
        first = self._replica(run, 0, structures[0])
        rest = [self._replica(run, k, structures[k], first.screening.fit_range_nm) for k in range(1, len(run.stores))]
        if first.clusters is None:
            run.notes.append("clusters skipped: 'shell' contacts come from the structure analysis, which did not "
                             "run; choose distance contacts (--cluster-contacts cation-anion or all, with "
                             "--cluster-cutoff-nm)")
        merged = merge_replicas([first, *rest])
        if "transport" in run.upstream and merged.clusters is not None:
            note = self._against_onsager(merged, run.upstream["transport"], structure)
            if note:
                run.notes.append(note)
        return merged

    @staticmethod
    def _against_onsager(merged, transport, structure) -> str | None:
        """The cluster picture's t+ against the Onsager t+^0 (:func:`~.mesoscale.cluster_picture_note`)."""
        from .mesoscale.cluster_analysis import cluster_picture_note
        cation, anion = transport.species[0], transport.species[-1]
        try:
            cluster = merged.get("t_plus_cluster_ne", cation)
            onsager = transport.get("t_plus", transport.reference_frame, cation)
        except KeyError:
            return None
        lifetime = np.nan
        if structure is not None:
            try:
                lifetime = structure.get("residence_time", f"{anion}:molecule").value
            except KeyError:
                pass
        return cluster_picture_note(cluster.value, onsager.value, onsager.stderr, transport.window["start_ps"],
                                    lifetime)

    def _replica(self, run: Run, k: int, structure, fit_range_nm: tuple | None = None):
        """Clusters and screening of replica ``k`` (its structure result for 'shell' contacts; the fit range
        of r h_ZZ that of the first replica, so that their screening lengths can be averaged). 'majority'
        cluster carriers move with the transport analysis' D, the mean over replicas."""
        from .mesoscale import ClusterAnalysis, MesoscaleResult, ScreeningAnalysis
        options, electrolyte, store = run.options, run.electrolytes[k], run.stores[k]
        clusters = None
        edges, contacts = self._cluster_edges(store, structure)
        if edges is not None:
            D, reference = None, "solvent"
            if "transport" in run.upstream:
                transport = run.upstream["transport"]
                reference = transport.reference_frame  # solvent; barycentric without a solvent
                D = transport.D[reference].si().value  # m²/s
            clusters = ClusterAnalysis(electrolyte, store, edges, temperature=run.temperature, diffusion_m2_s=D,
                                       diffusion_method=f"Onsager fit, {reference} frame",
                                       carrier=options.cluster_carrier,
                                       lag_frames=_lag_frames(options.carrier_lag_ps, store),
                                       n_blocks=options.blocks).run()
            clusters.notes.insert(0, f"clusters: {contacts}")
        screening = ScreeningAnalysis(electrolyte, store, run.temperature, epsilon_r=options.epsilon_r,
                                      k_max_nm_inv=options.szz_k_max_nm_inv, fit_range_nm=fit_range_nm,
                                      n_blocks=options.blocks).run()
        return MesoscaleResult(clusters=clusters, screening=screening)

    def _cluster_edges(self, store, structure) -> tuple:
        """(edges (frame, i, j) in store ion order, what they are) of the chosen cluster contacts; (None, "")
        for shell contacts without a structure analysis."""
        options = self.options
        if options.cluster_contacts != "shell":
            atoms = options.cluster_atoms or "every atom of the ions"
            between = "any two ions" if options.cluster_contacts == "all" else "a cation and an anion"
            return store.extras[f"{ION_CONTACTS}/edges"], (f"{between} with atoms ({atoms}) within "
                                                            f"{options.cluster_cutoff_nm:g} nm")
        if structure is None or structure.anion_bonds is None:
            return None, ""
        anions = structure.ssip_cutoff_nm   # keyed by the anion species
        cutoffs = ", ".join(f"{s} {c:.3g} nm" for s, c in structure.cutoff_nm.items() if s in anions and c == c)
        return (structure.anion_bonds + np.array([0, 0, int(store.counts[0])]),   # anions after the cations
                f"cation–anion first-shell contacts (shell cut-offs: {cutoffs})")


def _lag_frames(lag_ps: float | None, store) -> int:
    """The carrier lag in frames of the store (one frame when not given)."""
    if lag_ps is None:
        return 1
    dt = store.frame_interval_ps
    frames = int(round(lag_ps / dt))
    if frames < 1:
        raise IonscaleError(f"the carrier lag {lag_ps:g} ps is shorter than half the frame interval ({dt:g} ps)")
    if frames >= store.n_frames:
        raise IonscaleError(f"the carrier lag {lag_ps:g} ps is not shorter than the trajectory "
                            f"({(store.n_frames - 1) * dt:g} ps)")
    return frames


class Continuum(Analysis):
    """The thermodynamic factor (given, or Kirkwood–Buff from the ion positions of the same passes) and the
    salt diffusion coefficient, from the transport result (:mod:`ionscale.continuum.analysis`)."""

    name, settings, needs, positions = "continuum", ContinuumSettings, ("transport",), True

    def compute(self, run: Run):
        from .continuum.analysis import continuum_analysis
        transport = run.upstream["transport"]
        c = run.concentration_mol_L
        if c is None:
            c = transport.system["species"][0]["concentration_mol_L"]
        result = continuum_analysis(transport, run.electrolytes, run.stores, c, run.options.given_tdf,
                                    run.options.blocks)
        run.notes.extend(result.warnings)
        return result


class ShellDipoles(Analysis):
    """The shell dipole per shell composition, from the structure's shells of every replica
    (:func:`ionscale.structure.shell_dipoles.shell_dipoles_by_composition`)."""

    name, settings, needs = "shell_dipoles", ShellDipoleSettings, ("structure",)

    def compute(self, run: Run):
        from .structure.shell_dipoles import shell_dipoles_by_composition
        solvents = [s.label for s in run.electrolytes[0].solvents]
        return shell_dipoles_by_composition(run.upstream["structure"], solvents,
                                            min_fraction=run.options.shell_dipole_min_fraction,
                                            n_blocks=run.options.blocks)


def dependency_order(analyses: Sequence[type]) -> list:
    """The analyses in an order where each comes after those it needs or uses, otherwise in the given
    order (so results keep their order in ``results.json`` and ``quantities.csv``)."""
    names = {a.name for a in analyses}
    for a in analyses:
        unknown = set(a.needs + a.uses) - names
        if unknown:
            raise ValueError(f"the analysis {a.name!r} depends on {sorted(unknown)}, which are not registered")
    done: list = []
    while len(done) < len(analyses):
        ready = [a for a in analyses if a not in done and set(a.needs + a.uses) <= {d.name for d in done}]
        if not ready:
            raise ValueError(f"the analyses {sorted(a.name for a in analyses if a not in done)} depend on each "
                             "other in a cycle")
        done.append(ready[0])
    return done


#: every analysis of a state point, in dependency order
ANALYSES = dependency_order([Transport, Structure, Mesoscale, Continuum, ShellDipoles])


def plan(electrolytes: Sequence[Electrolyte], options: Settings, notes: list) -> list:
    """The analyses that run on these replicas, set up, in dependency order: those switched on whose needs
    run; one that raises :class:`Skipped` is left out with a note."""
    planned: dict = {}
    for analysis in ANALYSES:
        if analysis.switched_on(options) and all(n in planned for n in analysis.needs):
            try:
                planned[analysis.name] = analysis(electrolytes, options)
            except Skipped as why:
                notes.append(f"{analysis.name} skipped: {why}")
    return list(planned.values())
