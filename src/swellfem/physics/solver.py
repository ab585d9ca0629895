"""Linear solvers of the displacement problem: MUMPS (direct) or CG preconditioned by a
p-multigrid (P2 -> P1, GAMG on P1 with the rigid-body modes as near-null space; GAMG directly
for P1 elements). In full 3D the rigid-body modes are the Krylov null space, projected out of
the solution: zero net rigid motion, the stress untouched; no springs. The iterative solve's
tolerance follows from the stress accuracy asked (:func:`krylov_rtol`)."""

from __future__ import annotations

import numpy as np

from .._backend import PETSc, dolfinx

from dolfinx.fem import petsc as fem_petsc  # noqa: E402


class SolverError(RuntimeError):
    """A linear or nonlinear solver did not converge."""


def choose_solver(requested: str, formulation: str, num_dofs: int, nonlinear: bool = False,
                  contact: bool = False) -> str:
    """``direct`` or ``iterative`` for a request of ``auto``/``direct``/``iterative``. With
    ``contact`` (a void) ``auto`` is direct at any size: the p-multigrid does not converge once
    a void closes (docs/contact.md)."""
    if formulation == "3d" and not nonlinear:
        return "iterative"  # rigid-body modes handled as the Krylov null space
    if requested != "auto":
        return requested
    if formulation == "axisymmetric" or contact:
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


#: the relative accuracy asked of the stresses when a case does not say (0.01 %, a hundredth of
#: the 1 % the verification tests allow)
DEFAULT_STRESS_TOLERANCE = 1e-4

#: relative (true) residual of the Krylov solve per unit of asked stress accuracy. Measured on
#: the octant Lame case, default mesh (benchmarks/bench_solver.py): the per-region stress
#: extrema moved by 0.3-1.0 times the relative residual with the p-multigrid and 2.7-5.5 times
#: with GAMG on P2 (residuals 1e-3 to 1e-8), so a residual a tenth of the asked accuracy keeps
#: the solver's share of the stress error below it
RESIDUAL_PER_STRESS_ACCURACY = 1e-1


def krylov_rtol(stress_tolerance: float) -> float:
    """The Krylov solver's relative residual tolerance for a relative stress accuracy."""
    return RESIDUAL_PER_STRESS_ACCURACY * stress_tolerance


def iterative_settings(rtol: float, newton: bool, p_multigrid: bool) -> dict:
    """PETSc options of the iterative solve. Quadratic elements (``p_multigrid``): CG
    preconditioned by a two-level p-multigrid, Chebyshev/Jacobi smoothing on the P2 level and
    one GAMG V-cycle on the Galerkin P1 operator (P^T A P with the P1 -> P2 interpolation P:
    exactly the P1 stiffness of the same forms, whatever the law). GAMG on the P2 matrix itself
    spent twice the solve's time building its hierarchy (the P2 Galerkin triple product).
    Linear elements: GAMG directly."""
    smoothing = {"mg_levels_ksp_type": "chebyshev", "mg_levels_pc_type": "jacobi",
                 "mg_levels_esteig_ksp_type": "gmres" if newton else "cg"}
    gamg = {"pc_gamg_type": "agg", "pc_gamg_coarse_eq_limit": 1000, **smoothing}
    # the true residual (not the preconditioned one) against rtol: the stress accuracy that a
    # tolerance buys then does not depend on the preconditioner
    settings = {"ksp_type": "cg", "ksp_norm_type": "unpreconditioned", "ksp_rtol": rtol, "ksp_atol": 1e-14,
                "ksp_max_it": 2000}
    if newton:  # a Jacobian under stress need not be definite (geometric stiffness)
        # a solve that stalls fails after 300 iterations (Newton then halves its increment):
        # a far-compressed first iterate of a large increment ran 2000 without converging
        settings.update({"ksp_type": "gmres", "ksp_gmres_restart": 100, "ksp_max_it": 300})
        del settings["ksp_norm_type"]
    if not p_multigrid:
        return {**settings, "pc_type": "gamg", **gamg}
    settings.update({"pc_type": "mg", "pc_mg_levels": 2, "pc_mg_galerkin": "none", **smoothing,
                     "mg_levels_ksp_max_it": 2, "mg_coarse_ksp_type": "preonly", "mg_coarse_pc_type": "gamg"})
    settings.update({"mg_coarse_" + k: v for k, v in gamg.items()})
    return settings


