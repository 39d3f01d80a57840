"""The ``ionscale`` command line: ``species``, ``analyze``, ``study``, ``simulate`` and ``demo``.

Bad input never ends in a traceback: :class:`IonscaleError` messages are printed and the command exits
with status 2.
"""

from __future__ import annotations

import functools
import inspect
import os
import re
import sys
import warnings
from pathlib import Path
from typing import List, Optional, Tuple, Union, get_args, get_origin, get_type_hints

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from .analyses import Cli, Options, flag as settings_flag
from .errors import IonscaleError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False, rich_markup_mode=None,
                  help="Onsager transport, transference numbers and solvation structure of electrolytes from MD.")
console = Console(width=None if sys.stdout.isatty() else 120)
err_console = Console(stderr=True)

ATOMS_HELP = ("Every atom is a particle (monatomic ions, melts, xyz files without bonds or residues), instead of "
              "molecules from bonds or residues.")
LABELLED = re.compile(r"^([A-Za-z_][\w+-]*)=(?!=)(.+)$")


def labelled(values: List[str], role: str) -> dict:
    """Parse ``[LABEL=]SELECTION`` options into {label: selection}; labels default to the role."""
    parsed = [LABELLED.match(v) for v in values]
    if len(values) == 1 and parsed[0] is None:
        return {role: values[0]}
    out = {}
    for k, (value, m) in enumerate(zip(values, parsed)):
        label, sel = (m.group(1), m.group(2)) if m else (f"{role}{k + 1}", value)
        out[label] = sel
    return out


def key_values(values: List[str], what: str, cast=str) -> dict:
    out = {}
    for v in values:
        label, sep, value = v.partition("=")
        if not sep or not label:
            raise IonscaleError(f"{what} must look like LABEL=VALUE, got {v!r}")
        try:
            out[label] = cast(value)
        except ValueError:
            raise IonscaleError(f"{what} {v!r}: {value!r} is not a valid {cast.__name__}") from None
    return out


def settings_options(model):
    """Give a command one option per setting of ``model`` (:class:`ionscale.analyses.Options`): ``--its-name``
    and the older flags of its :class:`~ionscale.analyses.Cli` metadata, its description as help, its
    default; a mapping is given as repeated LABEL=VALUE options. The command receives the model built from
    them as ``options``; a bad value is reported like any bad input, before the command runs."""
    fields = model.model_fields

    def option(name, f) -> inspect.Parameter:
        kind, optional = _cli_type(f.annotation)
        default = [] if kind is List[str] else f.get_default(call_default_factory=True)
        legacy = [flag for m in f.metadata if isinstance(m, Cli) for flag in m.flags]
        flags = [f"{settings_flag(name)}/--no-{settings_flag(name)[2:]}"] if kind is bool else [settings_flag(name)]
        return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=Optional[kind] if optional else kind,
                                 default=typer.Option(default, *flags, *legacy, help=f.description))

    def add(command):
        hints = get_type_hints(command)
        own = [p.replace(annotation=hints[p.name]) for p in inspect.signature(command).parameters.values()
               if p.name != "options"]
        params = own + [option(name, f) for name, f in fields.items()]

        @functools.wraps(command)
        def run(**values):
            given = {name: values.pop(name) for name in fields}
            return command(options=run_safely(lambda: settings_of(model, given)), **values)
        run.__signature__ = inspect.Signature(params)
        run.__annotations__ = {p.name: p.annotation for p in params}
        return run
    return add


def settings_of(model, values: dict):
    """The settings ``model`` of a command's option values (:func:`settings_options`)."""
    fields = model.model_fields
    return model(**{name: key_values(value, settings_flag(name)) if _cli_type(fields[name].annotation)[0] is List[str]
                    else value for name, value in values.items()})


def _cli_type(annotation) -> tuple:
    """(the type of a setting's option, whether it may be left out): a mapping is repeated LABEL=VALUE
    strings, a choice or a union of kinds is a string (the settings model checks it)."""
    args = [a for a in get_args(annotation) if a is not type(None)]
    optional = get_origin(annotation) is Union and len(args) < len(get_args(annotation))
    if optional and len(args) == 1:
        annotation = args[0]
    origin = get_origin(annotation)
    if origin is dict:
        return List[str], False
    if origin is tuple or annotation in (bool, int, float, str):
        return annotation, optional
    return str, optional


