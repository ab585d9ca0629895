"""Concentric spheres: a core and shells listed from the core outwards (lengths nm)."""

from __future__ import annotations

import math
from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from ..base import LengthNm, RegionName, Strict
from .base import LayeredShape


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


class ConcentricSphere(LayeredShape):
    """A core and shells as concentric spheres, listed from the core outwards."""

    type: Literal["concentric-sphere"]
    stage_modes: ClassVar[tuple[str, ...]] = ("uniform", "shrinking-core", "diffusion")
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

    @property
    def region_radii(self) -> dict[str, float]:
        return dict(zip(self.layer_names, self.outer_radii_nm))

    def default_lines(self) -> list[tuple[str, tuple, tuple]]:
        inner = self.cavity_radius or 0.0
        return [("axis", (0.0, 0.0, inner), (0.0, 0.0, self.extent_nm))]

    def describe(self) -> str:
        radii = ", ".join(f"{n} to {r:g} nm" for n, r in zip(self.layer_names, self.outer_radii_nm))
        if self.cavity_radius:
            radii = f"cavity to {self.cavity_radius:g} nm, " + radii
        return radii

    def summary(self) -> dict:
        out = {"type": self.type, "outer_radii_nm": dict(zip(self.layer_names, self.outer_radii_nm))}
        if self.cavity_radius:
            out["cavity_radius_nm"] = self.cavity_radius
        return out