#: the options prefix of the displacement solve (PETSC_OPTIONS="-swellfem_elasticity_...")
OPTIONS_PREFIX = "swellfem_elasticity_"


def linear_space(V):
    """The vector P1 space on V's mesh (the coarse level of the p-multigrid)."""
    return dolfinx.fem.functionspace(V.mesh, ("Lagrange", 1, (V.mesh.geometry.dim,)))


def uses_p_multigrid(V, kind: str) -> bool:
    """Whether an iterative solve on ``V`` is preconditioned by the p-multigrid: quadratic
    elements, unless PETSC_OPTIONS names another preconditioner."""
    quadratic = V.ufl_element().embedded_superdegree > 1
    return kind == "iterative" and quadratic and PETSc.Options().getString(OPTIONS_PREFIX + "pc_type", "mg") == "mg"


def lagrange_interpolation(V1, V) -> "PETSc.Mat":
    """The interpolation of the vector P1 space ``V1`` into the vector P2 space ``V`` on the
    same mesh (rows: V's owned dofs), built from the cell dofmaps: a P2 node takes the P1 basis
    functions of a cell around it at its reference point (1 at a vertex, 1/2 and 1/2 at an
    edge's midpoint), the same from every cell. DOLFINx's ``interpolation_matrix`` gives the
    same matrix but preallocates every P1 dof of every cell around a P2 dof (12 times what it
    fills: 330 MiB at 1.1 M dofs), and took 0.56-0.65 s at 320 k dofs where this takes
    0.09-0.11 s. Other degrees: DOLFINx's, copied without its unfilled entries."""
    import basix

    if V.ufl_element().embedded_superdegree != 2 or V1.ufl_element().embedded_superdegree != 1:
        P = fem_petsc.interpolation_matrix(V1, V)
        P.assemble()
        compact = P.duplicate(copy=True)  # only the entries it filled
        P.destroy()
        return compact
    bs = V.dofmap.index_map_bs
    cell_type = getattr(basix.CellType, V.mesh.topology.cell_type.name)
    linear = basix.create_element(basix.ElementFamily.P, cell_type, 1, basix.LagrangeVariant.equispaced)
    weights = linear.tabulate(0, V.element.interpolation_points)[0, :, :, 0]  # (P2 nodes, P1 nodes)
    weights[np.abs(weights) < 1e-12] = 0.0
    fine, coarse = V.dofmap.list, V1.dofmap.list
    n_owned = V.dofmap.index_map.size_local
    nodes, first = np.unique(fine.ravel(), return_index=True)  # each local P2 node once
    first = first[nodes < n_owned]
    if len(first) != n_owned:
        raise RuntimeError("P1 -> P2 interpolation: an owned P2 node lies in no local cell")
    cell, local = np.divmod(first, fine.shape[1])
    W = weights[local]  # (owned P2 nodes, P1 nodes of their cell)
    filled = W != 0.0
    counts = filled.sum(axis=1)
    columns = V1.dofmap.index_map.local_to_global(coarse[cell][filled].astype(np.int32))
    values = W[filled]
    # unrolled: row bs i + c holds the node's weights at the columns bs j + c
    indptr = np.concatenate([[0], np.cumsum(np.repeat(counts, bs))]).astype(PETSc.IntType)
    row_of = np.repeat(np.arange(n_owned), counts)  # the node of each entry, in node order
    comp = np.arange(bs)[:, None]
    entry_cols = bs * columns.astype(PETSc.IntType)[None, :] + comp  # (bs, entries): component c's
    entry_vals = np.broadcast_to(values, (bs, len(values)))
    key = np.argsort(bs * row_of[None, :] + comp, axis=None, kind="stable")  # row bs i + c, entries in order
    indices = entry_cols.ravel()[key].astype(PETSc.IntType)
    data = entry_vals.ravel()[key].astype(PETSc.ScalarType)
    sizes = ((bs * n_owned, bs * V.dofmap.index_map.size_global),
             (bs * V1.dofmap.index_map.size_local, bs * V1.dofmap.index_map.size_global))
    P = PETSc.Mat().createAIJ(sizes, bsize=bs, csr=(indptr, indices, data), comm=V.mesh.comm)
    P.assemble()
    return P


