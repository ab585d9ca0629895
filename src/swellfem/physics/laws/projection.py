"""Local L2 projection onto discontinuous spaces: how laws recover point values (the consistent
eigenstrain of :mod:`.linear_elastic`, the Cauchy stress and plastic strain of
:mod:`.quadrature` laws) for the results."""

from __future__ import annotations

import ufl

from ..._backend import PETSc

from dolfinx import fem  # noqa: E402
from dolfinx.fem import petsc as fem_petsc  # noqa: E402


class LocalProjector:
    """L2 projection (weighted like the problem's integrals) onto a discontinuous space, one
    right-hand side form per target; the mass matrix is block diagonal, CG + Jacobi solves it."""

    def __init__(self, space, weight, dx, what: str = "the stress"):
        self.what = what  # for the error message
        t, q = ufl.TrialFunction(space), ufl.TestFunction(space)
        self.space = space
        self.A = fem_petsc.assemble_matrix(fem.form(ufl.inner(t, q) * weight * dx))
        self.A.assemble()
        self.b = fem_petsc.create_vector(space)
        ksp = PETSc.KSP().create(space.mesh.comm)
        ksp.setOperators(self.A)
        ksp.setType("cg")
        ksp.getPC().setType("jacobi")
        ksp.setTolerances(rtol=1e-12, atol=1e-30, max_it=2000)
        self.ksp = ksp

    def project(self, L, target) -> None:
        b = self.b
        with b.localForm() as loc:
            loc.set(0.0)
        fem_petsc.assemble_vector(b, L)
        b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        self.ksp.solve(b, target.x.petsc_vec)
        if self.ksp.getConvergedReason() < 0:
            from ..solver import SolverError

            raise SolverError(f"local projection of {self.what} did not converge")
        target.x.scatter_forward()

    def destroy(self) -> None:
        self.ksp.destroy()
        self.A.destroy()
        self.b.destroy()
