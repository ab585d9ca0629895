"""Quantities with units in case files.

Case files write dimensional values as strings ("50 nm", "67.2 GPa", "1e-18 m^2/s").
Internally swellfem works in nanometres, megapascals and seconds, so that a solve of a
50 nm particle has numbers of order one: length nm, stress MPa, time s, diffusivity nm^2/s.
"""

from __future__ import annotations

import functools
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


def to_internal(value: Any, kind: str) -> float:
    """Convert a quantity string such as "50 nm" to the internal unit of ``kind``.

    A bare number is refused: dimensional values in a case file must carry their unit.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise UnitError(f"expected a {kind} with its unit, e.g. {EXAMPLES.get(kind, '')}")
    if not isinstance(value, str):
        raise UnitError(f"a {kind} needs a unit, e.g. {EXAMPLES.get(kind, '')}")
    import pint

    ureg = _registry()
    target = ureg.Unit(INTERNAL_UNITS[kind])
    try:
        quantity = ureg.Quantity(value.strip())
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError) as exc:
        raise UnitError(f"unknown unit ({exc}); expected a {kind} such as {EXAMPLES.get(kind, '')}") from None
    except Exception:
        raise UnitError(f"not a quantity; expected a {kind} such as {EXAMPLES.get(kind, '')}") from None
    if not isinstance(quantity, ureg.Quantity) or quantity.dimensionless:
        raise UnitError(f"a {kind} needs a unit, e.g. {EXAMPLES.get(kind, '')}")
    try:
        return float(quantity.to(target).magnitude)
    except pint.errors.DimensionalityError:
        raise UnitError(f"wrong unit: '{quantity.units:~}' is not a {kind}; expected e.g. {EXAMPLES.get(kind, '')}") from None


def format_quantity(value: float, kind: str) -> str:
    """Write an internal value back as a case-file string, e.g. 50.0 -> "50 nm"."""
    unit = {"length": "nm", "pressure": "GPa", "time": "s", "diffusivity": "m^2/s"}[kind]
    if kind == "pressure":
        value = value / 1000.0
    if kind == "diffusivity":
        value = value * 1e-18
    return f"{value:.6g} {unit}"
