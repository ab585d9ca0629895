"""Transversely isotropic shells (wrinkled rGO): stiff in the shell plane, soft across it.

The law of ``docs/carbon_laws.md`` §2. The axis is the unit normal n of the shell surface in the
reference configuration (for concentric spheres the radial direction about the centre, or the
context's ``shell_normal``); M = n (x) n, P = I - M. Stiffness C11, C12 (in plane), C13, C33
(normal), C44 (transverse shear) from the engineering constants
(:func:`swellfem.case.laws.transverse_stiffness`). Swelling Fs = s_n M + s_t P with
s_n = 1 + theta e_n, s_t = 1 + theta e_t (graphite -> KC8: e_n ~ 0.6). Wrinkle slack: the in-plane
mean strain e = tr_P(E) / 2 passes through g, of slope r = sqrt(k) (in-plane stiffness ratio
k) up to the slack strain s0 and shifted by (1 - r) s0 beyond (C1 blend over 0.2 s0).

``small``: E = sym(F) - I - eps_s, sigma = T(E). ``finite``: Fe = F Fs^-1, E = ln(Ce) / 2 (Lagrangian
Hencky), Se = D ln(Ce)[T], P = Js Fe Se Fs^-1. Tangent: central differences of the map. MPa.
"""

from __future__ import annotations

import numpy as np
import ufl

from ...case.shapes.polytopes import unit_vectors
from .base import LawContext, RegionMaterial
from .isotropic import _check_J
from .quadrature import InvertedElementError, PointResponse, QuadratureLaw, difference_tangent
from .tensors import det, log_divided_differences, matmul, spectral, sym, sym_eig

from dolfinx import fem  # noqa: E402

#: width of the C1 blend of the slack function, as a fraction of the slack strain
SLACK_BLEND = 0.2


