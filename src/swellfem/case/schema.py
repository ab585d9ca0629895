"""The case schema: a validated :class:`Case` (geometry, materials, model, mesh, stages, output).

This package does not import dolfinx: validating a case is fast and needs no solver.
Dimensional values carry their units in the file ("50 nm", "67.2 GPa"); internally lengths
are nm, moduli MPa, times s and diffusivities nm^2/s (see :mod:`swellfem.case.units`).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Union

from pydantic import Field, field_validator, model_validator

from .base import DiffusivityNm2s, LengthNm, PointNm, PressureMPa, StateOfCharge, Strict
from .laws import check_law_parameters
from .materials import LAWS, Material, law_parameters_of, library
from .shapes import Geometry

_PLAIN_NAME = re.compile(r"^[A-Za-z0-9_@+(-][A-Za-z0-9_.@+() -]*$")

# --- materials -------------------------------------------------------------------------


class MaterialSpec(Strict):
    """A material in the case file: overrides of a library entry, or a new material."""

    E: PressureMPa | None = None
    nu: Annotated[float, Field(gt=-1.0, lt=0.5)] | None = None
    volumetric_expansion: Annotated[float, Field(gt=-1.0)] | None = None
    role: Literal["active", "shell"] | None = None
    law: Literal[LAWS] | None = None  # constitutive law (swellfem.physics.laws); default isotropic
    #: J2 plasticity (absent: elastic) with linear isotropic hardening
    yield_strength: PressureMPa | None = None
    hardening_modulus: PressureMPa | None = None
    #: values at full potassiation (theta = 1); linear in theta between (absent: as pristine)
    yield_strength_potassiated: PressureMPa | None = None
    E_potassiated: PressureMPa | None = None
    tensile_strength: PressureMPa | None = None  # failure indicator: max principal stress / this
    fracture_strain: Annotated[float, Field(gt=0, lt=1)] | None = None  # and max principal strain / this
    #: size-aware fracture of active particles: mode-I fracture toughness (MPa m^1/2)
    fracture_toughness: Annotated[float, Field(gt=0, lt=100)] | None = None
    #: law "porous" (docs/carbon_laws.md §1; ranges checked with the law)
    porosity: float | None = None
    compaction_strength: PressureMPa | None = None
    densification_strength: PressureMPa | None = None
    #: law "transverse" (docs/carbon_laws.md §2): E, nu are the in-plane values
    E_normal: PressureMPa | None = None
    G_normal: PressureMPa | None = None
    nu_normal: float | None = None
    expansion_normal: float | None = None
    expansion_tangential: float | None = None
    slack_strain: float | None = None
    slack_stiffness_ratio: float | None = None
    description: str | None = None
    source: str | None = None

    @field_validator("yield_strength", "yield_strength_potassiated", "E_potassiated")
    @classmethod
    def _positive(cls, value: float | None) -> float | None:
        if value is not None and value <= 0:
            raise ValueError("must be positive")
        return value

    @field_validator("hardening_modulus")
    @classmethod
    def _not_negative(cls, value: float | None) -> float | None:
        if value is not None and value < 0:
            raise ValueError("must not be negative")
        return value


#: case-file key -> Material attribute of every material property
MATERIAL_PROPERTIES = {
    "E": "E_MPa", "nu": "nu", "volumetric_expansion": "volumetric_expansion", "role": "role", "law": "law",
    "yield_strength": "yield_strength_MPa", "hardening_modulus": "hardening_modulus_MPa",
    "yield_strength_potassiated": "yield_strength_potassiated_MPa", "E_potassiated": "E_potassiated_MPa",
    "tensile_strength": "tensile_strength_MPa", "fracture_strain": "fracture_strain",
    "fracture_toughness": "fracture_toughness_MPa_sqrt_m",
}
_NEW_MATERIAL_DEFAULTS = {"E": 0.0, "nu": 0.0, "volumetric_expansion": 0.0, "role": "shell", "law": "isotropic",
                          "hardening_modulus": 0.0}


def _check_plasticity(name: str, m: Material) -> None:
    """Plastic parameters need a yield strength."""
    if m.yield_strength_MPa is None and m.law == "isotropic":
        for prop, value in (("hardening_modulus", m.hardening_modulus_MPa),
                            ("yield_strength_potassiated", m.yield_strength_potassiated_MPa)):
            if value:
                raise ValueError(f"materials.{name}.{prop} needs materials.{name}.yield_strength (absent: elastic)")


def _law_parameters(name: str, values: dict, base: Material | None, fields: dict) -> dict[str, float]:
    """The law parameters of a resolved material: the library's (unless the case changes the
    law), then the case file's, checked against the law (ValueError naming the key)."""
    law = values["law"]
    inherited = dict(base.parameters) if base is not None and base.law == law else {}
    if base is not None and base.law != law:
        # another law than the library entry's: its yield strength and hardening (which belong
        # to the entry's law) do not carry over either, unless the case file sets them
        for key in ("yield_strength", "hardening_modulus"):
            if key not in fields:
                values[MATERIAL_PROPERTIES[key]] = _NEW_MATERIAL_DEFAULTS.get(key)
    inherited.update(law_parameters_of(fields))
    common = {key: values[attr] for key, attr in MATERIAL_PROPERTIES.items()
              if key in ("E", "nu", "volumetric_expansion", "yield_strength", "hardening_modulus",
                         "yield_strength_potassiated", "E_potassiated")}
    return check_law_parameters(name, law, inherited, common)


