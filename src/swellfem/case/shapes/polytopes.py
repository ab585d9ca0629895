"""Convex polyhedra of crystal habits, as half-spaces n . x <= d about the origin (lengths nm).

A rounded polyhedron is the Minkowski sum P' + B(r) of a sharp one P' and a ball: flat faces,
cylindrical edges and spherical corners of radius r. A core with corner rounding rho is
P' + B(rho) with P' the sharp habit moved in by rho; a conformal shell of uniform thickness
t around a body P' + B(r) is P' + B(r + t). Its volume is Steiner's polynomial
V + S r + M r^2 + 4/3 pi r^3 (M = sum over edges of length x exterior angle / 2), and its
outward normal at a point X is X - p(X) over its length, with p(X) the point of P' nearest X.
Pure numpy; no gmsh.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math

import numpy as np


def unit_vectors(D: np.ndarray, tol: float = 0.0) -> np.ndarray:
    """The rows of D (n, 3) scaled to unit length; e_z where a row is not longer than ``tol``."""
    D = np.asarray(D, float)
    length = np.linalg.norm(D, axis=1)
    out = np.zeros_like(D)
    out[:, 2] = 1.0
    ok = length > tol
    out[ok] = D[ok] / length[ok, None]
    return out


def _signed(v, signs):
    return [tuple(float(a * s) for a, s in zip(v, sg)) for sg in signs]


def _orbit(v) -> list[tuple[float, ...]]:
    """Every coordinate permutation and sign change of ``v``, without repeats."""
    out = set()
    for perm in itertools.permutations(v):
        for sg in itertools.product((-1.0, 1.0), repeat=3):
            out.add(tuple(float(a * s) + 0.0 for a, s in zip(perm, sg)))
    return sorted(out)


#: Face normals (not normalised) and one vertex set of each habit; the faces are at the largest
#: n . v of the vertex set.
HABITS: dict[str, tuple[list, list]] = {
    "cube": (_orbit((1, 0, 0)), _orbit((1, 1, 1))),
    "octahedron": (_orbit((1, 1, 1)), _orbit((1, 0, 0))),
    "rhombic-dodecahedron": (_orbit((1, 1, 0)), _orbit((1, 1, 1)) + _orbit((2, 0, 0))),
    "truncated-octahedron": (_orbit((1, 0, 0)) + _orbit((1, 1, 1)), _orbit((0, 1, 2))),
}

_TOL = 1e-9


@dataclasses.dataclass(frozen=True, eq=False)
class Polytope:
    """The convex polyhedron {x : normals . x <= offsets} (unit normals (f, 3), offsets (f,) nm)."""

    normals: np.ndarray
    offsets: np.ndarray

    @classmethod
    def habit(cls, name: str, scale: float = 1.0) -> "Polytope":
        """The habit ``name`` with its canonical vertices (HABITS) times ``scale``."""
        normals, vertices = HABITS[name]
        N = np.asarray(normals, float)
        N /= np.linalg.norm(N, axis=1)[:, None]
        V = np.asarray(vertices, float)
        return cls(N, scale * (V @ N.T).max(axis=0))

    def moved(self, distance: float) -> "Polytope":
        """Every face moved outward by ``distance`` (inward if negative), nm."""
        return Polytope(self.normals, self.offsets + distance)

    # --- combinatorics -----------------------------------------------------------------

    @functools.cached_property
    def vertices(self) -> np.ndarray:
        """Vertices (v, 3): every feasible intersection of three face planes, without repeats."""
        N, d = self.normals, self.offsets
        scale = max(float(np.abs(d).max()), 1e-300)
        triples = np.array(list(itertools.combinations(range(len(d)), 3)))
        A = N[triples]
        regular = np.abs(np.linalg.det(A)) > 1e-9
        x = np.linalg.solve(A[regular], d[triples[regular]][..., None])[..., 0]
        x = x[np.all(x @ N.T <= d + _TOL * scale, axis=1)]
        found: list[np.ndarray] = []
        for p in x:
            if not any(np.linalg.norm(p - y) < 1e-7 * scale for y in found):
                found.append(p)
        return np.array(found).reshape(-1, 3)

    @functools.cache
    def faces(self) -> list[list[int]]:
        """Vertex indices of each face, counter-clockwise seen from outside (faces with fewer
        than 3 vertices are left out: they have vanished)."""
        V = self.vertices
        scale = max(float(np.abs(self.offsets).max()), 1e-300)
        out = []
        for n, d in zip(self.normals, self.offsets):
            on = np.flatnonzero(np.abs(V @ n - d) < 1e-7 * scale)
            if len(on) < 3:
                continue
            c = V[on].mean(axis=0)
            a = V[on[0]] - c
            b = np.cross(n, a)
            angles = np.arctan2((V[on] - c) @ b, (V[on] - c) @ a)
            out.append([int(v) for v in on[np.argsort(angles)]])
        return out

    @functools.cache
    def edges(self) -> list[tuple[int, int, float]]:
        """(vertex a, vertex b, exterior angle rad) of each edge."""
        faces = self.faces()
        normal_of = {}
        V = self.vertices
        for f in faces:
            n = np.cross(V[f[1]] - V[f[0]], V[f[2]] - V[f[0]])
            normal_of[tuple(f)] = n / np.linalg.norm(n)
        seen: dict[tuple[int, int], list] = {}
        for f in faces:
            for a, b in zip(f, f[1:] + f[:1]):
                seen.setdefault((min(a, b), max(a, b)), []).append(normal_of[tuple(f)])
        return [(a, b, float(math.acos(np.clip(n[0] @ n[1], -1.0, 1.0)))) for (a, b), n in seen.items() if len(n) == 2]

    # --- measures ----------------------------------------------------------------------

    def face_areas(self) -> list[float]:
        V = self.vertices
        out = []
        for f in self.faces():
            P = V[f]
            out.append(0.5 * float(np.linalg.norm(sum(np.cross(P[i], P[(i + 1) % len(P)]) for i in range(len(P))))))
        return out

    @property
    def area_nm2(self) -> float:
        return float(sum(self.face_areas()))

    @property
    def volume_nm3(self) -> float:
        V = self.vertices
        total = 0.0
        for f, area in zip(self.faces(), self.face_areas()):
            n = np.cross(V[f[1]] - V[f[0]], V[f[2]] - V[f[0]])
            total += area * float(V[f[0]] @ (n / np.linalg.norm(n))) / 3.0
        return total

    @property
    def mean_breadth_term_nm(self) -> float:
        """M = sum over edges of length x exterior angle / 2 (nm): Steiner's r^2 coefficient."""
        V = self.vertices
        return float(sum(np.linalg.norm(V[a] - V[b]) * angle / 2 for a, b, angle in self.edges()))

    def rounded_volume_nm3(self, r: float) -> float:
        """Volume of P + B(r), nm^3 (Steiner)."""
        return self.volume_nm3 + self.area_nm2 * r + self.mean_breadth_term_nm * r**2 + 4 / 3 * math.pi * r**3

    def rounded_area_nm2(self, r: float) -> float:
        """Surface area of P + B(r), nm^2 (d/dr of Steiner's volume)."""
        return self.area_nm2 + 2 * self.mean_breadth_term_nm * r + 4 * math.pi * r**2

    @property
    def circumradius_nm(self) -> float:
        return float(np.linalg.norm(self.vertices, axis=1).max())

    @property
    def edge_length_nm(self) -> float:
        """The shortest edge, nm (every edge of the habits here has one length)."""
        V = self.vertices
        return float(min(np.linalg.norm(V[a] - V[b]) for a, b, _ in self.edges()))

    # --- nearest points ----------------------------------------------------------------

    def nearest_points(self, X: np.ndarray) -> np.ndarray:
        """The point of the polyhedron nearest each point of X (n, 3): X itself inside."""
        X = np.asarray(X, float).reshape(-1, 3)
        N, d = self.normals, self.offsets
        V = self.vertices
        tol = 1e-9 * max(float(np.abs(d).max()), 1.0)
        candidates = [X]
        valid = [np.all(X @ N.T <= d + tol, axis=1)]
        for n, off in zip(N, d):  # projections on the face planes that land on the face
            P = X - (X @ n - off)[:, None] * n
            candidates.append(P)
            valid.append(np.all(P @ N.T <= d + tol, axis=1))
        for a, b, _ in self.edges():
            t = np.clip((X - V[a]) @ (V[b] - V[a]) / float((V[b] - V[a]) @ (V[b] - V[a])), 0.0, 1.0)
            candidates.append(V[a] + t[:, None] * (V[b] - V[a]))
            valid.append(np.ones(len(X), bool))
        for v in V:
            candidates.append(np.broadcast_to(v, X.shape))
            valid.append(np.ones(len(X), bool))
        C = np.stack(candidates)  # (k, n, 3)
        dist = np.linalg.norm(C - X[None], axis=2)
        dist[~np.stack(valid)] = np.inf
        best = np.argmin(dist, axis=0)
        return C[best, np.arange(len(X))]

    def outward_normals(self, X: np.ndarray) -> np.ndarray:
        """Unit outward normals of the rounded bodies P + B(r) through the points X (n, 3) outside
        P (the shells around it); radial about the origin for points inside P."""
        X = np.asarray(X, float).reshape(-1, 3)
        D = X - self.nearest_points(X)
        inside = np.linalg.norm(D, axis=1) <= 1e-12 * max(self.circumradius_nm, 1.0)
        out = unit_vectors(D)
        out[inside] = unit_vectors(X[inside])
        return out


