"""Porous (microporous) carbon whose pores collapse: a crushable foam with densification.

The law of ``docs/carbon_laws.md`` §1: the self-similar yield ellipse of Deshpande & Fleck
(J. Mech. Phys. Solids 48 (2000) 1253) on the mean stress p and the von Mises stress q,
sigma_hat = sqrt((q^2 + alpha^2 p^2) / c) <= Y, associated flow, and a hardening
Y = sigma_y + H epbar + sigma_d (phi0 / min(phi_min, phi0) - 1) that diverges as the porosity phi
(from the plastic volume change, the matrix keeping its volume) closes; phi_min is the smallest
porosity reached (crushed struts stay crushed). Elastic moduli of the
open-cell foam E (1 - phi0)^2 (Gibson & Ashby 1997), nu; isotropic swelling s(theta).

``small``: eps_e = sym(F) - I - (s - 1) I - eps_p, sigma from eps_e. ``finite``: F = Fe Fp Fs,
Hencky on ln Ve, the return in principal logarithmic strains (the exponential map), as the
isotropic J2 law does. The return is a scalar equation in the multiplier x = dgamma / (c Y),
solved to round-off by safeguarded false position; the tangent dP/dF is central differences of
the whole map (step 1e-6, relative error ~1e-9). Stresses MPa.
"""

from __future__ import annotations

import numpy as np

from ..eigenstrain import eigenstrain_numpy
from .base import LawContext, RegionMaterial
from .isotropic import _check_J, spectral_tangent, spectral_tangent_small
from .tensors import det, inv3, matmul, spectral, sym, sym_eig
from .quadrature import InvertedElementError, PointResponse, QuadratureLaw, difference_tangent

#: relative tolerance of the return's scalar equation
RETURN_TOLERANCE = 1e-14


def deshpande_fleck_alpha(yield_strength: np.ndarray, compaction_strength: np.ndarray) -> np.ndarray:
    """The shape alpha of the yield ellipse that yields at ``yield_strength`` in uniaxial stress
    and at the hydrostatic pressure ``compaction_strength`` (MPa; p_c > sigma_y / 3)."""
    return yield_strength / np.sqrt(compaction_strength**2 - yield_strength**2 / 9.0)


