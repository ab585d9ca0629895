"""Exact solutions that swellfem is verified against (GUIDE section 3). Pure numpy.

Units follow the caller: lengths in nm and moduli in MPa give stresses in MPa.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy.optimize import brentq


def spherical_extrema(srr: np.ndarray, stt: np.ndarray) -> dict[str, float]:
    """Per-region extrema of a spherically symmetric stress (radial ``srr``, hoop ``stt`` at
    sample points, MPa) with the metric names of ``summary.json``."""
    vm = np.abs(stt - srr)
    hyd = (srr + 2 * stt) / 3
    pmax, pmin = np.maximum(srr, stt), np.minimum(srr, stt)
    return {
        "von_mises_max_MPa": float(vm.max()),
        "principal_max_MPa": float(pmax.max()),
        "principal_min_MPa": float(pmin.min()),
        "hydrostatic_max_MPa": float(hyd.max()),
        "hydrostatic_min_MPa": float(hyd.min()),
        "radial_max_MPa": float(srr.max()),
        "radial_min_MPa": float(srr.min()),
        "hoop_max_MPa": float(stt.max()),
        "hoop_min_MPa": float(stt.min()),
    }


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
        return spherical_extrema(self.sigma_rr(r, layer), self.sigma_tt(r, layer))


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


    def inner_displacement(self, p: float, E: float, nu: float) -> float:
        """u(a), the radial displacement of the cavity wall under the pressure ``p`` (same
        units as ``a``; E in the units of the stresses). Elastic zone c <= r <= b: Hooke,
        u = r ((1 - nu) sigma_t - nu sigma_r) / E. Plastic zone: the plastic flow is
        isochoric, so (1/r^2) d(r^2 u)/dr = (1 - 2 nu)(sigma_r + 2 sigma_t) / E
        = (1 - 2 nu)(3 sigma_r + 2 sy) / E, integrated in closed form from c inwards
        (int_a^c rho^2 ln(c / rho) d rho = (c^3 - a^3) / 9 - a^3 ln(c / a) / 3)."""
        a, b, sy = self.a, self.b, self.sy
        c = self.plastic_radius(p)
        s_r, s_t = float(self.sigma_r(c, p)), float(self.sigma_t(c, p))
        u_c = c * ((1 - nu) * s_t - nu * s_r) / E
        if c <= a:
            return u_c
        k = -2 * sy / 3 * (1 - c**3 / b**3)  # sigma_r = -2 sy ln(c / r) + k in the plastic zone
        moment = -6 * sy * ((c**3 - a**3) / 9 - a**3 * np.log(c / a) / 3) + (3 * k + 2 * sy) * (c**3 - a**3) / 3
        return (c**2 * u_c - (1 - 2 * nu) / E * moment) / a**2


def core_in_plastic_shell_pressure(e: float, a: float, b: float, Ec: float, nuc: float, Es: float, nus: float,
                                   sy: float) -> float:
    """The pressure between an elastic core of radius ``a`` with a uniform isotropic
    eigenstrain ``e`` and an elastic-perfectly plastic shell a < r < b (yield strength ``sy``)
    around it, small strain: the core's wall displacement a (e - p / (3 K_c)) equals the
    shell's :meth:`HillSphere.inner_displacement` (Brent's root; p below the limit pressure).
    The core is then under sigma = -p and the shell carries Hill's stresses at p."""
    hill = HillSphere(a, b, sy)
    Kc = Ec / (3 * (1 - 2 * nuc))

    def mismatch(p):
        return a * (e - p / (3 * Kc)) - hill.inner_displacement(p, Es, nus)

    hi = hill.limit_pressure * (1 - 1e-12)
    if mismatch(hi) > 0:
        raise ValueError("the eigenstrain pushes the shell to its limit pressure: no bounded solution")
    return brentq(mismatch, 0.0, hi, xtol=1e-14 * hill.limit_pressure, rtol=1e-15, maxiter=200)