def core_polytope(habit: str, rounding_nm: float, *, equivalent_radius_nm: float | None = None,
                  edge_length_nm: float | None = None) -> Polytope:
    """The sharp polyhedron P' of a core P' + B(rounding): the habit sized by the edge length of
    the sharp crystal before rounding, or by the radius of the sphere of the core's volume,
    then moved in by the rounding radius."""
    unit = Polytope.habit(habit)
    if edge_length_nm is not None:
        return Polytope.habit(habit, edge_length_nm / unit.edge_length_nm).moved(-rounding_nm)
    target = equivalent_radius_nm

    def radius(scale: float) -> float:  # equivalent radius of the rounded core at this scale
        inner = Polytope(unit.normals, scale * unit.offsets - rounding_nm)
        if float(inner.offsets.min()) <= 0 or len(inner.vertices) != len(unit.vertices):
            return rounding_nm
        return (3 * inner.rounded_volume_nm3(rounding_nm) / (4 * math.pi)) ** (1 / 3)

    # Bracketed: at s_lo the inner polyhedron is the smallest that keeps the habit (a point
    # when all faces are equally far); at s_hi it holds the ball of the target radius. Illinois
    # false position between them.
    d_min = float(unit.offsets.min())
    s_lo, s_hi = rounding_nm / d_min, (rounding_nm + target) / d_min
    if not keeps_habit(Polytope(unit.normals, s_lo * (1 + 1e-9) * unit.offsets - rounding_nm), habit):
        lo, hi = s_lo, s_hi
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            lo, hi = (lo, mid) if keeps_habit(Polytope(unit.normals, mid * unit.offsets - rounding_nm), habit) else (mid, hi)
        s_lo = hi
    s0, s1 = s_lo, s_hi
    f0, f1 = radius(s0) - target, radius(s1) - target
    if f0 > 0:  # even the smallest inner polyhedron of the habit is too large: no such core
        return Polytope(unit.normals, s0 * unit.offsets - rounding_nm)
    for _ in range(100):
        s2 = s1 - f1 * (s1 - s0) / (f1 - f0)
        f2 = radius(s2) - target
        if abs(f2) <= 1e-12 * target:
            s1 = s2
            break
        if (f2 > 0) == (f1 > 0):
            f0 *= 0.5
        else:
            s0, f0 = s1, f1
        s1, f1 = s2, f2
    return Polytope(unit.normals, s1 * unit.offsets - rounding_nm)


def keeps_habit(polytope: Polytope, habit: str) -> bool:
    """Whether ``polytope`` still has every vertex and face of ``habit`` (no face has vanished)."""
    unit = Polytope.habit(habit)
    return (float(polytope.offsets.min()) > 0 and len(polytope.vertices) == len(unit.vertices)
            and len(polytope.faces()) == len(unit.faces()))