class FoamReturn:
    """The return map of the porous law in principal strains (vectorised over points).

    Per point: K, mu (MPa), alpha, c = 1 + (alpha/3)^2, yield strength sigma_y, hardening H,
    densification strength sigma_d (MPa) and initial porosity phi0."""

    def __init__(self, K, mu, alpha, sy, H, sd, phi0):
        self.K, self.mu, self.alpha, self.sy, self.H, self.sd, self.phi0 = K, mu, alpha, sy, H, sd, phi0
        self.c = 1.0 + (alpha / 3.0) ** 2

    def porosity(self, ev_p: np.ndarray, idx=slice(None)) -> np.ndarray:
        """phi of the plastic volumetric (log) strain: (1 - phi) exp(ev_p) = 1 - phi0."""
        return 1.0 - (1.0 - self.phi0[idx]) * np.exp(-ev_p)

    def strength(self, epbar, ev_p, phi_min, idx=slice(None)) -> np.ndarray:
        """Y (MPa) with the porosity of ``ev_p`` and the smallest porosity reached before
        ``phi_min`` (crushed struts stay crushed); +inf once the pores are closed."""
        phi = np.minimum(self.porosity(ev_p, idx), phi_min)
        phi0 = self.phi0[idx]
        with np.errstate(divide="ignore", invalid="ignore"):
            dens = np.where(phi < phi0, phi0 / np.where(phi > 0, phi, 1.0) - 1.0, 0.0)
        Y = self.sy[idx] + self.H[idx] * epbar + self.sd[idx] * dens
        return np.where(phi > 0, Y, np.inf)

    def equivalent_stress(self, q, p, idx=slice(None)) -> np.ndarray:
        return np.sqrt((q * q + (self.alpha[idx] * p) ** 2) / self.c[idx])

    def __call__(self, e_tr: np.ndarray, epbar: np.ndarray, ev_p: np.ndarray, phi_min: np.ndarray):
        """Principal elastic strains e (n, 3) and the increments (dgamma, d ev_p) of the return
        from the principal trial elastic strains ``e_tr`` and the committed epbar, ev_p, phi_min."""
        K, mu, alpha, c = self.K, self.mu, self.alpha, self.c
        tr = e_tr.sum(axis=1)
        dev = e_tr - tr[:, None] / 3.0
        q_tr = np.sqrt(1.5) * 2.0 * mu * np.sqrt((dev**2).sum(axis=1))
        p_tr = K * tr
        f = self.equivalent_stress(q_tr, p_tr) - self.strength(epbar, ev_p, phi_min)
        x = np.zeros(len(tr))
        idx = np.flatnonzero(f > 0)
        if len(idx):
            x[idx] = self._solve(idx, q_tr[idx], p_tr[idx], epbar[idx], ev_p[idx], phi_min[idx])
        qs = 1.0 / (1.0 + 3.0 * mu * x)
        ps = 1.0 / (1.0 + K * alpha**2 * x)
        sig_hat = self.equivalent_stress(q_tr * qs, p_tr * ps)
        dgamma = c * x * sig_hat
        dev_p = alpha**2 * p_tr * ps * x
        e = (tr * ps)[:, None] / 3.0 + dev * qs[:, None]
        self._last = (x, qs, ps, q_tr, p_tr, dev, tr, sig_hat, ev_p + dev_p, phi_min)
        return e, dgamma, dev_p

    def modulus(self) -> tuple[np.ndarray, np.ndarray]:
        """The consistent principal modulus D_ab = d tau_a / d eps_tr,b (n, 3, 3) of the last
        return, and mu_off (off the diagonal d tau_ab = 2 mu_off d eps_ab): tau_a = K ps tr +
        2 mu qs dev_a with x(eps_tr) from r(x; eps_tr) = 0, dx/deps_b = -(dr/deps_b) / (dr/dx)."""
        x, qs, ps, q_tr, p_tr, dev, tr, sh, ev, phi_min = self._last
        K, mu, a2, c, H, sd = self.K, self.mu, self.alpha**2, self.c, self.H, self.sd
        ones = np.ones((1, 3, 3))
        D = (K * ps)[:, None, None] * ones + (2.0 * mu * qs)[:, None, None] * (np.eye(3) - ones / 3.0)
        plastic = x > 0
        if plastic.any():
            q, p = q_tr * qs, p_tr * ps
            safe = np.where(plastic, sh, 1.0)
            # sigma_hat at fixed eps_tr and at fixed x
            dsh_dx = (-3.0 * mu * qs * q * q - a2 * a2 * K * ps * p * p) / (c * safe)
            dsh_de = (6.0 * mu**2 * qs**2 * dev.T + (a2 * K * ps**2 * p_tr)[None, :]).T / (c * safe)[:, None]
            # Y through dgamma = c x sigma_hat and ev = ev_n + alpha^2 p x (densifying while below phi_min)
            phi = self.porosity(ev)
            safe_phi = np.where(phi > 0, phi, 1.0)
            dens = np.where(phi < np.minimum(phi_min, self.phi0), -sd * self.phi0 * (1.0 - phi) / safe_phi**2, 0.0)
            dY_dx = H * c * (sh + x * dsh_dx) + dens * a2 * (p - x * K * a2 * ps * p)
            dY_de = (H * c * x)[:, None] * dsh_de + (dens * a2 * x * ps * K)[:, None]
            dr_dx = dsh_dx - dY_dx
            dx_de = -(dsh_de - dY_de) / np.where(plastic, dr_dx, 1.0)[:, None]
            # d tau_a / dx
            dtau_dx = ((K * tr * (-K * a2 * ps**2))[:, None] + (2.0 * mu * (-3.0 * mu * qs**2))[:, None] * dev)
            D = D + np.where(plastic, 1.0, 0.0)[:, None, None] * np.einsum("na,nb->nab", dtau_dx, dx_de)
        return D, mu * qs

    def _residual(self, x, idx, q_tr, p_tr, epbar, ev_p, phi_min):
        K, mu, alpha, c = self.K[idx], self.mu[idx], self.alpha[idx], self.c[idx]
        q = q_tr / (1.0 + 3.0 * mu * x)
        p = p_tr / (1.0 + K * alpha**2 * x)
        s = self.equivalent_stress(q, p, idx)
        return s - self.strength(epbar + c * x * s, ev_p + alpha**2 * p * x, phi_min, idx)

    def _solve(self, idx, q_tr, p_tr, epbar, ev_p, phi_min) -> np.ndarray:
        """The root x > 0 of r(x) = sigma_hat(x) - Y(x) (strictly decreasing, r(0) > 0)."""
        res = lambda x: self._residual(x, idx, q_tr, p_tr, epbar, ev_p, phi_min)  # noqa: E731
        lo = np.zeros(len(idx))
        r_lo = res(lo)
        scale = np.abs(r_lo) + self.sy[idx]
        hi = 1.0 / (3.0 * self.mu[idx] + self.K[idx] * self.alpha[idx] ** 2)
        r_hi = res(hi)
        for _ in range(200):
            grow = r_hi > 0
            if not grow.any():
                break
            lo, r_lo = np.where(grow, hi, lo), np.where(grow, r_hi, r_lo)
            hi = np.where(grow, 4.0 * hi, hi)
            r_hi = np.where(grow, res(hi), r_hi)
        else:
            raise ArithmeticError("porous law: no bracket of the return map")
        side = np.zeros(len(idx))  # Illinois: halve the value of an end kept twice
        x = hi
        for _ in range(200):
            finite = np.isfinite(r_hi)
            with np.errstate(invalid="ignore", divide="ignore"):
                xf = hi - r_hi * (hi - lo) / (r_hi - r_lo)
            x = np.where(finite & (xf > lo) & (xf < hi), xf, 0.5 * (lo + hi))
            r = res(x)
            done = (np.abs(r) <= RETURN_TOLERANCE * scale) | (hi - lo <= 1e-15 * hi)
            if done.all():
                return x
            pos = r > 0
            lo, r_lo_new = np.where(pos, x, lo), np.where(pos, r, r_lo)
            hi, r_hi_new = np.where(pos, hi, x), np.where(pos, r_hi, r)
            # Illinois modification: the end that stays gets its value halved
            r_hi_new = np.where(pos & (side > 0), 0.5 * r_hi_new, r_hi_new)
            r_lo_new = np.where(~pos & (side < 0), 0.5 * r_lo_new, r_lo_new)
            side = np.where(pos, 1.0, -1.0)
            r_lo, r_hi = r_lo_new, r_hi_new
        return x