def slack(e: np.ndarray, s0: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """g(e) and g'(e) of the wrinkle slack (docs/carbon_laws.md §2); s0 = 0 gives g(e) = e."""
    w = SLACK_BLEND * s0
    a, b = s0 - 0.5 * w, s0 + 0.5 * w
    none = s0 <= 0
    r = np.where(none, 1.0, r)
    safe_w = np.where(w > 0, w, 1.0)
    blend = (e > a) & (e < b)
    g = np.where(e <= a, r * e, np.where(blend, r * e + (1.0 - r) * (e - a) ** 2 / (2.0 * safe_w),
                                         e - (1.0 - r) * s0))
    dg = np.where(e <= a, r, np.where(blend, r + (1.0 - r) * (e - a) / safe_w, 1.0))
    return np.where(none, e, g), np.where(none, 1.0, dg)


def radial_normal(X: np.ndarray) -> np.ndarray:
    """Unit vectors from the origin to the points X (n, 3) (e_z at the origin)."""
    return unit_vectors(X)


class TransverselyIsotropic(QuadratureLaw):
    """Transversely isotropic elastic shell with anisotropic swelling and wrinkle slack."""

    name = "transverse"
    point_outputs = ("sheet_strain",)
    output_measures = {"sheet_strain": ("sheet_strain_max", "max")}

    def __init__(self, context: LawContext, regions: dict[str, RegionMaterial]):
        super().__init__(context, regions)
        self.set_parameters()
        # the reference normal at every point of the law's cells
        mesh = context.mesh
        X = np.zeros((0, 3))
        if len(self.law_cells):
            x = np.asarray(fem.Expression(ufl.SpatialCoordinate(mesh), self.points).eval(mesh, self.law_cells))
            x = x.reshape(-1, mesh.geometry.dim)
            X = np.stack([x[:, 0], np.zeros(len(x)), x[:, 1]], axis=1) if context.kinematics.axisymmetric else x
        normal_of = getattr(context, "shell_normal", None) or radial_normal
        self.set_normals(normal_of(X))

    @property
    def axisymmetric(self) -> bool:
        """(r, theta, z) tensors with no theta shear: products on their five entries."""
        return self.context.kinematics.axisymmetric

    def set_normals(self, n: np.ndarray) -> None:
        """The unit normals (n, 3) of the shell at the law's points."""
        self.M = np.einsum("ni,nj->nij", n, n)
        self.Pp = np.eye(3) - self.M

    def set_parameters(self) -> None:
        """The per-point parameters from the regions' materials (after the points are known)."""
        from ...case.laws import transverse_stiffness

        mats = list(self.regions.values())
        self.finite = self.context.kinematics_kind == "finite"
        stiff = [transverse_stiffness(m.E_MPa, m.nu, m.parameters["E_normal"], m.parameters["G_normal"],
                                      m.parameters["nu_normal"]) for m in mats]
        self.C11, self.C12, self.C13, self.C33, self.C44 = (self.point_values([c[k] for c in stiff])
                                                            for k in range(5))
        par = [m.parameters for m in mats]
        self.e_n = self.point_values([p["expansion_normal"] for p in par])
        self.e_t = self.point_values([p["expansion_tangential"] for p in par])
        self.s0 = self.point_values([p["slack_strain"] for p in par])
        # the slope of g below the slack: the stiffness goes with its square
        self.ratio = np.sqrt(self.point_values([p["slack_stiffness_ratio"] for p in par]))

    def initial_state(self, n: int) -> dict[str, np.ndarray]:
        return {}

    def stiffness(self, E: np.ndarray) -> np.ndarray:
        """C : E in the local frame of every point (E (n, 3, 3), MPa)."""
        M, Pp = self.M, self.Pp
        a = np.einsum("nij,nij->n", M, E)
        PE = matmul(Pp, E, self.axisymmetric)
        EP = matmul(PE, Pp, self.axisymmetric)
        trP = np.trace(EP, axis1=1, axis2=2)
        PEM = matmul(PE, M, self.axisymmetric)
        return ((self.C11 - self.C12)[:, None, None] * EP
                + (self.C12 * trP + self.C13 * a)[:, None, None] * Pp
                + (self.C13 * trP + self.C33 * a)[:, None, None] * M
                + (2.0 * self.C44)[:, None, None] * (PEM + np.swapaxes(PEM, 1, 2)))

    def _stress(self, E: np.ndarray):
        """T = dW/dE, the sheet strain e and the energy density W of the strain E."""
        e = 0.5 * np.einsum("nij,nij->n", self.Pp, E)
        g, dg = slack(e, self.s0, self.ratio)
        Et = E + (g - e)[:, None, None] * self.Pp
        Tt = self.stiffness(Et)
        T = Tt + ((dg - 1.0) * 0.5 * np.einsum("nij,nij->n", self.Pp, Tt))[:, None, None] * self.Pp
        return T, e, 0.5 * np.einsum("nij,nij->n", Et, Tt)

    def _map(self, F, sn, st, full: bool):
        if not self.finite:
            E = sym(F) - np.eye(3) - (sn - 1.0)[:, None, None] * self.M - (st - 1.0)[:, None, None] * self.Pp
            T, e, W = self._stress(E)
            return (T, T, e, W) if full else T
        axi = self.axisymmetric
        Fs_inv = self.M / sn[:, None, None] + self.Pp / st[:, None, None]
        Fe = matmul(F, Fs_inv, axi)
        Ce = sym(matmul(np.swapaxes(Fe, 1, 2), Fe, axi))
        c, N = sym_eig(Ce, axi)
        if not (c > 0).all():
            raise InvertedElementError(int((~(c > 0)).any(axis=1).sum()), float(np.nanmin(c)))
        lnc = np.log(c)
        E = spectral(N, 0.5 * lnc, axi)
        T, e, W = self._stress(E)
        # Se = D ln(Ce)[T]: divided differences of ln in the eigenbasis of Ce
        G = log_divided_differences(c)
        Nt = np.swapaxes(N, 1, 2)
        Se = matmul(matmul(N, matmul(matmul(Nt, T, axi), N, axi) * G, axi), Nt, axi)
        Js = sn * st * st
        P = Js[:, None, None] * matmul(matmul(Fe, Se, axi), Fs_inv, axi)
        if not full:
            return P
        J = det(F, axi)
        cauchy = matmul(P, np.swapaxes(F, 1, 2), axi) / J[:, None, None]
        return P, cauchy, e, Js * W

    def response(self, F, theta, state) -> PointResponse:
        J = _check_J(F, self.axisymmetric)
        sn, st = 1.0 + theta * self.e_n, 1.0 + theta * self.e_t
        P, cauchy, e, W = self._map(F, sn, st, full=True)

        def tangent():
            # one-sided differences of the map (relative error ~1e-7)
            return difference_tangent(lambda G: self._map(G, sn, st, full=False), F,
                                      self.context.kinematics.components, base=P)

        return PointResponse(P=P, tangent_fn=tangent, state={}, cauchy=cauchy, energy=W,
                             equivalent_plastic_strain=np.zeros(len(J)), J=J, outputs={"sheet_strain": e})
