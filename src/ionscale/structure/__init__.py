"""Solvation structure of the cation (SPEC §4–5): donors and cut-offs, shells, ion-pair classes,
motif geometry and residence times — from cation–donor contacts collected in the single pass.

- :mod:`.sites` who binds: cation sites and donor atoms · :mod:`.neighbours` the pair search
- :mod:`.contacts` the per-frame collector and its sparse arrays · :mod:`.rdf` RDFs and cut-offs
- :mod:`.shells` first shells and speciation · :mod:`.pairing` free / SSIP / CIP / AGG
- :mod:`.geometry` tetrahedral order and shell dipoles · :mod:`.residence` correlation functions, KWW
- :mod:`.statistics` frame-block errors · :mod:`.sets` distinct values
- :mod:`.analysis` :class:`StructureAnalysis` · :mod:`.result` · :mod:`.figures`
"""

from .analysis import StructureAnalysis
from .contacts import ContactCollector, Contacts
from .residence import KWW, continuous_acf, fit_kww, intermittent_acf
from .result import StructureResult, merge_replicas
from .sites import Sites, find_sites

__all__ = ["StructureAnalysis", "StructureResult", "merge_replicas", "ContactCollector", "Contacts", "Sites", "find_sites",
           "KWW", "continuous_acf", "intermittent_acf", "fit_kww"]
