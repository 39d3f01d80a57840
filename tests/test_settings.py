"""The settings of the analyses (ionscale.analyses) are one model: the command line, the study file and
the Python API expose the same names with the same defaults, and the same values give the same settings."""

import click
import pytest
import typer

from ionscale.analyses import Options, Settings, flag
from ionscale.cli import analyze, app, settings_of
from ionscale.errors import IonscaleError
from ionscale.study import load_study

#: two sets of values that, together, give every setting a value other than its default (each set is
#: consistent on its own: distance contacts with their cut-off, a carrier lag with 'com' carriers, ...)
NON_DEFAULT = [
    dict(start=2, stop=50, step=2, blocks=3, transport=False, fit_window=(1.0, 8.0), donors={"EC": "name O*"},
         cutoffs={"EC": 0.27}, epsilon_r=20.0, cluster_contacts="all", cluster_atoms="name Li O",
         cluster_cutoff_nm=0.34, cluster_carrier="com", carrier_lag_ps=10.0, szz_k_max_nm_inv=6.0,
         thermodynamic_factor=1.7, shell_dipole_min_fraction=0.1),
    dict(structure=False, mesoscale=False, shell_dipoles=False),
]
STUDY = """temperature = 300.0
[species]
cation = "resname LI"
anion = "resname PF6"
[analysis]
{analysis}
[[state_points]]
label = "a"
replicas = [{{ topology = "t.tpr", trajectories = ["x.xtc"] }}]
"""
REQUIRED = ["top.tpr", "traj.xtc", "--cation", "resname LI", "--anion", "resname PF6", "--temperature", "300"]


def command() -> click.Command:
    return typer.main.get_command(app).commands["analyze"]


def from_cli(args: list) -> Options:
    """The Options that `ionscale analyze` builds from these arguments (click parses them; nothing runs)."""
    params = command().make_context("analyze", REQUIRED + args).params
    return settings_of(Options, {name: params[name] for name in Settings.model_fields})


def from_study(tmp_path, settings: dict) -> Settings:
    path = tmp_path / "study.toml"
    path.write_text(STUDY.format(analysis="\n".join(f"{k} = {toml(v)}" for k, v in settings.items())))
    return load_study(path).analysis


def toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(map(toml, value)) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml(v)}" for k, v in value.items()) + " }"
    return repr(value)


def cli_args(settings: dict) -> list:
    args = []
    for name, value in settings.items():
        if isinstance(value, bool):
            args.append(flag(name) if value else f"--no-{flag(name)[2:]}")
        elif isinstance(value, dict):
            args += [a for k, v in value.items() for a in (flag(name), f"{k}={v}")]
        else:
            args += [flag(name), *map(str, value if isinstance(value, tuple) else [value])]
    return args


def test_every_setting_is_an_option_with_the_models_default_and_help(tmp_path):
    options = {p.name: p for p in command().params}
    for name, field in Settings.model_fields.items():
        assert name in options and flag(name) in options[name].opts, f"no {flag(name)} for the setting {name}"
        assert options[name].help == field.description
    assert from_cli([]).model_dump() == Options().model_dump() == Settings().model_dump()
    assert from_study(tmp_path, {}).model_dump() == Settings().model_dump()


def test_the_non_default_values_cover_every_setting():
    defaults = Settings().model_dump()
    changed = {name for values in NON_DEFAULT for name, value in Settings(**values).model_dump().items()
               if value != defaults[name]}
    assert changed == set(Settings.model_fields)


@pytest.mark.parametrize("values", NON_DEFAULT)
def test_the_same_values_give_the_same_settings_everywhere(tmp_path, values):
    python = Options(**values)
    assert from_cli(cli_args(values)).model_dump() == python.model_dump()
    assert from_study(tmp_path, values).model_dump() == python.model_dump()
    assert {k: getattr(python, k) for k in values} == values


def test_older_flags_keep_working():
    """--cutoff and --tdf were the command line's names of cutoffs and thermodynamic_factor."""
    old = from_cli(["--cutoff", "EC=0.27", "--cutoff", "DMC=0.3", "--tdf", "1.7"])
    assert old.cutoffs == {"EC": 0.27, "DMC": 0.3} and old.given_tdf.at(1.0)[0] == 1.7
    assert old.model_dump() == Options(cutoffs={"EC": 0.27, "DMC": 0.3}, thermodynamic_factor=1.7).model_dump()


def test_studies_switch_any_analysis_off(tmp_path):
    assert not from_study(tmp_path, {"transport": False}).transport
    assert not from_study(tmp_path, {"mesoscale": False}).mesoscale


def test_renamed_python_keywords_say_their_new_name(tmp_path):
    with pytest.raises(IonscaleError, match=r"'fit' is now called 'fit_window' \(--fit-window"):
        Options(fit=(1, 5))
    with pytest.raises(IonscaleError, match=r"'n_blocks' is now called 'blocks'"):
        Options(n_blocks=3)
    with pytest.raises(IonscaleError, match=r"line 5: analysis: the setting 'n_blocks' is now called 'blocks'"):
        from_study(tmp_path, {"n_blocks": 3})


def test_bad_settings_are_named_with_their_flag():
    with pytest.raises(IonscaleError) as err:
        Options(blocks=0, step=0, cluster_atoms="name O", colour="red")
    assert str(err.value).splitlines() == [
        "bad settings:",
        "  step (--step): step must be 1 or more (every STEP-th frame), got 0",
        "  blocks (--blocks): Input should be greater than or equal to 1, got 0",
        "  colour: unknown setting; the settings are " + ", ".join(Settings.model_fields)]
    with pytest.raises(IonscaleError, match="start is a whole number, got True"):
        Options(start=True)
    with pytest.raises(IonscaleError, match="nothing to do: both transport and structure are switched off"):
        from_cli(["--no-transport", "--no-structure"])


def test_analyze_takes_the_settings_as_options():
    assert analyze.__name__ == "analyze" and "options" not in {p.name for p in command().params}
