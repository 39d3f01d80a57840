"""Onsager transport coefficients, conductivity and transference numbers from MD trajectories.

Theory
------
The Onsager coefficients of ionic species i and j in reference frame r are (SPEC §2; Fang et al.,
J. Mater. Chem. A 2026, Eq. 1; Fong et al., Macromolecules 2020)

    L_ij^r = lim_{t→∞} d/dt  < ΔR_i^r(t) · ΔR_j^r(t) > / (6 V k_B T),   ΔR_i^r = Σ_α Δr_iα^r,

in the *per-volume* convention, divided by N_A² for molar units (mol² J⁻¹ m⁻¹ s⁻¹). The paper's Eq. 1
writes the *species-mean* convention L'_ij = L_ij / (c_i c_j). Both are reported. The self part of
L_ii is ρ_i D_i / (k_B T), from the particle-averaged MSD; the rest is the distinct part (Eq. 7).
From L follow the conductivity κ, the transference numbers t_i (t_+^0 in the solvent frame), the
Newman number and current fraction ρ_+ (Eq. 2–4), and from the D_i the PFG-NMR transference number
(Eq. 5), the Nernst–Einstein conductivity and the ionicity κ/κ_NE.

Slopes are ordinary least-squares fits over one window [t_a, 10 t_a] where every ion's self-MSD is
diffusive, |γ − 1| ≤ 0.1 with γ = d ln MSD / d ln t (SPEC §2.2). Error bars come from independent
replicas (mean ± standard error, derived quantities computed per replica: ``replicas(n)``) or, for one
trajectory, from contiguous blocks analysed with the same window (SPEC §2.3: ``fit-blocks(n)``,
:mod:`ionscale.core.estimate`).

Every window, automatic or given, is checked: the exponent γ of every self term, every collective term
and the charge term Σ z_i z_j Ω_ij (whose slope is κ) is reported per frame, and a warning names each
one with |γ − 1| above the tolerance. Blocks are always fitted over the value's window: a given window
longer than a block reduces the number of blocks (with a note), or leaves no error bar (with a warning).

The **window-sensitivity spread** of every quantity X is half the range of X over the set W of windows
the automatic rule could have picked just as well — every candidate [t_a, 10 t_a] (same width, inside
the same limit as the automatic search) in which every ion self-MSD of the reference frame has
|γ − 1| ≤ tolerance, plus the window used; when no candidate is diffusive, W is every candidate:

    spread(X) = (max_{w∈W} X(w) − min_{w∈W} X(w)) / 2          (NaN when W has one window)

fitted on the same data as the value (the trajectory, or the replica-mean correlations). It is not a
standard error: it says how much the number depends on a choice the data do not fix, and is reported
beside the statistical error (rows with method ``window spread (k windows)``).

Without solvent species the system is solvent-free (a melt, an ionic liquid) unless the electrolyte is
declared implicit-solvent: the solvent frame, ρ_+ and the Newman number are then reported as NaN with
the reason (binary melts have Σ m_k ΔR_k^m = 0 in the barycentric frame, so L^m is singular and
Ne = 0/0), and the barycentric frame is the reference.

Example
-------
>>> es = Electrolyte.from_universe(u, cation="resname LI", anion="resname PF6",
...                                solvent=["resname EC", "resname DMC"])          # doctest: +SKIP
>>> res = OnsagerAnalysis(es, temperature=303).run()                              # doctest: +SKIP
>>> res.t_plus["solvent"], res.rho_plus["solvent"]                                # doctest: +SKIP
>>> res.to_frame(); res.save("out/")                                              # doctest: +SKIP

Pitfalls
--------
- Collective terms converge far more slowly than self terms: without replicas or long runs, cross
  coefficients carry large error bars. Report them; do not hide them.
- The barycentric-to-solvent mapping of SPEC §2.1 is exact only when every atom belongs to one of the
  species; particles tracked by a sub-group of atoms (``centers=``) break it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from scipy import constants

from ..core.estimate import FIT_BLOCKS, REPLICAS, from_samples, label
from ..core.units import M2_PER_NM2, M3_PER_NM3, NM2_PER_PS_TO_M2_PER_S
from ..errors import IonscaleError
from ..trajectory import TransportStore, scan
from ..system import Electrolyte
from . import quantities as q
from .correlate import collective_msd_matrix, self_msd
from .frames import FRAMES, shift_collective, shift_self
from ..core.table import Row, pair_labels
from .result import UNITS, OnsagerResult
from .window import (MIN_WINDOW_LAGS, FitWindow, _inside as _inside_window, diffusive_windows, find_window,
                     holds_window, log_spaced_lags, ols_slope, window_exponent)

#: why a system without solvent species (and not declared implicit-solvent) has no solvent frame
NO_SOLVENT_NOTE = ("no solvent: no solvent species were selected and the solvent is not implicit (--implicit-solvent), "
                   "so this is taken as a solvent-free system (molten salt, ionic liquid). The solvent frame does "
                   "not exist; the Newman number and ρ+ measure salt-concentration polarisation against a solvent, "
                   "and without one the barycentric fluxes are tied (Σ m_k J_k = 0, L singular: Ne = 0/0). They are "
                   "reported as NaN, 'undefined: no solvent'; the barycentric frame is the reference")
#: the method of the rows that do not exist without a solvent (SPEC §2.1, §3; the reason: NO_SOLVENT_NOTE)
UNDEFINED_FRAME = "undefined: no solvent frame"
UNDEFINED_RHO = "undefined: no solvent"
#: method label of the window-sensitivity spread rows
SPREAD = "window spread"


@dataclass
class Correlations:
    """Time-correlation functions of one sample (a whole replica or one block).

    Attributes
    ----------
    time_ps : ndarray, shape (n_lags,)
    volume_nm3 : float
        Mean box volume.
    collective_nm2 : {frame: ndarray (n_lags, n, n)}
        <ΔR_i^r(t) · ΔR_j^r(t)> in nm², averaged over time origins.
    self_msd_nm2 : {frame: ndarray (n_lags, n)}
        Particle-averaged self-MSD of each ion species in nm².
    """

    time_ps: np.ndarray
    volume_nm3: float
    collective_nm2: dict
    self_msd_nm2: dict

    @classmethod
    def from_store(cls, store: TransportStore, frames: Sequence[str], has_solvent: bool,
                   max_lag: int | None = None) -> "Correlations":
        """The correlations of one store, at lags 0 .. ``max_lag`` frames (all by default)."""
        counts = store.counts.astype(float)
        n = len(counts)
        collective = np.stack([np.einsum("tpd->td", store.species_positions(k)) for k in range(n)], axis=1)
        references = [store.system_com_nm] + ([store.solvent_com_nm] if has_solvent else [])
        C = collective_msd_matrix(np.concatenate([collective, np.stack(references, axis=1)], axis=1), max_lag=max_lag)
        msd_sum = np.stack([self_msd(store.species_positions(k), max_lag=max_lag) * counts[k] for k in range(n)], axis=1)
        ref_index = {"lab": None, "barycentric": n, "solvent": n + 1 if has_solvent else None}
        return cls(
            time_ps=store.time_ps[:len(C)],
            volume_nm3=float(store.volume_nm3.mean()),
            collective_nm2={f: shift_collective(C, counts, ref_index[f]) for f in frames},
            self_msd_nm2={f: shift_self(msd_sum, C, counts, ref_index[f]) for f in frames},
        )

    @classmethod
    def mean(cls, samples: Sequence["Correlations"]) -> "Correlations":
        """Average over replicas, truncated to the shortest."""
        n_lags = min(len(s.time_ps) for s in samples)
        avg = lambda d, f: np.mean([s.__dict__[d][f][:n_lags] for s in samples], axis=0)  # noqa: E731
        frames = samples[0].collective_nm2
        return cls(samples[0].time_ps[:n_lags], float(np.mean([s.volume_nm3 for s in samples])),
                   {f: avg("collective_nm2", f) for f in frames}, {f: avg("self_msd_nm2", f) for f in frames})


class OnsagerAnalysis:
    """Onsager coefficients and everything derived from them, for one state point.

    Parameters
    ----------
    electrolytes : Electrolyte or sequence of Electrolyte
        One trajectory, or several independent replicas of the same state point (same species).
    temperature : float
        Temperature in K.
    fit : (float, float), optional
        Fitting window (t_start, t_end) in ps. Default: found from the self-MSDs (SPEC §2.2).
    n_blocks : int
        Blocks for the error bars of a single trajectory (ignored with replicas; 1 = no error bar).
    decades, gamma_tolerance : float
        Width of the automatic window in decades of lag time, and the allowed |γ − 1|.
    solvent_weighting : {"mass", "number"}
        Solvent reference point: centre of mass of all solvent molecules, or their mean position.
    start, stop, step : int, optional
        Frames of each trajectory to use.
    backend, n_workers, cache, progress
        Passed to :func:`ionscale.trajectory.scan` (parallel reading and the on-disk cache).
    stores : sequence of TransportStore, optional
        The passes over the trajectories, one per electrolyte, when already done (e.g. together with
        the structure analysis); the trajectories are then not read.
    """

    def __init__(self, electrolytes: Electrolyte | Sequence[Electrolyte], temperature: float, *,
                 fit: tuple[float, float] | None = None, n_blocks: int = 5, decades: float = 1.0,
                 gamma_tolerance: float = 0.1, solvent_weighting: str = "mass", start: int | None = None,
                 stop: int | None = None, step: int | None = None, backend: str = "serial", n_workers: int = 1,
                 cache=True, progress: Callable[[str, int, int], None] | None = None,
                 stores: Sequence[TransportStore] | None = None):
        self.replicas = [electrolytes] if isinstance(electrolytes, Electrolyte) else list(electrolytes)
        if not self.replicas:
            raise IonscaleError("no trajectory given")
        if not temperature > 0:
            raise IonscaleError(f"temperature must be positive in K, got {temperature}")
        if n_blocks < 1:
            raise IonscaleError(f"the number of blocks (--blocks, n_blocks) must be at least 1, got {n_blocks}")
        if fit is not None and not 0 <= fit[0] < fit[1]:
            raise IonscaleError(f"fit window must satisfy 0 <= start < end (ps), got {fit}")
        _check_same_species(self.replicas)
        if stores is not None and len(stores) != len(self.replicas):
            raise IonscaleError(f"{len(stores)} stores given for {len(self.replicas)} trajectories")
        if stores is not None and any(st.positions_nm is None for st in stores):
            raise IonscaleError("a store from a pass without transport (scan(..., transport=False)) has no "
                                "unwrapped positions: run scan() with transport=True for OnsagerAnalysis")
        self.stores = stores
        self.temperature = float(temperature)
        self.fit = fit
        self.n_blocks = n_blocks
        self.decades = decades
        self.gamma_tolerance = gamma_tolerance
        self.scan_options = dict(start=start, stop=stop, step=step, solvent_weighting=solvent_weighting,
                                 backend=backend, n_workers=n_workers, cache=cache)
        self.progress = progress

    # -- the pipeline -------------------------------------------------------------------------
    def run(self) -> OnsagerResult:
        """Read (or load) the trajectories, correlate, fit, and derive every quantity."""
        es = self.replicas[0]
        notes = sorted({note for e in self.replicas for note in e.notes})
        solvent_free = not es.has_solvent and not es.implicit_solvent
        if es.implicit_solvent:
            notes.append("implicit solvent: the lab frame is the solvent frame (the continuum is at rest)")
        elif solvent_free:
            notes.append(NO_SOLVENT_NOTE)
        reference = "barycentric" if solvent_free else "solvent"
        stores = self.stores or [self._scan(e, k) for k, e in enumerate(self.replicas)]
        dts = {round(s.frame_interval_ps, 9) for s in stores}
        if len(dts) > 1:
            raise IonscaleError(f"replicas have different frame intervals {sorted(dts)} ps; "
                                "use the same output interval or a step= that makes them equal")
        full = [Correlations.from_store(s, FRAMES, es.has_solvent) for s in stores]
        mean = Correlations.mean(full)
        single = len(stores) == 1
        if single:
            window, samples, unit_duration = self._blocks(stores[0], mean, notes, reference)
        else:
            samples = full
            unit_duration = min(s.time_ps[-1] for s in stores)
            window = self._window(mean, unit_duration, notes, reference, "replica")
        kind = FIT_BLOCKS if single else REPLICAS
        method = label(kind, len(samples))
        system = _SystemConstants.of(es, mean.volume_nm3, self.temperature)

        per_sample = [_estimates(c, window, system) for c in samples]
        point = _estimates(full[0], window, system) if single else None
        rows = []
        for key in (point or per_sample[0]):
            estimate = from_samples([p[key] for p in per_sample], kind, point[key] if single else None)
            rows += _rows(key, estimate.value, estimate.stderr, estimate.method, system)
        if len(stores) > 1:
            rows += self._from_mean_L(per_sample, window, system, stores)
        windows = self._spread_windows(mean, unit_duration, reference, window)
        rows += _spread_rows(full[0] if single else mean, windows, system)
        rows += _window_rows(mean, window, system)
        if solvent_free:
            rows = [_undefined_without_solvent(r) for r in rows]
        diffusive = self._check_gamma(rows, window, notes, reference)
        return OnsagerResult(
            species=system.labels, frames=list(FRAMES), rows=rows,
            window={"start_ps": window.start, "end_ps": window.end,
                    "found": bool(window.found) if self.fit is None else diffusive,
                    "max_gamma_deviation": float(window.max_gamma_deviation) if self.fit is None
                    else _self_deviation(rows, reference),
                    "given": self.fit is not None, "error_method": method,
                    "spread_windows_ps": [[w.start, w.end] for w in windows]},
            curves=_curves(mean, system, solvent_free), system=system.describe(es, stores), notes=notes,
            reference_frame=reference)

    def _scan(self, electrolyte: Electrolyte, k: int) -> TransportStore:
        progress = None
        if self.progress is not None:
            label = f"replica {k + 1}/{len(self.replicas)}" if len(self.replicas) > 1 else "trajectory"
            progress = lambda done, total: self.progress(label, done, total)  # noqa: E731
        return scan(electrolyte, progress=progress, **self.scan_options)

    def _blocks(self, store: TransportStore, mean: "Correlations", notes: list, reference: str):
        """Window, the blocks' correlations (the ``fit-blocks`` samples; none when there is no error bar) and
        the duration a window must fit in, for one trajectory.

        Every block is fitted over the very window of the value (SPEC §2.3). An automatic window is found
        inside the first half of one block. A window given by the user must fit in one block; when it
        does not fit in blocks of ``n_blocks``, the error bars come from the largest number of blocks that
        holds it (a note says so), or there are none when not even two blocks do (a warning says so)."""
        dt = store.frame_interval_ps
        if self.n_blocks == 1:
            window = self._window(mean, store.time_ps[-1], notes, reference, "trajectory")
            return window, [], store.time_ps[-1]
        if self.fit is None:
            n_frames = store.n_frames // self.n_blocks
            if n_frames < 4:
                raise IonscaleError(
                    f"{store.n_frames} frames cannot be cut into {self.n_blocks} blocks of at least 4 frames "
                    f"for error bars: use fewer blocks (--blocks {max(1, store.n_frames // 4)} at most), or "
                    "--blocks 1 (no error bar), or a longer trajectory")
            window = self._window(mean, store.time_ps[n_frames - 1], notes, reference, "block", store)
            n_blocks = self.n_blocks
        else:
            window = self._window(mean, store.time_ps[-1], notes, reference, "trajectory")
            fits = [b for b in range(self.n_blocks, 1, -1) if store.n_frames // b >= 4
                    and (store.n_frames // b - 1) * dt >= window.end * (1 - 1e-9)]
            n_blocks = fits[0] if fits else 1
            if n_blocks == 1:
                message = (f"no error bars: the fit window {window.start:g}–{window.end:g} ps does not fit in two "
                           f"blocks of the {store.time_ps[-1]:g} ps trajectory, and blocks fitted over a shorter "
                           "window would not measure the error of this value. Use a window that ends by "
                           f"{(store.n_frames // 2 - 1) * dt:g} ps, or replicas.")
                warnings.warn(message, stacklevel=3)
                notes.append(message)
                return window, [], store.time_ps[-1]
            if n_blocks < self.n_blocks:
                block_ps = (store.n_frames // self.n_blocks - 1) * dt
                notes.append(f"error bars from {n_blocks} blocks, not {self.n_blocks}: a block must hold the whole fit "
                             f"window ({window.start:g}–{window.end:g} ps), and one of {self.n_blocks} blocks lasts "
                             f"{block_ps:g} ps")
        n_frames = store.n_frames // n_blocks
        # a block's estimates are fits inside the window: its correlations are needed up to the window's end
        max_lag = int(np.searchsorted(store.time_ps, window.end * (1 + 1e-9), side="right"))
        samples = [Correlations.from_store(_block(store, b, n_frames), FRAMES, store.solvent_com_nm is not None,
                                           max_lag) for b in range(n_blocks)]
        return window, samples, store.time_ps[n_frames - 1]

    def _self_msds(self, mean: "Correlations", reference: str) -> list:
        return [mean.self_msd_nm2[reference][:, k] for k in range(mean.self_msd_nm2[reference].shape[1])]

    def _window(self, mean: Correlations, unit_duration: float, notes: list, reference: str, unit: str,
                store: TransportStore | None = None) -> FitWindow:
        """The user's window (checked to lie inside the data) or the automatic one inside the first half
        of ``unit_duration`` (ps): one ``unit`` — replica, block or trajectory — of the error estimate."""
        t = mean.time_ps
        if self.fit is not None:
            start, end = self.fit
            if end > t[-1] * (1 + 1e-9):
                raise IonscaleError(f"the fit window ends at {end:g} ps but the trajectory ends at {t[-1]:g} ps "
                                    f"(the shortest replica, if several): give --fit-window T_START T_END with "
                                    f"T_END <= {t[-1]:g} ps")
            if np.count_nonzero(_inside_window(t, start, end)) < 2:
                raise IonscaleError(f"the fit window {start:g}–{end:g} ps holds fewer than 2 stored lags (frames every "
                                    f"{t[1] - t[0]:g} ps): widen it")
            return FitWindow(float(start), float(end), True, float("nan"))
        try:
            window = find_window(t, self._self_msds(mean, reference), decades=self.decades,
                                 tolerance=self.gamma_tolerance, max_end=unit_duration / 2, unit="ps")
        except ValueError:
            raise IonscaleError(self._too_short(t, unit_duration, unit, store, reference)) from None
        if not window.found:
            message = (f"no diffusive window found (|γ−1| ≤ {self.gamma_tolerance}); using the best one, "
                       f"{window.start:g}–{window.end:g} ps, where |γ−1| reaches {window.max_gamma_deviation:.2f}. "
                       "Results may not be converged: run longer.")
            warnings.warn(message)
            notes.append(message)
        return window

    def _too_short(self, t, unit_duration: float, unit: str, store, reference: str) -> str:
        """Why no automatic window fits, and what to do, in command-line terms with units."""
        width = f"{10 ** self.decades:g}"
        dt = t[1] - t[0]
        need = (f"the automatic fit window, t_a to {width} t_a, must end within the first half of each {unit} "
                f"({unit_duration / 2:g} ps) and hold at least {MIN_WINDOW_LAGS} log-spaced lags")
        if unit == "block":
            n_frames = store.n_frames // self.n_blocks
            workable = [b for b in range(self.n_blocks - 1, 0, -1) if store.n_frames // b >= 4
                        and holds_window(t, decades=self.decades, max_end=(store.n_frames // b - 1) * dt / 2)]
            advice = (f"use fewer blocks (--blocks {workable[0]} is the most that fit here"
                      f"{'; 1 means no error bar' if workable[0] == 1 else ''}), "
                      if workable else "")
            return (f"the trajectory ({t[-1]:g} ps, frames every {dt:g} ps) is too short for {self.n_blocks} blocks "
                    f"(--blocks {self.n_blocks}): each block lasts {unit_duration:g} ps ({n_frames} frames), and "
                    f"{need}. {advice.capitalize()}give the window yourself (--fit-window T_START T_END, in ps), or "
                    "use a longer trajectory.")
        return (f"each {unit} lasts {unit_duration:g} ps (frames every {dt:g} ps): too short, since {need}. Give the "
                "window yourself (--fit-window T_START T_END, in ps), or use longer trajectories.")

    def _spread_windows(self, mean: Correlations, unit_duration: float, reference: str,
                        window: FitWindow) -> list:
        """The windows of the window-sensitivity spread: every window that the automatic rule could have
        picked (:func:`~.window.diffusive_windows` inside the same limit), and the window used."""
        windows = diffusive_windows(mean.time_ps, self._self_msds(mean, reference), decades=self.decades,
                                    tolerance=self.gamma_tolerance, max_end=unit_duration / 2)
        if not any(np.isclose(w.start, window.start) and np.isclose(w.end, window.end) for w in windows):
            windows.append(window)
        return windows

    def _check_gamma(self, rows: list, window: FitWindow, notes: list, reference: str) -> bool:
        """Warn about every self and collective term whose exponent γ over the window is outside
        1 ± tolerance (or that changes sign there); True when the reference frame's self-MSDs are diffusive."""
        bad, sign = {}, {}
        for r in rows:
            if r.quantity != "gamma" or r.method.startswith("undefined"):
                continue
            if not np.isfinite(r.value):
                sign.setdefault(r.frame, []).append(r.species)
            elif abs(r.value - 1) > self.gamma_tolerance:
                bad.setdefault(r.frame, []).append(f"{r.species} {r.value:.2f}")
        if bad or sign:
            parts = [f"{frame}: {', '.join(bad.get(frame, []) + [f'{t} changes sign' for t in sign.get(frame, [])])}"
                     for frame in FRAMES if frame in bad or frame in sign]
            how = "given" if self.fit is not None else "automatic"
            message = (f"fit window {window.start:g}–{window.end:g} ps ({how}): terms whose exponent γ is outside "
                       f"1 ± {self.gamma_tolerance:g} (not yet diffusive there, their slopes are not converged) — "
                       + "; ".join(parts) + ". Check msd.png; try another --fit-window or run longer.")
            warnings.warn(message, stacklevel=3)
            notes.append(message)
        return _self_deviation(rows, reference) <= self.gamma_tolerance

    def _from_mean_L(self, per_sample, window, system, stores) -> list:
        """Derived quantities from the replica-mean L's and D's (SPEC §2.3), no error bar."""
        rows = []
        for frame in FRAMES:
            L = np.mean([p[("L", frame)] for p in per_sample], axis=0)
            D = np.mean([p[("D", frame)] for p in per_sample], axis=0)
            for key, value in _derived(L, D, frame, system).items():
                rows += _rows(key, value, np.full_like(np.asarray(value, float), np.nan), "replica-mean L", system)
        return rows


