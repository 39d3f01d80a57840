"""Validated parameters of a coarse-grained star-anion electrolyte simulation, and named presets.

The model follows the spirit of the POSS(−20) electrolytes of Fang et al., J. Mater. Chem. A 2026
(DOI 10.1039/D5TA05739F): monovalent cations and star anions made of a neutral core bead (POSS-cage
sized) carrying ``arms`` short bead chains, each ending in a charged bead, so that the anion valence is
z_- = −arms (``arms = 1`` is a monovalent reference salt). The solvent is a uniform dielectric of
relative permittivity ε_r, or explicit neutral beads in the same dielectric.

Units: lengths nm, times ps, energies kJ/mol, masses amu (g/mol), temperatures K, concentration mol/L.

The box is cubic and its size follows from the composition: n_+ = arms × n_anions cations at a cation
concentration c_+ give V = n_+ / (c_+ N_A).

Example
-------
>>> from ionscale.simulate import preset, load_config
>>> cfg = preset("star-anion", concentration=0.3)
>>> cfg.n_cations, round(cfg.box_length, 2)
(256, 11.23)
>>> load_config(None, preset="monovalent").valence
-1
"""

from __future__ import annotations

import difflib
import math
import tomllib
from pathlib import Path
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy.constants import N_A

from ..errors import IonscaleError
from .mapping import REFERENCE_CATION_DIFFUSION

WCA_RANGE = 2.0 ** (1.0 / 6.0)
"""The Weeks–Chandler–Andersen potential is the Lennard-Jones potential cut at its minimum, 2^(1/6) σ."""

MAX_PACKING = 0.35
"""Largest bead volume fraction accepted: random sequential placement jams near 0.38."""


class ConfigError(IonscaleError):
    """A simulation configuration is invalid: bad TOML, unknown field or preset, out-of-range value."""


