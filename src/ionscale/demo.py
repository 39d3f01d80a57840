"""``ionscale demo``: the whole chain on a 2-core laptop, with no input files.

It simulates the coarse-grained star-anion electrolyte (:mod:`ionscale.simulate`, in the spirit of the
POSS(−f) electrolytes of Fang et al., J. Mater. Chem. A 2026) at the two ends of its association
bracket — *strong* (a 4 k_BT specific cation–arm-end well, ε_r = 20) next to a *weak* reference
(ε_r = 40, no well), the argument for both in :mod:`ionscale.simulate.models` — at a few cation
concentrations with independent replicas, analyses every state point (transport in the solvent frame,
here the lab frame of the implicit solvent; structure, clusters, screening) and writes the study
table, the paper's figures and an HTML report. D, κ and times are physical through the time mapping
of :mod:`ionscale.simulate.mapping` (named in the summary); the ratios do not depend on it. Nothing is
tuned to force a sign of t_+^0: :func:`demo_story` states in one sentence what the run gave, with
error bars from the replicas.

``ionscale demo --paper`` is the full study of the paper's questions (:func:`paper_study`): three
association strengths × four concentrations × three replicas, long enough for diffusive fit windows.
"""

from __future__ import annotations

import math
from pathlib import Path

from scipy.constants import N_A

from .analyses import Options
from .core.files import read_study_table
from .simulate import ASSOCIATION, preset
from .simulate.mapping import describe_mapping
from .simulate.species import CONTACT_CUTOFF_NM, DONORS
from .study.spec import SimulateSpec, StatePointSpec, StudySpec

TEMPERATURE_K = 303.0

#: (preset, association levels, cation concentrations in mol/L, replicas, production in model ps) per demo
DEMOS = {
    "demo": ("demo", ("weak", "strong"), (0.2, 0.5), 2, 2000.0),
    "demo-quick": ("demo-quick", ("weak", "strong"), (0.5,), 2, 400.0),
    # the cation self-MSD of strong association turns diffusive only after ~2 model ns (README): a 1-decade
    # window inside half the run needs ~30 model ns (2.5 µs mapped) per replica
    "paper": ("star-anion", ("weak", "moderate", "strong"), (0.1, 0.2, 0.4, 0.8), 3, 30_000.0),
}


def demo_study(quick: bool = False, paper: bool = False) -> StudySpec:
    """The demo (or the quick demo, or the paper study) as a study: association level × concentration."""
    name = "paper" if paper else "demo-quick" if quick else "demo"
    base, levels, concentrations, replicas, production = DEMOS[name]
    points = [StatePointSpec(label=point_label(level, c), concentration=c,
                             simulate=SimulateSpec(preset=base, replicas=replicas,
                                                   overrides={**ASSOCIATION[level], "concentration": c,
                                                              "production": production}))
              for level in levels for c in concentrations]
    return StudySpec(name=f"star-anion model electrolyte ({name}): association strength x concentration",
                     temperature=TEMPERATURE_K, analysis=Options(donors=DONORS, cutoffs=CONTACT_CUTOFF_NM),
                     state_points=points)


def point_label(level: str, concentration: float) -> str:
    return f"{level} {concentration:g} M"


def overlap_concentration(radius_of_gyration_nm: float, valence: int) -> float:
    """Cation concentration [mol/L] at which star anions start to overlap.

    As Fang et al. define it, the mean anion spacing n_-^(-1/3) equals the anion's size d; d is the
    diameter of the uniform sphere with the anion's radius of gyration, d = 2 √(5/3) R_g. Then
    c_+* = |z_-| / (N_A d³).
    """
    d = 2 * math.sqrt(5 / 3) * radius_of_gyration_nm
    return abs(valence) / (N_A * d**3 * 1e-24)


