"""Case files: TOML in, a validated :class:`Case` out.

This module does not import dolfinx: validating a case is fast and needs no solver.
Dimensional values carry their units in the file ("50 nm", "67.2 GPa"); internally lengths
are nm, moduli MPa, times s and diffusivities nm^2/s (see :mod:`swellfem.units`).
"""

from __future__ import annotations

import difflib
import tomllib
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from .materials import Material, library
from .units import UnitError, to_internal


class CaseError(Exception):
    """A case that cannot be used; ``str(err)`` is a one-line message naming file, key and value."""

    def __init__(self, message: str, source: str | Path | None = None, key: str | None = None, value: Any = None):
        self.source = str(source) if source is not None else None
        self.key = key
        self.value = value
        self.detail = message
        super().__init__(self._line())

    def _line(self) -> str:
        parts = []
        if self.source:
            parts.append(self.source)
        if self.key:
            parts.append(f"{self.key} = {_show(self.value)}" if self.value is not _MISSING else self.key)
        parts.append(self.detail)
        return ": ".join(parts)


_MISSING = object()


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return "{...}" if value else "{}"
    text = repr(value)
    return text if len(text) < 60 else text[:57] + "..."


def _quantity(kind: str):
    def convert(value: Any) -> float:
        try:
            return to_internal(value, kind)
        except UnitError as exc:
            raise ValueError(str(exc)) from None

    return BeforeValidator(convert)


LengthNm = Annotated[float, _quantity("length"), Field(gt=0)]
PressureMPa = Annotated[float, _quantity("pressure"), Field(gt=0)]
DiffusivityNm2s = Annotated[float, _quantity("diffusivity"), Field(gt=0)]
TimeS = Annotated[float, _quantity("time"), Field(gt=0)]
StateOfCharge = Annotated[float, Field(ge=0.0, le=1.0)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


# --- materials -------------------------------------------------------------------------


class MaterialSpec(Strict):
    """A material in the case file: overrides of a library entry, or a new material."""

    E: PressureMPa | None = None
    nu: Annotated[float, Field(gt=-1.0, lt=0.5)] | None = None
    volumetric_expansion: Annotated[float, Field(gt=-1.0)] | None = None
    role: Literal["active", "shell"] | None = None
    description: str | None = None
    source: str | None = None


# --- geometry --------------------------------------------------------------------------


class Layer(Strict):
    """One layer of a concentric sphere, from the core outwards."""

    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.@+-]+$")]
    material: str
    outer_radius: LengthNm | None = None
    thickness: LengthNm | None = None

    @model_validator(mode="after")
    def _one_size(self) -> "Layer":
        if (self.outer_radius is None) == (self.thickness is None):
            raise ValueError("give exactly one of outer_radius and thickness")
        return self


class ConcentricSphere(Strict):
    """A core and shells as concentric spheres, listed from the core outwards."""

    type: Literal["concentric-sphere"]
    layers: Annotated[list[Layer], Field(min_length=1)]

    @model_validator(mode="after")
    def _consistent(self) -> "ConcentricSphere":
        names = [layer.name for layer in self.layers]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"layer name '{name}' is used twice")
        radii = self.outer_radii_nm
        for i, (layer, r) in enumerate(zip(self.layers, radii)):
            inner = radii[i - 1] if i else 0.0
            if r <= inner:
                raise ValueError(
                    f"layer '{layer.name}' has outer radius {r:g} nm, not larger than the {inner:g} nm inside it"
                )
        return self

    @property
    def outer_radii_nm(self) -> list[float]:
        """Outer radius of each layer, nm."""
        radii, r = [], 0.0
        for layer in self.layers:
            r = layer.outer_radius if layer.outer_radius is not None else r + layer.thickness
            radii.append(r)
        return radii

    @property
    def layer_names(self) -> list[str]:
        return [layer.name for layer in self.layers]

    @property
    def interfaces(self) -> list[tuple[str, str]]:
        """(inner, outer) layer names of each internal interface."""
        return list(zip(self.layer_names[:-1], self.layer_names[1:]))


Geometry = Annotated[Union[ConcentricSphere], Field(discriminator="type")]


# --- model, mesh, stages, output -------------------------------------------------------


class ModelSpec(Strict):
    """How the mechanics is discretised."""

    formulation: Literal["axisymmetric", "3d-octant", "3d"] = "axisymmetric"
    eigenstrain_convention: Literal["cube-root", "linear"] = "cube-root"
    element_degree: Literal[1, 2] = 2
    solver: Literal["auto", "direct", "iterative"] = "auto"

    @model_validator(mode="after")
    def _solver_fits(self) -> "ModelSpec":
        if self.formulation == "3d" and self.solver == "direct":
            raise ValueError(
                "formulation '3d' needs solver 'iterative' or 'auto': its rigid-body modes are removed "
                "through the Krylov solver's null space"
            )
        return self


