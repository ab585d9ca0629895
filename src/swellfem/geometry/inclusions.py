"""Particles held by a carbon body (gmsh OCC): :class:`RodShape` and :class:`MatrixShape`.

Parts are listed outside in (film, host, particles) and fragmented (:mod:`.tagging`): every
particle's surface is a conforming interface with its host. In 2D-axisymmetric (particles on
the axis of a rod or of a spherical matrix) the meridian is built in the (x = r, y = z) plane
with a mesh vertex at the origin (where u_z is held).
"""

from __future__ import annotations

from ..case.shapes.polytopes import unit_vectors
from .shape import Shape
from .tagging import fragment_regions, symmetry_cut, tag_physical_groups


def _rod_solid(dim: int, radius: float, half_length: float, rounded: bool, film: float = 0.0) -> int:
    """A rod of ``radius`` along z from -half_length to half_length (caps included), offset by
    ``film`` (the rod + B(film)): a meridian surface (dim 2, both sides of the axis, cut later)
    or a volume (dim 3)."""
    import gmsh

    occ = gmsh.model.occ
    R, h = radius + film, half_length + film
    if rounded:
        a = half_length - radius  # half length of the axis segment
        if dim == 2:
            body = [(2, occ.addDisk(0, -a, 0, R, R)), (2, occ.addDisk(0, a, 0, R, R))]
            if a > 0:
                body.append((2, occ.addRectangle(-R, -a, 0, 2 * R, 2 * a)))
            fused = occ.fuse(body[:1], body[1:])[0] if len(body) > 1 else body
            return fused[0][1]
        body = [(3, occ.addSphere(0, 0, -a, R)), (3, occ.addSphere(0, 0, a, R))]
        if a > 0:
            body.append((3, occ.addCylinder(0, 0, -a, 0, 0, 2 * a, R)))
        return occ.fuse(body[:1], body[1:])[0][0][1]
    if dim == 2:
        return occ.addRectangle(-R, -h, 0, 2 * R, 2 * h, roundedRadius=film if film > 0 else 0.0)
    cyl = occ.addCylinder(0, 0, -h, 0, 0, 2 * h, R)
    if film <= 0:
        return cyl
    occ.synchronize()
    rims = [abs(c) for _, c in gmsh.model.getBoundary([(3, cyl)], combined=False, recursive=False, oriented=False)]
    edges = {abs(c) for s in rims for _, c in gmsh.model.getBoundary([(2, s)], oriented=False)}
    circles = [c for c in edges if gmsh.model.getType(1, c) == "Circle"]
    return occ.fillet([cyl], circles, [film], removeVolume=True)[0][1]


def _ball(dim: int, centre, radius: float) -> int:
    import gmsh

    occ = gmsh.model.occ
    x, y, z = centre
    if dim == 2:  # meridian: (r, z) = (x, z)
        return occ.addDisk(0, z, 0, radius, radius)
    return occ.addSphere(x, y, z, radius)


class _ParticleHostShape(Shape):
    def parameters(self) -> dict:
        s = self.schema
        return {"summary": s.summary(), "regions": list(self.region_names)}

    def _host_parts(self, dim: int) -> list[tuple[str, int]]:
        raise NotImplementedError

    def build(self, formulation: str) -> None:
        import gmsh

        if formulation not in self.schema.formulations:
            raise ValueError(f"{self.type} is meshed in {', '.join(self.schema.formulations)}, not {formulation!r}")
        dim = 2 if formulation == "axisymmetric" else 3
        s = self.schema
        parts = self._host_parts(dim)
        parts += [(name, _ball(dim, c, s.particles.radius)) for name, c in zip(s.particle_names, s.centres)]
        parts = symmetry_cut(parts, dim, self.extent_nm, formulation)
        extra = [(0, gmsh.model.occ.addPoint(0, 0, 0))] if dim == 2 else []
        regions = fragment_regions(parts, dim, extra=extra)
        tag_physical_groups(self, dim, regions, formulation)


class RodShape(_ParticleHostShape):
    """A rod along z with particles and an optional film (schema: :class:`swellfem.case.shapes.Rod`)."""

    type = "rod"

    def _host_parts(self, dim: int) -> list[tuple[str, int]]:
        s = self.schema
        rounded = s.ends == "rounded"
        parts = []
        if s.film:
            parts.append((s.film.name, _rod_solid(dim, s.radius, s.length / 2, rounded, film=s.film.thickness)))
        parts.append((s.name, _rod_solid(dim, s.radius, s.length / 2, rounded)))
        return parts

    def shell_normal(self, X):
        """The film's normal: away from the nearest point of the rod (its axis segment for
        rounded ends, the solid cylinder for flat ones)."""
        import numpy as np

        s = self.schema
        X = np.asarray(X, float)
        if s.ends == "rounded":
            a = s.half_segment_nm
            P = np.zeros_like(X)
            P[:, 2] = np.clip(X[:, 2], -a, a)
        else:
            rho = np.hypot(X[:, 0], X[:, 1])
            scale = np.minimum(1.0, s.radius / np.maximum(rho, 1e-300))
            P = np.stack([X[:, 0] * scale, X[:, 1] * scale, np.clip(X[:, 2], -s.length / 2, s.length / 2)], axis=1)
        return unit_vectors(X - P, tol=1e-12 * s.extent_nm)


class MatrixShape(_ParticleHostShape):
    """Particles in a spherical or box matrix (schema: :class:`swellfem.case.shapes.ParticlesInMatrix`)."""

    type = "particles-in-matrix"

    def _host_parts(self, dim: int) -> list[tuple[str, int]]:
        import gmsh

        s = self.schema
        occ = gmsh.model.occ
        if s.body == "sphere":
            return [(s.name, _ball(dim, (0.0, 0.0, 0.0), s.radius))]
        x, y, z = s.size
        return [(s.name, occ.addBox(-x / 2, -y / 2, -z / 2, x, y, z))]