def run_safely(fn):
    """Run a command body; print bad-input errors clearly and exit with status 2."""
    try:
        return fn()
    except IonscaleError as err:
        err_console.print(f"[bold red]error:[/] {escape(str(err))}")
        raise typer.Exit(2)
    except OSError as err:  # the system refused a read or write: a full disk, a missing permission, ...
        err_console.print(f"[bold red]error:[/] {escape(str(err))}. Nothing was written for the unfinished step; "
                          "free space or fix the permission, then run the command again")
        raise typer.Exit(2)
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted: nothing was written for the unfinished step[/]")
        raise typer.Exit(130)


def progress_bar() -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("frames"), TimeRemainingColumn(), console=err_console, transient=True)


def warn(message: str) -> None:
    """One warning line on stderr (the message printed as written, not as markup)."""
    err_console.print(f"[yellow]warning:[/] {escape(message)}")


def print_notes(notes, warned=frozenset()) -> None:
    """A result's notes: those that were warnings in yellow, the rest dimmed."""
    for note in notes:
        console.print(f"[yellow]warning:[/] {escape(note)}" if note in warned else f"[dim]note: {escape(note)}[/]")


def print_summary(result, title: str, warned=frozenset()) -> None:
    table = Table(title=title, show_lines=False)
    summary = result.summary()
    for col in summary.columns:
        table.add_column(escape(str(col)), justify="right" if col == "value" else "left")
    for row in summary.itertuples(index=False):
        table.add_row(*(escape(str(v)) for v in row))
    console.print(table)
    window = result.window
    how = "given" if window.get("given") else "automatic"
    n_spread = len(window.get("spread_windows_ps", []))
    console.print(f"fit window {window['start_ps']:g}–{window['end_ps']:g} ps ({how}; error bars: "
                  f"{window.get('error_method', '?')}, each fitted over this window; window spread: half the range "
                  f"over {n_spread} window(s))"
                  + ("" if window["found"] else f" [yellow](ion self-MSDs not diffusive: max |γ−1| = "
                                                 f"{window['max_gamma_deviation']:.2f})[/]"))
    print_notes(result.notes, warned)


@app.command()
def species(
    topology: Path = typer.Argument(..., help="Topology file (TPR, PSF, PRMTOP, LAMMPS data, ...)."),
    trajectory: Optional[Path] = typer.Argument(None, help="Optional trajectory (some topologies need one)."),
    topology_format: Optional[str] = typer.Option(None, help="MDAnalysis topology format if the extension misleads."),
    format: Optional[str] = typer.Option(None, help="MDAnalysis trajectory format if the extension misleads."),
    atoms_as_particles: bool = typer.Option(False, "--atoms-as-particles", help=ATOMS_HELP),
):
    """List the kinds of molecules in a topology, to choose --cation/--anion/--solvent selections."""
    from .io import open_universe
    from .system import list_species

    def body():
        u = open_universe(topology, [trajectory] if trajectory else [], topology_format=topology_format, format=format)
        table = Table(title=f"{'atomic' if atoms_as_particles else 'molecular'} species in {topology.name}")
        for col in ("name", "count", "atoms", "net charge (e)", "mass (g/mol)", "selection"):
            table.add_column(col)
        found = list_species(u, "atoms" if atoms_as_particles else "molecules")
        for s in found:
            charge = f"{s.net_charge_e:+.3f}" if s.net_charge_e == s.net_charge_e else "n/a (no charges)"
            table.add_row(*(escape(v) for v in (s.name, str(s.count), str(s.n_atoms), charge, f"{s.mass_g_mol:.3f}",
                                                 s.selection)))
        console.print(table)
        if len(found) == 1 and found[0].count == 1 and not atoms_as_particles:
            console.print("[yellow]the whole system is one molecule[/] (no bonds, one residue: e.g. an xyz file); "
                          "if every atom is a particle, add --atoms-as-particles")
    run_safely(body)


