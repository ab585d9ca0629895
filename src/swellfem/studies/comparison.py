"""Comparisons of several models stage by stage (the ZnSe double-carbon case): the
comparison file, its model variants, the table and the claim checks. No dolfinx here.

A comparison file may define ``[[variants]]``: model variants (e.g. small-strain elastic,
finite-strain elastic, finite strain with a yielding particle), each a ``label`` and ``set``
overrides (``--set`` style) applied to every model's case before those of the command line.
Every model runs under every variant; ``headline`` names the variant reported first.
Without variants a comparison is one implicit variant (label ``None``) with no overrides.

Table columns: ``model``, ``soc``, ``mode``, ``time_s``, ``front_radius_nm``, then
``<region>.<metric>`` with the metric names of ``summary.json`` (MPa), the particle's axis
values ``<particle>.axial_sigma_zz_max_MPa`` (most tensile sigma_zz on the axis inside the
particle) and ``<particle>.axial_sigma_zz_absmax_MPa``, each interface's normal stress and
``particle.apparent_volume_expansion_percent``.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
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


class VariantEntry(Strict):
    """A model variant: ``set`` overrides (``dotted.key=value``, as ``--set`` takes them)
    applied to every model's case; ``label`` names it in tables and its output folder."""

    label: Annotated[str, Field(min_length=1)]
    description: str = ""
    set: list[str] = Field(default_factory=list)
    #: what the variant assumes that no case key says (e.g. why a yield strength), for the report
    assumptions: list[str] = Field(default_factory=list)


class ComparisonSpec(Strict):
    """A comparison file: models (case files, relative to it) compared stage by stage,
    optionally under several model variants."""

    title: str
    particle_region: str
    claim_model: str
    #: who claims that claim_model has the smallest stresses (the report's sentence)
    claim_source: str = "Ruan et al. (Adv. Sci. 2022) report"
    assumptions: list[str] = Field(default_factory=list)
    #: overrides (``dotted.key=value``) applied to every model's case, before a variant's own
    #: and the command line's (e.g. the formulation every model is solved in)
    set: list[str] = Field(default_factory=list)
    models: Annotated[list[ModelEntry], Field(min_length=2)]
    variants: list[VariantEntry] = Field(default_factory=list)
    headline: str | None = None  # the label of the variant reported first (default: the first)


@dataclasses.dataclass
class Variant:
    """One variant as run: its overrides and every model's case with them applied.
    ``label`` is None for a comparison without variants (written as before, no variant column)."""

    label: str | None
    description: str
    set: list[str]
    assumptions: list[str]
    headline: bool
    models: list[tuple[str, Case]]
    overrides: list[str]  # what was applied to every model's case: ``set``, then the command line's

    @property
    def directory(self) -> str:
        """Folder of this variant in OUTDIR ("" without variants: OUTDIR itself)."""
        return slug(self.label) if self.label is not None else ""


#: names in OUTDIR that a variant's folder may not take
RESERVED_NAMES = ("report.md", "comparison.csv", "comparison.md", "comparison.json", "models", "figures", "pictures")


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")


def solve_key(case: Case) -> str:
    """What decides a model's solution: the case with only the materials its regions use
    (a variant's override of a material the model has not, e.g. the rGO law of a bare
    particle, changes nothing). Equal keys solve to the same result."""
    used = set(case.geometry.region_materials.values())
    data = case.model_dump(mode="json")
    data["materials"] = {k: v for k, v in data["materials"].items() if k in used}
    return json.dumps(data, sort_keys=True)


def load_comparison(path: Path, overrides: list[str] | None = None) -> tuple[ComparisonSpec, list[tuple[str, Case]]]:
    """Read a comparison file and its model cases (each with the file's ``set`` and then
    ``overrides`` applied, no variant's). Every variant is validated too (:func:`load_variants`)."""
    spec, variants = load_variants(path, overrides)
    if spec.variants:
        return spec, _load_models(spec, Path(path), list(spec.set) + list(overrides or []))
    return spec, variants[0].models


