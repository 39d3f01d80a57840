"""How the analyses see a simulated run: species selections and donor atoms of the PSF it writes."""

from __future__ import annotations

from typing import Any

from .config import preset
from .topology import RESNAMES

#: the charged arm ends bind the cations (the "donors" of the star anion)
DONORS = {"anion": "name TIP"}
#: cation–arm-end contact cut-off, nm: 1.5 σ of the default beads (σ = 0.30 nm), past the contact peak
#: that WCA repulsion and the screened Coulomb attraction make at ≈ 0.34 nm
CONTACT_CUTOFF_NM = {"anion": 0.45}


def species_selections(preset_name: str, **overrides: Any) -> dict:
    """Selections for :meth:`ionscale.Electrolyte.from_universe` of a run of ``preset_name``: the
    continuum of an implicit-solvent run is no species (its lab frame is the solvent frame)."""
    cfg = preset(preset_name, **overrides)
    selections = {"cation": f"resname {RESNAMES['cation']}", "anion": f"resname {RESNAMES['anion']}"}
    if cfg.solvent == "explicit":
        selections["solvent"] = f"resname {RESNAMES['solvent']}"
    else:
        selections["implicit_solvent"] = True
    return selections
