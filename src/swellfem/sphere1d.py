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
  int (P_r dv/dR + 2 P_t v / R) R^2 dR = a^2 p lt(a)^2 v(a) - b^2 p_o lt(b)^2 v(b)
  (follower cavity pressure p; follower outer pressure p_o on the outer surface R = b, default 0).
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

Newton with the consistent (analytic) tangent, a banded direct solver (LAPACK's banded LU),
backtracking when a trial iterate has a non-positive stretch. :meth:`Sphere1D.step` ramps theta (at each material point) and the pressure linearly
from the last converged values to the new ones in ``increments`` substeps, halving a substep
when Newton fails (and growing it again, up to the nominal size, after easy ones); the plastic
state carries over, so cycles leave residual stresses. Convergence: ||R||_inf <= ``tolerance``
(1e-11) x E_max R_out^2 (the residual in units of a strain). Caveat: with perfect plasticity
(H = 0) a cavity pressure above the limit load has no solution, yet the discrete problem can
return a spurious one (an oscillating hydrostatic stress) instead of failing; stay below
2 sy ln(b/a) (see ``swellfem.exact.HillSphere``).

Carbon laws (docs/carbon_laws.md)
---------------------------------
``Layer1D(law=...)``: "isotropic" (the model above), "porous" (section 1: crushable foam with
densification, Deshpande-Fleck ellipse, associated flow, the plastic strain is *not*
isochoric: the state is ep_r, ep_t, the Deshpande-Fleck equivalent plastic strain epbar and
phi_min, the smallest porosity reached (initially phi0; the densification hardening
sd (phi0 / phi_min - 1) does not soften when the pores reopen); porosity
phi = 1 - (1 - phi0) exp(-(ep_r + 2 ep_t))) and "transverse" (section 2: transversely
isotropic about the radial direction, anisotropic swelling stretch s_n = 1 + theta e_n radial,
s_t = 1 + theta e_t hoop, Js = s_n s_t^2, wrinkle slack g on the hoop strain with the slope
r = sqrt(slack_stiffness_ratio) below the slack). The material-point
maps (tau_r, tau_t) of (er, et) are :func:`porous_return` (backward Euler in principal axes,
the scalar multiplier x solved to machine precision by a bracketed Newton iteration) and
:func:`transverse_stress` (closed form); er = ln(lr / s_n), et = ln(lt / s_t) (finite) or
er = du/dR - (s_n - 1), et = u/R - (s_t - 1) (small). Tangent: analytic for "transverse", central
differences of the point map for "porous". Finite strain: tau is the Kirchhoff stress per swollen
volume, sigma = (Js / J) tau (with J = lr lt^2, = tau / (Je Jp) for "porous" with its plastic
volume change Jp = exp(ev_p); for the isotropic law this is tau / exp(tr ee)),
P_r = Js tau_r / lr, P_t = Js tau_t / lt as above.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable, Sequence

import numpy as np
from scipy.linalg import solve_banded

from .exact import spherical_extrema

KINEMATICS = ("finite", "small")
CONVENTIONS = ("cube-root", "linear")
LAWS = ("isotropic", "porous", "transverse")


class Sphere1DError(RuntimeError):
    """Newton failed to converge (after all substep cuts) or a stretch became non-positive."""


@dataclasses.dataclass(frozen=True)
class Layer1D:
    """One concentric layer; ``outer_radius_nm`` is its reference outer radius.

    ``law="isotropic"`` (default): Hencky / Hooke with E, nu, isotropic swelling
    ``volumetric_expansion``; ``yield_strength_MPa=None`` means elastic. ``E_potassiated_MPa``
    and ``yield_strength_potassiated_MPa`` are the values at theta = 1 (None: the pristine
    value); both vary linearly in theta.

    ``law="porous"`` (docs/carbon_laws.md section 1): ``E_MPa``, ``nu`` of the dense matrix (the
    porous body has E (1 - porosity)^2, nu), ``porosity`` phi0 in (0, 0.9],
    ``yield_strength_MPa`` (required: uniaxial yield of the porous body),
    ``compaction_strength_MPa`` p_c > yield / 3 (required), ``densification_strength_MPa``
    (None: the yield strength), ``hardening_modulus_MPa`` H, isotropic swelling
    ``volumetric_expansion`` (with the solver's convention).

    ``law="transverse"`` (section 2, axis radial): ``E_MPa`` = E_t and ``nu`` = nu_t in the shell
    plane, ``E_normal_MPa`` (required), ``G_normal_MPa`` (does not enter spherical symmetry:
    optional, only checked), ``nu_normal`` (in-plane contraction per normal stress,
    eps_t = -nu_normal sigma_n / E_n), linear swelling ``expansion_normal`` e_n and
    ``expansion_tangential`` e_t at theta = 1 (s = 1 + theta e, whatever the convention),
    wrinkle slack ``slack_strain`` s0 >= 0 and ``slack_stiffness_ratio`` k in (0, 1] (default 1e-4):
    the in-plane stiffness of the wrinkled sheet over that of the flat one; the slope of g below
    the slack is r = sqrt(k) (:attr:`slack_slope`). ``volumetric_expansion`` must be 0 and there is
    no plasticity.
    """

    outer_radius_nm: float
    E_MPa: float
    nu: float
    volumetric_expansion: float = 0.0
    yield_strength_MPa: float | None = None
    hardening_modulus_MPa: float = 0.0
    E_potassiated_MPa: float | None = None
    yield_strength_potassiated_MPa: float | None = None
    law: str = "isotropic"
    # porous
    porosity: float | None = None
    compaction_strength_MPa: float | None = None
    densification_strength_MPa: float | None = None
    # transverse
    E_normal_MPa: float | None = None
    G_normal_MPa: float | None = None
    nu_normal: float = 0.0
    expansion_normal: float = 0.0
    expansion_tangential: float = 0.0
    slack_strain: float = 0.0
    slack_stiffness_ratio: float = 1e-4

    _POROUS = ("porosity", "compaction_strength_MPa", "densification_strength_MPa")
    _TRANSVERSE_DEFAULTS = {"E_normal_MPa": None, "G_normal_MPa": None, "nu_normal": 0.0, "expansion_normal": 0.0,
                            "expansion_tangential": 0.0, "slack_strain": 0.0, "slack_stiffness_ratio": 1e-4}

    def __post_init__(self):
        if self.law not in LAWS:
            raise ValueError(f"law must be one of {LAWS}, got {self.law!r}")
        if not self.outer_radius_nm > 0:
            raise ValueError(f"outer_radius_nm must be positive, got {self.outer_radius_nm}")
        if not self.E_MPa > 0:
            raise ValueError(f"E_MPa must be positive, got {self.E_MPa}")
        if self.E_potassiated_MPa is not None and not self.E_potassiated_MPa > 0:
            raise ValueError(f"E_potassiated_MPa must be positive, got {self.E_potassiated_MPa}")
        if self.law != "transverse" and not -1.0 < self.nu < 0.5:
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
        # parameters of another law
        if self.law != "porous":
            for name in self._POROUS:
                if getattr(self, name) is not None:
                    raise ValueError(f"{name} is a parameter of law 'porous', not of {self.law!r}")
        if self.law != "transverse":
            for name, default in self._TRANSVERSE_DEFAULTS.items():
                if getattr(self, name) != default:
                    raise ValueError(f"{name} is a parameter of law 'transverse', not of {self.law!r}")
        if self.law != "isotropic":
            for name in ("E_potassiated_MPa", "yield_strength_potassiated_MPa"):
                if getattr(self, name) is not None:
                    raise ValueError(f"{name} is not supported by law {self.law!r} (only 'isotropic')")
        if self.law == "porous":
            if self.yield_strength_MPa is None:
                raise ValueError("law 'porous' needs yield_strength_MPa (the uniaxial yield of the porous body)")
            if self.porosity is None or not 0.0 < self.porosity <= 0.9:
                raise ValueError(f"porosity must lie in (0, 0.9] for law 'porous', got {self.porosity}")
            if self.compaction_strength_MPa is None or not self.compaction_strength_MPa > self.yield_strength_MPa / 3:
                raise ValueError(f"compaction_strength_MPa must exceed yield_strength_MPa / 3 = "
                                 f"{self.yield_strength_MPa / 3:g}, got {self.compaction_strength_MPa}")
            if self.densification_strength_MPa is not None and not self.densification_strength_MPa >= 0:
                raise ValueError(f"densification_strength_MPa must be >= 0, got {self.densification_strength_MPa}")
        if self.law == "transverse":
            if self.yield_strength_MPa is not None or self.hardening_modulus_MPa != 0.0:
                raise ValueError("law 'transverse' is elastic: no yield_strength_MPa / hardening_modulus_MPa")
            if self.volumetric_expansion != 0.0:
                raise ValueError("law 'transverse' swells by expansion_normal and expansion_tangential "
                                 "(set volumetric_expansion = 0)")
            if self.E_normal_MPa is None or not self.E_normal_MPa > 0:
                raise ValueError(f"law 'transverse' needs E_normal_MPa > 0, got {self.E_normal_MPa}")
            if self.G_normal_MPa is not None and not self.G_normal_MPa > 0:
                raise ValueError(f"G_normal_MPa must be positive, got {self.G_normal_MPa}")
            for name in ("expansion_normal", "expansion_tangential"):
                if not getattr(self, name) > -1.0:
                    raise ValueError(f"{name} must exceed -1, got {getattr(self, name)}")
            if not self.slack_strain >= 0:
                raise ValueError(f"slack_strain must be >= 0, got {self.slack_strain}")
            if not 0.0 < self.slack_stiffness_ratio <= 1.0:
                raise ValueError(f"slack_stiffness_ratio must lie in (0, 1], got {self.slack_stiffness_ratio}")
            self.transverse_stiffness()  # positive definite

    @property
    def slack_slope(self) -> float:
        """r = sqrt(slack_stiffness_ratio): the slope of the wrinkle slack g below the slack strain
        (the energy goes with g^2, so the in-plane stiffness ratio is r^2 = k)."""
        return math.sqrt(self.slack_stiffness_ratio)

    def porous_constants(self) -> dict[str, float]:
        """K, mu (of E (1 - phi0)^2, nu), alpha, c, sy, H, sd, phi0 of law 'porous'."""
        if self.law != "porous":
            raise ValueError(f"not a porous layer (law {self.law!r})")
        phi0, sy, pc = self.porosity, self.yield_strength_MPa, self.compaction_strength_MPa
        E = self.E_MPa * (1 - phi0) ** 2
        alpha = sy / math.sqrt(pc**2 - sy**2 / 9)
        return {"K": E / (3 * (1 - 2 * self.nu)), "mu": E / (2 * (1 + self.nu)), "alpha": alpha,
                "c": 1 + (alpha / 3) ** 2, "sy": sy, "H": self.hardening_modulus_MPa,
                "sd": sy if self.densification_strength_MPa is None else self.densification_strength_MPa,
                "phi0": phi0}

    def transverse_stiffness(self) -> dict[str, float]:
        """C11, C12, C13, C33 (MPa; 1, 2 in plane, 3 normal) of law 'transverse': the numerical
        inverse of the compliance; ValueError unless positive definite."""
        if self.law != "transverse":
            raise ValueError(f"not a transverse layer (law {self.law!r})")
        Et, nut, En, nunt = self.E_MPa, self.nu, self.E_normal_MPa, self.nu_normal
        S = np.array([[1 / Et, -nut / Et, -nunt / En], [-nut / Et, 1 / Et, -nunt / En],
                      [-nunt / En, -nunt / En, 1 / En]])
        if not np.all(np.linalg.eigvalsh(S) > 0):
            raise ValueError(f"law 'transverse': E_MPa={Et}, nu={nut}, E_normal_MPa={En}, nu_normal={nunt} give no "
                             "positive definite stiffness")
        C = np.linalg.inv(S)
        return {"C11": float(C[0, 0]), "C12": float(C[0, 1]), "C13": float(C[0, 2]), "C33": float(C[2, 2])}

    @property
    def stiffness_scale_MPa(self) -> float:
        """The largest modulus of the layer (for the solver's residual scale)."""
        vals = [self.E_MPa, self.E_potassiated_MPa or 0.0, self.E_normal_MPa or 0.0]
        return max(vals)


# --- material-point maps of the carbon laws (docs/carbon_laws.md), vectorised -----------------

#: the width of the slack blend, as a fraction of the slack strain
SLACK_BLEND = 0.2


def slack(e, s0, r):
    """The wrinkle slack g(e), g'(e), g''(e) of docs/carbon_laws.md section 2: g = r e below
    s0 - w/2, g' linear from r to 1 over [s0 - w/2, s0 + w/2], g = e - (1 - r) s0 above, with
    w = 0.2 s0; s0 = 0: g = e."""
    e, s0, r = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (e, s0, r)))
    w = SLACK_BLEND * s0
    lo, hi = s0 - 0.5 * w, s0 + 0.5 * w
    below, above = e < lo, e > hi
    blend = ~(below | above)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = e - lo
        g = np.where(below, r * e, np.where(above, e - (1 - r) * s0, r * e + (1 - r) * t**2 / (2 * w)))
        dg = np.where(below, r, np.where(above, 1.0, r + (1 - r) * t / w))
        ddg = np.where(blend, (1 - r) / w, 0.0)
    none = s0 <= 0
    g, dg, ddg = np.where(none, e, g), np.where(none, 1.0, dg), np.where(none, 0.0, ddg)
    return g, dg, ddg


