"""Parametric studies: the sweep file and its points. No dolfinx here.

A sweep file names a base case and the dotted keys of the case to vary, each with a list of
values or a range (values may carry units), combined as a product or zipped. Every point is
the base case with those values set (plus the sweep's fixed ``set`` overrides); it is
identified by a hash of its resolved case, which names its directory under ``points/``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..case import Case, CaseError, Strict, case_from_data, read_case_data, schema_error


class Range(Strict):
    """Evenly spaced values from start to stop (inclusive): ``num`` of them or every ``step``."""

    start: str | float
    stop: str | float
    num: Annotated[int, Field(ge=2, le=10000)] | None = None
    step: str | float | None = None

    @model_validator(mode="after")
    def _one_of(self) -> "Range":
        if (self.num is None) == (self.step is None):
            raise ValueError("give exactly one of num and step")
        return self


class Parameter(Strict):
    key: Annotated[str, Field(min_length=1)]
    label: str | None = None
    values: list[Any] | None = None
    range: Range | None = None

    @model_validator(mode="after")
    def _one_of(self) -> "Parameter":
        if (self.values is None) == (self.range is None):
            raise ValueError("give exactly one of values and range")
        if self.values is not None and not self.values:
            raise ValueError("values is empty")
        return self


class SweepSpec(Strict):
    """A sweep file."""

    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    base: str
    combine: Literal["product", "zip"] = "product"
    parameters: Annotated[list[Parameter], Field(min_length=1)]
    set: list[str] = Field(default_factory=list)
    plot_metrics: list[str] = Field(default_factory=list)


def _quantity(value: Any) -> tuple[float, str] | None:
    """(magnitude, unit) of a quantity string like "5 nm"; None for anything else."""
    if not isinstance(value, str):
        return None
    from ..case.units import _registry

    try:
        q = _registry().Quantity(value)
    except Exception:
        return None
    if not hasattr(q, "units") or q.dimensionless:
        return None
    return float(q.magnitude), f"{q.units:~}"


def parameter_values(p: Parameter) -> list[Any]:
    """The values of one parameter (ranges expanded, in the unit of ``start``)."""
    if p.values is not None:
        return list(p.values)
    r = p.range
    qs = _quantity(r.start)
    if qs is not None:
        from ..case.units import _registry

        ureg = _registry()
        unit = qs[1]
        start = qs[0]
        stop = float(ureg.Quantity(r.stop).to(unit).magnitude) if isinstance(r.stop, str) else float(r.stop)
        step = float(ureg.Quantity(r.step).to(unit).magnitude) if isinstance(r.step, str) else r.step
    else:
        unit, start, stop, step = None, float(r.start), float(r.stop), r.step
    if r.num is not None:
        nums = np.linspace(start, stop, r.num)
    else:
        n = int(np.floor((stop - start) / float(step) + 1e-9)) + 1
        nums = start + float(step) * np.arange(n)
    nums = [float(f"{v:.12g}") for v in nums]
    return [f"{v:g} {unit}" for v in nums] if unit else nums


def toml_literal(value: Any) -> str:
    """A value as the right-hand side of ``--set key=...``."""
    return json.dumps(value)


def column_name(p: Parameter, values: list[Any]) -> tuple[str, str | None]:
    """Header of a parameter column, with the unit of its values (e.g. ``... [nm]``)."""
    base = p.label or p.key
    q = _quantity(values[0])
    return (f"{base} [{q[1]}]", q[1]) if q else (base, None)


def column_value(value: Any, unit: str | None) -> Any:
    if unit is None:
        return value
    from ..case.units import _registry

    return float(_registry().Quantity(value).to(unit).magnitude)


class Point(BaseModel):
    """One point of a sweep: its index, parameter values, overrides and (if valid) case."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    index: int
    values: dict[str, Any]
    overrides: list[str]
    case: Case | None = None
    data: dict | None = None  # the case as TOML data with the overrides applied
    error: str | None = None
    key: str

    @property
    def directory_name(self) -> str:
        return self.key


def case_hash(case: Case) -> str:
    return hashlib.sha256(case.model_dump_json().encode()).hexdigest()[:16]


def load_sweep(path: Path, extra_overrides: list[str] | None = None) -> tuple[SweepSpec, list[Point], list[tuple]]:
    """Read a sweep file and make its points. Returns (spec, points, parameter columns)."""
    path = Path(path)
    data = read_case_data(path)
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise schema_error(exc, path, root=SweepSpec) from None
    base_path = (path.parent / spec.base).resolve()
    base_data = read_case_data(base_path)
    case_from_data(json.loads(json.dumps(base_data)), source=base_path, overrides=list(spec.set))  # base must be valid
    all_values = [parameter_values(p) for p in spec.parameters]
    if spec.combine == "zip":
        lengths = {len(v) for v in all_values}
        if len(lengths) > 1:
            raise CaseError(f"zip needs lists of equal length, got {sorted(lengths)}", source=path, key="parameters")
        combos = list(zip(*all_values))
    else:
        combos = list(itertools.product(*all_values))
    columns = [(p.key, *column_name(p, vals)) for p, vals in zip(spec.parameters, all_values)]
    points = []
    for i, combo in enumerate(combos):
        overrides = list(spec.set) + [f"{p.key}={toml_literal(v)}" for p, v in zip(spec.parameters, combo)]
        overrides += list(extra_overrides or [])
        values = {p.key: v for p, v in zip(spec.parameters, combo)}
        try:
            data = json.loads(json.dumps(base_data))
            case = case_from_data(data, source=base_path, overrides=overrides)
            points.append(Point(index=i, values=values, overrides=overrides, case=case, data=data, key=case_hash(case)))
        except CaseError as exc:  # e.g. an impossible geometry for this combination: a failed point
            bad = hashlib.sha256(json.dumps(overrides).encode()).hexdigest()[:16]
            points.append(Point(index=i, values=values, overrides=overrides, error=exc.detail if exc.key is None
                                else f"{exc.key} = {exc.value!r}: {exc.detail}", key=f"invalid-{bad}"))
    return spec, points, columns
