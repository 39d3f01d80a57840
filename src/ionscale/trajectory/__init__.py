"""The trajectory room: everything between the trajectory files and the analyses.

=================  ==========================================================================
module             what it does
=================  ==========================================================================
:mod:`.pbc`        periodic boxes: minimum image, orthorhombic test, whole molecules, volumes
:mod:`.unwrap`     the pass's per-frame step W·Δx (numba or NumPy, the same bits)
:mod:`.frames`     :class:`TransportStore` (what the pass keeps, saved with an integrity
                   record), the tracked points W, the frames' times
:mod:`.streaming`  the single streaming pass: :func:`scan`, :func:`prepare`, :class:`Collector`
:mod:`.parallel`   chunks of the pass in processes (shared memory) or Dask tasks; worker start
:mod:`.cache`      the cache entry of a pass; file identity and trajectory fingerprints
:mod:`.plan`       :class:`PassPlan`: a pass planned here, run on a worker, read back here
=================  ==========================================================================

The analyses import from here what they use: the pass (``scan``), the store, the minimum image.
"""

from .cache import content_sample_hash, trajectory_fingerprint
from .frames import ANGSTROM_PER_NM, INTEGRITY_KEY, MIN_FRAMES, DamagedStoreError, TransportStore, tracked_points
from .parallel import auto_workers
from .pbc import is_orthorhombic, minimum_image
from .plan import ElectrolyteSource, PassPlan, PassPlanError
from .streaming import Collector, PreparedPass, prepare, refuse_duplicate_names, scan
from .unwrap import Unwrapper, compiled_available

__all__ = ["ANGSTROM_PER_NM", "INTEGRITY_KEY", "MIN_FRAMES", "Collector", "DamagedStoreError", "ElectrolyteSource",
           "PassPlan", "PassPlanError", "PreparedPass", "TransportStore", "Unwrapper", "auto_workers",
           "compiled_available", "content_sample_hash", "is_orthorhombic", "minimum_image", "prepare",
           "refuse_duplicate_names", "scan", "tracked_points", "trajectory_fingerprint"]
