"""Particles in a hollow cage (gmsh OCC): :class:`CageShape` (schema:
:class:`swellfem.case.shapes.ParticlesInCage`).

Parts from the outside in: the cage (a ball of the outer radius), the void (a ball of the inner
radius, a ``void:`` part that is not meshed) and the particles; fragmented and tagged by
:mod:`.tagging`, so that the void's walls become one contact surface per region. Every particle
and the cage are separate bodies, each held on its own (:attr:`CageShape.bodies`).
2D-axisymmetric (particles on the z axis) meshes the meridian in the (x = r, y = z) plane with a
mesh vertex at each body's anchor; full 3D the whole cage.
"""

from __future__ import annotations

from .inclusions import _ball
from .shape import Body, HeldMotion, ProbeLine, ProbeSegment, Shape, hollow_support, solid_support
from .tagging import fragment_regions, symmetry_cut, tag_physical_groups
from .tags import VOID_PREFIX


class CageShape(Shape):
    """Particles inside a spherical cage with a void between them."""

    type = "particles-in-cage"

    def parameters(self) -> dict:
        s = self.schema
        return {"summary": s.summary(), "regions": list(self.region_names), "void": s.void,
                "pairs": [list(p) for p in s.contact_pairs]}

    @property
    def bodies(self) -> list[Body]:
        """Each particle about its centre (free or fixed: the schema's ``hold``); the cage at its
        wall's mid-surface (equator)."""
        s = self.schema
        r = s.particles.radius
        mid = s.cavity_radius_nm + 0.5 * s.thickness
        free = s.hold == "free"
        out = [Body((name,), c, solid_support(c, r / 2), free=free) for name, c in zip(s.particle_names, s.centres)]
        return out + [Body((s.name,), (mid, 0.0, 0.0), hollow_support((0.0, 0.0, 0.0), mid))]

    @property
    def held_motions(self) -> list[HeldMotion]:
        """Free spherical particles, in full 3D: each one's spin about its centre (its contact
        normals all pass through it). Set evenly, each particle's sideways translations too
        (across the direction from the cage's centre; a centred one's every translation): the
        arrangement's symmetry leaves it only its motion along that direction, and just after
        it touches its contacts hardly resist the others. Listed or random positions: all
        particles turning together about the cage's centre instead (the cavity is a sphere:
        two particles on a diameter roll round it keeping both contacts). Fixed particles: none."""
        s = self.schema
        if s.hold != "free":
            return []
        if s.arrangement == "even" and s.particles.positions is None:
            out = []
            for name, c in zip(s.particle_names, s.centres):
                out.append(HeldMotion((name,), rotation_centre=c, translations=_across(c)))
            return out
        out = [HeldMotion((name,), rotation_centre=c) for name, c in zip(s.particle_names, s.centres)]
        if len(out) > 1:
            out.append(HeldMotion(tuple(s.particle_names), rotation_centre=(0.0, 0.0, 0.0)))
        return out

    def probe_lines(self) -> list[ProbeLine]:
        """``axis``: the z axis through the cage wall below, the particles on the axis (bottom
        to top) and the wall above, region by region (the void left out)."""
        s = self.schema
        R, b, r = s.outer_radius_nm, s.cavity_radius_nm, s.particles.radius
        tol = 1e-9 * R
        on_axis = sorted((c[2], name) for name, c in zip(s.particle_names, s.centres)
                         if abs(c[0]) <= tol and abs(c[1]) <= tol)
        segments = [ProbeSegment(s.name, (0.0, 0.0, -R), (0.0, 0.0, -b))]
        segments += [ProbeSegment(name, (0.0, 0.0, z - r), (0.0, 0.0, z + r)) for z, name in on_axis]
        segments.append(ProbeSegment(s.name, (0.0, 0.0, b), (0.0, 0.0, R)))
        return [ProbeLine("axis", tuple(segments))]

    def build(self, formulation: str) -> None:
        import gmsh

        s = self.schema
        if formulation not in s.formulations:
            raise ValueError(f"{self.type} is meshed in {', '.join(s.formulations)}, not {formulation!r}"
                             + (" (particles off the z axis need full 3D)" if formulation == "axisymmetric" else ""))
        dim = 2 if formulation == "axisymmetric" else 3
        origin = (0.0, 0.0, 0.0)
        parts = [(s.name, _ball(dim, origin, s.outer_radius_nm)),
                 (VOID_PREFIX + s.void, _ball(dim, origin, s.cavity_radius_nm))]
        parts += [(name, _ball(dim, c, s.particles.radius)) for name, c in zip(s.particle_names, s.centres)]
        parts = symmetry_cut(parts, dim, self.extent_nm, formulation)
        extra = []
        if dim == 2:  # a mesh vertex at each body's anchor, where u_z is held
            extra = [(0, gmsh.model.occ.addPoint(body.anchor[0], body.anchor[2], 0)) for body in self.bodies]
        regions = fragment_regions(parts, dim, extra)
        tag_physical_groups(self, dim, regions, formulation)


def _across(c) -> tuple[tuple[float, float, float], ...]:
    """Unit vectors across the direction of ``c`` from the origin (all three axes at the origin)."""
    import numpy as np

    n = np.asarray(c, dtype=float)
    length = float(np.linalg.norm(n))
    if length == 0.0:
        return ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))
    n = n / length
    helper = np.eye(3)[int(np.argmin(np.abs(n)))]
    t1 = np.cross(n, helper)
    t1 /= np.linalg.norm(t1)
    t2 = np.cross(n, t1)
    return tuple(tuple(float(x) for x in t) for t in (t1, t2))
