"""Spherical particles held by a carbon body: a rod or fibre (:class:`Rod`, e.g. Bi
nanoparticles in a carbon nanorod with an outer film) or a matrix (:class:`ParticlesInMatrix`,
e.g. Sb nanoparticles in porous carbon). Lengths nm; the body's centre is the origin and a
rod's axis is z.

Particles are listed (``positions``) or placed at random (``count`` or ``volume_fraction``,
``seed``): random sequential addition, each particle whole inside the body with at least
``min_gap`` of carbon between it and the body's surface and every other particle. Each particle
is a region of its own, ``<name>[k]``, and the set is summarised as the group ``<name>``.
"""

from __future__ import annotations

import math
import random
from functools import cached_property
from typing import Annotated, Literal

from pydantic import Field, model_validator

from ..base import LengthNm, PointNm, RegionName, Strict, _quantity
from .base import ShapeSchema

GapNm = Annotated[float, _quantity("length"), Field(ge=0)]
#: random placement gives up after this many tries per particle
TRIES_PER_PARTICLE = 2000
MAX_TRIES = 200_000


class ParticleSet(Strict):
    """Spherical particles of one material: listed, or placed at random."""

    name: RegionName
    material: str
    radius: LengthNm
    positions: Annotated[list[PointNm], Field(min_length=1, max_length=2000)] | None = None
    count: Annotated[int, Field(ge=1, le=2000)] | None = None
    volume_fraction: Annotated[float, Field(gt=0, lt=0.6)] | None = None
    seed: Annotated[int, Field(ge=0)] = 0
    min_gap: GapNm = "2 nm"  # type: ignore[assignment]

    @model_validator(mode="after")
    def _one_placement(self) -> "ParticleSet":
        given = [k for k in ("positions", "count", "volume_fraction") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of positions, count and volume_fraction")
        return self

    @property
    def random(self) -> bool:
        return self.positions is None

    def region_name(self, k: int) -> str:
        return f"{self.name}[{k}]"

    @property
    def volume_nm3(self) -> float:
        """The volume of one particle, nm^3."""
        return 4 / 3 * math.pi * self.radius**3


class Film(Strict):
    """An outer film of uniform thickness around the body (e.g. a carbon coating)."""

    name: RegionName
    material: str
    thickness: LengthNm


class HostWithParticles(ShapeSchema):
    """What rods and matrices share: a host region, an optional film, particles inside."""

    name: RegionName
    material: str
    particles: ParticleSet

    # --- what each host implements -------------------------------------------------------

    def clearance(self, point: tuple[float, float, float]) -> float:
        """Distance from ``point`` inside the host to the host's surface (negative outside), nm."""
        raise NotImplementedError

    def bounding_half_sizes(self) -> tuple[float, float, float]:
        raise NotImplementedError

    @property
    def host_volume_nm3(self) -> float:
        raise NotImplementedError

    @property
    def axisymmetric_host(self) -> bool:
        return False

    @property
    def film_name(self) -> str | None:
        film = getattr(self, "film", None)
        return film.name if film else None

    # --- placement ---------------------------------------------------------------------

    @cached_property
    def centres(self) -> list[tuple[float, float, float]]:
        """Particle centres, nm: the listed ones, or placed at random (reproducible by seed)."""
        p = self.particles
        if p.positions is not None:
            return [tuple(map(float, c)) for c in p.positions]
        n = p.count if p.count is not None else round(p.volume_fraction * self.host_volume_nm3 / p.volume_nm3)
        if n < 1:
            raise ValueError(f"volume_fraction {p.volume_fraction:g} is less than one particle in this body")
        rng = random.Random(p.seed)
        half = self.bounding_half_sizes()
        placed: list[tuple[float, float, float]] = []
        tries = 0
        while len(placed) < n:
            tries += 1
            if tries > min(TRIES_PER_PARTICLE * n, MAX_TRIES):
                raise ValueError(
                    f"could place only {len(placed)} of {n} particles of radius {p.radius:g} nm with min_gap "
                    f"{p.min_gap:g} nm; lower count, volume_fraction, radius or min_gap")
            c = tuple(rng.uniform(-h, h) for h in half)
            if self.clearance(c) < p.radius + p.min_gap:
                continue
            if all(math.dist(c, q) >= 2 * p.radius + p.min_gap for q in placed):
                placed.append(c)
        return placed

    def _check_particles(self) -> None:
        p = self.particles
        for k, c in enumerate(self.centres):
            room = self.clearance(c)
            if room < p.radius + p.min_gap:
                where = ", ".join(f"{x:g}" for x in c)
                raise ValueError(f"particle {k} at ({where}) nm does not fit in the {self.name}: it needs "
                                 f"{p.radius:g} + {p.min_gap:g} nm (radius + min_gap) to its surface, and has "
                                 f"{max(room, 0.0):.3g} nm")
        for i, a in enumerate(self.centres):
            for j in range(i):
                b = self.centres[j]
                if math.dist(a, b) < 2 * p.radius + p.min_gap:
                    raise ValueError(f"particles {j} and {i} overlap or touch: centres {math.dist(a, b):.3g} nm apart, "
                                     f"at least {2 * p.radius + p.min_gap:g} nm needed (2 radii + min_gap)")
        names = [self.name, *([self.film_name] if self.film_name else []), p.name]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"region name '{name}' is used twice")

    @property
    def particle_volume_fraction(self) -> float:
        """The particles' share of the host's volume."""
        return len(self.centres) * self.particles.volume_nm3 / self.host_volume_nm3

    @property
    def on_axis(self) -> bool:
        """Every particle centre on the z axis."""
        tol = 1e-9 * self.extent_nm
        return all(abs(c[0]) <= tol and abs(c[1]) <= tol for c in self.centres)

    @property
    def formulations(self) -> tuple[str, ...]:  # type: ignore[override]
        if self.axisymmetric_host and self.on_axis:
            return ("axisymmetric", "3d")
        return ("3d",)

    # --- regions -----------------------------------------------------------------------

    @property
    def particle_names(self) -> list[str]:
        return [self.particles.region_name(k) for k in range(len(self.centres))]

    @property
    def region_names(self) -> list[str]:
        return [self.name, *([self.film_name] if self.film_name else []), *self.particle_names]

    @property
    def region_materials(self) -> dict[str, str]:
        out = {self.name: self.material}
        if self.film_name:
            out[self.film_name] = self.film.material
        out.update({n: self.particles.material for n in self.particle_names})
        return out

    @property
    def material_keys(self) -> dict[str, str]:
        out = {self.name: "geometry.material"}
        if self.film_name:
            out[self.film_name] = "geometry.film.material"
        out.update({n: "geometry.particles.material" for n in self.particle_names})
        return out

    @property
    def interfaces(self) -> list[tuple[str, str]]:
        out = [(n, self.name) for n in self.particle_names]
        if self.film_name:
            out.append((self.name, self.film_name))
        return out

    @property
    def region_centres(self) -> dict[str, tuple[float, float, float]]:
        out = {name: (0.0, 0.0, 0.0) for name in self.region_names}
        out.update(dict(zip(self.particle_names, self.centres)))
        return out

    @property
    def region_radii(self) -> dict[str, float]:
        return {n: self.particles.radius for n in self.particle_names}

    @property
    def region_groups(self) -> dict[str, list[str]]:
        return {self.particles.name: self.particle_names}

    @property
    def smallest_gap_nm(self) -> float:
        """The least carbon between a particle and the body's surface or another particle, nm."""
        r = self.particles.radius
        gaps = [self.clearance(c) - r for c in self.centres]
        gaps += [math.dist(a, b) - 2 * r for i, a in enumerate(self.centres) for b in self.centres[:i]]
        return min(gaps)

    @property
    def thinnest_feature_nm(self) -> float:
        sizes = [2 * self.particles.radius, self.smallest_gap_nm]
        if self.film_name:
            sizes.append(self.film.thickness)
        return min(sizes)

    def _particles_line(self) -> list[tuple[str, tuple, tuple]]:
        """A line along x through the first particle's centre, across the body."""
        c = self.centres[0]
        half = self.extent_nm
        return [(f"through-{self.particle_names[0]}", (-half, c[1], c[2]), (half, c[1], c[2]))]

    def _describe_particles(self) -> str:
        p = self.particles
        how = (f"at random (seed {p.seed}, min_gap {p.min_gap:g} nm)" if p.random else "at listed positions")
        fraction = self.particle_volume_fraction
        return (f"{len(self.centres)} {p.name} particles of radius {p.radius:g} nm {how}, "
                f"{100 * fraction:.3g} % of the {self.name} by volume")

    def _summary_particles(self) -> dict:
        p = self.particles
        return {"particle_radius_nm": p.radius, "particle_count": len(self.centres),
                "particle_centres_nm": {n: list(c) for n, c in zip(self.particle_names, self.centres)},
                "particle_volume_fraction": self.particle_volume_fraction,
                "placement": "random" if p.random else "listed", "seed": p.seed if p.random else None,
                "min_gap_nm": p.min_gap, "smallest_gap_nm": self.smallest_gap_nm}