@app.command()
@settings_options(Options)
def analyze(
    topology: Path = typer.Argument(..., help="Topology with masses and charges (TPR, PSF, PRMTOP, LAMMPS data, ...)."),
    trajectories: List[Path] = typer.Argument(..., help="Trajectories; several = independent replicas of one state point."),
    cation: List[str] = typer.Option(..., help="Selection of the cation molecules, optionally LABEL=SELECTION "
                                                "(one cation species)."),
    anion: List[str] = typer.Option(..., help="Selection of an anion species ([LABEL=]SELECTION); repeat for several."),
    solvent: List[str] = typer.Option([], help="Selection of a solvent species ([LABEL=]SELECTION); repeat for several; "
                                               "none: a solvent-free melt (or --implicit-solvent)."),
    temperature: float = typer.Option(..., help="Temperature in K."),
    out: Path = typer.Option(Path("ionscale-results"), help="Output folder."),
    timestep: Optional[float] = typer.Option(None, help="Time between stored frames in ps, for files without times."),
    force_timestep: bool = typer.Option(False, help="Use --timestep although the trajectory stores another frame "
                                                    "interval (refused otherwise)."),
    allow_unassigned: bool = typer.Option(False, help="Proceed although atoms belong to no species and no solvent "
                                                      "is selected (the solvent frame is then the lab frame)."),
    valence: List[str] = typer.Option([], help="Override a valence: LABEL=Z (e.g. anion=-1); repeatable."),
    center: List[str] = typer.Option([], help="Track LABEL's molecules by the centre of mass of SELECTION: "
                                              "LABEL=SELECTION; repeatable."),
    workers: int = typer.Option(0, help="Processes reading chunks of each trajectory in parallel (0: all cores, "
                                       "up to 8, when the trajectory is large enough to gain; 1: serial)."),
    allow_non_neutral: bool = typer.Option(False, help="Proceed although the ions' formal charges do not sum to zero."),
    cache: bool = typer.Option(True, help="Reuse the pass over the trajectory cached beside it (.ionscale-cache/)."),
    topology_format: Optional[str] = typer.Option(None, help="MDAnalysis topology format if the extension misleads."),
    format: Optional[str] = typer.Option(None, help="MDAnalysis trajectory format if the extension misleads."),
    figures: bool = typer.Option(True, help="Write PNG figures."),
    implicit_solvent: bool = typer.Option(False, help="No --solvent because the solvent is a continuum at rest "
                                                      "(implicit-solvent model): the lab frame is the solvent frame. "
                                                      "Without it, no --solvent means a solvent-free melt or ionic "
                                                      "liquid: no solvent frame, no ρ+ or Newman number."),
    atoms_as_particles: bool = typer.Option(False, "--atoms-as-particles", help=ATOMS_HELP),
    box: Optional[Tuple[float, float, float]] = typer.Option(None, help="Box edge lengths LX LY LZ in nm "
                                                                        "(orthorhombic), for trajectories without a "
                                                                        "box (e.g. xyz); replaces a stored box."),
    options: Options = None,
):
    """Transport (Onsager coefficients, conductivity, transference numbers) and solvation structure of one
    state point, from one pass over each trajectory. The settings of the analyses (from --blocks on) are those of
    a study file's [analysis] table (ionscale.analyses).

    Writes DIR/results.json, DIR/quantities.csv (tidy: quantity,frame,species,value,stderr,unit,method),
    DIR/msd.csv, DIR/rdf.csv, DIR/acf.csv, DIR/speciation.csv, figures, and DIR/<analysis>.result.npz (each
    result whole, for Python: OnsagerResult.load(DIR)).
    """
    from .io import open_universe
    from .core.result import write_analysis
    from .pipeline import analyse
    from .system import Electrolyte
    from .trajectory.cache import finish_writing

    def body():
        if len(cation) > 1:
            raise IonscaleError(f"--cation given {len(cation)} times ({', '.join(map(repr, cation))}): the analysis "
                                "takes exactly one cation species; give one --cation (repeat --anion or --solvent "
                                "for several of those)")
        check_output_folder(out)
        old_files = {p.name for p in out.iterdir()} if out.is_dir() else set()
        selections = dict(cation=labelled(cation, "cation"), anion=labelled(anion, "anion"),
                          solvent=labelled(solvent, "solvent") if solvent else None)
        system = dict(valences=key_values(valence, "--valence", int), centers=key_values(center, "--center"),
                      allow_non_neutral=allow_non_neutral, timestep_ps=timestep, force_timestep=force_timestep,
                      allow_unassigned=allow_unassigned, implicit_solvent=implicit_solvent,
                      particles="atoms" if atoms_as_particles else "molecules")
        with progress_bar() as bar, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            replicas = [Electrolyte.from_universe(open_universe(topology, [t], topology_format=topology_format,
                                                               format=format, box_nm=box), **selections, **system)
                        for t in trajectories]
            tasks = {}

            def report(label, done, total):
                if label not in tasks:
                    tasks[label] = bar.add_task(f"reading {label}", total=total)
                bar.update(tasks[label], completed=done)

            results, notes = analyse(replicas, temperature, options, cache=cache,
                                     backend="serial" if workers == 1 else "multiprocessing", n_workers=workers,
                                     progress=report)
        warned = {str(w.message) for w in caught
                  if issubclass(w.category, UserWarning) and "ionscale" in (w.filename or "")}
        in_results = {note for result in results for note in getattr(result, "notes", [])}
        for message in (warned - in_results) | set(notes):  # the rest are printed with their result
            warn(message)
        for result in results:
            if result.section == "transport":
                print_summary(result, f"transport at {temperature:g} K — {len(replicas)} trajectory(ies)", warned)
            else:
                print_table(result.summary(), result.title)
                print_notes(getattr(result, "notes", []), warned)
        written = write_analysis(out, results, figures=figures)
        console.print(f"wrote {', '.join(p.name for p in written)} in {escape(str(out))}/")
        with warnings.catch_warnings(record=True) as late:   # the pass's cache entry, written in the background
            warnings.simplefilter("always")
            finish_writing()
        for message in dict.fromkeys(str(w.message) for w in late):
            warn(message)
        replaced, stale = old_files & {p.name for p in written}, old_files - {p.name for p in written}
        if replaced:
            warn(f"{out} held results of an earlier run: {len(replaced)} file(s) replaced")
        if stale:
            warn(f"{out} still holds files of an earlier run that this run did not write: "
                 f"{', '.join(sorted(stale))}; delete them or use a new --out")
    run_safely(body)


