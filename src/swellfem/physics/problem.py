"""The displacement problem of one mesh, for any number of potassiation stages.

Equilibrium div sigma = 0 with the stress of each region's material law
(:mod:`swellfem.physics.laws`), traction-free outer surface, tension positive. Units: lengths
nm, stresses MPa, so u is in nm. theta(x) in [0, 1] is the local state of potassiation.

Formulations: ``axisymmetric`` (mesh coordinates x = r, y = z; u = (u_r, u_z); hoop strain
u_r / r; integrals carry 2 pi r; u_r = 0 on the axis, u_z = 0 at the centre), ``3d-octant``
(u . n = 0 on the three symmetry planes) and ``3d`` (no constraint: the six rigid-body modes
are the null space of the Krylov solver, see :mod:`swellfem.physics.solver`).

Two paths:

* **linear** (small strain, elastic laws with constant moduli): the stiffness matrix does not
  depend on theta; it is assembled and factorised once, and each stage is one solve.
* **nonlinear** (``kinematics = "finite"``, plasticity, moduli that change with theta): total
  Lagrangian equilibrium, sum over laws of int P : grad v dV0 = 0, solved by Newton with the
  laws' consistent tangents (:mod:`.newton`). theta is ramped from the last solved stage to the
  new one in load increments that are cut when Newton fails and grown when it converges easily;
  the laws' state (plastic strain) is carried from increment to increment and stage to stage.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import ufl

from .._backend import MPI, PETSc, dolfinx
from .kinematics import SmallStrain
from .laws import InvertedElementError, LawContext, MaterialLaw, QuadratureLaw, RegionMaterial, build_laws
from .mesh import LoadedMesh
from .newton import NewtonFailure, NewtonOptions, StageSolve, IncrementRecord, newton
from .solver import LinearSolver, SolverError, choose_solver

from dolfinx import fem  # noqa: E402
from dolfinx.fem import petsc as fem_petsc  # noqa: E402

__all__ = ["MechanicsProblem", "NewtonOptions", "RegionMaterial", "SolveInfo", "SolverError"]


@dataclasses.dataclass
class SolveInfo:
    """What solving one stage took."""

    iterations: int  # linear-solver iterations (0 for a direct solve)
    reason: int
    solver: str
    newton_iterations: int = 1  # the linear path: one solve
    load_increments: int = 1
    cutbacks: int = 0
    residuals: list[list[float]] = dataclasses.field(default_factory=list)  # per increment


def quadrature_degree(formulation: str, degree: int, nonlinear: bool) -> int:
    """Quadrature degree of the problem's integrals: 2k + 1 on the linear path; on the nonlinear
    path (state at the points) 2k in axisymmetry (6 points per quadratic triangle: against the
    1D solution the peaks are ~10 times closer than with 3 points, 0.01 % instead of 0.15 % on
    the Lame case's default mesh) and 2(k - 1) in 3D (4 points per quadratic tetrahedron: the
    stiffness of affine cells exactly, at a third of the cost of 2k)."""
    if not nonlinear:
        return 2 * degree + 1
    return 2 * degree if formulation == "axisymmetric" else max(2 * (degree - 1), 1)


class MechanicsProblem:
    """Equilibrium of one mesh with a material law per region (see the module docstring)."""

    def __init__(
        self,
        loaded: LoadedMesh,
        regions: dict[str, RegionMaterial],
        convention: str = "cube-root",
        degree: int = 2,
        solver: str = "auto",
        kinematics: str = "small",
        newton_options: NewtonOptions | None = None,
    ):
        if kinematics not in ("small", "finite"):
            raise ValueError(f"unknown kinematics {kinematics!r}")
        self.loaded = loaded
        self.regions = dict(regions)
        self.mesh = mesh = loaded.mesh
        self.formulation = loaded.formulation
        self.convention = convention
        self.degree = degree
        self.kinematics_kind = kinematics
        self.newton_options = newton_options or NewtonOptions()
        self.axisymmetric = self.formulation == "axisymmetric"
        self.nonlinear = kinematics == "finite" or any(m.plastic or m.softens or m.law != "isotropic"
                                                       for m in regions.values())
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
        self.quadrature_degree = qdeg = quadrature_degree(self.formulation, degree, self.nonlinear)
        self.dx = ufl.Measure("dx", domain=mesh, subdomain_data=loaded.cell_tags,
                              metadata={"quadrature_degree": qdeg, "quadrature_scheme": "default"})

        context = LawContext(mesh=mesh, kinematics=self.kinematics, theta=self.theta, convention=convention,
                             cell_tags=loaded.cell_tags, region_tags=tags, degree=degree, weight=self.weight,
                             kinematics_kind=kinematics, displacement=self.u, quadrature_degree=qdeg,
                             shell_normal=loaded.shape.shell_normal)
        self.laws: list[MaterialLaw] = build_laws(context, regions)
        self.law_of = {name: law for law in self.laws for name in law.regions}
        self.point_laws = [law for law in self.laws if isinstance(law, QuadratureLaw)]
        self.bcs = self._boundary_conditions()
        #: pressure in a hollow core's cavity (MPa; on the deformed surface with finite kinematics)
        self.cavity_pressure = fem.Constant(mesh, PETSc.ScalarType(0.0))
        self.b = fem_petsc.create_vector(self.V)
        self.solver_kind = choose_solver(solver, self.formulation, self.num_dofs(), self.nonlinear)
        if self.nonlinear:
            self._setup_nonlinear()
        else:
            self._setup_linear()

    def _setup_linear(self) -> None:
        u_t, v = ufl.TrialFunction(self.V), ufl.TestFunction(self.V)
        virtual_work = sum(
            ufl.inner(law.stress(u_t, evaluation=False), self.kinematics.strain(v, False)) * self.weight
            * self.dx(law.tags)
            for law in self.laws
        )
        virtual_work = virtual_work + self._cavity_work(v)
        a, L = ufl.system(virtual_work)
        self.a = fem.form(a)
        self.L = fem.form(L)
        self.A = fem_petsc.assemble_matrix(self.a, bcs=self.bcs)
        self.A.assemble()
        self.linear_solver = LinearSolver(self.A, self.V, self.formulation, self.solver_kind)

    def _setup_nonlinear(self) -> None:
        du, v = ufl.TrialFunction(self.V), ufl.TestFunction(self.V)
        cavity = self._cavity_work(v)
        self.residual_form = fem.form(sum(law.residual(v) for law in self.laws) + cavity)
        jacobian = sum(law.jacobian(du, v) for law in self.laws)
        if isinstance(cavity, ufl.Form) and self.kinematics_kind == "finite":
            jacobian = jacobian + ufl.derivative(cavity, self.u, du)  # the follower load's stiffness
        self.jacobian_form = fem.form(jacobian)
        self.pressure_solved = 0.0
        self.A = fem_petsc.create_matrix(self.jacobian_form)
        # full 3D is supported (three_two_one_support): no null space, the octant's solver settings
        formulation = "3d-octant" if self.formulation == "3d" else self.formulation
        self.linear_solver = LinearSolver(self.A, self.V, formulation, self.solver_kind, newton=True)
        self.correction = fem.Function(self.V)
        self.theta_solved = fem.Function(self.Qtheta)  # theta of the last solved stage
        self.u_accepted = fem.Function(self.V)
        self.load_scale = 0.0
        self.linear_iterations = 0
        self.carried_step = 1.0  # the increment (fraction of a stage) the last stage ended with

    def _cavity_work(self, v):
        """The work of the cavity pressure p on v (to add to the residual): int p n . v dS with n
        the body's outward normal (into the cavity); with finite kinematics p acts on the
        deformed surface, int p J F^-T N . v dS0 (Nanson). 0 without a cavity."""
        loaded = self.loaded
        if not getattr(loaded.shape, "cavity_radius_nm", 0.0):
            return 0
        ds = ufl.Measure("ds", domain=self.mesh, subdomain_data=loaded.facet_tags)(loaded.cavity_tag)
        kin = self.kinematics
        n = ufl.FacetNormal(self.mesh)
        N = ufl.as_vector([n[0], 0.0, n[1]]) if self.axisymmetric else n
        v3 = kin.vector3(v)
        if self.kinematics_kind == "finite":
            F = kin.deformation_gradient(self.u)
            traction = ufl.det(F) * ufl.dot(ufl.inv(F).T, N)
        else:
            traction = N
        return self.cavity_pressure * ufl.inner(traction, v3) * self.weight * ds

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
            # The rigid translation along the axis: u_z = 0 at the centre (a minimal constraint),
            # or at the cavity's equator for a hollow core.
            mesh.topology.create_connectivity(0, mesh.topology.dim)
            c = getattr(loaded.shape, "anchor", loaded.shape.centre)
            centre = dolfinx.mesh.locate_entities(
                mesh, 0, lambda p: np.isclose(p[0], c[0]) & np.isclose(p[1], c[2])
            )
            if not mesh.comm.allreduce(len(centre), op=MPI.SUM):  # a user's mesh: the axis vertex nearest it
                centre = self._nearest_vertex(np.array([c[0], c[2], 0.0]))
            dofs_z = fem.locate_dofs_topological(self.V.sub(1), 0, centre)
            bcs.append(fem.dirichletbc(zero, dofs_z, self.V.sub(1)))
        elif self.formulation == "3d" and self.nonlinear:
            bcs += self._three_two_one_support()
        elif self.formulation == "3d-octant":
            for k, name in enumerate(("symmetry-x", "symmetry-y", "symmetry-z")):
                facets = loaded.facet_tags.find(loaded.symmetry_tags[name])
                dofs = fem.locate_dofs_topological(self.V.sub(k), fdim, facets)
                bcs.append(fem.dirichletbc(zero, dofs, self.V.sub(k)))
        return bcs

    def _nearest_vertex(self, target: np.ndarray) -> np.ndarray:
        """The owned vertex nearest ``target`` (nm) on the one rank that has it, else empty."""
        mesh = self.mesh
        n_local = mesh.topology.index_map(0).size_local
        nodes = dolfinx.mesh.entities_to_geometry(mesh, 0, np.arange(n_local, dtype=np.int32)).ravel()
        d = np.linalg.norm(mesh.geometry.x[nodes] - target, axis=1)
        k = int(np.argmin(d)) if len(d) else -1
        best = min(mesh.comm.allgather((float(d[k]) if k >= 0 else np.inf, mesh.comm.rank)))
        return np.array([k] if best[1] == mesh.comm.rank and k >= 0 else [], dtype=np.int32)

    def _three_two_one_support(self):
        """Full 3D on the nonlinear path: a statically determinate support instead of the
        Krylov null space (a Jacobian under stress does not have the rigid rotations as its
        null space away from equilibrium): u = 0 at the vertex nearest the centre, u_y = u_z = 0
        at the vertex nearest (R, 0, 0), u_z = 0 at the vertex nearest (0, R, 0). Six
        constraints that remove the rigid motions and carry no load (the stress is unchanged)."""
        mesh = self.mesh
        R = self.loaded.shape.extent_nm
        c = np.asarray(self.loaded.shape.centre, dtype=float)
        mesh.topology.create_connectivity(0, mesh.topology.dim)
        bcs = []
        zero = PETSc.ScalarType(0.0)
        for target, components in ((c, (0, 1, 2)), (c + [R, 0, 0], (1, 2)), (c + [0, R, 0], (2,))):
            vertices = self._nearest_vertex(target)
            for comp in components:
                dofs = fem.locate_dofs_topological(self.V.sub(comp), 0, vertices)
                bcs.append(fem.dirichletbc(zero, dofs, self.V.sub(comp)))
        return bcs

    def num_dofs(self) -> int:
        im = self.V.dofmap.index_map
        return im.size_global * self.V.dofmap.index_map_bs

    def solve(self) -> SolveInfo:
        """Solve for the displacement of the current ``theta`` (from the last solved stage on
        the nonlinear path). Raises :class:`SolverError`."""
        if self.nonlinear:
            return self._solve_incremental()
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

    # --- the nonlinear path -------------------------------------------------------------

    def _evaluate_laws(self) -> None:
        for law in self.point_laws:
            law.evaluate()

    def _residual_norm(self) -> float:
        b = self.b
        with b.localForm() as loc:
            loc.set(0.0)
        fem_petsc.assemble_vector(b, self.residual_form)
        b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        fem_petsc.set_bc(b, self.bcs)
        if self.linear_solver.nullspace is not None:
            self.linear_solver.nullspace.remove(b)
        return b.norm()

    def _correct(self) -> None:
        """One Newton correction: J du = R, u -= du (b holds R of the current u)."""
        for law in self.point_laws:
            law.store_tangent()
        A = self.A
        A.zeroEntries()
        fem_petsc.assemble_matrix(A, self.jacobian_form, bcs=self.bcs)
        A.assemble()
        self.linear_iterations += self.linear_solver.solve_newton(A, self.b, self.correction.x.petsc_vec)
        self.correction.x.scatter_forward()
        self.u.x.array[:] -= self.correction.x.array
        self.u.x.scatter_forward()

    def _plastic_increment(self) -> float:
        """The largest equivalent plastic strain the last evaluation adds to the committed state
        at any point of a law whose result depends on the load path (:attr:`QuadratureLaw.
        path_sensitive`; all ranks)."""
        local = 0.0
        for law in self.laws:
            if not getattr(law, "path_sensitive", False):
                continue
            last, state = getattr(law, "last", None), getattr(law, "state", None)
            if last is not None and state and "epbar" in state and len(state["epbar"]):
                local = max(local, float(np.max(last.equivalent_plastic_strain - state["epbar"])))
        return self.mesh.comm.allreduce(local, op=MPI.MAX)

    def _backtrack(self, fraction: float) -> None:
        """Take back ``fraction`` of the last correction."""
        self.u.x.array[:] += fraction * self.correction.x.array
        self.u.x.scatter_forward()

    def _solve_incremental(self) -> SolveInfo:
        opts = self.newton_options
        theta = self.theta
        start = self.theta_solved.x.array.copy()
        target = theta.x.array.copy()
        p_start, p_target = self.pressure_solved, float(self.cavity_pressure.value)
        record = StageSolve()
        self.linear_iterations = 0
        # the first step: as the case asks, or smaller where the previous stage needed smaller ones
        done, step = 0.0, min(1.0 / opts.initial_increments, self.carried_step)
        reason = ""
        while done < 1.0 - 1e-12:
            end = min(1.0, done + step)
            if 1.0 - end < 1e-9:
                end = 1.0
            theta.x.array[:] = start + end * (target - start)
            theta.x.scatter_forward()
            self.cavity_pressure.value = p_start + end * (p_target - p_start)
            self.u_accepted.x.array[:] = self.u.x.array
            try:
                iterations, residuals = newton(self._evaluate_laws, self._residual_norm, self._correct, opts,
                                               self.load_scale, backtrack=self._backtrack)
            except (NewtonFailure, InvertedElementError, SolverError) as exc:
                reason = str(exc)
                self.u.x.array[:] = self.u_accepted.x.array
                self.u.x.scatter_forward()
                step /= 2.0
                record.cutbacks += 1
                if step < opts.min_step:
                    theta.x.array[:] = target
                    self.cavity_pressure.value = p_target
                    raise SolverError(
                        f"Newton did not converge at the smallest load increment ({step * 2:.2g} of the stage, "
                        f"at {done:.3g} of the way): {reason}") from None
                continue
            flow = self._plastic_increment()
            limit = opts.max_plastic_increment
            if limit is not None and flow > 1.5 * limit and step > 4.0 * opts.min_step:
                # too much plastic flow in one backward-Euler step: retake it smaller
                self.u.x.array[:] = self.u_accepted.x.array
                self.u.x.scatter_forward()
                step *= max(0.25, limit / flow)
                record.cutbacks += 1
                continue
            self.load_scale = max(self.load_scale, residuals[0])
            for law in self.laws:
                law.commit()
            record.increments.append(IncrementRecord(end=end, iterations=iterations, residuals=residuals))
            width, done = end - done, end
            if iterations <= opts.easy_iterations:
                step *= opts.grow
            elif iterations >= opts.hard_iterations:
                step /= 2.0
            step = min(step, 1.0 / opts.initial_increments)
            if limit is not None and flow > limit:
                step = min(step, width * limit / flow)
        self.theta_solved.x.array[:] = target
        self.pressure_solved = p_target
        self.carried_step = min(1.0, step)
        for law in self.laws:
            law.update()
        return SolveInfo(
            iterations=self.linear_iterations, reason=0, solver=self.solver_kind,
            newton_iterations=record.newton_iterations, load_increments=len(record.increments),
            cutbacks=record.cutbacks, residuals=[r.residuals for r in record.increments],
        )

    def destroy(self) -> None:
        for law in self.laws:
            law.destroy()
        self.linear_solver.destroy()
        self.A.destroy()
        self.b.destroy()


#: the earlier name (small-strain elasticity only)
ElasticityProblem = MechanicsProblem
