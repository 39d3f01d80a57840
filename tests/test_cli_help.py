"""--help is plain text that fits 80 columns (issue 14): no boxed tables squeezing descriptions to one word."""

import pytest
from typer.testing import CliRunner

from ionscale.cli import app


@pytest.mark.parametrize("command", ["analyze", "species", "study", "simulate", "demo", "report"])
def test_help_fits_80_columns(command):
    result = CliRunner().invoke(app, [command, "--help"], terminal_width=80, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert not any(ch in result.output for ch in "│╭╰")
    if command == "analyze":
        text = " ".join(result.output.split())
        assert "Fit window T_START T_END in ps (default: found from the self-MSDs)." in text
