"""The documentation is checked like code: every ``SPEC §N`` cited in the source exists in docs/SPEC.md,
the README's Python example runs on a small trajectory with known physics, and the README's shell
examples name commands and options that exist. ``make docs`` runs this file.
"""

from __future__ import annotations

import re
import shlex
import sys
import tomllib
from pathlib import Path

import numpy as np
import typer

sys.path.insert(0, str(Path(__file__).parent))
from synthetic import DT_PS, build  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SPEC = ROOT / "docs" / "SPEC.md"

#: "SPEC §2.1", "SPEC §4–5", "SPEC §6-7", "(SPEC §8.7)"
SPEC_REFERENCE = re.compile(r"SPEC §(\d+(?:\.\d+)?)(?:[–-](\d+(?:\.\d+)?))?")


def spec_sections(text: str) -> set[str]:
    """Section numbers of docs/SPEC.md: its ``## N.`` and ``### N.M`` headings, and ``N.k`` for the numbered
    items of a section (§8 lists the validation tests 1–7: SPEC §8.2 is the second)."""
    sections, current = set(), None
    for line in text.splitlines():
        heading = re.match(r"#{2,3} (\d+(?:\.\d+)?)\.? ", line)
        if heading:
            sections.add(heading.group(1))
            current = heading.group(1).split(".")[0]
        item = re.match(r"(\d+)\. ", line)
        if item and current:
            sections.add(f"{current}.{item.group(1)}")
    return sections


def spec_references() -> list[tuple[str, str]]:
    """(file:line, section) of every SPEC § reference in src/ and tests/ (both ends of a range)."""
    found = []
    for path in sorted((ROOT / "src").rglob("*.py")) + sorted((ROOT / "tests").rglob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for m in SPEC_REFERENCE.finditer(line):
                found += [(f"{path.relative_to(ROOT)}:{n}", s) for s in m.groups() if s]
    return found


def test_spec_sections_are_read():
    sections = spec_sections(SPEC.read_text(encoding="utf-8"))
    assert {"0", "2", "2.1", "2.2", "2.3", "7", "8", "8.1", "8.7"} <= sections
    assert "2.4" not in sections and "9" not in sections and "8.8" not in sections


def test_every_spec_reference_exists():
    sections = spec_sections(SPEC.read_text(encoding="utf-8"))
    references = spec_references()
    assert len(references) > 50  # the source does cite it; a broken regex would find none
    missing = [f"{where}: §{s}" for where, s in references if s not in sections]
    assert not missing, "SPEC sections cited but absent from docs/SPEC.md: " + ", ".join(missing)


def code_blocks(language: str, page: Path = README) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", page.read_text(encoding="utf-8"), re.S | re.M)


def test_readme_blocks_are_all_known():
    """Every fenced block is python (run below) or bash (checked below): none escapes both tests."""
    fences = [language for language, _ in re.findall(r"^```(\w*)\n(.*?)^```", README.read_text(encoding="utf-8"),
                                                      re.S | re.M)]
    assert set(fences) <= {"python", "bash"}, f"README code blocks of another kind: {set(fences) - {'python', 'bash'}}"


def electrolyte_files(folder: Path) -> tuple[Path, Path, dict]:
    """A PSF + DCD of independent random walkers named as the README's electrolyte: LiPF6 in EC + DMC.

    60 LI (+1), 60 PF6 (−1) and 30 + 30 two-atom solvent molecules EC, DMC (neutral) walking freely, so
    that D_i = σ_i² / (2 Δt) exactly (tests/synthetic.py) and t_+ = t_+,PFG = D_+ / (D_+ + D_−) (SPEC §8.2).
    Returns the PSF, the DCD and the exact D_i in m²/s."""
    import MDAnalysis as mda

    from ionscale.simulate.psf import write_psf
    from ionscale.simulate.topology import Topology

    system = build("walkers", n_pairs=60, n_frames=600, n_solvent=60, seed=3)
    u = system.universe
    resnames = np.array(["LI"] * 60 + ["PF6"] * 60 + ["EC"] * 60 + ["DMC"] * 60, dtype=object)
    top = Topology(names=np.asarray(u.atoms.types), resnames=resnames, molecule=u.atoms.resindices,
                   masses=u.atoms.masses, charges=u.atoms.charges, sigmas=np.zeros(len(u.atoms)),
                   bonds=u.bonds.indices)
    psf, dcd = folder / "system.psf", folder / "traj.dcd"
    write_psf(top, psf)
    with mda.Writer(str(dcd), len(u.atoms), dt=DT_PS) as w:
        for _ in u.trajectory:
            w.write(u.atoms)
    return psf, dcd, system.D_m2_s


def test_readme_python_example_runs(tmp_path, monkeypatch):
    """The README's Python block, verbatim but for the two file names, on walkers of known D."""
    (block,) = code_blocks("python")
    psf, dcd, D_m2_s = electrolyte_files(tmp_path)
    assert '"topol.tpr"' in block and '"run1.xtc"' in block, "the README example's file names changed: update here"
    code = block.replace('"topol.tpr"', repr(str(psf))).replace('"run1.xtc"', repr(str(dcd)))
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    res = namespace["res"]
    D = res.D["lab"]   # 1e-10 m²/s
    exact = np.array([D_m2_s["cation"], D_m2_s["anion"]]) / 1e-10
    assert np.all(np.abs(D.value - exact) < 4 * D.stderr + 0.03 * exact), (D, exact)
    t, t_pfg = res.t_plus["solvent"], res.t_plus_pfg["solvent"]
    assert abs(t.value - t_pfg.value) < 4 * np.hypot(t.stderr, t_pfg.stderr)
    assert (tmp_path / "results" / "quantities.csv").is_file() and (tmp_path / "results" / "msd.png").is_file()


def shell_commands(page: Path = README) -> list[list[str]]:
    """The command lines of the bash blocks of ``page`` (continuation lines joined, comments dropped)."""
    commands = []
    for block in code_blocks("bash", page):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words:
                commands.append(words)
    return commands


def test_readme_shell_examples_name_real_commands_and_options():
    from ionscale.cli import app
    cli = typer.main.get_command(app)
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    commands = shell_commands()
    assert {c[0] for c in commands} == {"make", "ionscale", "pip"}
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    for words in commands:
        if words[0] == "make":
            assert re.search(rf"^{words[1]}:", makefile, re.M), f"README: no make target {words[1]!r}"
            continue
        if words[0] == "pip":  # only extras of ionscale itself are installed this way
            (extra,) = re.fullmatch(r"""["']?ionscale\[(\w+)\]["']?""", words[2]).groups()
            assert words[1] == "install" and extra in extras, f"README: no extra ionscale[{extra}]"
            continue
        command = cli.commands.get(words[1])
        assert command is not None, f"README: no command `ionscale {words[1]}`"
        while hasattr(command, "commands") and len(words) > 2 and words[2] in command.commands:  # sub-commands
            command, words = command.commands[words[2]], words[1:]
        options = {o for p in command.params for o in p.opts + p.secondary_opts}
        unknown = [w.split("=")[0] for w in words[2:] if w.startswith("--") and w.split("=")[0] not in options]
        assert not unknown, f"README: `ionscale {words[1]}` has no option(s) {unknown}"


def test_contributing_names_real_make_targets():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = [words[1] for words in shell_commands(ROOT / "CONTRIBUTING.md") if words[0] == "make"]
    assert targets == ["test", "docs", "bench"]
    assert all(re.search(rf"^{t}:", makefile, re.M) for t in targets)
