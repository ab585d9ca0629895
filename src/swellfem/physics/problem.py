"""The displacement problem of one mesh, for any number of potassiation stages.

Equilibrium div sigma = 0 with the stress of each region's material law
(:mod:`swellfem.physics.laws`), traction-free outer surface, tension positive. Units: lengths
nm, stresses MPa, so u is in nm. theta(x) in [0, 1] is the local state of potassiation.

Formulations: ``axisymmetric`` (mesh coordinates x = r, y = z; u = (u_r, u_z); hoop strain
u_r / r; integrals carry 2 pi r; u_r = 0 on the axis, u_z = 0 at the centre), ``3d-octant``
(u . n = 0 on the three symmetry planes) and ``3d`` (no constraint: the six rigid-body modes
are the null space of the Krylov solver, see :mod:`swellfem.physics.solver`).

With linear laws the stiffness matrix does not depend on theta: it is assembled and factorised
once, and each stage only assembles a new right-hand side.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import ufl

from .._backend import MPI, PETSc, dolfinx
from .kinematics import SmallStrain
from .laws import LawContext, MaterialLaw, RegionMaterial, build_laws
from .mesh import LoadedMesh
from .solver import LinearSolver, SolverError, choose_solver

from dolfinx import fem  # noqa: E402
from dolfinx.fem import petsc as fem_petsc  # noqa: E402

__all__ = ["ElasticityProblem", "RegionMaterial", "SolveInfo", "SolverError"]


@dataclasses.dataclass
class SolveInfo:
    iterations: int
    reason: int
    solver: str


class ElasticityProblem:
    """Equilibrium of one mesh with a material law per region."""

    def __init__(
        self,
        loaded: LoadedMesh,
        regions: dict[str, RegionMaterial],
        convention: str = "cube-root",
        degree: int = 2,
        solver: str = "auto",
    ):
        self.loaded = loaded
        self.regions = dict(regions)
        self.mesh = mesh = loaded.mesh
        self.formulation = loaded.formulation
        self.convention = convention
        self.degree = degree
        self.axisymmetric = self.formulation == "axisymmetric"
        gdim = mesh.geometry.dim
        self.V = fem.functionspace(mesh, ("Lagrange", degree, (gdim,)))
        self.u = fem.Function(self.V, name="displacement")

        # Region tag and active flag per cell (DG0).
        Q0 = fem.functionspace(mesh, ("DG", 0))
        self.active = fem.Function(Q0, name="active")
        self.region = fem.Function(Q0, name="region")
        tags = loaded.layer_tags
        for name, mat in regions.items():
            cells = loaded.cell_tags.find(tags[name])
            self.active.x.array[cells] = 1.0 if mat.active else 0.0
            self.region.x.array[cells] = tags[name]
        for f in (self.active, self.region):
            f.x.scatter_forward()

        # Local potassiation theta, discontinuous so that it can jump at interfaces.
        self.Qtheta = fem.functionspace(mesh, ("DG", degree))
        self.theta = fem.Function(self.Qtheta, name="potassiation")

        self.kinematics = SmallStrain(mesh, self.axisymmetric, r_tol=1e-9 * loaded.shape.extent_nm)
        x = self.kinematics.x
        if self.axisymmetric:
            self.weight = 2.0 * math.pi * x[0]
            self.symmetry_factor = 1.0
        else:
            self.weight = 1.0
            self.symmetry_factor = 8.0 if self.formulation == "3d-octant" else 1.0
        qdeg = 2 * degree + 1
        self.dx = ufl.Measure("dx", domain=mesh, subdomain_data=loaded.cell_tags, metadata={"quadrature_degree": qdeg})

        context = LawContext(mesh=mesh, kinematics=self.kinematics, theta=self.theta, convention=convention,
                             cell_tags=loaded.cell_tags, region_tags=tags, degree=degree, weight=self.weight)
        self.laws: list[MaterialLaw] = build_laws(context, regions)
        self.law_of = {name: law for law in self.laws for name in law.regions}
        nonlinear = [law.name for law in self.laws if not law.linear]
        if nonlinear:
            raise NotImplementedError(f"material laws {nonlinear} need the nonlinear solver")

        u_t, v = ufl.TrialFunction(self.V), ufl.TestFunction(self.V)
        virtual_work = sum(
            ufl.inner(law.stress(u_t, evaluation=False), self.kinematics.strain(v, False)) * self.weight
            * self.dx(law.tags)
            for law in self.laws
        )
        a, L = ufl.system(virtual_work)
        self.a = fem.form(a)
        self.L = fem.form(L)
        self.bcs = self._boundary_conditions()
        self.A = fem_petsc.assemble_matrix(self.a, bcs=self.bcs)
        self.A.assemble()
        self.b = fem_petsc.create_vector(self.V)
        self.solver_kind = choose_solver(solver, self.formulation, self.num_dofs())
        self.linear_solver = LinearSolver(self.A, self.V, self.formulation, self.solver_kind)

    # --- stress and integrals of the solution ---------------------------------------

    def stress(self, region: str):
        """Cauchy stress (MPa) of the solution in ``region`` (UFL, valid on its cells)."""
        return self.law_of[region].stress(self.u)

    def strain_energy(self):
        """The stored elastic energy of the solution as a UFL form (MPa nm^3 = 1e-21 J),
        each law over its own cells; times :attr:`symmetry_factor` for the whole particle."""
        return sum(law.energy_density(self.u) * self.weight * self.dx(law.tags) for law in self.laws)

    def deformation_gradient_det(self):
        """det F of the solution."""
        return self.kinematics.deformation_gradient_det(self.u)

    def integrate(self, expr, tags: tuple[int, ...] | None = None) -> float:
        """Integral over the whole particle (symmetry and 2 pi r included), nm^3 x [expr];
        over the cells with ``tags`` only if given."""
        dx = self.dx if tags is None else self.dx(tags)
        value = fem.assemble_scalar(fem.form(expr * self.weight * dx))
        return self.symmetry_factor * self.mesh.comm.allreduce(value, op=MPI.SUM)

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
            c = loaded.shape.centre
            centre = dolfinx.mesh.locate_entities(
                mesh, 0, lambda p: np.isclose(p[0], c[0]) & np.isclose(p[1], c[2])
            )
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

    def solve(self) -> SolveInfo:
        """Solve for the displacement of the current ``theta``. Raises :class:`SolverError`."""
        b = self.b
        with b.localForm() as loc:
            loc.set(0.0)
        fem_petsc.assemble_vector(b, self.L)
        fem_petsc.apply_lifting(b, [self.a], bcs=[self.bcs])
        b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        fem_petsc.set_bc(b, self.bcs)
        iterations, reason = self.linear_solver.solve(b, self.u.x.petsc_vec)
        self.u.x.scatter_forward()
        for law in self.laws:
            law.update()
        return SolveInfo(iterations=iterations, reason=reason, solver=self.solver_kind)

    def destroy(self) -> None:
        self.linear_solver.destroy()
        self.A.destroy()
        self.b.destroy()
