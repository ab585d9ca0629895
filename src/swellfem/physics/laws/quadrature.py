"""Laws evaluated at quadrature points: nonlinear (finite strain, plasticity) and path dependent.

A :class:`QuadratureLaw` turns the displacement gradient at the quadrature points of its cells
into the first Piola stress P and its tangent dP/dF there (numpy, vectorised over points), and
keeps its state (plastic strain, ...) at those points. The problem's residual is
``sum P : grad v`` and its Jacobian ``sum (dP/dF : grad du) : grad v`` over these points, so
the Newton solver needs nothing else from the law. After each converged increment the law
commits its state; after each stage it recovers point values for the results (Cauchy stress,
equivalent plastic strain) by an L2 projection per cell onto DG(k - 1).

Units: stresses MPa, lengths nm. Flat components follow
:attr:`swellfem.physics.kinematics.SmallStrain.components`.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Callable

import basix
import basix.ufl
import numpy as np
import ufl

from .base import LawContext, MaterialLaw, RegionMaterial
from .projection import LocalProjector

from dolfinx import fem  # noqa: E402


class InvertedElementError(ArithmeticError):
    """det F <= 0 (or a non-positive stretch) at a quadrature point."""

    def __init__(self, count: int, J_min: float):
        super().__init__(f"{count} quadrature points with det F <= 0 (min {J_min:.3g}): inverted elements")
        self.count = count
        self.J_min = J_min


@dataclasses.dataclass
class PointResponse:
    """What a law gives at its points (n points, m flat components). The tangent is computed
    only when asked for (:attr:`tangent`): Newton needs it for a correction, not for the
    residual check that ends an increment or for a shortened step."""

    P: np.ndarray  # (n, 3, 3) first Piola stress, MPa
    tangent_fn: Callable[[], np.ndarray]  # -> (n, m, m) dP/dF in flat components, MPa
    state: dict[str, np.ndarray]  # the trial state (committed if the increment converges)
    cauchy: np.ndarray  # (n, 3, 3) Cauchy stress, MPa
    energy: np.ndarray  # (n,) stored elastic energy per reference volume, MPa
    equivalent_plastic_strain: np.ndarray  # (n,)
    J: np.ndarray  # (n,) det F
    #: the law's own point outputs (:attr:`QuadratureLaw.point_outputs`), each (n,)
    outputs: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    _tangent: np.ndarray | None = None

    @property
    def tangent(self) -> np.ndarray:
        if self._tangent is None:
            self._tangent = self.tangent_fn()
        return self._tangent


#: central-difference step of the difference tangents (in F, dimensionless)
DIFFERENCE_STEP = 1e-6


#: step of the one-sided differences (relative error ~1e-7: Newton stays quadratic down to a
#: residual of ~1e-7 of its first, then gains 7 digits per iteration)
FORWARD_STEP = 1e-8


def difference_tangent(P_of_F: Callable[[np.ndarray], np.ndarray], F: np.ndarray, components,
                       base: np.ndarray | None = None) -> np.ndarray:
    """dP/dF (n, m, m) in flat ``components`` by differences of a point map ``P_of_F``
    (n, 3, 3) -> (n, 3, 3): the tangent of laws whose map has no closed-form derivative.
    Central differences (step :data:`DIFFERENCE_STEP`, relative error ~1e-9 when the map is
    evaluated to round-off), or, given ``base`` = P(F), forward differences at half the cost
    (step :data:`FORWARD_STEP`, relative error ~1e-7)."""
    m = len(components)
    out = np.empty((F.shape[0], m, m))
    h = DIFFERENCE_STEP if base is None else FORWARD_STEP
    for b, (k, l) in enumerate(components):
        Fp = F.copy()
        Fp[:, k, l] += h
        if base is None:
            Fm = F.copy()
            Fm[:, k, l] -= h
            dP = (P_of_F(Fp) - P_of_F(Fm)) / (2.0 * h)
        else:
            dP = (P_of_F(Fp) - base) / h
        for a, (i, j) in enumerate(components):
            out[:, a, b] = dP[:, i, j]
    return out


class QuadratureLaw(MaterialLaw):
    """Base of the laws that work point by point at quadrature points (see module docstring)."""

    linear = False
    #: whether the backward-Euler update is sensitive to the size of the load increment on
    #: non-proportional paths (then the problem limits the plastic strain per increment)
    path_sensitive: bool = False
    #: names of the law's own scalar point outputs (recovered on DG(k-1) for the results)
    point_outputs: tuple[str, ...] = ()
    #: per-region results of the point outputs: output -> (result key, "min" | "max" over the
    #: points, or "integral" over the reference volume)
    output_measures: dict[str, tuple[str, str]] = {}

    def __init__(self, context: LawContext, regions: dict[str, RegionMaterial]):
        super().__init__(context, regions)
        ctx = context
        mesh = ctx.mesh
        kin = ctx.kinematics
        self.m = len(kin.components)
        cell = mesh.basix_cell()
        self.points, _ = basix.make_quadrature(cell, ctx.quadrature_degree)
        self.nq = self.points.shape[0]

        def space(shape):
            return fem.functionspace(mesh, basix.ufl.quadrature_element(
                cell, value_shape=shape, scheme="default", degree=ctx.quadrature_degree))

        self.P_q = fem.Function(space((self.m,)), name="first_piola")
        self.D_q = fem.Function(space((self.m, self.m)), name="tangent")
        scalar = space(())
        self.energy_q = fem.Function(scalar, name="energy_density")
        self.epbar_q = fem.Function(scalar, name="equivalent_plastic_strain")
        self.J_q = fem.Function(scalar, name="J")
        self.cauchy_q = fem.Function(space((3, 3)), name="cauchy_at_points")

        # This law's owned cells, and the region of each of its points.
        n_owned = mesh.topology.index_map(mesh.topology.dim).size_local
        cells, region_of = [], []
        for k, name in enumerate(regions):
            c = self.cells(name)
            c = c[c < n_owned]
            cells.append(c)
            region_of.append(np.full(len(c), k))
        self.law_cells = np.concatenate(cells).astype(np.int32) if cells else np.zeros(0, np.int32)
        self.point_region = np.repeat(np.concatenate(region_of), self.nq) if cells else np.zeros(0, int)
        self.n_points = len(self.law_cells) * self.nq
        self._dofs: dict[int, np.ndarray] = {}  # point dofs of the law's cells, per function

        self.grad_expr = fem.Expression(kin.gradient_components(ctx.displacement), self.points)
        self.theta_expr = fem.Expression(ctx.theta, self.points)
        self.theta_points = np.zeros(self.n_points)  # theta at the points of the last evaluation
        self.state = self.initial_state(self.n_points)
        self.trial_state = self.state
        self.last: PointResponse | None = None

        # Recovered point values for the results: Cauchy stress and plastic strain on DG(k-1).
        deg = max(ctx.degree - 1, 0)
        self.sigma_h = fem.Function(fem.functionspace(mesh, ("DG", deg, (3, 3))), name="cauchy_stress")
        self.epbar_h = fem.Function(fem.functionspace(mesh, ("DG", deg)), name="equivalent_plastic_strain")
        dx = ufl.Measure("dx", domain=mesh, subdomain_data=ctx.cell_tags,
                         metadata={"quadrature_degree": ctx.quadrature_degree, "quadrature_scheme": "default"})
        self.dx = dx
        self._sigma_projector = LocalProjector(self.sigma_h.function_space, ctx.weight, dx, "the stress")
        self._epbar_projector = LocalProjector(self.epbar_h.function_space, ctx.weight, dx, "the plastic strain")
        self._sigma_L = fem.form(ufl.inner(self.cauchy_q, ufl.TestFunction(self.sigma_h.function_space))
                                 * ctx.weight * dx(self.tags))
        self._epbar_L = fem.form(self.epbar_q * ufl.TestFunction(self.epbar_h.function_space)
                                 * ctx.weight * dx(self.tags))
        # the law's own outputs: at the points (q) and recovered (h), with their projection forms
        self.outputs_q = {name: fem.Function(scalar, name=name) for name in self.point_outputs}
        self.outputs_h = {name: fem.Function(self.epbar_h.function_space, name=name) for name in self.point_outputs}
        self._outputs_L = {name: fem.form(f * ufl.TestFunction(self.epbar_h.function_space) * ctx.weight
                                          * dx(self.tags)) for name, f in self.outputs_q.items()}

    # --- what a concrete law provides ----------------------------------------------------

    @abc.abstractmethod
    def initial_state(self, n: int) -> dict[str, np.ndarray]:
        """The state of ``n`` points before any load."""

    @abc.abstractmethod
    def response(self, F: np.ndarray, theta: np.ndarray, state: dict[str, np.ndarray]) -> PointResponse:
        """Stress, tangent and trial state at the law's points for deformation gradients
        ``F`` (n, 3, 3) and potassiation ``theta`` (n,), from the committed ``state``.
        Raises :class:`InvertedElementError` where det F <= 0."""

    def yield_bound(self, resp: PointResponse) -> np.ndarray | None:
        """The largest von Mises (Cauchy) stress each point's state can carry, MPa (None: the
        law has no such bound). Used to keep the recovered vertex stresses admissible."""
        return None

    def point_values(self, per_region) -> np.ndarray:
        """A per-region value (list in region order) at every point of this law."""
        return np.asarray(per_region, dtype=float)[self.point_region]

    # --- plumbing ----------------------------------------------------------------------

    def _at_points(self, expr, width: int) -> np.ndarray:
        if len(self.law_cells) == 0:
            return np.zeros((0, width))
        return np.asarray(expr.eval(self.context.mesh, self.law_cells)).reshape(-1, width)

    def _store(self, f, values: np.ndarray, width: int) -> None:
        dofs = self._dofs.get(id(f))
        if dofs is None:
            dofs = self._dofs[id(f)] = f.function_space.dofmap.list[self.law_cells].ravel()
        f.x.array.reshape(-1, width)[dofs] = values.reshape(-1, width)
        f.x.scatter_forward()

    def evaluate(self) -> PointResponse:
        """The response at the current displacement and theta; stores P for the residual form
        and keeps the trial state (:meth:`store_tangent` stores dP/dF for the Jacobian)."""
        grad = self._at_points(self.grad_expr, self.m)
        theta = self._at_points(self.theta_expr, 1)[:, 0]
        self.theta_points = theta
        F = self.context.kinematics.to_tensor(grad) + np.eye(3)
        try:
            resp, inverted = self.response(F, theta, self.state), (0, np.inf)
        except InvertedElementError as exc:
            resp, inverted = None, (exc.count, exc.J_min)
        # on every rank or none (Newton's backtracking is collective: a rank that went on alone
        # would wait in the next collective call for ever)
        counts = self.context.mesh.comm.allgather(inverted)
        if any(count for count, _ in counts):
            raise InvertedElementError(sum(count for count, _ in counts), min(j for _, j in counts))
        self._store(self.P_q, self.context.kinematics.to_flat(resp.P), self.m)
        self.trial_state = resp.state
        self.last = resp
        return resp

    def store_tangent(self) -> None:
        """dP/dF of the last :meth:`evaluate` into the Jacobian's quadrature function."""
        self._store(self.D_q, self.last.tangent, self.m * self.m)

    def commit(self) -> None:
        """Accept the trial state of the last :meth:`evaluate` (a converged increment)."""
        self.state = self.trial_state

    def residual(self, v):
        """This law's share of the virtual work, P : grad v (UFL)."""
        kin = self.context.kinematics
        return ufl.inner(self.P_q, kin.gradient_components(v)) * self.context.weight * self.dx(self.tags)

    def jacobian(self, du, v):
        kin = self.context.kinematics
        return (ufl.inner(ufl.dot(self.D_q, kin.gradient_components(du)), kin.gradient_components(v))
                * self.context.weight * self.dx(self.tags))

    def update(self) -> None:
        """Recover the Cauchy stress and plastic strain of the last evaluation for the results."""
        resp = self.last
        if resp is None:
            return
        self._store(self.cauchy_q, resp.cauchy, 9)
        self._store(self.epbar_q, resp.equivalent_plastic_strain, 1)
        self._store(self.energy_q, resp.energy, 1)
        self._store(self.J_q, resp.J, 1)
        self._sigma_projector.project(self._sigma_L, self.sigma_h)
        self._epbar_projector.project(self._epbar_L, self.epbar_h)
        bound = self.yield_bound(resp)
        if bound is not None and self.context.degree == 2:  # DG1: the dofs are the vertex values
            self._cap_vertex_deviators(resp, bound)
        for name in self.point_outputs:
            self._store(self.outputs_q[name], resp.outputs[name], 1)
            self._epbar_projector.project(self._outputs_L[name], self.outputs_h[name])

    def _cap_vertex_deviators(self, resp: PointResponse, bound: np.ndarray) -> None:
        """Keep the recovered stress at the vertices of each cell (the DG1 dofs of
        :attr:`sigma_h`) admissible: a vertex whose von Mises stress exceeds the most any point
        of its cell can carry (:meth:`yield_bound`) gets its deviator scaled down to that, its
        hydrostatic stress unchanged. The recovery extrapolates the points' stresses linearly
        to the vertices, and where an elastic-plastic front (a reaction front) crosses a cell the
        extrapolation leaves the yield surface: 1402-1552 MPa against a 1.1 GPa yield surface in
        the ZnSe headline (docs/spherical_1d.md). Smooth fields stay as they are."""
        cells = self.law_cells
        if len(cells) == 0:
            return
        cap = bound.reshape(len(cells), self.nq).max(axis=1)  # per cell
        if not np.isfinite(cap).any():
            return
        dofs = self.sigma_h.function_space.dofmap.list[cells]  # (c, vertices)
        S = self.sigma_h.x.array.reshape(-1, 3, 3)[dofs.ravel()].reshape(len(cells), -1, 3, 3)
        mean = np.trace(S, axis1=2, axis2=3) / 3.0
        dev = S - mean[..., None, None] * np.eye(3)
        vm = np.sqrt(1.5 * np.einsum("cvij,cvij->cv", dev, dev))
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(vm > cap[:, None], cap[:, None] / vm, 1.0)
        if np.all(scale == 1.0):
            return
        S = dev * scale[..., None, None] + mean[..., None, None] * np.eye(3)
        self.sigma_h.x.array.reshape(-1, 9)[dofs.ravel()] = S.reshape(-1, 9)
        self.sigma_h.x.scatter_forward()

    def stress(self, w, evaluation: bool = True):
        if not evaluation:
            raise TypeError(f"law {self.name!r} gives its stress at quadrature points (residual/jacobian)")
        return self.sigma_h

    def energy_density(self, w):
        return self.energy_q

    def plastic_strain(self):
        """Equivalent plastic strain (recovered, DG(k-1))."""
        return self.epbar_h

    def region_point_values(self, name: str, values: np.ndarray) -> np.ndarray:
        """The entries of a per-point array that belong to region ``name``."""
        k = list(self.regions).index(name)
        return values[self.point_region == k]

    def destroy(self) -> None:
        self._sigma_projector.destroy()
        self._epbar_projector.destroy()
