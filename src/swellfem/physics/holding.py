"""Holding a body that contact pushes off-centre: a distributed body force instead of a point.

The bodies of a yolk–shell are each held against rigid motion by a few point constraints
(u_z at an anchor in axisymmetry, a 3-2-1 support in full 3D). While every force on a body is
balanced (a centred yolk, a shell pressed all round) those points carry nothing. A yolk that
touches its shell on one side only is pushed by a net contact force; a point support would
carry it as a point load, whose stress is singular and whose displacement grows without bound
under mesh refinement, so that the contact force itself does not converge.

Here the net force (and moment) on each body is carried instead by a body force spread over the
body, f(X) = sum_k c_k r_k(X) (the body's rigid modes r_k: the axial translation in
axisymmetry; three translations and three rotations about its centroid in 3D), the inertia
relief of structural mechanics. The point supports still fix the body's position but carry
nothing: the coefficients c are unknowns of Newton's method beside the displacement, with as
many equations, the supports' reactions R_s = 0 (one per support dof; the supports are
statically determinate). Each Newton correction solves the bordered system

    [ J_ff  -B_f ] [du_f]   [R_f]
    [ J_sf  -B_s ] [dc  ] = [R_s]        (B_k = int r_k . v dV, the body force's load vectors)

by its Schur complement: with x0 = J_ff^-1 R_f and X = J_ff^-1 B_f (one application of the
factorisation per mode), S dc = P (R_s - J_sf x0), S = P (J_sf X - B_s) (P projects the support
dofs onto the modes, square and regular), then du_f = J_ff^-1 (R_f + B_f dc). So the body forces
converge with the displacement, quadratically, and no support carries load once Newton has
converged (the residual norm includes the supports' rows). A frictionless yolk that nothing held
would slide back towards the centre; the body force models what keeps it where it sits (its
contact with the electrode, carbon bridges), and the net contact force it carries is reported
(``net_force_nN``).

The free bodies' held rigid motions (:mod:`.mechanisms`, full 3D) border the same system: their
multipliers dlambda join dc as unknowns, their load vectors M join the columns B_f, and their
rows M^T (x0 + X [dc; dlambda]) = M^T u join S (the constraints hold after each correction).

Units: forces MPa nm^2 (1e-3 nN), body force MPa / nm.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._backend import MPI, PETSc

from dolfinx.fem import petsc as fem_petsc  # noqa: E402


@dataclasses.dataclass
class _HeldBody:
    support_dofs: np.ndarray  # local (unrolled) dofs of the point supports, owned
    modes_at_support: np.ndarray  # (n_modes, n_support_dofs): r_k at each support dof, its component
    coefficients: list  # per mode a dolfinx Constant c_k (MPa / nm per unit mode)


class RigidHolding:
    """The body forces that hold each body in place (see the module docstring)."""

    def __init__(self, problem, bodies: list, supports: list[list[tuple[np.ndarray, int]]], bcs: list,
                 held_motions=None):
        """``bodies``: the held bodies (:class:`~swellfem.geometry.shape.Body`, not the free
        ones); ``supports``: per body its point supports as (local dofs, component); ``bcs``:
        every Dirichlet condition (the supports' included); ``held_motions``: the constraints of
        the free bodies' held rigid motions (:class:`~.mechanisms.HeldMotions`), whose multipliers
        join the bordered system (:meth:`solve`)."""
        self.held_motions = held_motions
        import dolfinx.fem as fem
        import ufl

        self.problem = problem
        mesh = problem.mesh
        self.comm = mesh.comm
        loaded = problem.loaded
        X = problem.kinematics.x
        gdim = mesh.geometry.dim
        V = problem.V
        bs = V.dofmap.index_map_bs
        n_owned = V.dofmap.index_map.size_local * bs
        dof_x = V.tabulate_dof_coordinates()
        self.bodies: list[_HeldBody] = []
        work = 0
        v = ufl.TestFunction(V)
        one = fem.Constant(mesh, PETSc.ScalarType(1.0))
        load_forms = []
        for body, body_supports in zip(bodies, supports):
            dx = problem.dx(tuple(loaded.layer_tags[name] for name in body.regions))
            weight = problem.weight
            volume = self._integral(one * weight * dx)
            if gdim == 2:  # axisymmetric meridian (r, z): the axial translation only
                modes = [ufl.as_vector([0.0, 1.0])]
                point_modes = [lambda x, comp: 1.0 if comp == 1 else 0.0]
            else:
                centre = np.array([self._integral(X[i] * weight * dx) / volume for i in range(3)])
                e = np.eye(3)
                modes = [ufl.as_vector(e[k]) for k in range(3)]
                rel = X - ufl.as_vector(centre)
                modes += [ufl.cross(ufl.as_vector(e[k]), rel) for k in range(3)]
                point_modes = [(lambda k: lambda x, comp: e[k][comp])(k) for k in range(3)]
                point_modes += [(lambda k: lambda x, comp: np.cross(e[k], x - centre)[comp])(k) for k in range(3)]
            coefficients = [fem.Constant(mesh, PETSc.ScalarType(0.0)) for _ in modes]
            force = sum(c * r for c, r in zip(coefficients, modes))
            work = work - ufl.dot(force, v) * weight * dx
            load_forms += [fem.form(ufl.dot(r, v) * weight * dx) for r in modes]
            dofs, values = [], []
            for local, comp in body_supports:
                local = np.asarray(local, dtype=np.int64)
                local = local[local < n_owned]
                for dof in local:
                    x = dof_x[dof // bs]
                    dofs.append(dof)
                    values.append([mode(x, comp) for mode in point_modes])
            self.bodies.append(_HeldBody(np.asarray(dofs, dtype=np.int32),
                                         np.asarray(values, dtype=float).reshape(-1, len(modes)).T,
                                         coefficients))
        self.work = work  # to add to the residual form (a dead load on the reference body)
        self.n_modes = sum(len(body.coefficients) for body in self.bodies)
        #: every support dof this rank owns (local, body after body) and their global rows
        self._support_local = np.concatenate([body.support_dofs for body in self.bodies]).astype(np.int32)
        lo = V.dofmap.index_map.local_range[0] * bs
        rows = lo + self._support_local.astype(np.int64)
        self._row_order = np.argsort(rows)  # sub-matrix rows come sorted
        self._support_rows = PETSc.IS().createGeneral(rows[self._row_order].astype(PETSc.IntType), comm=self.comm)
        n_local = n_owned
        self._all_columns = PETSc.IS().createStride(n_local, first=lo, step=1, comm=self.comm)
        # the body forces' load vectors B_k: their support rows projected (P B_s), then zero on
        # every held dof (B_f)
        self.load_vectors = []
        PBs = np.zeros((self.n_modes, self.n_modes))
        for k, form in enumerate(load_forms):
            vec = fem_petsc.create_vector(V)
            vec.set(0.0)
            fem_petsc.assemble_vector(vec, form)
            vec.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
            PBs[:, k] = self._project(vec.array_r[self._support_local])
            fem_petsc.set_bc(vec, bcs)
            self.load_vectors.append(vec)
        self._support_load = PBs
        # the same as the columns of a dense matrix (one application of the factorisation to
        # all), followed by the held motions' constraints' load vectors M_j
        self._columns = self.load_vectors + (held_motions.load_vectors if held_motions is not None else [])
        self._loads = PETSc.Mat().createDense(((n_owned, None), (None, len(self._columns))), comm=self.comm)
        self._loads.setUp()
        columns = self._loads.getDenseArray(readonly=False)
        for k, vec in enumerate(self._columns):
            columns[:, k] = vec.array_r
        self._loads.assemble()
        self.reactions = np.zeros(self.n_modes)  # generalised reactions Q of the last residual
        self._support_residual = np.zeros(len(self._support_local))
        self._step = np.zeros(self.n_modes)

    def _integral(self, form) -> float:
        """Over the mesh as meshed (no symmetry factor: the reactions are read from the same
        mesh's residual)."""
        import dolfinx.fem as fem

        return self.comm.allreduce(fem.assemble_scalar(fem.form(form)), op=MPI.SUM)

    def _project(self, values: np.ndarray) -> np.ndarray:
        """P values: the generalised forces (per body, per mode; all ranks) of values at this
        rank's support dofs (in :attr:`_support_local` order)."""
        out, start = [], 0
        for body in self.bodies:
            n = len(body.support_dofs)
            out.append(body.modes_at_support @ values[start:start + n])
            start += n
        return self.comm.allreduce(np.concatenate(out), op=MPI.SUM)

    def record(self, b) -> float:
        """Read the supports' rows of the residual ``b`` (assembled, before the Dirichlet rows
        are set): their generalised reactions Q = P R_s. Returns the squared norm of R_s (all
        ranks), the supports' part of Newton's residual."""
        self._support_residual = b.array_r[self._support_local].copy()
        self.reactions = self._project(self._support_residual)
        return self.comm.allreduce(float(self._support_residual @ self._support_residual), op=MPI.SUM)

    def release_supports(self, A):
        """The supports' rows of the Jacobian ``A`` (assembled without their Dirichlet
        conditions: J_s, every column) as a matrix of their own; then A's support rows and
        columns are set to the identity's, as a Dirichlet condition would."""
        Js = A.createSubMatrix(self._support_rows, self._all_columns)
        A.zeroRowsColumns(self._support_rows, diag=1.0)
        return Js

    def _support_action(self, Js, x) -> np.ndarray:
        """P J_s x (all ranks) of a vector, or of each column of a dense matrix."""
        if isinstance(x, PETSc.Mat):
            Y = Js.matMult(x)
            rows = Y.getDenseArray()
            values = np.empty((len(self._support_local), rows.shape[1]))
            values[self._row_order] = rows
            Y.destroy()
            return self._project(values)
        y = Js.createVecLeft()
        Js.mult(x, y)
        values = np.empty(len(self._support_local))
        values[self._row_order] = y.array_r
        y.destroy()
        return self._project(values)

    def solve(self, linear_solver, A, Js, b, x) -> int:
        """The bordered Newton correction (module docstring): ``x`` <- du for the residual ``b``
        (support rows zero) and the Jacobian ``A`` (support rows released:
        :meth:`release_supports`); the body forces' correction is kept for :meth:`apply`.
        Returns the Krylov iterations."""
        iterations = linear_solver.solve_newton(A, b, x, pattern_changed=True)  # x0 = J_ff^-1 R_f
        X = self._loads.duplicate()
        linear_solver.ksp.getPC().matApply(self._loads, X)  # X = J_ff^-1 B_f (this Jacobian's factorisation)
        n = self.n_modes
        S = self._support_action(Js, X)
        S[:, :n] -= self._support_load
        rhs = self.reactions - self._support_action(Js, x)
        if self.held_motions is not None:  # their rows: M^T du = g, the constraints met after the step
            M = self.held_motions.load_vectors
            local = np.array([vec.array_r for vec in M]) @ X.getDenseArray()
            S = np.vstack([S, self.comm.allreduce(local, op=MPI.SUM)])
            rhs = np.concatenate([rhs, self.held_motions.constraint_values() - np.array([vec.dot(x) for vec in M])])
        X.destroy()
        column = x.duplicate()
        try:
            step = np.linalg.solve(S, rhs)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(S, rhs, rcond=None)[0]
        column.set(0.0)
        column.maxpy(step, self._columns)
        z = x.duplicate()
        iterations += linear_solver.resolve(column, z)  # J_ff^-1 (B_f dc + M dlambda)
        x.axpy(1.0, z)
        column.destroy()
        z.destroy()
        self._step = step[:n]
        if self.held_motions is not None:
            self.held_motions.set_step(step[n:])
        return iterations

    def apply(self, fraction: float = 1.0) -> None:
        """c <- c - fraction dc (the last correction; a negative fraction takes part of it back)."""
        for c, dc in zip((c for body in self.bodies for c in body.coefficients), self._step):
            c.value = float(c.value) - fraction * dc
        if self.held_motions is not None:
            self.held_motions.apply(fraction)

    def state(self) -> list[np.ndarray]:
        """The body forces' coefficients per body, then the held motions' multipliers."""
        out = [np.array([float(c.value) for c in body.coefficients]) for body in self.bodies]
        return out + ([self.held_motions.state()] if self.held_motions is not None else [])

    def restore(self, saved: list[np.ndarray]) -> None:
        for body, values in zip(self.bodies, saved):
            for c, value in zip(body.coefficients, values):
                c.value = value
        if self.held_motions is not None:
            self.held_motions.restore(saved[-1])

    def destroy(self) -> None:
        for vec in self.load_vectors:
            vec.destroy()
        self._loads.destroy()
