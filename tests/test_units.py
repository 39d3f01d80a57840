"""The one units table (ionscale.core.units): its factors, SI views of estimates, and every unit that an
analysis reports is in it."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import constants
from synthetic import build

from ionscale import Electrolyte
from ionscale.analyses import Options
from ionscale.core.result import write_analysis
from ionscale.core.table import COLUMNS, Estimate, Row
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
    d = Estimate.from_display(np.array([2.0, 0.5]), np.array([0.1, 0.05]), "1e-10 m^2/s", "fit-blocks(5)").si()
    assert d.unit == "m^2/s" and d.method == "fit-blocks(5)"
    np.testing.assert_allclose(d.value, [2e-10, 5e-11], rtol=1e-15)
    np.testing.assert_allclose(d.stderr, [1e-11, 5e-12], rtol=1e-15)
    kappa = Estimate.from_display(8.0, float("nan"), "mS/cm", "none").si()
    assert (kappa.value, kappa.unit) == (pytest.approx(0.8), si_unit("mS/cm")) and np.isnan(kappa.stderr)


@pytest.fixture(scope="module")
def results():
    syn = build("walkers", n_pairs=30, n_frames=300, seed=3)
    es = Electrolyte.from_universe(syn.universe, cation=syn.cation, anion=syn.anion, timestep_ps=1.0)
    results, _ = analyse([es], 300.0, Options(structure=False, cluster_contacts="cation-anion",
                                              cluster_cutoff_nm=0.4, epsilon_r=10.0), cache=False)
    return results


def test_every_reported_unit_is_in_the_table(results):
    units = {r.unit for res in results for r in res.to_rows()}
    assert {"1e-10 m^2/s", "mS/cm", "mol^2 J^-1 m^-1 s^-1", "nm"} <= units
    assert units <= set(UNITS)
    transport = results[0]
    assert transport.D[transport.reference_frame].si().value == pytest.approx(
        transport.D[transport.reference_frame].value * 1e-10, rel=1e-15)


def test_rows_store_si_and_derive_their_display_value():
    cutoff = Row.from_display("cutoff", "", "Li", 0.45, np.nan, "nm", "given")      # computed in nm
    assert (cutoff.value_si, cutoff.si_unit) == (to_si(0.45, "nm"), "m") == (4.5e-10, "m") and cutoff.value == pytest.approx(0.45, rel=1e-15)
    kappa = Row("conductivity", "solvent", "", 1.2345, 0.01, "mS/cm", "none")       # computed in S/m
    assert kappa.value == 1.2345 * 10.0 and kappa.stderr == 0.01 * 10.0               # SI x the exact power of ten
    assert kappa.shown() == ("conductivity", "solvent", "", kappa.value, kappa.stderr, "mS/cm", "none")
    assert kappa.estimate().si() == (1.2345, 0.01, "S/m", "none")


def test_files_show_display_units_and_record_si(results, tmp_path):
    """quantities.csv: the display value at 15 significant digits; results.json: display and SI, the SI
    number bit for bit (JSON keeps a float's shortest repr)."""
    write_analysis(tmp_path, results, figures=False)
    rows = [r for res in results for r in res.to_rows()]
    table = pd.read_csv(tmp_path / "quantities.csv", keep_default_na=False, na_values=[""])
    assert list(table.columns) == COLUMNS and len(table) == len(rows)
    for r, (_, line) in zip(rows, table.iterrows()):
        assert (line["quantity"], line["unit"]) == (r.quantity, r.unit)
        assert line["value"] == pytest.approx(r.value, rel=1e-14, nan_ok=True)
    recorded = json.loads((tmp_path / "results.json").read_text())
    by_key = {(q["quantity"], q["frame"], q["species"], q["method"]): q for q in recorded["quantities"]}
    debye = next(r for r in rows if r.quantity == "debye_length")
    record = by_key[(debye.quantity, debye.frame, debye.species, debye.method)]
    assert (record["value_si"], record["si_unit"], record["unit"]) == (debye.value_si, "m", "nm")
    assert record["value"] == debye.value
