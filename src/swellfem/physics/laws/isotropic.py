"""Isotropic solids at quadrature points: elasticity with J2 plasticity, small or finite strain.

Elastic constants E (linear in theta between E and E_potassiated), nu; swelling stretch
s(theta) = 1 + e(theta) (:mod:`swellfem.physics.eigenstrain`, both conventions); optional J2
plasticity with yield strength sigma_y(theta) (linear in theta between the pristine and the
potassiated value) and linear isotropic hardening H: f = q - (sigma_y + H epbar) <= 0.

``small``: eps = sym(F - I), eps_e = eps - e I - eps_p, sigma = lambda tr(eps_e) I + 2 mu eps_e;
radial return with the analytic consistent tangent (Simo & Hughes 1998, box 3.2). P = sigma.

``finite`` (GUIDE §7): F = Fe Fp Fs, Fs = s I; Hencky elasticity in the logarithmic elastic strain
eps_e = ln Ve, Kirchhoff stress per swollen volume tau = lambda tr(eps_e) I + 2 mu eps_e = Je sigma;
first Piola P = J sigma F^-T = Js tau F^-T (J = Je Js: the swelling volume carries stress too).
J2 on the von Mises stress of tau, return mapping by the exponential map (Weber & Anand 1990,
Eterovic & Bathe 1990, Simo 1992): the small-strain radial return applied to
eps_e,trial = 1/2 ln be,trial, be,trial = (F/s) Cp^-1 (F/s)^T; state Cp^-1 and epbar.
Its algorithmic tangent dP/dF is taken by central differences of this map (step 1e-6 in F,
relative error ~1e-10: Newton converges quadratically to round-off; see the tests).

A yielded point has a Cauchy von Mises stress (sigma_y + H epbar) / Je. Units MPa.
"""

from __future__ import annotations

import numpy as np

from ..eigenstrain import eigenstrain_numpy
from .base import LawContext, RegionMaterial
from .quadrature import DIFFERENCE_STEP, InvertedElementError, PointResponse, QuadratureLaw
from .tensors import det, inv3, log_divided_differences, matmul, spectral, sym, sym_eig


def spectral_tangent(F: np.ndarray, Js: np.ndarray, w: np.ndarray, N: np.ndarray, tau: np.ndarray, D: np.ndarray,
                     mu_off: np.ndarray, components, axisymmetric: bool = False) -> np.ndarray:
    """dP/dF (n, m, m) in flat ``components`` of an isotropic return in principal logarithmic
    strains (finite strain, P = Js tau F^-T): be,trial = (F/s) Cp^-1 (F/s)^T with eigenvalues
    ``w`` and eigenvectors ``N``; the return maps eps = 1/2 ln w to principal Kirchhoff stresses
    with the principal modulus ``D`` (n, 3, 3) = d tau_a / d eps_b, and off the diagonal
    d tau_ab = 2 mu_off d eps_ab (a deviator scaled uniformly). dbe = l be + be l^T with
    l = dF F^-1; d eps = 1/2 D ln(be)[dbe] (Daleckii-Krein);
    dP = Js (d tau F^-T - tau F^-T dF^T F^-T)."""
    n, m = F.shape[0], len(components)
    axi = axisymmetric
    Fi = inv3(F)
    G = log_divided_differences(w)
    Nt = np.swapaxes(N, 1, 2)
    be = spectral(N, w, axi)
    FiT = np.swapaxes(Fi, 1, 2)
    tauFiT = matmul(tau, FiT, axi)
    tangent = np.empty((n, m, m))
    diag = [0, 1, 2]
    for b, (k, l) in enumerate(components):
        # l = dF F^-1 with dF = e_k (x) e_l: row k of l is row l of F^-1
        L = np.zeros((n, 3, 3))
        L[:, k, :] = Fi[:, l, :]
        A = matmul(L, be, axi)
        deps = 0.5 * matmul(matmul(Nt, A + np.swapaxes(A, 1, 2), axi), N, axi) * G
        dtau_e = (2.0 * mu_off)[:, None, None] * deps
        dtau_e[:, diag, diag] = np.einsum("nab,nb->na", D, deps[:, diag, diag])
        dtau = matmul(matmul(N, dtau_e, axi), Nt, axi)
        # d(F^-T) = -F^-T dF^T F^-T, dF^T = e_l (x) e_k
        second = tauFiT[:, :, l][:, :, None] * FiT[:, k, :][:, None, :]
        dP = Js[:, None, None] * (matmul(dtau, FiT, axi) - second)
        for a, (i, j) in enumerate(components):
            tangent[:, a, b] = dP[:, i, j]
    return tangent


