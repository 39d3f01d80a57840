"""Every fit window is checked, blocks are fitted over the value's window, and the window-sensitivity
spread is what its definition says (issue 14, SPEC §2.2–2.3)."""

import warnings

import numpy as np
import pytest
from synthetic import build

from ionscale.errors import IonscaleError
from ionscale.trajectory import scan
from ionscale.transport.onsager import OnsagerAnalysis
from ionscale.core.table import format_value
from ionscale.system import Electrolyte


@pytest.fixture(scope="module")
def walkers():
    syn = build("walkers", n_pairs=60, n_frames=1500, n_solvent=20, seed=3)
    es = Electrolyte.from_universe(syn.universe, cation=syn.cation, anion=syn.anion, solvent=syn.solvent)
    return es, scan(es, cache=False)


def quiet(**kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return OnsagerAnalysis(**kwargs).run()


def ballistic():
    """Ions drifting as t² (γ = 2 at every lag): no window is diffusive."""
    syn = build("pairs", n_pairs=20, n_frames=300, seed=1)
    u = syn.universe
    t = np.arange(len(u.trajectory))[:, None, None]
    positions = u.trajectory.coordinate_array
    positions[:] = (positions[:1] + 0.002 * t ** 2 * np.array([1.0, 0.5, 0.2])) % 40.0
    return Electrolyte.from_universe(u, cation=syn.cation, anion=syn.anion, implicit_solvent=True)


def test_a_given_window_is_checked_and_the_terms_named():
    es = ballistic()
    with pytest.warns(UserWarning, match=r"fit window 2–20 ps \(given\): terms whose exponent γ is outside 1 ± 0\.1"
                                         r".*lab: cation 1\.99, anion 1\.99"):
        res = OnsagerAnalysis(es, temperature=300.0, fit=(2.0, 20.0), cache=False).run()
    assert not res.window["found"] and res.window["given"]
    assert res.window["max_gamma_deviation"] == pytest.approx(0.99, abs=0.01)
    assert res.get("gamma", "lab", "charge").method.startswith("collective (charge")


def test_blocks_are_fitted_over_the_value_window(walkers):
    """A window ending at 400 ps does not fit in blocks of 1500/5 frames (299 ps): 3 blocks of 500 frames
    (499 ps) give the error bars, each fitted over 1–400 ps — the same standard error as fitting three
    separately scanned thirds of the trajectory over that window."""
    es, store = walkers
    res = quiet(electrolytes=es, temperature=300.0, fit=(1.0, 400.0), n_blocks=5, stores=[store])
    D = res.D["solvent"]
    assert D.method == "fit-blocks(3)" and res.window["error_method"] == "fit-blocks(3)"
    assert any("error bars from 3 blocks, not 5" in n for n in res.notes)
    thirds = [quiet(electrolytes=es, temperature=300.0, fit=(1.0, 400.0), n_blocks=1,
                    stores=[scan(es, start=500 * b, stop=500 * (b + 1), cache=False)]).D["solvent"].value
              for b in range(3)]
    np.testing.assert_allclose(D.stderr, np.std(thirds, axis=0, ddof=1) / np.sqrt(3), rtol=1e-9)


def test_a_window_no_two_blocks_hold_gives_no_error_bar(walkers):
    es, store = walkers
    with pytest.warns(UserWarning, match="no error bars: the fit window 1–800 ps does not fit in two blocks"):
        res = OnsagerAnalysis(es, temperature=300.0, fit=(1.0, 800.0), stores=[store]).run()
    assert res.conductivity["solvent"].method == "none" and np.isnan(res.conductivity["solvent"].stderr)


def test_window_spread_is_half_the_range_over_the_diffusive_windows(walkers):
    es, store = walkers
    res = quiet(electrolytes=es, temperature=300.0, stores=[store])
    windows = res.window["spread_windows_ps"]
    assert len(windows) >= 3 and [res.window["start_ps"], res.window["end_ps"]] in windows
    refits = [quiet(electrolytes=es, temperature=300.0, fit=tuple(w), n_blocks=1, stores=[store]) for w in windows]
    for frame in ("lab", "barycentric", "solvent"):
        kappa = [r.conductivity[frame].value for r in refits]
        assert res.spread("conductivity", frame).value == pytest.approx((max(kappa) - min(kappa)) / 2, rel=1e-9)
        for pair in ("cation|cation", "cation|anion", "anion|anion"):
            L = [r.get("L", frame, pair).value for r in refits]
            assert res.spread("L", frame, pair).value == pytest.approx((max(L) - min(L)) / 2, rel=1e-9)
    summary = res.summary()
    assert "window spread" in summary.columns and set(summary.frame) == {"solvent", "barycentric", "lab"}
    row = summary[(summary.quantity == "conductivity") & (summary.frame == "solvent")].iloc[0]
    assert row["window spread"].startswith("± ")


def test_too_short_for_the_blocks_says_so_in_command_line_terms():
    syn = build("walkers", n_pairs=20, n_frames=60, seed=2)
    es = Electrolyte.from_universe(syn.universe, cation=syn.cation, anion=syn.anion, implicit_solvent=True)
    with pytest.raises(IonscaleError) as err:
        OnsagerAnalysis(es, temperature=300.0, cache=False).run()
    message = str(err.value)
    assert "max_end" not in message and "too short for 5 blocks (--blocks 5)" in message
    assert "each block lasts 11 ps" in message and "--blocks 2 is the most that fit here" in message
    assert "--fit-window T_START T_END, in ps" in message


def test_round_off_error_bars_are_not_printed():
    assert format_value(0.5, 1e-17) == "0.5"
    assert format_value(0.5, 0.0) == "0.5"
    assert format_value(0.5, 0.012) == "0.500 ± 0.012"


def test_spread_rows_are_never_taken_for_values(walkers):
    """The study figures and report pick one row per quantity: the value, not its window spread."""
    from ionscale.report.study_figures import select
    es, store = walkers
    res = quiet(electrolytes=es, temperature=300.0, stores=[store], n_blocks=1)  # no error bars: ties on stderr
    table = res.to_frame().assign(state_point="p", concentration_mol_L=1.0)
    table = table.iloc[::-1]  # spread rows first
    picked = select(table, "conductivity", "solvent")
    assert len(picked) == 1 and picked.method.iloc[0] == "none"
    assert picked.value.iloc[0] == pytest.approx(res.conductivity["solvent"].value, rel=1e-12)
