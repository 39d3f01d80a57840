"""One state point, every analysis, one pass per trajectory.

The command line, studies and the demo all analyse a state point the same way: set up the structure
analysis (its contact collector rides on the pass), run the single pass over each replica (or find it
cached), then compute transport (SPEC §2–3), structure (SPEC §4–5) and the mesoscale — clusters of
the cation–anion shell contacts, percolation and screening (SPEC §6–7) — from the stores.

Structure is on by default; when its donor atoms cannot be found automatically (e.g. numeric LAMMPS
types) and the user named none, it is skipped with a note instead of stopping transport. With transport
and the mesoscale both off, the pass skips the unwrapped ion positions that only they use.
After transport comes the continuum stage (:mod:`ionscale.continuum.analysis`): the thermodynamic factor
(given, or Kirkwood–Buff from the ion positions of the same stores) and the salt diffusion coefficient.

Which contacts bond ions into clusters (``cluster_contacts``):

- ``"shell"`` (default, SPEC §6) — a cation and an anion in each other's first shell: the structure
  analysis' donor atoms and cut-offs (RDF minima unless given), so clusters need the structure analysis;
- ``"cation-anion"`` — any ``cluster_atoms`` atom of a cation within ``cluster_cutoff_nm`` of one of an
  anion (:class:`~ionscale.mesoscale.DistanceContacts`, collected on the same pass);
- ``"all"`` — the same between any two ions, like charges too (the htp_md project's definition).

The cluster Nernst–Einstein conductivity needs each cluster's diffusion coefficient (``cluster_carrier``):
``"majority"`` takes the self-diffusion coefficient (Onsager fit, solvent frame) of the ion species that
carries most of the cluster's charge; ``"com"`` the cluster's own centre-of-mass MSD over
``carrier_lag_ps`` (default one frame) among clusters that keep their membership that long
(:mod:`ionscale.mesoscale.carriers`).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .analyses import Options, Settings
from .errors import IonscaleError
from .store import scan
from .system import Electrolyte


#: store name of the distance contacts (the structure's shell contacts are "contacts")
ION_CONTACTS = "ion_contacts"


def structure_analyses(electrolytes: Sequence[Electrolyte], options: Settings, notes: list) -> list | None:
    """One StructureAnalysis per replica, or None (structure off, or skipped with a note)."""
    if not options.structure:
        return None
    from .structure import StructureAnalysis
    try:
        return [StructureAnalysis(es, donors=dict(options.donors) or None, cutoffs=dict(options.cutoffs) or None)
                for es in electrolytes]
    except IonscaleError as err:
        if options.donors or options.cutoffs or not options.transport:  # what the user asked for must work
            raise
        notes.append(f"structure skipped: {err}")
        return None


def analyse(electrolytes: Sequence[Electrolyte], temperature: float, options: Settings = Options(), *,
            cache=True, backend: str = "serial", n_workers: int = 1,
            progress: Callable[[str, int, int], None] | None = None,
            concentration_mol_L: float | None = None) -> tuple[list, list]:
    """Analyse the replicas of one state point. Returns (results, notes): the results follow the protocol
    of :mod:`ionscale.output` (transport first, then structure). ``concentration_mol_L`` (default: the
    cation concentration) is where a given thermodynamic factor table is read."""
    check_temperature(temperature)
    refuse_duplicate_replicas(electrolytes)
    notes: list = []
    analyses = structure_analyses(electrolytes, options, notes)
    stores = []
    for k, es in enumerate(electrolytes):
        label = f"replica {k + 1}/{len(electrolytes)}" if len(electrolytes) > 1 else "trajectory"
        report = None if progress is None else (lambda done, total, label=label: progress(label, done, total))
        stores.append(scan(es, start=options.start, stop=options.stop, step=options.step,
                           collectors=collectors(es, analyses[k] if analyses else None, options), cache=cache,
                           backend=backend, n_workers=n_workers, progress=report,
                           transport=options.transport or options.mesoscale))
    results = []
    if options.transport:
        from .transport.onsager import OnsagerAnalysis
        results.append(OnsagerAnalysis(electrolytes, temperature, fit=options.fit_window, n_blocks=options.blocks,
                                       stores=stores).run())
    if analyses:
        results.append(_structure(analyses, stores, options))
    if options.mesoscale:
        if len(electrolytes) > 1:
            notes.append("clusters and screening are those of replica 1")
        results.append(_mesoscale(electrolytes[0], stores[0], temperature, results, options, notes))
    if options.transport:
        from .continuum.analysis import continuum_analysis
        transport = results[0]
        c = transport.system["species"][0]["concentration_mol_L"] if concentration_mol_L is None else concentration_mol_L
        results.append(continuum_analysis(transport, electrolytes, stores, c, options.given_tdf,
                                          options.blocks))
        notes.extend(results[-1].warnings)
    return results, notes


#: the lowest temperature accepted, K: MD electrolytes run at hundreds of K; a value below 1 K is a slip
#: (a unit, a typo) and, near 0, k_B·T underflows the conversions
MIN_TEMPERATURE_K = 1.0


def check_temperature(temperature: float) -> None:
    """Refuse a temperature that is not a finite number of kelvin of at least :data:`MIN_TEMPERATURE_K`."""
    if not (isinstance(temperature, (int, float, np.floating)) and np.isfinite(temperature)
            and temperature >= MIN_TEMPERATURE_K):
        raise IonscaleError(f"the temperature must be a finite number of kelvin, at least {MIN_TEMPERATURE_K:g} K "
                            f"(the simulation's thermostat temperature), got {temperature!r}")


def refuse_duplicate_replicas(electrolytes: Sequence[Electrolyte]) -> None:
    """Refuse replicas that are the same trajectory (the same file twice, a link or a copy of it, or
    one in-memory trajectory twice): they are not independent, and their spread — the error bar —
    would be exactly zero."""
    from .store import trajectory_fingerprint
    seen: dict = {}
    for k, es in enumerate(electrolytes):
        key = trajectory_fingerprint(es.universe)
        if key in seen:
            first = seen[key]
            files = getattr(es.universe.trajectory, "filename", None) or "an in-memory trajectory"
            raise IonscaleError(f"replicas {first + 1} and {k + 1} are the same trajectory ({files}): replicas must "
                                "be independent runs, or the error bar is a spread of identical copies (zero). "
                                "Give each trajectory once; for one trajectory the error bars come from blocks.")
        seen[key] = k


def collectors(electrolyte: Electrolyte, structure, options: Settings) -> list:
    """What the pass collects besides transport: shell contacts, distance contacts of the clusters when
    asked for (module docstring), and solvent dipoles for ε_r (SPEC §7) when the user gave no ε_r and the
    solvent carries partial charges."""
    out = [structure.collector] if structure is not None else []
    if options.mesoscale and options.cluster_contacts != "shell":
        from .mesoscale import DistanceContacts
        out.append(DistanceContacts.from_electrolyte(electrolyte, options.cluster_atoms, options.cluster_cutoff_nm,
                                                     pairs=options.cluster_contacts, name=ION_CONTACTS))
    if options.mesoscale and options.epsilon_r is None and electrolyte.has_solvent:
        from .mesoscale import SolventDipoles
        try:
            out.append(SolventDipoles.from_electrolyte(electrolyte))
        except IonscaleError:
            pass  # no charges or charged solvent: the screening result says it has no ε_r
    return out


def _mesoscale(electrolyte: Electrolyte, store, temperature: float, results: list, options: Settings, notes: list):
    """Clusters of the chosen contacts and screening, on the first replica."""
    from .mesoscale import ClusterAnalysis, MesoscaleResult, ScreeningAnalysis
    by_section = {r.section: r for r in results}
    clusters = None
    edges, contacts = _cluster_edges(store, by_section.get("structure"), options)
    if edges is not None:
        D, reference = None, "solvent"
        if "transport" in by_section:
            transport = by_section["transport"]
            reference = transport.reference_frame  # solvent; barycentric without a solvent
            D = transport.D[reference].value * 1e-10  # 1e-10 m²/s → m²/s
        clusters = ClusterAnalysis(electrolyte, store, edges, temperature=temperature, diffusion_m2_s=D,
                                   diffusion_method=f"Onsager fit, {reference} frame",
                                   carrier=options.cluster_carrier,
                                   lag_frames=_lag_frames(options.carrier_lag_ps, store), n_blocks=options.blocks).run()
        clusters.notes.insert(0, f"clusters: {contacts}")
    else:
        notes.append("clusters skipped: 'shell' contacts come from the structure analysis, which did not run; "
                     "choose distance contacts (--cluster-contacts cation-anion or all, with --cluster-cutoff-nm)")
    screening = ScreeningAnalysis(electrolyte, store, temperature, epsilon_r=options.epsilon_r,
                                  k_max_nm_inv=options.szz_k_max_nm_inv, n_blocks=options.blocks).run()
    return MesoscaleResult(clusters=clusters, screening=screening)


def _cluster_edges(store, structure, options: Settings) -> tuple:
    """(edges (frame, i, j) in store ion order, what they are) of the chosen cluster contacts; (None, "")
    for shell contacts without a structure analysis."""
    if options.cluster_contacts != "shell":
        atoms = options.cluster_atoms or "every atom of the ions"
        between = "any two ions" if options.cluster_contacts == "all" else "a cation and an anion"
        return store.extras[f"{ION_CONTACTS}/edges"], (f"{between} with atoms ({atoms}) within "
                                                        f"{options.cluster_cutoff_nm:g} nm")
    if structure is None or structure.anion_bonds is None:
        return None, ""
    anions = structure.ssip_cutoff_nm   # keyed by the anion species
    cutoffs = ", ".join(f"{s} {c:.3g} nm" for s, c in structure.cutoff_nm.items() if s in anions and c == c)
    return (structure.anion_bonds + np.array([0, 0, int(store.counts[0])]),   # anions after the cations
            f"cation–anion first-shell contacts (shell cut-offs: {cutoffs})")


def _lag_frames(lag_ps: float | None, store) -> int:
    """The carrier lag in frames of the store (one frame when not given)."""
    if lag_ps is None:
        return 1
    dt = store.frame_interval_ps
    frames = int(round(lag_ps / dt))
    if frames < 1:
        raise IonscaleError(f"the carrier lag {lag_ps:g} ps is shorter than half the frame interval ({dt:g} ps)")
    if frames >= store.n_frames:
        raise IonscaleError(f"the carrier lag {lag_ps:g} ps is not shorter than the trajectory "
                            f"({(store.n_frames - 1) * dt:g} ps)")
    return frames


def _structure(analyses: list, stores: list, options: Settings):
    """Replica 1 chooses the cut-offs; the others use the same, so that their numbers can be averaged."""
    from .structure import StructureAnalysis, merge_replicas
    first = analyses[0].run(stores[0])
    if len(analyses) == 1:
        return first
    chosen = {s: c for s, c in first.cutoff_nm.items() if c == c}
    ssip = {s: c for s, c in first.ssip_cutoff_nm.items() if c == c}
    rest = [StructureAnalysis(a.electrolyte, donors=dict(options.donors) or None, cutoffs=chosen,
                              ssip_cutoffs=ssip or None).run(store) for a, store in zip(analyses[1:], stores[1:])]
    return merge_replicas([first, *rest])