def spectral_tangent_small(N: np.ndarray, D: np.ndarray, mu_off: np.ndarray, components) -> np.ndarray:
    """d sigma / dF (n, m, m) of an isotropic return in principal small strains: sigma from
    eps = sym(F) - ..., eigenvectors ``N``, principal modulus ``D`` (n, 3, 3), off the diagonal
    d sigma_ab = 2 mu_off d eps_ab."""
    n, m = N.shape[0], len(components)
    Nt = np.swapaxes(N, 1, 2)
    tangent = np.empty((n, m, m))
    diag = [0, 1, 2]
    for b, (k, l) in enumerate(components):
        # d eps = sym(e_k (x) e_l) in the eigenbasis: 1/2 (N_k. N_l. + N_l. N_k.)
        deps = 0.5 * (N[:, k, :, None] * N[:, l, None, :] + N[:, l, :, None] * N[:, k, None, :])
        dsig_e = (2.0 * mu_off)[:, None, None] * deps
        dsig_e[:, diag, diag] = np.einsum("nab,nb->na", D, deps[:, diag, diag])
        dsig = N @ dsig_e @ Nt
        for a, (i, j) in enumerate(components):
            tangent[:, a, b] = dsig[:, i, j]
    return tangent


def _check_J(F: np.ndarray, axisymmetric: bool = False) -> np.ndarray:
    J = det(F, axisymmetric)
    bad = ~(J > 0)
    if bad.any():
        raise InvertedElementError(int(bad.sum()), float(np.nanmin(J)) if np.isfinite(J).any() else float("nan"))
    return J