# -- the numbers ----------------------------------------------------------------------------------
@dataclass
class _SystemConstants:
    labels: list
    counts: np.ndarray
    valences: np.ndarray
    volume_m3: float
    concentration_mol_m3: np.ndarray
    temperature: float

    @classmethod
    def of(cls, es: Electrolyte, volume_nm3: float, temperature: float) -> "_SystemConstants":
        volume = volume_nm3 * M3_PER_NM3
        return cls([s.label for s in es.ions], es.counts, es.valences, volume,
                   es.counts / (constants.N_A * volume), temperature)

    def describe(self, es: Electrolyte, stores: Sequence[TransportStore]) -> dict:
        return {
            "temperature_K": self.temperature,
            "volume_nm3": self.volume_m3 / M3_PER_NM3,
            "n_replicas": len(stores),
            "n_frames": [int(s.n_frames) for s in stores],
            "frame_interval_ps": float(stores[0].frame_interval_ps),
            "duration_ps": [float(s.time_ps[-1]) for s in stores],
            "species": [{"label": s.label, "role": s.role, "selection": s.selection, "count": s.n_molecules,
                         "valence": s.valence, "molecule_mass_g_mol": s.molecule_mass_g_mol,
                         "topology_charge_e": s.topology_charge_e,
                         "concentration_mol_L": s.n_molecules / (constants.N_A * self.volume_m3) / 1000.0}
                        for s in es.species],
        }


