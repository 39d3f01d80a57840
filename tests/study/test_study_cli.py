"""`ionscale study` = run_study (tables) then write_report (figures, report.html): the study does not draw."""

from distributed import Client, LocalCluster
from test_study import make_study
from typer.testing import CliRunner

from ionscale.cli import app
from ionscale.study import load_study, run_study


def test_the_cli_draws_the_report_that_run_study_does_not(tmp_path):
    path = make_study(tmp_path, points=(("low", 40),), n_replicas=2, n_frames=400)
    out = tmp_path / "out"
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        outcome = run_study(load_study(path), out, client=client)
    assert len(outcome.computed) == 2 and (out / "study.csv").is_file()
    assert not (out / "report.html").exists() and not (out / "figures").exists()

    result = CliRunner().invoke(app, ["study", str(path), "--out", str(out), "--workers", "1"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "0 task(s) computed, 2 found done, 0 failed" in result.output  # the passes came from the cache
    assert "figures and report: done" in result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "low" in html and list((out / "figures").glob("*.svg"))