def transverse_stress(er, et, C11, C12, C13, C33, s0=0.0, r=1.0):
    """(T_r, T_t) of law 'transverse' with its axis radial (section 2, spherical symmetry):
    T_r = C33 er + 2 C13 g(et), T_t = g'(et) [(C11 + C12) g(et) + C13 er], and the tangent
    d(T_r, T_t)/d(er, et) as (dTr_der, dTr_det, dTt_der, dTt_det)."""
    g, dg, ddg = slack(et, s0, r)
    Ctt = C11 + C12
    Tt_tilde = Ctt * g + C13 * er
    T_r = C33 * er + 2 * C13 * g
    T_t = dg * Tt_tilde
    tangent = (C33 + 0 * er, 2 * C13 * dg, dg * C13, ddg * Tt_tilde + dg**2 * Ctt)
    return T_r, T_t, tangent


def _porous_yield(epbar, ev_p, phi_min, sy, H, sd, phi0):
    """Y(epbar, min(phi_min, phi(ev_p))) and phi: Y = sy + H epbar + sd (phi0 / min(phi_min, phi, phi0) - 1)
    (the densification hardening follows the smallest porosity reached); Y = +inf where phi <= 0."""
    phi = 1 - (1 - phi0) * np.exp(-ev_p)
    with np.errstate(divide="ignore", invalid="ignore"):
        Y = sy + H * epbar + sd * (phi0 / np.minimum(np.minimum(phi_min, phi), phi0) - 1)
    return np.where(phi > 0, Y, np.inf), phi


