"""From Onsager coefficients to the continuum: thermodynamic factor, the Newman set, PyBaMM.

- :mod:`.newman` — κ, t_+^0, the Fickian salt diffusion coefficient D and ρ_+ from L (solvent frame);
- :mod:`.kirkwood_buff` — TDF from Kirkwood–Buff integrals of the ion–ion RDFs (finite-size corrected);
- :mod:`.given` — a TDF given by the user (number or table);
- :mod:`.analysis` — the continuum rows of a state point (``quantities.csv``, ``study.csv``);
- :mod:`.cells` — device-scale predictions with PyBaMM as the engine (Bruce–Vincent, limiting current,
  lithium-metal half-cell discharge);
- :mod:`.pybamm_export` — ``ionscale export pybamm``: a PyBaMM parameter module from a study.

PyBaMM is the optional extra ``ionscale[continuum]``; :func:`require_pybamm` imports it.
"""

from __future__ import annotations

import os

from ..errors import IonscaleError


def require_pybamm():
    """Import PyBaMM (telemetry off unless the user chose otherwise), or say how to install it."""
    os.environ.setdefault("PYBAMM_DISABLE_TELEMETRY", "true")   # no interactive consent prompt, no network
    try:
        import pybamm
    except ImportError:
        raise IonscaleError("this needs PyBaMM, which is not installed: pip install 'ionscale[continuum]' "
                            "(or pip install pybamm)") from None
    return pybamm