class Isotropic(QuadratureLaw):
    """Isotropic elastic(-plastic) solid, small or finite strain, at quadrature points."""

    name = "isotropic"

    def __init__(self, context: LawContext, regions: dict[str, RegionMaterial]):
        super().__init__(context, regions)
        mats = list(regions.values())
        self.finite = context.kinematics_kind == "finite"
        self.convention = context.convention
        self.E0 = self.point_values([m.E_MPa for m in mats])
        self.E1 = self.point_values([m.E_potassiated_MPa if m.E_potassiated_MPa is not None else m.E_MPa
                                     for m in mats])
        self.nu = self.point_values([m.nu for m in mats])
        self.beta = self.point_values([m.volumetric_expansion for m in mats])
        sy0 = [m.yield_strength_MPa if m.plastic else np.inf for m in mats]
        sy1 = [m.yield_strength_potassiated_MPa if (m.plastic and m.yield_strength_potassiated_MPa is not None)
               else s for m, s in zip(mats, sy0)]
        self.sy0, self.sy1 = self.point_values(sy0), self.point_values(sy1)
        self.H = self.point_values([m.hardening_modulus_MPa for m in mats])

    def yield_bound(self, resp: PointResponse) -> np.ndarray | None:
        """sigma_y(theta) + H epbar at each point, in Cauchy stress (the Kirchhoff yield stress
        / Je, Je = J / Js: the plastic flow is isochoric); infinite at elastic points; None where
        no region of the law yields."""
        if not np.isfinite(self.sy0).any():
            return None
        _, _, sy, s = self._parameters(self.theta_points)
        Y = sy + self.H * resp.equivalent_plastic_strain
        if self.finite:
            Y = Y * s**3 / resp.J
        return Y

    # --- material parameters at theta ----------------------------------------------------

    def _parameters(self, theta: np.ndarray):
        E = self.E0 + theta * (self.E1 - self.E0)
        mu = E / (2.0 * (1.0 + self.nu))
        lam = E * self.nu / ((1.0 + self.nu) * (1.0 - 2.0 * self.nu))
        with np.errstate(invalid="ignore"):
            sy = np.where(np.isfinite(self.sy0), self.sy0 + theta * (self.sy1 - self.sy0), np.inf)
        s = 1.0 + eigenstrain_numpy(theta, self.beta, self.convention)
        return lam, mu, sy, s

    def initial_state(self, n: int) -> dict[str, np.ndarray]:
        if self.context.kinematics_kind == "finite":
            return {"Cp_inv": np.broadcast_to(np.eye(3), (n, 3, 3)).copy(), "epbar": np.zeros(n)}
        return {"eps_p": np.zeros((n, 3, 3)), "epbar": np.zeros(n)}

    def response(self, F, theta, state) -> PointResponse:
        if self.finite:
            return self._finite_response(F, theta, state)
        return self._small_response(F, theta, state)

    # --- small strain: radial return ------------------------------------------------------

    def _small_response(self, F, theta, state) -> PointResponse:
        J = _check_J(F)
        lam, mu, sy, s = self._parameters(theta)
        H = self.H
        K = lam + 2.0 * mu / 3.0
        eye = np.eye(3)
        eps = sym(F - eye)
        trial = eps - (s - 1.0)[:, None, None] * eye - state["eps_p"]
        tr = np.trace(trial, axis1=1, axis2=2)
        dev = trial - tr[:, None, None] * eye / 3.0
        norm = np.sqrt(np.einsum("nij,nij->n", dev, dev))
        q = np.sqrt(1.5) * 2.0 * mu * norm
        f = q - (sy + H * state["epbar"])
        plastic = f > 0
        dgamma = np.where(plastic, f / (3.0 * mu + H), 0.0)
        safe_q = np.where(q > 0, q, 1.0)
        factor = 1.0 - 3.0 * mu * dgamma / safe_q
        sigma = K[:, None, None] * tr[:, None, None] * eye + (2.0 * mu * factor)[:, None, None] * dev
        eps_p = state["eps_p"] + (3.0 * mu * dgamma / safe_q)[:, None, None] * dev
        epbar = state["epbar"] + dgamma
        # consistent tangent C_ijkl, then its flat components
        Isym = 0.5 * (np.einsum("ik,jl->ijkl", eye, eye) + np.einsum("il,jk->ijkl", eye, eye))
        II = np.einsum("ij,kl->ijkl", eye, eye)
        Idev = Isym - II / 3.0
        n_hat = dev / np.where(norm > 0, norm, 1.0)[:, None, None]
        coef = np.where(plastic, 6.0 * mu**2 * (1.0 / (3.0 * mu + H) - dgamma / safe_q), 0.0)
        comps = self.context.kinematics.components

        def tangent():
            C = (K[:, None, None, None, None] * II + (2.0 * mu * factor)[:, None, None, None, None] * Idev
                 - coef[:, None, None, None, None] * np.einsum("nij,nkl->nijkl", n_hat, n_hat))
            return np.stack([np.stack([C[:, i, j, k, l] for k, l in comps], axis=1) for i, j in comps], axis=1)

        elastic = trial - (eps_p - state["eps_p"])
        energy = 0.5 * np.einsum("nij,nij->n", sigma, elastic)
        return PointResponse(P=sigma, tangent_fn=tangent, state={"eps_p": eps_p, "epbar": epbar}, cauchy=sigma,
                             energy=energy, equivalent_plastic_strain=epbar, J=J)

    # --- finite strain: Hencky + exponential-map J2 --------------------------------------

    def _finite_map(self, F, lam, mu, sy, s, state, full: bool):
        """The return map at F: P, and with ``full`` also (tau, eps_e, N, dgamma, trial data)."""
        Fbar = F / s[:, None, None]
        be = sym(Fbar @ state["Cp_inv"] @ np.swapaxes(Fbar, 1, 2))
        w, N = sym_eig(be, self.context.kinematics.axisymmetric)
        if not (w > 0).all():
            raise InvertedElementError(int((~(w > 0)).any(axis=1).sum()), float(np.nanmin(w)))
        eps = 0.5 * np.log(w)  # principal trial elastic log strains
        tr = eps.sum(axis=1)
        dev = eps - tr[:, None] / 3.0
        norm = np.sqrt((dev**2).sum(axis=1))
        q = np.sqrt(1.5) * 2.0 * mu * norm
        f = q - (sy + self.H * state["epbar"])
        plastic = f > 0
        dgamma = np.where(plastic, f / (3.0 * mu + self.H), 0.0)
        safe_q = np.where(q > 0, q, 1.0)
        eps_e = tr[:, None] / 3.0 + dev * (1.0 - 3.0 * mu * dgamma / safe_q)[:, None]
        tau_p = lam[:, None] * eps_e.sum(axis=1)[:, None] + 2.0 * mu[:, None] * eps_e
        tau = spectral(N, tau_p)
        Js = s**3
        P = Js[:, None, None] * tau @ np.swapaxes(inv3(F), 1, 2)
        if not full:
            return P
        return P, tau, eps_e, N, dgamma, {"w": w, "dev": dev, "norm": norm, "q": q, "plastic": plastic}

    def _finite_tangent(self, F, lam, mu, s, tau, N, dgamma, trial, state) -> np.ndarray:
        """The consistent tangent dP/dF (flat components) of :meth:`_finite_map`, analytic: the
        J2 radial return's principal modulus K 1 (x) 1 + 2 mu f (I - 1 (x) 1 / 3) - c nhat (x) nhat
        (off-diagonal 2 mu f) through :func:`spectral_tangent`."""
        K = lam + 2.0 * mu / 3.0
        q, norm, plastic = trial["q"], trial["norm"], trial["plastic"]
        safe_q = np.where(q > 0, q, 1.0)
        f = 1.0 - 3.0 * mu * dgamma / safe_q
        c = np.where(plastic, 6.0 * mu**2 * (1.0 / (3.0 * mu + self.H) - dgamma / safe_q), 0.0)
        nhat = trial["dev"] / np.where(norm > 0, norm, 1.0)[:, None]  # (n, 3), principal
        ones = np.ones((1, 3, 3))
        D = (K[:, None, None] * ones + (2.0 * mu * f)[:, None, None] * (np.eye(3) - ones / 3.0)
             - c[:, None, None] * np.einsum("na,nb->nab", nhat, nhat))
        return spectral_tangent(F, s**3, trial["w"], N, tau, D, mu * f, self.context.kinematics.components)

    def _finite_map_axisymmetric(self, flat, lam, mu, sy, s, state, full: bool = False):
        """:meth:`_finite_map` (P only) for axisymmetric tensors, written on their (r, z) block and
        theta-theta entry component by component: the same map, ~10 times faster. ``flat`` holds
        F as (rr, rz, zr, zz, tt); returns P the same way."""
        a, b, c, d, t = (flat[:, k] / s for k in range(5))  # F / s
        Cp = state["Cp_inv"]
        C11, C12, C22, Ctt = Cp[:, 0, 0], Cp[:, 0, 2], Cp[:, 2, 2], Cp[:, 1, 1]
        M11, M12 = a * C11 + b * C12, a * C12 + b * C22
        M21, M22 = c * C11 + d * C12, c * C12 + d * C22
        be11, be12, be22 = M11 * a + M12 * b, M11 * c + M12 * d, M21 * c + M22 * d
        be_tt = t * t * Ctt
        x = 0.5 * (be11 - be22)
        mean, half = 0.5 * (be11 + be22), np.sqrt(x * x + be12 * be12)
        w1, w3 = mean - half, mean + half
        if not ((w1 > 0).all() and (be_tt > 0).all()):
            raise InvertedElementError(int((~((w1 > 0) & (be_tt > 0))).sum()), float(min(w1.min(), be_tt.min())))
        # the larger eigenvalue's direction at phi in the (r, z) plane: cos 2 phi, sin 2 phi (no
        # trigonometry: every use is quadratic in cos phi, sin phi; phi = 0 where w1 = w3)
        round_ = half > 0
        safe = np.where(round_, half, 1.0)
        cos2, sin2 = np.where(round_, x / safe, 1.0), np.where(round_, be12 / safe, 0.0)
        e1, e2, e3 = 0.5 * np.log(w1), 0.5 * np.log(be_tt), 0.5 * np.log(w3)
        tr = e1 + e2 + e3
        d1, d2, d3 = e1 - tr / 3.0, e2 - tr / 3.0, e3 - tr / 3.0
        norm = np.sqrt(d1 * d1 + d2 * d2 + d3 * d3)
        q = np.sqrt(1.5) * 2.0 * mu * norm
        f = q - (sy + self.H * state["epbar"])
        dgamma = np.where(f > 0, f / (3.0 * mu + self.H), 0.0)
        scale = 1.0 - 3.0 * mu * dgamma / np.where(q > 0, q, 1.0)
        # tau = lambda tr(eps_e) + 2 mu eps_e; the return keeps tr and scales the deviator
        base = (lam + 2.0 * mu / 3.0) * tr
        t1, t2, t3 = base + 2.0 * mu * d1 * scale, base + 2.0 * mu * d2 * scale, base + 2.0 * mu * d3 * scale
        # tau block = t1 v1 v1^T + t3 v3 v3^T with v1 = (-sin phi, cos phi), v3 = (cos phi, sin phi)
        mid, diff = 0.5 * (t1 + t3), 0.5 * (t3 - t1)
        tau11, tau22, tau12 = mid + diff * cos2, mid - diff * cos2, diff * sin2
        Js = s * s * s
        a0, b0, c0, d0, t0 = (flat[:, k] for k in range(5))
        det = a0 * d0 - b0 * c0
        # F^-T block = [[d, -c], [-b, a]] / det
        i11, i12, i21, i22 = d0 / det, -c0 / det, -b0 / det, a0 / det
        P = np.empty_like(flat)
        P[:, 0] = Js * (tau11 * i11 + tau12 * i21)  # rr
        P[:, 1] = Js * (tau11 * i12 + tau12 * i22)  # rz
        P[:, 2] = Js * (tau12 * i11 + tau22 * i21)  # zr
        P[:, 3] = Js * (tau12 * i12 + tau22 * i22)  # zz
        P[:, 4] = Js * t2 / t0  # theta-theta
        if not full:
            return P
        # the updated state: be = N exp(2 eps_e) N^T, Cp^-1 = (F/s)^-1 be (F/s)^-T
        tr_e = tr  # the return is isochoric
        x1, x2, x3 = (np.exp(2.0 * (tr / 3.0 + dk * scale)) for dk in (d1, d2, d3))
        mid, diff = 0.5 * (x1 + x3), 0.5 * (x3 - x1)
        b11, b22, b12 = mid + diff * cos2, mid - diff * cos2, diff * sin2
        detb = a * d - b * c
        j11, j12, j21, j22 = d / detb, -b / detb, -c / detb, a / detb  # (F/s)^-1 block
        N11, N12 = j11 * b11 + j12 * b12, j11 * b12 + j12 * b22
        N21, N22 = j21 * b11 + j22 * b12, j21 * b12 + j22 * b22
        Cp_new = np.zeros_like(Cp)
        Cp_new[:, 0, 0] = N11 * j11 + N12 * j12
        Cp_new[:, 0, 2] = Cp_new[:, 2, 0] = N11 * j21 + N12 * j22
        Cp_new[:, 2, 2] = N21 * j21 + N22 * j22
        Cp_new[:, 1, 1] = x2 / (t * t)
        Je = np.exp(tr_e)
        cauchy = np.zeros((flat.shape[0], 3, 3))
        cauchy[:, 0, 0], cauchy[:, 2, 2], cauchy[:, 1, 1] = tau11 / Je, tau22 / Je, t2 / Je
        cauchy[:, 0, 2] = cauchy[:, 2, 0] = tau12 / Je
        e_sq = sum((tr / 3.0 + dk * scale) ** 2 for dk in (d1, d2, d3))
        energy = Js * (0.5 * lam * tr_e**2 + mu * e_sq)
        Pfull = np.zeros_like(cauchy)
        Pfull[:, 0, 0], Pfull[:, 0, 2], Pfull[:, 2, 0], Pfull[:, 2, 2], Pfull[:, 1, 1] = (P[:, k] for k in range(5))
        return Pfull, {"Cp_inv": Cp_new, "epbar": state["epbar"] + dgamma}, cauchy, energy, det * t0

    def _finite_response(self, F, theta, state) -> PointResponse:
        if self.context.kinematics.axisymmetric:
            return self._finite_response_axisymmetric(F, theta, state)
        J = _check_J(F)
        lam, mu, sy, s = self._parameters(theta)
        P, tau, eps_e, N, dgamma, trial = self._finite_map(F, lam, mu, sy, s, state, full=True)
        Fbar_inv = inv3(F / s[:, None, None])
        be_new = spectral(N, np.exp(2.0 * eps_e))
        Cp_inv = sym(Fbar_inv @ be_new @ np.swapaxes(Fbar_inv, 1, 2))
        epbar = state["epbar"] + dgamma

        def tangent():
            return self._finite_tangent(F, lam, mu, s, tau, N, dgamma, trial, state)

        Je = np.exp(eps_e.sum(axis=1))
        cauchy = tau / Je[:, None, None]
        tr_e = eps_e.sum(axis=1)
        energy = s**3 * (0.5 * lam * tr_e**2 + mu * (eps_e**2).sum(axis=1))
        return PointResponse(P=P, tangent_fn=tangent, state={"Cp_inv": Cp_inv, "epbar": epbar}, cauchy=cauchy,
                             energy=energy, equivalent_plastic_strain=epbar, J=J)

    def _finite_response_axisymmetric(self, F, theta, state) -> PointResponse:
        flat = self.context.kinematics.to_flat(F)
        lam, mu, sy, s = self._parameters(theta)
        J = flat[:, 4] * (flat[:, 0] * flat[:, 3] - flat[:, 1] * flat[:, 2])
        if not (J > 0).all():
            raise InvertedElementError(int((~(J > 0)).sum()), float(np.nanmin(J)))
        P, new_state, cauchy, energy, _ = self._finite_map_axisymmetric(flat, lam, mu, sy, s, state, full=True)

        def tangent():
            m = flat.shape[1]
            out = np.empty((flat.shape[0], m, m))
            h = DIFFERENCE_STEP
            for b in range(m):
                fp, fm = flat.copy(), flat.copy()
                fp[:, b] += h
                fm[:, b] -= h
                out[:, :, b] = (self._finite_map_axisymmetric(fp, lam, mu, sy, s, state)
                                - self._finite_map_axisymmetric(fm, lam, mu, sy, s, state)) / (2.0 * h)
            return out

        return PointResponse(P=P, tangent_fn=tangent, state=new_state, cauchy=cauchy, energy=energy,
                             equivalent_plastic_strain=new_state["epbar"], J=J)
