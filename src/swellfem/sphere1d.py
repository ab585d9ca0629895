"""An independent spherically symmetric reference solver (pure numpy), used by the tests to
verify the 3D / axisymmetric FEM (GUIDE sections 3 and 7).

Units follow the caller: lengths in nm and moduli in MPa give stresses in MPa; tension positive.

Physics
-------
Concentric layers (optionally around a central cavity of radius ``a`` with an internal
pressure ``p``, a follower load on the deformed cavity surface), free outer surface. Each layer
has E, nu, a volumetric swelling ``beta`` at theta = 1, and optionally J2 plasticity with linear
isotropic hardening; E and the yield strength may vary linearly in theta (nu is constant).
The swelling stretch is s = (1 + beta theta)^(1/3) ("cube-root") or 1 + beta theta / 3
("linear"), Js = s^3.

* ``kinematics="finite"``: F = diag(lr, lt, lt), lr = 1 + du/dR, lt = 1 + u/R, F = Fe Fp Fs.
  Mechanical log strains e = ln(l / s), elastic log strains ee = e - ep (ep isochoric:
  ep_t = -ep_r / 2). Hencky: tau = lam tr(ee) I + 2 mu ee (Kirchhoff per swollen volume),
  Cauchy sigma = tau / Je, Je = exp(tr ee). J2 return mapping in the log strains (the
  exponential-map algorithm, which in principal axes is exactly the small-strain radial return).
  Total-Lagrangian equilibrium with P_r = Js tau_r / lr, P_t = Js tau_t / lt:
  int (P_r dv/dR + 2 P_t v / R) R^2 dR = a^2 p lt(a)^2 v(a)   (follower cavity pressure).
* ``kinematics="small"``: eps_r = du/dR, eps_t = u/R, eigenstrain s - 1, eps_e = eps - (s-1) I -
  eps_p, sigma = lam tr(eps_e) I + 2 mu eps_e, the same radial return, equilibrium and pressure
  in the reference configuration.

Yield: f = sqrt(3/2) |dev tau| - (sy(theta) + H epbar) <= 0. In spherical symmetry
sqrt(3/2) |dev tau| = |tau_r - tau_t|, and the whole return mapping is scalar: with
d = ee_r - ee_t, q = 2 mu |d|, dgamma = f_trial / (3 mu + H), d -= 1.5 dgamma sign(d),
ep_r += dgamma sign(d), epbar += dgamma.

Discretisation
--------------
1D finite elements in the reference radius: quadratic (P2) elements, ``elements_per_layer``
equal elements per layer, nodes on every interface (and u(0) = 0 without a cavity);
3-point Gauss quadrature of the R^2-weighted weak form. The material state (ep_r, epbar) lives
at *material points*: the 3 Gauss points of each element and, with zero quadrature weight,
the 2 element end points, which follow their own strain history (the strain of the element's
displacement field at R = element end; at R = 0, u/R is taken as du/dR). The end points give
the stresses *on* the interfaces (one value from each side), at the outer surface, the cavity
wall and the centre without extrapolation. Error: O(h^2) in the end-point stresses and better at
the Gauss points for smooth elastic fields (about 1e-5 relative with 200 elements per layer);
about O(h) near an elastic-plastic front that crosses an element.

Newton with the consistent (analytic) tangent, a banded direct solver (no pivoting: the tangent
is the stiffness of a stable material), backtracking when a trial iterate has a non-positive
stretch. :meth:`Sphere1D.step` ramps theta (at each material point) and the pressure linearly
from the last converged values to the new ones in ``increments`` substeps, halving a substep
when Newton fails (and growing it again, up to the nominal size, after easy ones); the plastic
state carries over, so cycles leave residual stresses. Convergence: ||R||_inf <= ``tolerance``
(1e-11) x E_max R_out^2 (the residual in units of a strain). Caveat: with perfect plasticity
(H = 0) a cavity pressure above the limit load has no solution, yet the discrete problem can
return a spurious one (an oscillating hydrostatic stress) instead of failing; stay below
2 sy ln(b/a) (see ``swellfem.exact.HillSphere``).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable, Sequence

import numpy as np

KINEMATICS = ("finite", "small")
CONVENTIONS = ("cube-root", "linear")


class Sphere1DError(RuntimeError):
    """Newton failed to converge (after all substep cuts) or a stretch became non-positive."""


@dataclasses.dataclass(frozen=True)
class Layer1D:
    """One concentric layer; ``outer_radius_nm`` is its reference outer radius.

    ``yield_strength_MPa=None`` means elastic. ``E_potassiated_MPa`` and
    ``yield_strength_potassiated_MPa`` are the values at theta = 1 (None: the pristine value);
    both vary linearly in theta.
    """

    outer_radius_nm: float
    E_MPa: float
    nu: float
    volumetric_expansion: float = 0.0
    yield_strength_MPa: float | None = None
    hardening_modulus_MPa: float = 0.0
    E_potassiated_MPa: float | None = None
    yield_strength_potassiated_MPa: float | None = None

    def __post_init__(self):
        if not self.outer_radius_nm > 0:
            raise ValueError(f"outer_radius_nm must be positive, got {self.outer_radius_nm}")
        if not self.E_MPa > 0:
            raise ValueError(f"E_MPa must be positive, got {self.E_MPa}")
        if self.E_potassiated_MPa is not None and not self.E_potassiated_MPa > 0:
            raise ValueError(f"E_potassiated_MPa must be positive, got {self.E_potassiated_MPa}")
        if not -1.0 < self.nu < 0.5:
            raise ValueError(f"nu must lie in (-1, 0.5), got {self.nu}")
        if not self.volumetric_expansion > -1.0:
            raise ValueError(f"volumetric_expansion must exceed -1, got {self.volumetric_expansion}")
        if self.yield_strength_MPa is not None and not self.yield_strength_MPa > 0:
            raise ValueError(f"yield_strength_MPa must be positive, got {self.yield_strength_MPa}")
        if self.yield_strength_potassiated_MPa is not None:
            if self.yield_strength_MPa is None:
                raise ValueError("yield_strength_potassiated_MPa needs yield_strength_MPa")
            if not self.yield_strength_potassiated_MPa > 0:
                raise ValueError("yield_strength_potassiated_MPa must be positive")
        if not self.hardening_modulus_MPa >= 0:
            raise ValueError(f"hardening_modulus_MPa must be >= 0, got {self.hardening_modulus_MPa}")


@dataclasses.dataclass
class Sphere1DResult:
    """The state after a load step at the material points, ordered by radius: per element its
    inner end point, 3 Gauss points, outer end point (so every interface appears twice, once per
    layer, and the centre / cavity wall and outer surface are included)."""

    R0_nm: np.ndarray
    r_nm: np.ndarray
    layer: np.ndarray
    sigma_r_MPa: np.ndarray
    sigma_t_MPa: np.ndarray
    equivalent_plastic_strain: np.ndarray
    J: np.ndarray
    outer_radius_nm: float
    newton_iterations: list[int]
    theta: np.ndarray | None = None

    def _mask(self, layer: int) -> np.ndarray:
        mask = self.layer == layer
        if not mask.any():
            raise ValueError(f"no layer {layer}")
        return mask

    def region_extrema(self, layer: int) -> dict[str, float]:
        """Extrema over layer ``layer`` with the metric names of ``summary.json`` (MPa), plus
        ``equivalent_plastic_strain_max``. Includes the layer's end points."""
        m = self._mask(layer)
        srr, stt = self.sigma_r_MPa[m], self.sigma_t_MPa[m]
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
            "equivalent_plastic_strain_max": float(self.equivalent_plastic_strain[m].max()),
        }

    def boundary(self, layer: int, side: str = "outer") -> dict[str, float]:
        """The values at the inner or outer boundary of layer ``layer`` (its own side of an
        interface): keys R0_nm, r_nm, sigma_r_MPa, sigma_t_MPa, equivalent_plastic_strain, J."""
        idx = np.flatnonzero(self._mask(layer))
        i = idx[-1] if side == "outer" else idx[0] if side == "inner" else None
        if i is None:
            raise ValueError(f"side must be 'inner' or 'outer', got {side!r}")
        return {k: float(getattr(self, k)[i]) for k in
                ("R0_nm", "r_nm", "sigma_r_MPa", "sigma_t_MPa", "equivalent_plastic_strain", "J")}


