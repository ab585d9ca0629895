"""A polyhedral core (a crystal habit: the ZIF-8 rhombic dodecahedron, cube, octahedron,
truncated octahedron) with conformal shells of uniform thickness (lengths nm).

The core is the sharp habit with its edges and corners rounded by ``rounding_radius`` (the
Minkowski sum P' + B(rho), :mod:`.polytopes`); shell k is the offset P' + B(rho + T_k), T_k the
thickness of the shells up to and including k. It is sized by the radius of the sphere of the
core's volume (``equivalent_radius``) or by the edge length of the sharp habit (``edge_length``).
Every habit here is symmetric about the three coordinate planes: octant and full 3D.
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from ..base import LengthNm, RegionName, Strict
from .base import VoidLayers, check_void_material
from .polytopes import HABITS, Polytope, core_polytope, keeps_habit

Habit = Literal["rhombic-dodecahedron", "cube", "octahedron", "truncated-octahedron"]


class PolyhedronLayer(Strict):
    """The core (first, no thickness), a shell (a thickness) or a void (a thickness, no
    material) of a polyhedral particle."""

    name: RegionName
    material: str | None = None
    thickness: LengthNm | None = None
    #: a conformal gap with no material: the layers inside it are a yolk in a hollow cage
    #: (the layer's name names the contact pair across it)
    void: bool = False

    @model_validator(mode="after")
    def _material(self) -> "PolyhedronLayer":
        check_void_material(self.name, self.void, self.material)
        return self


class Polyhedron(VoidLayers):
    """A polyhedral core and conformal shells, listed from the core outwards; a shell may be a
    void (a yolk in a hollow cage)."""

    type: Literal["polyhedron"]
    habit: Habit
    equivalent_radius: LengthNm | None = None
    edge_length: LengthNm | None = None
    #: radius of the rounded edges and corners of the core (0: sharp; shells are then rounded by their thickness)
    rounding_radius: Annotated[float, Field(ge=0)] | LengthNm = 0.0
    layers: Annotated[list[PolyhedronLayer], Field(min_length=1)]

    formulations: ClassVar[tuple[str, ...]] = ("3d-octant", "3d")

    @model_validator(mode="before")
    @classmethod
    def _rounding_units(cls, data):
        # "0 nm" and 0 both mean sharp; any other value carries a length unit (LengthNm)
        if isinstance(data, dict) and data.get("rounding_radius") in (0, 0.0, "0", "0 nm"):
            data = {**data, "rounding_radius": 0.0}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> "Polyhedron":
        if (self.equivalent_radius is None) == (self.edge_length is None):
            raise ValueError("give exactly one of equivalent_radius and edge_length")
        names = [layer.name for layer in self.layers]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"layer name '{name}' is used twice")
        if self.layers[0].thickness is not None:
            raise ValueError(f"the core '{self.layers[0].name}' has no thickness: its size is equivalent_radius "
                             "or edge_length")
        for layer in self.layers[1:]:
            if layer.thickness is None:
                raise ValueError(f"shell '{layer.name}' needs a thickness")
        if self.layers[0].void:
            raise ValueError("the core cannot be a void: a void layer must lie between two solid layers")
        if len(self._check_voids()) > 1:
            raise ValueError("a polyhedron takes one void layer (a yolk in one cage)")
        if not self._core_fits():
            raise ValueError(f"rounding_radius {self.rounding_radius:g} nm is too large for this {self.habit}: "
                             f"its faces would vanish; use at most {self.max_rounding_nm():.3g} nm")
        return self

    def _core_fits(self, rounding: float | None = None) -> bool:
        """The core rounded by ``rounding`` (default: its own) keeps every face of its habit and
        has the asked volume."""
        rho = float(self.rounding_radius if rounding is None else rounding)
        core = self.core if rounding is None else core_polytope(
            self.habit, rho, equivalent_radius_nm=self.equivalent_radius, edge_length_nm=self.edge_length)
        if not keeps_habit(core, self.habit):
            return False
        if self.equivalent_radius is None:
            return True
        radius = (3 * core.rounded_volume_nm3(rho) / (4 * math.pi)) ** (1 / 3)
        return abs(radius / self.equivalent_radius - 1) < 1e-6

    # --- sizes -------------------------------------------------------------------------

    @cached_property
    def core(self) -> Polytope:
        """The sharp polyhedron P' whose rounded offsets are the core and the shells."""
        return core_polytope(self.habit, self.rounding_radius, equivalent_radius_nm=self.equivalent_radius,
                             edge_length_nm=self.edge_length)

    def max_rounding_nm(self) -> float:
        """The largest rounding radius at which the core keeps every face of its habit, nm."""
        lo, hi = 0.0, self.equivalent_radius or self.edge_length
        for _ in range(12):  # to 0.03 % of the size: the number of an error message
            mid = 0.5 * (lo + hi)
            ok = self._core_fits(mid)
            lo, hi = (mid, hi) if ok else (lo, mid)
        return lo

    @property
    def rounding_radii_nm(self) -> list[float]:
        """Rounding radius of each layer's outer surface (rho + T_k), nm."""
        out, r = [], float(self.rounding_radius)
        for layer in self.layers:
            r += layer.thickness or 0.0
            out.append(r)
        return out

    @property
    def extent_nm(self) -> float:
        return self.core.circumradius_nm + self.rounding_radii_nm[-1]

    @property
    def thinnest_feature_nm(self) -> float:
        sizes = [layer.thickness for layer in self.layers[1:] if not layer.void]  # a void has no cells
        return min(sizes) if sizes else self.core_equivalent_radius_nm

    @property
    def core_equivalent_radius_nm(self) -> float:
        return (3 * self.core.rounded_volume_nm3(self.rounding_radius) / (4 * math.pi)) ** (1 / 3)

    @property
    def region_radii(self) -> dict[str, float]:
        return {self.layers[0].name: self.core_equivalent_radius_nm}

    def mesh_measures(self, formulation: str) -> tuple[float, float]:
        part = 8.0 if formulation == "3d-octant" else 1.0
        radii = self.rounding_radii_nm
        return (self.core.rounded_volume_nm3(radii[-1]) / part,
                sum(self.core.rounded_area_nm2(r) for r in radii) / part)

    def default_edge_size_nm(self, interface_size_nm: float) -> float:
        """The interface size, or a quarter of the core's rounding radius where that is smaller;
        half the interface size at sharp edges (whose peaks never converge)."""
        if self.rounding_radius > 0:
            return min(interface_size_nm, self.rounding_radius / 4)
        return interface_size_nm / 2

    def default_lines(self) -> list[tuple[str, tuple, tuple]]:
        """Centre to the corner in the first octant farthest out, and centre to the face whose
        normal is closest to the first octant's diagonal (both in x, y, z >= 0)."""
        P, r = self.core, self.rounding_radii_nm[-1]
        V = P.vertices
        first = V[(V >= -1e-9).all(axis=1)]
        corner = first[max(range(len(first)), key=lambda k: (round(float((first[k] ** 2).sum()), 6),
                                                           float(first[k].sum())))]
        corner = corner * (1 + r / float((corner**2).sum()) ** 0.5)
        normals = [n for n in P.normals if (n >= -1e-9).all()]
        n = max(normals, key=lambda v: float(v.sum()))
        k = list(map(tuple, P.normals)).index(tuple(n))
        face = n * (P.offsets[k] + r)
        return [("centre-to-corner", (0.0, 0.0, 0.0), tuple(float(c) for c in corner)),
                ("centre-to-face", (0.0, 0.0, 0.0), tuple(float(c) for c in face))]

    def describe(self) -> str:
        shells = ", ".join(f"{layer.name}{' (void)' if layer.void else ''} {layer.thickness:g} nm"
                           for layer in self.layers[1:])
        size = (f"equivalent radius {self.core_equivalent_radius_nm:.4g} nm, edge "
                f"{self.core.moved(self.rounding_radius).edge_length_nm:.4g} nm")
        rounding = f"corners rounded to {self.rounding_radius:g} nm" if self.rounding_radius else "sharp corners"
        return (f"{self.habit} {self.layers[0].name} core ({size}, {rounding})"
                + (f" with conformal shells {shells}" if shells else ""))

    def summary(self) -> dict:
        return {"type": self.type, "habit": self.habit,
                "core_equivalent_radius_nm": self.core_equivalent_radius_nm,
                "core_edge_length_nm": self.core.moved(self.rounding_radius).edge_length_nm,
                "rounding_radius_nm": float(self.rounding_radius),
                "shell_thickness_nm": {layer.name: layer.thickness for layer in self.layers[1:] if not layer.void},
                **({"void_thickness_nm": {layer.name: layer.thickness for layer in self.layers if layer.void}}
                   if self.contact_pairs else {}),
                "extent_nm": self.extent_nm}

    def notes(self) -> list[str]:
        if self.rounding_radius:
            return []
        return [f"the {self.habit} core has sharp edges and corners (rounding_radius 0): the stress there is "
                "singular in linear elasticity, so its peak values grow as the mesh is refined and depend on "
                "the mesh; give a rounding radius for peaks that converge"]


assert set(HABITS) == set(Habit.__args__)  # type: ignore[attr-defined]
