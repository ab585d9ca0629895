"""Exact solutions that swellfem is verified against (GUIDE section 3). Pure numpy.

Units follow the caller: lengths in nm and moduli in MPa give stresses in MPa.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class LayeredSphere:
    """N concentric spherical layers, uniform eigenstrain e_i in layer i, free outer surface.

    u = A_i r + B_i / r^2 (B_0 = 0), sigma_rr = 3K_i (A_i - e_i) - 4 G_i B_i / r^3,
    sigma_tt = 3K_i (A_i - e_i) + 2 G_i B_i / r^3.
    """

    radii: tuple[float, ...]
    E: tuple[float, ...]
    nu: tuple[float, ...]
    eigenstrain: tuple[float, ...]
    A: tuple[float, ...]
    B: tuple[float, ...]

    @classmethod
    def solve(cls, radii, E, nu, eigenstrain) -> "LayeredSphere":
        """The constants of uniform eigenstrains, from the general radial solution
        (:class:`LayeredSphereRadialEigenstrain`): with e constant in layer i (inner radius a),
        u = c e (r^3 - a^3) / (3 r^2) + A' r + B' / r^2, so A = A' + c e / 3, B = B' - c e a^3 / 3."""
        radii, E, nu, e = (np.asarray(v, dtype=float) for v in (radii, E, nu, eigenstrain))
        general = LayeredSphereRadialEigenstrain.solve(
            radii, E, nu, [lambda r, ei=ei: ei + 0.0 * r for ei in e], panels=1)
        c = (1 + nu) / (1 - nu)
        inner = np.concatenate([[0.0], radii[:-1]])
        A = np.asarray(general.A) + c * e / 3
        B = np.asarray(general.B) - c * e * inner**3 / 3
        return cls(tuple(radii), tuple(E), tuple(nu), tuple(e), tuple(A), tuple(B))

    def _layer_constants(self, i):
        E, nu = self.E[i], self.nu[i]
        return E / (3 * (1 - 2 * nu)), E / (2 * (1 + nu))

    def sigma_rr(self, r, layer: int):
        K, G = self._layer_constants(layer)
        r = np.asarray(r, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            tail = np.where(r > 0, self.B[layer] / np.maximum(r, 1e-300) ** 3, 0.0)
        return 3 * K * (self.A[layer] - self.eigenstrain[layer]) - 4 * G * tail

    def sigma_tt(self, r, layer: int):
        K, G = self._layer_constants(layer)
        r = np.asarray(r, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            tail = np.where(r > 0, self.B[layer] / np.maximum(r, 1e-300) ** 3, 0.0)
        return 3 * K * (self.A[layer] - self.eigenstrain[layer]) + 2 * G * tail

    def displacement(self, r, layer: int):
        r = np.asarray(r, dtype=float)
        return self.A[layer] * r + (self.B[layer] / r**2 if layer > 0 else 0.0)

    def layer_samples(self, layer: int, n: int = 2001) -> np.ndarray:
        lo = self.radii[layer - 1] if layer else 0.0
        return np.linspace(lo, self.radii[layer], n)

    def region_extrema(self, layer: int) -> dict[str, float]:
        """Exact per-region extrema with the metric names of ``summary.json`` (MPa)."""
        r = self.layer_samples(layer)
        srr, stt = self.sigma_rr(r, layer), self.sigma_tt(r, layer)
        vm = np.abs(stt - srr)
        hyd = (srr + 2 * stt) / 3
        pmax, pmin = np.maximum(srr, stt), np.minimum(srr, stt)
        return {
            "von_mises_max_MPa": vm.max(),
            "principal_max_MPa": pmax.max(),
            "principal_min_MPa": pmin.min(),
            "hydrostatic_max_MPa": hyd.max(),
            "hydrostatic_min_MPa": hyd.min(),
            "radial_max_MPa": srr.max(),
            "radial_min_MPa": srr.min(),
            "hoop_max_MPa": stt.max(),
            "hoop_min_MPa": stt.min(),
        }


def core_shell_pressure(e: float, a: float, b: float, Kc: float, Ks: float, Gs: float) -> float:
    """Pressure in a swelling core (radius a, eigenstrain e) inside a shell to b (GUIDE 3)."""
    return e / (1 / (3 * Kc) + (a**3 / (3 * Ks) + b**3 / (4 * Gs)) / (b**3 - a**3))


# --- homogeneous sphere with a radial eigenstrain (thermal analogy) --------------------


def _cumulative_moment(r: np.ndarray, e: np.ndarray) -> np.ndarray:
    """int_0^r e(s) s^2 ds on the grid r (r[0] = 0): the trapezoid rule in u = s^3 / 3,
    exact for piecewise-constant e and accurate near the centre."""
    u = r**3 / 3.0
    return np.concatenate([[0.0], np.cumsum(0.5 * (e[1:] + e[:-1]) * np.diff(u))])


def radial_eigenstrain_stress(r: np.ndarray, e: np.ndarray, E: float, nu: float) -> tuple[np.ndarray, np.ndarray]:
    """sigma_r, sigma_theta of a free homogeneous sphere with eigenstrain e(r) on a fine grid r
    from 0 to R (Timoshenko & Goodier; Zhang, Shyy & Sastry 2007)."""
    r = np.asarray(r, float)
    e = np.asarray(e, float)
    R = r[-1]
    m = _cumulative_moment(r, e)
    mean_R = m[-1] / R**3
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = np.where(r > 0, m / np.maximum(r, 1e-300) ** 3, e[0] / 3.0)
    sr = 2 * E / (1 - nu) * (mean_R - inner)
    st = E / (1 - nu) * (2 * mean_R + inner - e)
    return sr, st


def tan_roots(n: int) -> np.ndarray:
    """The first n positive roots of tan(x) = x."""
    roots = []
    for k in range(1, n + 1):
        x = (k + 0.5) * np.pi - 1e-3
        for _ in range(100):
            f = np.tan(x) - x
            x_new = x - f / (1 / np.cos(x) ** 2 - 1)
            if abs(x_new - x) < 1e-14:
                break
            x = x_new
        roots.append(x)
    return np.array(roots)


def constant_flux_sphere(r: np.ndarray, t: float, R: float, D: float, J: float, terms: int = 200) -> np.ndarray:
    """c(r, t) - c0 for a sphere with constant inward flux J (Carslaw & Jaeger).

    ``J`` is in concentration units x length / time (here: potassiation x nm / s).
    """
    r = np.asarray(r, float)
    tau = D * t / R**2
    lam = tan_roots(terms)
    rr = np.maximum(r, 1e-12 * R)
    series = np.zeros_like(rr)
    for ln in lam:
        series += (R / rr) * np.sin(ln * rr / R) * np.exp(-(ln**2) * tau) / (ln**2 * np.sin(ln))
    return (J * R / D) * (3 * tau + rr**2 / (2 * R**2) - 3.0 / 10.0 - 2 * series)


@dataclasses.dataclass(frozen=True)
class LayeredSphereRadialEigenstrain:
    """N concentric spherical layers with an isotropic eigenstrain e_i(r) that varies with the
    radius (a reaction front, a diffusion profile), free outer surface, small strain.

    In layer i (inner radius a_i), with I_i(r) = int_{a_i}^r e_i(s) s^2 ds and
    c_i = (1 + nu_i) / (1 - nu_i) (thermal analogy, Timoshenko & Goodier):
    u = c_i I_i(r) / r^2 + A_i r + B_i / r^2 (B_0 = 0),
    sigma_rr = 3 K_i A_i - 4 G_i (c_i I_i(r) + B_i) / r^3,
    sigma_tt = 3 K_i A_i + 2 G_i (c_i I_i(r) + B_i) / r^3 - 2 G_i c_i e_i(r).
    Continuity of u and sigma_rr at the interfaces and sigma_rr(R) = 0 fix A and B; the
    integrals are composite Gauss-Legendre (``panels`` x 16 points per layer).
    """

    radii: tuple[float, ...]
    E: tuple[float, ...]
    nu: tuple[float, ...]
    eigenstrain: tuple  # callables e_i(r) (numpy arrays in, out)
    A: tuple[float, ...]
    B: tuple[float, ...]
    panels: int = 400

    @staticmethod
    def _moment(e, a: float, r: np.ndarray, panels: int) -> np.ndarray:
        """int_a^r e(s) s^2 ds for each r (composite Gauss-Legendre)."""
        x, w = np.polynomial.legendre.leggauss(16)
        out = np.zeros(len(r))
        for k, rk in enumerate(np.atleast_1d(r)):
            if rk <= a:
                continue
            edges = np.linspace(a, rk, panels + 1)
            lo, hi = edges[:-1, None], edges[1:, None]
            s = 0.5 * (hi - lo) * x + 0.5 * (hi + lo)
            out[k] = np.sum(0.5 * (hi - lo) * w * e(s) * s**2)
        return out

    @classmethod
    def solve(cls, radii, E, nu, eigenstrain, panels: int = 400) -> "LayeredSphereRadialEigenstrain":
        radii, E, nu = (np.asarray(v, dtype=float) for v in (radii, E, nu))
        n = len(radii)
        K, G = E / (3 * (1 - 2 * nu)), E / (2 * (1 + nu))
        c = (1 + nu) / (1 - nu)
        inner = np.concatenate([[0.0], radii[:-1]])
        I_out = [cls._moment(eigenstrain[i], inner[i], np.array([radii[i]]), panels)[0] for i in range(n)]
        m = 2 * n - 1
        M, rhs = np.zeros((m, m)), np.zeros(m)

        def a(i):
            return i

        def b(i):
            return n + i - 1

        row = 0
        for i in range(n - 1):
            r = radii[i]
            # u: c_i I_i(r)/r^2 + A_i r + B_i/r^2 = A_{i+1} r + B_{i+1}/r^2 (I_{i+1}(r) = 0)
            M[row, a(i)] = r
            if i > 0:
                M[row, b(i)] = 1 / r**2
            M[row, a(i + 1)] -= r
            M[row, b(i + 1)] -= 1 / r**2
            rhs[row] = -c[i] * I_out[i] / r**2
            row += 1
            # sigma_rr: 3K_i A_i - 4G_i (c_i I_i + B_i)/r^3 = 3K_{i+1} A_{i+1} - 4G_{i+1} B_{i+1}/r^3
            M[row, a(i)] = 3 * K[i]
            if i > 0:
                M[row, b(i)] = -4 * G[i] / r**3
            M[row, a(i + 1)] -= 3 * K[i + 1]
            M[row, b(i + 1)] += 4 * G[i + 1] / r**3
            rhs[row] = 4 * G[i] * c[i] * I_out[i] / r**3
            row += 1
        r = radii[-1]
        M[row, a(n - 1)] = 3 * K[n - 1]
        if n > 1:
            M[row, b(n - 1)] = -4 * G[n - 1] / r**3
        rhs[row] = 4 * G[n - 1] * c[n - 1] * I_out[n - 1] / r**3
        sol = np.linalg.solve(M, rhs)
        A = tuple(sol[:n])
        B = (0.0,) + tuple(sol[n:])
        return cls(tuple(radii), tuple(E), tuple(nu), tuple(eigenstrain), A, B, panels)

    def _parts(self, r, layer: int):
        r = np.atleast_1d(np.asarray(r, dtype=float))
        E, nu = self.E[layer], self.nu[layer]
        K, G = E / (3 * (1 - 2 * nu)), E / (2 * (1 + nu))
        c = (1 + nu) / (1 - nu)
        a = self.radii[layer - 1] if layer else 0.0
        I = self._moment(self.eigenstrain[layer], a, r, self.panels)
        return r, K, G, c, I

    def sigma_rr(self, r, layer: int) -> np.ndarray:
        r, K, G, c, I = self._parts(r, layer)
        return 3 * K * self.A[layer] - 4 * G * (c * I + self.B[layer]) / r**3

    def sigma_tt(self, r, layer: int) -> np.ndarray:
        r, K, G, c, I = self._parts(r, layer)
        return 3 * K * self.A[layer] + 2 * G * (c * I + self.B[layer]) / r**3 - 2 * G * c * self.eigenstrain[layer](r)


# --- Hill's elastic-perfectly plastic hollow sphere (GUIDE section 7) ---------------------------


@dataclasses.dataclass(frozen=True)
class HillSphere:
    """Hollow sphere (inner radius ``a``, outer ``b``) under internal pressure ``p``, elastic-
    perfectly plastic with yield strength ``sy`` (Tresca = von Mises in spherical symmetry),
    small strain (Hill, The Mathematical Theory of Plasticity, 1950).

    Plastic zone a <= r <= c: sigma_r = -2 sy ln(c/r) - (2 sy/3)(1 - c^3/b^3), sigma_t = sigma_r + sy;
    elastic zone c <= r <= b: sigma_r = (2 sy c^3/3)(1/b^3 - 1/r^3), sigma_t = (2 sy c^3/3)(1/b^3 + 1/(2 r^3));
    p = 2 sy ln(c/a) + (2 sy/3)(1 - c^3/b^3). Below first yield, p <= (2 sy/3)(1 - a^3/b^3), Lame:
    sigma_r = p a^3 (1 - b^3/r^3) / (b^3 - a^3), sigma_t = p a^3 (1 + b^3/(2 r^3)) / (b^3 - a^3).
    The stresses do not depend on E or nu.
    """

    a: float
    b: float
    sy: float

    def __post_init__(self):
        if not 0 < self.a < self.b:
            raise ValueError(f"need 0 < a < b, got a={self.a}, b={self.b}")
        if not self.sy > 0:
            raise ValueError(f"yield strength must be positive, got {self.sy}")

    @property
    def first_yield_pressure(self) -> float:
        return 2 * self.sy / 3 * (1 - self.a**3 / self.b**3)

    @property
    def limit_pressure(self) -> float:
        return 2 * self.sy * np.log(self.b / self.a)

    def pressure(self, c: float) -> float:
        """The pressure that puts the elastic-plastic boundary at radius c (a <= c <= b)."""
        return 2 * self.sy * np.log(c / self.a) + 2 * self.sy / 3 * (1 - c**3 / self.b**3)

    def plastic_radius(self, p: float) -> float:
        """Radius c of the elastic-plastic boundary (a when p is at or below first yield), by
        bisection; raises ValueError at or above the limit pressure."""
        if p <= self.first_yield_pressure:
            return self.a
        if p >= self.limit_pressure:
            raise ValueError(f"p = {p} is at or above the limit pressure {self.limit_pressure}")
        lo, hi = self.a, self.b
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if self.pressure(mid) < p:
                lo = mid
            else:
                hi = mid
            if hi - lo <= 1e-15 * self.b:
                break
        return 0.5 * (lo + hi)

    def _check(self, r):
        r = np.asarray(r, dtype=float)
        if np.any(r < self.a * (1 - 1e-12)) or np.any(r > self.b * (1 + 1e-12)):
            raise ValueError("r must lie in [a, b]")
        return r

    def sigma_r(self, r, p: float):
        r = self._check(r)
        a, b, sy = self.a, self.b, self.sy
        if p <= self.first_yield_pressure:
            return p * a**3 * (1 - b**3 / r**3) / (b**3 - a**3)
        c = self.plastic_radius(p)
        plastic = -2 * sy * np.log(c / r) - 2 * sy / 3 * (1 - c**3 / b**3)
        elastic = 2 * sy * c**3 / 3 * (1 / b**3 - 1 / r**3)
        return np.where(r <= c, plastic, elastic)

    def sigma_t(self, r, p: float):
        r = self._check(r)
        a, b, sy = self.a, self.b, self.sy
        if p <= self.first_yield_pressure:
            return p * a**3 * (1 + b**3 / (2 * r**3)) / (b**3 - a**3)
        c = self.plastic_radius(p)
        plastic = -2 * sy * np.log(c / r) - 2 * sy / 3 * (1 - c**3 / b**3) + sy
        elastic = 2 * sy * c**3 / 3 * (1 / b**3 + 1 / (2 * r**3))
        return np.where(r <= c, plastic, elastic)