def load_variants(path: Path, overrides: list[str] | None = None,
                  select: list[str] | None = None) -> tuple[ComparisonSpec, list[Variant]]:
    """Read a comparison file and make its variants, the headline first, then the others in
    file order; every model's case is loaded with the variant's ``set`` and then ``overrides``.
    ``select``: only these variant labels (the first of them becomes the headline if the
    headline is not among them). Raises :class:`CaseError` before anything runs."""
    path = Path(path)
    spec = _read_spec(path)
    common = list(spec.set)
    overrides = list(overrides or [])
    if not spec.variants:
        overrides = common + overrides
        if spec.headline is not None:
            raise CaseError("names a variant, but the file has no [[variants]]", source=path, key="headline",
                            value=spec.headline)
        if select:
            raise CaseError("the comparison file has no [[variants]] to select from", source=path, key="--variant",
                            value=select[0])
        return spec, [Variant(None, "", [], [], True, _load_models(spec, path, overrides), overrides)]
    labels = [v.label for v in spec.variants]
    for i, v in enumerate(spec.variants):
        s = slug(v.label)
        if not s or s.startswith("."):
            raise CaseError("cannot name a folder; use letters, digits, '-', '_' or '.'", source=path,
                            key=f"variants[{i}].label", value=v.label)
        if s in RESERVED_NAMES:
            raise CaseError(f"'{s}' is taken in the output folder ({', '.join(RESERVED_NAMES)})", source=path,
                            key=f"variants[{i}].label", value=v.label)
        if [slug(u) for u in labels].index(s) != i:
            raise CaseError(f"two variants have the folder name '{s}'; give one another label", source=path,
                            key=f"variants[{i}].label", value=v.label)
    headline = spec.headline if spec.headline is not None else labels[0]
    if headline not in labels:
        raise CaseError(f"not one of the variants {labels}", source=path, key="headline", value=spec.headline)
    chosen = list(spec.variants)
    if select:
        for name in select:
            if name not in labels:
                raise CaseError(f"not one of the variants {labels}", source=path, key="--variant", value=name)
        chosen = [v for v in spec.variants if v.label in select]
        if headline not in select:
            headline = chosen[0].label
    chosen.sort(key=lambda v: v.label != headline)  # stable: the headline first, the others in file order
    variants = []
    for v in chosen:
        applied = common + list(v.set) + overrides
        try:
            models = _load_models(spec, path, applied)
        except CaseError as exc:
            raise CaseError(f"in variant '{v.label}' (set = {common + list(v.set)}): {exc.detail}", source=exc.source,
                            key=exc.key, value=exc.value, about_keys=exc.about_keys) from None
        variants.append(Variant(v.label, v.description, list(v.set), list(v.assumptions), v.label == headline,
                                models, applied))
    return spec, variants


def _read_spec(path: Path) -> ComparisonSpec:
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
    return spec


def _load_models(spec: ComparisonSpec, path: Path, overrides: list[str]) -> list[tuple[str, Case]]:
    """Every model's case with ``overrides`` applied; they must share their stages."""
    labels = [m.label for m in spec.models]
    models = []
    for m in spec.models:
        case = load_case(path.parent / m.case, overrides)
        if spec.particle_region not in case.geometry.region_names:
            raise CaseError(
                f"model '{m.label}' has no region '{spec.particle_region}'", source=path, key="particle_region",
                value=spec.particle_region,
            )
        models.append((m.label, case))
    socs = {tuple(c.stages.soc) for _, c in models}
    modes = {c.stages.mode for _, c in models}
    if len(socs) > 1 or len(modes) > 1:
        raise CaseError("the models must share their stages (mode and soc)", source=path, key="models", value=labels)
    return models


def table_rows(spec: ComparisonSpec, summaries: dict[str, dict]) -> tuple[list[str], list[dict]]:
    """Columns and rows (one per model and stage) of the comparison table."""
    p = spec.particle_region
    columns = ["model", "soc", "mode", "time_s", "front_radius_nm"]
    columns += [f"{p}.{m}" for m in PARTICLE_METRICS]
    columns += [f"{p}.axial_sigma_zz_max_MPa", f"{p}.axial_sigma_zz_absmax_MPa"]
    shells, interfaces = [], []
    for s in summaries.values():
        for layer in s["case"]["layers"]:
            if layer["name"] != p and layer["name"] not in shells and not layer.get("void"):
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


def variant_table(tables: list[tuple[str, list[str], list[dict]]]) -> tuple[list[str], list[dict]]:
    """One table of several variants' tables ``(label, columns, rows)``: a ``variant`` column
    first, then the union of their columns (a column one variant lacks is empty there)."""
    columns = ["variant"]
    for _, cols, _ in tables:
        columns += [c for c in cols if c not in columns]
    rows = [{**{c: None for c in columns}, **r, "variant": label} for label, _, rs in tables for r in rs]
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
    lines += ["| " + " | ".join(f"{r[c]:g}" if c == "soc" else cell(r[c]) for c in columns) + " |" for r in rows]
    return "\n".join(lines) + "\n"


#: Values closer than this (relative to the largest |value| of the stage) count as a tie.
TIE_TOLERANCE = 0.005
#: ... and so do values closer than this relative to the largest |value| of the measure at any
#: stage: stresses that are zero but for round-off (a uniformly swollen free core, 1e-8 MPa
#: against 3e4 MPa) decide nothing
ZERO_TOLERANCE = 1e-6


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
        scale = max((abs(r[col]) for r in rows if r[col] is not None), default=0.0)
        for soc in socs:
            values = {r["model"]: r[col] for r in rows if r["soc"] == soc and r[col] is not None}
            if spec.claim_model not in values or len(values) < 2:
                continue
            key = (lambda v: abs(v)) if kind == "magnitude" else (lambda v: v)
            smallest = min(values, key=lambda m: key(values[m]))
            ranking = sorted(values, key=lambda m: key(values[m]))
            claim_value = key(values[spec.claim_model])
            others = [key(v) for m, v in values.items() if m != spec.claim_model]
            tol = max(tie_tolerance * max(abs(key(v)) for v in values.values()), ZERO_TOLERANCE * scale)
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
