"""Kinematics of the three formulations: small strain and the deformation gradient.

Tensors are 3x3: in 2D-axisymmetric the mesh is the meridian (x = r, y = z), u = (u_r, u_z) and
components are ordered (r, theta, z) with the hoop strain u_r / r (F_theta_theta = 1 + u_r / r).
Lengths in nm.

Laws that work at quadrature points (:class:`swellfem.physics.laws.QuadratureLaw`) see the
displacement gradient as a flat vector of its independent components (:attr:`components`):
nine in 3D, five in axisymmetry ((r,r), (r,z), (z,r), (z,z), (theta,theta)); the virtual work
of a first Piola stress P is P[components] . :meth:`gradient_components` (v).
"""

from __future__ import annotations

import numpy as np
import ufl

#: (i, j) entries of the 3x3 gradient, in flat order, per formulation kind
AXISYMMETRIC_COMPONENTS = ((0, 0), (0, 2), (2, 0), (2, 2), (1, 1))
FULL_COMPONENTS = tuple((i, j) for i in range(3) for j in range(3))


class SmallStrain:
    """eps = sym grad u (axisymmetric: with eps_theta_theta = u_r / r) and det F of a displacement."""

    def __init__(self, mesh, axisymmetric: bool, r_tol: float):
        self.mesh = mesh
        self.axisymmetric = axisymmetric
        self.x = ufl.SpatialCoordinate(mesh)
        # nm: closer to the axis than this, u_r / r takes its limit du_r/dr. A Constant, not a
        # number: the compiled forms then do not depend on the particle's size (one JIT per sweep)
        from dolfinx import fem

        self.r_tol = fem.Constant(mesh, float(r_tol))
        self.dim = 3 if axisymmetric else mesh.geometry.dim
        self.components = AXISYMMETRIC_COMPONENTS if axisymmetric else FULL_COMPONENTS

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

    def deformation_gradient(self, w):
        """F = I + grad w as a 3x3 UFL matrix (axisymmetric: (r, theta, z), F_theta_theta = 1 + w_r / r)."""
        if not self.axisymmetric:
            return ufl.Identity(self.dim) + ufl.grad(w)
        g = ufl.grad(w)
        return ufl.as_matrix([[1 + g[0, 0], 0.0, g[0, 1]], [0.0, 1 + w[0] / self.x[0], 0.0],
                              [g[1, 0], 0.0, 1 + g[1, 1]]])

    def vector3(self, w):
        """A displacement as a 3-vector (axisymmetric: (w_r, 0, w_z))."""
        return ufl.as_vector([w[0], 0.0, w[1]]) if self.axisymmetric else w

    def deformation_gradient_det(self, w):
        """det F of displacement ``w`` (axisymmetric: F_theta_theta = 1 + u_r / r)."""
        g = ufl.grad(w)
        if self.axisymmetric:
            return ((1 + g[0, 0]) * (1 + g[1, 1]) - g[0, 1] * g[1, 0]) * (1 + self._hoop(w, True))
        return ufl.det(ufl.Identity(self.mesh.geometry.dim) + g)

    def gradient_components(self, w):
        """The independent components of grad w (3x3 in (r, theta, z) axisymmetric), as a UFL
        vector in the order of :attr:`components` (at interior quadrature points)."""
        g = ufl.grad(w)
        if self.axisymmetric:
            return ufl.as_vector([g[0, 0], g[0, 1], g[1, 0], g[1, 1], w[0] / self.x[0]])
        return ufl.as_vector([g[i, j] for i, j in self.components])

    def to_tensor(self, flat: np.ndarray) -> np.ndarray:
        """(n, m) flat components -> (n, 3, 3) tensors (absent entries zero)."""
        out = np.zeros((flat.shape[0], 3, 3))
        for k, (i, j) in enumerate(self.components):
            out[:, i, j] = flat[:, k]
        return out

    def to_flat(self, tensor: np.ndarray) -> np.ndarray:
        """(n, 3, 3) -> (n, m) in the order of :attr:`components`."""
        return np.stack([tensor[:, i, j] for i, j in self.components], axis=1)
