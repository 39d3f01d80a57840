"""The one units table (ionscale.core.units): its factors, SI views of estimates, and every unit that an
analysis reports is in it."""

import numpy as np
import pytest
from scipy import constants
from synthetic import build

from ionscale import Electrolyte
from ionscale.analyses import Options
from ionscale.core.table import Estimate
from ionscale.core.units import UNITS, from_si, si_unit, to_si
from ionscale.pipeline import analyse


def test_factors_against_scipy_constants():
    assert to_si(1.0, "D") == pytest.approx(1e-21 / constants.c, rel=1e-15)    # 3.33564e-30 C m
    assert to_si(1.0, "D") == pytest.approx(3.33564e-30, rel=1e-6)
    assert to_si(2.5, "1e-10 m^2/s") == pytest.approx(2.5e-10, rel=1e-15)
    assert to_si(12.0, "mS/cm") == pytest.approx(1.2, rel=1e-15)               # 1 mS/cm = 0.1 S/m
    assert to_si(1.0, "mol/L") == pytest.approx(1000.0, rel=1e-15)
    assert to_si(3.0, "ps") == pytest.approx(3e-12, rel=1e-15) and to_si(0.3, "nm") == pytest.approx(3e-10)
    for unit in UNITS:
        assert from_si(to_si(7.25, unit), unit) == pytest.approx(7.25, rel=1e-15), unit
    # the display values the analyses write are SI times the exact powers of ten they always used
    assert from_si(1.2345e-10, "1e-10 m^2/s") == 1.2345e-10 * 1e10 and from_si(0.7, "mS/cm") == 0.7 * 10.0


def test_unknown_units_are_refused_by_name():
    with pytest.raises(ValueError, match="unknown unit 'furlong/fortnight'.*core.units.UNITS"):
        to_si(1.0, "furlong/fortnight")


def test_estimates_in_si():
    d = Estimate(np.array([2.0, 0.5]), np.array([0.1, 0.05]), "1e-10 m^2/s", "fit-blocks(5)").si()
    assert d.unit == "m^2/s" and d.method == "fit-blocks(5)"
    np.testing.assert_allclose(d.value, [2e-10, 5e-11], rtol=1e-15)
    np.testing.assert_allclose(d.stderr, [1e-11, 5e-12], rtol=1e-15)
    kappa = Estimate(8.0, float("nan"), "mS/cm", "none").si()
    assert (kappa.value, kappa.unit) == (pytest.approx(0.8), si_unit("mS/cm")) and np.isnan(kappa.stderr)


def test_every_reported_unit_is_in_the_table():
    syn = build("walkers", n_pairs=30, n_frames=300, seed=3)
    es = Electrolyte.from_universe(syn.universe, cation=syn.cation, anion=syn.anion, timestep_ps=1.0)
    results, _ = analyse([es], 300.0, Options(structure=False, cluster_contacts="cation-anion",
                                              cluster_cutoff_nm=0.4, epsilon_r=10.0), cache=False)
    units = {r.unit for res in results for r in res.to_rows()}
    assert {"1e-10 m^2/s", "mS/cm", "mol^2 J^-1 m^-1 s^-1", "nm"} <= units
    assert units <= set(UNITS)
    transport = results[0]
    assert transport.D[transport.reference_frame].si().value == pytest.approx(
        transport.D[transport.reference_frame].value * 1e-10, rel=1e-15)