def check_output_folder(out: Path) -> None:
    """Refuse an output folder that cannot be written, before any work is done (nothing is created)."""
    if out.exists() and not out.is_dir():
        raise IonscaleError(f"--out {out} is a file, not a folder: give a folder path")
    existing = out
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise IonscaleError(f"--out {out}: {existing} is a file, so the folder cannot be made there")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise IonscaleError(f"--out {out}: {existing} is not writable; choose a folder you can write to")


def print_table(frame, title: str) -> None:
    table = Table(title=title)
    for col in frame.columns:
        table.add_column(escape(str(col)))
    for row in frame.itertuples(index=False):
        table.add_row(*(escape(str(v)) for v in row))
    console.print(table)


def dask_client(scheduler: Optional[str], workers: int):
    """A client of an existing scheduler, or of a new LocalCluster of ``workers`` single-threaded processes."""
    import logging

    from distributed import Client, LocalCluster
    logging.getLogger("distributed").setLevel(logging.ERROR)
    if scheduler:
        try:
            return Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as err:
            raise IonscaleError(f"cannot reach the Dask scheduler at {scheduler}: {err}. Start one with "
                                "`dask scheduler` and workers with `dask worker ADDRESS`, or drop --scheduler "
                                "to use a local cluster.") from None
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    return Client(cluster)


def run_study_command(spec, out: Path, scheduler: Optional[str], workers: int) -> None:
    """Run a study with a live task display, print its summary; exit 1 when a task failed."""
    from .study import run_study, study_percolation_onset, study_summary
    from .study.runner import check_study
    check_output_folder(out)  # both before a cluster starts
    check_study(spec)
    with dask_client(scheduler, workers) as client, progress_bar() as bar, \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        n_tasks = sum(p.simulate.replicas * 2 if p.simulate else len(p.replicas) for p in spec.state_points)
        task = bar.add_task("study tasks", total=n_tasks + len(spec.state_points) + 1)
        seen = set()

        def on_event(name, status):
            if status == "running":
                return
            seen.add(name)
            bar.update(task, completed=len(seen))
            colour = "red" if status.startswith("failed") else "green"
            bar.console.print(f"[{colour}]{escape(name)}[/]: {escape(status)}")
        outcome = run_study(spec, out, client=client, on_event=on_event, check=False)
        if any(outcome.points.values()):
            from .report.html import write_report
            write_report(out)  # the study figures and report.html, from the files just written
            on_event("figures and report", "done")
    for message in dict.fromkeys(str(w.message) for w in caught if "ionscale" in (w.filename or "")):
        warn(message)
    console.print(f"{len(outcome.computed)} task(s) computed, "
                  f"{sum(v == 'cached' for v in outcome.tasks.values())} found done, {len(outcome.failed)} failed")
    if (out / "study.csv").exists():
        print_table(study_summary(out), f"{spec.name} at {spec.temperature:g} K")
        onset = study_percolation_onset(out)
        if onset is not None:
            console.print(f"percolation onset: {escape(onset['text'])}")
    console.print(f"results in {escape(str(out))}/")
    if outcome.failed:
        raise typer.Exit(1)