# --- model, mesh, stages, output -------------------------------------------------------


class ModelSpec(Strict):
    """How the mechanics is discretised."""

    #: "spherical-1d": the radial problem of concentric spheres on 1D elements in the radius
    #: (swellfem.physics.radial), exact for their spherical symmetry and no gmsh mesh at all
    formulation: Literal["axisymmetric", "3d-octant", "3d", "spherical-1d"] = "axisymmetric"
    #: "small": linearised strain; "finite": F = Fe Fp Fs with Hencky elasticity (GUIDE §7)
    kinematics: Literal["small", "finite"] = "small"
    eigenstrain_convention: Literal["cube-root", "linear"] = "cube-root"
    #: load increments per stage on the nonlinear path, before automatic cuts and growth
    load_increments: Annotated[int, Field(ge=1, le=1000)] = 1
    #: accuracy of the load path of plastic laws: the largest equivalent plastic strain one load
    #: increment may add at a point (larger increments are retaken smaller)
    max_plastic_strain_increment: Annotated[float, Field(gt=0, le=10)] = 0.05
    element_degree: Literal[1, 2] = 2
    solver: Literal["auto", "direct", "iterative"] = "auto"
    #: relative accuracy asked of the stresses from an iterative linear solve (its residual
    #: tolerance follows from it: swellfem.physics.solver.krylov_rtol); the discretisation
    #: error is the mesh's business, not this key's
    stress_tolerance: Annotated[float, Field(gt=0, le=0.01)] = 1e-4


class MeshSpec(Strict):
    """Target element sizes; the mesh is graded from ``interface_size`` at interfaces and
    the outer surface to ``size`` in the bulk."""

    size: LengthNm = "5 nm"  # type: ignore[assignment]
    interface_size: LengthNm | None = None
    min_elements_across_layer: Annotated[int, Field(ge=1, le=100)] = 4
    grading_distance: LengthNm | None = None
    #: at the reaction fronts of shrinking-core stages (default: front_width / 4). A front that is
    #: also an elastic-plastic front needs finer: its hydrostatic extremes converge about linearly
    #: (docs/spherical_1d.md)
    front_size: LengthNm | None = None
    #: at the rounded (or sharp) edges and corners of a polyhedral core (default: the geometry's)
    edge_size: LengthNm | None = None

    @model_validator(mode="after")
    def _sizes(self) -> "MeshSpec":
        if self.interface_size is not None and self.interface_size > self.size:
            raise ValueError("interface_size must not exceed size")
        if self.edge_size is not None and self.edge_size > self.size:
            raise ValueError("edge_size must not exceed size")
        if self.front_size is not None and self.front_size > self.size:
            raise ValueError("front_size must not exceed size")
        return self


class UniformStages(Strict):
    """Every active region at the same potassiation theta = SOC."""

    mode: Literal["uniform"]
    soc: Annotated[list[StateOfCharge], Field(min_length=1)]


class ShrinkingCoreStages(Strict):
    """A reacted outer layer around a pristine core, with a smooth (tanh) front. SOC may go
    down: depotassiation grows a depotassiated outer layer inward (a history of nested fronts,
    :mod:`swellfem.potassiation.fronts`)."""

    mode: Literal["shrinking-core"]
    soc: Annotated[list[StateOfCharge], Field(min_length=1)]
    front_width: LengthNm = "2 nm"  # type: ignore[assignment]


