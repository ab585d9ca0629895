"""Polyhedral cores with conformal shells (gmsh OCC): :class:`PolyhedronShape`.

Each layer's outer surface is the rounded polyhedron P' + B(r) (schema:
:class:`swellfem.case.shapes.Polyhedron`): the sharp polyhedron with its faces moved out by r,
its edges filleted with radius r (OCC fillets of a convex polyhedron with equal radii are
exactly the Minkowski sum: cylinders about P''s edges, spheres about its corners). The layers
are cut to the octant (``3d-octant``) and fragmented; the core's rounded edges and corners (or
its sharp edges) are refined to ``edge_size``.
"""

from __future__ import annotations

import numpy as np

from .shape import Body, Shape, hollow_support, solid_support
from .tagging import fragment_regions, symmetry_cut, tag_physical_groups
from .tags import SURFACE_NAME, VOID_PREFIX, contact_surface_name, interface_name


def add_polytope(polytope, rounding: float) -> int:
    """The OCC volume of ``polytope`` + B(rounding) (sharp when rounding is 0)."""
    import gmsh

    occ = gmsh.model.occ
    body = polytope.moved(rounding) if rounding > 0 else polytope
    V = body.vertices
    points = [occ.addPoint(*map(float, v)) for v in V]
    lines: dict[tuple[int, int], int] = {}
    surfaces = []
    for face in body.faces():
        loop = []
        for a, b in zip(face, face[1:] + face[:1]):
            key = (min(a, b), max(a, b))
            if key not in lines:
                lines[key] = occ.addLine(points[key[0]], points[key[1]])
            loop.append(lines[key])
        surfaces.append(occ.addPlaneSurface([occ.addCurveLoop(loop)]))
    volume = occ.addVolume([occ.addSurfaceLoop(surfaces)])
    if rounding <= 0:
        return volume
    filleted = occ.fillet([volume], list(lines.values()), [rounding], removeVolume=True)
    return filleted[0][1]


class PolyhedronShape(Shape):
    """A crystal-habit core with conformal shells."""

    type = "polyhedron"

    def parameters(self) -> dict:
        s = self.schema
        return {"habit": s.habit, "layer_names": list(self.region_names),
                "offsets_nm": [round(float(d), 9) for d in s.core.offsets],
                "rounding_radii_nm": [round(r, 9) for r in s.rounding_radii_nm],
                "core_rounding_nm": float(s.rounding_radius),
                **({"voids": [layer.name for layer in s.layers if layer.void]} if s.contact_pairs else {})}

    def _core_boundary_group(self) -> str:
        """The facet group that bounds the core: its interface with the next layer, the inner
        wall of a void around it, or the outer surface."""
        layers = self.schema.layers
        if len(layers) == 1:
            return SURFACE_NAME
        if layers[1].void:
            return contact_surface_name(layers[1].name, "inner")
        return interface_name(layers[0].name, layers[1].name)

    @property
    def bodies(self) -> list[Body]:
        """Without a void one body; with one, the yolk (the layers inside it) and the cage, each
        held on its own in full 3D: the yolk about its centre (:func:`~.shape.solid_support`),
        the cage at its vertices nearest (0, 0, +-R) and (R, 0, 0), R its extent
        (:func:`~.shape.hollow_support`; the octant's symmetry planes hold both)."""
        yolk = tuple(self.schema.yolk_layers)
        if not yolk:
            return super().bodies
        cage = tuple(name for name in self.region_names if name not in yolk)
        h, R = 0.5 * self.schema.core_equivalent_radius_nm, self.extent_nm
        origin = (0.0, 0.0, 0.0)
        return [Body(yolk, origin, solid_support(origin, h)), Body(cage, (R, 0.0, 0.0), hollow_support(origin, R))]

    def shell_normal(self, X: np.ndarray) -> np.ndarray:
        """Unit normals of the conformal shells at the points X (n, 3)."""
        return self.schema.core.outward_normals(X)

    def build(self, formulation: str) -> None:
        if formulation not in ("3d-octant", "3d"):
            raise ValueError(f"a polyhedron is meshed in 3d-octant or 3d, not {formulation!r}")
        import gmsh

        s = self.schema
        radii = [float(s.rounding_radius), *s.rounding_radii_nm[1:]]  # the core keeps its own rounding
        # outside in: each piece belongs to the innermost layer that holds it (a void's pieces are
        # removed by tag_physical_groups, their walls become the contact surfaces)
        labels = [VOID_PREFIX + layer.name if layer.void else layer.name for layer in s.layers]
        parts = [(label, add_polytope(s.core, r)) for label, r in reversed(list(zip(labels, radii)))]
        parts = symmetry_cut(parts, 3, self.extent_nm, formulation)
        regions = fragment_regions(parts, 3)
        groups = tag_physical_groups(self, 3, regions, formulation)
        core_boundary = groups[self._core_boundary_group()]
        if s.rounding_radius > 0:  # the core's rounded edges and corners
            self.edge_entities = (2, [f for f in core_boundary if gmsh.model.getType(2, f) != "Plane"])
        else:  # its sharp edges: curves whose midpoint lies on two face planes of the core
            curves = {abs(c) for _, c in gmsh.model.getBoundary([(2, f) for f in core_boundary], oriented=False)}
            N, d = s.core.normals, s.core.offsets
            tol = 1e-6 * self.extent_nm
            edges = []
            for c in sorted(curves):
                box = np.asarray(gmsh.model.getBoundingBox(1, c))
                mid = 0.5 * (box[:3] + box[3:])
                if int((np.abs(N @ mid - d) < tol).sum()) >= 2:
                    edges.append(c)
            self.edge_entities = (1, edges)
