"""Geometry schemas: one pydantic model per shape family, selected by ``geometry.type``.

Each shape model answers, without gmsh or dolfinx, what the rest of swellfem asks of a
geometry before meshing: its regions (cell groups) and their materials, its interfaces, the
formulations it supports, and the lengths that drive the mesh (extent, thinnest feature).
The gmsh side of a shape lives in :mod:`swellfem.geometry` (one module per family, found
through :data:`swellfem.geometry.SHAPES` by the same ``type``).

A new shape: a model here (subclass of :class:`ShapeSchema`, added to :data:`Geometry`),
a builder module in ``geometry/`` and its entry in ``geometry.SHAPES``.
"""

from __future__ import annotations

import math
from typing import Annotated, ClassVar, Literal, Union

from pydantic import Field, model_validator

from .base import LengthNm, RegionName, Strict

FORMULATIONS = ("axisymmetric", "3d-octant", "3d")


class ShapeSchema(Strict):
    """What every geometry tells before meshing (lengths in nm)."""

    #: formulations the shape can be solved in
    formulations: ClassVar[tuple[str, ...]] = FORMULATIONS

    @property
    def region_names(self) -> list[str]:
        """Cell regions (physical groups), in tag order."""
        raise NotImplementedError

    @property
    def region_materials(self) -> dict[str, str]:
        """Material name of each region."""
        raise NotImplementedError

    @property
    def material_keys(self) -> dict[str, str]:
        """The dotted case-file key that names each region's material (for error messages)."""
        raise NotImplementedError

    @property
    def interfaces(self) -> list[tuple[str, str]]:
        """(inner, outer) regions of each internal interface."""
        raise NotImplementedError

    @property
    def extent_nm(self) -> float:
        """Largest distance of the body from its centre, nm."""
        raise NotImplementedError

    @property
    def thinnest_feature_nm(self) -> float:
        """The thinnest region (layer thickness), nm: caps the element size at interfaces."""
        raise NotImplementedError

    def mesh_measures(self, formulation: str) -> tuple[float, float]:
        """(domain measure, refined-boundary measure) of the meshed domain of ``formulation``:
        area and curve length (nm^2, nm) of the meridian section in 2D-axisymmetric, volume and
        surface area (nm^3, nm^2) in 3D; they estimate the element count before meshing."""
        raise NotImplementedError


class Layer(Strict):
    """One layer of a concentric sphere, from the core outwards."""

    name: RegionName
    material: str
    outer_radius: LengthNm | None = None
    thickness: LengthNm | None = None

    @model_validator(mode="after")
    def _one_size(self) -> "Layer":
        if (self.outer_radius is None) == (self.thickness is None):
            raise ValueError("give exactly one of outer_radius and thickness")
        return self


class ConcentricSphere(ShapeSchema):
    """A core and shells as concentric spheres, listed from the core outwards."""

    type: Literal["concentric-sphere"]
    layers: Annotated[list[Layer], Field(min_length=1)]
    #: a hollow core: a central cavity of this radius (absent: a full core)
    cavity_radius: LengthNm | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "ConcentricSphere":
        names = [layer.name for layer in self.layers]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"layer name '{name}' is used twice")
        radii = self.outer_radii_nm
        if self.cavity_radius is not None and self.cavity_radius <= 0:
            raise ValueError("cavity_radius must be positive (leave it out for a full core)")
        for i, (layer, r) in enumerate(zip(self.layers, radii)):
            inner = self.inner_radii_nm[i]
            if r <= inner:
                raise ValueError(
                    f"layer '{layer.name}' has outer radius {r:g} nm, not larger than the {inner:g} nm inside it"
                )
        return self

    @property
    def outer_radii_nm(self) -> list[float]:
        """Outer radius of each layer, nm."""
        radii, r = [], self.cavity_radius or 0.0
        for layer in self.layers:
            r = layer.outer_radius if layer.outer_radius is not None else r + layer.thickness
            radii.append(r)
        return radii

    @property
    def inner_radii_nm(self) -> list[float]:
        """Inner radius of each layer (0 for a full core, the cavity radius for a hollow one), nm."""
        return [self.cavity_radius or 0.0, *self.outer_radii_nm[:-1]]

    @property
    def layer_names(self) -> list[str]:
        return [layer.name for layer in self.layers]

    @property
    def region_names(self) -> list[str]:
        return self.layer_names

    @property
    def region_materials(self) -> dict[str, str]:
        return {layer.name: layer.material for layer in self.layers}

    @property
    def material_keys(self) -> dict[str, str]:
        return {layer.name: f"geometry.layers[{i}].material" for i, layer in enumerate(self.layers)}

    @property
    def interfaces(self) -> list[tuple[str, str]]:
        return list(zip(self.layer_names[:-1], self.layer_names[1:]))

    @property
    def extent_nm(self) -> float:
        return self.outer_radii_nm[-1]

    @property
    def thinnest_feature_nm(self) -> float:
        return min(o - i for i, o in zip(self.inner_radii_nm, self.outer_radii_nm))

    def mesh_measures(self, formulation: str) -> tuple[float, float]:
        R = self.extent_nm
        if formulation == "axisymmetric":
            return math.pi * R**2 / 2, sum(math.pi * r for r in [*self.outer_radii_nm, self.cavity_radius or 0.0])
        part = 8.0 if formulation == "3d-octant" else 1.0
        return 4 / 3 * math.pi * R**3 / part, sum(4 * math.pi * r**2 for r in self.outer_radii_nm) / part


Geometry = Annotated[Union[ConcentricSphere], Field(discriminator="type")]