class Rod(HostWithParticles):
    """A carbon rod or fibre along z holding spherical particles, with an optional outer film."""

    type: Literal["rod"]
    radius: LengthNm
    length: LengthNm  # end to end (caps included)
    ends: Literal["rounded", "flat"] = "rounded"
    film: Film | None = None  # type: ignore[assignment]

    @model_validator(mode="after")
    def _consistent(self) -> "Rod":
        if self.ends == "rounded" and self.length < 2 * self.radius:
            raise ValueError(f"a rod with rounded ends is at least 2 radii long ({2 * self.radius:g} nm), "
                             f"not {self.length:g} nm")
        self._check_particles()
        return self

    @property
    def half_segment_nm(self) -> float:
        """Half length of the axis segment whose offset by the radius is a rounded rod, nm."""
        return self.length / 2 - self.radius

    def clearance(self, point) -> float:
        x, y, z = point
        rho = math.hypot(x, y)
        if self.ends == "rounded":
            h = self.half_segment_nm
            return self.radius - math.hypot(rho, max(abs(z) - h, 0.0))
        return min(self.radius - rho, self.length / 2 - abs(z))

    def bounding_half_sizes(self) -> tuple[float, float, float]:
        return (self.radius, self.radius, self.length / 2)

    @property
    def axisymmetric_host(self) -> bool:
        return True

    @property
    def host_volume_nm3(self) -> float:
        R = self.radius
        if self.ends == "rounded":
            return math.pi * R**2 * 2 * self.half_segment_nm + 4 / 3 * math.pi * R**3
        return math.pi * R**2 * self.length

    @property
    def outer_radius_nm(self) -> float:
        return self.radius + (self.film.thickness if self.film else 0.0)

    @property
    def outer_half_length_nm(self) -> float:
        return self.length / 2 + (self.film.thickness if self.film else 0.0)

    @property
    def extent_nm(self) -> float:
        if self.ends == "rounded":
            return self.half_segment_nm + self.outer_radius_nm
        return math.hypot(self.outer_radius_nm, self.outer_half_length_nm)

    def mesh_measures(self, formulation: str) -> tuple[float, float]:
        R, L = self.outer_radius_nm, 2 * self.outer_half_length_nm
        r, n = self.particles.radius, len(self.centres)
        if formulation == "axisymmetric":
            return R * L, 2 * (R + L) + n * math.pi * r + (2 * (self.radius + self.length) if self.film else 0.0)
        return (math.pi * R**2 * L,
                2 * math.pi * R * (R + L) * (2 if self.film else 1) + n * 4 * math.pi * r**2)

    def default_lines(self) -> list[tuple[str, tuple, tuple]]:
        h = self.outer_half_length_nm
        lines = [("axis", (0.0, 0.0, -h), (0.0, 0.0, h))]
        return lines if self.on_axis else lines + self._particles_line()

    def describe(self) -> str:
        film = f" in a {self.film.thickness:g} nm film '{self.film.name}'" if self.film else ""
        return (f"rod '{self.name}' of radius {self.radius:g} nm, {self.length:g} nm long ({self.ends} ends){film}, "
                f"holding {self._describe_particles()}")

    def summary(self) -> dict:
        return {"type": self.type, "rod_radius_nm": self.radius, "rod_length_nm": self.length, "ends": self.ends,
                "film_thickness_nm": self.film.thickness if self.film else None, **self._summary_particles()}


