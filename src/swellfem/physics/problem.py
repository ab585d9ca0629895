"""The displacement problem of one mesh, for any number of potassiation stages.

Equilibrium div sigma = 0 with the stress of each region's material law
(:mod:`swellfem.physics.laws`), traction-free outer surface, tension positive. Units: lengths
nm, stresses MPa, so u is in nm. theta(x) in [0, 1] is the local state of potassiation.

Formulations: ``axisymmetric`` (mesh coordinates x = r, y = z; u = (u_r, u_z); hoop strain
u_r / r; integrals carry 2 pi r; u_r = 0 on the axis, u_z = 0 at the centre), ``3d-octant``
(u . n = 0 on the three symmetry planes) and ``3d`` (no constraint: the six rigid-body modes
are the null space of the Krylov solver, see :mod:`swellfem.physics.solver`).

Voids (yolk–shells): the bodies on either side are held apart against rigid motion (u_z at
an anchor of each in axisymmetry, a 3-2-1 support of each in full 3D) and meet by frictionless
contact (:mod:`.contact`, augmented Lagrangian on the deformed surfaces), always on the
nonlinear path. A net contact force on a body is carried by a body force spread over it, not by
those point supports (:mod:`.holding`: its amplitudes are Newton unknowns, the supports'
reactions = 0 their equations). A free body (a particle loose in a cage) is tied to its
supports by weak springs instead (``spring_ratio``), so that its contacts alone hold it once it
touches. The SOC at which a void closes is located to ``onset_resolution`` of a stage.

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
from .contact import ContactError, ContactPair
from .holding import RigidHolding
from .mechanisms import HeldMotions
from .kinematics import SmallStrain
from .laws import InvertedElementError, LawContext, MaterialLaw, QuadratureLaw, RegionMaterial, build_laws
from .mesh import LoadedMesh
from .newton import NewtonFailure, NewtonOptions, StageSolve, IncrementRecord, newton
from .solver import (DEFAULT_STRESS_TOLERANCE, LinearSolver, SolverError, choose_solver, linear_space,
                     uses_p_multigrid)

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
    """Quadrature degree of the problem's integrals. Linear path: 2k + 1 in axisymmetry (the
    weight r adds a degree), 2k - 1 in 3D (exact for the stiffness and the DG(k) eigenstrain's
    load on affine cells; on the octant Lame default mesh the extrema match those of 2k + 1 to
    1e-7, at 60 % of the assembly time). On the nonlinear
    path (state at the points) 2k in axisymmetry (6 points per quadratic triangle: against the
    1D solution the peaks are ~10 times closer than with 3 points, 0.01 % instead of 0.15 % on
    the Lame case's default mesh) and 2(k - 1) in 3D (4 points per quadratic tetrahedron: the
    stiffness of affine cells exactly, at a third of the cost of 2k)."""
    if not nonlinear:
        return 2 * degree + 1 if formulation == "axisymmetric" else 2 * degree - 1
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
        stress_tolerance: float = DEFAULT_STRESS_TOLERANCE,
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
        self.stress_tolerance = stress_tolerance  # relative, asked of the iterative linear solve
        self.axisymmetric = self.formulation == "axisymmetric"
        self.nonlinear = kinematics == "finite" or bool(loaded.contact_tags) or any(
            m.plastic or m.softens or m.law != "isotropic" for m in regions.values())
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
        #: the bodies' point supports are released into a holding body force (.holding) where a
        #: void lets contact push a body; the other Dirichlet conditions (axis, symmetry planes)
        self._holds = bool(loaded.contact_tags) and bool(self._supports)
        self._fixed_bcs = [bc for bc in self.bcs if all(bc is not held for held in self._support_bcs)]
        #: pressure in a hollow core's cavity (MPa; on the deformed surface with finite kinematics)
        self.cavity_pressure = fem.Constant(mesh, PETSc.ScalarType(0.0))
        self.b = fem_petsc.create_vector(self.V)
        self._setup_springs()
        self.contacts = self._contact_pairs(regions)
        self.holding: RigidHolding | None = None
        self.held_motions: HeldMotions | None = None  # set on the nonlinear path in full 3D
        self._void_volume_forms: dict[str, object] = {}
        self._void_volumes: dict[str, tuple[int, float]] = {}  # per void: (solves, its volume then)
        self._solves = 0  # calls of solve(): the displacement changes only there
        self.solver_kind = choose_solver(solver, self.formulation, self.num_dofs(), self.nonlinear,
                                         contact=bool(self.contacts))
        if self.nonlinear:
            self._setup_nonlinear()
        else:
            self._setup_linear()

    def _virtual_work(self, space):
        """The laws' internal virtual work of a trial and a test function of ``space`` (with the
        eigenstrain's load: split by ufl.system)."""
        u_t, v = ufl.TrialFunction(space), ufl.TestFunction(space)
        return sum(
            ufl.inner(law.stress(u_t, evaluation=False), self.kinematics.strain(v, False)) * self.weight
            * self.dx(law.tags)
            for law in self.laws
        )

    def _setup_linear(self) -> None:
        virtual_work = self._virtual_work(self.V) + self._cavity_work(ufl.TestFunction(self.V))
        a, L = ufl.system(virtual_work)
        self.a = fem.form(a)
        self.L = fem.form(L)
        coarse = None
        if uses_p_multigrid(self.V, self.solver_kind):
            # blocked storage, and the P1 level rediscretised (PETSc has no P^T A P of BAIJ)
            V1 = linear_space(self.V)
            coarse = (V1, fem.form(ufl.system(self._virtual_work(V1))[0]))
            self.A = fem_petsc.create_matrix(self.a, kind="baij")
            fem_petsc.assemble_matrix(self.A, self.a, bcs=self.bcs)
        else:
            self.A = fem_petsc.assemble_matrix(self.a, bcs=self.bcs)
        self.A.assemble()
        self.linear_solver = LinearSolver(self.A, self.V, self.formulation, self.solver_kind,
                                          stress_tolerance=self.stress_tolerance, coarse=coarse, bcs=self.bcs)

    def _setup_nonlinear(self) -> None:
        du, v = ufl.TrialFunction(self.V), ufl.TestFunction(self.V)
        cavity = self._cavity_work(v)
        #: the free bodies' rigid motions that no contact holds (or their arrangement's symmetry
        #: excludes), held at zero exactly in full 3D (the axisymmetric meridian and the octant
        #: have none of them)
        held = self.loaded.shape.held_motions if self.formulation == "3d" and self._holds else []
        self.held_motions = HeldMotions(self, held, self.bcs) if held else None
        #: body forces that carry what contact pushes a body by (not its point supports)
        self.holding = RigidHolding(self, [b for b in self.loaded.shape.bodies if not b.free], self._supports,
                                    self.bcs, held_motions=self.held_motions) if self._holds else None
        holding = self.holding.work if self.holding is not None else 0
        motions = self.held_motions.work if self.held_motions is not None else 0
        self.residual_form = fem.form(sum(law.residual(v) for law in self.laws) + cavity + holding + motions)
        jacobian = sum(law.jacobian(du, v) for law in self.laws)
        if isinstance(cavity, ufl.Form) and self.kinematics_kind == "finite":
            jacobian = jacobian + ufl.derivative(cavity, self.u, du)  # the follower load's stiffness
        self.jacobian_form = fem.form(jacobian)
        self.pressure_solved = 0.0
        self.A = fem_petsc.create_matrix(self.jacobian_form)
        # full 3D is supported (three_two_one_support): no null space, the octant's solver settings
        formulation = "3d-octant" if self.formulation == "3d" else self.formulation
        self.linear_solver = LinearSolver(self.A, self.V, formulation, self.solver_kind, newton=True,
                                          keep_preconditioner=self.holding is None)
        self.correction = fem.Function(self.V)
        self.theta_solved = fem.Function(self.Qtheta)  # theta of the last solved stage
        self.u_accepted = fem.Function(self.V)
        self.load_scale = 0.0
        self.linear_iterations = 0
        self.carried_step = 1.0  # the increment (fraction of a stage) the last stage ended with
        #: per contact pair, the stage fractions (last open, first closed, estimate) where it closed this stage
        self.contact_onset: dict[str, tuple[float, float, float]] = {}
        self._closed: dict[str, bool] = {}  # whether each void was closed at the last accepted increment
        self._last_gap: dict[str, float] = {}
        #: per void, its volume as meshed (nm^3, whole particle)
        self.void_volume_reference: dict[str, float] = {void: self.void_volume(void) for void in self.loaded.void_tags}
        for pair in self.contacts:  # the voids as meshed
            pair.update()
            self._last_gap[pair.name] = pair.measures()["gap_min_nm"]

    #: a void's closing is located within this fraction of a stage
    onset_resolution = 1.0 / 64
    #: Uzawa updates of the contact multipliers per increment, at most
    max_augmentations = 20
    #: the Newton solves between those updates stop at this fraction of their first residual
    update_rtol = 1e-3

    def _converge(self) -> tuple[int, list[float]]:
        """Newton for the current load (with the holding forces as unknowns), then Uzawa updates
        of the contact multipliers (each followed by Newton again) until no surface penetrates
        the other by more than its tolerance. The solves between updates stop at
        :attr:`update_rtol` of their own first residual (the update after them moves the state
        anyway: inexact Uzawa), and so does the first one when a surface is in contact already
        (its multipliers will be updated); the last one is taken to the tolerance of the load
        (``rtol`` of the increment's first residual). Raises NewtonFailure / ContactError."""
        opts = self.newton_options
        between = dataclasses.replace(opts, rtol=max(opts.rtol, self.update_rtol))
        # in contact already: the multipliers will be updated, so this solve is one between updates
        loose = any(bool(pair.multiplier.any()) for pair in self.contacts)
        iterations, residuals = newton(self._evaluate_laws, self._residual_norm, self._correct,
                                       between if loose else opts, self.load_scale, backtrack=self._backtrack)
        self.first_newton_iterations = iterations  # what the increment rule judges the step by
        for _ in range(self.max_augmentations):
            if not any([pair.augment() for pair in self.contacts]):  # every pair on every rank
                break
            more, history = newton(self._evaluate_laws, self._residual_norm, self._correct, between,
                                   self.load_scale, backtrack=self._backtrack)
            iterations, residuals, loose = iterations + more, residuals + history, True
        else:
            raise NewtonFailure(f"contact penetration above tolerance after {self.max_augmentations} updates")
        if loose:  # settled: the last state to the load's tolerance
            more, history = newton(self._evaluate_laws, self._residual_norm, self._correct, opts,
                                   self.load_scale, backtrack=self._backtrack, reference=residuals[0])
            iterations, residuals = iterations + more, residuals + history
        for pair in self.contacts:
            pair.check_penetration()
        return iterations, residuals

    def _accepted(self) -> tuple[list[np.ndarray], list[np.ndarray] | None]:
        """What an undone increment returns to besides the displacement: the contact
        multipliers and the holding body forces."""
        return ([pair.multiplier.copy() for pair in self.contacts],
                self.holding.state() if self.holding is not None else None)

    def _undo(self, accepted: tuple[list[np.ndarray], list[np.ndarray] | None]) -> None:
        """Back to the last accepted increment (displacement, contact multipliers, holding forces)."""
        self.u.x.array[:] = self.u_accepted.x.array
        self.u.x.scatter_forward()
        multipliers, holding = accepted
        for pair, saved in zip(self.contacts, multipliers):
            pair.multiplier = saved
        if self.holding is not None:
            self.holding.restore(holding)

    @staticmethod
    def _predicted_onset(points: list[tuple[float, float]]) -> float | None:
        """The stage fraction where the gap (nm) of the last two open states reaches 0 (secant)."""
        if len(points) < 2:
            return None
        (a0, g0), (a1, g1) = points[-2], points[-1]
        if g1 >= g0 or a1 <= a0:
            return None
        return a1 + g1 * (a1 - a0) / (g0 - g1)

    def _towards_onset(self, done: float, step: float, trace: dict) -> float:
        """The next step, shortened so that it ends just before a void is predicted to close
        (the closing increment is then at most :attr:`onset_resolution` wide)."""
        for name, points in trace.items():
            onset = self._predicted_onset(points)
            if self._closed.get(name) or onset is None or not done < onset < done + step:
                continue
            step = min(step, self._step_before(onset, done))
        return step

    def _step_before(self, onset: float, done: float) -> float:
        """A step from ``done`` that ends half a resolution before the predicted ``onset`` (at
        least one resolution long)."""
        return max(onset - done - 0.5 * self.onset_resolution, self.onset_resolution)

    def _contact_onset(self, done: float, end: float, trace: dict, measured: dict[str, dict]) -> float | None:
        """After an increment [done, end] converged: None to accept it, or the step to retake it
        with when a void closed in it and it is wider than :attr:`onset_resolution`. Records the
        onset (open end, closed end, estimate) of an accepted closing increment."""
        res = self.onset_resolution
        retake = None
        for pair in self.contacts:
            if self._closed.get(pair.name) or not measured[pair.name]["in_contact"]:
                continue
            points = trace.get(pair.name, [])
            onset = self._predicted_onset(points)
            if end - done > res * (1 + 1e-9):
                step = 0.5 * (end - done)  # halve, or stop just before the predicted onset: never wider
                if onset is not None and done < onset < end:
                    step = min(step, self._step_before(onset, done))
                retake = step if retake is None else min(retake, step)
                continue
            estimate = onset if onset is not None and done <= onset <= end else 0.5 * (done + end)
            self.contact_onset[pair.name] = (done, end, estimate)
        return retake

    def _contact_pairs(self, regions) -> list[ContactPair]:
        """One :class:`ContactPair` per void; penalty 10 E_max / h (h the interface element size)."""
        loaded = self.loaded
        if not loaded.contact_tags:
            return []
        constrained = np.zeros(len(self.u.x.array), dtype=bool)
        for bc in self._fixed_bcs if self._holds else self.bcs:  # released supports' rows take contact
            dofs, _ = bc.dof_indices()
            constrained[dofs] = True
        h = loaded.request.interface_size_nm
        stiffest = max(max(m.E_MPa, m.E_potassiated_MPa or 0.0) for m in regions.values())
        return [ContactPair(name, self.V, self.u, loaded.facet_tags, slave, master, self.axisymmetric,
                            penalty=10.0 * stiffest / h, constrained=constrained, length_scale_nm=h,
                            quadrature_degree=2 * self.degree, finite=self.kinematics_kind == "finite")
                for name, (slave, master) in loaded.contact_tags.items()]

    def contact_measures(self) -> dict[str, dict]:
        """Per contact pair: gap, penetration, area fraction, pressure, force (see
        :meth:`.contact.ContactPair.measures`) and the volume left of the void it lies across
        (nm^3, whole particle)."""
        out = {}
        voids = self.loaded.shape.pair_voids
        for pair in self.contacts:
            values = pair.measures()
            values["void_volume_nm3"] = self.void_volume(voids[pair.name])
            out[pair.name] = values
        return out

    def void_volume(self, name: str) -> float:
        """Volume between the deformed walls of void ``name``: -(1/3) of the flux of x through
        all its walls (outward normals of the solids, Nanson's formula), nm^3. The form is built
        once per void, the volume once per solved state (a stage's contact measures and its
        enclosed volume both ask)."""
        solves, value = self._void_volumes.get(name, (-1, 0.0))
        if solves == self._solves:
            return value
        if name not in self._void_volume_forms:
            walls = self.loaded.void_tags[name]
            ds = ufl.Measure("ds", domain=self.mesh, subdomain_data=self.loaded.facet_tags)
            kin = self.kinematics
            n = ufl.FacetNormal(self.mesh)
            N = ufl.as_vector([n[0], 0.0, n[1]]) if self.axisymmetric else n
            F = kin.deformation_gradient(self.u)
            x = kin.vector3(kin.x) + kin.vector3(self.u)
            flux = ufl.det(F) * ufl.dot(x, ufl.dot(ufl.inv(F).T, N)) * self.weight
            self._void_volume_forms[name] = fem.form(flux * ds(walls))
        value = fem.assemble_scalar(self._void_volume_forms[name])
        value = -self.symmetry_factor * self.mesh.comm.allreduce(value, op=MPI.SUM) / 3.0
        self._void_volumes[name] = (self._solves, value)
        return value

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
        self._supports: list[list[tuple[np.ndarray, int]]] = []  # per body: its point supports (dofs, component)
        self._support_bcs = []  # their Dirichlet conditions
        self._springs: list = []  # free bodies: (body, [(dofs, component)]) held by weak springs instead
        fdim = mesh.topology.dim - 1
        bcs = []
        zero = PETSc.ScalarType(0.0)
        if self.axisymmetric:
            axis = loaded.facet_tags.find(loaded.axis_tag)
            dofs_r = fem.locate_dofs_topological(self.V.sub(0), fdim, axis)
            bcs.append(fem.dirichletbc(zero, dofs_r, self.V.sub(0)))
            # The rigid translation along the axis: u_z = 0 at the centre (a minimal constraint),
            # or at the cavity's equator for a hollow core; at an anchor of each body of a yolk-shell.
            mesh.topology.create_connectivity(0, mesh.topology.dim)
            for body in loaded.shape.bodies:
                c = body.anchor
                vertices = self._body_vertices(body)
                at = dolfinx.mesh.compute_midpoints(mesh, 0, vertices) if len(vertices) else np.zeros((0, 3))
                hit = vertices[np.isclose(at[:, 0], c[0]) & np.isclose(at[:, 1], c[2])] if len(vertices) else vertices
                if not mesh.comm.allreduce(len(hit), op=MPI.SUM):  # a user's mesh: the body's vertex nearest it
                    hit = self._nearest_vertex(np.array([c[0], c[2], 0.0]), body)
                dofs_z = fem.locate_dofs_topological(self.V.sub(1), 0, hit)
                if body.free:
                    self._springs.append((body, [(dofs_z, 1)]))
                    continue
                bcs.append(fem.dirichletbc(zero, dofs_z, self.V.sub(1)))
                self._support_bcs.append(bcs[-1])
                self._supports.append([(dofs_z, 1)])
        elif self.formulation == "3d" and self.nonlinear:
            bcs += self._three_two_one_support()
        elif self.formulation == "3d-octant":
            for k, name in enumerate(("symmetry-x", "symmetry-y", "symmetry-z")):
                facets = loaded.facet_tags.find(loaded.symmetry_tags[name])
                dofs = fem.locate_dofs_topological(self.V.sub(k), fdim, facets)
                bcs.append(fem.dirichletbc(zero, dofs, self.V.sub(k)))
        return bcs

    def _body_vertices(self, body) -> np.ndarray:
        """Local vertices (owned and ghost) of the cells of ``body``'s regions."""
        mesh, loaded = self.mesh, self.loaded
        tags = loaded.layer_tags
        cells = np.concatenate([loaded.cell_tags.find(tags[name]) for name in body.regions])
        mesh.topology.create_connectivity(mesh.topology.dim, 0)
        return np.unique(dolfinx.mesh.compute_incident_entities(mesh.topology, cells.astype(np.int32),
                                                                 mesh.topology.dim, 0)).astype(np.int32)

    def _nearest_vertex(self, target: np.ndarray, body=None) -> np.ndarray:
        """The owned vertex (of ``body``'s cells if given) nearest ``target`` (nm) on the one rank
        that has it, else empty."""
        mesh = self.mesh
        n_local = mesh.topology.index_map(0).size_local
        candidates = np.arange(n_local, dtype=np.int32)
        if body is not None:
            candidates = self._body_vertices(body)
            candidates = candidates[candidates < n_local]
        nodes = dolfinx.mesh.entities_to_geometry(mesh, 0, candidates).ravel()
        d = np.linalg.norm(mesh.geometry.x[nodes] - target, axis=1)
        k = int(np.argmin(d)) if len(d) else -1
        best = min(mesh.comm.allgather((float(d[k]) if k >= 0 else np.inf, mesh.comm.rank)))
        return np.array([candidates[k]] if best[1] == mesh.comm.rank and k >= 0 else [], dtype=np.int32)

    def _three_two_one_support(self):
        """Full 3D on the nonlinear path: a statically determinate support of each body instead
        of the Krylov null space (a Jacobian under stress does not have the rigid rotations as
        its null space away from equilibrium): the components of each of the body's support
        points held at its nearest vertex (:class:`~swellfem.geometry.shape.Body`; for a whole
        body u = 0 at its centre, u_y = u_z = 0 at (R, 0, 0) and u_z = 0 at (0, R, 0) from it).
        Six constraints that remove the rigid motions and carry no load (the stress is
        unchanged; with a void, physics/holding.py sees to it)."""
        mesh = self.mesh
        mesh.topology.create_connectivity(0, mesh.topology.dim)
        bcs = []
        zero = PETSc.ScalarType(0.0)
        for body in self.loaded.shape.bodies:
            held = []
            for target, components in body.support:
                vertices = self._nearest_vertex(np.asarray(target, dtype=float), body)
                for comp in components:
                    dofs = fem.locate_dofs_topological(self.V.sub(comp), 0, vertices)
                    held.append((dofs, comp))
                    if not body.free:
                        bcs.append(fem.dirichletbc(zero, dofs, self.V.sub(comp)))
                        self._support_bcs.append(bcs[-1])
            if body.free:
                self._springs.append((body, held))
            else:
                self._supports.append(held)
        return bcs

    #: a free body's springs: this fraction of E_max L (L the shape's extent), per support dof
    spring_ratio = 1e-6

    def _setup_springs(self) -> None:
        """The weak springs of the free bodies (:class:`~swellfem.geometry.shape.Body`): each
        support dof of a free body is tied to its reference position by a spring of stiffness
        k = :attr:`spring_ratio` E_max L (MPa nm; E_max the stiffest of the body's materials).
        While the body swells freely about its supports they carry nothing; once it touches,
        they let it move where its contacts push it, at a force k times the move."""
        bs = self.V.dofmap.index_map_bs
        n_owned = self.V.dofmap.index_map.size_local * bs
        dofs, stiffness = [], []
        L = self.loaded.shape.extent_nm
        for body, held in self._springs:
            E = max(max(self.regions[name].E_MPa, self.regions[name].E_potassiated_MPa or 0.0) for name in body.regions)
            for local, _ in held:
                local = np.asarray(local, dtype=np.int32)
                local = local[local < n_owned]
                dofs.append(local)
                stiffness.append(np.full(len(local), self.spring_ratio * E * L))
        self._spring_dofs = np.concatenate(dofs) if dofs else np.zeros(0, dtype=np.int32)
        self._spring_stiffness = np.concatenate(stiffness) if stiffness else np.zeros(0)

    def num_dofs(self) -> int:
        im = self.V.dofmap.index_map
        return im.size_global * self.V.dofmap.index_map_bs

    def solve(self) -> SolveInfo:
        """Solve for the displacement of the current ``theta`` (from the last solved stage on
        the nonlinear path). Raises :class:`SolverError`."""
        self._solves += 1
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
        for pair in self.contacts:
            pair.update()

    def _residual_norm(self) -> float:
        b = self.b
        with b.localForm() as loc:
            loc.set(0.0)
        fem_petsc.assemble_vector(b, self.residual_form)
        b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        for pair in self.contacts:
            pair.add_residual(b)
        if len(self._spring_dofs):
            with b.localForm() as loc:
                loc.array[self._spring_dofs] += self._spring_stiffness * self.u.x.array[self._spring_dofs]
        supports = self.holding.record(b) if self.holding is not None else 0.0  # their rows are equations too
        fem_petsc.set_bc(b, self.bcs)
        if self.linear_solver.nullspace is not None:
            self.linear_solver.nullspace.remove(b)
        return float(np.sqrt(b.norm() ** 2 + supports))

    def _correct(self) -> None:
        """One Newton correction: J du = R, u -= du (b holds R of the current u)."""
        for law in self.point_laws:
            law.store_tangent()
        A = self.A
        A.zeroEntries()
        holding = self.holding
        fem_petsc.assemble_matrix(A, self.jacobian_form, bcs=self._fixed_bcs if holding is not None else self.bcs)
        A.assemble()
        for pair in self.contacts:
            pair.add_tangent(A)
        if len(self._spring_dofs):
            A.setValuesLocalRCV(self._spring_dofs[:, None].astype(PETSc.IntType), self._spring_dofs[:, None].astype(PETSc.IntType),
                                self._spring_stiffness[:, None], addv=PETSc.InsertMode.ADD_VALUES)
            A.assemble()
        if holding is not None:  # the body forces are unknowns too: the bordered system
            Js = holding.release_supports(A)
            self.linear_iterations += holding.solve(self.linear_solver, A, Js, self.b, self.correction.x.petsc_vec)
            Js.destroy()
            holding.apply()
        else:
            self.linear_iterations += self.linear_solver.solve_newton(A, self.b, self.correction.x.petsc_vec,
                                                                     pattern_changed=bool(self.contacts))
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
        if self.holding is not None:
            self.holding.apply(-fraction)

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
        self.contact_onset = {}
        trace = {pair.name: [(0.0, self._last_gap[pair.name])] for pair in self.contacts
                 if pair.name in self._last_gap and not self._closed.get(pair.name)}
        # the predictor: the first iterate of an increment moves on along the last accepted
        # increment's displacement (scaled to the new width); not across a stage's start. With
        # contact too: the penalty pushes back an extrapolated surface that passes the other, and
        # a converged state is checked (ContactPair.check_penetration). Without it the first
        # iterate of a plastic particle in contact unloads half its yielded points and Newton
        # needs 8-11 iterations (docs/solvers.md)
        last_move, last_width, predict = None, 0.0, opts.predictor
        while done < 1.0 - 1e-12:
            step = self._towards_onset(done, step, trace)
            end = min(1.0, done + step)
            if 1.0 - end < 1e-9:
                end = 1.0
            theta.x.array[:] = start + end * (target - start)
            theta.x.scatter_forward()
            self.cavity_pressure.value = p_start + end * (p_target - p_start)
            self.u_accepted.x.array[:] = self.u.x.array
            accepted = self._accepted()
            predicted = predict and last_move is not None
            if predicted:
                self.u.x.array[:] += ((end - done) / last_width) * last_move
                self.u.x.scatter_forward()
            try:
                iterations, residuals = self._converge()
            except (NewtonFailure, InvertedElementError, SolverError, ContactError) as exc:
                reason = str(exc)
                self._undo(accepted)
                record.cutbacks += 1
                if predicted:  # the same increment again, from the last state itself
                    last_move = None
                    continue
                step /= 2.0
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
                self._undo(accepted)
                step *= max(0.25, limit / flow)
                record.cutbacks += 1
                continue
            measured = {pair.name: pair.measures() for pair in self.contacts}
            retake = self._contact_onset(done, end, trace, measured)
            if retake is not None:  # a void closed within a wider increment: locate the onset
                self._undo(accepted)
                step = retake
                continue
            self.load_scale = max(self.load_scale, residuals[0])
            for law in self.laws:
                law.commit()
            for pair in self.contacts:
                values = measured[pair.name]
                self._closed[pair.name] = values["in_contact"]
                self._last_gap[pair.name] = values["gap_min_nm"]
                if not values["in_contact"]:
                    trace.setdefault(pair.name, []).append((end, values["gap_min_nm"]))
            record.increments.append(IncrementRecord(end=end, iterations=iterations, residuals=residuals))
            width, done = end - done, end
            if predict:
                last_move, last_width = self.u.x.array - self.u_accepted.x.array, width
            if self.first_newton_iterations <= opts.easy_iterations:
                step *= opts.grow
            elif self.first_newton_iterations >= opts.hard_iterations:
                step /= 2.0
            step = min(step, 1.0 / opts.initial_increments)
            if limit is not None and flow > 0.0:
                # the next increment's flow, extrapolated from this one's, within the limit: grown
                # by 1.5 past it, an increment that flowed just under the limit was retaken
                # (flow > 1.5 limit) every other time (11 of 42 increments of the ZnSe headline)
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
        if self.holding is not None:
            self.holding.destroy()
        if self.held_motions is not None:
            self.held_motions.destroy()
        self.A.destroy()
        self.b.destroy()


#: the earlier name (small-strain elasticity only)
ElasticityProblem = MechanicsProblem
