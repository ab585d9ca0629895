"""The shape interface: what every geometry gives the rest of swellfem.

A :class:`Shape` wraps a validated geometry schema (:mod:`swellfem.case.shapes`) and adds the
gmsh side: it builds its entities and physical groups (named regions, interfaces, the outer
surface, symmetry planes or axis) for a formulation, and names the probe lines along which
profiles are sampled. Meshing, sizing, caching and everything downstream use only this
interface. Lengths in nm; the body's centre is the origin.
"""

from __future__ import annotations

import abc
import dataclasses
import json
from typing import Any, ClassVar

from ..case.shapes.polytopes import unit_vectors
from .tags import AXIS_NAME, SURFACE_NAME, SYMMETRY_TAGS, contact_surface_name, interface_name

Point3 = tuple[float, float, float]


@dataclasses.dataclass(frozen=True)
class ProbeSegment:
    """The part of a probe line inside one region, from ``start`` to ``end`` (nm, x y z)."""

    region: str
    start: Point3
    end: Point3


@dataclasses.dataclass(frozen=True)
class ProbeLine:
    """A straight line from ``start`` to ``end`` (nm). With ``segments`` it is sampled region by
    region (each segment from its own region's cells, so a point on an interface gets one value
    from each side); without, each point takes the region of the cell that holds it."""

    name: str
    segments: tuple[ProbeSegment, ...] = ()
    start: Point3 | None = None
    end: Point3 | None = None

    def __post_init__(self):
        if self.start is None and self.segments:
            object.__setattr__(self, "start", self.segments[0].start)
            object.__setattr__(self, "end", self.segments[-1].end)


#: point supports of a body in full 3D: (point, components held there), nm
Support = tuple[tuple[Point3, tuple[int, ...]], ...]


def solid_support(c: Point3, h: float) -> Support:
    """A 3-2-1 support about a point ``c`` inside the body: u = 0 at c, u_y = u_z = 0 at
    c + h e_x, u_z = 0 at c + h e_y (uniform swelling about c moves none of them)."""
    return ((c, (0, 1, 2)), ((c[0] + h, c[1], c[2]), (1, 2)), ((c[0], c[1] + h, c[2]), (2,)))


def hollow_support(c: Point3, r: float) -> Support:
    """A statically determinate support of a hollow body around ``c`` (a shell, a cage), at
    distance ``r``: u_x = u_y = 0 at c +- r e_z, u_y = u_z = 0 at c + r e_x. Uniform swelling
    about c moves none of them, and the body's position along x, y or z is that of its
    equator about that axis (as the axisymmetric anchor holds it): a yolk pushing it along an
    axis moves it as in the axisymmetric formulation. (u = 0 at one point of the shell would
    move its centre by that point's radial displacement, towards the point.)"""
    return (((c[0], c[1], c[2] + r), (0, 1)), ((c[0], c[1], c[2] - r), (0, 1)), ((c[0] + r, c[1], c[2]), (1, 2)))


@dataclasses.dataclass(frozen=True)
class ContactSurface:
    """A wall of a void: the facets of ``region`` that bound ``void``, the physical group ``name``."""

    name: str
    void: str
    region: str


@dataclasses.dataclass(frozen=True)
class Body:
    """A part of the mesh that holds together (regions bonded to each other), held against
    rigid motion on its own: u_z at ``anchor`` (axisymmetric; a mesh vertex there), or in full
    3D by the ``support`` (at the body's vertices nearest its points: :func:`solid_support`,
    :func:`hollow_support`). A ``free`` body (a particle loose in a cage) is held there only by
    weak springs, which carry nothing while it swells freely: once it touches, its contacts
    hold it and it moves where they push it. Lengths nm."""

    regions: tuple[str, ...]
    anchor: Point3
    support: Support
    free: bool = False


@dataclasses.dataclass(frozen=True)
class HeldMotion:
    """Rigid motions of free bodies (:attr:`Body.free`) that full 3D holds at zero exactly
    (:mod:`swellfem.physics.mechanisms`): the three rotations of the bodies of ``regions``
    together about ``rotation_centre`` (nm) if given, and their translations along
    ``translations`` (unit vectors). Either no frictionless contact resists them (a sphere's
    spin about its centre; particles turning together about the centre of a spherical cavity)
    or the arrangement's symmetry leaves none of them in the exact solution."""

    regions: tuple[str, ...]
    rotation_centre: Point3 | None = None
    translations: tuple[Point3, ...] = ()