class ParticlesInMatrix(HostWithParticles):
    """Spherical particles in a matrix body: a sphere (``radius``) or a box (``size``)."""

    type: Literal["particles-in-matrix"]
    body: Literal["sphere", "box"] = "sphere"
    radius: LengthNm | None = None  # of a spherical body
    size: tuple[LengthNm, LengthNm, LengthNm] | None = None  # edge lengths of a box, x y z

    @model_validator(mode="after")
    def _consistent(self) -> "ParticlesInMatrix":
        if self.body == "sphere" and (self.radius is None or self.size is not None):
            raise ValueError("a spherical matrix needs radius (and no size)")
        if self.body == "box" and (self.size is None or self.radius is not None):
            raise ValueError("a box matrix needs size = [x, y, z] (and no radius)")
        self._check_particles()
        return self

    def clearance(self, point) -> float:
        if self.body == "sphere":
            return self.radius - math.hypot(*point)
        return min(s / 2 - abs(x) for s, x in zip(self.size, point))

    def bounding_half_sizes(self) -> tuple[float, float, float]:
        if self.body == "sphere":
            return (self.radius,) * 3
        return tuple(s / 2 for s in self.size)

    @property
    def axisymmetric_host(self) -> bool:
        return self.body == "sphere"

    @property
    def host_volume_nm3(self) -> float:
        if self.body == "sphere":
            return 4 / 3 * math.pi * self.radius**3
        return math.prod(self.size)

    @property
    def extent_nm(self) -> float:
        return self.radius if self.body == "sphere" else math.hypot(*self.size) / 2

    def mesh_measures(self, formulation: str) -> tuple[float, float]:
        r, n = self.particles.radius, len(self.centres)
        if formulation == "axisymmetric":
            R = self.radius
            return math.pi * R**2 / 2, math.pi * R + n * math.pi * r
        area = 4 * math.pi * self.radius**2 if self.body == "sphere" else 2 * (
            self.size[0] * self.size[1] + self.size[1] * self.size[2] + self.size[0] * self.size[2])
        return self.host_volume_nm3, area + n * 4 * math.pi * r**2

    def default_lines(self) -> list[tuple[str, tuple, tuple]]:
        h = self.bounding_half_sizes()
        return [("z-axis", (0.0, 0.0, -h[2]), (0.0, 0.0, h[2]))] + self._particles_line()

    def describe(self) -> str:
        body = (f"a sphere '{self.name}' of radius {self.radius:g} nm" if self.body == "sphere"
                else f"a box '{self.name}' of {' x '.join(f'{s:g}' for s in self.size)} nm")
        return f"{self._describe_particles()} in {body}"

    def summary(self) -> dict:
        return {"type": self.type, "body": self.body, "matrix_radius_nm": self.radius,
                "matrix_size_nm": list(self.size) if self.size else None, **self._summary_particles()}