class MeshSpec(Strict):
    """Target element sizes; the mesh is graded from ``interface_size`` at interfaces and
    the outer surface to ``size`` in the bulk."""

    size: LengthNm = "5 nm"  # type: ignore[assignment]
    interface_size: LengthNm | None = None
    min_elements_across_layer: Annotated[int, Field(ge=1, le=100)] = 4
    grading_distance: LengthNm | None = None

    @model_validator(mode="after")
    def _sizes(self) -> "MeshSpec":
        if self.interface_size is not None and self.interface_size > self.size:
            raise ValueError("interface_size must not exceed size")
        return self


class UniformStages(Strict):
    """Every active region at the same potassiation theta = SOC."""

    mode: Literal["uniform"]
    soc: Annotated[list[StateOfCharge], Field(min_length=1)]


class ShrinkingCoreStages(Strict):
    """A reacted outer layer around a pristine core, with a smooth (tanh) front."""

    mode: Literal["shrinking-core"]
    soc: Annotated[list[StateOfCharge], Field(min_length=1)]
    front_width: LengthNm = "2 nm"  # type: ignore[assignment]


class DiffusionStages(Strict):
    """Fickian potassiation of the active region from its surface, backward Euler in time."""

    mode: Literal["diffusion"]
    soc: Annotated[list[StateOfCharge], Field(min_length=1)]
    diffusivity: DiffusivityNm2s = "1e-18 m^2/s"  # type: ignore[assignment]
    boundary: Literal["galvanostatic", "fixed-surface"] = "galvanostatic"
    c_rate: Annotated[float, Field(gt=0)] = 1.0
    surface_soc: Annotated[float, Field(gt=0, le=1.0)] = 1.0
    steps_per_stage: Annotated[int, Field(ge=1, le=100000)] = 40

    @model_validator(mode="after")
    def _reachable(self) -> "DiffusionStages":
        if self.boundary == "fixed-surface":
            for s in self.soc:
                if s > self.surface_soc:
                    raise ValueError(
                        f"soc {s:g} is never reached with a fixed surface potassiation of {self.surface_soc:g}"
                    )
        return self


Stages = Annotated[Union[UniformStages, ShrinkingCoreStages, DiffusionStages], Field(discriminator="mode")]


class OutputSpec(Strict):
    """What a run writes besides ``summary.json``."""

    fields: bool = True
    axial_points_per_layer: Annotated[int, Field(ge=2, le=10000)] = 41


class Case(Strict):
    """A validated case: geometry, materials, model, mesh, stages and output options."""

    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    geometry: Geometry
    materials: dict[str, MaterialSpec] = Field(default_factory=dict)
    model: ModelSpec = Field(default_factory=ModelSpec)
    mesh: MeshSpec = Field(default_factory=MeshSpec)
    stages: Stages
    output: OutputSpec = Field(default_factory=OutputSpec)

    def resolved_materials(self) -> dict[str, Material]:
        """Materials of the layers: the library entry with this case's overrides applied."""
        lib = library()
        out = {}
        for layer in self.geometry.layers:
            name = layer.material
            base = lib.get(name)
            spec = self.materials.get(name)
            if base is None and spec is None:
                raise KeyError(name)
            fields = {}
            if spec is not None:
                fields = {k: v for k, v in spec.model_dump().items() if v is not None}
            src = dict(base.sources) if base else {}
            overridden = {"E", "nu", "volumetric_expansion", "role"} & set(fields)
            if base is None:
                for p in ("E", "nu", "volumetric_expansion"):
                    src[p] = fields.get("source", "set in case file")
            out[name] = Material(
                name=name,
                E_MPa=fields.get("E", base.E_MPa if base else 0.0),
                nu=fields.get("nu", base.nu if base else 0.0),
                volumetric_expansion=fields.get(
                    "volumetric_expansion", base.volumetric_expansion if base else 0.0
                ),
                role=fields.get("role", base.role if base else "shell"),
                description=fields.get("description", base.description if base else ""),
                sources=src,
                assumptions=base.assumptions if base else frozenset(),
                overridden=frozenset(overridden) if base else frozenset(),
            )
        return out

    def summary(self) -> dict:
        """The resolved case in explicit units, as ``summary.json`` records it."""
        mats = self.resolved_materials()
        geo = self.geometry
        layers = []
        for layer, r in zip(geo.layers, geo.outer_radii_nm):
            m = mats[layer.material]
            layers.append(
                {
                    "name": layer.name,
                    "material": layer.material,
                    "role": m.role,
                    "outer_radius_nm": r,
                    "E_GPa": m.E_GPa,
                    "nu": m.nu,
                    "volumetric_expansion": m.volumetric_expansion,
                }
            )
        stages = {"mode": self.stages.mode, "soc": list(self.stages.soc)}
        if isinstance(self.stages, ShrinkingCoreStages):
            stages["front_width_nm"] = self.stages.front_width
        if isinstance(self.stages, DiffusionStages):
            st = self.stages
            stages.update(
                diffusivity_m2_per_s=st.diffusivity * 1e-18,
                boundary=st.boundary,
                c_rate_per_h=st.c_rate if st.boundary == "galvanostatic" else None,
                surface_soc=st.surface_soc if st.boundary == "fixed-surface" else None,
                steps_per_stage=st.steps_per_stage,
            )
        mesh = self.mesh
        return {
            "name": self.name,
            "description": self.description,
            "geometry": geo.type,
            "formulation": self.model.formulation,
            "eigenstrain_convention": self.model.eigenstrain_convention,
            "element_degree": self.model.element_degree,
            "layers": layers,
            "materials": {name: m.to_summary() for name, m in mats.items()},
            "mesh": {
                "size_nm": mesh.size,
                "interface_size_nm": mesh_interface_size(self),
                "min_elements_across_layer": mesh.min_elements_across_layer,
            },
            "stages": stages,
        }


