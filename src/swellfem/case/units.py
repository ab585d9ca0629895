"""Quantities with units in case files.

Case files write dimensional values as strings ("50 nm", "67.2 GPa", "1e-18 m^2/s").
Internally swellfem works in nanometres, megapascals and seconds, so that a solve of a
50 nm particle has numbers of order one: length nm, stress MPa, time s, diffusivity nm^2/s.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any

#: Internal unit of each kind of quantity, by dimension name.
INTERNAL_UNITS: dict[str, str] = {
    "length": "nm",
    "pressure": "MPa",
    "time": "s",
    "diffusivity": "nm**2/s",
    "current_density": "A/m**2",
}

#: An example the error messages show, by dimension name.
EXAMPLES: dict[str, str] = {
    "length": "'50 nm'",
    "pressure": "'67.2 GPa'",
    "time": "'3600 s'",
    "diffusivity": "'1e-18 m^2/s'",
}


class UnitError(ValueError):
    """A value that is not a quantity of the expected dimension."""


@functools.cache
def _registry() -> Any:
    import pint

    return pint.UnitRegistry()


_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d{1,3})?"
_TERM = r"[A-Za-z\u00b5\u03bc\u03a9_][A-Za-z0-9\u00b5\u03bc\u03a9_]*(?:\s*(?:\*\*|\^)\s*-?\d{1,2})?"
_QUANTITY = re.compile(rf"^\s*({_NUMBER})\s*({_TERM}(?:\s*[*/]\s*{_TERM})*)\s*$")


def parse_quantity(text: str) -> Any:
    """A pint Quantity of a string "<number> <unit>" (e.g. "50 nm", "1e-18 m^2/s").

    The form is checked before pint sees it: a number is required (a bare unit is not read as
    1), finite, and the unit is names with small integer powers joined by * and / (pint would
    otherwise evaluate expressions such as "10**10**10 nm"). Raises :class:`UnitError`."""
    match = _QUANTITY.match(text) if len(text) <= 100 else None
    if match is None:
        raise UnitError("not a quantity")
    number, unit = match.groups()
    magnitude = float(number)
    if not math.isfinite(magnitude):
        raise UnitError("not a finite number")
    import pint

    ureg = _registry()
    try:
        return ureg.Quantity(magnitude, unit)
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError) as exc:
        raise UnitError(f"unknown unit ({exc})") from None
    except Exception:
        raise UnitError("not a quantity") from None


def to_internal(value: Any, kind: str) -> float:
    """Convert a quantity string such as "50 nm" to the internal unit of ``kind``.

    A bare number is refused: dimensional values in a case file must carry their unit.
    """
    example = EXAMPLES.get(kind, "")
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise UnitError(f"expected a {kind} with its unit, e.g. {example}")
    if not isinstance(value, str):
        raise UnitError(f"a {kind} needs a unit, e.g. {example}")
    import pint

    ureg = _registry()
    target = ureg.Unit(INTERNAL_UNITS[kind])
    try:
        quantity = parse_quantity(value)
    except UnitError as exc:
        raise UnitError(f"{exc}; expected a number and a {kind} unit, e.g. {example}") from None
    if quantity.dimensionless:
        raise UnitError(f"a {kind} needs a unit, e.g. {example}")
    try:
        out = float(quantity.to(target).magnitude)
    except pint.errors.DimensionalityError:
        raise UnitError(f"wrong unit: '{quantity.units:~}' is not a {kind}; expected e.g. {example}") from None
    if not math.isfinite(out):
        raise UnitError(f"out of range for a {kind}")
    return out


def format_quantity(value: float, kind: str) -> str:
    """Write an internal value back as a case-file string, e.g. 50.0 -> "50 nm"."""
    unit = {"length": "nm", "pressure": "GPa", "time": "s", "diffusivity": "m^2/s"}[kind]
    if kind == "pressure":
        value = value / 1000.0
    if kind == "diffusivity":
        value = value * 1e-18
    return f"{value:.6g} {unit}"
