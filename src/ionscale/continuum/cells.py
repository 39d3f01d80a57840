"""Device-scale predictions with PyBaMM as the engine: symmetric-cell polarisation and a half-cell discharge.

Symmetric cell Li | electrolyte | Li (thickness ℓ, electrodes reversible to the cation, no interfacial
resistance — the Bruce–Vincent experiment after its interfacial correction). Concentrated-solution theory
(Newman & Thomas-Alyea ch. 12) in one dimension, salt concentration c = c_+ / ν_+ (ν_+ = |z_−|, ν_− = z_+)
and current density I(t) (uniform: ∇·i = 0):

    ∂c/∂t = ∂/∂x (D ∂c/∂x),    −D ∂c/∂x = (1 − t_+^0) I / (z_+ ν_+ F)   at x = 0 and x = ℓ,
    I = [V + (ν R T / z_+ ν_+ F)(1 − t_+^0) TDF ln(c(ℓ)/c(0))] / ∫_0^ℓ dx/κ ,

the second line being Ohm's law with the diffusion potential, integrated across the cell (exact in 1D,
so the electrolyte potential needs no variable of its own). Potentiostatic (V given, I algebraic) or
galvanostatic (I given, V an output). PyBaMM builds it from its own classes (BaseModel, Variable,
FiniteVolume on a uniform mesh, IDAKLUSolver); no solver here is home-made. Properties are those of one
state point (κ, t_+^0, D, TDF constant: a small polarisation).

- :func:`bruce_vincent` — potentiostatic step of ``voltage_V``: ρ_+ = I_ss / I_0, to compare with the
  ρ_+ of the Onsager matrix (:func:`ionscale.transport.quantities.current_fraction`); they agree to the
  solver tolerance and the O(F V / R T) non-linearity of the step.
- :func:`limiting_current` — galvanostatic steady states: the salt profile is linear and empties at the
  cathode at I_lim = 2 z_+ ν_+ F D c / ((1 − t_+^0) ℓ); the concentration overpotential
  η_c = (ν R T / z_+ ν_+ F)(1 − t_+^0) TDF ln[(1 + I/I_lim)/(1 − I/I_lim)].
- :func:`half_cell_discharge` — PyBaMM's own DFN of a lithium-metal half cell (option
  ``"working electrode": "positive"``, parameter set Xu2019: NMC532 | LiPF6 in EC/EMC | Li) with its
  electrolyte replaced by interpolants of the study (:mod:`.pybamm_export`), against the same cell
  with its standard LiPF6 electrolyte (Valøen & Reimers 2005).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.constants import R as GAS_CONSTANT

from ..core.units import to_si
from ..errors import IonscaleError
from ..transport.quantities import FARADAY
from . import require_pybamm
from .newman import continuum_current_fraction


@dataclass(frozen=True)
class Electrolyte1D:
    """The Newman set of one state point, SI units: κ in S/m, D (Fickian) in m²/s, c_+ in mol/m³, T in K."""

    conductivity_S_m: float
    t_plus: float
    diffusion_m2_s: float
    tdf: float
    c_plus_mol_m3: float
    z_plus: float = 1.0
    z_minus: float = -1.0
    temperature_K: float = 298.15

    def __post_init__(self):
        for name in ("conductivity_S_m", "diffusion_m2_s", "tdf", "c_plus_mol_m3", "temperature_K"):
            if not getattr(self, name) > 0:
                raise IonscaleError(f"a cell model needs a positive, finite {name}; got {getattr(self, name)}")
        if not (self.z_plus > 0 > self.z_minus):
            raise IonscaleError(f"valences must be z_+ > 0 > z_-; got {self.z_plus}, {self.z_minus}")

    @classmethod
    def from_onsager(cls, L, z, c, temperature_K: float, tdf: float) -> "Electrolyte1D":
        """From a solvent-frame Onsager matrix (mol² J⁻¹ m⁻¹ s⁻¹, cation first), valences, ion
        concentrations (mol/m³) and a TDF, through :func:`.newman.newman_set`."""
        from .newman import newman_set
        out = newman_set(L, z, c, temperature_K, tdf)
        return cls(out["conductivity"], out["t_plus"], out["salt_diffusion"], tdf, float(c[0]), float(z[0]),
                   float(z[1]), temperature_K)

    @property
    def nu_plus(self) -> float:
        return abs(self.z_minus)

    @property
    def salt_mol_m3(self) -> float:
        return self.c_plus_mol_m3 / self.nu_plus

    @property
    def diffusion_potential_V(self) -> float:
        """(ν R T / z_+ ν_+ F)(1 − t_+^0) TDF: the diffusion potential per unit of Δ ln c, in V."""
        nu = abs(self.z_minus) + self.z_plus
        return nu * GAS_CONSTANT * self.temperature_K / (self.z_plus * self.nu_plus * FARADAY) * (1 - self.t_plus) * self.tdf

    def rho_plus(self) -> float:
        """The analytic Bruce–Vincent current fraction (:func:`.newman.continuum_current_fraction`)."""
        return continuum_current_fraction(self.conductivity_S_m, self.t_plus, self.diffusion_m2_s, self.tdf,
                                          self.c_plus_mol_m3, self.z_plus, self.z_minus, self.temperature_K)

    def limiting_current_A_m2(self, thickness_m: float) -> float:
        """I_lim = 2 z_+ ν_+ F D c / ((1 − t_+^0) ℓ) (module docstring); inf for t_+^0 = 1."""
        if self.t_plus >= 1:
            return np.inf
        return 2 * self.z_plus * self.nu_plus * FARADAY * self.diffusion_m2_s * self.salt_mol_m3 / (
            (1 - self.t_plus) * thickness_m)


@dataclass
class CellRun:
    """One symmetric-cell simulation: time (s), current density (A/m²), voltage (V), salt concentration at
    the anode x = 0 and the cathode x = ℓ (mol/m³, c = c_+/ν_+)."""

    time_s: np.ndarray
    current_A_m2: np.ndarray
    voltage_V: np.ndarray
    c_anode: np.ndarray
    c_cathode: np.ndarray


def symmetric_cell(e: Electrolyte1D, thickness_m: float = 1e-4, *, voltage_V: float | None = None,
                   current_A_m2: float | None = None, n_points: int = 10, t_end_s: float | None = None,
                   n_times: int = 60) -> CellRun:
    """Solve the symmetric cell of the module docstring with PyBaMM, at a fixed voltage or current.

    t_end_s defaults to 3 ℓ²/D (the slowest diffusion mode has decayed by e^-30). A galvanostatic run stops
    early (PyBaMM event) when the salt at the cathode falls below 0.1 % of its initial value."""
    pybamm = require_pybamm()
    if (voltage_V is None) == (current_A_m2 is None):
        raise IonscaleError("give either a voltage (potentiostatic) or a current density (galvanostatic)")
    c0 = e.salt_mol_m3
    model = pybamm.BaseModel("ionscale symmetric cell")
    x = pybamm.SpatialVariable("x", domain="electrolyte", coord_sys="cartesian")
    c = pybamm.Variable("c", domain="electrolyte", scale=c0)   # salt, mol/m³
    resistance = pybamm.Integral(pybamm.PrimaryBroadcast(pybamm.Scalar(1 / e.conductivity_S_m), "electrolyte"), x)
    diffusion_potential = e.diffusion_potential_V * (pybamm.log(pybamm.BoundaryValue(c, "right"))
                                                     - pybamm.log(pybamm.BoundaryValue(c, "left")))
    ohmic = e.conductivity_S_m / thickness_m
    if voltage_V is not None:
        current = pybamm.Variable("I", scale=ohmic * abs(voltage_V))   # A/m²
        model.algebraic = {current: current * resistance - (voltage_V + diffusion_potential)}
        model.initial_conditions = {current: pybamm.Scalar(ohmic * voltage_V)}
        voltage = pybamm.Scalar(voltage_V)
    else:
        current = pybamm.Scalar(current_A_m2)
        voltage = current * resistance - diffusion_potential
        model.events = [pybamm.Event("salt depleted at the cathode",
                                     pybamm.BoundaryValue(c, "right") - 1e-3 * c0)]
    flux = (1 - e.t_plus) * current / (e.z_plus * e.nu_plus * FARADAY * e.diffusion_m2_s)   # −∂c/∂x
    model.rhs = {c: pybamm.div(e.diffusion_m2_s * pybamm.grad(c))}
    model.boundary_conditions = {c: {"left": (-flux, "Neumann"), "right": (-flux, "Neumann")}}
    model.initial_conditions[c] = pybamm.Scalar(c0)
    model.variables = {"c": c, "I": current, "V": voltage, "c anode": pybamm.BoundaryValue(c, "left"),
                       "c cathode": pybamm.BoundaryValue(c, "right")}
    geometry = {"electrolyte": {x: {"min": pybamm.Scalar(0), "max": pybamm.Scalar(thickness_m)}}}
    mesh = pybamm.Mesh(geometry, {"electrolyte": pybamm.Uniform1DSubMesh}, {x: n_points})
    pybamm.Discretisation(mesh, {"electrolyte": pybamm.FiniteVolume()}).process_model(model)
    t_end = 3 * thickness_m**2 / e.diffusion_m2_s if t_end_s is None else t_end_s
    times = np.concatenate([[0.0], np.geomspace(1e-6 * t_end, t_end, n_times - 1)])
    solution = pybamm.IDAKLUSolver(rtol=1e-9, atol=1e-12).solve(model, times)
    t = solution.t
    current_values = np.broadcast_to(solution["I"].entries, t.shape).astype(float)
    return CellRun(t, current_values, np.broadcast_to(solution["V"].entries, t.shape).astype(float),
                   solution["c anode"].entries, solution["c cathode"].entries)


def bruce_vincent(e: Electrolyte1D, thickness_m: float = 1e-4, voltage_V: float = 1e-3, n_points: int = 10) -> dict:
    """Potentiostatic polarisation: ρ_+ = I_ss / I_0 from PyBaMM, and the analytic value.

    Returns ``rho_plus_pybamm``, ``rho_plus_analytic`` (:meth:`Electrolyte1D.rho_plus`), ``I0_A_m2``,
    ``Iss_A_m2``, ``voltage_V``, ``time_s`` and ``current_A_m2`` (the transient)."""
    run = symmetric_cell(e, thickness_m, voltage_V=voltage_V, n_points=n_points)
    return {"rho_plus_pybamm": float(run.current_A_m2[-1] / run.current_A_m2[0]),
            "rho_plus_analytic": e.rho_plus(), "I0_A_m2": float(run.current_A_m2[0]),
            "Iss_A_m2": float(run.current_A_m2[-1]), "voltage_V": voltage_V, "time_s": run.time_s,
            "current_A_m2": run.current_A_m2}


def limiting_current(e: Electrolyte1D, thickness_m: float = 1e-4, fractions=(0.2, 0.4, 0.6, 0.8),
                     n_points: int = 10) -> dict:
    """Galvanostatic steady states at ``fractions`` of the analytic I_lim: the limiting current from PyBaMM
    (where the steady cathode concentration, linear in I, extrapolates to zero) and the concentration
    overpotential η_c (steady voltage minus the ohmic I ℓ/κ) against I.

    Returns ``I_lim_pybamm``, ``I_lim_analytic`` (A/m²), ``current_A_m2``, ``c_cathode`` (mol/m³),
    ``eta_c_V`` (PyBaMM), ``eta_c_analytic_V`` and ``diffusion_potential_V`` (its prefactor)."""
    i_lim = e.limiting_current_A_m2(thickness_m)
    if not np.isfinite(i_lim):
        raise IonscaleError("t_+^0 ≥ 1: the salt never depletes, there is no limiting current")
    currents = np.asarray(fractions, dtype=float) * i_lim
    runs = [symmetric_cell(e, thickness_m, current_A_m2=i, n_points=n_points) for i in currents]
    c_cathode = np.array([r.c_cathode[-1] for r in runs])
    slope, intercept = np.polyfit(currents, c_cathode, 1)
    eta = np.array([r.voltage_V[-1] for r in runs]) - currents * thickness_m / e.conductivity_S_m
    ratio = currents / i_lim
    return {"I_lim_pybamm": float(-intercept / slope), "I_lim_analytic": float(i_lim), "current_A_m2": currents,
            "c_cathode": c_cathode, "eta_c_V": eta,
            "eta_c_analytic_V": e.diffusion_potential_V * np.log((1 + ratio) / (1 - ratio)),
            "diffusion_potential_V": e.diffusion_potential_V}


#: the lithium-metal half cell of the discharge comparison (PyBaMM parameter set: NMC532 | LiPF6 | Li)
HALF_CELL_SET = "Xu2019"


def half_cell_discharge(parameter_values=None, *, c_rate: float = 2.0, initial_concentration_mol_m3: float | None = None,
                        n_points: int = 8) -> dict:
    """Constant-current discharge of PyBaMM's lithium-metal half cell (DFN, ``"working electrode": "positive"``)
    to its lower cut-off voltage.

    parameter_values : pybamm.ParameterValues, default the standard set :data:`HALF_CELL_SET` (LiPF6, Valøen &
        Reimers 2005); for the MD electrolyte pass ``parameter_values(base="Xu2019")`` of an exported module
        (:func:`.pybamm_export.load_parameter_module`).
    initial_concentration_mol_m3 : c_e at the start (default: the set's, 1000 mol/m³).
    Returns ``capacity_mAh`` and ``voltage_V`` (arrays), ``final_capacity_mAh`` and ``termination``."""
    pybamm = require_pybamm()
    values = pybamm.ParameterValues(HALF_CELL_SET) if parameter_values is None else parameter_values.copy()
    if initial_concentration_mol_m3 is not None:
        values["Initial concentration in electrolyte [mol.m-3]"] = float(initial_concentration_mol_m3)
    model = pybamm.lithium_ion.DFN(options={"working electrode": "positive"})
    var_pts = dict(model.default_var_pts)
    var_pts.update({"x_s": n_points, "x_p": n_points, "r_p": n_points})
    sim = pybamm.Simulation(model, parameter_values=values, var_pts=var_pts, C_rate=c_rate,
                            solver=pybamm.IDAKLUSolver())
    try:
        solution = sim.solve([0, 4 * 3600 / c_rate])   # the cut-off voltage ends it (the set understates its capacity)
    except pybamm.SolverError as err:
        raise IonscaleError(f"PyBaMM could not discharge the half cell with this electrolyte at {c_rate:g}C: {err}") from None
    capacity = solution["Discharge capacity [A.h]"].entries * 1e3
    return {"capacity_mAh": capacity, "voltage_V": solution["Voltage [V]"].entries,
            "final_capacity_mAh": float(capacity[-1]), "termination": str(solution.termination)}


def device_predictions(table, points: list, name: str, temperature_K: float, *, c_rate: float = 2.0,
                       thickness_m: float = 1e-4) -> dict:
    """Both device predictions for a study (rows of ``study.csv`` and the state points of ``study.json``).

    - ``bruce_vincent``: :func:`bruce_vincent_check` per state point;
    - ``limiting``: :func:`limiting_current` of a ``thickness_m`` symmetric cell at the state point nearest
      1000 mol/m³ (None when t_+^0 ≥ 1: the salt never depletes);
    - ``md`` and ``lipf6``: :func:`half_cell_discharge` at ``c_rate`` with the study's electrolyte
      (:mod:`.pybamm_export`) and with the set's LiPF6, both from the same initial c_e: the study
      concentration nearest 1000 mol/m³ (``initial_concentration_mol_m3``), so that only the electrolyte's
      transport differs."""
    from .pybamm_export import ElectrolyteTable, parameter_values
    electrolyte = ElectrolyteTable.from_table(table, points, name, temperature_K)
    c = electrolyte.concentration_mol_m3
    c0 = float(c[np.argmin(np.abs(c - 1000.0))])
    md = half_cell_discharge(parameter_values(electrolyte, HALF_CELL_SET), c_rate=c_rate, initial_concentration_mol_m3=c0)
    lipf6 = half_cell_discharge(None, c_rate=c_rate, initial_concentration_mol_m3=c0)
    k = int(np.argmin(np.abs(c - 1000.0)))
    v = {name: values[k] for name, values in electrolyte.values.items()}
    limiting = None
    try:
        cell = Electrolyte1D(v["Electrolyte conductivity [S.m-1]"], v["Cation transference number"],
                             v["Electrolyte diffusivity [m2.s-1]"], v["Thermodynamic factor"], c0,
                             electrolyte.valences.get("cation", 1), electrolyte.valences.get("anion", -1), temperature_K)
        limiting = limiting_current(cell, thickness_m)
    except IonscaleError:
        pass   # t_+^0 ≥ 1 or a non-positive property: no limiting current to show
    return {"bruce_vincent": bruce_vincent_check(table, points, temperature_K, thickness_m), "md": md,
            "lipf6": lipf6, "initial_concentration_mol_m3": c0, "c_rate": c_rate, "limiting": limiting,
            "thickness_m": thickness_m}


#: the rows of one L: derived from the replica-mean L when there are replicas (SPEC §2.3), else the only ones
SAME_L_METHOD = "replica-mean L"


def bruce_vincent_check(table, points: list, temperature_K: float, thickness_m: float = 1e-4) -> list:
    """PyBaMM's Bruce–Vincent ρ_+ against the Onsager ρ_+ of the same L, per state point of study rows.

    ``table``: study rows (columns of ``study.csv``); ``points``: state points (``label``,
    ``concentration_mol_L``, ``system`` as in ``study.json``). The cell's κ, t_+^0 and D = TDF · D_id are
    those of one Onsager matrix — the replica-mean L when there are replicas (method "replica-mean L"),
    else the trajectory's — so the two ρ_+ must agree to the solver tolerance and the O(FV/RT) non-linearity
    of the 1 mV step; the replica average of ρ_+ (± s.e.) is reported beside them.

    Returns one dict per state point: ``label``, ``concentration_mol_L``, ``rho_plus_pybamm``,
    ``rho_plus_same_L``, ``rho_plus``, ``rho_plus_stderr`` (None where no cell can be built)."""
    frame = table.assign(frame=table["frame"].fillna(""))
    out = []
    for p in sorted(points, key=lambda p: p["concentration_mol_L"]):
        rows = frame[frame["state_point"] == p["label"]]

        def pick(quantity, where="solvent", same_l=True):
            hit = rows[(rows["quantity"] == quantity) & (rows["frame"] == where)]
            exact = hit[hit["method"] == SAME_L_METHOD]
            hit = exact if same_l and len(exact) else hit[hit["method"] != SAME_L_METHOD]
            return (float(hit["value"].iloc[0]), float(hit["stderr"].iloc[0])) if len(hit) else (np.nan, np.nan)

        species = {s["role"]: s["valence"] for s in p["system"]["species"]}
        c_plus = to_si(next(s["concentration_mol_L"] for s in p["system"]["species"] if s["role"] == "cation"),
                       "mol/L")   # mol/m³
        tdf = pick("thermodynamic_factor", "")[0]
        record = {"label": p["label"], "concentration_mol_L": p["concentration_mol_L"],
                  "rho_plus_same_L": pick("rho_plus")[0], "rho_plus": pick("rho_plus", same_l=False)[0],
                  "rho_plus_stderr": pick("rho_plus", same_l=False)[1], "rho_plus_pybamm": None}
        try:
            e = Electrolyte1D(to_si(pick("conductivity")[0], "mS/cm"), pick("t_plus")[0],
                              to_si(tdf * pick("ideal_salt_diffusion")[0], "1e-10 m^2/s"), tdf, c_plus,
                              species.get("cation", 1), species.get("anion", -1), temperature_K)
            record["rho_plus_pybamm"] = bruce_vincent(e, thickness_m)["rho_plus_pybamm"]
        except IonscaleError:
            pass
        out.append(record)
    return out


def bruce_vincent_summary(study_dir) -> str:
    """One line for ``ionscale demo``: ρ_+ of a simulated 1 mV Bruce–Vincent polarisation (PyBaMM) next to ρ_+
    of the same Onsager matrix (and the replica average), per state point of a finished study — or why not."""
    from ..core.files import read_study
    from ..core.table import format_value
    try:
        require_pybamm()
        table, study = read_study(study_dir)
    except IonscaleError as err:
        return f"Bruce–Vincent ρ+ (PyBaMM): not computed — {err}"
    parts = []
    for r in bruce_vincent_check(table, study["state_points"], float(study["temperature_K"])):
        bv = "—" if r["rho_plus_pybamm"] is None else f"{r['rho_plus_pybamm']:.5g}"
        c = f"{r['concentration_mol_L']:.3g} M"
        name = r["label"] if c in r["label"] else f"{r['label']} ({c})"  # the label may already say it
        parts.append(f"{name}: {bv} vs {r['rho_plus_same_L']:.5g} from L "
                     f"(replicas {format_value(r['rho_plus'], r['rho_plus_stderr'])})")
    return "Bruce–Vincent ρ+ (PyBaMM, 1 mV) vs Onsager ρ+ of the same L: " + "; ".join(parts)