def anion_radius_of_gyration(out: Path, label: str) -> float:
    """Mean radius of gyration [nm] of the star anions in the first replica of state point ``label``."""
    import MDAnalysis
    folder = Path(out) / "simulations" / label / "replica1"
    u = MDAnalysis.Universe(str(folder / "topology.psf"), str(folder / "trajectory.dcd"))
    anions = u.select_atoms("resname ANI").residues
    step = max(1, len(u.trajectory) // 50)
    values = [r.atoms.radius_of_gyration() for _ in u.trajectory[::step] for r in anions]
    return float(sum(values) / len(values)) / 10


def demo_story(out: Path, quick: bool = False, paper: bool = False) -> str:
    """What the study in ``out`` shows, in words: t+^0 and ρ+ at strong vs weak association (± s.e.), the
    bound fraction, the time mapping, and the anion-overlap concentration; computed from the results."""
    name = "paper" if paper else "demo-quick" if quick else "demo"
    base, levels, concentrations, _, _ = DEMOS[name]
    study = read_study_table(out)
    main = study[study.method.str.startswith(("replicas", "blocks"))]

    def get(quantity, level, c, frame="", species="cation"):
        rows = main[(main.state_point == point_label(level, c)) & (main.quantity == quantity)
                    & (main.frame.astype(object).fillna("") == frame) & (main.species == species)]
        return (rows.value.iloc[0], rows.stderr.iloc[0]) if len(rows) else (math.nan, math.nan)

    def ordering(level, c):
        """The paper's ordering of the species-mean Onsager coefficients, largest first."""
        names = {"cation|cation": "L'++", "cation|anion": "L'+-", "anion|anion": "L'--"}
        values = {name: get("L_mean", level, c, "solvent", pair)[0] for pair, name in names.items()}
        return " > ".join(sorted(values, key=values.get, reverse=True))

    lines, signs = [], []
    for level in levels:
        parts = []
        for c in concentrations:
            t, dt = get("t_plus", level, c, "solvent")
            rho, _ = get("rho_plus", level, c, "solvent")
            bound, _ = get("bound_fraction", level, c)
            parts.append(f"{c:g} M: t+^0 = {t:.2f} ± {dt:.2f}, ρ+ = {rho:.2f}, bound fraction {bound:.2f}, "
                         f"{ordering(level, c)}")
            if level == "strong":
                signs.append("negative" if t + 2 * dt < 0 and rho > 0.5 else "positive" if t - 2 * dt > 0 else "open")
        lines.append(f"{level} association — " + "; ".join(parts))
    gammas = study[(study.quantity == "gamma") & (study.method == "self MSD") & (study.species == "cation")
                   & (study.frame.astype(object).fillna("") == "solvent")]
    slow = [f"{label} γ = {g:.2f}" for label, g in zip(gammas.state_point, gammas.value) if abs(g - 1) > 0.1]
    lines.append("(± one standard error from the replicas; a sign counts when two error bars exclude 0)"
                 + (f"; the cation self-MSD is not yet diffusive in the fit window at {', '.join(slow)}: "
                    "run longer" if slow else ""))
    return "\n".join([_headline(signs), *lines, *_context(out, base, levels, concentrations)])


def _headline(signs: list) -> str:
    """The sentence for what the strong-association state points gave: negative, positive or open t+^0."""
    if signs and all(s == "negative" for s in signs):
        return ("What you see: t+^0 < 0 although ρ+ > 0.5 at strong association — cations move with the anions "
                "they are bound to — next to the weak reference.")
    if "negative" in signs:
        return ("What you see: at strong association t+^0 < 0 at some concentrations although ρ+ > 0.5 — cations "
                "move with the anions they are bound to — and not at others.")
    if signs and all(s == "positive" for s in signs):
        return ("What you see: with the cations bound to the anions (fractions below) t+^0 still stays positive at "
                "strong association: in this implicit solvent the few free cations, much faster than the anions, "
                "carry the current (README: free-draining friction).")
    return ("What you see: at strong association t+^0 is positive or not determined within its error bars (the "
            "L'_ij become nearly equal, their difference noisy): no negative t+^0 in this run; "
            "`ionscale demo --paper` runs longer.")


def _context(out: Path, base: str, levels: tuple, concentrations: tuple) -> list:
    """The anion-overlap concentration (from the strong anions' radius of gyration) and the time mapping."""
    rg = anion_radius_of_gyration(out, point_label(levels[-1], concentrations[0]))
    cfg = preset(base)
    return [f"anion radius of gyration {rg:.2f} nm: anions overlap above c+* ≈ "
            f"{overlap_concentration(rg, cfg.valence):.2g} mol/L", describe_mapping(cfg)]
