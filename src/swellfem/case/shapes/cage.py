"""Particles in a hollow carbon cage (:class:`ParticlesInCage`): several yolks in one shell,
e.g. Bi nanoparticles inside the nanocages of a carbon framework (Bi@N-CNCs). Lengths nm; the
cage's centre is the origin.

The cage is a spherical shell (``thickness``) whose inside, of ``inner_radius`` or of the
``void_fraction`` left by the particles, holds spherical particles with empty space between
them and the wall. Each particle is a region of its own (``<name>[k]``, the group ``<name>``),
and one void surrounds them all: every particle may touch the cage's inner wall and its
neighbours (frictionless contact, one contact pair each).

Placement: listed ``positions``, or a ``count`` of particles set ``even``\\ ly (the default: at
the vertices of a regular arrangement, at the distance from the centre at which each particle,
swelling freely about its centre, touches its nearest neighbours just as it touches the cage)
or at ``random`` (random sequential addition with ``min_gap``). The particles are ``free`` by
default: nothing holds them but their contacts once they touch (``fixed``: each held where it sits).
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator

from ..base import LengthNm, RegionName
from .inclusions import HostWithParticles

#: unit directions of the even arrangements, by particle count
_GOLDEN = (1 + 5 ** 0.5) / 2
EVEN_DIRECTIONS: dict[int, list[tuple[float, float, float]]] = {
    1: [(0.0, 0.0, 0.0)],
    2: [(0.0, 0.0, 1.0), (0.0, 0.0, -1.0)],
    3: [(math.cos(a), math.sin(a), 0.0) for a in (0.0, 2 * math.pi / 3, 4 * math.pi / 3)],
    4: [(1.0, 1.0, 1.0), (1.0, -1.0, -1.0), (-1.0, 1.0, -1.0), (-1.0, -1.0, 1.0)],
    6: [(1.0, 0.0, 0.0), (-1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, -1.0, 0.0), (0.0, 0.0, 1.0), (0.0, 0.0, -1.0)],
    8: [(x, y, z) for x in (-1.0, 1.0) for y in (-1.0, 1.0) for z in (-1.0, 1.0)],
    12: [p for s in (-1.0, 1.0) for t in (-1.0, 1.0)
         for p in ((0.0, s, t * _GOLDEN), (s, t * _GOLDEN, 0.0), (t * _GOLDEN, 0.0, s))],
}
#: a pair of particles further apart than this times the nearest pair's distance cannot touch
#: (nearer particles stand between them): no contact pair for it
NEIGHBOUR_REACH = 1.5


def _unit_directions(count: int) -> np.ndarray:
    """The unit directions (count, 3) of the even arrangement of ``count`` particles (>= 2);
    ValueError where there is none."""
    if count not in EVEN_DIRECTIONS:
        raise ValueError(f"an even arrangement is defined for {', '.join(map(str, EVEN_DIRECTIONS))} particles, "
                         f"not {count}: list positions or set arrangement = \"random\"")
    u = np.array(EVEN_DIRECTIONS[count], float)
    return u / np.linalg.norm(u, axis=1)[:, None]


def _half_angle(u: np.ndarray) -> float:
    """Half the angle between the nearest of the unit directions ``u``."""
    cosines = (u @ u.T)[~np.eye(len(u), dtype=bool)]
    return 0.5 * math.acos(float(np.clip(cosines.max(), -1.0, 1.0)))


def even_cage_radius_min(count: int, radius: float) -> float:
    """The smallest inner radius of a cage that holds ``count`` particles of ``radius`` set
    evenly without touching (nm): a (1 + sin(theta / 2)) / sin(theta / 2), ``radius`` for one.
    ValueError where no even arrangement of ``count`` exists."""
    if count == 1:
        return radius
    s = math.sin(_half_angle(_unit_directions(count)))
    return radius * (1 + s) / s


def even_arrangement(count: int, inner_radius: float) -> list[tuple[float, float, float]]:
    """Centres (nm) of ``count`` particles set evenly in a cage of ``inner_radius``: directions
    of a regular arrangement with nearest-neighbour angle theta, at the distance
    d = b / (1 + sin(theta / 2)) from the centre, where a particle that reaches its cage
    (radius b - d) reaches its nearest neighbours too (d sin(theta / 2)). One particle: the centre."""
    if count == 1:
        return [(0.0, 0.0, 0.0)]
    u = _unit_directions(count)
    d = inner_radius / (1 + math.sin(_half_angle(u)))
    return [tuple(float(x) for x in d * v) for v in u]


class ParticlesInCage(HostWithParticles):
    """Spherical particles inside a hollow spherical cage, with a void between them."""

    type: Literal["particles-in-cage"]
    thickness: LengthNm  # of the cage wall
    inner_radius: LengthNm | None = None
    #: the void's share of the cage's inside as built (instead of inner_radius)
    void_fraction: Annotated[float, Field(gt=0, lt=1)] | None = None
    arrangement: Literal["even", "random"] = "even"
    #: free: each particle is held only by its contacts once it touches (weak springs hold it
    #: while it swells freely); fixed: held where it sits, its net contact force carried by a
    #: body force (physics/holding.py), as a yolk bonded to its cage by carbon bridges
    hold: Literal["free", "fixed"] = "free"
    #: the name of the void (its walls are the contact surfaces ``contact:<void>:<region>``)
    void: RegionName = "void"

    @model_validator(mode="after")
    def _consistent(self) -> "ParticlesInCage":
        if (self.inner_radius is None) == (self.void_fraction is None):
            raise ValueError("give the cage's inner_radius or its void_fraction (one of them)")
        p = self.particles
        if p.volume_fraction is not None:
            raise ValueError("particles in a cage are placed by positions or count (the cage's void_fraction sets "
                             "how much room they have)")
        if p.positions is not None and self.void_fraction is not None:
            raise ValueError("listed positions need the cage's inner_radius (not void_fraction)")
        self._check_cage()
        return self

    # --- sizes -------------------------------------------------------------------------

    @property
    def particle_count(self) -> int:
        p = self.particles
        return len(p.positions) if p.positions is not None else int(p.count)

    @property
    def cavity_radius_nm(self) -> float:
        """The cage's inner radius, nm: given, or from the void fraction
        (N a^3 = (1 - void_fraction) b^3)."""
        if self.inner_radius is not None:
            return float(self.inner_radius)
        return self.particles.radius * (self.particle_count / (1.0 - self.void_fraction)) ** (1 / 3)

    @property
    def outer_radius_nm(self) -> float:
        return self.cavity_radius_nm + self.thickness

    @property
    def initial_void_fraction(self) -> float:
        return 1.0 - self.particle_volume_fraction

    # --- placement (HostWithParticles) ---------------------------------------------------

    def clearance(self, point) -> float:
        return self.cavity_radius_nm - math.hypot(*point)

    def bounding_half_sizes(self) -> tuple[float, float, float]:
        return (self.cavity_radius_nm,) * 3

    @property
    def host_volume_nm3(self) -> float:
        """The inside of the cage (particles and void), nm^3."""
        return 4 / 3 * math.pi * self.cavity_radius_nm**3

    @property
    def axisymmetric_host(self) -> bool:
        return True

    @cached_property
    def centres(self) -> list[tuple[float, float, float]]:
        p = self.particles
        if p.positions is None and self.arrangement == "even":
            return even_arrangement(int(p.count), self.cavity_radius_nm)
        return HostWithParticles.centres.func(self)  # listed, or random sequential addition

    def _check_cage(self) -> None:
        p = self.particles
        names = [self.name, p.name, self.void]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"name '{name}' is used twice (cage, particles, void)")
        tol = 1e-6 * p.radius
        if p.positions is None and self.arrangement == "even":
            n = int(p.count)
            b_min = even_cage_radius_min(n, p.radius)
            if self.cavity_radius_nm <= b_min * (1 + 1e-6):
                raise ValueError(f"{n} particles of radius {p.radius:g} nm set evenly need a cage of inner radius above "
                                 f"{b_min:.4g} nm (void fraction above {1 - n * (p.radius / b_min) ** 3:.3g}); "
                                 f"this one has {self.cavity_radius_nm:.4g} nm")
        for k, c in enumerate(self.centres):
            if self.clearance(c) - p.radius <= tol:
                where = ", ".join(f"{x:.4g}" for x in c)
                raise ValueError(f"particle {k} at ({where}) nm does not fit in the cage of inner radius "
                                 f"{self.cavity_radius_nm:.4g} nm: it would touch or cross the wall (radius {p.radius:g} nm)")
        for i, a in enumerate(self.centres):
            for j in range(i):
                if math.dist(a, self.centres[j]) - 2 * p.radius <= tol:
                    raise ValueError(f"particles {j} and {i} overlap or touch: centres {math.dist(a, self.centres[j]):.4g} nm "
                                     f"apart, radius {p.radius:g} nm (more void, fewer or smaller particles)")

    # --- regions and contact ---------------------------------------------------------------

    @property
    def interfaces(self) -> list[tuple[str, str]]:
        """None: the void separates every particle from the cage."""
        return []

    @property
    def neighbour_pairs(self) -> list[tuple[int, int]]:
        """Particle pairs (j, i), j < i, that may touch: centres at most :data:`NEIGHBOUR_REACH`
        times the nearest pair's distance apart."""
        c = self.centres
        pairs = [(j, i, math.dist(c[i], c[j])) for i in range(len(c)) for j in range(i)]
        if not pairs:
            return []
        nearest = min(d for _, _, d in pairs)
        return [(j, i) for j, i, d in pairs if d <= NEIGHBOUR_REACH * nearest * (1 + 1e-9)]

    @property
    def contact_pairs(self) -> list[tuple[str, str, str]]:
        """Each particle against the cage (``<particle>|<cage>``) and against each neighbour
        (``<particle>|<particle>``, the later particle the slave)."""
        names = self.particle_names
        pairs = [(f"{p}|{self.name}", p, self.name) for p in names]
        pairs += [(f"{names[i]}|{names[j]}", names[i], names[j]) for j, i in self.neighbour_pairs]
        return pairs

    @property
    def voids(self) -> dict[str, list[str]]:
        return {self.void: [self.name, *self.particle_names]}

    @property
    def pair_voids(self) -> dict[str, str]:
        return {pair: self.void for pair, _, _ in self.contact_pairs}

    # --- what the rest of swellfem asks ----------------------------------------------------

    @property
    def extent_nm(self) -> float:
        return self.outer_radius_nm

    @property
    def thinnest_feature_nm(self) -> float:
        return min(2 * self.particles.radius, self.thickness)  # the void has no cells to resolve

    def mesh_measures(self, formulation: str) -> tuple[float, float]:
        R, b, r, n = self.outer_radius_nm, self.cavity_radius_nm, self.particles.radius, self.particle_count
        if formulation == "axisymmetric":
            return math.pi * (R**2 - b**2 + n * r**2) / 2, math.pi * (R + b + n * r)
        return 4 / 3 * math.pi * (R**3 - b**3 + n * r**3), 4 * math.pi * (R**2 + b**2 + n * r**2)

    def default_lines(self) -> list[tuple[str, tuple, tuple]]:
        R = self.outer_radius_nm
        return [("z-axis", (0.0, 0.0, -R), (0.0, 0.0, R))]

    def describe(self) -> str:
        p = self.particles
        how = {"even": "set evenly", "random": f"at random (seed {p.seed}, min_gap {p.min_gap:g} nm)"}[self.arrangement] \
            if p.positions is None else "at listed positions"
        return (f"{self.particle_count} {p.name} particles of radius {p.radius:g} nm {how} in a cage '{self.name}' "
                f"of inner radius {self.cavity_radius_nm:.4g} nm and wall {self.thickness:g} nm; "
                f"void fraction {self.initial_void_fraction:.3g}")

    def summary(self) -> dict:
        return {"type": self.type, "cage_inner_radius_nm": self.cavity_radius_nm, "cage_thickness_nm": self.thickness,
                "particle_hold": self.hold,
                "void_fraction": self.initial_void_fraction, **self._summary_particles(),
                "placement": "listed" if self.particles.positions is not None else self.arrangement}
