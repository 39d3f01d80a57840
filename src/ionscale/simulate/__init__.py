"""Simulate coarse-grained star-anion electrolytes with OpenMM: trajectories for ionscale's analyses.

A model in the spirit of the POSS(−20) electrolytes of Fang et al., J. Mater. Chem. A 2026
(DOI 10.1039/D5TA05739F): monovalent cations and star anions (a neutral core bead and f arms ending in
charged beads, valence −f) in a uniform dielectric (implicit solvent) or among neutral solvent beads.
The protocol is the paper's: random packing, minimisation, annealing cycles 303 K ↔ 400 K,
equilibration, production; replicas from seeds; resumable from checkpoints.

>>> from ionscale.simulate import preset, run_replicas
>>> cfg = preset("demo", concentration=0.3)
>>> outputs = run_replicas(cfg, "sim/0.3M", seeds=(1, 2), progress=True)   # doctest: +SKIP
>>> outputs[0].topology, outputs[0].trajectory, outputs[0].parameters      # doctest: +SKIP
"""

from .config import ASSOCIATION, PRESETS, ConfigError, SimulationConfig, load_config, preset
from .protocol import OutputExistsError, SimulationOutput, run_replicas, run_simulation

__all__ = [
    "ASSOCIATION",
    "PRESETS",
    "ConfigError",
    "OutputExistsError",
    "SimulationConfig",
    "SimulationOutput",
    "load_config",
    "preset",
    "run_replicas",
    "run_simulation",
]