class SimulationConfig(BaseModel):
    """All parameters of one simulated state point; every field has a documented default.

    The defaults are the ``star-anion`` preset: f = 8 arms of two beads (a neutral spacer and a charged
    end bead), 32 anions and 256 cations at 0.5 mol/L in a continuum of ε_r = 20, PME electrostatics,
    Langevin dynamics at 303 K, 3 annealing cycles to 400 K, 50 ps equilibration and 1 ns production,
    no specific association well (``moderate`` in :data:`ASSOCIATION`), model time mapped onto Li⁺ in
    EC/DMC (:mod:`ionscale.simulate.mapping`). Times in the fields are model ps.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)  # inf/nan: "a finite number"

    # composition
    arms: int = Field(8, ge=1, le=64, description="arms per star anion, f = |anion valence|")
    arm_length: int = Field(2, ge=1, le=20, description="beads per arm, the charged end bead included")
    n_anions: int = Field(32, ge=1, le=100_000, description="number of star anions")
    concentration: float = Field(0.5, gt=0, le=10, description="cation concentration c_+ [mol/L]")

    # bead sizes and masses
    sigma_cation: float = Field(0.30, gt=0, le=2, description="cation WCA diameter [nm]")
    sigma_core: float = Field(1.0, gt=0, le=5, description="anion core (POSS cage) WCA diameter [nm]")
    sigma_bead: float = Field(0.30, gt=0, le=2, description="arm and solvent bead WCA diameter [nm]")
    bead_mass: float = Field(100.0, gt=0, description="mass of cation, arm and solvent beads [amu]")
    core_mass: float = Field(400.0, gt=0, description="mass of the anion core bead [amu]")

    # interactions
    epsilon_r: float = Field(20.0, ge=1, description="relative permittivity of the solvent continuum")
    association_kT: float = Field(
        0.0, ge=0, le=20, description="depth of the specific cation–arm-end attraction [k_B T] (0: none)")
    association_range: float = Field(
        0.10, gt=0, le=1.0, description="width of the cation–arm-end attraction beyond the WCA minimum [nm]")
    wca_epsilon: float = Field(2.5, gt=0, description="WCA repulsion strength ε [kJ/mol] (k_B T = 2.52 at 303 K)")
    bond_k: float = Field(5000.0, gt=0, description="harmonic bond constant [kJ/mol/nm^2]")
    electrostatics: Literal["pme", "reaction-field"] = Field("pme", description="long-range method")
    cutoff: float = Field(2.0, gt=0, description="real-space Coulomb cut-off [nm]")
    ewald_tolerance: float = Field(1e-3, gt=0, le=0.1, description="PME relative force error (OpenMM's)")

    # solvent
    solvent: Literal["implicit", "explicit"] = Field("implicit", description="continuum or neutral beads")
    solvent_density: float = Field(10.0, gt=0, le=60, description="explicit solvent beads per nm^3")

    # dynamics
    temperature: float = Field(303.0, gt=0, description="target temperature [K]")
    friction: float = Field(1.0, gt=0, description="Langevin friction (Nosé–Hoover collision frequency) [1/ps]")
    timestep: float = Field(0.010, gt=0, le=0.05, description="integration time step [ps]")
    mapped_cation_diffusion: float = Field(
        REFERENCE_CATION_DIFFUSION, ge=0,
        description="D of a free cation at infinite dilution [1e-10 m^2/s] that model time is mapped onto "
                    "(0: no mapping, times in model units; explicit solvent is never mapped)")

    # protocol (Fang et al.: 3 annealing cycles 303 K <-> 400 K, equilibration, production)
    anneal_cycles: int = Field(3, ge=0, le=100, description="heating/cooling cycles after minimisation")
    anneal_length: float = Field(20.0, ge=0, description="duration of one annealing cycle [ps]")
    anneal_temperature: float = Field(400.0, gt=0, description="peak annealing temperature [K]")
    equilibration: float = Field(50.0, ge=0, description="equilibration at the target temperature [ps]")
    production: float = Field(1000.0, gt=0, description="production run, written to the trajectory [ps]")
    frame_interval: float = Field(2.0, gt=0, description="time between trajectory frames [ps]")

    @property
    def valence(self) -> int:
        """Valence z_- of one star anion (the cation valence is +1)."""
        return -self.arms

    @property
    def n_cations(self) -> int:
        """Cations needed for electroneutrality: n_+ = f n_-."""
        return self.arms * self.n_anions

    @property
    def box_length(self) -> float:
        """Edge of the cubic box [nm]: V = n_+ / (c_+ N_A), with c_+ converted from mol/L to mol/nm^3."""
        return (self.n_cations / (self.concentration * N_A * 1e-24)) ** (1.0 / 3.0)

    @property
    def n_solvent(self) -> int:
        """Explicit solvent beads (0 for the implicit solvent)."""
        if self.solvent == "implicit":
            return 0
        return round(self.solvent_density * self.box_length**3)

    @property
    def charge_scale(self) -> float:
        """Factor 1/√ε_r applied to the formal charges: Coulomb's law in a uniform dielectric."""
        return 1.0 / math.sqrt(self.epsilon_r)

    def steps(self, duration: float) -> int:
        """Number of time steps in ``duration`` ps."""
        return round(duration / self.timestep)

    @model_validator(mode="after")
    def _consistent(self) -> "SimulationConfig":
        problems = []
        for name in ("frame_interval", "anneal_length", "equilibration", "production"):
            value = getattr(self, name)
            unit = self.timestep if name == "frame_interval" else self.frame_interval
            if not _is_multiple(value, unit):
                of = "timestep" if name == "frame_interval" else "frame_interval"
                problems.append(f"{name} = {value} ps is not a whole number of {of} = {unit} ps")
        half_box = self.box_length / 2
        if self.cutoff > half_box:
            problems.append(
                f"cutoff = {self.cutoff} nm exceeds half the box ({half_box:.2f} nm): lower the cutoff, "
                "or enlarge the box with more anions or a lower concentration"
            )
        if WCA_RANGE * self.sigma_core > half_box:
            problems.append(f"sigma_core = {self.sigma_core} nm is too large for a {2 * half_box:.2f} nm box")
        packing = self.packing_fraction()
        if packing > MAX_PACKING:
            problems.append(
                f"the beads fill {packing:.0%} of the box (at most {MAX_PACKING:.0%} can be placed at "
                "random): lower the concentration, solvent_density or bead sizes"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def packing_fraction(self) -> float:
        """Volume fraction of the WCA spheres: Σ (π/6) σ^3 / V."""
        small = self.n_cations * self.sigma_cation**3 + (
            self.n_anions * self.arms * self.arm_length + self.n_solvent
        ) * self.sigma_bead**3
        return math.pi / 6 * (small + self.n_anions * self.sigma_core**3) / self.box_length**3


def _is_multiple(value: float, unit: float) -> bool:
    ratio = value / unit
    return abs(ratio - round(ratio)) < 1e-6 * max(1.0, ratio)


ASSOCIATION: dict[str, dict[str, float]] = {
    "weak": dict(epsilon_r=40.0, association_kT=0.0),
    "moderate": dict(epsilon_r=20.0, association_kT=0.0),
    "strong": dict(epsilon_r=20.0, association_kT=4.0),
}
"""Association strengths that bracket the cation–anion binding, weak → strong: the argument for each
value is in :mod:`ionscale.simulate.models` (written before any transport result was seen). They apply
on top of any preset (``preset(name, **ASSOCIATION["strong"])``); ``moderate`` is the default model."""

PRESETS: dict[str, dict[str, Any]] = {
    # The default model: meaningful transport on a 2-core laptop in a few minutes per replica.
    "star-anion": {},
    # Sized for `ionscale demo`: 400 beads, reaction field, 20 fs steps (checked: same temperature and
    # cation-anion binding as 10 fs); about 40 s per replica on 2 cores (70 s when they are shared);
    # anion MSDs are diffusive beyond 10 ps, cation MSDs approach it (|gamma - 1| ~ 0.1) at 100-400 ps.
    "demo": dict(n_anions=16, electrostatics="reaction-field", timestep=0.02, anneal_cycles=2,
                 anneal_length=20.0, equilibration=40.0, production=800.0, frame_interval=1.0),
    # `ionscale demo --quick`: 200 beads, about 4 s per replica; transport numbers are noisy.
    "demo-quick": dict(n_anions=8, electrostatics="reaction-field", timestep=0.02, anneal_cycles=1,
                       anneal_length=10.0, equilibration=10.0, production=100.0, frame_interval=1.0),
    # The star-anion model at the two ends of the association bracket (ASSOCIATION).
    "weak-association": ASSOCIATION["weak"],
    "strong-association": ASSOCIATION["strong"],
    # Monovalent reference salt: the same beads, one arm per anion, as many anions as cations.
    "monovalent": dict(arms=1, n_anions=256),
    # POSS(-20)-like anions as in Fang et al.: transport needs lags >= 200 ps; for long runs and GPUs.
    "poss": dict(arms=20, arm_length=3, n_anions=32, anneal_cycles=3, anneal_length=200.0,
                 equilibration=1000.0, production=20_000.0, frame_interval=10.0),
    # Neutral solvent beads, momentum-conserving Nosé–Hoover thermostat: solvent frame != barycentric.
    "explicit-solvent": dict(solvent="explicit", solvent_density=10.0, n_anions=8, cutoff=1.2,
                             anneal_length=10.0, equilibration=20.0, production=200.0, frame_interval=1.0),
}
"""Named starting points; any field can be overridden (keywords, or a TOML file)."""


def preset(name: str = "star-anion", **overrides: Any) -> SimulationConfig:
    """The configuration of preset ``name`` with ``overrides`` applied (validated)."""
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}")
    return _validated({**PRESETS[name], **overrides}, f"preset {name!r}")


