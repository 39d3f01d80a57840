"""The units of every number ionscale reports: one table from each display unit to SI.

Every reported number is stored in SI (:class:`ionscale.core.table.Row`, ``Estimate``: ``value_si``)
and shown in the display unit an electrochemist reads (D in 1e-10 m²/s, κ in mS/cm, lengths in nm,
times in ps), derived from this table (:func:`from_si`); code that needs SI reads ``value_si`` or
asks this table (:func:`to_si`) instead of writing a factor by hand. A unit missing here is an error
(a ValueError: a mistake in the code, not in the user's input), so a new quantity cannot carry a unit
whose meaning is guessed. The SI units themselves are in the table too (factor 1), so that
:meth:`~ionscale.core.table.Estimate.si` is an estimate like any other.

==========================  =========================  ==========================================
display unit                SI unit                    display units per SI unit
==========================  =========================  ==========================================
``1e-10 m^2/s``             m²/s                       1e10
``mS/cm``                   S/m                        10
``nm``                      m                          1e9
``nm^3``                    m³                         1e27
``ps``                      s                          1e12
``D`` (debye)               C·m                        c · 1e21 (2.99792e29)
``mol/L``                   mol/m³                     1e-3
``mol^2 J^-1 m^-1 s^-1``    (SI already)               1
``m^5 J^-1 s^-1``           (SI already)               1
``1``, ``molecules``,       dimensionless (counts,     1
``atoms``, ``1/frame``      fractions, per frame)
==========================  =========================  ==========================================

The factors are the exact powers of ten the analyses always multiplied SI values by, so a number
computed in SI is shown as it always was, to the last bit.
"""

from __future__ import annotations

#: speed of light, m/s (exact, SI 2019): the debye is 1e-21 / c coulomb-metre
SPEED_OF_LIGHT_M_S = 299_792_458.0
#: elementary charge, C (exact, SI 2019)
ELEMENTARY_CHARGE_C = 1.602176634e-19

# The SI size of the units trajectories come in (positions in nm, times in ps, dipoles in e·nm): the
# factors the kernels multiply by, written once here.
M2_PER_NM2 = 1e-18
M3_PER_NM3 = 1e-27
S_PER_PS = 1e-12
NM2_PER_PS_TO_M2_PER_S = 1e-6
C_M_PER_E_NM = ELEMENTARY_CHARGE_C * 1e-9

#: display unit → (SI unit, display units per SI unit: value_display = value_SI × factor)
UNITS = {
    "1e-10 m^2/s": ("m^2/s", 1e10),
    "mS/cm": ("S/m", 10.0),
    "nm": ("m", 1e9),
    "nm^3": ("m^3", 1e27),
    "ps": ("s", 1e12),
    "D": ("C m", SPEED_OF_LIGHT_M_S * 1e21),
    "mol/L": ("mol/m^3", 1e-3),
    "mol^2 J^-1 m^-1 s^-1": ("mol^2 J^-1 m^-1 s^-1", 1.0),
    "m^5 J^-1 s^-1": ("m^5 J^-1 s^-1", 1.0),
    "1": ("1", 1.0),
    "molecules": ("1", 1.0),
    "atoms": ("1", 1.0),
    "1/frame": ("1/frame", 1.0),
    "": ("", 1.0),
}
UNITS.update({si: (si, 1.0) for si, _ in list(UNITS.values())})


def per_si(unit: str) -> float:
    """How many of the display ``unit`` make one SI unit (value_display = value_SI × this)."""
    try:
        return UNITS[unit][1]
    except KeyError:
        raise ValueError(f"unknown unit {unit!r}: add it with its SI factor to ionscale.core.units.UNITS "
                            f"(known: {', '.join(repr(u) for u in UNITS if u)})") from None


def si_unit(unit: str) -> str:
    """The SI unit of a value shown in the display ``unit``."""
    per_si(unit)
    return UNITS[unit][0]


def to_si(value, unit: str):
    """A value (number or array) in the display ``unit`` → the same in SI."""
    return value / per_si(unit)


def from_si(value, unit: str):
    """A value (number or array) in SI → the same in the display ``unit``."""
    return value * per_si(unit)