class LinearSolver:
    """A KSP for a fixed matrix ``A`` (factorised or preconditioned once).

    ``newton=True``: the matrix changes from one Newton iteration to the next. The multigrid
    hierarchy (iterative) of an earlier Jacobian is kept as the preconditioner of a GMRES solve
    with the current one (to ``ksp_rtol`` 1e-10, so Newton's convergence is unchanged) and rebuilt
    only when that solve takes more than :attr:`refresh_iterations` iterations or fails; so is
    a factorisation in 3D. An axisymmetric factorisation (direct) is rebuilt for every Jacobian.

    ``coarse`` (linear path, p-multigrid): the P1 space and the same stiffness on it, assembled as
    the coarse operator instead of the Galerkin product P^T A P. ``A`` may then be blocked
    (BAIJ, which PETSc cannot form P^T A P of): it assembles in half the time, multiplies in
    0.6 of it and takes 0.8 of the memory of AIJ. The Dirichlet dofs of ``bcs`` are kept out of
    the coarse correction (their columns of P are zero; the coarse operator has unit rows there),
    as the Galerkin product keeps them out: 12 CG iterations with either on the octant default
    mesh."""

    #: Krylov iterations a kept preconditioner may take before it is rebuilt (this solve and next)
    refresh_iterations = 8

    def __init__(self, A, V, formulation: str, kind: str, newton: bool = False,
                 stress_tolerance: float = DEFAULT_STRESS_TOLERANCE, keep_preconditioner: bool = True,
                 coarse=None, bcs=()):
        self.A = A
        #: (P1 space, its stiffness form) of a rediscretised coarse level, or None
        self._coarse_space, self._coarse_form = coarse if coarse is not None else (None, None)
        self._bcs = list(bcs)
        #: the owned P1 dofs kept out of a rediscretised coarse level (see _coarse_dirichlet_dofs)
        self._coarse_fixed = None
        #: the iterative solve's relative residual (linear path: from the asked stress accuracy;
        #: Newton: 1e-10, so that the corrections keep Newton quadratic)
        self.ksp_rtol = 1e-10 if newton else krylov_rtol(stress_tolerance)
        self.kind = kind
        self.newton = newton
        self.nullspace = None
        self.near_nullspace = None
        self._fresh = True  # the preconditioner is (to be) built from the current matrix
        # the p-multigrid (iterative, quadratic elements): P1 -> P2 interpolation, P^T A P and
        # the P1 rigid-body modes (see _setup_p_multigrid)
        self._interpolation = None
        self._coarse_A = None
        self._coarse_nullspace = None
        mesh = V.mesh
        # keep a multigrid hierarchy (expensive to build, still a good preconditioner later),
        # and a 3D factorisation (its LU is most of a Newton iteration: 1.4 of 2.1 s on a
        # 31 k-dof yolk-shell in contact). An axisymmetric factorisation is rebuilt every time:
        # a stale LU of a plastic Jacobian took > 8 GMRES iterations half of the time on the
        # ZnSe case, and a fresh one is cheap there
        # (``keep_preconditioner=False``: never; the holding forces' bordered Newton step needs
        # the current Jacobian's factorisation, physics/holding.py)
        self._reuse = keep_preconditioner and newton and (kind == "iterative" or mesh.geometry.dim == 3)
        ksp = PETSc.KSP().create(mesh.comm)
        ksp.setOptionsPrefix(OPTIONS_PREFIX)  # PETSC_OPTIONS="-swellfem_elasticity_..." overrides
        opts = PETSc.Options()
        prefix = ksp.getOptionsPrefix()
        p_multigrid = False
        if kind == "direct" and newton:
            settings = {"ksp_type": "gmres", "ksp_gmres_restart": 60, "ksp_rtol": self.ksp_rtol, "ksp_atol": 1e-30,
                        "ksp_max_it": 60, "pc_type": "lu", "pc_factor_mat_solver_type": "mumps"}
        elif kind == "direct":
            # the linear path's stiffness is symmetric (isotropic elastic laws, Dirichlet rows and
            # columns both zeroed): MUMPS's symmetric LDL^T (with pivoting) in place of LU,
            # factorised in 0.19 s instead of 0.27 s at 52 k dofs (axisymmetric ZnSe model)
            settings = {"ksp_type": "preonly", "pc_type": "cholesky", "pc_factor_mat_solver_type": "mumps"}
        else:
            # PETSC_OPTIONS="-swellfem_elasticity_pc_type gamg" (any other than mg) leaves it out
            p_multigrid = uses_p_multigrid(V, kind)
            settings = iterative_settings(self.ksp_rtol, newton, p_multigrid)
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
        # the axisymmetric meridian: MUMPS's approximate minimum fill ordering factorises it in
        # 0.17 s instead of METIS's 0.26 s at 52 k dofs (0.28 / 0.44 s at 83 k); in 3D METIS is
        # faster (1.7 s against 2.3-2.9 s at 59 k dofs). Set on the factor itself: MUMPS reads
        # its options when the factor is made, after ours are gone from the options database
        self._ordering = 2 if kind == "direct" and mesh.geometry.dim == 2 and not opts.hasName(
            prefix + "mat_mumps_icntl_7") else None
        # and no scaling (ICNTL(8) = 0) of a Newton Jacobian there: MUMPS's automatic scaling
        # is recomputed at every factorisation, a third of it (52 k dofs, ZnSe headline: 150 ->
        # 95 ms), and the GMRES around the LU keeps the correction to 1e-10 whatever it costs the
        # factorisation's accuracy (1 iteration with or without)
        self._scaling = 0 if kind == "direct" and newton and mesh.geometry.dim == 2 and not opts.hasName(
            prefix + "mat_mumps_icntl_8") else None
        self.ksp = ksp
        self._set_factor_options()
        if p_multigrid:
            self._setup_p_multigrid(ksp.getPC(), V)  # reads the level solvers' options
        for k in ours:
            del opts[prefix + k]
        if not newton:
            self._refresh_coarse(A)  # A is assembled: the coarse level once

    def _setup_p_multigrid(self, pc, V) -> None:
        """The P1 -> P2 interpolation of the two-level p-multigrid and the coarse GAMG, whose
        operator (P^T A P, or the assembled coarse stiffness) is formed here
        (:meth:`_refresh_coarse`), so that it can carry the P1 rigid-body modes as its near-null
        space (PCMG's own Galerkin product comes too late)."""
        V1 = self._coarse_space if self._coarse_space is not None else linear_space(V)
        P = lagrange_interpolation(V1, V)
        if self._coarse_form is not None:
            self._coarse_fixed = self._coarse_dirichlet_dofs(P)
            keep = P.createVecRight()
            keep.set(1.0)
            keep.array[self._coarse_fixed] = 0.0
            P.diagonalScale(None, keep)  # no coarse correction from or to a Dirichlet dof
        pc.setMGInterpolation(1, P)
        pc.getMGSmoother(1).setFromOptions()
        pc.getMGCoarseSolve().setFromOptions()
        self._interpolation = P
        self._coarse_nullspace = rigid_body_modes(V1) if V.mesh.geometry.dim == 3 else None

    def _coarse_dirichlet_dofs(self, P) -> np.ndarray:
        """The owned P1 dofs (local indices) whose P2 twin (interpolation weight 1) is a
        Dirichlet dof of ``bcs``. A Dirichlet condition on facets or vertices fixes a P2 edge
        node only with both its vertices, so a P1 dof gets a weight of at least 1 from the
        fixed P2 dofs exactly when its twin is one of them."""
        fixed = P.createVecLeft()
        fixed.set(0.0)
        for bc in self._bcs:
            dofs, owned = bc.dof_indices()
            fixed.array[dofs[:owned]] = 1.0
        weight = P.createVecRight()
        P.multTranspose(fixed, weight)
        return np.flatnonzero(weight.array > 0.75).astype(np.int32)

    def _reset_pc(self, A) -> None:
        """Forget the preconditioner's setup (for a new nonzero pattern) and take ``A`` as the
        operator; the p-multigrid's interpolation and MUMPS's ordering are set again."""
        pc = self.ksp.getPC()
        pc.reset()
        if self._interpolation is not None:
            pc.setMGInterpolation(1, self._interpolation)
        self.ksp.setOperators(A)
        self._set_factor_options()

    def _set_factor_options(self) -> None:
        """MUMPS's fill-reducing ordering (ICNTL(7)) and scaling (ICNTL(8)) on the factor, where
        swellfem chooses them (after the operators are set: a reset PC makes a new factor)."""
        if self._ordering is None and self._scaling is None:
            return
        pc = self.ksp.getPC()
        pc.setFactorSetUpSolverType()
        factor = pc.getFactorMatrix()
        if self._ordering is not None:
            factor.setMumpsIcntl(7, self._ordering)
        if self._scaling is not None:
            factor.setMumpsIcntl(8, self._scaling)

    def _refresh_coarse(self, A, rebuild: bool = False) -> None:
        """Form the coarse operator P^T A P from the current ``A`` (a new matrix when
        ``rebuild``: A's pattern may have changed)."""
        if self._interpolation is None:
            return
        if self._coarse_form is not None:  # rediscretised: assembled once (the linear path)
            if self._coarse_A is None:
                self._coarse_A = self._assemble_coarse()
                if self._coarse_nullspace is not None:
                    self._coarse_A.setNearNullSpace(self._coarse_nullspace[0])
                self.ksp.getPC().getMGCoarseSolve().setOperators(self._coarse_A)
            return
        if self._coarse_A is None or rebuild:
            if self._coarse_A is not None:
                self._coarse_A.destroy()
            self._coarse_A = A.ptap(self._interpolation)
        else:
            A.ptap(self._interpolation, result=self._coarse_A)
        if self._coarse_nullspace is not None:
            self._coarse_A.setNearNullSpace(self._coarse_nullspace[0])
        self.ksp.getPC().getMGCoarseSolve().setOperators(self._coarse_A)

    def _assemble_coarse(self):
        """The P1 stiffness, with unit rows and columns at the coarse Dirichlet dofs."""
        Ac = fem_petsc.assemble_matrix(self._coarse_form)
        Ac.assemble()
        start = Ac.getOwnershipRange()[0]
        Ac.zeroRowsColumns(self._coarse_fixed + start, diag=1.0)
        return Ac

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
        if pattern_changed and self.near_nullspace is not None:
            A.setNearNullSpace(self.near_nullspace)  # a matrix rebuilt by MatAXPY lost it
        if pattern_changed and not reuse:
            self._reset_pc(A)  # a factorisation's symbolic analysis is for the old pattern
        else:
            self.ksp.setOperators(A)
        if not reuse:
            self._refresh_coarse(A, rebuild=pattern_changed)
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
                self._reset_pc(A)
            self._refresh_coarse(A, rebuild=pattern_changed)
            iterations, _ = self.solve(b, x)
            total += iterations
            self._fresh = True  # and build the next one anew too: this load changes the tangent
        finally:
            self.ksp.setTolerances(max_it=max_it)
        return total

    def resolve(self, b, x) -> int:
        """Solve with the matrix and preconditioner of the last :meth:`solve_newton` (another
        right-hand side); returns the Krylov iterations."""
        pc = self.ksp.getPC()
        pc.setReusePreconditioner(True)
        iterations, _ = self.solve(b, x)
        return iterations

    def destroy(self) -> None:
        self.ksp.destroy()
        if self._interpolation is not None:
            self._interpolation.destroy()
