"""Fickian potassiation and depotassiation of the active region (GUIDE 2, stages ``diffusion``).

d theta / dt = div(D grad theta) in each active layer, theta(0) = 0, backward Euler in time,
on a submesh of the active cells (same formulation as the mechanics: axisymmetric integrals
carry 2 pi r). K+ enters (charging, SOC going up) or leaves (discharging, SOC going down)
through the layer's outer boundary: carbon shells are assumed to pass it freely. Boundary
conditions:

* ``galvanostatic`` (constant current, then constant voltage, as a cell is cycled): a uniform
  flux |j| = (C / 3600 s) V / A (theta x nm / s), inward while charging and outward while
  discharging, so that the mean potassiation rises or falls exactly as C t / 3600 s; a stage
  is reached after |SOC_k - SOC_(k-1)| x 3600 s / C, in ``steps_per_stage`` equal steps.
  When the surface saturates (theta = 1 on the boundary) charging goes on at theta = 1 on the
  boundary; when it empties (theta = 0) discharging goes on at theta = 0 (the constant-voltage
  steps). A reversal of direction returns to the constant flux (of the new sign).
* ``fixed-surface``: theta = surface_soc on the boundary while charging, theta = 0 while
  discharging (a potentiostatic cycle).

Whenever the boundary is held at a fixed value, steps grow geometrically and the step that
crosses a requested SOC is shortened (bisection) so that the mean potassiation equals the SOC
at the stage. A stage at SOC equal to the boundary value (SOC = 1, or surface_soc, charging;
SOC = 0 discharging) is reached only as t -> infinity: swellfem takes that limit, theta
uniform, and records the time as null; the clock of later stages restarts at 0 from that
relaxed state. Otherwise time runs on across stages. A repeated SOC changes nothing (same
theta, same time).

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

    def configure(self) -> None:
        """Forms for the flux (galvanostatic) and the fixed-value boundary; the values are set
        by :meth:`set_boundary`."""
        u, q = ufl.TrialFunction(self.V), ufl.TestFunction(self.V)
        w = self.weight
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
        self.use_fixed()

    def set_boundary(self, flux: float | None, surface_value: float) -> None:
        """A uniform inward ``flux`` (theta x nm / s; negative: outward), or None for the fixed
        boundary value; ``surface_value`` is the value held once the boundary is fixed."""
        self.surface_value.value = surface_value
        if flux is None:
            self.use_fixed()
        else:
            self.flux.value = flux
            self.use_flux()

    def use_flux(self) -> None:
        self.L, self.bcs = self.L_flux, []
        self._assembled_dt = None

    def use_fixed(self) -> None:
        self.L, self.bcs = self.L_fixed, self.fixed_bcs
        self._assembled_dt = None

    def surface_max(self) -> float:
        local = float(self.theta.x.array[self.boundary_dofs].max()) if len(self.boundary_dofs) else -np.inf
        return self.submesh.comm.allreduce(local, op=MPI.MAX)

    def surface_min(self) -> float:
        local = float(self.theta.x.array[self.boundary_dofs].min()) if len(self.boundary_dofs) else np.inf
        return self.submesh.comm.allreduce(local, op=MPI.MIN)

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
    """Steps diffusion in every active layer and yields a stage at each requested SOC, up
    (potassiation) or down (depotassiation)."""

    def __init__(self, stage_driver, layer_type=None):
        """``stage_driver``: what sets the problem's theta (``problem``, ``case``, ``active``,
        ``_set_uniform``, the mean and max of the active potassiation); ``layer_type``: the
        diffusion of one active layer (default :class:`ActiveLayerDiffusion`, on a submesh)."""
        self.sd = stage_driver
        self.problem = stage_driver.problem
        self.spec = stage_driver.case.stages
        deg = self.problem.degree
        layer_type = layer_type if layer_type is not None else ActiveLayerDiffusion
        self.layers = [
            layer_type(self.problem, name, r_in, r_out, self.spec.diffusivity, deg)
            for name, r_in, r_out in stage_driver.active
        ]
        if not self.layers:
            raise ValueError("diffusion stages need at least one active layer")
        self.rate = self.spec.c_rate / 3600.0  # mean theta per second
        self.galvanostatic = self.spec.boundary == "galvanostatic"
        for layer in self.layers:
            layer.configure()
        self.direction = 0  # +1 charging, -1 discharging, 0 before the first change
        self.fixed = True  # boundary held at its value (fixed-surface, or constant voltage)
        self.level = 0.0  # mean potassiation at the last stage (theta(0) = 0)
        self.t = 0.0  # s
        self.dt = None  # the step of the fixed-boundary march, s
        R = max(r_out for _, _, r_out in stage_driver.active)
        self.t_char = R**2 / self.spec.diffusivity  # s

    def limit(self, direction: int) -> float:
        """The boundary value while charging (+1) or discharging (-1): the mean approaches it
        only as t -> infinity."""
        if direction < 0:
            return 0.0
        return 1.0 if self.galvanostatic else self.spec.surface_soc

    def _set_direction(self, direction: int) -> None:
        """Charging or discharging from now on: galvanostatic starts with the constant flux."""
        self.direction = direction
        self.dt = None
        self.fixed = not self.galvanostatic
        for layer in self.layers:
            flux = direction * self.rate * layer.volume / layer.area if self.galvanostatic else None
            layer.set_boundary(flux, self.limit(direction))

    def _mean(self) -> float:
        total = sum(layer.mean() * layer.volume for layer in self.layers)
        return total / sum(layer.volume for layer in self.layers)

    def _step_all(self, dt: float) -> None:
        for layer in self.layers:
            layer.step(dt)

    def _accept_all(self) -> None:
        for layer in self.layers:
            layer.accept()

    def _surface_reached(self) -> bool:
        """The surface has saturated (charging) or emptied (discharging)."""
        if self.direction > 0:
            return max(layer.surface_max() for layer in self.layers) >= self.limit(1)
        return min(layer.surface_min() for layer in self.layers) <= self.limit(-1)

    def _stage(self, index: int, soc: float, t: float | None):
        self.level = soc
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
        for index, soc in enumerate(self.spec.soc):
            if abs(soc - self.level) <= 1e-12:  # a repeated SOC (or SOC 0 at the start): nothing changes
                yield self._stage(index, soc, self.t)
                continue
            direction = 1 if soc > self.level else -1
            if direction != self.direction:
                self._set_direction(direction)
            value = self.limit(direction)
            if direction * (soc - value) >= -1e-12:  # reached only as t -> infinity: the relaxed limit
                for layer in self.layers:
                    layer.set_uniform(value)
                self.t, self.dt = 0.0, None  # later stages count from the relaxed state
                yield self._stage(index, soc, None)
                continue
            if not self.fixed:  # constant current: the stage time is known
                yield from self._constant_current(index, soc, direction)
                if not self.fixed:
                    continue
            yield self._fixed_boundary(index, soc, direction)

    def _constant_current(self, index: int, soc: float, direction: int) -> Iterator:
        """March at constant flux to ``soc``; stop early (self.fixed) when the surface saturates
        or empties."""
        n = self.spec.steps_per_stage
        remaining = (soc - self.level) / (direction * self.rate)
        step, t0 = remaining / n, self.t
        for i in range(n):
            self._step_all(step)
            self._accept_all()
            self.t = t0 + (i + 1) * step
            if self._surface_reached():
                self.fixed = True
                for layer in self.layers:
                    layer.use_fixed()
                self.dt = step
                return
        self.t = t0 + remaining
        yield self._stage(index, soc, self.t)

    def _fixed_boundary(self, index: int, soc: float, direction: int):
        """March with the boundary held (constant voltage or fixed surface) until the mean
        crosses ``soc``; the crossing step is shortened so that the mean lands on it."""
        growth = 1.0 + 4.0 / self.spec.steps_per_stage
        dt = self.dt if self.dt is not None else 1e-5 * self.t_char
        if direction * (soc - self._mean()) <= 1e-10:  # already there (switched on the last step)
            return self._stage(index, soc, self.t)
        while True:
            self._step_all(dt)
            if direction * (soc - self._mean()) > 0:
                self._accept_all()
                self.t += dt
                dt *= growth
                continue
            lo, hi = 0.0, dt
            for _ in range(60):
                mid = 0.5 * (lo + hi)
                self._step_all(mid)
                m = self._mean()
                if abs(m - soc) < 1e-10:
                    break
                lo, hi = (mid, hi) if direction * (soc - m) > 0 else (lo, mid)
            self._accept_all()
            self.t += mid
            break
        self.dt = dt
        return self._stage(index, soc, self.t)