# --- concentric layers with radial-symmetric (e.g. transversely isotropic) stiffness -----------


@dataclasses.dataclass(frozen=True)
class AnisotropicLayeredSphere:
    """Concentric layers with a radially symmetric stiffness, uniform eigenstrains, optional
    central cavity with an internal pressure, free outer surface (or one under an external
    pressure ``outer_pressure``, MPa, pushing inward); small strain (GUIDE section 8,
    docs/carbon_laws.md section 2, "Exact check").

    Per layer: eps_r = du/dr - eps*_r, eps_t = u/r - eps*_t (mechanical strains),
    sigma_r = C_rr eps_r + 2 C_rt eps_t, sigma_t = C_rt eps_r + C_tt eps_t, where for a
    transversely isotropic material with its axis radial C_rr = C33, C_rt = C13,
    C_tt = C11 + C12 (C22 + C23 of GUIDE); isotropic: C_rr = lam + 2 mu, C_rt = lam,
    C_tt = 2 (lam + mu). Equilibrium d sigma_r/dr + 2 (sigma_r - sigma_t) / r = 0 gives
    C_rr (u'' + 2 u'/r) - 2 (C_tt - C_rt) u / r^2 = 2 [(C_rr - C_rt) eps*_r + (2 C_rt - C_tt) eps*_t] / r,
    homogeneous solutions r^n with n^2 + n - 2 (C_tt - C_rt) / C_rr = 0,
    n1,2 = [-1 +- sqrt(1 + 8 (C_tt - C_rt) / C_rr)] / 2, and the particular solution k r with
    k (C_rr + C_rt - C_tt) = (C_rr - C_rt) eps*_r + (2 C_rt - C_tt) eps*_t, i.e.
    k = eps*_t + (C_rr - C_rt) (eps*_r - eps*_t) / D, D = C_rr + C_rt - C_tt.
    D = 0 (isotropic, where n1 = 1): k = eps*_t when eps*_r = eps*_t; otherwise u = k r is no
    particular solution (an r ln r term would be needed) and :meth:`solve` raises ValueError.

    Stored per layer i (inner radius a_i, outer radius b_i):
    u = A_i b_i (r / b_i)^n1 + B_i a_i (r / a_i)^n2 + k_i r (normalised constants, so A and B
    are strains; B_0 = 0 in a solid innermost layer, regular at the centre, which needs n1 > 0).
    Continuity of u and sigma_r at the interfaces, sigma_r = -p on the cavity wall and
    sigma_r = -outer_pressure (0 by default) on the outer surface fix A and B.
    """

    radii: tuple[float, ...]
    C_rr: tuple[float, ...]
    C_rt: tuple[float, ...]
    C_tt: tuple[float, ...]
    eigenstrain_r: tuple[float, ...]
    eigenstrain_t: tuple[float, ...]
    cavity_radius: float
    pressure: float
    n1: tuple[float, ...]
    n2: tuple[float, ...]
    k: tuple[float, ...]
    A: tuple[float, ...]
    B: tuple[float, ...]
    outer_pressure: float = 0.0

    # --- stiffness helpers --------------------------------------------------------------------
    @staticmethod
    def isotropic_stiffness(E: float, nu: float) -> tuple[float, float, float]:
        """(C_rr, C_rt, C_tt) of an isotropic material: (lam + 2 mu, lam, 2 (lam + mu))."""
        if not E > 0 or not -1.0 < nu < 0.5:
            raise ValueError(f"need E > 0 and -1 < nu < 0.5, got E={E}, nu={nu}")
        lam = E * nu / ((1 + nu) * (1 - 2 * nu))
        mu = E / (2 * (1 + nu))
        return lam + 2 * mu, lam, 2 * (lam + mu)

    @staticmethod
    def transverse_voigt(E_t: float, nu_t: float, E_n: float, G_tn: float,
                         nu_nt: float = 0.0) -> dict[str, float]:
        """C11, C12, C13, C33, C44, C66 of a transversely isotropic material (1, 2 in plane,
        3 normal) from the engineering constants of docs/carbon_laws.md section 2: the closed-form
        inverse of the compliance [[1/E_t, -nu_t/E_t, -nu_nt/E_n], [-nu_t/E_t, 1/E_t, -nu_nt/E_n],
        [-nu_nt/E_n, -nu_nt/E_n, 1/E_n]]. Raises ValueError unless positive definite."""
        if not (E_t > 0 and E_n > 0 and G_tn > 0):
            raise ValueError(f"need E_t, E_n, G_tn > 0, got {E_t}, {E_n}, {G_tn}")
        S11, S12, S13, S33 = 1 / E_t, -nu_t / E_t, -nu_nt / E_n, 1 / E_n
        det = (S11 + S12) * S33 - 2 * S13**2  # of the in-plane-sum / normal 2x2 block
        if not (S11 - S12 > 0 and S11 + S12 > 0 and det > 0):
            raise ValueError(f"transverse stiffness not positive definite (nu_t={nu_t}, nu_nt={nu_nt}, "
                             f"E_t={E_t}, E_n={E_n})")
        C11_plus_C12 = S33 / det
        C11_minus_C12 = 1 / (S11 - S12)
        return {"C11": 0.5 * (C11_plus_C12 + C11_minus_C12), "C12": 0.5 * (C11_plus_C12 - C11_minus_C12),
                "C13": -S13 / det, "C33": (S11 + S12) / det, "C44": G_tn, "C66": 0.5 * C11_minus_C12}

    @classmethod
    def transverse_stiffness(cls, E_t: float, nu_t: float, E_n: float, G_tn: float,
                             nu_nt: float = 0.0) -> tuple[float, float, float]:
        """(C_rr, C_rt, C_tt) = (C33, C13, C11 + C12) of a transversely isotropic layer with its
        axis radial (G_tn does not enter spherical symmetry; it is only checked)."""
        c = cls.transverse_voigt(E_t, nu_t, E_n, G_tn, nu_nt)
        return c["C33"], c["C13"], c["C11"] + c["C12"]

    @staticmethod
    def exponents(C_rr: float, C_rt: float, C_tt: float) -> tuple[float, float]:
        """n1 > n2: the roots of n^2 + n - 2 (C_tt - C_rt) / C_rr = 0."""
        disc = 1 + 8 * (C_tt - C_rt) / C_rr
        if not disc > 0:
            raise ValueError(f"complex or repeated exponents (1 + 8 (C_tt - C_rt)/C_rr = {disc}); "
                             "the stiffness is not positive definite")
        root = np.sqrt(disc)
        return (-1 + root) / 2, (-1 - root) / 2

    # --- solution --------------------------------------------------------------------------------
    @classmethod
    def solve(cls, radii, C_rr, C_rt, C_tt, eigenstrain_r=0.0, eigenstrain_t=0.0, cavity_radius: float = 0.0,
              pressure: float = 0.0, outer_pressure: float = 0.0) -> "AnisotropicLayeredSphere":
        """``radii``: the outer radii of the layers (increasing); stiffnesses and eigenstrains one
        per layer (or a scalar for all); ``pressure`` on the cavity wall (needs ``cavity_radius``),
        ``outer_pressure`` on the outer surface (MPa, both positive in compression)."""
        radii = np.atleast_1d(np.asarray(radii, dtype=float))
        n = len(radii)

        def per_layer(v, name):
            v = np.broadcast_to(np.asarray(v, dtype=float), (n,)).copy()
            if not np.all(np.isfinite(v)):
                raise ValueError(f"{name} must be finite")
            return v

        Crr, Crt, Ctt = (per_layer(v, nm) for v, nm in ((C_rr, "C_rr"), (C_rt, "C_rt"), (C_tt, "C_tt")))
        er, et = per_layer(eigenstrain_r, "eigenstrain_r"), per_layer(eigenstrain_t, "eigenstrain_t")
        a0 = float(cavity_radius)
        if a0 < 0:
            raise ValueError(f"cavity_radius must be >= 0, got {a0}")
        if pressure != 0.0 and a0 == 0.0:
            raise ValueError("a pressure needs a cavity (cavity_radius > 0)")
        bounds = np.concatenate([[a0], radii])
        if np.any(np.diff(bounds) <= 0):
            raise ValueError(f"radii must increase outward from the cavity: {bounds.tolist()}")
        n1, n2, k = np.zeros(n), np.zeros(n), np.zeros(n)
        for i in range(n):
            if not (Crr[i] > 0 and Ctt[i] > 0 and Crr[i] * Ctt[i] > 2 * Crt[i] ** 2):
                raise ValueError(f"layer {i}: stiffness not positive definite in spherical symmetry "
                                 f"(need C_rr > 0, C_tt > 0, C_rr C_tt > 2 C_rt^2)")
            n1[i], n2[i] = cls.exponents(Crr[i], Crt[i], Ctt[i])
            D = Crr[i] + Crt[i] - Ctt[i]
            d = er[i] - et[i]
            if abs(D) <= 1e-12 * (abs(Crr[i]) + abs(Crt[i]) + abs(Ctt[i])):
                if abs(d) > 1e-14 * max(abs(er[i]), abs(et[i])):
                    raise ValueError(
                        f"layer {i}: C_rr + C_rt - C_tt = 0 (n1 = 1, isotropic-like) with an anisotropic "
                        f"eigenstrain (eps*_r = {er[i]}, eps*_t = {et[i]}): u = k r is no particular "
                        "solution (it would need an r ln r term)")
                k[i] = et[i]
            else:
                k[i] = et[i] + (Crr[i] - Crt[i]) * d / D
        solid = a0 == 0.0
        if solid and not n1[0] > 0:
            raise ValueError(f"solid innermost layer with n1 = {n1[0]} <= 0 (C_tt <= C_rt): no solution "
                             "regular at the centre")

        # unknowns: A_i (i = 0..n-1), then B_i (i = 1..n-1, and i = 0 with a cavity)
        def ia(i):
            return i

        def ib(i):
            if solid and i == 0:
                return None
            return n + i - (1 if solid else 0)

        m = 2 * n - (1 if solid else 0)
        scale = float(np.max(np.abs(np.concatenate([Crr, Crt, Ctt]))))

        def rows(i, r):
            """Coefficients (on A_i, B_i) and constant of u/r and sigma_r/scale at radius r in layer i."""
            a_in, b_out = bounds[i], bounds[i + 1]
            P1 = (r / b_out) ** (n1[i] - 1)
            P2 = (r / a_in) ** (n2[i] - 1) if a_in > 0 else 0.0
            ur = (P1, P2, k[i])
            sr = ((Crr[i] * n1[i] + 2 * Crt[i]) * P1 / scale, (Crr[i] * n2[i] + 2 * Crt[i]) * P2 / scale,
                  (Crr[i] * (k[i] - er[i]) + 2 * Crt[i] * (k[i] - et[i])) / scale)
            return ur, sr

        M, rhs = np.zeros((m, m)), np.zeros(m)
        row = 0

        def put(i, coef, sign):
            M[row, ia(i)] += sign * coef[0]
            if ib(i) is not None:
                M[row, ib(i)] += sign * coef[1]
            rhs[row] -= sign * coef[2]

        if not solid:
            _, sr = rows(0, a0)
            put(0, sr, 1.0)
            rhs[row] += -float(pressure) / scale
            row += 1
        for i in range(n - 1):
            r = bounds[i + 1]
            (u_in, s_in), (u_out, s_out) = rows(i, r), rows(i + 1, r)
            put(i, u_in, 1.0)
            put(i + 1, u_out, -1.0)
            row += 1
            put(i, s_in, 1.0)
            put(i + 1, s_out, -1.0)
            row += 1
        _, sr = rows(n - 1, bounds[-1])
        put(n - 1, sr, 1.0)
        rhs[row] += -float(outer_pressure) / scale
        row += 1
        assert row == m
        sol = np.linalg.solve(M, rhs)
        A = sol[:n]
        B = np.concatenate([[0.0], sol[n:]]) if solid else sol[n:]
        return cls(tuple(radii), tuple(Crr), tuple(Crt), tuple(Ctt), tuple(er), tuple(et), a0, float(pressure),
                   tuple(n1), tuple(n2), tuple(k), tuple(A), tuple(B), float(outer_pressure))

    @classmethod
    def isotropic(cls, radii, E, nu, eigenstrain, cavity_radius: float = 0.0,
                  pressure: float = 0.0, outer_pressure: float = 0.0) -> "AnisotropicLayeredSphere":
        """Isotropic layers (E, nu, isotropic eigenstrain per layer): the case of
        :class:`LayeredSphere` (and of a Lame hollow sphere with a cavity)."""
        n = len(np.atleast_1d(radii))
        E, nu, e = (np.broadcast_to(np.asarray(v, dtype=float), (n,)) for v in (E, nu, eigenstrain))
        C = np.array([cls.isotropic_stiffness(Ei, ni) for Ei, ni in zip(E, nu)])
        return cls.solve(radii, C[:, 0], C[:, 1], C[:, 2], e, e, cavity_radius, pressure, outer_pressure)

    # --- fields ----------------------------------------------------------------------------------
    def layer_of(self, r) -> np.ndarray:
        """The layer index of each radius (a radius on an interface belongs to the inner layer)."""
        r = np.asarray(r, dtype=float)
        return np.minimum(np.searchsorted(np.asarray(self.radii), r, side="left"), len(self.radii) - 1)

    def _strains(self, r, layer):
        """Total strains (du/dr, u/r) at r in one layer."""
        i = int(layer)
        if not 0 <= i < len(self.radii):
            raise ValueError(f"no layer {layer}")
        r = np.asarray(r, dtype=float)
        a_in = self.radii[i - 1] if i > 0 else self.cavity_radius
        b_out = self.radii[i]
        with np.errstate(divide="ignore", invalid="ignore"):
            P1 = self.A[i] * np.power(r / b_out, self.n1[i] - 1) if self.A[i] != 0 else np.zeros_like(r)
            P2 = self.B[i] * np.power(r / a_in, self.n2[i] - 1) if (a_in > 0 and self.B[i] != 0) else np.zeros_like(r)
        return self.n1[i] * P1 + self.n2[i] * P2 + self.k[i], P1 + P2 + self.k[i]

    def _per_point(self, fn, r, layer):
        r = np.asarray(r, dtype=float)
        if layer is not None:
            return fn(r, layer)
        out = np.empty(r.shape)
        lay = self.layer_of(r)
        for i in np.unique(lay):
            m = lay == i
            out[m] = fn(r[m], i)
        return out

    def u(self, r, layer: int | None = None) -> np.ndarray:
        """Radial displacement; ``layer=None``: each radius in its own layer (see :meth:`layer_of`)."""
        return self._per_point(lambda rr, i: self._strains(rr, i)[1] * rr, r, layer)

    def sigma_r(self, r, layer: int | None = None) -> np.ndarray:
        def fn(rr, i):
            gr, gt = self._strains(rr, i)
            er, et = gr - self.eigenstrain_r[i], gt - self.eigenstrain_t[i]
            return self.C_rr[i] * er + 2 * self.C_rt[i] * et
        return self._per_point(fn, r, layer)

    def sigma_t(self, r, layer: int | None = None) -> np.ndarray:
        def fn(rr, i):
            gr, gt = self._strains(rr, i)
            er, et = gr - self.eigenstrain_r[i], gt - self.eigenstrain_t[i]
            return self.C_rt[i] * er + self.C_tt[i] * et
        return self._per_point(fn, r, layer)

    # the names of LayeredSphere
    def displacement(self, r, layer: int | None = None) -> np.ndarray:
        return self.u(r, layer)

    def sigma_rr(self, r, layer: int | None = None) -> np.ndarray:
        return self.sigma_r(r, layer)

    def sigma_tt(self, r, layer: int | None = None) -> np.ndarray:
        return self.sigma_t(r, layer)

    def layer_samples(self, layer: int, n: int = 2001) -> np.ndarray:
        lo = self.radii[layer - 1] if layer else self.cavity_radius
        return np.linspace(lo, self.radii[layer], n)

    def region_extrema(self, layer: int) -> dict[str, float]:
        """Exact per-region extrema with the metric names of ``summary.json`` (MPa)."""
        r = self.layer_samples(layer)
        if r[0] == 0.0:
            r = r[1:]  # the centre: the limit is approached by the samples next to it
        return spherical_extrema(self.sigma_r(r, layer), self.sigma_t(r, layer))


