"""Parametric studies: the sweep file and its points. No dolfinx here.

A sweep file names a base case and the dotted keys of the case to vary, each with a list of
values or a range (values may carry units), combined as a product or zipped. Every point is
the base case with those values set (plus the sweep's fixed ``set`` overrides); it is
identified by a hash of its resolved case, which names its directory under ``points/``.

An optional ``[design]`` table makes the sweep a *shell design map*: its ``failure_metrics``
(ratio columns of results.csv such as ``i-NMC.strength_ratio_max``) decide which designs are
predicted to fail (a ratio >= 1 at any stage), the plots show each metric's worst stage and
mark the safe designs, and ``design.md`` summarises them (:mod:`.sweep_run`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator,
                      model_validator)

from ..case import Case, CaseError, Strict, case_from_data, did_you_mean, read_case_data, schema_error


#: The most points a sweep may have (a range with a tiny step is refused, not expanded).
MAX_POINTS = 10000


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


def _metric_name(name: str) -> str:
    """A failure metric: a ``<region>.<metric>`` column of results.csv whose metric is a
    dimensionless ratio (>= 1: predicted to fail)."""
    region, dot, metric = name.rpartition(".")
    if name != name.strip() or not dot or not region or not metric:
        raise ValueError("give a column of results.csv as <region>.<metric>, e.g. 'i-NMC.strength_ratio_max'")
    if "ratio" not in metric:
        raise ValueError(f"'{metric}' is not a ratio; a failure metric reaches 1 at failure (strength_ratio_max, "
                         "fracture_strain_ratio_max, size_ratio, adhesion_ratio_max)")
    return name


MetricName = Annotated[str, AfterValidator(_metric_name)]


class Design(Strict):
    """``[design]``: the sweep is a shell design map. A design (point) is predicted to fail where
    any failure metric (a dimensionless ratio) reaches 1 or more at any stage; a metric without
    a value for a point (e.g. no tensile strength for that material) does not count."""

    failure_metrics: Annotated[list[MetricName], Field(min_length=1)]
    #: display texts of the failure metrics, by column (e.g. ``"i-NMC.strength_ratio_max" = "i-NMC cracks"``)
    labels: dict[str, Annotated[str, Field(min_length=1)]] = Field(default_factory=dict)

    @field_validator("failure_metrics")
    @classmethod
    def _once(cls, metrics: list[str]) -> list[str]:
        for i, m in enumerate(metrics):
            if metrics.index(m) != i:
                raise ValueError(f"failure metric '{m}' is listed twice")
        return metrics

    @field_validator("labels")
    @classmethod
    def _known(cls, labels: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        metrics = info.data.get("failure_metrics") or []
        for key in labels:
            if key not in metrics:
                raise ValueError(f"'{key}' is not one of the failure_metrics{did_you_mean(key, metrics)}")
        return labels

    def label(self, metric: str) -> str:
        """The display text of a failure metric (its column name without a label)."""
        return self.labels.get(metric, metric)


class SweepSpec(Strict):
    """A sweep file."""

    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    base: str
    combine: Literal["product", "zip"] = "product"
    parameters: Annotated[list[Parameter], Field(min_length=1)]
    set: list[str] = Field(default_factory=list)
    plot_metrics: list[str] = Field(default_factory=list)
    #: what the plots show per point: the last stage, or the worst over all stages (the largest
    #: value of a maximum, the smallest of a minimum)
    plot_stage: Literal["last", "worst"] = "last"
    #: a shell design map (plots then show each metric's worst stage)
    design: Design | None = None

    @property
    def shown_stage(self) -> Literal["last", "worst"]:
        """The stage the plots show: the worst stage of each point for a design map."""
        return "worst" if self.design is not None else self.plot_stage


def _quantity(value: Any) -> tuple[float, str] | None:
    """(magnitude, unit) of a quantity string like "5 nm"; None for anything else."""
    if not isinstance(value, str):
        return None
    from ..case.units import UnitError, parse_quantity

    try:
        q = parse_quantity(value)
    except UnitError:
        return None
    if q.dimensionless:
        return None
    return float(q.magnitude), f"{q.units:~}"


def parameter_values(p: Parameter) -> list[Any]:
    """The values of one parameter (ranges expanded, in the unit of ``start``)."""
    if p.values is not None:
        return list(p.values)
    r = p.range
    qs = _quantity(r.start)
    if qs is not None:
        from ..case.units import parse_quantity

        unit = qs[1]
        start = qs[0]
        stop = float(parse_quantity(r.stop).to(unit).magnitude) if isinstance(r.stop, str) else float(r.stop)
        step = float(parse_quantity(r.step).to(unit).magnitude) if isinstance(r.step, str) else r.step
    else:
        unit, start, stop, step = None, float(r.start), float(r.stop), r.step
    if r.num is not None:
        nums = np.linspace(start, stop, r.num)
    else:
        step = float(step)
        if not np.isfinite(step) or step == 0 or not np.isfinite(start) or not np.isfinite(stop):
            raise ValueError("step must be a finite, non-zero number")
        if (stop - start) * step < 0:
            raise ValueError(f"step {step:g} goes away from stop {stop:g}")
        count = (stop - start) / step + 1e-9
        if count >= MAX_POINTS:
            raise ValueError(f"gives {count:.3g} values, more than {MAX_POINTS}")
        n = int(np.floor(count)) + 1
        nums = start + step * np.arange(n)
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
    from ..case.units import parse_quantity

    return float(parse_quantity(value).to(unit).magnitude)


class Point(BaseModel):
    """One point of a sweep: its index, parameter values, overrides and (if valid) case."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    index: int
    values: dict[str, Any]
    overrides: list[str]
    case: Case | None = None
    data: dict | None = None  # the case as TOML data with the overrides applied
    error: str | None = None
    about_keys: bool = False  # the error is about a key (e.g. misspelled), not this point's values
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
    if spec.design is not None and spec.plot_stage == "last" and "plot_stage" in spec.model_fields_set:
        raise CaseError('a [design] sweep plots the worst stage of each design; leave plot_stage out or set it '
                        'to "worst"', source=path, key="plot_stage", value="last")
    base_path = (path.parent / spec.base).resolve()
    base_data = read_case_data(base_path)
    base_case = case_from_data(json.loads(json.dumps(base_data)), source=base_path,
                               overrides=list(spec.set))  # base must be valid
    if spec.design is not None:
        _check_design_regions(spec.design, base_case, path)
    all_values = []
    for i, p in enumerate(spec.parameters):
        try:
            values = parameter_values(p)
        except Exception as exc:  # pint or numbers: a broken range
            raise CaseError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, source=path,
                            key=f"parameters[{i}].range", value=p.range.model_dump() if p.range else None) from None
        _same_kind(values, path, f"parameters[{i}].{'values' if p.values is not None else 'range'}")
        all_values.append(values)
    total = int(np.prod([len(v) for v in all_values])) if spec.combine == "product" else len(all_values[0])
    if total > MAX_POINTS:
        raise CaseError(f"{total} points, more than {MAX_POINTS}", source=path, key="parameters")
    if spec.combine == "zip":
        lengths = {len(v) for v in all_values}
        if len(lengths) > 1:
            raise CaseError(f"zip needs lists of equal length, got {sorted(lengths)}", source=path, key="parameters")
        combos = list(zip(*all_values))
    else:
        combos = list(itertools.product(*all_values))
    columns = [(p.key, *column_name(p, vals)) for p, vals in zip(spec.parameters, all_values)]
    names = [name for _, name, _ in columns]
    for i, name in enumerate(names):
        if names.index(name) != i:
            raise CaseError(f"two parameters have the column '{name}'; give one a different label", source=path,
                            key=f"parameters[{i}].label", value=spec.parameters[i].label)
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
                                else f"{exc.key} = {exc.value!r}: {exc.detail}", key=f"invalid-{bad}",
                                about_keys=exc.about_keys))
    invalid = [p for p in points if p.error is not None]
    about_keys = [p for p in points if p.about_keys]
    if about_keys or (points and len(invalid) == len(points)):
        first = (about_keys or invalid)[0]
        raise CaseError(first.error if about_keys else f"no point is valid; the first: {first.error}", source=path,
                        key=None)
    return spec, points, columns


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` (shard K of N, 1-based) as (K, N); a ValueError with a one-line reason otherwise."""
    k, slash, n = str(text).strip().partition("/")
    try:
        k_num, n_num = int(k), int(n)
    except ValueError:
        raise ValueError(f"--shard {text}: expected K/N (shard K of N, 1-based), e.g. 2/8") from None
    if not slash:
        raise ValueError(f"--shard {text}: expected K/N (shard K of N, 1-based), e.g. 2/8")
    if n_num < 1:
        raise ValueError(f"--shard {text}: N must be at least 1, got {n_num}")
    if not 1 <= k_num <= n_num:
        raise ValueError(f"--shard {text}: K must be between 1 and N = {n_num}, got {k_num}")
    return k_num, n_num


def shard_of(points: list[Point], count: int) -> dict[str, int]:
    """The shard (1-based, of ``count``) of every point key: point i of the sweep (0-based, in
    the order of the sweep's point list, as ``sweep.json`` lists them) goes to shard
    ``i % count + 1``; a point whose resolved case repeats an earlier point's (the same key)
    goes with that earlier point, so no two shards ever write the same point directory."""
    shards: dict[str, int] = {}
    for p in points:
        shards.setdefault(p.key, p.index % count + 1)
    return shards


def shard_points(points: list[Point], shard: int, count: int) -> list[Point]:
    """The points of shard ``shard`` of ``count`` (see :func:`shard_of`), in sweep order."""
    shards = shard_of(points, count)
    return [p for p in points if shards[p.key] == shard]


def sweep_identity(points: list[Point], columns: list[tuple]) -> str:
    """A hash of what the sweep computes (its points and columns): a sweep directory is
    resumed only by the same definition."""
    payload = json.dumps({"points": [p.key for p in points], "columns": [list(c) for c in columns]})
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _same_kind(values: list[Any], path: Path, key: str) -> None:
    """All values of a parameter are quantities of one dimension, or all plain values."""
    from ..case.units import parse_quantity

    kinds = set()
    for v in values:
        q = _quantity(v)
        kinds.add(None if q is None else str(parse_quantity(v).dimensionality))
    if len(kinds) > 1:
        raise CaseError("values mix units of different kinds (or numbers with and without units)", source=path,
                        key=key, value=values)


def _check_design_regions(design: Design, case: Case, path: Path) -> None:
    """Every failure metric names a region of the base case, an interface ``inner|outer`` or
    ``particle`` (a misspelled one would silently count every design as safe)."""
    geometry = case.geometry
    regions = [*geometry.region_names, *[f"{a}|{b}" for a, b in geometry.interfaces], "particle"]
    for i, metric in enumerate(design.failure_metrics):
        region = metric.rpartition(".")[0]
        if region not in regions:
            raise CaseError(f"no region '{region}' in the base case{did_you_mean(region, regions)}; regions: "
                            f"{', '.join(regions)}", source=path, key=f"design.failure_metrics[{i}]", value=metric)
