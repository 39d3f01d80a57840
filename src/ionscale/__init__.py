"""ionscale — the physics of battery electrolytes from molecular dynamics.

Onsager transport coefficients in the lab, barycentric and solvent frames, conductivity and the
transference numbers t_+^0, ρ_+ and t_+,PFG with error bars (Fang et al., J. Mater. Chem. A 2026,
DOI 10.1039/D5TA05739F), and the multiscale structure behind them (Coste et al. 2026).
"""

from .errors import IonscaleError
from .io import open_universe
from .system import Electrolyte, Species, list_species
from .transport.onsager import OnsagerAnalysis
from .core.result import load_results
from .core.table import Estimate
from .transport.result import OnsagerResult

__version__ = "0.1.0"
__all__ = ["Electrolyte", "Species", "list_species", "OnsagerAnalysis", "OnsagerResult", "Estimate",
           "IonscaleError", "open_universe", "load_results", "__version__"]
