"""Isotropic linear elasticity with an isotropic potassiation eigenstrain (GUIDE §2).

sigma = lambda tr(eps_e) I + 2 mu eps_e, eps_e = eps(u) - e(theta) I, with e(theta) from
:mod:`swellfem.physics.eigenstrain`. Per-region E, nu, beta are piecewise-constant (DG0) fields.
"""

from __future__ import annotations

import ufl

from ..._backend import dolfinx
from ..eigenstrain import eigenstrain
from .base import LawContext, MaterialLaw, RegionMaterial

from dolfinx import fem  # noqa: E402


class LinearElastic(MaterialLaw):
    name = "linear-elastic"
    linear = True

    def __init__(self, context: LawContext, regions: dict[str, RegionMaterial]):
        super().__init__(context, regions)
        Q0 = fem.functionspace(context.mesh, ("DG", 0))
        self.E = fem.Function(Q0, name="E")
        self.nu = fem.Function(Q0, name="nu")
        self.beta = fem.Function(Q0, name="volumetric_expansion")
        for name, mat in regions.items():
            cells = self.cells(name)
            self.E.x.array[cells] = mat.E_MPa
            self.nu.x.array[cells] = mat.nu
            self.beta.x.array[cells] = mat.volumetric_expansion
        for f in (self.E, self.nu, self.beta):
            f.x.scatter_forward()
        self.e_star = eigenstrain(context.theta, self.beta, context.convention)

    def lame(self):
        mu = self.E / (2.0 * (1.0 + self.nu))
        lmbda = self.E * self.nu / ((1.0 + self.nu) * (1.0 - 2.0 * self.nu))
        return lmbda, mu

    def elastic_strain(self, w, axis_limit: bool = True):
        kin = self.context.kinematics
        return kin.strain(w, axis_limit) - self.e_star * kin.identity()

    def stress(self, w, axis_limit: bool = True):
        eps = self.elastic_strain(w, axis_limit)
        lmbda, mu = self.lame()
        return lmbda * ufl.tr(eps) * self.context.kinematics.identity() + 2.0 * mu * eps

    def energy_density(self, w):
        return 0.5 * ufl.inner(self.stress(w), self.elastic_strain(w))
