"""`ionscale simulate`: generate trajectories of a coarse-grained star-anion electrolyte with OpenMM.

The command is a plain typer-annotated function; the main CLI registers it with
``app.command("simulate")(simulate_command)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape

from ..errors import IonscaleError
from .config import PRESETS, SimulationConfig, load_config
from .mapping import describe_mapping
from .protocol import OutputExistsError, run_replicas


def simulate_command(
    config: Optional[Path] = typer.Argument(
        None, help="TOML file of model/protocol fields that override the preset (it may name its own preset).",
        show_default=False),
    preset: Optional[str] = typer.Option(
        None, "--preset", "-p", help=f"Starting model: {', '.join(PRESETS)}. [default: star-anion]",
        show_default=False),
    out: Path = typer.Option(
        Path("ionscale-sim"), "--out", "-o", help="Output directory; replicas go to OUT/seed-<seed>."),
    replicas: int = typer.Option(1, "--replicas", "-n", min=1, help="Number of independent replicas."),
    seed: int = typer.Option(1, "--seed", min=0, help="Seed of the first replica; the others use seed+1, seed+2, ..."),
    resume: bool = typer.Option(
        True, "--resume/--no-resume",
        help="Continue unfinished runs of the same configuration and reuse finished ones."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Delete the runs' previous files and start again."),
    platform: Optional[str] = typer.Option(
        None, "--platform", help="OpenMM platform (CPU, CUDA, OpenCL, Reference). [default: the fastest]",
        show_default=False),
    deterministic: bool = typer.Option(
        False, "--deterministic", help="Bitwise reproducible from the seed (CPU: one thread, slower)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress bars."),
) -> None:
    """Simulate a coarse-grained electrolyte of cations and star anions (Fang et al., J. Mater. Chem. A 2026).

    Writes OUT/seed-<seed>/topology.psf, trajectory.dcd and parameters.json, ready for `ionscale analyze`.
    """
    console = Console(stderr=True)
    try:
        cfg = load_config(config, preset=preset)
        console.print(escape(describe(cfg)))
        outputs = run_replicas(cfg, out, seeds=range(seed, seed + replicas), progress=progress, resume=resume,
                               overwrite=overwrite, platform=platform, deterministic=deterministic)
    except KeyboardInterrupt:
        console.print("interrupted: the last checkpoint is kept; run the same command again to resume")
        raise typer.Exit(130) from None
    except OutputExistsError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(1) from None
    except IonscaleError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from None
    except OSError as exc:  # the system refused a write: a full disk, an unwritable --out, ...
        console.print(f"[red]error:[/] {escape(str(exc))}; free space or choose a writable --out, then run the "
                      "same command again (it resumes from the last checkpoint)")
        raise typer.Exit(2) from None
    for output in outputs:
        console.print(f"{output.directory}: {output.topology.name}, {output.trajectory.name}, {output.parameters.name}")


def describe(cfg: SimulationConfig) -> str:
    """One paragraph stating the simulated system and run length."""
    solvent = (f"{cfg.n_solvent} explicit solvent beads" if cfg.solvent == "explicit"
               else "implicit solvent")
    total = cfg.anneal_cycles * cfg.anneal_length + cfg.equilibration + cfg.production
    return (
        f"{cfg.n_anions} star anions (f = {cfg.arms} arms of {cfg.arm_length} beads, valence {cfg.valence}) + "
        f"{cfg.n_cations} cations at {cfg.concentration:g} mol/L in a {cfg.box_length:.2f} nm box, "
        f"{solvent}, ε_r = {cfg.epsilon_r:g}, association well {cfg.association_kT:g} k_BT, {cfg.electrostatics}, "
        f"{cfg.temperature:g} K; {total:g} model ps per replica ({cfg.production:g} ps written every "
        f"{cfg.frame_interval:g} ps); {describe_mapping(cfg)}"
    )
