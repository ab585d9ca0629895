"""Concentric spheres: a core and shells (gmsh OCC), the first :class:`~.shape.Shape`.

2D-axisymmetric: the meridian half-disc in the (x, y) plane with x = r >= 0 and y = z (the
axis), a mesh vertex at the centre. ``3d-octant``: the ball cut to x, y, z >= 0 with the three
symmetry planes tagged. ``3d``: the whole ball. Interfaces conform (OCC fragment).

With void layers (a yolk–shell) the yolk and the shell are separate bodies: the layers are
built as nested balls (the yolk's about its own centre) and tagged by :mod:`.tagging`, whose
void parts become the contact surfaces.
"""

from __future__ import annotations

import math

from .shape import Body, ProbeLine, ProbeSegment, Shape, hollow_support, solid_support
from .tagging import fragment_regions, symmetry_cut, tag_physical_groups
from .tags import (AXIS_NAME, AXIS_TAG, CAVITY_NAME, CAVITY_TAG, CELL_TAG_OFFSET, INTERFACE_TAG_OFFSET, SURFACE_NAME,
                   SURFACE_TAG, SYMMETRY_TAGS, VOID_PREFIX)


class ConcentricSphereShape(Shape):
    """Layers from the core outwards (schema: :class:`swellfem.case.shapes.ConcentricSphere`)."""

    type = "concentric-sphere"

    @property
    def outer_radii_nm(self) -> tuple[float, ...]:
        return tuple(float(r) for r in self.schema.outer_radii_nm)

    @property
    def cavity_radius_nm(self) -> float:
        """Radius of the central cavity (0: a full core), nm."""
        return float(self.schema.cavity_radius or 0.0)

    @property
    def anchor(self) -> tuple[float, float, float]:
        """A mesh vertex on the axis plane z = 0 where the axisymmetric u_z is fixed: the centre,
        or the cavity's equator."""
        return (self.cavity_radius_nm, 0.0, 0.0)

    @property
    def has_voids(self) -> bool:
        return bool(self.schema.contact_pairs)

    def parameters(self) -> dict:
        params = {"layer_names": list(self.region_names), "outer_radii_nm": list(self.outer_radii_nm)}
        if self.cavity_radius_nm:
            params["cavity_radius_nm"] = self.cavity_radius_nm
        if self.has_voids:
            params["voids"] = [layer.name for layer in self.schema.layers if layer.void]
            params["yolk_centre_nm"] = list(self.schema.yolk_centre)
        return params

    def probe_lines(self) -> list[ProbeLine]:
        """The z axis from the centre (or the cavity) to the outer surface, one segment per layer.
        With a yolk off the centre: the line from the centre through the yolk's centre (the yolk's
        layers about its centre, on the side it is moved to: where it touches first)."""
        schema = self.schema
        yolk = set(schema.yolk_layers)
        c = schema.yolk_centre
        shift = math.dist(c, (0.0, 0.0, 0.0))
        d = tuple(x / shift for x in c) if shift else (0.0, 0.0, 1.0)
        segments = []
        for layer, lo, hi in zip(schema.layers, schema.inner_radii_nm, schema.outer_radii_nm):
            if layer.void:
                continue
            base = shift if layer.name in yolk else 0.0
            segments.append(ProbeSegment(layer.name, tuple((base + lo) * k for k in d), tuple((base + hi) * k for k in d)))
        name = "axis" if d == (0.0, 0.0, 1.0) else "yolk-line"
        return [ProbeLine(name, tuple(segments))]

    @property
    def bodies(self) -> list[Body]:
        """The yolk (every layer inside the first void) and what holds it, each held apart from
        the other: the yolk at its centre, the shell at a point of its first layer's equator."""
        if not self.has_voids:
            return super().bodies
        schema = self.schema
        yolk = tuple(schema.yolk_layers)
        shell = tuple(name for name in self.region_names if name not in yolk)
        k = len(yolk) + 1  # the first shell layer (after the void)
        mid = 0.5 * (schema.inner_radii_nm[k] + schema.outer_radii_nm[k])
        (x, y, z), h = schema.yolk_centre, schema.outer_radii_nm[len(yolk) - 1] / 2
        return [Body(yolk, (x, y, z), solid_support((x, y, z), h)),
                Body(shell, (mid, 0.0, 0.0), hollow_support((0.0, 0.0, 0.0), mid))]

    def build(self, formulation: str) -> None:
        if self.has_voids:
            self._yolk_shell(formulation)
        elif formulation == "axisymmetric":
            self._meridian_half_disc()
        elif formulation in ("3d-octant", "3d"):
            self._ball(octant=formulation == "3d-octant")
        else:
            raise ValueError(f"unknown formulation {formulation!r}")

    # --- gmsh ------------------------------------------------------------------------

    def _yolk_shell(self, formulation: str) -> None:
        """Nested balls from the outside in (voids as ``void:`` parts), cut, fragmented and
        tagged by :mod:`.tagging`; a mesh vertex at each body's anchor (axisymmetric)."""
        import gmsh

        occ = gmsh.model.occ
        schema = self.schema
        dim = 2 if formulation == "axisymmetric" else 3
        yolk = set(schema.yolk_layers)
        parts = []
        for layer, r in reversed(list(zip(schema.layers, schema.outer_radii_nm))):
            x, y, z = schema.yolk_centre if (layer.name in yolk) else (0.0, 0.0, 0.0)
            tag = occ.addDisk(0, z, 0, r, r) if dim == 2 else occ.addSphere(x, y, z, r)
            parts.append((VOID_PREFIX + layer.name if layer.void else layer.name, tag))
        parts = symmetry_cut(parts, dim, self.extent_nm, formulation)
        extra = []
        if dim == 2:
            extra = [(0, occ.addPoint(body.anchor[0], body.anchor[2], 0)) for body in self.bodies]
        regions = fragment_regions(parts, dim, extra)
        tag_physical_groups(self, dim, regions, formulation)

    def _layer_index(self, extent: float) -> int:
        """The layer whose outer radius is ``extent`` (the entity's largest coordinate)."""
        radii = self.outer_radii_nm
        i = min(range(len(radii)), key=lambda k: abs(radii[k] - extent))
        if abs(radii[i] - extent) > 1e-6 * radii[-1]:
            raise RuntimeError(f"gmsh entity with extent {extent} matches no layer radius")
        return i

    def _meridian_half_disc(self) -> None:
        import gmsh

        occ = gmsh.model.occ
        radii = self.outer_radii_nm
        R = radii[-1]
        a = self.cavity_radius_nm
        disks = [(2, occ.addDisk(0, 0, 0, r, r)) for r in radii]
        if a:  # the cavity out of every disk: the outer ones cover it too
            hole = (2, occ.addDisk(0, 0, 0, a, a))
            occ.cut(disks, [hole], removeObject=True, removeTool=True)
        anchor = (0, occ.addPoint(a, 0, 0))  # a mesh vertex at the centre / cavity equator (fixes u_z)
        occ.fragment(occ.getEntities(2)[:1], occ.getEntities(2)[1:] + [anchor])
        everything = occ.getEntities(2)
        rect = occ.addRectangle(0, -1.5 * R, 0, 1.5 * R, 3 * R)
        occ.intersect(everything, [(2, rect)])
        occ.synchronize()
        self._tag_layers(dim=2)
        tol = 1e-6 * R
        arcs: dict[int, list[int]] = {}
        axis, cavity = [], []
        for _, c in gmsh.model.getEntities(1):
            xmin, ymin, _, xmax, ymax, _ = gmsh.model.getBoundingBox(1, c)
            if xmax < tol:
                axis.append(c)
            elif a and abs(xmax - a) < tol:
                cavity.append(c)
            else:
                arcs.setdefault(self._layer_index(xmax), []).append(c)
        self._tag_spherical_boundaries(dim=1, by_layer=arcs)
        gmsh.model.addPhysicalGroup(1, axis, AXIS_TAG, name=AXIS_NAME)
        if a:
            gmsh.model.addPhysicalGroup(1, cavity, CAVITY_TAG, name=CAVITY_NAME)

    def _ball(self, octant: bool) -> None:
        import gmsh

        occ = gmsh.model.occ
        radii = self.outer_radii_nm
        R = radii[-1]
        a = self.cavity_radius_nm
        balls = [(3, occ.addSphere(0, 0, 0, r)) for r in radii]
        if a:  # the cavity out of every ball: the outer ones cover it too
            occ.cut(balls, [(3, occ.addSphere(0, 0, 0, a))], removeObject=True, removeTool=True)
        occ.fragment(occ.getEntities(3)[:1], occ.getEntities(3)[1:])
        if octant:
            everything = occ.getEntities(3)
            box = occ.addBox(0, 0, 0, 1.5 * R, 1.5 * R, 1.5 * R)
            occ.intersect(everything, [(3, box)])
        occ.synchronize()
        self._tag_layers(dim=3)
        tol = 1e-6 * R
        spheres: dict[int, list[int]] = {}
        planes: dict[str, list[int]] = {name: [] for name in SYMMETRY_TAGS}
        cavity = []
        for _, s in gmsh.model.getEntities(2):
            box = gmsh.model.getBoundingBox(2, s)
            lo, hi = box[:3], box[3:]
            flat = [k for k in range(3) if hi[k] - lo[k] < tol]
            if flat:
                planes["symmetry-" + "xyz"[flat[0]]].append(s)
            elif a and abs(max(hi) - a) < tol:
                cavity.append(s)
            else:
                spheres.setdefault(self._layer_index(max(hi)), []).append(s)
        self._tag_spherical_boundaries(dim=2, by_layer=spheres)
        if a:
            gmsh.model.addPhysicalGroup(2, cavity, CAVITY_TAG, name=CAVITY_NAME)
        if octant:
            for name, tag in SYMMETRY_TAGS.items():
                gmsh.model.addPhysicalGroup(2, planes[name], tag, name=name)

    def _tag_layers(self, dim: int) -> None:
        import gmsh

        by_layer: dict[int, list[int]] = {}
        for _, e in gmsh.model.getEntities(dim):
            box = gmsh.model.getBoundingBox(dim, e)
            by_layer.setdefault(self._layer_index(max(box[3:])), []).append(e)
        for i, name in enumerate(self.region_names):
            if i not in by_layer:
                raise RuntimeError(f"gmsh produced no region for layer {name}")
            gmsh.model.addPhysicalGroup(dim, by_layer[i], CELL_TAG_OFFSET + i, name=name)

    def _tag_spherical_boundaries(self, dim: int, by_layer: dict[int, list[int]]) -> None:
        import gmsh

        for i, name in enumerate(self.interface_names()):
            gmsh.model.addPhysicalGroup(dim, by_layer[i], INTERFACE_TAG_OFFSET + i, name=name)
        gmsh.model.addPhysicalGroup(dim, by_layer[len(self.region_names) - 1], SURFACE_TAG, name=SURFACE_NAME)
