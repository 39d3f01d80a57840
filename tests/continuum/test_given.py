"""A given thermodynamic factor: number, CSV table (relative to a study file), inline table; bad input refused."""

import pandas as pd
import pytest

from ionscale.continuum.given import GivenTDF
from ionscale.errors import IonscaleError
from ionscale.study import load_study

STUDY = """
temperature = 300.0
[species]
cation = "type 1"
anion = "type 2"
[analysis]
thermodynamic_factor = {tdf}
[[state_points]]
label = "a"
replicas = [{{ topology = "t.psf", trajectories = ["t.dcd"] }}]
"""


def test_table_interpolates_and_refuses_extrapolation():
    tdf = GivenTDF.parse({"concentration_mol_L": [1.0, 0.0], "thermodynamic_factor": [3.0, 1.0],
                          "stderr": [0.2, 0.0]})
    assert tdf.at(0.25) == pytest.approx((1.5, 0.05))
    with pytest.raises(IonscaleError, match="no extrapolation"):
        tdf.at(1.5)
    assert GivenTDF.parse("1.3").at(7.0)[0] == 1.3


@pytest.mark.parametrize("bad, message", [(-1.0, "positive"), ({"value": [1.0]}, "needs the keys"),
                                          ({"concentration_mol_L": [0.1, 0.1], "thermodynamic_factor": [1, 2]},
                                           "distinct")])
def test_bad_tdf_is_refused(bad, message):
    with pytest.raises(IonscaleError, match=message):
        GivenTDF.parse(bad)


def test_study_file_table_is_relative_to_the_study(tmp_path):
    pd.DataFrame({"concentration_mol_L": [0.5, 1.5], "thermodynamic_factor": [1.2, 2.2]}).to_csv(
        tmp_path / "tdf.csv", index=False)
    (tmp_path / "study.toml").write_text(STUDY.format(tdf='"tdf.csv"'))
    assert load_study(tmp_path / "study.toml").analysis.given_tdf.at(1.0)[0] == pytest.approx(1.7)
    (tmp_path / "bad.toml").write_text(STUDY.format(tdf='"missing.csv"'))
    with pytest.raises(IonscaleError, match="cannot read the TDF table"):
        load_study(tmp_path / "bad.toml")
    (tmp_path / "inline.toml").write_text(STUDY.format(tdf="1.1"))
    assert load_study(tmp_path / "inline.toml").analysis.given_tdf.at(3.0)[0] == 1.1