def mesh_interface_size(case: Case) -> float:
    """Element size at interfaces and the outer surface, nm: the smaller of the requested
    interface size (default: size / 4) and the thinnest layer / min_elements_across_layer."""
    radii = case.geometry.outer_radii_nm
    thinnest = min(r - (radii[i - 1] if i else 0.0) for i, r in enumerate(radii))
    requested = case.mesh.interface_size if case.mesh.interface_size is not None else case.mesh.size / 4
    return min(requested, thinnest / case.mesh.min_elements_across_layer)


# --- loading ---------------------------------------------------------------------------


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split ``dotted.key=value``; the value is read as TOML, else taken as a string."""
    if "=" not in text:
        raise CaseError(f"--set {text!r}: expected dotted.key=value")
    key, raw = text.split("=", 1)
    key = key.strip()
    if not key or any(not part for part in key.split(".")):
        raise CaseError(f"--set {text!r}: expected dotted.key=value")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return key.split("."), value


def apply_overrides(data: dict, overrides: list[str]) -> dict:
    """Set dotted keys (list items by index, e.g. ``geometry.layers.1.thickness``)."""
    for text in overrides:
        path, value = parse_override(text)
        node: Any = data
        for i, part in enumerate(path[:-1]):
            if isinstance(node, list):
                node = _list_item(node, part, path[: i + 1], text)
            else:
                node = node.setdefault(part, {})
                if not isinstance(node, (dict, list)):
                    raise CaseError(f"--set {text!r}: '{'.'.join(path[: i + 1])}' is not a table")
        last = path[-1]
        if isinstance(node, list):
            idx = int(last) if last.isdigit() else None
            if idx is None or idx >= len(node):
                raise CaseError(f"--set {text!r}: no item {last} in '{'.'.join(path[:-1])}'")
            node[idx] = value
        else:
            node[last] = value
    return data


def _list_item(node: list, part: str, path: list[str], text: str) -> Any:
    if not part.isdigit() or int(part) >= len(node):
        raise CaseError(f"--set {text!r}: no item {part} in '{'.'.join(path[:-1])}'")
    return node[int(part)]


_STAGE_MODELS = {"uniform": UniformStages, "shrinking-core": ShrinkingCoreStages, "diffusion": DiffusionStages}


def _prune_after_mode_switch(data: dict, overrides: list[str]) -> None:
    """``--set stages.mode=...`` switches the stage mode: options of the old mode that the
    new one does not have are dropped (unless they were set on the command line too)."""
    paths = [parse_override(o)[0] for o in overrides]
    if ["stages", "mode"] not in paths or not isinstance(data.get("stages"), dict):
        return
    model = _STAGE_MODELS.get(data["stages"].get("mode"))
    if model is None:
        return
    explicit = {p[1] for p in paths if len(p) == 2 and p[0] == "stages"}
    for key in list(data["stages"]):
        if key not in model.model_fields and key not in explicit:
            del data["stages"][key]


def read_case_data(path: str | Path) -> dict:
    """Read a TOML case file into a dict, with one-line errors for broken files."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise CaseError("no such file", source=path) from None
    except IsADirectoryError:
        raise CaseError("is a directory, not a case file", source=path) from None
    except UnicodeDecodeError:
        raise CaseError("not a text (UTF-8) file", source=path) from None
    except OSError as exc:
        raise CaseError(f"cannot read ({exc.strerror})", source=path) from None
    if not text.strip():
        raise CaseError("the file is empty; a case needs at least name, [geometry] and [stages]", source=path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CaseError(f"not valid TOML: {exc}", source=path) from None


def load_case(path: str | Path, overrides: list[str] | None = None) -> Case:
    """Read, override and validate a case file. Raises :class:`CaseError`."""
    data = read_case_data(path)
    return case_from_data(data, source=path, overrides=overrides)


def case_from_data(data: dict, source: str | Path | None = None, overrides: list[str] | None = None) -> Case:
    """Validate a case given as a dict (as read from TOML). Raises :class:`CaseError`."""
    if overrides:
        try:
            data = apply_overrides(data, list(overrides))
        except CaseError as exc:
            raise CaseError(exc.detail, source=source) from None
        _prune_after_mode_switch(data, overrides)
    try:
        case = Case.model_validate(data)
    except ValidationError as exc:
        raise schema_error(exc, source) from None
    for name, spec in case.materials.items():
        missing = [p for p in ("E", "nu", "volumetric_expansion", "role") if getattr(spec, p) is None]
        if name not in library() and missing:
            raise CaseError(
                f"'{name}' is not in the library, so it must set {', '.join(missing)}",
                source=source,
                key=f"materials.{name}",
                value=data.get("materials", {}).get(name, _MISSING),
            )
    for i, layer in enumerate(case.geometry.layers):
        if layer.material not in library() and layer.material not in case.materials:
            hint = _did_you_mean(layer.material, list(library()) + list(case.materials))
            raise CaseError(
                f"unknown material{hint}; define it under [materials.{layer.material}] or use one of: "
                + ", ".join(library()),
                source=source,
                key=f"geometry.layers[{i}].material",
                value=layer.material,
            )
    return case


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else ""


def schema_error(exc: ValidationError, source: str | Path | None, root: type[BaseModel] = Case) -> CaseError:
    """The first error of a validation against ``root`` (the case, a sweep or comparison
    file), as a one-line :class:`CaseError` with the key a user wrote and a did-you-mean hint."""
    err = exc.errors(include_url=False)[0]
    loc = list(err["loc"])
    kind = err["type"]
    value = err.get("input", _MISSING)
    if kind == "extra_forbidden":
        key_parts, allowed = _walk(root, loc[:-1])
        key = _dotted(key_parts + [loc[-1]])
        hint = _did_you_mean(str(loc[-1]), allowed)
        options = f"; allowed here: {', '.join(allowed)}" if allowed else ""
        return CaseError(f"unknown key{hint}{options}", source=source, key=key, value=value)
    key = _dotted(_walk(root, loc)[0])
    if kind == "missing":
        return CaseError("required key is missing", source=source, key=key or "(top level)", value=_MISSING)
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if kind == "union_tag_invalid":
        ctx = err.get("ctx", {})
        tag = str(ctx.get("discriminator", "type")).strip("'")
        value = ctx.get("tag", value)
        key = f"{key}.{tag}" if key else tag
        msg = f"unknown {tag}; expected one of {ctx.get('expected_tags', '')}"
    if kind == "union_tag_not_found":
        msg = f"missing key {err.get('ctx', {}).get('discriminator', '')}"
    return CaseError(msg, source=source, key=key or "(top level)", value=value)


def _dotted(parts: list) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _walk(model: Any, loc: list) -> tuple[list, list[str]]:
    """Follow a pydantic error location through the schema: the key path a user wrote
    (without union tags) and the keys allowed where the path ends."""
    parts: list = []
    current: Any = model
    for item in loc:
        current, skip = _step(current, item)
        if not skip:
            parts.append(item)
    return parts, _fields_of(current)


def _step(tp: Any, item: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(tp)
    if origin is Annotated:
        return _step(typing.get_args(tp)[0], item)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        for a in args:
            a0 = typing.get_args(a)[0] if typing.get_origin(a) is Annotated else a
            tag_field = _tag_field(a0)
            if tag_field is not None and item in typing.get_args(a0.model_fields[tag_field].annotation):
                return a0, True
        if len(args) == 1:
            return _step(args[0], item)
        return None, False
    if origin is list:
        return typing.get_args(tp)[0], False
    if origin is dict:
        return typing.get_args(tp)[1], False
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        tag_field = _tag_field(tp)
        if tag_field is not None and item in typing.get_args(tp.model_fields[tag_field].annotation):
            return tp, True
        field = tp.model_fields.get(item)
        return (field.annotation if field else None), False
    return None, False


def _tag_field(tp: Any) -> str | None:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for name in ("type", "mode"):
            f = tp.model_fields.get(name)
            if f is not None and typing.get_origin(f.annotation) is Literal:
                return name
    return None


def _fields_of(tp: Any) -> list[str]:
    while typing.get_origin(tp) is Annotated:
        tp = typing.get_args(tp)[0]
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return list(tp.model_fields)
    if typing.get_origin(tp) in (Union, types.UnionType):
        return sorted({f for a in typing.get_args(tp) for f in _fields_of(a)})
    return []