def porous_return(er, et, ep_r, ep_t, epbar, phi_min=None, *, K, mu, alpha, c, sy, H, sd, phi0,
                  max_iterations: int = 200):
    """Backward-Euler return map of law 'porous' (section 1) in spherical symmetry: mechanical
    strains (er, et) (log strains in finite strain, from the swollen state) and the state at the
    start of the step (ep_r, ep_t, epbar, phi_min: the smallest porosity reached so far, None:
    phi0); all arguments broadcast. Returns a dict with tau_r, tau_t, the new ep_r, ep_t, epbar,
    ev_p (= ep_r + 2 ep_t), porosity, phi_min (= min(phi_min, porosity)), x (the multiplier
    dgamma / (c Y)) and plastic (bool).

    Trial: tr = tr ee_tr, d = ee_r - ee_t, p_tr = K tr, q_tr = 2 mu |d|. Plastic points:
    d -> d / (1 + 3 mu x), tr -> tr / (1 + K alpha^2 x), and x > 0 solves
    sigma_hat(x) = Y(epbar + c x sigma_hat(x), min(phi_min, phi(ev_p + alpha^2 p(x) x))) by
    Newton's method inside a bracket [lo, hi] (r(lo) > 0 > r(hi), hi found by doubling, Y = inf
    where phi <= 0), falling back to bisection; converged to a few ulps of x. r is strictly
    decreasing (sigma_hat decreases, Y does not), so the root is unique."""
    if phi_min is None:
        phi_min = phi0
    arrays = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in
                                   (er, et, ep_r, ep_t, epbar, phi_min, K, mu, alpha, c, sy, H, sd, phi0)))
    er, et, ep_r, ep_t, epbar, phi_min, K, mu, alpha, c, sy, H, sd, phi0 = (a.ravel() for a in arrays)
    shape = arrays[0].shape
    a2 = alpha**2
    ee_r, ee_t = er - ep_r, et - ep_t
    tr_tr, d_tr = ee_r + 2 * ee_t, ee_r - ee_t
    p_tr, q_tr = K * tr_tr, 2 * mu * np.abs(d_tr)
    ev_n = ep_r + 2 * ep_t
    sh_tr = np.sqrt((q_tr**2 + a2 * p_tr**2) / c)
    Y_n, _ = _porous_yield(epbar, ev_n, phi_min, sy, H, sd, phi0)
    plastic = sh_tr - Y_n > 0
    x = np.zeros_like(er)
    idx = np.flatnonzero(plastic)
    if idx.size:
        x[idx] = _porous_multiplier(p_tr[idx], q_tr[idx], ev_n[idx], epbar[idx], phi_min[idx], K[idx], mu[idx],
                                    a2[idx], c[idx], sy[idx], H[idx], sd[idx], phi0[idx], sh_tr[idx] - Y_n[idx],
                                    Y_n[idx], max_iterations)
    qf, pf = 1 / (1 + 3 * mu * x), 1 / (1 + K * a2 * x)
    d, tr = d_tr * qf, tr_tr * pf
    p = K * tr
    sh = np.sqrt(((2 * mu * d) ** 2 + a2 * p**2) / c)
    ee_r_new, ee_t_new = tr / 3 + 2 * d / 3, tr / 3 - d / 3
    ep_r_new = np.where(plastic, ep_r + (ee_r - ee_r_new), ep_r)
    ep_t_new = np.where(plastic, ep_t + (ee_t - ee_t_new), ep_t)
    epbar_new = epbar + c * x * sh
    ev_p = ep_r_new + 2 * ep_t_new
    phi = 1 - (1 - phi0) * np.exp(-ev_p)
    out = {"tau_r": p + 4 * mu / 3 * d, "tau_t": p - 2 * mu / 3 * d, "ep_r": ep_r_new, "ep_t": ep_t_new,
           "epbar": epbar_new, "ev_p": ev_p, "porosity": phi, "phi_min": np.minimum(phi_min, phi), "x": x,
           "plastic": plastic}
    return {k: v.reshape(shape) for k, v in out.items()}