def _estimates(corr: Correlations, window: FitWindow, system: _SystemConstants) -> dict:
    """Every transport quantity of one sample: {(quantity, frame): ndarray}, in SI units."""
    kT = constants.k * system.temperature
    to_L = M2_PER_NM2 / (6.0 * system.volume_m3 * kT * constants.N_A ** 2)  # nm² → molar Ω
    out = {}
    for frame in FRAMES:
        slope_coll = ols_slope(corr.time_ps, corr.collective_nm2[frame], window) * 1e12  # nm²/s
        slope_self = ols_slope(corr.time_ps, corr.self_msd_nm2[frame], window)         # nm²/ps
        L = 0.5 * (slope_coll + slope_coll.T) * to_L
        D = slope_self / 6.0 * NM2_PER_PS_TO_M2_PER_S
        L_self = system.counts * slope_self * 1e12 * to_L
        out[("L", frame)] = L
        out[("L_self", frame)] = L_self
        out[("L_distinct", frame)] = L - np.diag(L_self)
        out[("L_mean", frame)] = q.species_mean(L, system.concentration_mol_m3)
        out[("D", frame)] = D
        out.update(_derived(L, D, frame, system))
    return out


def _derived(L: np.ndarray, D: np.ndarray, frame: str, system: _SystemConstants) -> dict:
    z, c = system.valences, system.concentration_mol_m3
    kappa = q.conductivity(L, z)
    kappa_ne = q.nernst_einstein_conductivity(c, z, D, system.temperature)
    t = q.transference_numbers(L, z)
    return {
        ("conductivity", frame): kappa,
        ("t_plus", frame): t[0],
        ("transference_number", frame): t,
        ("newman_number", frame): q.newman_number(L, z, 0),
        ("rho_plus", frame): q.current_fraction(L, z, 0),
        ("t_plus_pfg", frame): q.pfg_transference(c, z, D)[0],
        ("conductivity_ne", frame): kappa_ne,
        ("ionicity", frame): kappa / kappa_ne,
        **({("ideal_salt_diffusion", frame): q.ideal_salt_diffusion(L, z, c, system.temperature)}
           if frame == "solvent" and len(z) == 2 and z[0] > 0 > z[1] else {}),   # Newman's D: solvent frame
    }