# --- yolk-shell sphere: a swelling yolk in a shell across a void gap, frictionless contact ------


def yolk_shell_onset_theta(a: float, b: float, beta: float, convention: str = "cube-root",
                           shell_beta: float = 0.0) -> float:
    """theta at which a free yolk (outer radius ``a`` nm, volumetric swelling ``beta`` at theta = 1)
    reaches the inner radius ``b`` nm of a free shell that swells uniformly by ``shell_beta``:
    a s(beta theta) = b s(shell_beta theta) (a free body under uniform swelling is stress-free, in
    small and in finite strain). cube-root: theta = (b^3 - a^3) / (a^3 beta - b^3 shell_beta);
    linear: theta = 3 (b - a) / (a beta - b shell_beta). May exceed 1; inf when the gap never closes."""
    if not 0 < a <= b:
        raise ValueError(f"need 0 < a <= b, got a={a}, b={b}")
    if convention == "cube-root":
        num, den = b**3 - a**3, a**3 * beta - b**3 * shell_beta
    elif convention == "linear":
        num, den = 3 * (b - a), a * beta - b * shell_beta
    else:
        raise ValueError(f"unknown convention {convention!r} (cube-root or linear)")
    if num == 0.0:
        return 0.0
    return num / den if den > 0 else math.inf


