"""The demo's studies and the anion-overlap concentration."""

import math

import pytest

from ionscale.demo import DEMOS, demo_study, overlap_concentration
from ionscale.simulate import ASSOCIATION, preset


def test_overlap_concentration_of_the_paper():
    """Fang et al.: POSS(-20) anions of size 4.4 nm overlap at c+ ≈ 0.4 mol/L (mean spacing = size).

    d = 2 sqrt(5/3) R_g = 4.4 nm; c+* = 20 / (N_A d^3) = 20 / (0.6022 nm^-3 L/mol x 85.18 nm^3) = 0.390 mol/L.
    """
    rg = 4.4 / (2 * math.sqrt(5 / 3))
    assert overlap_concentration(rg, -20) == pytest.approx(0.3899, rel=1e-3)


@pytest.mark.parametrize("kind", [dict(), dict(quick=True), dict(paper=True)])
def test_demo_studies_pair_strong_with_weak_association(kind):
    spec = demo_study(**kind)
    name = "paper" if kind.get("paper") else "demo-quick" if kind.get("quick") else "demo"
    _, levels, concentrations, replicas, _ = DEMOS[name]
    assert {"weak", "strong"} <= set(levels)
    assert len(spec.state_points) == len(levels) * len(concentrations)
    for point in spec.state_points:
        level = point.label.split()[0]
        cfg = preset(point.simulate.preset, **point.simulate.overrides)  # every state point is valid
        expected = ASSOCIATION[level]
        assert (cfg.epsilon_r, cfg.association_kT) == (expected["epsilon_r"], expected["association_kT"])
        assert cfg.concentration == point.concentration and point.simulate.replicas == replicas
    if kind.get("paper"):
        assert len(levels) >= 3 and len(concentrations) >= 4 and replicas >= 3


@pytest.mark.parametrize("signs, words", [(["negative", "negative"], "t+^0 < 0 although ρ+ > 0.5"),
                                          (["negative", "open"], "at some concentrations"),
                                          (["positive", "positive"], "still stays positive"),
                                          (["positive", "open"], "no negative t+^0 in this run")])
def test_the_story_follows_the_signs_the_run_gave(signs, words):
    from ionscale.demo import _headline
    assert words in _headline(signs)