def _porous_multiplier(p_tr, q_tr, ev_n, epbar_n, phi_min_n, K, mu, a2, c, sy, H, sd, phi0, f_tr, Y_n,
                       max_iterations):
    """The root x > 0 of r(x) = sigma_hat(x) - Y(x) at plastic points (see porous_return)."""

    def resid(x, derivative=True):
        qf, pf = 1 / (1 + 3 * mu * x), 1 / (1 + K * a2 * x)
        q, p = q_tr * qf, p_tr * pf
        sh = np.sqrt((q**2 + a2 * p**2) / c)
        dev = a2 * p * x
        Y, phi = _porous_yield(epbar_n + c * x * sh, ev_n + dev, phi_min_n, sy, H, sd, phi0)
        r = sh - Y
        if not derivative:
            return r, None
        dq, dp = -3 * mu * q * qf, -K * a2 * p * pf
        dsh = (q * dq + a2 * p * dp) / (c * sh)
        ddgam = c * (sh + x * dsh)
        ddev = a2 * (p + x * dp)
        # densification: d/dx of -sd ln(phi), dphi/dev_p = 1 - phi, only where phi < phi_min_n (<= phi0)
        with np.errstate(divide="ignore", invalid="ignore"):
            dY = H * ddgam + np.where(phi < np.minimum(phi_min_n, phi0), -sd * phi0 * (1 - phi) / phi**2 * ddev, 0.0)
        return r, dsh - dY

    # the initial guess: the root of the linearisation of sigma_hat at x = 0 (no hardening)
    dsh0 = -(3 * mu * q_tr**2 + K * a2**2 * p_tr**2) / (c * (f_tr + Y_n))
    guess = f_tr / np.maximum(-dsh0, 1e-300)
    lo, hi = np.zeros_like(p_tr), 2 * guess
    for _ in range(200):  # bracket by doubling
        r_hi, _ = resid(hi, derivative=False)
        grow = ~(r_hi < 0)  # nan counts as not bracketed
        if not grow.any():
            break
        lo = np.where(grow & (r_hi > 0), hi, lo)
        hi = np.where(grow, 2 * hi, hi)
    else:
        raise FloatingPointError("porous return: no bracket for the plastic multiplier")
    x = np.clip(guess, lo, hi)
    x = np.where((x > lo) & (x < hi), x, 0.5 * (lo + hi))
    done = np.zeros(x.shape, dtype=bool)
    eps = np.finfo(float).eps
    for it in range(max_iterations):
        r, dr = resid(x)
        lo = np.where(r > 0, x, lo)
        hi = np.where(r < 0, x, hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            xn = x - r / dr
        bisect = ~np.isfinite(xn) | (xn <= lo) | (xn >= hi) | (it >= max_iterations // 2)
        xn = np.where(bisect, 0.5 * (lo + hi), xn)
        xn = np.where(r == 0, x, xn)
        converged = (np.abs(xn - x) <= 4 * eps * np.abs(xn)) | (hi - lo <= 4 * eps * hi)
        x = np.where(done, x, xn)  # a converged point keeps its last (Newton-polished) value
        done |= converged
        if done.all():
            break
    else:
        raise FloatingPointError("porous return: the plastic multiplier did not converge")
    return x


def point_stress(layer: "Layer1D", er, et, ep_r=0.0, ep_t=0.0, epbar=0.0, phi_min=None) -> dict[str, np.ndarray]:
    """The material-point map of ``layer``'s law in spherical symmetry (for checks): mechanical
    strains (er, et) (small strains, or log strains from the swollen state) and the state at the
    start of the step (``phi_min``: the smallest porosity reached, 'porous' only, None: phi0) ->
    dict with tau_r, tau_t (Kirchhoff per swollen volume; the stress in small strain), ep_r, ep_t,
    epbar (and for 'porous' ev_p, porosity, phi_min, x, plastic)."""
    er, et = np.asarray(er, dtype=float), np.asarray(et, dtype=float)
    if layer.law == "porous":
        return porous_return(er, et, ep_r, ep_t, epbar, phi_min, **layer.porous_constants())
    if layer.law == "transverse":
        C = layer.transverse_stiffness()
        Tr, Tt, _ = transverse_stress(er, et, C["C11"], C["C12"], C["C13"], C["C33"], layer.slack_strain,
                                      layer.slack_slope)
        z = np.zeros(np.broadcast(er, et).shape)
        return {"tau_r": Tr, "tau_t": Tt, "ep_r": z, "ep_t": z, "epbar": z}
    # isotropic (pristine theta = 0 values): J2 radial return in spherical symmetry
    E, nu = layer.E_MPa, layer.nu
    lam, mu = E * nu / ((1 + nu) * (1 - 2 * nu)), E / (2 * (1 + nu))
    K = lam + 2 * mu / 3
    sy = layer.yield_strength_MPa if layer.yield_strength_MPa is not None else np.inf
    ep_r, epbar = np.asarray(ep_r, dtype=float), np.asarray(epbar, dtype=float)
    d_tr = (er - et) - 1.5 * ep_r
    f = 2 * mu * np.abs(d_tr) - (sy + layer.hardening_modulus_MPa * epbar)
    dgam = np.where(f > 0, f / (3 * mu + layer.hardening_modulus_MPa), 0.0)
    sgn = np.sign(d_tr)
    d = d_tr - 1.5 * dgam * sgn
    tr = er + 2 * et
    ep_r_new = ep_r + dgam * sgn
    return {"tau_r": K * tr + 4 * mu / 3 * d, "tau_t": K * tr - 2 * mu / 3 * d, "ep_r": ep_r_new,
            "ep_t": -ep_r_new / 2, "epbar": epbar + dgam}


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
    #: porosity phi of law 'porous' (NaN at the points of the other laws)
    porosity: np.ndarray | None = None
    #: ev_p = ep_r + 2 ep_t (log of the plastic volume ratio in finite strain; 0 but for 'porous')
    plastic_volumetric_strain: np.ndarray | None = None
    #: the plastic strains ep_r, ep_t (isotropic J2: ep_t = -ep_r / 2; 'transverse': 0)
    plastic_strain_r: np.ndarray | None = None
    plastic_strain_t: np.ndarray | None = None
    #: the swelling volume ratio Js (s^3, or s_n s_t^2 for 'transverse')
    swelling_J: np.ndarray | None = None
    #: phi_min of law 'porous': the smallest porosity the point has reached (the state variable of
    #: the densification hardening; NaN at the points of the other laws)
    porosity_min_reached: np.ndarray | None = None

    def _mask(self, layer: int) -> np.ndarray:
        mask = self.layer == layer
        if not mask.any():
            raise ValueError(f"no layer {layer}")
        return mask

    def region_extrema(self, layer: int) -> dict[str, float]:
        """Extrema over layer ``layer`` with the metric names of ``summary.json`` (MPa), plus
        ``equivalent_plastic_strain_max``. Includes the layer's end points."""
        m = self._mask(layer)
        return (spherical_extrema(self.sigma_r_MPa[m], self.sigma_t_MPa[m])
                | {"equivalent_plastic_strain_max": float(self.equivalent_plastic_strain[m].max())}
                | self._porosity_extrema(m))

    def _porosity_extrema(self, m) -> dict[str, float]:
        if self.porosity is None or np.all(np.isnan(self.porosity[m])):
            return {}
        return {"porosity_min": float(np.nanmin(self.porosity[m])), "porosity_max": float(np.nanmax(self.porosity[m]))}

    def boundary(self, layer: int, side: str = "outer") -> dict[str, float]:
        """The values at the inner or outer boundary of layer ``layer`` (its own side of an
        interface): keys R0_nm, r_nm, sigma_r_MPa, sigma_t_MPa, equivalent_plastic_strain, J (and
        porosity, porosity_min_reached, plastic_volumetric_strain when present)."""
        idx = np.flatnonzero(self._mask(layer))
        i = idx[-1] if side == "outer" else idx[0] if side == "inner" else None
        if i is None:
            raise ValueError(f"side must be 'inner' or 'outer', got {side!r}")
        keys = ["R0_nm", "r_nm", "sigma_r_MPa", "sigma_t_MPa", "equivalent_plastic_strain", "J"]
        keys += [k for k in ("porosity", "porosity_min_reached", "plastic_volumetric_strain")
                 if getattr(self, k) is not None]
        return {k: float(getattr(self, k)[i]) for k in keys}


# --- P2 element on [-1, 1] with 3 Gauss points and the two end points --------------------------
_GX, _GW = np.polynomial.legendre.leggauss(3)
_XI = np.concatenate([[-1.0], _GX, [1.0]])
_WQ = np.concatenate([[0.0], _GW, [0.0]])
_N = np.stack([_XI * (_XI - 1) / 2, 1 - _XI**2, _XI * (_XI + 1) / 2], axis=-1)  # (5, 3)
_DN = np.stack([_XI - 0.5, -2 * _XI, _XI + 0.5], axis=-1)  # d/dxi, (5, 3)


def _banded_solve(band: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve K x = rhs for K with half-bandwidth 2, stored as band[i, k] = K[i, i + k - 2]
    (LAPACK's banded LU with partial pivoting, through scipy); raises LinAlgError where K is
    singular or not finite."""
    n = len(rhs)
    ab = np.zeros((5, n))  # LAPACK's layout: ab[2 + i - j, j] = K[i, j]
    for k in range(5):
        lo, hi = max(0, 2 - k), min(n, n + 2 - k)  # rows i with 0 <= i + k - 2 < n
        ab[4 - k, lo + k - 2:hi + k - 2] = band[lo:hi, k]
    try:
        return solve_banded((2, 2), ab, rhs, overwrite_ab=True, check_finite=True)
    except ValueError as exc:  # non-finite entries
        raise np.linalg.LinAlgError(str(exc)) from None


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
        law = np.array([LAWS.index(ly.law) for ly in layers])[self._layer_pt]
        self._iso, self._por, self._tra = law == 0, law == 1, law == 2
        # the isotropic J2 arrays stay harmless (elastic, nu = 0) at the points of the other laws
        self._sy0 = np.where(self._iso, self._sy0, np.inf)
        self._sy1 = np.where(self._iso, self._sy1, np.inf)
        self._nu = np.where(self._tra, 0.0, self._nu)
        self._pc = None
        if self._por.any():  # the constants at the porous points (flattened, in mask order)
            consts = [ly.porous_constants() if ly.law == "porous" else None for ly in layers]
            lay = self._layer_pt[self._por]
            self._pc = {k: np.array([consts[i][k] for i in lay]) for k in consts[int(lay[0])]}
            self._pc5 = {k: np.tile(v, 5) for k, v in self._pc.items()}
        self._tc = None
        if self._tra.any():
            consts = [dict(ly.transverse_stiffness(), s0=ly.slack_strain, r=ly.slack_slope,
                           e_n=ly.expansion_normal, e_t=ly.expansion_tangential) if ly.law == "transverse"
                      else None for ly in layers]
            lay = self._layer_pt[self._tra]
            self._tc = {k: np.array([consts[i][k] for i in lay]) for k in consts[int(lay[0])]}

        n = len(self.nodes_nm)
        self.n_dofs = n
        self.fixed = [] if a > 0 else [0]
        self.R_out = bounds[-1]
        self.force_scale = max(ly.stiffness_scale_MPa for ly in layers) * self.R_out**2
        # state
        self.u = np.zeros(n)
        self.ep_r = np.zeros_like(R)
        self.ep_t = np.zeros_like(R)
        self.epbar = np.zeros_like(R)
        self.phi_min = np.full_like(R, np.nan)  # the smallest porosity reached ('porous'; NaN elsewhere)
        if self._pc is not None:
            self.phi_min[self._por] = self._pc["phi0"]
        self.theta = np.zeros_like(R)
        self.pressure_MPa = 0.0
        self.outer_pressure_MPa = 0.0
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

    #: central-difference step (in strain) of the porous tangent
    FD_STEP = 1e-8

    def _evaluate(self, u, theta, pressure, ep_r_n, epbar_n, tangent=True, ep_t_n=None, phi_min_n=None,
                  outer_pressure=0.0):
        """Stresses, internal forces (and tangent) at the displacement ``u`` from the committed
        plastic state (``ep_t_n`` / ``phi_min_n`` None: the committed one). Returns None when a
        stretch is not positive (finite kinematics) or a value is not finite."""
        if ep_t_n is None:
            ep_t_n = self.ep_t
        if phi_min_n is None:
            phi_min_n = self.phi_min
        ue = u[self.conn]  # (ne, 3)
        gr = np.einsum("eqa,ea->eq", self.Br, ue)
        gt = np.einsum("eqa,ea->eq", self.Bt, ue)
        lr, lt = 1 + gr, 1 + gt
        finite = self.kinematics == "finite"
        if finite and (np.any(lr <= 0) or np.any(lt <= 0) or not np.all(np.isfinite(lr + lt))):
            return None
        s = self._swelling(theta)
        tra, por = self._tra, self._por
        if self._tc is not None:  # anisotropic swelling stretch of the transverse points
            th = theta[tra]
            s_n, s_t = s.copy(), s.copy()
            s_n[tra], s_t[tra] = 1 + th * self._tc["e_n"], 1 + th * self._tc["e_t"]
            if np.any(s_n <= 0) or np.any(s_t <= 0):
                raise Sphere1DError("1 + theta expansion_normal or 1 + theta expansion_tangential <= 0: "
                                    "no swelling stretch")
        else:
            s_n = s_t = s
        if finite:
            er, et = np.log(lr / s_n), np.log(lt / s_t)
        else:
            er, et = gr - (s_n - 1), gt - (s_t - 1)
        # isotropic Hencky / Hooke with J2 (evaluated everywhere, replaced at the other laws' points)
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
        ep_r = ep_r_n + dgam * sgn
        out = {"lr": lr, "lt": lt, "er": er, "et": et, "tau_r": tau_r, "tau_t": tau_t, "ep_r": ep_r, "ep_t": -ep_r / 2,
               "epbar": epbar_n + dgam, "tr": tr, "s": s, "ev_p": np.zeros_like(tr),
               "porosity": np.full_like(tr, np.nan), "phi_min": np.full_like(tr, np.nan)}
        if tangent:
            c = np.where(plastic, self._H / (3 * mu + self._H), 1.0)
            Crr, Crt = K + 4 * mu / 3 * c, 2 * K - 4 * mu / 3 * c
            Ctr, Ctt = K - 2 * mu / 3 * c, 2 * K + 2 * mu / 3 * c
        if self._pc is not None:
            e_r, e_t = er[por], et[por]
            state = (ep_r_n[por], ep_t_n[por], epbar_n[por], phi_min_n[por])
            npor = e_r.size
            if tangent:  # the point map and its central differences in one vectorised call
                h = self.FD_STEP
                e_r = np.concatenate([e_r, e_r + h, e_r - h, e_r, e_r])
                e_t = np.concatenate([e_t, e_t, e_t, e_t + h, e_t - h])
                state = tuple(np.tile(v, 5) for v in state)
                consts = self._pc5
            else:
                consts = self._pc
            try:
                o = porous_return(e_r, e_t, *state, **consts)
            except FloatingPointError:
                return None
            for k in ("tau_r", "tau_t", "ep_r", "ep_t", "epbar", "ev_p", "porosity", "phi_min"):
                out[k][por] = o[k][:npor]
            if tangent:
                Tr, Tt = o["tau_r"].reshape(5, npor), o["tau_t"].reshape(5, npor)
                Crr[por], Ctr[por] = (Tr[1] - Tr[2]) / (2 * h), (Tt[1] - Tt[2]) / (2 * h)
                Crt[por], Ctt[por] = (Tr[3] - Tr[4]) / (2 * h), (Tt[3] - Tt[4]) / (2 * h)
        if self._tc is not None:
            tc = self._tc
            Tr, Tt, dT = transverse_stress(er[tra], et[tra], tc["C11"], tc["C12"], tc["C13"], tc["C33"],
                                           tc["s0"], tc["r"])
            out["tau_r"][tra], out["tau_t"][tra] = Tr, Tt
            for k in ("ep_r", "ep_t", "epbar"):
                out[k][tra] = 0.0
            if tangent:
                Crr[tra], Crt[tra], Ctr[tra], Ctt[tra] = dT
        tau_r, tau_t = out["tau_r"], out["tau_t"]
        Js = s**3
        if self._tc is not None:
            Js = np.where(tra, s_n * s_t**2, Js)
        out["Js"] = Js
        if finite:
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
        lt_b = 1 + u[-1] / self.R_out
        if outer_pressure != 0.0:  # follower load on the (deformed) outer surface
            res[-1] += outer_pressure * self.R_out**2 * (lt_b**2 if finite else 1.0)
        out["residual"] = res
        if not tangent:
            return out
        if finite:
            Arr = Js * (Crr - tau_r) / lr**2
            Art = Js * Crt / (lr * lt)
            Atr = Js * Ctr / (lt * lr)
            Att = Js * (Ctt - tau_t) / lt**2
        else:
            Arr, Art, Atr, Att = Crr, Crt, Ctr, Ctt
        if not all(np.all(np.isfinite(A)) for A in (Arr, Art, Atr, Att)):
            return None
        W, Br, Bt = self.W, self.Br, self.Bt
        ke = (np.einsum("eq,eqa,eqb->eab", W * Arr, Br, Br) + np.einsum("eq,eqa,eqb->eab", W * Art, Br, Bt)
              + 2 * np.einsum("eq,eqa,eqb->eab", W * Atr, Bt, Br) + 2 * np.einsum("eq,eqa,eqb->eab", W * Att, Bt, Bt))
        band = np.zeros((self.n_dofs, 5))
        rows = self.conn[:, :, None] * np.ones((1, 1, 3), dtype=int)
        cols = self.conn[:, None, :] * np.ones((1, 3, 1), dtype=int)
        np.add.at(band, (rows.ravel(), (cols - rows + 2).ravel()), ke.ravel())
        if self.cavity_radius_nm > 0 and finite:
            band[0, 2] -= pressure * 2 * self.cavity_radius_nm * lt_a
        if outer_pressure != 0.0 and finite:
            band[-1, 2] += outer_pressure * 2 * self.R_out * lt_b
        out["band"] = band
        return out


    # --- Newton ------------------------------------------------------------------------------
    def _newton(self, theta, pressure, outer_pressure=0.0):
        """Solve one substep from the committed state; returns (u, state, iterations) or raises
        _Failed."""
        u = self.u.copy()
        hist: list[float] = []
        self.residual_history = hist
        for it in range(self.max_iterations + 1):
            ev = self._evaluate(u, theta, pressure, self.ep_r, self.epbar, outer_pressure=outer_pressure)
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

    def at_points(self, nodal: np.ndarray) -> np.ndarray:
        """Nodal values (one per node of :attr:`nodes_nm`) at the material points (ne, 5): the
        quadratic interpolant of each element."""
        return np.einsum("qa,ea->eq", _N, np.asarray(nodal, dtype=float)[self.conn])

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
             increments: int = 20, outer_pressure_MPa: float = 0.0) -> Sphere1DResult:
        """Ramp theta, the cavity pressure and the outer pressure (MPa, Cauchy on the deformed
        surface, compression positive) linearly from the last converged values to ``theta`` /
        ``pressure_MPa`` / ``outer_pressure_MPa`` in ``increments`` equal substeps (halved on a
        Newton failure, up to ``max_cuts`` times below the nominal size), commit, and return the
        result. Raises :class:`Sphere1DError` when the substep cannot be cut further."""
        if increments < 1:
            raise ValueError("increments must be >= 1")
        if pressure_MPa != 0.0 and self.cavity_radius_nm == 0.0:
            raise ValueError("a pressure needs a cavity (cavity_radius_nm > 0)")
        th0, th1 = self.theta.copy(), self.theta_at(theta)
        p0, p1 = self.pressure_MPa, float(pressure_MPa)
        q0, q1 = self.outer_pressure_MPa, float(outer_pressure_MPa)
        nominal = 1.0 / increments
        dt, t = nominal, 0.0
        iters: list[int] = []
        while t < 1.0 - 1e-12:
            dt = min(dt, 1.0 - t)
            tn = 1.0 if t + dt >= 1.0 - 1e-12 else t + dt
            th, p, q = th0 + tn * (th1 - th0), p0 + tn * (p1 - p0), q0 + tn * (q1 - q0)
            try:
                u, ev, it = self._newton(th, p, q)
            except _Failed as exc:
                if dt < nominal * 0.5**self.max_cuts:
                    raise Sphere1DError(f"load step failed at load fraction {t:.6g} -> {tn:.6g} after "
                                        f"{self.max_cuts} substep cuts: {exc}") from None
                dt *= 0.5
                self.cutbacks += 1
                continue
            self.u, self.theta, self.pressure_MPa, self.outer_pressure_MPa = u, th, p, q
            self.ep_r, self.ep_t, self.epbar, self.phi_min = ev["ep_r"], ev["ep_t"], ev["epbar"], ev["phi_min"]
            self._committed = ev
            iters.append(it)
            t = tn
            if it <= 4:
                dt = min(nominal, 1.5 * dt)
        self.theta, self.pressure_MPa, self.outer_pressure_MPa = th1, p1, q1
        self.newton_iterations += iters
        return self.result(iters)

    _STATE = ("u", "theta", "pressure_MPa", "outer_pressure_MPa", "ep_r", "ep_t", "epbar", "phi_min",
              "_committed", "newton_iterations", "cutbacks")

    def save_state(self) -> dict:
        """A copy of the committed state (displacements, loads, plastic state), for
        :meth:`restore_state`: to try a step and go back (e.g. a contact pressure search)."""
        return {k: (getattr(self, k).copy() if hasattr(getattr(self, k), "copy") else getattr(self, k))
                for k in self._STATE}

    def restore_state(self, state: dict) -> None:
        """Return to a state of :meth:`save_state` (which stays valid for further restores)."""
        for k in self._STATE:
            v = state[k]
            setattr(self, k, v.copy() if hasattr(v, "copy") else v)

    def result(self, newton_iterations: list[int] | None = None) -> Sphere1DResult:
        """The committed state at the material points (see :class:`Sphere1DResult`)."""
        ev = self._committed
        lr, lt = ev["lr"], ev["lt"]
        if self.kinematics == "finite":
            # Cauchy = tau Js / J; for the isotropic law (isochoric plastic flow) J / Js = exp(tr ee)
            Je = np.where(self._iso, np.exp(ev["tr"]), lr * lt**2 / ev["Js"])
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
            theta=self.theta.ravel().copy(), porosity=ev["porosity"].ravel().copy(),
            plastic_volumetric_strain=ev["ev_p"].ravel().copy(),
            plastic_strain_r=self.ep_r.ravel().copy(), plastic_strain_t=self.ep_t.ravel().copy(),
            swelling_J=np.broadcast_to(ev["Js"], self.R.shape).ravel().copy(),
            porosity_min_reached=self.phi_min.ravel().copy())

    def mechanical_strains(self) -> tuple[np.ndarray, np.ndarray]:
        """The committed radial and hoop strains at the material points (ne, 5), swelling taken
        out and plastic strain included: ln(l / s) in finite strain, eps - (s - 1) in small."""
        ev = self._committed
        return np.asarray(ev["er"]), np.asarray(ev["et"])

    def energy_density(self) -> np.ndarray:
        """Stored elastic energy per reference volume at the material points (ne, 5), MPa:
        W = tau : ee / 2 of the elastic (log) strains ee = e - ep, times Js in finite strain;
        law 'transverse': W = (T_r e_r + 2 T~_t g) / 2 with the wrinkle slack g(e_t) and
        T~_t = C13 e_r + (C11 + C12) g (docs/carbon_laws.md section 2)."""
        ev = self._committed
        er, et = ev["er"], ev["et"]
        W = 0.5 * (ev["tau_r"] * (er - self.ep_r) + 2.0 * ev["tau_t"] * (et - self.ep_t))
        if self._tc is not None:
            tc, tra = self._tc, self._tra
            g = slack(et[tra], tc["s0"], tc["r"])[0]
            W[tra] = 0.5 * (ev["tau_r"][tra] * er[tra] + 2.0 * (tc["C13"] * er[tra] + (tc["C11"] + tc["C12"]) * g) * g)
        if self.kinematics == "finite":
            W = W * np.broadcast_to(ev["Js"], W.shape)
        return W

    def nominal_traction(self) -> np.ndarray:
        """First Piola P_r (MPa per reference area) at the material points, for checks."""
        ev = self._committed
        Js = ev["Js"] if self.kinematics == "finite" else 1.0
        lr = ev["lr"] if self.kinematics == "finite" else 1.0
        return (Js * ev["tau_r"] / lr).ravel()

    def pore_volume_lost_nm3(self, layer: int | None = None) -> float:
        """int (1 - exp(ev_p)) dV0 over the porous points (of one layer, or all): the pore volume
        given up (docs/carbon_laws.md section 1, per reference volume dV0 = 4 pi R^2 dR)."""
        ev_p = np.where(self._por, self._committed["ev_p"], 0.0)
        w = self.W if layer is None else np.where(self._layer_pt == layer, self.W, 0.0)
        return float(4 * np.pi * np.sum(w * (1 - np.exp(ev_p))))


class _Failed(Exception):
    pass


# --- yolk-shell: a swelling yolk inside a shell across a void gap, frictionless contact ----------


def _increasing_root(f, known, x, xtol, ftol, max_evals=60):
    """A root of an increasing scalar function: safeguarded secant (bisection when a secant step
    leaves the bracket, doubling while no positive value is known). ``known``: points (x, f(x))
    evaluated before, at least one with f < 0; ``x``: the first trial (None: the secant of the last
    two known points). A trial that raises :class:`Sphere1DError` counts as f = +inf (x too large,
    e.g. a pressure beyond a limit load). Returns (x, f(x)) of the last evaluation (so the
    caller's state is at x)."""
    pts = list(known)

    def bracket():
        neg = max((p for p in pts if p[1] < 0), default=None)
        pos = min((p for p in pts if p[1] > 0), default=None)
        return neg, pos

    def secant():
        fin = [p for p in pts if math.isfinite(p[1])]
        if len(fin) < 2 or not math.isfinite(pts[-1][1]):
            return math.nan
        (x0, f0), (x1, f1) = fin[-2], fin[-1]
        return x1 - f1 * (x1 - x0) / (f1 - f0) if f1 != f0 else math.nan

    if x is None:
        x = secant()
    for _ in range(max_evals):
        neg, pos = bracket()
        if pos is not None:
            if not neg[0] < x < pos[0]:
                x = 0.5 * (neg[0] + pos[0])
        elif not x > neg[0]:
            x = 2 * neg[0] if neg[0] > 0 else neg[0] + max(1.0, abs(neg[0]))
        try:
            fx = f(x)
        except Sphere1DError:
            fx = math.inf
        pts.append((x, fx))
        if abs(fx) <= ftol:
            return x, fx
        x_new = secant()
        neg, pos = bracket()
        if pos is not None and not neg[0] < x_new < pos[0]:  # bisection
            if pos[0] - neg[0] <= xtol(neg[0]):
                raise Sphere1DError(f"no root: f jumps from {neg[1]:.6g} to {pos[1]:.6g} at x = {neg[0]:.12g} "
                                    "(e.g. a limit load)")
            x_new = 0.5 * (neg[0] + pos[0])
        elif math.isfinite(x_new) and abs(x_new - x) <= xtol(x_new):  # a converged secant step
            return x_new, f(x_new)
        x = x_new
    raise Sphere1DError(f"root search did not converge in {max_evals} evaluations (last {pts[-1]})")


@dataclasses.dataclass
class YolkShell1DResult:
    """The state after :meth:`YolkShell1D.step`: theta, the contact pressure (MPa, Cauchy on the
    deformed contact surface, 0 while open), the deformed gap (nm: shell inner radius - yolk outer
    radius; ~0 in contact), the theta at which the gap first closed (None: not yet), the
    :class:`Sphere1DResult` of the yolk and of the shell (own layer numbers) and ``history``: per
    increment of the step, arrays ``theta``, ``contact_pressure_MPa``, ``gap_nm``."""

    theta: float
    contact_pressure_MPa: float
    gap_nm: float
    onset_theta: float | None
    yolk: Sphere1DResult
    shell: Sphere1DResult
    history: dict[str, np.ndarray]

    @property
    def in_contact(self) -> bool:
        return self.contact_pressure_MPa > 0.0

    @property
    def yolk_outer_radius_nm(self) -> float:
        return self.yolk.outer_radius_nm

    @property
    def shell_inner_radius_nm(self) -> float:
        return self.shell.boundary(0, "inner")["r_nm"]

    @property
    def shell_inner_hoop_MPa(self) -> float:
        """Hoop stress of the shell at its inner (contact) surface (MPa)."""
        return self.shell.boundary(0, "inner")["sigma_t_MPa"]


class YolkShell1D:
    """A yolk (:class:`Sphere1D` of ``yolk_layers``, outer radius a, outer pressure p) inside a
    shell (:class:`Sphere1D` of ``shell_layers`` around a cavity of radius
    ``gap_outer_radius_nm`` b >= a, cavity pressure p), both at the same uniform theta; frictionless
    contact: p >= 0, gap = (b + u_shell(b)) - (a + u_yolk(a)) >= 0, p gap = 0 (deformed radii;
    in small strain the loads act in the reference configuration). ``elements_per_layer``: an int
    or one per layer (yolk layers, then shell layers); the other options go to both solvers.

    :meth:`step` ramps theta in increments; per increment p solves gap(p) = 0 (safeguarded
    secant, every trial from the committed state of the increment, to ``pressure_tolerance``
    relative) when the gap would close at p = 0, else p = 0. An increment in which the gap closes
    is split at the closing theta (found by the same root search on theta), the ``onset_theta``.
    Pressure control: a perfectly plastic shell (H = 0) that reaches its limit load raises
    :class:`Sphere1DError` (give it some hardening).
    """

    def __init__(self, yolk_layers: Sequence[Layer1D], shell_layers: Sequence[Layer1D], gap_outer_radius_nm: float,
                 kinematics: str = "finite", convention: str = "cube-root",
                 elements_per_layer: int | Sequence[int] = 200, tolerance: float = 1e-11,
                 max_iterations: int = 25, max_cuts: int = 12, pressure_tolerance: float = 1e-10):
        yolk_layers, shell_layers = tuple(yolk_layers), tuple(shell_layers)
        if not yolk_layers or not shell_layers:
            raise ValueError("a yolk and a shell layer at least")
        a, b = yolk_layers[-1].outer_radius_nm, float(gap_outer_radius_nm)
        if not b >= a:
            raise ValueError(f"gap_outer_radius_nm b = {b} must be >= the yolk radius a = {a}")
        ny = len(yolk_layers)
        if isinstance(elements_per_layer, (int, np.integer)):
            n_y, n_s = int(elements_per_layer), int(elements_per_layer)
        else:
            n = [int(k) for k in elements_per_layer]
            if len(n) != ny + len(shell_layers):
                raise ValueError("elements_per_layer: an int, or one per layer (yolk, then shell)")
            n_y, n_s = n[:ny], n[ny:]
        opts = dict(kinematics=kinematics, convention=convention, tolerance=tolerance,
                    max_iterations=max_iterations, max_cuts=max_cuts)
        self.yolk = Sphere1D(yolk_layers, 0.0, elements_per_layer=n_y, **opts)
        self.shell = Sphere1D(shell_layers, b, elements_per_layer=n_s, **opts)
        self.a_nm, self.b_nm = a, b
        self.pressure_tolerance = pressure_tolerance
        self.theta = 0.0
        self.contact_pressure_MPa = 0.0
        self.onset_theta: float | None = None
        E_min = min(ly.E_MPa for ly in yolk_layers + shell_layers)
        self._stiffness = 0.5 * E_min / b  # MPa per nm of overlap: a first guess, then the last secant
        self._gap_tol = 1e-12 * b

    @property
    def gap_nm(self) -> float:
        """The deformed gap of the committed state (nm)."""
        return (self.b_nm + float(self.shell.u[0])) - (self.a_nm + float(self.yolk.u[-1]))

    def _trial(self, states, theta: float, p: float) -> float:
        """The gap after a step from ``states`` to theta under the contact pressure p (committed,
        so the last trial is the new state)."""
        self.yolk.restore_state(states[0])
        self.shell.restore_state(states[1])
        self.yolk.step(theta, increments=1, outer_pressure_MPa=p)
        self.shell.step(theta, pressure_MPa=p, increments=1)
        return self.gap_nm

    def _increment(self, th1: float) -> None:
        states = (self.yolk.save_state(), self.shell.save_state())
        th0, p0, gap0 = self.theta, self.contact_pressure_MPa, self.gap_nm
        g_open = self._trial(states, th1, 0.0)
        if g_open >= 0.0:  # open at the end of the increment
            self.theta, self.contact_pressure_MPa = th1, 0.0
            return
        if p0 == 0.0 and gap0 > 0.0:  # the gap closes within the increment: split it there
            th_c, _ = _increasing_root(lambda th: -self._trial(states, th, 0.0), [(th0, -gap0), (th1, -g_open)],
                                       None, lambda x: 1e-13 * max(1.0, abs(x)), self._gap_tol)
            self.theta = th_c
            if self.onset_theta is None:
                self.onset_theta = th_c
            states = (self.yolk.save_state(), self.shell.save_state())
            g_open = self._trial(states, th1, 0.0)
            if g_open >= 0.0:
                self.theta, self.contact_pressure_MPa = th1, 0.0
                return
        elif p0 == 0.0 and self.onset_theta is None:
            self.onset_theta = th0
        guess = p0 if p0 > 0.0 else -self._stiffness * g_open
        floor = 1e-9 * self.yolk.force_scale / self.yolk.R_out**2
        p, _ = _increasing_root(lambda p: self._trial(states, th1, p), [(0.0, g_open)], guess,
                                lambda x: self.pressure_tolerance * max(abs(x), floor), self._gap_tol)
        if p > 0.0:
            self._stiffness = p / -g_open
        self.theta, self.contact_pressure_MPa = th1, p

    def step(self, theta: float, increments: int = 20) -> YolkShell1DResult:
        """Ramp the uniform theta from the last value to ``theta`` in ``increments`` equal
        increments, solving the contact in each; returns the committed state."""
        if increments < 1:
            raise ValueError("increments must be >= 1")
        theta = float(theta)
        th0 = self.theta
        hist = {"theta": [], "contact_pressure_MPa": [], "gap_nm": []}
        for k in range(1, increments + 1):
            self._increment(th0 + (theta - th0) * k / increments)
            for key, v in zip(hist, (self.theta, self.contact_pressure_MPa, self.gap_nm)):
                hist[key].append(v)
        return YolkShell1DResult(self.theta, self.contact_pressure_MPa, self.gap_nm, self.onset_theta,
                                 self.yolk.result(), self.shell.result(),
                                 {k: np.array(v) for k, v in hist.items()})