@app.command()
def study(
    study_file: Path = typer.Argument(..., help="The study file (TOML): state points × replicas."),
    out: Path = typer.Option(Path("ionscale-study"), help="Output folder (re-running continues where it stopped)."),
    scheduler: Optional[str] = typer.Option(None, help="Address of a running Dask scheduler (tcp://host:8786)."),
    workers: int = typer.Option(2, help="Worker processes of the local Dask cluster (without --scheduler)."),
):
    """Run a study on Dask: every (state point, replica) is one resumable task; then aggregate and report."""
    from .study import load_study
    run_safely(lambda: run_study_command(load_study(study_file), out, scheduler, workers))


@app.command()
def demo(
    quick: bool = typer.Option(False, help="A one-minute version: smaller systems, shorter runs, one concentration."),
    paper: bool = typer.Option(False, help="The full study of the paper's questions: 3 association strengths x "
                                           "4 concentrations x 3 replicas x 30 model ns (about two days on 2 CPU cores; GPUs help)."),
    out: Path = typer.Option(Path("ionscale-demo"), help="Output folder (re-running continues where it stopped)."),
    workers: int = typer.Option(2, help="Worker processes (one simulation or pass each)."),
):
    """Simulate a star-anion electrolyte at strong and weak association (replicas each), analyse it all, report."""
    import os
    import time

    from .demo import demo_story, demo_study
    os.environ.setdefault("OPENMM_CPU_THREADS", "1")  # one core per worker: workers run side by side
    began = time.perf_counter()
    run_safely(lambda: run_study_command(demo_study(quick, paper), out, None, workers))
    if (out / "study.csv").exists():
        console.print(demo_story(out, quick, paper), markup=False)
        from .continuum.cells import bruce_vincent_summary
        console.print(bruce_vincent_summary(out))
    console.print(f"demo finished in {time.perf_counter() - began:.0f} s")


export_app = typer.Typer(add_completion=False, no_args_is_help=True,
                         help="Export a study's results for other tools (PyBaMM).")
app.add_typer(export_app, name="export")


@export_app.command("pybamm")
def export_pybamm_command(
    study_dir: Path = typer.Argument(..., help="A finished study folder (study.csv, study.json)."),
    base: str = typer.Option("Chen2020", help="PyBaMM parameter set to start from (Xu2019: lithium-metal half cell)."),
    out: Optional[Path] = typer.Option(None, help="Module to write (default STUDY_DIR/pybamm_parameters.py; "
                                                  "a .json with the same data is written beside it)."),
    points: List[str] = typer.Option([], help="Export only the state points whose label matches this glob "
                                              "pattern (e.g. 'strong*'); repeatable. Default: all, which must "
                                              "have different concentrations."),
):
    """Write a PyBaMM parameter module: κ, D, t+ and TDF of the study as functions of c_e on a base set."""
    from .continuum.pybamm_export import export_pybamm

    def body():
        module, data = export_pybamm(study_dir, out, base, points)
        console.print(f"wrote {module} and {data} (base set {base}; read the caveats in the module's docstring)")
    run_safely(body)


from .report.html import report_command  # noqa: E402
from .simulate.cli import simulate_command  # noqa: E402

app.command("simulate")(simulate_command)
app.command("report")(report_command)


def main() -> None:
    warnings.simplefilter("ignore", DeprecationWarning)  # library deprecation notices are not for end users
    app(prog_name="ionscale")


if __name__ == "__main__":
    sys.exit(main())