class DiffusionStages(Strict):
    """Fickian potassiation of the active region from its surface, backward Euler in time. SOC
    may go down: depotassiation draws K+ out through the surface (galvanostatic: an outward
    flux at the C-rate, then theta = 0 on the surface; fixed-surface: theta = 0 on the surface)."""

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
                        f"soc {s:g} is never reached with a fixed surface potassiation of {self.surface_soc:g} "
                        "(stages.surface_soc bounds every stages.soc value when boundary = 'fixed-surface')"
                    )
        return self


Stages = Annotated[Union[UniformStages, ShrinkingCoreStages, DiffusionStages], Field(discriminator="mode")]


class ProbeLineSpec(Strict):
    """A straight probe line along which stresses are sampled (``[[output.lines]]``)."""

    model_config = {**Strict.model_config, "populate_by_name": True}

    name: Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_.@+-]+$")]
    start: PointNm = Field(alias="from")
    end: PointNm = Field(alias="to")

    @model_validator(mode="after")
    def _not_a_point(self) -> "ProbeLineSpec":
        if self.start == self.end:
            raise ValueError("from and to are the same point")
        return self


class OutputSpec(Strict):
    """What a run writes besides ``summary.json``."""

    fields: bool = True
    axial_points_per_layer: Annotated[int, Field(ge=2, le=10000)] = 41
    #: probe lines (absent: the geometry's own, e.g. centre to corner and to face of a polyhedron)
    lines: list[ProbeLineSpec] | None = None
    line_points: Annotated[int, Field(ge=2, le=10000)] = 101

    @model_validator(mode="after")
    def _names(self) -> "OutputSpec":
        names = [line.name for line in self.lines or []]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"probe line name '{name}' is used twice")
        return self

    def probe_lines(self, geometry) -> list[tuple[str, tuple, tuple]]:
        """(name, from, to) in nm of the lines to sample: the case's, else the geometry's."""
        if self.lines is None:
            return list(geometry.default_lines())
        return [(line.name, tuple(line.start), tuple(line.end)) for line in self.lines]


class Case(Strict):
    """A validated case: geometry, materials, model, mesh, stages and output options."""

    #: also the default output folder (results/<name>): a plain name, never a path
    name: Annotated[str, Field(min_length=1, max_length=100)]
    description: str = ""
    geometry: Geometry
    materials: dict[str, MaterialSpec] = Field(default_factory=dict)
    model: ModelSpec = Field(default_factory=ModelSpec)
    mesh: MeshSpec = Field(default_factory=MeshSpec)
    stages: Stages
    output: OutputSpec = Field(default_factory=OutputSpec)
    #: failure indicator of interfaces: interface normal tension / this, by "inner|outer"
    adhesion_strength: dict[str, PressureMPa] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _plain_name(cls, name: str) -> str:
        if not _PLAIN_NAME.match(name):
            raise ValueError(
                "must be a plain name (letters, digits, spaces and _ . @ + ( ) -, not starting with '.' or a "
                "space): it also names the default output folder results/<name>"
            )
        return name

    def resolved_materials(self) -> dict[str, Material]:
        """Materials of the regions: the library entry with this case's overrides applied."""
        lib = library()
        out = {}
        for name in dict.fromkeys(self.geometry.region_materials.values()):
            base = lib.get(name)
            spec = self.materials.get(name)
            if base is None and spec is None:
                raise KeyError(name)
            fields = {}
            if spec is not None:
                fields = {k: v for k, v in spec.model_dump().items() if v is not None}
            src = dict(base.sources) if base else {}
            overridden = set(MATERIAL_PROPERTIES) & set(fields)
            if base is None:
                for p in MATERIAL_PROPERTIES:
                    src[p] = fields.get("source", "set in case file")
            values = {}
            for prop, attr in MATERIAL_PROPERTIES.items():
                default = getattr(base, attr) if base else _NEW_MATERIAL_DEFAULTS.get(prop)
                values[attr] = fields.get(prop, default)
            parameters = _law_parameters(name, values, base, fields)
            overridden |= set(law_parameters_of(fields))
            out[name] = Material(
                name=name,
                **values,
                parameters=parameters,
                description=fields.get("description", base.description if base else ""),
                sources=src,
                assumptions=base.assumptions if base else frozenset(),
                overridden=frozenset(overridden) if base else frozenset(),
            )
            _check_plasticity(name, out[name])
        return out

    def solved_linearly(self) -> bool:
        """Whether the case is one linear solve per stage: small strain, no void (no contact)
        and every material elastic, isotropic and unchanged by potassiation (else Newton's
        method: swellfem.physics.problem.MechanicsProblem.nonlinear)."""
        if self.model.kinematics != "small" or self.geometry.contact_pairs:
            return False
        return all(m.law == "isotropic" and m.yield_strength_MPa is None and m.E_potassiated_MPa is None
                   and m.yield_strength_potassiated_MPa is None for m in self.resolved_materials().values())

    def summary(self) -> dict:
        """The resolved case in explicit units, as ``summary.json`` records it."""
        mats = self.resolved_materials()
        geo = self.geometry
        # each material's values (its summary without what names or sources it)
        values = {name: {k: v for k, v in m.to_summary().items() if k not in ("name", "role", "law", "sources", "assumptions")}
                  for name, m in mats.items()}
        layers = [{"name": layer.name, "material": layer.material, "role": mats[layer.material].role,
                   "outer_radius_nm": r, **values[layer.material]} if not getattr(layer, "void", False)
                  else {"name": layer.name, "void": True, "outer_radius_nm": r}
                  for layer, r in zip(getattr(geo, "layers", []), getattr(geo, "outer_radii_nm", []))]
        radii = geo.region_radii
        regions = [{"name": name, "material": material, "role": mats[material].role, "radius_nm": radii.get(name),
                    **values[material]} for name, material in geo.region_materials.items()]
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
            "kinematics": self.model.kinematics,
            "eigenstrain_convention": self.model.eigenstrain_convention,
            "element_degree": self.model.element_degree,
            "layers": layers,
            "regions": regions,
            "shape": geo.summary(),
            "notes": geo.notes(),
            "materials": {name: m.to_summary() for name, m in mats.items()},
            "adhesion_strength_MPa": dict(self.adhesion_strength),
            "mesh": {
                "size_nm": mesh.size,
                "interface_size_nm": mesh_interface_size(self),
                "min_elements_across_layer": mesh.min_elements_across_layer,
            },
            "stages": stages,
        }