# --- P2 element on [-1, 1] with 3 Gauss points and the two end points --------------------------
_GX, _GW = np.polynomial.legendre.leggauss(3)
_XI = np.concatenate([[-1.0], _GX, [1.0]])
_WQ = np.concatenate([[0.0], _GW, [0.0]])
_N = np.stack([_XI * (_XI - 1) / 2, 1 - _XI**2, _XI * (_XI + 1) / 2], axis=-1)  # (5, 3)
_DN = np.stack([_XI - 0.5, -2 * _XI, _XI + 0.5], axis=-1)  # d/dxi, (5, 3)


def _banded_solve(band: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve K x = rhs for K with half-bandwidth 2, stored as band[i, k] = K[i, i + k - 2];
    Gaussian elimination without pivoting (pure Python on lists, O(n))."""
    n = len(rhs)
    a = band.tolist()
    b = rhs.tolist()
    for i in range(n):
        ai = a[i]
        piv = ai[2]
        if piv == 0.0 or not math.isfinite(piv):
            raise np.linalg.LinAlgError(f"zero or non-finite pivot in row {i}")
        for j in (1, 2):
            r = i + j
            if r >= n:
                break
            ar = a[r]
            f = ar[2 - j] / piv
            if f != 0.0:
                for c in range(i, min(i + 3, n)):
                    ar[c - r + 2] -= f * ai[c - i + 2]
                b[r] -= f * b[i]
    x = [0.0] * n
    for i in range(n - 1, -1, -1):
        ai = a[i]
        s = b[i]
        if i + 1 < n:
            s -= ai[3] * x[i + 1]
        if i + 2 < n:
            s -= ai[4] * x[i + 2]
        x[i] = s / ai[2]
    return np.array(x)


class Sphere1D:
    """Spherically symmetric layered sphere (see the module docstring for the model).

    ``elements_per_layer``: an int, or one int per layer. The initial state is theta = 0,
    pressure 0, u = 0, no plastic strain. Attributes after :meth:`step`:
    ``newton_iterations`` (all accepted substeps so far), ``residual_history`` (normalised
    residual norms ||R||_inf / (E_max R_out^2) of the last Newton solve, first entry before the
    first correction), ``cutbacks`` (substep halvings so far), ``u`` (nodal displacements),
    ``nodes_nm`` (reference node radii).
    """

    def __init__(self, layers: Sequence[Layer1D], cavity_radius_nm: float = 0.0, kinematics: str = "finite",
                 convention: str = "cube-root", elements_per_layer: int | Sequence[int] = 200,
                 tolerance: float = 1e-11, max_iterations: int = 25, max_cuts: int = 12):
        layers = tuple(layers)
        if not layers:
            raise ValueError("at least one layer is needed")
        if kinematics not in KINEMATICS:
            raise ValueError(f"kinematics must be one of {KINEMATICS}, got {kinematics!r}")
        if convention not in CONVENTIONS:
            raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
        a = float(cavity_radius_nm)
        if a < 0:
            raise ValueError(f"cavity_radius_nm must be >= 0, got {a}")
        bounds = [a] + [ly.outer_radius_nm for ly in layers]
        if any(hi <= lo for lo, hi in zip(bounds[:-1], bounds[1:])):
            raise ValueError(f"layer radii must increase outward from the cavity: {bounds}")
        if isinstance(elements_per_layer, (int, np.integer)):
            elements_per_layer = [int(elements_per_layer)] * len(layers)
        n_el = [int(n) for n in elements_per_layer]
        if len(n_el) != len(layers) or min(n_el) < 1:
            raise ValueError("elements_per_layer: a positive int, or one per layer")
        self.layers, self.cavity_radius_nm = layers, a
        self.kinematics, self.convention = kinematics, convention
        self.tolerance, self.max_iterations, self.max_cuts = tolerance, max_iterations, max_cuts

        # mesh
        edges, elayer = [], []
        for i, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
            e = np.linspace(lo, hi, n_el[i] + 1)
            edges.append(e[:-1] if i < len(layers) - 1 else e)
            elayer += [i] * n_el[i]
        vertices = np.concatenate(edges)
        ne = len(vertices) - 1
        self.element_layer = np.array(elayer)
        lo, hi = vertices[:-1], vertices[1:]
        self.nodes_nm = np.empty(2 * ne + 1)
        self.nodes_nm[0::2] = vertices
        self.nodes_nm[1::2] = 0.5 * (lo + hi)
        self.conn = 2 * np.arange(ne)[:, None] + np.arange(3)[None, :]
        h = (hi - lo)[:, None]
        R = 0.5 * (lo + hi)[:, None] + 0.5 * h * _XI[None, :]  # (ne, 5)
        R[:, 0], R[:, -1] = lo, hi  # exact end points
        self.R = R
        self.W = 0.5 * h * _WQ[None, :] * R**2
        self.Br = np.broadcast_to(_DN[None] * (2.0 / h)[:, :, None], (ne, 5, 3)).copy()
        with np.errstate(divide="ignore", invalid="ignore"):
            Bt = _N[None] / R[:, :, None]
        at0 = R == 0.0
        Bt[at0] = self.Br[at0]  # u/R -> du/dR at the centre (u(0) = 0)
        self.Bt = Bt

        def per_point(f):
            return np.array([f(ly) for ly in layers], dtype=float)[self.element_layer][:, None] * np.ones((1, 5))

        self._E0 = per_point(lambda ly: ly.E_MPa)
        self._E1 = per_point(lambda ly: ly.E_potassiated_MPa if ly.E_potassiated_MPa is not None else ly.E_MPa)
        self._nu = per_point(lambda ly: ly.nu)
        self._beta = per_point(lambda ly: ly.volumetric_expansion)
        self._sy0 = per_point(lambda ly: ly.yield_strength_MPa if ly.yield_strength_MPa is not None else np.inf)
        self._sy1 = per_point(lambda ly: (ly.yield_strength_potassiated_MPa if ly.yield_strength_potassiated_MPa
                                          is not None else ly.yield_strength_MPa if ly.yield_strength_MPa
                                          is not None else np.inf))
        self._H = per_point(lambda ly: ly.hardening_modulus_MPa)
        self._layer_pt = self.element_layer[:, None] * np.ones((1, 5), dtype=int)

        n = len(self.nodes_nm)
        self.n_dofs = n
        self.fixed = [] if a > 0 else [0]
        self.R_out = bounds[-1]
        self.force_scale = max(max(ly.E_MPa, ly.E_potassiated_MPa or 0.0) for ly in layers) * self.R_out**2
        # state
        self.u = np.zeros(n)
        self.ep_r = np.zeros_like(R)
        self.epbar = np.zeros_like(R)
        self.theta = np.zeros_like(R)
        self.pressure_MPa = 0.0
        self._committed = self._evaluate(self.u, self.theta, 0.0, self.ep_r, self.epbar, tangent=False)
        self.newton_iterations: list[int] = []
        self.residual_history: list[float] = []
        self.cutbacks = 0

    # --- material point --------------------------------------------------------------------
    def _swelling(self, theta):
        x = self._beta * theta
        if self.convention == "cube-root":
            if np.any(1 + x <= 0):
                raise Sphere1DError("1 + beta theta <= 0: no swelling stretch")
            return np.cbrt(1 + x)
        return 1 + x / 3

    def _material(self, theta):
        E = self._E0 + (self._E1 - self._E0) * theta
        elastic = ~np.isfinite(self._sy0)
        sy0, sy1 = np.where(elastic, 0.0, self._sy0), np.where(elastic, 0.0, self._sy1)
        sy = np.where(elastic, np.inf, sy0 + (sy1 - sy0) * theta)
        nu = self._nu
        lam = E * nu / ((1 + nu) * (1 - 2 * nu))
        mu = E / (2 * (1 + nu))
        return lam, mu, sy

    def _evaluate(self, u, theta, pressure, ep_r_n, epbar_n, tangent=True):
        """Stresses, internal forces (and tangent) at the displacement ``u``. Returns None when a
        stretch is not positive (finite kinematics) or a value is not finite."""
        ue = u[self.conn]  # (ne, 3)
        gr = np.einsum("eqa,ea->eq", self.Br, ue)
        gt = np.einsum("eqa,ea->eq", self.Bt, ue)
        lr, lt = 1 + gr, 1 + gt
        finite = self.kinematics == "finite"
        if finite and (np.any(lr <= 0) or np.any(lt <= 0) or not np.all(np.isfinite(lr + lt))):
            return None
        s = self._swelling(theta)
        if finite:
            er, et = np.log(lr / s), np.log(lt / s)
        else:
            er, et = gr - (s - 1), gt - (s - 1)
        lam, mu, sy = self._material(theta)
        K = lam + 2 * mu / 3
        tr = er + 2 * et
        d_tr = (er - et) - 1.5 * ep_r_n
        Y = sy + self._H * epbar_n
        f = 2 * mu * np.abs(d_tr) - Y
        plastic = f > 0
        sgn = np.sign(d_tr)
        dgam = np.where(plastic, f / (3 * mu + self._H), 0.0)
        d = d_tr - 1.5 * dgam * sgn
        tau_r = K * tr + 4 * mu / 3 * d
        tau_t = K * tr - 2 * mu / 3 * d
        out = {"lr": lr, "lt": lt, "tau_r": tau_r, "tau_t": tau_t, "ep_r": ep_r_n + dgam * sgn,
               "epbar": epbar_n + dgam, "tr": tr, "s": s}
        if finite:
            Js = s**3
            Pr, Pt = Js * tau_r / lr, Js * tau_t / lt
        else:
            Pr, Pt = tau_r, tau_t
        if not (np.all(np.isfinite(Pr)) and np.all(np.isfinite(Pt))):
            return None
        fint = np.einsum("eq,eqa->ea", self.W * Pr, self.Br) + 2 * np.einsum("eq,eqa->ea", self.W * Pt, self.Bt)
        res = np.zeros(self.n_dofs)
        np.add.at(res, self.conn, fint)
        lt_a = 1 + u[0] / self.cavity_radius_nm if self.cavity_radius_nm > 0 else 1.0
        if self.cavity_radius_nm > 0:
            a = self.cavity_radius_nm
            res[0] -= pressure * a**2 * (lt_a**2 if finite else 1.0)
        out["residual"] = res
        if not tangent:
            return out
        c = np.where(plastic, self._H / (3 * mu + self._H), 1.0)
        Crr, Crt = K + 4 * mu / 3 * c, 2 * K - 4 * mu / 3 * c
        Ctr, Ctt = K - 2 * mu / 3 * c, 2 * K + 2 * mu / 3 * c
        if finite:
            Arr = Js * (Crr - tau_r) / lr**2
            Art = Js * Crt / (lr * lt)
            Atr = Js * Ctr / (lt * lr)
            Att = Js * (Ctt - tau_t) / lt**2
        else:
            Arr, Art, Atr, Att = Crr, Crt, Ctr, Ctt
        W, Br, Bt = self.W, self.Br, self.Bt
        ke = (np.einsum("eq,eqa,eqb->eab", W * Arr, Br, Br) + np.einsum("eq,eqa,eqb->eab", W * Art, Br, Bt)
              + 2 * np.einsum("eq,eqa,eqb->eab", W * Atr, Bt, Br) + 2 * np.einsum("eq,eqa,eqb->eab", W * Att, Bt, Bt))
        band = np.zeros((self.n_dofs, 5))
        rows = self.conn[:, :, None] * np.ones((1, 1, 3), dtype=int)
        cols = self.conn[:, None, :] * np.ones((1, 3, 1), dtype=int)
        np.add.at(band, (rows.ravel(), (cols - rows + 2).ravel()), ke.ravel())
        if self.cavity_radius_nm > 0 and finite:
            band[0, 2] -= pressure * 2 * self.cavity_radius_nm * lt_a
        out["band"] = band
        return out

    # --- Newton ------------------------------------------------------------------------------
    def _newton(self, theta, pressure):
        """Solve one substep from the committed state; returns (u, state, iterations) or raises
        _Failed."""
        u = self.u.copy()
        hist: list[float] = []
        self.residual_history = hist
        for it in range(self.max_iterations + 1):
            ev = self._evaluate(u, theta, pressure, self.ep_r, self.epbar)
            if ev is None:
                raise _Failed("a stretch lr or lt became non-positive (or a value non-finite)")
            res = ev["residual"].copy()
            band = ev["band"]
            for i in self.fixed:
                res[i] = 0.0
                band[i, :] = 0.0
                band[i, 2] = 1.0
                for k in (1, 2):  # zero the column entries of the fixed dof
                    if i + k < self.n_dofs:
                        band[i + k, 2 - k] = 0.0
            rn = float(np.max(np.abs(res))) / self.force_scale
            hist.append(rn)
            if not math.isfinite(rn):
                raise _Failed("non-finite residual")
            if rn <= self.tolerance:
                return u, ev, it
            if it == self.max_iterations:
                raise _Failed(f"no convergence in {self.max_iterations} Newton iterations (residual {rn:.3e})")
            try:
                du = _banded_solve(band, -res)
            except np.linalg.LinAlgError as exc:
                raise _Failed(f"singular tangent: {exc}") from None
            alpha = 1.0
            for _ in range(30):
                trial = u + alpha * du
                if self.kinematics == "small" or self._admissible(trial):
                    break
                alpha *= 0.5
            else:
                raise _Failed("a stretch lr or lt became non-positive")
            u = trial
        raise _Failed("unreachable")

    def _admissible(self, u) -> bool:
        ue = u[self.conn]
        lr = 1 + np.einsum("eqa,ea->eq", self.Br, ue)
        lt = 1 + np.einsum("eqa,ea->eq", self.Bt, ue)
        return bool(np.all(lr > 0) and np.all(lt > 0) and np.all(np.isfinite(lr + lt)))

    def theta_at(self, theta) -> np.ndarray:
        """theta at the material points: a callable of the reference radius (vectorised), or a
        number (uniform)."""
        if callable(theta):
            out = np.asarray(theta(self.R), dtype=float)
            out = np.broadcast_to(out, self.R.shape).astype(float)
        else:
            out = np.full(self.R.shape, float(theta))
        if not np.all(np.isfinite(out)):
            raise ValueError("theta must be finite")
        return out

    def step(self, theta: Callable[[np.ndarray], np.ndarray] | float, pressure_MPa: float = 0.0,
             increments: int = 20) -> Sphere1DResult:
        """Ramp theta and the cavity pressure linearly from the last converged values to
        ``theta`` / ``pressure_MPa`` in ``increments`` equal substeps (halved on a Newton
        failure, up to ``max_cuts`` times below the nominal size), commit, and return the result.
        Raises :class:`Sphere1DError` when the substep cannot be cut further."""
        if increments < 1:
            raise ValueError("increments must be >= 1")
        if pressure_MPa != 0.0 and self.cavity_radius_nm == 0.0:
            raise ValueError("a pressure needs a cavity (cavity_radius_nm > 0)")
        th0, th1 = self.theta.copy(), self.theta_at(theta)
        p0, p1 = self.pressure_MPa, float(pressure_MPa)
        nominal = 1.0 / increments
        dt, t = nominal, 0.0
        iters: list[int] = []
        while t < 1.0 - 1e-12:
            dt = min(dt, 1.0 - t)
            tn = 1.0 if t + dt >= 1.0 - 1e-12 else t + dt
            th, p = th0 + tn * (th1 - th0), p0 + tn * (p1 - p0)
            try:
                u, ev, it = self._newton(th, p)
            except _Failed as exc:
                if dt < nominal * 0.5**self.max_cuts:
                    raise Sphere1DError(f"load step failed at load fraction {t:.6g} -> {tn:.6g} after "
                                        f"{self.max_cuts} substep cuts: {exc}") from None
                dt *= 0.5
                self.cutbacks += 1
                continue
            self.u, self.theta, self.pressure_MPa = u, th, p
            self.ep_r, self.epbar = ev["ep_r"], ev["epbar"]
            self._committed = ev
            iters.append(it)
            t = tn
            if it <= 4:
                dt = min(nominal, 1.5 * dt)
        self.theta, self.pressure_MPa = th1, p1
        self.newton_iterations += iters
        return self.result(iters)

    def result(self, newton_iterations: list[int] | None = None) -> Sphere1DResult:
        """The committed state at the material points (see :class:`Sphere1DResult`)."""
        ev = self._committed
        lr, lt = ev["lr"], ev["lt"]
        if self.kinematics == "finite":
            Je = np.exp(ev["tr"])
            sr, st = ev["tau_r"] / Je, ev["tau_t"] / Je
        else:
            sr, st = ev["tau_r"], ev["tau_t"]
        ue = self.u[self.conn]
        uq = np.einsum("qa,ea->eq", _N, ue)
        u_out = self.u[-1]
        return Sphere1DResult(
            R0_nm=self.R.ravel().copy(), r_nm=(self.R + uq).ravel(), layer=self._layer_pt.ravel().copy(),
            sigma_r_MPa=sr.ravel().copy(), sigma_t_MPa=st.ravel().copy(),
            equivalent_plastic_strain=self.epbar.ravel().copy(), J=(lr * lt**2).ravel().copy(),
            outer_radius_nm=float(self.R_out + u_out), newton_iterations=list(newton_iterations or []),
            theta=self.theta.ravel().copy())

    def nominal_traction(self) -> np.ndarray:
        """First Piola P_r (MPa per reference area) at the material points, for checks."""
        ev = self._committed
        Js = ev["s"] ** 3 if self.kinematics == "finite" else 1.0
        lr = ev["lr"] if self.kinematics == "finite" else 1.0
        return (Js * ev["tau_r"] / lr).ravel()


class _Failed(Exception):
    pass
