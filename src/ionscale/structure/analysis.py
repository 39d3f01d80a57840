"""Solvation structure of the cation: shells, ion pairs, motif geometry and residence times.

The multiscale picture of Coste et al. 2026 starts from the cation's first shell; Fang et al.
(J. Mater. Chem. A 2026) read the same shells to explain transference: shell composition (Fig. 4a),
the number of anions bound to each cation (Fig. 4b–c), and how long contacts last (Eq. 6, Fig. 5).

Example
-------
>>> es = Electrolyte.from_universe(u, cation="resname LI", anion="resname PF6",
...                                solvent={"EC": "resname EC", "DMC": "resname DMC"})   # doctest: +SKIP
>>> sa = StructureAnalysis(es, donors={"PF6": "name F*"})                                # doctest: +SKIP
>>> res = sa.run()                  # its own pass, structure only (cached like every pass)  # doctest: +SKIP
>>> res.get("shell_molecules", "EC"), res.get("bound_fraction", "cation")            # doctest: +SKIP

With transport, from one pass over the trajectory::

    store = scan(es, collectors=[sa.collector])
    transport = OnsagerAnalysis(es, temperature=298.15, stores=[store]).run()
    structure = sa.run(store)
    again = StructureAnalysis(es, donors=..., cutoffs={"EC": 0.27}).run(store)   # no re-reading

The pass keeps every cation–donor pair within ``radius_nm`` (and anion donors within
``ssip_radius_nm``); cut-offs are chosen afterwards from the RDFs (first minimum after the first peak)
unless given, and must lie inside those radii.

Pitfalls
--------
- Default donors follow each species' chemistry (:mod:`.sites`: monatomic ions themselves, the negative
  atoms of anions, O/N/F of molecules); an anion that never enters a shell although its RDF with the
  cation has a contact peak is warned about (:mod:`.missed`) — name its donors then.
- The SSIP cut-off is the second minimum of the cation–donor RDF of the anion; the other donor atoms of
  an anion already in contact can put a peak there. Check the RDF figure, or give ``ssip_cutoffs``.
- Residence times need frames saved more often than contacts break and a run longer than they last:
  a correlation function below the fit floor within three frames, or one that decays by less than 10 %
  over half the run, gives no fit (NaN); one that stays above 1/e gives an extrapolated τ. The notes
  say which.
"""

from __future__ import annotations

import copy
import warnings
from typing import Mapping

import numpy as np

from ..errors import IonscaleError
from ..trajectory import scan
from ..system import Electrolyte
from ..core.table import Row
from .contacts import ContactCollector, Contacts
from .missed import missed_contacts
from .geometry import MolecularDipoles, four_donor_shells, shell_dipoles, tetrahedral_order
from .pairing import CLASSES, anion_molecules, class_counts, pair_classes
from .rdf import PEAK_G, has_contact_peak, radial_distribution, rdf_minima
from .residence import NO_FIT, correlation_functions, fit_kww, linker_contacts
from .result import StructureResult
from .shells import Shells, first_shells
from .sites import find_sites
from .statistics import block_ratio

Cutoffs = Mapping[str, float] | float | None


