"""Kinematics of the three formulations (small strain).

Tensors are 3x3: in 2D-axisymmetric the mesh is the meridian (x = r, y = z), u = (u_r, u_z) and
components are ordered (r, theta, z) with the hoop strain u_r / r. Lengths in nm.
"""

from __future__ import annotations

import ufl


class SmallStrain:
    """eps = sym grad u (axisymmetric: with eps_theta_theta = u_r / r) and det F of a displacement."""

    def __init__(self, mesh, axisymmetric: bool, r_tol: float):
        self.mesh = mesh
        self.axisymmetric = axisymmetric
        self.x = ufl.SpatialCoordinate(mesh)
        self.r_tol = r_tol  # nm: closer to the axis than this, u_r / r takes its limit du_r/dr
        self.dim = 3 if axisymmetric else mesh.geometry.dim

    def identity(self):
        return ufl.Identity(self.dim)

    def _hoop(self, w, axis_limit: bool):
        g = ufl.grad(w)
        r = self.x[0]
        return ufl.conditional(ufl.gt(r, self.r_tol), w[0] / r, g[0, 0]) if axis_limit else w[0] / r

    def strain(self, w, axis_limit: bool = True):
        """Small strain of ``w`` as a 3x3 tensor (axisymmetric: (r, theta, z)).

        ``axis_limit`` replaces u_r / r by its limit du_r/dr on the axis (for evaluation at
        points; forms integrate at interior quadrature points and use u_r / r directly)."""
        if not self.axisymmetric:
            return ufl.sym(ufl.grad(w))
        g = ufl.grad(w)
        erz = 0.5 * (g[0, 1] + g[1, 0])
        return ufl.as_matrix([[g[0, 0], 0.0, erz], [0.0, self._hoop(w, axis_limit), 0.0], [erz, 0.0, g[1, 1]]])

    def deformation_gradient_det(self, w):
        """det F of displacement ``w`` (axisymmetric: F_theta_theta = 1 + u_r / r)."""
        g = ufl.grad(w)
        if self.axisymmetric:
            return ((1 + g[0, 0]) * (1 + g[1, 1]) - g[0, 1] * g[1, 0]) * (1 + self._hoop(w, True))
        return ufl.det(ufl.Identity(self.mesh.geometry.dim) + g)
