"""Small-strain linear elasticity with an isotropic potassiation eigenstrain.

sigma = lambda tr(eps_e) I + 2 mu eps_e,  eps_e = sym grad u - e(theta) I, tension positive.
Per-region E, nu, beta (piecewise constant); theta(x) in [0, 1] is the local state of
potassiation. Units: lengths nm, E and stress MPa, so u is in nm.

Formulations: ``axisymmetric`` (mesh coordinates x = r, y = z; u = (u_r, u_z); hoop strain
u_r / r; integrals carry 2 pi r), ``3d-octant`` (u . n = 0 on the three symmetry planes) and
``3d`` (no constraint: the six rigid-body modes are the null space of the Krylov solver and
are projected out of the solution, which leaves the stress untouched).

The stiffness matrix does not depend on theta: it is assembled and factorised once and each
stage only assembles a new right-hand side.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import ufl

from ._backend import MPI, PETSc, dolfinx
from .mesh import LoadedMesh

from dolfinx import fem  # noqa: E402
from dolfinx.fem import petsc as fem_petsc  # noqa: E402


class SolverError(RuntimeError):
    """The linear solver did not converge."""


@dataclasses.dataclass(frozen=True)
class RegionMaterial:
    """Elastic constants and swelling of one region (E in MPa)."""

    E_MPa: float
    nu: float
    volumetric_expansion: float
    active: bool


def eigenstrain(theta, beta, convention: str):
    """Isotropic eigenstrain e: ``linear`` beta theta / 3; ``cube-root`` (1 + beta theta)^(1/3) - 1."""
    if convention == "linear":
        return beta * theta / 3.0
    if convention == "cube-root":
        return (1.0 + beta * theta) ** (1.0 / 3.0) - 1.0
    raise ValueError(f"unknown eigenstrain convention {convention!r}")


def eigenstrain_numpy(theta: np.ndarray | float, beta: np.ndarray | float, convention: str):
    """:func:`eigenstrain` on numbers (the same two conventions)."""
    if convention == "linear":
        return np.asarray(beta) * theta / 3.0
    return np.cbrt(1.0 + np.asarray(beta) * theta) - 1.0


@dataclasses.dataclass
class SolveInfo:
    iterations: int
    reason: int
    solver: str


class ElasticityProblem:
    """The displacement problem of one mesh, for any number of potassiation stages."""

    def __init__(
        self,
        loaded: LoadedMesh,
        regions: dict[str, RegionMaterial],
        convention: str = "cube-root",
        degree: int = 2,
        solver: str = "auto",
    ):
        self.loaded = loaded
        self.mesh = mesh = loaded.mesh
        self.formulation = loaded.formulation
        self.convention = convention
        self.degree = degree
        self.axisymmetric = self.formulation == "axisymmetric"
        gdim = mesh.geometry.dim
        self.V = fem.functionspace(mesh, ("Lagrange", degree, (gdim,)))
        self.u = fem.Function(self.V, name="displacement")

        # Piecewise-constant material fields from the cell tags.
        Q0 = fem.functionspace(mesh, ("DG", 0))
        self.E = fem.Function(Q0, name="E")
        self.nu = fem.Function(Q0, name="nu")
        self.beta = fem.Function(Q0, name="volumetric_expansion")
        self.active = fem.Function(Q0, name="active")
        self.region = fem.Function(Q0, name="region")
        tags = loaded.layer_tags
        for name, mat in regions.items():
            cells = loaded.cell_tags.find(tags[name])
            self.E.x.array[cells] = mat.E_MPa
            self.nu.x.array[cells] = mat.nu
            self.beta.x.array[cells] = mat.volumetric_expansion
            self.active.x.array[cells] = 1.0 if mat.active else 0.0
            self.region.x.array[cells] = tags[name]
        for f in (self.E, self.nu, self.beta, self.active, self.region):
            f.x.scatter_forward()

        # Local potassiation theta, discontinuous so that it can jump at interfaces.
        self.Qtheta = fem.functionspace(mesh, ("DG", degree))
        self.theta = fem.Function(self.Qtheta, name="potassiation")

        x = ufl.SpatialCoordinate(mesh)
        R = max(loaded.spec.outer_radii_nm)
        self._r_tol = 1e-9 * R
        self.x = x
        if self.axisymmetric:
            self.weight = 2.0 * math.pi * x[0]
            self.symmetry_factor = 1.0
        else:
            self.weight = 1.0
            self.symmetry_factor = 8.0 if self.formulation == "3d-octant" else 1.0
        qdeg = 2 * degree + 1
        self.dx = ufl.Measure("dx", domain=mesh, subdomain_data=loaded.cell_tags, metadata={"quadrature_degree": qdeg})
        self.e_star = eigenstrain(self.theta, self.beta, convention)

        u_t, v = ufl.TrialFunction(self.V), ufl.TestFunction(self.V)
        a = ufl.inner(self.stress(u_t, with_eigenstrain=False, axis_limit=False), self.strain(v, False)) * self.weight * self.dx
        L = 3.0 * self.bulk_modulus() * self.e_star * ufl.tr(self.strain(v, False)) * self.weight * self.dx
        self.a = fem.form(a)
        self.L = fem.form(L)
        self.bcs = self._boundary_conditions()
        self.A = fem_petsc.assemble_matrix(self.a, bcs=self.bcs)
        self.A.assemble()
        self.b = fem_petsc.create_vector(self.V)
        self.nullspace = None
        self.solver_kind = self._choose_solver(solver)
        self.ksp = self._make_ksp()

    # --- kinematics and constitutive law ---------------------------------------------

    def lame(self):
        E, nu = self.E, self.nu
        mu = E / (2.0 * (1.0 + nu))
        lmbda = E * nu / ((1.0 + nu) * (1.0 - 2.0 * nu))
        return lmbda, mu

    def bulk_modulus(self):
        return self.E / (3.0 * (1.0 - 2.0 * self.nu))

    def strain(self, w, axis_limit: bool = True):
        """Small strain as a 3x3 tensor; axisymmetric components ordered (r, theta, z).

        ``axis_limit`` replaces u_r / r by its limit du_r/dr on the axis (for evaluation at
        points; forms integrate at interior quadrature points and use u_r / r directly)."""
        if not self.axisymmetric:
            return ufl.sym(ufl.grad(w))
        g = ufl.grad(w)
        r = self.x[0]
        hoop = ufl.conditional(ufl.gt(r, self._r_tol), w[0] / r, g[0, 0]) if axis_limit else w[0] / r
        erz = 0.5 * (g[0, 1] + g[1, 0])
        return ufl.as_matrix([[g[0, 0], 0.0, erz], [0.0, hoop, 0.0], [erz, 0.0, g[1, 1]]])

    def stress(self, w=None, with_eigenstrain: bool = True, axis_limit: bool = True):
        """Cauchy stress (MPa) of displacement ``w`` (default: the solution)."""
        w = self.u if w is None else w
        eps = self.strain(w, axis_limit)
        dim = 3 if self.axisymmetric else self.mesh.geometry.dim
        I = ufl.Identity(dim)
        if with_eigenstrain:
            eps = eps - self.e_star * I
        lmbda, mu = self.lame()
        return lmbda * ufl.tr(eps) * I + 2.0 * mu * eps

    def elastic_strain(self):
        dim = 3 if self.axisymmetric else self.mesh.geometry.dim
        return self.strain(self.u) - self.e_star * ufl.Identity(dim)

    def deformation_gradient_det(self):
        """det F of the displacement (axisymmetric: F_theta_theta = 1 + u_r / r)."""
        dim = 3 if self.axisymmetric else self.mesh.geometry.dim
        g = ufl.grad(self.u)
        if self.axisymmetric:
            r = self.x[0]
            hoop = ufl.conditional(ufl.gt(r, self._r_tol), self.u[0] / r, g[0, 0])
            return ((1 + g[0, 0]) * (1 + g[1, 1]) - g[0, 1] * g[1, 0]) * (1 + hoop)
        return ufl.det(ufl.Identity(dim) + g)

    # --- boundary conditions and solver ----------------------------------------------

    def _boundary_conditions(self):
        mesh, loaded = self.mesh, self.loaded
        fdim = mesh.topology.dim - 1
        bcs = []
        zero = PETSc.ScalarType(0.0)
        if self.axisymmetric:
            axis = loaded.facet_tags.find(loaded.axis_tag)
            dofs_r = fem.locate_dofs_topological(self.V.sub(0), fdim, axis)
            bcs.append(fem.dirichletbc(zero, dofs_r, self.V.sub(0)))
            # The rigid translation along the axis: u_z = 0 at the centre (a minimal constraint).
            mesh.topology.create_connectivity(0, mesh.topology.dim)
            centre = dolfinx.mesh.locate_entities(mesh, 0, lambda p: np.isclose(p[0], 0.0) & np.isclose(p[1], 0.0))
            dofs_z = fem.locate_dofs_topological(self.V.sub(1), 0, centre)
            bcs.append(fem.dirichletbc(zero, dofs_z, self.V.sub(1)))
        elif self.formulation == "3d-octant":
            for k, name in enumerate(("symmetry-x", "symmetry-y", "symmetry-z")):
                facets = loaded.facet_tags.find(loaded.symmetry_tags[name])
                dofs = fem.locate_dofs_topological(self.V.sub(k), fdim, facets)
                bcs.append(fem.dirichletbc(zero, dofs, self.V.sub(k)))
        return bcs

    def num_dofs(self) -> int:
        im = self.V.dofmap.index_map
        return im.size_global * self.V.dofmap.index_map_bs

    def _choose_solver(self, requested: str) -> str:
        if self.formulation == "3d":
            return "iterative"  # rigid-body modes handled as the Krylov null space
        if requested != "auto":
            return requested
        if self.axisymmetric:
            return "direct"
        return "direct" if self.num_dofs() < 60_000 else "iterative"

    def _rigid_body_modes(self):
        V = self.V
        index_map, bs = V.dofmap.index_map, V.dofmap.index_map_bs
        vecs = [dolfinx.la.vector(index_map, bs=bs, dtype=PETSc.ScalarType) for _ in range(6)]
        basis = [v.array for v in vecs]
        dofs = [V.sub(i).dofmap.list.flatten() for i in range(3)]
        for i in range(3):
            basis[i][dofs[i]] = 1.0
        xdof = V.tabulate_dof_coordinates()
        block = V.dofmap.list.flatten()
        x0, x1, x2 = xdof[block, 0], xdof[block, 1], xdof[block, 2]
        basis[3][dofs[0]] = -x1
        basis[3][dofs[1]] = x0
        basis[4][dofs[0]] = x2
        basis[4][dofs[2]] = -x0
        basis[5][dofs[2]] = x1
        basis[5][dofs[1]] = -x2
        dolfinx.la.orthonormalize(vecs)
        n = index_map.size_local * bs
        petsc_vecs = [PETSc.Vec().createWithArray(b[:n], bsize=bs, comm=V.mesh.comm) for b in basis]
        self._basis_keepalive = (vecs, basis, petsc_vecs)
        return PETSc.NullSpace().create(vectors=petsc_vecs, comm=V.mesh.comm)

    def _make_ksp(self):
        ksp = PETSc.KSP().create(self.mesh.comm)
        ksp.setOptionsPrefix("swellfem_elasticity_")  # PETSC_OPTIONS="-swellfem_elasticity_..." overrides
        opts = PETSc.Options()
        prefix = ksp.getOptionsPrefix()
        if self.solver_kind == "direct":
            settings = {"ksp_type": "preonly", "pc_type": "lu", "pc_factor_mat_solver_type": "mumps"}
        else:
            settings = {
                "ksp_type": "cg",
                "ksp_rtol": 1e-10,
                "ksp_atol": 1e-14,
                "ksp_max_it": 2000,
                "pc_type": "gamg",
                "pc_gamg_type": "agg",
                "pc_gamg_coarse_eq_limit": 1000,
                "mg_levels_ksp_type": "chebyshev",
                "mg_levels_pc_type": "jacobi",
                "mg_levels_esteig_ksp_type": "cg",
            }
            if self.mesh.geometry.dim == 3:
                ns = self._rigid_body_modes()
                self.A.setNearNullSpace(ns)
                if self.formulation == "3d":
                    self.A.setNullSpace(ns)
                    self.nullspace = ns
        ours = [k for k in settings if not opts.hasName(prefix + k)]
        for k in ours:
            opts[prefix + k] = settings[k]
        ksp.setFromOptions()
        ksp.setOperators(self.A)
        ksp.getPC().setFromOptions()
        for k in ours:
            del opts[prefix + k]
        return ksp

    def solve(self) -> SolveInfo:
        """Solve for the displacement of the current ``theta``. Raises :class:`SolverError`."""
        b = self.b
        with b.localForm() as loc:
            loc.set(0.0)
        fem_petsc.assemble_vector(b, self.L)
        fem_petsc.apply_lifting(b, [self.a], bcs=[self.bcs])
        b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        fem_petsc.set_bc(b, self.bcs)
        if self.nullspace is not None:
            self.nullspace.remove(b)
        x = self.u.x.petsc_vec
        try:
            self.ksp.solve(b, x)
        except PETSc.Error as exc:
            raise SolverError(f"linear solver failed ({self.solver_kind}): PETSc error {exc.ierr}") from None
        reason = self.ksp.getConvergedReason()
        if reason < 0:
            raise SolverError(
                f"linear solver did not converge ({self.solver_kind}, reason {reason}, "
                f"{self.ksp.getIterationNumber()} iterations)"
            )
        if self.nullspace is not None:
            self.nullspace.remove(x)  # zero net rigid motion; the stress does not change
        self.u.x.scatter_forward()
        return SolveInfo(iterations=self.ksp.getIterationNumber(), reason=reason, solver=self.solver_kind)

    # --- integrals over the whole particle -------------------------------------------

    def integrate(self, expr) -> float:
        """Integral over the whole particle (symmetry and 2 pi r included), nm^3 x [expr]."""
        value = fem.assemble_scalar(fem.form(expr * self.weight * self.dx))
        return self.symmetry_factor * self.mesh.comm.allreduce(value, op=MPI.SUM)

    def destroy(self) -> None:
        self.ksp.destroy()
        self.A.destroy()
        self.b.destroy()