@dataclasses.dataclass(frozen=True)
class YolkShellSphere:
    """A yolk (layers to radius a) inside a shell (layers from b to c) across a void a < r < b;
    small strain, linear elastic, uniform eigenstrain per layer, frictionless contact (GUIDE 3).

    Everything in the reference configuration. With the free displacements u_y(a), u_s(b) (no
    contact) and the compliances C_y = -u_y(a) per unit outer pressure on the yolk and
    C_s = u_s(b) per unit cavity pressure on the shell (nm/MPa):
    free gap g0 = b + u_s(b) - a - u_y(a), contact pressure p = max(0, -g0 / (C_y + C_s)) (MPa),
    gap = g0 + p (C_y + C_s) (nm; 0 in contact). ``yolk`` and ``shell`` are the
    :class:`AnisotropicLayeredSphere` solutions under p. Layers are numbered from the centre:
    the yolk layers, then the shell layers (the void is no layer).
    """

    yolk: AnisotropicLayeredSphere
    shell: AnisotropicLayeredSphere
    free_gap_nm: float
    contact_pressure_MPa: float
    gap_nm: float
    compliance_yolk_nm_per_MPa: float
    compliance_shell_nm_per_MPa: float

    @classmethod
    def solve(cls, yolk_radii, yolk_E, yolk_nu, yolk_eigenstrain, gap_outer_radius: float,
              shell_radii, shell_E, shell_nu, shell_eigenstrain=0.0) -> "YolkShellSphere":
        """Radii in nm (outer radii of the layers, increasing), E in MPa, eigenstrains the linear
        isotropic eigenstrain s - 1 per layer (or one for all); ``gap_outer_radius`` b >= a (nm;
        b = a is a frictionless interface without a gap)."""
        a = float(np.atleast_1d(yolk_radii)[-1])
        b = float(gap_outer_radius)
        if not b >= a:
            raise ValueError(f"gap_outer_radius b = {b} must be >= the yolk radius a = {a}")
        iso = AnisotropicLayeredSphere.isotropic
        y_free = iso(yolk_radii, yolk_E, yolk_nu, yolk_eigenstrain)
        s_free = iso(shell_radii, shell_E, shell_nu, shell_eigenstrain, cavity_radius=b)
        C_y = -float(iso(yolk_radii, yolk_E, yolk_nu, 0.0, outer_pressure=1.0).u(a))
        C_s = float(iso(shell_radii, shell_E, shell_nu, 0.0, cavity_radius=b, pressure=1.0).u(b))
        g0 = b + float(s_free.u(b)) - a - float(y_free.u(a))
        p = max(0.0, -g0 / (C_y + C_s))
        yolk = iso(yolk_radii, yolk_E, yolk_nu, yolk_eigenstrain, outer_pressure=p)
        shell = iso(shell_radii, shell_E, shell_nu, shell_eigenstrain, cavity_radius=b, pressure=p)
        return cls(yolk, shell, g0, p, g0 + p * (C_y + C_s), C_y, C_s)

    @property
    def yolk_radius_nm(self) -> float:
        return self.yolk.radii[-1]

    @property
    def gap_outer_radius_nm(self) -> float:
        return self.shell.cavity_radius

    @property
    def in_contact(self) -> bool:
        return self.contact_pressure_MPa > 0.0

    def _field(self, name: str, r) -> np.ndarray:
        r = np.asarray(r, dtype=float)
        flat = np.atleast_1d(r).ravel()
        out = np.full(flat.shape, np.nan)
        a, b, c = self.yolk_radius_nm, self.gap_outer_radius_nm, self.shell.radii[-1]
        for part, m in ((self.yolk, (flat >= 0) & (flat <= a)), (self.shell, (flat >= b) & (flat <= c))):
            if m.any():
                # the centre as its limit (r^(n1 - 1) with n1 = 1 + rounding is 0 at r = 0 exactly)
                out[m] = getattr(part, name)(np.where(flat[m] == 0.0, 1e-12 * a, flat[m]))
        return out.reshape(r.shape)

    def displacement(self, r) -> np.ndarray:
        """u (nm) in the yolk (0 <= r <= a) and the shell (b <= r <= c); NaN elsewhere."""
        return self._field("u", r)

    def sigma_rr(self, r) -> np.ndarray:
        """Radial stress (MPa) in the yolk and the shell; NaN in the void and outside."""
        return self._field("sigma_r", r)

    def sigma_tt(self, r) -> np.ndarray:
        """Hoop stress (MPa) in the yolk and the shell; NaN in the void and outside."""
        return self._field("sigma_t", r)

    def _part(self, layer: int) -> tuple[AnisotropicLayeredSphere, int]:
        ny = len(self.yolk.radii)
        if 0 <= layer < ny:
            return self.yolk, layer
        if ny <= layer < ny + len(self.shell.radii):
            return self.shell, layer - ny
        raise ValueError(f"no layer {layer}")

    def layer_samples(self, layer: int, n: int = 2001) -> np.ndarray:
        part, i = self._part(layer)
        return part.layer_samples(i, n)

    def region_extrema(self, layer: int) -> dict[str, float]:
        """Exact per-region extrema (MPa) of layer ``layer`` (yolk layers first, then shell)."""
        part, i = self._part(layer)
        return part.region_extrema(i)
