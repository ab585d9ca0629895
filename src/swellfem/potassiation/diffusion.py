"""Fickian potassiation of the active region (GUIDE 2, stages ``diffusion``).

d theta / dt = div(D grad theta) in each active layer, theta(0) = 0, backward Euler in time,
on a submesh of the active cells (same formulation as the mechanics: axisymmetric integrals
carry 2 pi r). K+ enters through the layer's outer boundary: carbon shells are assumed to
pass it freely. Boundary conditions:

* ``galvanostatic`` (constant current, then constant voltage, as a cell is charged): a uniform
  inward flux j = (C / 3600 s) V / A (theta x nm / s), so that the mean potassiation rises
  exactly as C t / 3600 s; stage k is at t_k = SOC_k x 3600 s / C, reached in
  ``steps_per_stage`` equal steps. When the surface saturates (theta = 1 on the boundary)
  charging goes on at theta = 1 on the boundary (the constant-voltage step).
* ``fixed-surface``: theta = surface_soc on the boundary from t = 0.

Whenever the boundary is held at a fixed value, steps grow geometrically and the step that
crosses a requested SOC is shortened (bisection) so that the mean potassiation equals the SOC
at the stage. A stage at SOC equal to the boundary value (e.g. SOC = 1) is reached only as
t -> infinity: swellfem takes that limit, theta uniform, and records the time as null.

Units: lengths nm, D nm^2/s, time s.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import ufl

from .._backend import MPI, PETSc, dolfinx
from ..physics import SolverError
from .info import StageInfo

from dolfinx import fem  # noqa: E402
from dolfinx.fem import petsc as fem_petsc  # noqa: E402


class ActiveLayerDiffusion:
    """Backward-Euler diffusion on the submesh of one active layer."""

    def __init__(self, problem, name: str, r_in: float, r_out: float, D: float, degree: int):
        self.problem = problem
        parent = problem.mesh
        tdim = parent.topology.dim
        loaded = problem.loaded
        cells = loaded.cell_tags.find(loaded.layer_tags[name])
        imap = parent.topology.index_map(tdim)
        cells = cells[cells < imap.size_local]
        submesh, emap, _, _ = dolfinx.mesh.create_submesh(parent, tdim, cells)
        self.submesh = submesh
        n_sub = submesh.topology.index_map(tdim).size_local + submesh.topology.index_map(tdim).num_ghosts
        self.sub_cells = np.arange(n_sub, dtype=np.int32)
        self.parent_cells = emap.sub_topology_to_topology(self.sub_cells, False).astype(np.int32)
        self.V = fem.functionspace(submesh, ("Lagrange", degree))
        self.theta = fem.Function(self.V, name="potassiation")
        self.theta_old = fem.Function(self.V)
        self.dt = fem.Constant(submesh, PETSc.ScalarType(1.0))
        self.D = fem.Constant(submesh, PETSc.ScalarType(D))  # a value, not code: one compiled form for every D
        x = ufl.SpatialCoordinate(submesh)
        self.weight = 2.0 * np.pi * x[0] if problem.axisymmetric else 1.0
        gdim = submesh.geometry.dim
        fdim = tdim - 1
        submesh.topology.create_connectivity(fdim, tdim)
        tol = 1e-6 * r_out

        def on_outer(p):
            return np.abs(np.sqrt(np.sum(p[:gdim] ** 2, axis=0)) - r_out) < tol

        self.outer_facets = dolfinx.mesh.locate_entities_boundary(submesh, fdim, on_outer)
        ft = dolfinx.mesh.meshtags(submesh, fdim, self.outer_facets, np.full(len(self.outer_facets), 1, np.int32))
        qdeg = 2 * degree + 1
        self.dx = ufl.Measure("dx", domain=submesh, metadata={"quadrature_degree": qdeg})
        self.ds = ufl.Measure("ds", domain=submesh, subdomain_data=ft, metadata={"quadrature_degree": qdeg})(1)
        comm = submesh.comm
        self.volume = comm.allreduce(fem.assemble_scalar(fem.form(self.weight * self.dx)), op=MPI.SUM)
        self.area = comm.allreduce(fem.assemble_scalar(fem.form(self.weight * self.ds)), op=MPI.SUM)
        self.mean_form = fem.form(self.theta * self.weight * self.dx)
        self.flux = fem.Constant(submesh, PETSc.ScalarType(0.0))
        self.surface_value = fem.Constant(submesh, PETSc.ScalarType(0.0))

    def configure(self, flux: float, surface_value: float) -> None:
        """Forms for the flux (galvanostatic) and the fixed-value boundary; starts with the flux
        if ``flux`` > 0, else with the fixed value."""
        u, q = ufl.TrialFunction(self.V), ufl.TestFunction(self.V)
        w = self.weight
        self.flux.value = flux
        self.surface_value.value = surface_value
        a = (u * q / self.dt + self.D * ufl.inner(ufl.grad(u), ufl.grad(q))) * w * self.dx
        L = self.theta_old * q / self.dt * w * self.dx
        self.a = fem.form(a)
        self.L_fixed = fem.form(L)
        self.L_flux = fem.form(L + self.flux * q * w * self.ds)
        fdim = self.submesh.topology.dim - 1
        self.boundary_dofs = fem.locate_dofs_topological(self.V, fdim, self.outer_facets)
        self.fixed_bcs = [fem.dirichletbc(self.surface_value, self.boundary_dofs, self.V)]
        self.A = fem_petsc.create_matrix(self.a)
        self.b = fem_petsc.create_vector(self.V)
        self.ksp = PETSc.KSP().create(self.submesh.comm)
        self.ksp.setOperators(self.A)
        if self.submesh.geometry.dim == 2:
            self.ksp.setType("preonly")
            self.ksp.getPC().setType("lu")
            self.ksp.getPC().setFactorSolverType("mumps")
        else:
            self.ksp.setType("cg")
            self.ksp.getPC().setType("gamg")
            self.ksp.setTolerances(rtol=1e-12, atol=1e-15)
        if flux > 0:
            self.use_flux()
        else:
            self.use_fixed()

    def use_flux(self) -> None:
        self.L, self.bcs = self.L_flux, []
        self._assembled_dt = None

    def use_fixed(self) -> None:
        self.L, self.bcs = self.L_fixed, self.fixed_bcs
        self._assembled_dt = None

    def surface_max(self) -> float:
        local = float(self.theta.x.array[self.boundary_dofs].max()) if len(self.boundary_dofs) else -np.inf
        return self.submesh.comm.allreduce(local, op=MPI.MAX)

    def set_uniform(self, value: float) -> None:
        self.theta.x.array[:] = value
        self.theta_old.x.array[:] = value

    def mean(self) -> float:
        comm = self.submesh.comm
        return comm.allreduce(fem.assemble_scalar(self.mean_form), op=MPI.SUM) / self.volume

    def step(self, dt: float) -> None:
        """Advance theta_old -> theta by one backward-Euler step of length dt (s)."""
        if self._assembled_dt != dt:
            self.dt.value = dt
            self.A.zeroEntries()
            fem_petsc.assemble_matrix(self.A, self.a, bcs=self.bcs)
            self.A.assemble()
            self.ksp.setOperators(self.A)
            self._assembled_dt = dt
        with self.b.localForm() as loc:
            loc.set(0.0)
        fem_petsc.assemble_vector(self.b, self.L)
        fem_petsc.apply_lifting(self.b, [self.a], bcs=[self.bcs])
        self.b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        fem_petsc.set_bc(self.b, self.bcs)
        self.ksp.solve(self.b, self.theta.x.petsc_vec)
        if self.ksp.getConvergedReason() < 0:
            raise SolverError(f"diffusion solve did not converge (reason {self.ksp.getConvergedReason()})")
        self.theta.x.scatter_forward()

    def accept(self) -> None:
        self.theta_old.x.array[:] = self.theta.x.array

    def to_parent(self) -> None:
        """Copy theta into the mechanics' potassiation field on this layer's cells."""
        self.problem.theta.interpolate(self.theta, cells0=self.sub_cells, cells1=self.parent_cells)
        self.problem.theta.x.scatter_forward()


class DiffusionDriver:
    """Steps diffusion in every active layer and yields a stage at each requested SOC."""

    def __init__(self, stage_driver):
        self.sd = stage_driver
        self.problem = stage_driver.problem
        self.spec = stage_driver.case.stages
        deg = self.problem.degree
        self.layers = [
            ActiveLayerDiffusion(self.problem, name, r_in, r_out, self.spec.diffusivity, deg)
            for name, r_in, r_out in stage_driver.active
        ]
        if not self.layers:
            raise ValueError("diffusion stages need at least one active layer")
        rate = self.spec.c_rate / 3600.0  # mean theta per second
        galvanostatic = self.spec.boundary == "galvanostatic"
        self.cap = 1.0 if galvanostatic else self.spec.surface_soc
        for layer in self.layers:
            layer.configure(flux=rate * layer.volume / layer.area if galvanostatic else 0.0, surface_value=self.cap)
        self.fixed = not galvanostatic
        R = max(r_out for _, _, r_out in stage_driver.active)
        self.t_char = R**2 / self.spec.diffusivity  # s

    def _mean(self) -> float:
        total = sum(layer.mean() * layer.volume for layer in self.layers)
        return total / sum(layer.volume for layer in self.layers)

    def _step_all(self, dt: float) -> None:
        for layer in self.layers:
            layer.step(dt)

    def _accept_all(self) -> None:
        for layer in self.layers:
            layer.accept()

    def _stage(self, index: int, soc: float, t: float):
        self.sd._set_uniform(soc)  # shells: theta = SOC
        for layer in self.layers:
            layer.to_parent()
        return StageInfo(
            index=index,
            soc=soc,
            mode="diffusion",
            time_s=t,
            mean_potassiation=self.sd.mean_active_potassiation(),
            max_potassiation=self.sd.max_active_potassiation(),
        )

    def stages(self) -> Iterator:
        t, dt = 0.0, None
        rate = self.spec.c_rate / 3600.0
        growth = 1.0 + 4.0 / self.spec.steps_per_stage
        for index, soc in enumerate(self.spec.soc):
            if soc >= self.cap - 1e-12:  # reached only as t -> infinity: the relaxed limit
                for layer in self.layers:
                    layer.set_uniform(self.cap)
                yield self._stage(index, soc, None)
                continue
            if not self.fixed:  # constant current: the stage time is known
                n = self.spec.steps_per_stage
                t_target = soc / rate
                dt_cc = (t_target - t) / n if t_target > t else 0.0
                while not self.fixed and t < t_target - 1e-9 * t_target:
                    step = min(dt_cc, t_target - t)
                    self._step_all(step)
                    self._accept_all()
                    t += step
                    if max(layer.surface_max() for layer in self.layers) >= self.cap:
                        self._switch_to_fixed()
                        dt = step
                if not self.fixed:
                    yield self._stage(index, soc, t)
                    continue
            # fixed boundary value (constant voltage): march until the mean crosses soc
            dt = dt if dt is not None else 1e-5 * self.t_char
            mean = self._mean()
            if mean >= soc:  # already there (the switch overshot a little)
                yield self._stage(index, mean, t)
                continue
            while True:
                self._step_all(dt)
                new_mean = self._mean()
                if new_mean < soc:
                    self._accept_all()
                    t += dt
                    dt *= growth
                    continue
                lo, hi = 0.0, dt  # shorten the crossing step so that the mean lands on soc
                for _ in range(60):
                    mid = 0.5 * (lo + hi)
                    self._step_all(mid)
                    m = self._mean()
                    if abs(m - soc) < 1e-10:
                        break
                    lo, hi = (mid, hi) if m < soc else (lo, mid)
                self._accept_all()
                t += mid
                break
            yield self._stage(index, soc, t)

    def _switch_to_fixed(self) -> None:
        self.fixed = True
        for layer in self.layers:
            layer.use_fixed()