def _rows(key: tuple, value, stderr, method: str, system: _SystemConstants) -> list:
    quantity, frame = key
    unit, kind = UNITS[quantity]
    value, stderr = np.asarray(value, float), np.asarray(stderr, float)  # SI
    labels = system.labels
    if kind == "pairs":
        items = [(pair_labels(labels, i, j), value[i, j], stderr[i, j])
                 for i in range(len(labels)) for j in range(i, len(labels))]
    elif kind == "species":
        items = [(labels[i], value[i], stderr[i]) for i in range(len(labels))]
    elif kind == "cation":
        items = [(labels[0], value, stderr)]
    else:
        items = [("", value, stderr)]
    return [Row(quantity, frame, sp, float(v), float(e), unit, method) for sp, v, e in items]


def _window_rows(mean: Correlations, window: FitWindow, system: _SystemConstants) -> list:
    """The window used and the exponent γ of every self and collective term in every frame."""
    lags = log_spaced_lags(len(mean.time_ps))
    rows = [Row.from_display("fit_start", "", "", window.start, float("nan"), "ps", "window"),
            Row.from_display("fit_end", "", "", window.end, float("nan"), "ps", "window")]
    labels = system.labels
    for frame in FRAMES:
        g_self = window_exponent(mean.time_ps, mean.self_msd_nm2[frame], window, lags)
        g_coll = window_exponent(mean.time_ps, mean.collective_nm2[frame], window, lags)
        rows += [Row("gamma", frame, labels[i], float(g_self[i]), float("nan"), "1", "self MSD")
                 for i in range(len(labels))]
        rows += [Row("gamma", frame, pair_labels(labels, i, j), float(g_coll[i, j]), float("nan"), "1", "collective")
                 for i in range(len(labels)) for j in range(i, len(labels))]
        charge = np.einsum("tij,i,j->t", mean.collective_nm2[frame], system.valences, system.valences)
        rows.append(Row("gamma", frame, "charge", float(window_exponent(mean.time_ps, charge, window, lags)),
                        float("nan"), "1", "collective (charge, Σ z_i z_j Ω_ij: κ)"))
    return rows