_QUANTITY_KINDS = {"size": "length", "interface_size": "length", "grading_distance": "length", "edge_size": "length",
                   "front_width": "length", "diffusivity": "diffusivity"}


_UNUSED = {"galvanostatic": ("surface_soc",), "fixed-surface": ("c_rate",)}


def applied_defaults(case: Case) -> list[str]:
    """``key = value`` of every model, mesh and stage option the case file left to its default
    (so that a run can say what it assumed)."""
    from .units import format_quantity

    out = []
    for section in ("model", "mesh", "stages"):
        sub = getattr(case, section)
        for name in type(sub).model_fields:
            if name in sub.model_fields_set or name in ("mode", "soc"):
                continue
            if name in _UNUSED.get(getattr(sub, "boundary", None), ()):
                continue
            value = getattr(sub, name)
            if value is None:
                continue
            text = format_quantity(value, _QUANTITY_KINDS[name]) if name in _QUANTITY_KINDS else repr(value)
            out.append(f"{section}.{name} = {text}")
    return out


def mesh_interface_size(case: Case) -> float:
    """Element size at interfaces and the outer surface, nm: the smaller of the requested
    interface size (default: size / 4) and the thinnest layer / min_elements_across_layer."""
    thinnest = case.geometry.thinnest_feature_nm
    requested = case.mesh.interface_size if case.mesh.interface_size is not None else case.mesh.size / 4
    return min(requested, thinnest / case.mesh.min_elements_across_layer)


def mesh_front_size(case: Case) -> tuple[float, str] | None:
    """Element size at the reaction fronts of shrinking-core stages, nm, and the case-file key
    that sets it (``mesh.front_size``, by default ``stages.front_width`` / 4); None without
    fronts. Not capped by the interface size (the callers take the smaller)."""
    if not isinstance(case.stages, ShrinkingCoreStages):
        return None
    if case.mesh.front_size is not None:
        return case.mesh.front_size, "mesh.front_size"
    return case.stages.front_width / 4.0, "stages.front_width"


#: The stage models by ``stages.mode``.
_STAGE_MODELS = {"uniform": UniformStages, "shrinking-core": ShrinkingCoreStages, "diffusion": DiffusionStages}


def mesh_edge_size(case: Case) -> float:
    """Element size at a shape's stress-concentrating edges and corners, nm (0: the shape has none)."""
    default = case.geometry.default_edge_size_nm(mesh_interface_size(case))
    if not default:
        return 0.0
    return case.mesh.edge_size if case.mesh.edge_size is not None else default