def load_config(path: Optional[Path] = None, *, preset: Optional[str] = None, **overrides: Any) -> SimulationConfig:
    """Read a TOML file of :class:`SimulationConfig` fields on top of a preset.

    The preset is ``preset``, else the file's own ``preset = "..."`` key, else ``star-anion``.
    Keyword ``overrides`` apply last. Raises :class:`ConfigError` with a readable message.
    """
    fields: dict[str, Any] = {}
    if path is not None:
        try:
            fields = tomllib.loads(Path(path).read_text())
        except FileNotFoundError:
            raise ConfigError(f"configuration file {path} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path} is not UTF-8 text (byte {exc.start}): TOML files are UTF-8; save it as "
                              "UTF-8") from None
    named = fields.pop("preset", None)
    if preset is not None and named is not None and named != preset:
        raise ConfigError(f"{path} asks for preset {named!r} but preset {preset!r} was given: give one")
    name = preset or named or "star-anion"
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}")
    source = f"{path} (on preset {name!r})" if path is not None else f"preset {name!r}"
    return _validated({**PRESETS[name], **fields, **overrides}, source)


def _validated(fields: dict[str, Any], source: str) -> SimulationConfig:
    try:
        return SimulationConfig(**fields)
    except ValidationError as exc:
        raise ConfigError(f"invalid simulation configuration from {source}:\n" + _explain(exc)) from None


def _explain(exc: ValidationError) -> str:
    known = list(SimulationConfig.model_fields)
    lines = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        if error["type"] == "extra_forbidden":
            close = difflib.get_close_matches(where, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f"; known fields: {', '.join(known)}"
            lines.append(f"  unknown field {where!r}{hint}")
        elif where:
            field = SimulationConfig.model_fields[where]
            lines.append(f"  {where} = {error['input']!r}: {error['msg']} ({field.description})")
        else:
            lines.append(f"  {error['msg'].removeprefix('Value error, ')}")
    return "\n".join(lines)