def _spread_rows(sample: Correlations, windows: list, system: _SystemConstants) -> list:
    """Window-sensitivity spread of every quantity: half the range, (max − min)/2, of its estimates over
    ``windows`` (all fitted on the same sample: the trajectory, or the replica mean)."""
    estimates = [_estimates(sample, w, system) for w in windows]
    rows = []
    for key in estimates[0]:
        values = np.array([e[key] for e in estimates], dtype=float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN entries stay NaN
            half = (np.nanmax(values, axis=0) - np.nanmin(values, axis=0)) / 2
        if len(windows) < 2:  # one window: nothing to compare it with
            half = np.full(np.shape(half), np.nan)
        rows += _rows(key, half, np.full(np.shape(half), np.nan), f"{SPREAD} ({len(windows)} windows)", system)
    return rows


def _undefined_without_solvent(row: Row) -> Row:
    """A row as reported without a solvent: NaN with the reason for the solvent frame, ρ+ and Ne."""
    if row.frame == "solvent":
        return row._replace(value_si=float("nan"), stderr_si=float("nan"), method=UNDEFINED_FRAME)
    if row.quantity in ("rho_plus", "newman_number"):
        return row._replace(value_si=float("nan"), stderr_si=float("nan"), method=UNDEFINED_RHO)
    return row


def _self_deviation(rows: list, reference: str) -> float:
    """Largest |γ − 1| of the ion self-MSDs in the reference frame over the window (NaN γ: infinite)."""
    gammas = [r.value for r in rows if r.quantity == "gamma" and r.frame == reference and r.method == "self MSD"]
    return float(np.nan_to_num(np.abs(np.array(gammas) - 1), nan=np.inf).max(initial=0.0))


def _curves(mean: Correlations, system: _SystemConstants, solvent_free: bool = False) -> dict:
    """Ω_ij(t) (molar, mol² J⁻¹ m⁻¹) and MSD_i(t) (nm²) of every frame, for msd.csv and plots; NaN for
    the solvent frame of a system without solvent."""
    to_omega = M2_PER_NM2 / (6.0 * system.volume_m3 * constants.k * system.temperature * constants.N_A ** 2)
    nan = (lambda f, a: np.full_like(a, np.nan) if solvent_free and f == "solvent" else a)  # noqa: E731
    return {"time_ps": mean.time_ps,
            "omega": {f: nan(f, mean.collective_nm2[f] * to_omega) for f in FRAMES},
            "msd_nm2": {f: nan(f, v) for f, v in mean.self_msd_nm2.items()}}


def _block(store: TransportStore, b: int, n_frames: int) -> TransportStore:
    sl = slice(b * n_frames, (b + 1) * n_frames)
    return TransportStore(
        time_ps=store.time_ps[sl] - store.time_ps[sl][0], volume_nm3=store.volume_nm3[sl],
        positions_nm=store.positions_nm[sl], system_com_nm=store.system_com_nm[sl],
        solvent_com_nm=None if store.solvent_com_nm is None else store.solvent_com_nm[sl], counts=store.counts,
        box_nm=None if store.box_nm is None else store.box_nm[sl])


def _check_same_species(replicas: Sequence[Electrolyte]) -> None:
    ref = [(s.label, s.role, s.n_molecules, s.valence) for s in replicas[0].species]
    for k, es in enumerate(replicas[1:], start=2):
        this = [(s.label, s.role, s.n_molecules, s.valence) for s in es.species]
        if this != ref:
            raise IonscaleError(f"replica {k} has species {this}, replica 1 has {ref}: replicas must be the "
                                "same state point (same species, counts and valences)")
