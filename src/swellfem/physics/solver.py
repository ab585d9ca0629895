"""Linear solvers of the displacement problem: MUMPS (direct) or CG + GAMG with the
rigid-body modes as near-null space (and as null space in full 3D, where they are projected
out of the solution: zero net rigid motion, the stress untouched; no springs)."""

from __future__ import annotations

from .._backend import PETSc, dolfinx


class SolverError(RuntimeError):
    """A linear or nonlinear solver did not converge."""


def choose_solver(requested: str, formulation: str, num_dofs: int, nonlinear: bool = False) -> str:
    """``direct`` or ``iterative`` for a request of ``auto``/``direct``/``iterative``."""
    if formulation == "3d" and not nonlinear:
        return "iterative"  # rigid-body modes handled as the Krylov null space
    if requested != "auto":
        return requested
    if formulation == "axisymmetric":
        return "direct"
    return "direct" if num_dofs < 60_000 else "iterative"


def rigid_body_modes(V) -> tuple["PETSc.NullSpace", tuple]:
    """The six rigid-body modes of a 3D vector space ``V`` (orthonormalised), and the arrays
    whose memory the null-space vectors share (keep them alive as long as the null space)."""
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
    ns = PETSc.NullSpace().create(vectors=petsc_vecs, comm=V.mesh.comm)
    return ns, (vecs, basis, petsc_vecs)


class LinearSolver:
    """A KSP for a fixed matrix ``A`` (factorised or preconditioned once).

    ``newton=True``: the matrix changes from one Newton iteration to the next. The multigrid
    hierarchy (iterative) of an earlier Jacobian is kept as the preconditioner of a GMRES solve
    with the current one (to ``ksp_rtol`` 1e-10, so Newton's convergence is unchanged) and rebuilt
    only when that solve takes more than :attr:`refresh_iterations` iterations or fails; a
    factorisation (direct) is rebuilt for every Jacobian."""

    #: Krylov iterations a kept preconditioner may take before it is rebuilt (this solve and next)
    refresh_iterations = 8

    def __init__(self, A, V, formulation: str, kind: str, newton: bool = False):
        self.A = A
        self.kind = kind
        self.newton = newton
        self.nullspace = None
        self.near_nullspace = None
        self._fresh = True  # the preconditioner is (to be) built from the current matrix
        # keep a multigrid hierarchy (expensive to build, still a good preconditioner later);
        # a factorisation is rebuilt every time (a stale LU of a plastic Jacobian took > 8
        # GMRES iterations half of the time on the ZnSe case: a fresh one is cheaper)
        self._reuse = newton and kind == "iterative"
        mesh = V.mesh
        ksp = PETSc.KSP().create(mesh.comm)
        ksp.setOptionsPrefix("swellfem_elasticity_")  # PETSC_OPTIONS="-swellfem_elasticity_..." overrides
        opts = PETSc.Options()
        prefix = ksp.getOptionsPrefix()
        if kind == "direct" and newton:
            settings = {"ksp_type": "gmres", "ksp_gmres_restart": 60, "ksp_rtol": 1e-10, "ksp_atol": 1e-30,
                        "ksp_max_it": 60, "pc_type": "lu", "pc_factor_mat_solver_type": "mumps"}
        elif kind == "direct":
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
            if newton:  # a Jacobian under stress need not be definite (geometric stiffness)
                settings["ksp_type"] = "gmres"
                settings["ksp_gmres_restart"] = 100
                settings["mg_levels_esteig_ksp_type"] = "gmres"
            if mesh.geometry.dim == 3:
                ns, self._keepalive = rigid_body_modes(V)
                self.near_nullspace = ns
                A.setNearNullSpace(ns)
                if formulation == "3d":
                    A.setNullSpace(ns)
                    self.nullspace = ns
        ours = [k for k in settings if not opts.hasName(prefix + k)]
        for k in ours:
            opts[prefix + k] = settings[k]
        ksp.setFromOptions()
        ksp.setOperators(A)
        ksp.getPC().setFromOptions()
        for k in ours:
            del opts[prefix + k]
        self.ksp = ksp

    def solve(self, b, x) -> tuple[int, int]:
        """Solve A x = b; returns (iterations, converged reason). Raises :class:`SolverError`."""
        if self.nullspace is not None:
            self.nullspace.remove(b)
        try:
            self.ksp.solve(b, x)
        except PETSc.Error as exc:
            raise SolverError(f"linear solver failed ({self.kind}): PETSc error {exc.ierr}") from None
        reason = self.ksp.getConvergedReason()
        if reason < 0:
            raise SolverError(
                f"linear solver did not converge ({self.kind}, reason {reason}, "
                f"{self.ksp.getIterationNumber()} iterations)"
            )
        if self.nullspace is not None:
            self.nullspace.remove(x)  # zero net rigid motion; the stress does not change
        return self.ksp.getIterationNumber(), reason

    def solve_newton(self, A, b, x, pattern_changed: bool = False) -> int:
        """Solve with the current Jacobian ``A``, reusing the kept preconditioner when it still
        pays (see the class docstring). ``pattern_changed``: A's nonzero pattern may differ from
        the last one (contact couples new dofs): a preconditioner that is rebuilt is built from
        scratch. Returns the Krylov iterations (all attempts)."""
        pc = self.ksp.getPC()
        reuse = self._reuse and not self._fresh
        if pattern_changed and not reuse:
            pc.reset()  # a factorisation's symbolic analysis is for the old pattern
        if pattern_changed and self.near_nullspace is not None:
            A.setNearNullSpace(self.near_nullspace)  # a matrix rebuilt by MatAXPY lost it
        self.ksp.setOperators(A)
        pc.setReusePreconditioner(reuse)
        rtol, atol, dtol, max_it = self.ksp.getTolerances()
        total = 0
        try:
            if reuse:
                self.ksp.setTolerances(max_it=self.refresh_iterations)
            iterations, _ = self.solve(b, x)
            total += iterations
            self._fresh = False
        except SolverError:
            if not reuse:
                raise
            total += self.ksp.getIterationNumber()
            self.ksp.setTolerances(max_it=max_it)
            pc.setReusePreconditioner(False)  # stale: rebuild from this Jacobian and solve again
            if pattern_changed:
                pc.reset()
                self.ksp.setOperators(A)
            iterations, _ = self.solve(b, x)
            total += iterations
            self._fresh = True  # and build the next one anew too: this load changes the tangent
        finally:
            self.ksp.setTolerances(max_it=max_it)
        return total

    def destroy(self) -> None:
        self.ksp.destroy()