class Shape(abc.ABC):
    """A geometry family. Subclasses set :attr:`type` (the ``geometry.type`` of case files)
    and implement :meth:`parameters` and :meth:`build`."""

    type: ClassVar[str]

    def __init__(self, schema: Any):
        self.schema = schema

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.parameters() == other.parameters()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((self.type, json.dumps(self.parameters(), sort_keys=True)))

    # --- what the schema already knows -------------------------------------------------

    @property
    def region_names(self) -> tuple[str, ...]:
        return tuple(self.schema.region_names)

    @property
    def interfaces(self) -> tuple[tuple[str, str], ...]:
        return tuple(self.schema.interfaces)

    @property
    def contact_pairs(self) -> tuple[tuple[str, str, str], ...]:
        """(pair, inner region, outer region) of every void (frictionless contact across it)."""
        return tuple(tuple(p) for p in getattr(self.schema, "contact_pairs", ()))

    @property
    def voids(self) -> dict[str, tuple[str, ...]]:
        """Every void: the regions that bound it."""
        return {void: tuple(regions) for void, regions in getattr(self.schema, "voids", {}).items()}

    @property
    def contact_surfaces(self) -> tuple[ContactSurface, ...]:
        """Every wall of every void, in facet-tag order (:func:`~.tags.contact_surface_tag`): a
        void with one contact pair across it has an ``inner`` and an ``outer`` wall; a void that
        more regions bound (particles in a cage) one wall per region."""
        single = {pair: (inner, outer) for pair, inner, outer in self.contact_pairs}
        out = []
        for void, regions in self.voids.items():
            if single.get(void) == tuple(regions):
                sides = ("inner", "outer")
            else:
                sides = regions
            out += [ContactSurface(contact_surface_name(void, side), void, region) for side, region in zip(sides, regions)]
        return tuple(out)

    @property
    def pair_voids(self) -> dict[str, str]:
        """The void each contact pair lies across."""
        return dict(getattr(self.schema, "pair_voids", {}))

    @property
    def contact_pair_surfaces(self) -> dict[str, tuple[int, int]]:
        """(slave, master) indices into :attr:`contact_surfaces` of every contact pair."""
        index = {(s.void, s.region): k for k, s in enumerate(self.contact_surfaces)}
        voids = self.pair_voids
        return {pair: (index[voids[pair], slave], index[voids[pair], master]) for pair, slave, master in self.contact_pairs}

    @property
    def formulations(self) -> tuple[str, ...]:
        return tuple(self.schema.formulations)

    @property
    def extent_nm(self) -> float:
        """Largest distance of the body from its centre, nm (sets tolerances)."""
        return float(self.schema.extent_nm)

    centre: Point3 = (0.0, 0.0, 0.0)

    #: (dim, entity tags) refined to the request's ``edge_size``: set by :meth:`build` where a
    #: shape has edges or corners that concentrate stress (a polyhedron's), else None
    edge_entities: tuple[int, list[int]] | None = None

    def shell_normal(self, X):
        """Unit normals (n, 3) of the shell surfaces through the reference points X (n, 3), nm:
        the direction of the transversely isotropic shell law. Radial about the centre here."""
        import numpy as np

        return unit_vectors(np.asarray(X, float) - np.asarray(self.centre))

    @property
    def bodies(self) -> list[Body]:
        """The separate bodies of the mesh (one unless voids part them)."""
        c, R = self.centre, self.extent_nm
        return [Body(self.region_names, getattr(self, "anchor", c), solid_support(c, R))]

    @property
    def held_motions(self) -> list[HeldMotion]:
        """The rigid motions of free bodies held at zero in full 3D (none unless a shape has
        free bodies)."""
        return []

    # --- physical groups ---------------------------------------------------------------

    def interface_names(self) -> list[str]:
        return [interface_name(a, b) for a, b in self.interfaces]

    def refinement_groups(self) -> list[str]:
        """Facet groups at which the mesh is refined to ``interface_size``: interfaces, the outer
        surface and both walls of every void."""
        walls = [surface.name for surface in self.contact_surfaces]
        return [*self.interface_names(), SURFACE_NAME, *walls]

    def symmetry_groups(self, formulation: str) -> list[str]:
        """Facet groups of the symmetry constraints of ``formulation``."""
        if formulation == "axisymmetric":
            return [AXIS_NAME]
        if formulation == "3d-octant":
            return list(SYMMETRY_TAGS)
        return []

    # --- what each shape implements ----------------------------------------------------

    @abc.abstractmethod
    def parameters(self) -> dict:
        """The geometric parameters (JSON-able) that the mesh depends on: part of the cache key."""

    @abc.abstractmethod
    def build(self, formulation: str) -> None:
        """Create the OCC entities of ``formulation`` in the current gmsh model, synchronise,
        and add the physical groups (regions, interfaces, surface, symmetry)."""

    def probe_lines(self) -> list[ProbeLine]:
        """The shape's default probe lines (its schema's ``default_lines``); a line named
        ``axis`` with region segments gives the axial profile."""
        return [ProbeLine(name, start=tuple(a), end=tuple(b)) for name, a, b in self.schema.default_lines()]