class PorousCarbon(QuadratureLaw):
    """Porous carbon (crushable foam with densification), small or finite strain."""

    name = "porous"
    path_sensitive = True  # compaction then dilation: first order in the increment
    point_outputs = ("porosity", "pore_volume_lost")
    output_measures = {"porosity": ("porosity_min", "min"), "pore_volume_lost": ("pore_volume_lost_nm3", "integral")}

    def __init__(self, context: LawContext, regions: dict[str, RegionMaterial]):
        super().__init__(context, regions)
        self.set_parameters()

    def set_parameters(self) -> None:
        """The per-point parameters from the regions' materials (after the points are known)."""
        mats = list(self.regions.values())
        self.finite = self.context.kinematics_kind == "finite"
        par = [m.parameters for m in mats]
        phi0 = self.point_values([p["porosity"] for p in par])
        E = self.point_values([m.E_MPa for m in mats]) * (1.0 - phi0) ** 2
        nu = self.point_values([m.nu for m in mats])
        sy = self.point_values([m.yield_strength_MPa for m in mats])
        pc = self.point_values([p["compaction_strength"] for p in par])
        self.mu = E / (2.0 * (1.0 + nu))
        self.K = E / (3.0 * (1.0 - 2.0 * nu))
        self.lam = self.K - 2.0 * self.mu / 3.0
        self.beta = self.point_values([m.volumetric_expansion for m in mats])
        self.foam = FoamReturn(self.K, self.mu, deshpande_fleck_alpha(sy, pc), sy,
                               self.point_values([m.hardening_modulus_MPa for m in mats]),
                               self.point_values([p["densification_strength"] for p in par]), phi0)

    def initial_state(self, n: int) -> dict[str, np.ndarray]:
        phi0 = self.point_values([m.parameters["porosity"] for m in self.regions.values()])
        state = {"epbar": np.zeros(n), "ev_p": np.zeros(n), "phi_min": phi0}
        if self.context.kinematics_kind == "finite":
            state["Cp_inv"] = np.broadcast_to(np.eye(3), (n, 3, 3)).copy()
        else:
            state["eps_p"] = np.zeros((n, 3, 3))
        return state

    def _map(self, F, s, state, full: bool):
        """P at F (and with ``full`` the new state, Cauchy stress and energy)."""
        axi = self.context.kinematics.axisymmetric
        if self.finite:
            Fbar = F / s[:, None, None]
            be = sym(matmul(matmul(Fbar, state["Cp_inv"], axi), np.swapaxes(Fbar, 1, 2), axi))
            w, N = sym_eig(be, axi)
            if not (w > 0).all():
                raise InvertedElementError(int((~(w > 0)).any(axis=1).sum()), float(np.nanmin(w)))
            e_tr = 0.5 * np.log(w)
        else:
            trial = sym(F) - s[:, None, None] * np.eye(3) - state["eps_p"]
            e_tr, N = sym_eig(trial, axi)
        e, dgamma, dev_p = self.foam(e_tr, state["epbar"], state["ev_p"], state["phi_min"])
        tr = e.sum(axis=1)
        tau_p = (self.lam * tr)[:, None] + 2.0 * self.mu[:, None] * e
        tau = spectral(N, tau_p, axi)
        if self.finite:
            P = (s**3)[:, None, None] * matmul(tau, np.swapaxes(inv3(F), 1, 2), axi)
        else:
            P = tau
        if not full:
            return P
        D, mu_off = self.foam.modulus()
        comps = self.context.kinematics.components
        if self.finite:
            tangent_data = (F, s**3, w, N, tau, D, mu_off, comps, axi)
        else:
            tangent_data = (N, D, mu_off, comps)
        new = {"epbar": state["epbar"] + dgamma, "ev_p": state["ev_p"] + dev_p}
        new["phi_min"] = np.minimum(state["phi_min"], self.foam.porosity(new["ev_p"]))
        if self.finite:
            Fbar_inv = inv3(F / s[:, None, None])
            be_new = spectral(N, np.exp(2.0 * e), axi)
            new["Cp_inv"] = sym(matmul(matmul(Fbar_inv, be_new, axi), np.swapaxes(Fbar_inv, 1, 2), axi))
            # J = Je Jp Js with a plastic volume change Jp: sigma = Js tau / J
            cauchy = (s**3 / det(F, axi))[:, None, None] * tau
            energy = s**3 * 0.5 * (tau_p * e).sum(axis=1)
        else:
            new["eps_p"] = state["eps_p"] + spectral(N, e_tr - e, axi)
            cauchy = tau
            energy = 0.5 * (tau_p * e).sum(axis=1)
        return P, new, cauchy, energy, tangent_data

    def response(self, F, theta, state) -> PointResponse:
        J = _check_J(F, self.context.kinematics.axisymmetric)
        s = 1.0 + eigenstrain_numpy(theta, self.beta, self.convention)
        P, new, cauchy, energy, data = self._map(F, s, state, full=True)

        def tangent():
            if self.finite:
                return spectral_tangent(*data)
            return spectral_tangent_small(*data)

        phi = self.foam.porosity(new["ev_p"])
        return PointResponse(P=P, tangent_fn=tangent, state=new, cauchy=cauchy, energy=energy,
                             equivalent_plastic_strain=new["epbar"], J=J,
                             outputs={"porosity": phi, "pore_volume_lost": 1.0 - np.exp(new["ev_p"])})

    def tangent_by_differences(self, F, theta, state) -> np.ndarray:
        """dP/dF by central differences of the whole map: the check of the analytic tangent."""
        s = 1.0 + eigenstrain_numpy(theta, self.beta, self.convention)
        return difference_tangent(lambda G: self._map(G, s, state, full=False), F,
                                  self.context.kinematics.components)

    @property
    def convention(self) -> str:
        return self.context.convention
