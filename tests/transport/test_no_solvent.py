"""Systems without a solvent (melts, ionic liquids): no solvent frame, ρ+ and Ne undefined with the reason,
the barycentric frame the reference; implicit solvent only when said so (issue 14, SPEC §2.1)."""

import warnings

import numpy as np
import pytest
from synthetic import build

from ionscale.errors import IonscaleError
from ionscale.transport.onsager import OnsagerAnalysis
from ionscale.system import Electrolyte


def run(implicit):
    syn = build("walkers", n_pairs=50, n_frames=800, seed=5)
    es = Electrolyte.from_universe(syn.universe, cation=syn.cation, anion=syn.anion, implicit_solvent=implicit)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return OnsagerAnalysis(es, temperature=300.0, cache=False).run()


@pytest.fixture(scope="module")
def melt():
    return run(False)


def test_solvent_frame_and_newman_number_undefined(melt):
    assert melt.reference_frame == "barycentric"
    assert any(n.startswith("no solvent: ") for n in melt.notes)
    solvent_rows = [r for r in melt.rows if r.frame == "solvent"]
    assert solvent_rows and all(np.isnan(r.value) and r.method == "undefined: no solvent frame" for r in solvent_rows)
    for frame in ("lab", "barycentric"):
        for q in ("rho_plus", "newman_number"):
            e = melt.get(q, frame, "cation")
            assert np.isnan(e.value) and e.method == "undefined: no solvent"
    assert np.isfinite(melt.t_plus["barycentric"].value) and np.isfinite(melt.conductivity["barycentric"].value)
    assert set(melt.summary().frame) == {"barycentric", "lab"}


def test_why_undefined_the_barycentric_L_of_two_species_is_singular(melt):
    """Σ_k m_k ΔR_k = 0 in the barycentric frame: with two species L has rank 1, so Ne = 0/0 (round-off)."""
    L = melt.L["barycentric"].value
    assert abs(np.linalg.det(L)) < 1e-10 * L[0, 0] * L[1, 1]


def test_implicit_solvent_keeps_the_lab_frame_as_solvent_frame():
    res = run(True)
    assert res.reference_frame == "solvent"
    assert res.t_plus["solvent"].value == pytest.approx(res.t_plus["lab"].value, rel=1e-12)
    assert np.isfinite(res.rho_plus["solvent"].value)


def test_implicit_solvent_with_solvent_species_refused():
    syn = build("walkers", n_pairs=5, n_frames=10, n_solvent=3, seed=5)
    with pytest.raises(IonscaleError, match="implicit_solvent .* but solvent species were selected"):
        Electrolyte.from_universe(syn.universe, cation=syn.cation, anion=syn.anion, solvent=syn.solvent,
                                  implicit_solvent=True)
