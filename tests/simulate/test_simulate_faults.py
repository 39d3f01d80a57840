"""`simulate` never loses a finished run to a run that cannot start, and bad files are messages (issue 16)."""

import shutil

import pytest
from typer.testing import CliRunner

from ionscale import IonscaleError
from ionscale.cli import app
from ionscale.simulate import run_simulation

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_overwrite_on_an_unavailable_platform_keeps_the_finished_run(reference, tiny, tmp_path):
    finished, _ = reference
    folder = tmp_path / "run"
    shutil.copytree(finished.directory, folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with pytest.raises(IonscaleError, match="unknown OpenMM platform 'NoSuchGPU'"):
        run_simulation(tiny, folder, seed=7, overwrite=True, platform="NoSuchGPU")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


@pytest.mark.parametrize("text, message", [
    (b"production = inf\n", "production = inf: Input should be a finite number"),
    (b"temperature = 300 # caf\xe9\n", "is not UTF-8 text (byte 23)"),
])
def test_bad_configuration_files_are_messages(tmp_path, text, message):
    config = tmp_path / "bad.toml"
    config.write_bytes(text)
    result = CliRunner().invoke(app, ["simulate", str(config), "--out", str(tmp_path / "o"), "--no-progress"])
    assert result.exit_code == 2 and message in " ".join(result.output.split()), result.output
    assert "Traceback" not in result.output and not (tmp_path / "o").exists()


def test_out_below_a_file_is_a_message(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    result = CliRunner().invoke(app, ["simulate", "--out", str(tmp_path / "a-file" / "sim"), "--no-progress"])
    assert result.exit_code == 2 and "Not a directory" in result.output and "Traceback" not in result.output