class StructureAnalysis:
    """Shells, ion-pair classes, geometry and residence times of the cation (SPEC §4–5).

    Parameters
    ----------
    electrolyte : Electrolyte
    donors : {species: selection}, optional
        Donor atoms per coordinating species (default: chosen from the topology, see :mod:`.sites`).
    cutoffs : {species: nm} or float, optional
        Shell cut-offs; species not given take the first minimum of their RDF.
    ssip_cutoffs : {anion species: nm} or float, optional
        Second cut-offs of the SSIP class; anions not given take the second minimum of their RDF.
    radius_nm : float
        Contacts within this distance are kept in the pass (default 0.5 nm: past the first minimum of Li⁺
        and Na⁺ shells and into the rise of the second peak, which the minimum search needs).
    ssip_radius_nm : float or None
        Anion contacts are kept up to this distance, for the SSIP class (default 0.7 nm); None: no SSIP.
    cation_site : str, optional
        One atom per cation for molecular cations.
    geometry : bool
        Collect what the tetrahedral order and shell dipoles need.
    intermittent : bool
        Also compute the intermittent correlation functions.
    bin_nm, smooth_nm : float
        RDF bin width and smoothing for the cut-off search.
    n_blocks : int
        Blocks of frames for the standard errors.
    kww_floor : float
        The KWW fits use the lags where C(t) ≥ this.
    """

    def __init__(self, electrolyte: Electrolyte, donors: Mapping[str, str] | None = None, cutoffs: Cutoffs = None, *,
                 ssip_cutoffs: Cutoffs = None, radius_nm: float = 0.5, ssip_radius_nm: float | None = 0.7,
                 cation_site: str | None = None, geometry: bool = True, intermittent: bool = False,
                 bin_nm: float = 0.005, smooth_nm: float = 0.01, n_blocks: int = 5, kww_floor: float = 0.02):
        self.electrolyte = electrolyte
        self.sites = sites = find_sites(electrolyte, donors, cation_site)
        anion = np.array(sites.roles) == "anion"
        self.ssip = ssip_radius_nm is not None
        self.radius_nm = radius_nm
        #: collection radius of each species; the anions' also covers the SSIP cut-offs
        self.collect_nm = np.where(anion, max(radius_nm, ssip_radius_nm or 0.0), radius_nm)
        self._set_cutoffs(cutoffs, ssip_cutoffs)
        self.geometry, self.intermittent = geometry, intermittent
        self.bin_nm, self.smooth_nm, self.n_blocks, self.kww_floor = bin_nm, smooth_nm, n_blocks, kww_floor
        dipoles = MolecularDipoles.for_sites(electrolyte.universe, sites) if geometry else None
        self.collector = ContactCollector(sites, self.collect_nm, vectors=geometry, dipoles=dipoles)

    def _set_cutoffs(self, cutoffs: Cutoffs, ssip_cutoffs: Cutoffs) -> None:
        sites = self.sites
        self.cutoffs = _per_species(cutoffs, sites.species, "cutoffs")
        anions = [s for s, role in zip(sites.species, sites.roles) if role == "anion"]
        self.ssip_cutoffs = _per_species(ssip_cutoffs, anions, "ssip_cutoffs")
        if self.ssip_cutoffs and not self.ssip:
            raise IonscaleError("ssip_cutoffs given, but ssip_radius_nm=None switches the SSIP class off")
        _check_inside("cutoffs", self.cutoffs, self.radius_nm, "radius_nm")
        _check_inside("ssip_cutoffs", self.ssip_cutoffs, self.collect_nm.max(), "ssip_radius_nm")

    def with_cutoffs(self, cutoffs: Cutoffs, ssip_cutoffs: Cutoffs = None) -> "StructureAnalysis":
        """The same analysis (sites, donors, collector, settings) with these cut-offs: the other replicas of a
        state point take those that the first one chose, so that their numbers can be averaged."""
        other = copy.copy(self)
        other._set_cutoffs(cutoffs, ssip_cutoffs)
        return other

    # -- running -------------------------------------------------------------------------------
    def run(self, store=None, **scan_options) -> StructureResult:
        """Analyse ``store`` (a pass that ran :attr:`collector`), or run a pass first: one for this
        analysis alone, without the transport bookkeeping (``scan(..., transport=False)``).

        ``scan_options`` go to :func:`ionscale.trajectory.scan` (start, stop, step, backend, cache, ...)."""
        if store is None:
            store = scan(self.electrolyte, collectors=[self.collector], transport=False, **scan_options)
        elif scan_options:
            raise IonscaleError(f"options {sorted(scan_options)} apply to a new pass, not to a given store")
        result = self.analyze(Contacts.from_store(store, self.collector))
        shell = {r.species: r.value for r in result.rows if r.quantity == "shell_molecules"}
        for message in missed_contacts(self.electrolyte, self.sites, shell, self.radius_nm):
            warnings.warn(message, stacklevel=2)
            result.notes.append(message)
        return result

    def analyze(self, contacts: Contacts) -> StructureResult:
        """Everything after the pass: pure NumPy on the contacts."""
        sites, notes = self.sites, [f"{s}: {d}" for s, d in self.sites.descriptions.items()]
        rdf = radial_distribution(contacts, sites, self.collect_nm, self.bin_nm)
        cutoff, ssip, rows = self._cutoffs(rdf, notes)
        shells = first_shells(contacts, sites, cutoff)
        rows += self._shell_rows(shells)
        if sites.anion_species.size:
            rows += self._pair_rows(shells, contacts, ssip)
        q = dipole = None
        if self.geometry:
            q, dipole, more = self._geometry(shells, contacts, notes)
            rows += more
        time_ps, acfs, fits, more = self._residence(shells, contacts, notes)
        rows += more
        return StructureResult(
            cation=sites.cation, species=list(sites.species), rows=rows,
            cutoff_nm=dict(zip(sites.species, cutoff.tolist())),
            ssip_cutoff_nm={sites.species[k]: float(ssip[k]) for k in sites.anion_species},
            rdf=rdf, speciation=shells.speciation(sites.species), time_ps=time_ps, acfs=acfs, fits=fits,
            tetrahedral_order=q, shell_dipole_debye=dipole, anion_bonds=_anion_bonds(shells, sites), notes=notes,
            shell_molecules=shells.molecules)

    # -- the parts -----------------------------------------------------------------------------
    def _cutoffs(self, rdf, notes: list) -> tuple[np.ndarray, np.ndarray, list]:
        """Shell and SSIP cut-offs per species (given, or from the RDF minima) and their rows."""
        sites, cation = self.sites, self.sites.cation
        n_species = len(sites.species)
        cutoff, ssip, rows = np.full(n_species, np.nan), np.full(n_species, np.nan), []
        for k, label in enumerate(sites.species):
            minima = rdf_minima(rdf.r_nm, rdf.g[k], self.smooth_nm)
            if label in self.cutoffs:
                cutoff[k], how = self.cutoffs[label], "given"
            elif not np.nansum(rdf.g[k]) > 0:
                notes.append(f"{label}: no donor atom comes within {self.collect_nm[k]:g} nm of a {cation}; it is "
                             "never in a shell (cut-off NaN)")
                how = "no contacts"
            else:
                first = minima[minima <= self.radius_nm + 1e-12]
                if first.size == 0 and not has_contact_peak(rdf.r_nm, rdf.g[k], self.smooth_nm):
                    notes.append(f"{label}: its RDF with the {cation} has no contact peak (smoothed g below "
                                 f"{PEAK_G:g} up to {self.radius_nm:g} nm): it is never in a shell (cut-off NaN)")
                    how = "no contact peak"
                elif first.size == 0:
                    raise IonscaleError(
                        f"cannot find the first minimum of the {cation}–{label} donor RDF below "
                        f"{self.radius_nm:g} nm: give the cut-off, cutoffs={{{label!r}: r_nm}}, or collect "
                        "further with a larger radius_nm (look at the RDF figure first)")
                else:
                    cutoff[k], how = first[0], "first RDF minimum"
            rows.append(Row.from_display("cutoff", "", label, float(cutoff[k]), np.nan, "nm", how))
            if sites.roles[k] == "anion" and self.ssip:
                if label in self.ssip_cutoffs:
                    ssip[k], how = self.ssip_cutoffs[label], "given"
                else:
                    later = minima[minima > cutoff[k] + 1e-12] if np.isfinite(cutoff[k]) else minima[:0]
                    if later.size:
                        ssip[k], how = later[0], "second RDF minimum"
                    else:
                        how = "no second RDF minimum"
                        notes.append(f"{label}: no second minimum of its RDF below {self.collect_nm[k]:g} nm, so no "
                                     "SSIP class (give ssip_cutoffs or a larger ssip_radius_nm)")
                rows.append(Row.from_display("cutoff", "", f"{label}:SSIP", float(ssip[k]), np.nan, "nm", how))
        return cutoff, ssip, rows

    def _shell_rows(self, shells: Shells) -> list:
        sites, n_cat, cation = self.sites, self.sites.n_cations, self.sites.cation
        rows = []
        for quantity, counts, unit in (("shell_molecules", shells.molecules, "molecules"),
                                       ("shell_donor_atoms", shells.donor_atoms, "atoms")):
            rows += _rows(quantity, sites.species, block_ratio(counts.sum(axis=1), n_cat, self.n_blocks), unit)
        if sites.anion_species.size:
            per_n = shells.anion_counts()
            labels = [f"n={n}" for n in range(per_n.shape[1])]
            rows += _rows("anions_bound_fraction", labels, block_ratio(per_n, n_cat, self.n_blocks), "1")
            for quantity, counts in (("bound_fraction", per_n[:, 1:].sum(axis=1)), ("free_fraction", per_n[:, 0]),
                                     ("linker_fraction", per_n[:, 2:].sum(axis=1))):
                rows += _rows(quantity, [cation], block_ratio(counts[:, None], n_cat, self.n_blocks), "1")
        solvents = sites.solvent_species
        if solvents.size:
            n_mol = sites.molecules_per_species()[solvents]
            free = n_mol - shells.molecules_in_shells(sites)[:, solvents]
            rows += _rows("free_solvent_fraction", [sites.species[s] for s in solvents],
                          block_ratio(free, n_mol, self.n_blocks), "1")
        return rows

    def _pair_rows(self, shells: Shells, contacts: Contacts, ssip: np.ndarray) -> list:
        sites = self.sites
        classes = pair_classes(shells, contacts, sites, ssip)
        of_anion = sites.molecule_species[anion_molecules(sites)]
        rows = []
        for k in sites.anion_species:
            keep = [c for c in range(len(CLASSES)) if CLASSES[c] != "SSIP" or np.isfinite(ssip[k])]
            counts = class_counts(classes, of_anion, k)[:, keep]
            labels = [f"{sites.species[k]}:{CLASSES[c]}" for c in keep]
            rows += _rows("pair_class_fraction", labels, block_ratio(counts, (of_anion == k).sum(), self.n_blocks), "1")
        return rows

    def _geometry(self, shells: Shells, contacts: Contacts, notes: list):
        """Tetrahedral order of four-donor shells and shell dipoles, with their rows."""
        sites, n_frames, n_cat = self.sites, shells.n_frames, self.sites.n_cations
        inside = shells.inside
        shell = contacts.frame[inside].astype(np.int64) * n_cat + contacts.cation[inside]
        which, vectors = four_donor_shells(shell, contacts.vector_nm[inside])
        q = tetrahedral_order(vectors.astype(np.float64))
        frame = which // n_cat
        per_frame = np.bincount(frame, weights=q, minlength=n_frames)[:, None]
        count = np.bincount(frame, minlength=n_frames)[:, None]
        rows = _rows("tetrahedral_order", [sites.cation], block_ratio(per_frame, count, self.n_blocks), "1")
        if contacts.dipole_debye is None:
            notes.append("no shell dipoles: the topology has no partial charges, or there is no solvent")
            return q, None, rows
        solvent = np.isin(sites.molecule_species[shells.bond_molecule], sites.solvent_species)
        n_mol = sites.n_molecules
        dipole = shell_dipoles(
            shells.bond_frame[solvent] * n_cat + shells.bond_cation[solvent],
            shells.bond_frame[solvent] * n_mol + shells.bond_molecule[solvent],
            contacts.dipole_frame.astype(np.int64) * n_mol + contacts.dipole_molecule,
            contacts.dipole_debye, n_frames * n_cat)
        rows += _rows("shell_dipole", [sites.cation],
                      block_ratio(dipole.reshape(n_frames, n_cat).sum(axis=1)[:, None], n_cat, self.n_blocks), "D")
        return q, dipole, rows

    def _residence(self, shells: Shells, contacts: Contacts, notes: list):
        """Continuous (and intermittent) correlation functions of every contact kind, with KWW fits."""
        n_frames = contacts.n_frames
        time_ps = np.arange(n_frames) * contacts.frame_interval_ps
        modes = ("continuous", "intermittent") if self.intermittent else ("continuous",)
        acfs, fits, rows, done = {}, {}, [], {}
        for name, series in self._contact_series(shells, contacts).items():
            if id(series) not in done:  # a series listed under two names is analysed once
                functions = correlation_functions(*series, n_frames, modes)
                done[id(series)] = {
                    mode: (acf, fit_kww(time_ps, acf, self.kww_floor) if np.isfinite(acf[0]) else NO_FIT)
                    for mode, acf in functions.items()}
            for mode, (acf, fit) in done[id(series)].items():
                acfs[f"{name} {mode}"], fits[f"{name} {mode}"] = acf, fit
                method = f"KWW fit, {mode}"
                if np.isfinite(fit.tau_ps) and fit.tau_ps >= time_ps[-1]:
                    method += "; τ ≥ run length: a lower bound"
                    notes.append(f"{name} ({mode}): τ = {fit.tau_ps:.4g} ps is not shorter than the trajectory "
                                 f"({time_ps[-1]:g} ps): the contacts outlive the run, so τ is at best a lower bound; "
                                 "run longer")
                rows += [Row.from_display("residence_time", "", name, fit.tau_ps, np.nan, "ps", method),
                         Row.from_display("kww_tau", "", name, fit.tau_k_ps, np.nan, "ps", method),
                         Row("kww_beta", "", name, fit.beta, np.nan, "1", method)]
                if n_frames < 2:
                    continue  # one note below, not one per contact kind
                if not np.isfinite(acf[0]):
                    if mode == "continuous":
                        notes.append(f"{name}: no such contact in any frame, no correlation function")
                elif not np.isfinite(fit.tau_ps) and acf[min(3, n_frames - 1)] < self.kww_floor:
                    notes.append(f"{name} ({mode}): the correlation function falls below {self.kww_floor} within "
                                 "three frames, too fast to fit; save frames more often")
                elif not np.isfinite(fit.tau_ps):
                    notes.append(f"{name} ({mode}): the correlation function decays by less than 10 % over half "
                                 "the trajectory, too slow to fit; run longer")
                elif fit(fit.fit_end_ps) > np.exp(-1):
                    notes.append(f"{name} ({mode}): the correlation function stays above 1/e up to "
                                 f"{fit.fit_end_ps:g} ps; τ = {fit.tau_ps:.4g} ps is an extrapolation, run longer")
        if n_frames < 2:
            notes.append("one frame: no residence times (contact lifetimes need a trajectory)")
        return time_ps, acfs, fits, rows

    def _contact_series(self, shells: Shells, contacts: Contacts) -> dict:
        """Name → (contact key, frame) of every contact kind: ``<species>:atom`` (cation–donor atom),
        ``<species>:molecule`` (cation–molecule) and ``linker`` (cation with two anions).

        For a species with one donor atom per molecule, a cation–molecule contact is its cation–donor
        contact: both names then give the same tuple."""
        sites, inside = self.sites, shells.inside
        donor, cation, frame = contacts.donor[inside], contacts.cation[inside].astype(np.int64), contacts.frame[inside]
        donors_per_molecule = np.bincount(sites.donor_molecule, minlength=sites.n_molecules)
        species_of_donor, species_of_bond = sites.donor_species[donor], sites.molecule_species[shells.bond_molecule]
        series = {}
        for k, label in enumerate(sites.species):
            atom = species_of_donor == k
            series[f"{label}:atom"] = (cation[atom] * len(sites.donor_atoms) + donor[atom], frame[atom])
            if donors_per_molecule[sites.molecule_species == k].max(initial=0) <= 1:
                series[f"{label}:molecule"] = series[f"{label}:atom"]
                continue
            mol = species_of_bond == k
            series[f"{label}:molecule"] = (shells.bond_cation[mol] * sites.n_molecules + shells.bond_molecule[mol],
                                           shells.bond_frame[mol])
        anions = anion_molecules(sites)
        if anions.size:
            row = np.full(sites.n_molecules, -1)
            row[anions] = np.arange(anions.size)
            bound = row[shells.bond_molecule] >= 0
            series["linker"] = linker_contacts(shells.bond_frame[bound], shells.bond_cation[bound],
                                               row[shells.bond_molecule[bound]], sites.n_cations, anions.size)
        return series


