"""Comparisons of several models stage by stage (the ZnSe double-carbon case): the
comparison file, the table and the claim checks. No dolfinx here.

Table columns: ``model``, ``soc``, ``mode``, ``time_s``, ``front_radius_nm``, then
``<region>.<metric>`` with the metric names of ``summary.json`` (MPa), the particle's axis
values ``<particle>.axial_sigma_zz_max_MPa`` (most tensile sigma_zz on the axis inside the
particle) and ``<particle>.axial_sigma_zz_absmax_MPa``, each interface's normal stress and
``particle.apparent_volume_expansion_percent``.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError

from ..case import Case, CaseError, Strict, load_case, schema_error
from ..results.tables import flatten_stage

PARTICLE_METRICS = (
    "von_mises_max_MPa",
    "principal_max_MPa",
    "principal_min_MPa",
    "hydrostatic_max_MPa",
    "hydrostatic_min_MPa",
    "hoop_max_MPa",
    "hoop_min_MPa",
    "radial_max_MPa",
    "radial_min_MPa",
)
SHELL_METRICS = ("hoop_max_MPa", "von_mises_max_MPa", "principal_max_MPa")

#: The stress measures the claim is checked with: (column suffix, label, how "smaller" is read).
#: "signed": the smaller signed value is the less tensile one; "magnitude": compare |value|.
CLAIM_MEASURES = (
    ("von_mises_max_MPa", "maximum von Mises stress", "magnitude"),
    ("principal_max_MPa", "maximum principal (most tensile) stress", "signed"),
    ("principal_min_MPa", "largest compressive principal stress |min principal|", "magnitude"),
    ("hydrostatic_max_MPa", "maximum hydrostatic stress", "signed"),
    ("hoop_max_MPa", "maximum hoop stress", "signed"),
    ("axial_sigma_zz_max_MPa", "maximum axial stress sigma_zz on the axis", "signed"),
    ("axial_sigma_zz_absmax_MPa", "maximum |axial stress| on the axis", "magnitude"),
)


class ModelEntry(Strict):
    label: Annotated[str, Field(min_length=1)]
    case: str


class ComparisonSpec(Strict):
    """A comparison file: models (case files, relative to it) compared stage by stage."""

    title: str
    particle_region: str
    claim_model: str
    assumptions: list[str] = Field(default_factory=list)
    models: Annotated[list[ModelEntry], Field(min_length=2)]


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")


def load_comparison(path: Path, overrides: list[str] | None = None) -> tuple[ComparisonSpec, list[tuple[str, Case]]]:
    """Read a comparison file and its model cases (each with ``overrides`` applied)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CaseError("no such file", source=path) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CaseError(f"not a valid TOML comparison file: {exc}", source=path) from None
    try:
        spec = ComparisonSpec.model_validate(data)
    except ValidationError as exc:
        raise schema_error(exc, path, root=ComparisonSpec) from None
    labels = [m.label for m in spec.models]
    if spec.claim_model not in labels:
        raise CaseError(f"not one of the models {labels}", source=path, key="claim_model", value=spec.claim_model)
    models = []
    for m in spec.models:
        case = load_case(path.parent / m.case, overrides)
        if spec.particle_region not in case.geometry.layer_names:
            raise CaseError(
                f"model '{m.label}' has no region '{spec.particle_region}'", source=path, key="particle_region",
                value=spec.particle_region,
            )
        models.append((m.label, case))
    socs = {tuple(c.stages.soc) for _, c in models}
    modes = {c.stages.mode for _, c in models}
    if len(socs) > 1 or len(modes) > 1:
        raise CaseError("the models must share their stages (mode and soc)", source=path, key="models", value=labels)
    return spec, models


def table_rows(spec: ComparisonSpec, summaries: dict[str, dict]) -> tuple[list[str], list[dict]]:
    """Columns and rows (one per model and stage) of the comparison table."""
    p = spec.particle_region
    columns = ["model", "soc", "mode", "time_s", "front_radius_nm"]
    columns += [f"{p}.{m}" for m in PARTICLE_METRICS]
    columns += [f"{p}.axial_sigma_zz_max_MPa", f"{p}.axial_sigma_zz_absmax_MPa"]
    shells, interfaces = [], []
    for s in summaries.values():
        for layer in s["case"]["layers"]:
            if layer["name"] != p and layer["name"] not in shells:
                shells.append(layer["name"])
        for st in s["stages"][:1]:
            for key in st["interfaces"]:
                if key not in interfaces:
                    interfaces.append(key)
    columns += [f"{shell}.{m}" for shell in shells for m in SHELL_METRICS]
    columns += [f"{i}.normal_stress_{k}_MPa" for i in interfaces for k in ("max", "min")]
    columns += ["particle.apparent_volume_expansion_percent", "particle.strain_energy_aJ"]
    rows = []
    for label, s in summaries.items():
        for st in s["stages"]:
            flat = flatten_stage(st)
            row = {c: flat.get(c) for c in columns}
            row["model"] = label
            rows.append(row)
    return columns, rows


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def to_csv(columns: list[str], rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([_fmt(r[c]) for c in columns])
    return buf.getvalue()


def to_markdown(columns: list[str], rows: list[dict], digits: int = 1) -> str:
    def cell(v):
        if v is None:
            return "–"
        if isinstance(v, float):
            return f"{v:.{digits}f}" if abs(v) >= 0.01 or v == 0 else f"{v:.3g}"
        return str(v)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(r[c]) for c in columns) + " |" for r in rows]
    return "\n".join(lines) + "\n"


#: Values closer than this (relative to the largest |value| of the stage) count as a tie.
TIE_TOLERANCE = 0.005


def claim_checks(spec: ComparisonSpec, rows: list[dict], tie_tolerance: float = TIE_TOLERANCE) -> list[dict]:
    """For each measure and stage: does ``claim_model`` have the smallest value of the
    particle measure among the models? ``verdict`` is "holds" (smaller than every other model
    by more than the tie tolerance), "tie" (within it of the smallest) or "fails".
    Computed from the table rows."""
    p = spec.particle_region
    socs = sorted({r["soc"] for r in rows})
    out = []
    for suffix, label, kind in CLAIM_MEASURES:
        col = f"{p}.{suffix}"
        per_stage = []
        for soc in socs:
            values = {r["model"]: r[col] for r in rows if r["soc"] == soc and r[col] is not None}
            if spec.claim_model not in values or len(values) < 2:
                continue
            key = (lambda v: abs(v)) if kind == "magnitude" else (lambda v: v)
            smallest = min(values, key=lambda m: key(values[m]))
            ranking = sorted(values, key=lambda m: key(values[m]))
            claim_value = key(values[spec.claim_model])
            others = [key(v) for m, v in values.items() if m != spec.claim_model]
            tol = tie_tolerance * max(abs(key(v)) for v in values.values())
            if claim_value < min(others) - tol:
                verdict = "holds"
            elif claim_value <= min(others) + tol:
                verdict = "tie"
            else:
                verdict = "fails"
            per_stage.append({"soc": soc, "verdict": verdict, "holds": verdict == "holds", "smallest": smallest,
                              "ranking": ranking, "values_MPa": values})
        out.append({"column": col, "measure": label, "comparison": kind, "stages": per_stage,
                    "holds_at_all_stages": bool(per_stage) and all(s["holds"] for s in per_stage)})
    return out
