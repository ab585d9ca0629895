"""Building blocks of the case schemas: the strict pydantic base and quantities with units.

Dimensional values carry their units in the file ("50 nm", "67.2 GPa"); the annotated types
below convert them to swellfem's internal units (lengths nm, moduli and stresses MPa, times s,
diffusivities nm^2/s; see :mod:`swellfem.case.units`). No dolfinx here.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from .units import UnitError, to_internal


class Strict(BaseModel):
    """Unknown keys are errors; validated objects are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


def _quantity(kind: str):
    def convert(value: Any) -> float:
        try:
            return to_internal(value, kind)
        except UnitError as exc:
            raise ValueError(str(exc)) from None

    return BeforeValidator(convert)


LengthNm = Annotated[float, _quantity("length"), Field(gt=0)]
CoordinateNm = Annotated[float, _quantity("length")]  # a signed position
PointNm = tuple[CoordinateNm, CoordinateNm, CoordinateNm]
PressureMPa = Annotated[float, _quantity("pressure"), Field(gt=0)]
DiffusivityNm2s = Annotated[float, _quantity("diffusivity"), Field(gt=0)]
TimeS = Annotated[float, _quantity("time"), Field(gt=0)]
StateOfCharge = Annotated[float, Field(ge=0.0, le=1.0)]
RegionName = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.@+-]+$")]