def _per_species(values: Cutoffs, labels, name: str) -> dict:
    """{label: nm} from a mapping (checked) or one number for every label."""
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        return {label: float(values) for label in labels}
    unknown = set(values) - set(labels)
    if unknown:
        raise IonscaleError(f"{name} names {sorted(unknown)}, which are not among {list(labels)}")
    return {label: float(v) for label, v in values.items()}


def _check_inside(name: str, cutoffs: dict, limit: float, option: str) -> None:
    for label, value in cutoffs.items():
        if not 0 < value <= limit:
            raise IonscaleError(f"{name}[{label!r}] = {value} nm is not inside the collection radius {limit:g} nm: "
                                f"the pass keeps no contacts beyond it. Give a smaller cut-off or a larger {option} "
                                "(one more pass).")


def _rows(quantity: str, labels, average, unit: str) -> list:
    return [Row.from_display(quantity, "", label, float(v), float(e), unit, average.method)
            for label, v, e in zip(labels, np.ravel(average.value), np.ravel(average.stderr))]


def _anion_bonds(shells: Shells, sites) -> np.ndarray:
    """(frame, cation, anion) of every first-shell contact with an anion. Anion species come first among
    the coordinating species, so their molecules are numbered 0 .. n_anions − 1 in ion order."""
    is_anion = np.isin(sites.molecule_species[shells.bond_molecule], sites.anion_species)
    return np.column_stack([shells.bond_frame[is_anion], shells.bond_cation[is_anion],
                            shells.bond_molecule[is_anion]]).astype(np.int64)
