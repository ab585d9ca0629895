"""Concentric spheres: a core and shells listed from the core outwards (lengths nm).

A layer may be a ``void`` (a gap with no material): what is inside it is a *yolk* that swells
freely until it touches the layer outside, then presses it (frictionless contact, one contact
pair per void, named after the void). ``yolk_offset`` moves the yolk off the centre.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import Field, model_validator

from ..base import LengthNm, PointNm, RegionName, Strict
from .base import FORMULATIONS, SPHERICAL_1D, STAGE_MODES, VoidLayers, check_void_material


class Layer(Strict):
    """One layer of a concentric sphere, from the core outwards."""

    name: RegionName
    material: str | None = None
    outer_radius: LengthNm | None = None
    thickness: LengthNm | None = None
    #: a gap with no material (the layer's name names the contact pair across it)
    void: bool = False

    @model_validator(mode="after")
    def _one_size(self) -> "Layer":
        if (self.outer_radius is None) == (self.thickness is None):
            raise ValueError("give exactly one of outer_radius and thickness")
        check_void_material(self.name, self.void, self.material)
        return self


class ConcentricSphere(VoidLayers):
    """A core and shells as concentric spheres, listed from the core outwards."""

    type: Literal["concentric-sphere"]
    layers: Annotated[list[Layer], Field(min_length=1)]
    #: a hollow core: a central cavity of this radius (absent: a full core)
    cavity_radius: LengthNm | None = None
    #: the yolk (every layer inside the void) moved off the centre by this vector, nm
    yolk_offset: PointNm | None = None

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
        if any(layer.void for layer in self.layers) and self.cavity_radius is not None:
            raise ValueError("a hollow core (cavity_radius) and a void layer together are not supported")
        if self.layers[0].void:
            raise ValueError("a void layer must lie between two solid layers (a central hole is cavity_radius)")
        voids = self._check_voids()
        if self.yolk_offset is not None:
            if len(voids) != 1:
                raise ValueError("yolk_offset needs exactly one void layer (the yolk is what is inside it)")
            shift = math.dist(self.yolk_offset, (0.0, 0.0, 0.0))
            gap = radii[voids[0]] - self.inner_radii_nm[voids[0]]
            if shift >= gap:
                raise ValueError(f"yolk_offset moves the yolk {shift:g} nm, not less than the {gap:g} nm void: "
                                 "it would touch or cut the shell")
        return self

    @property
    def yolk_centre(self) -> tuple[float, float, float]:
        return tuple(float(c) for c in self.yolk_offset) if self.yolk_offset is not None else (0.0, 0.0, 0.0)

    @property
    def formulations(self) -> tuple[str, ...]:  # type: ignore[override]
        x, y, z = self.yolk_centre
        if x or y:
            return ("3d",)
        if z:
            return ("axisymmetric", "3d")
        if any(layer.void for layer in self.layers):  # contact across a void: on a mesh
            return FORMULATIONS
        return (*FORMULATIONS, SPHERICAL_1D)

    @property
    def stage_modes(self) -> tuple[str, ...]:  # type: ignore[override]
        """Fronts are radial about the centre (not about an offset yolk); diffusion enters
        through the outer surface (a void has no path for K+ in this model)."""
        if any(layer.void for layer in self.layers):
            return ("uniform",) if any(self.yolk_centre) else ("uniform", "shrinking-core")
        return STAGE_MODES

    @property
    def region_centres(self) -> dict[str, tuple[float, float, float]]:
        yolk = set(self.yolk_layers)
        return {name: (self.yolk_centre if name in yolk else (0.0, 0.0, 0.0)) for name in self.layer_names}

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
        return min(o - i for layer, i, o in zip(self.layers, self.inner_radii_nm, self.outer_radii_nm)
                   if not layer.void)  # a void has no cells to resolve

    def mesh_measures(self, formulation: str) -> tuple[float, float]:
        R = self.extent_nm
        if formulation == "axisymmetric":
            return math.pi * R**2 / 2, sum(math.pi * r for r in [*self.outer_radii_nm, self.cavity_radius or 0.0])
        part = 8.0 if formulation == "3d-octant" else 1.0
        return 4 / 3 * math.pi * R**3 / part, sum(4 * math.pi * r**2 for r in self.outer_radii_nm) / part

    @property
    def region_radii(self) -> dict[str, float]:
        return {layer.name: r for layer, r in zip(self.layers, self.outer_radii_nm) if not layer.void}

    def default_lines(self) -> list[tuple[str, tuple, tuple]]:
        inner = self.cavity_radius or 0.0
        return [("axis", (0.0, 0.0, inner), (0.0, 0.0, self.extent_nm))]

    def describe(self) -> str:
        radii = ", ".join(f"{layer.name}{' (void)' if layer.void else ''} to {r:g} nm"
                          for layer, r in zip(self.layers, self.outer_radii_nm))
        if self.cavity_radius:
            radii = f"cavity to {self.cavity_radius:g} nm, " + radii
        if any(self.yolk_centre):
            radii += f"; yolk centred at ({', '.join(f'{c:g}' for c in self.yolk_centre)}) nm"
        return radii

    def summary(self) -> dict:
        out = {"type": self.type, "outer_radii_nm": dict(zip((layer.name for layer in self.layers), self.outer_radii_nm))}
        if self.cavity_radius:
            out["cavity_radius_nm"] = self.cavity_radius
        voids = {layer.name: r - inner for layer, r, inner in zip(self.layers, self.outer_radii_nm, self.inner_radii_nm)
                 if layer.void}
        if voids:
            out["void_thickness_nm"] = voids
            out["yolk_centre_nm"] = list(self.yolk_centre)
        return out
