"""The ``spherical-1d`` formulation: the radial problem of concentric spheres on 1D elements.

Concentric spheres potassiated uniformly or by radial fronts stay spherically symmetric: the
displacement is u(R) e_R and the stress has a radial and a hoop component. The 2D-axisymmetric
and 3D formulations solve that problem on a mesh of a meridian or a ball; this one solves it
in the radius alone, with :class:`swellfem.sphere1d.Sphere1D` (quadratic elements in R, the
same laws: isotropic Hencky or Hooke with J2 plasticity, the porous and the transversely
isotropic carbons; finite or small strain; Newton with the consistent tangent and a banded
direct solve). A stage of the ZnSe headline takes milliseconds instead of seconds.

The load control is the mesh formulations' (:meth:`RadialProblem.solve`). The module needs no
dolfinx itself (it imports the physics package, which does). Units: lengths nm, stresses MPa.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

import numpy as np

from ..sphere1d import Layer1D, Sphere1D, Sphere1DError, Sphere1DResult
from .laws.base import RegionMaterial
from .newton import NewtonOptions
from .solver import SolverError

#: case-file law parameter -> :class:`Layer1D` field
LAYER1D_PARAMETERS = {
    "porosity": "porosity", "compaction_strength": "compaction_strength_MPa",
    "densification_strength": "densification_strength_MPa", "E_normal": "E_normal_MPa",
    "G_normal": "G_normal_MPa", "nu_normal": "nu_normal", "expansion_normal": "expansion_normal",
    "expansion_tangential": "expansion_tangential", "slack_strain": "slack_strain",
    "slack_stiffness_ratio": "slack_stiffness_ratio",
}

def layer1d(material: RegionMaterial, outer_radius_nm: float) -> Layer1D:
    """The 1D layer of a region's material (any law), reference outer radius in nm."""
    m = material
    extra = {LAYER1D_PARAMETERS[k]: v for k, v in m.parameters.items()}
    return Layer1D(
        outer_radius_nm=outer_radius_nm, E_MPa=m.E_MPa, nu=m.nu, volumetric_expansion=m.volumetric_expansion,
        law=m.law, yield_strength_MPa=m.yield_strength_MPa,
        hardening_modulus_MPa=m.hardening_modulus_MPa if m.yield_strength_MPa is not None else 0.0,
        E_potassiated_MPa=m.E_potassiated_MPa, yield_strength_potassiated_MPa=m.yield_strength_potassiated_MPa,
        **extra)


@dataclasses.dataclass(frozen=True)
class RadialLayer:
    """One solid layer: its region name, reference radii (nm) and material."""

    name: str
    inner_radius_nm: float
    outer_radius_nm: float
    material: RegionMaterial


@dataclasses.dataclass
class RadialSolveInfo:
    """What solving one stage took (the fields of :class:`swellfem.physics.SolveInfo`)."""

    newton_iterations: int
    load_increments: int
    cutbacks: int
    iterations: int = 0  # linear-solver iterations: a direct (banded) solve
    solver: str = "banded direct"


class RadialProblem:
    """Concentric solid layers (around an optional cavity), free outer surface, solved in R.

    ``elements_per_layer``: quadratic elements per layer (equal ones). ``theta`` is set per
    stage with :meth:`set_theta` and reached by :meth:`solve`."""

    formulation = "spherical-1d"
    degree = 2  # quadratic elements in R
    quadrature_degree = 5  # 3-point Gauss per element (exact for degree 5 in R)

    def __init__(self, layers: Sequence[RadialLayer], elements_per_layer: Sequence[int],
                 kinematics: str = "small", convention: str = "cube-root", options: NewtonOptions | None = None):
        layers = tuple(layers)
        for inner, outer in zip(layers[:-1], layers[1:]):
            if not math.isclose(inner.outer_radius_nm, outer.inner_radius_nm, rel_tol=1e-12, abs_tol=1e-12):
                raise ValueError(f"layers '{inner.name}' and '{outer.name}' do not touch")
        self.layers = layers
        self.region_names = [layer.name for layer in layers]
        self.regions = {layer.name: layer.material for layer in layers}
        self.kinematics = kinematics
        self.options = options if options is not None else NewtonOptions()
        #: a law whose backward-Euler update depends on the increment (the porous carbon)
        self.path_sensitive = any(ly.material.law == "porous" for ly in layers)
        self.sphere = Sphere1D([layer1d(ly.material, ly.outer_radius_nm) for ly in layers],
                               cavity_radius_nm=layers[0].inner_radius_nm, kinematics=kinematics,
                               convention=convention, elements_per_layer=list(elements_per_layer), max_cuts=16)
        s = self.sphere
        self.num_cells = len(s.element_layer)
        self.point_layer = np.repeat(s.element_layer, s.R.shape[1])  # the layer of every material point
        self.point_R_nm = s.R.ravel()
        #: the element end points among the material points (each element: end, 3 Gauss points, end)
        self.point_is_end = np.zeros(s.R.shape, dtype=bool)
        self.point_is_end[:, [0, -1]] = True
        self.point_is_end = self.point_is_end.ravel()
        #: dV0 of every material point, whole sphere (nm^3; zero at the element end points)
        self.point_weight_nm3 = 4.0 * math.pi * s.W.ravel()
        self.active = np.array([layers[i].material.active for i in self.point_layer])
        self.nonlinear = True  # Newton on every path (a linear elastic stage takes one iteration)
        self.contacts = ()  # no voids: nothing comes into contact
        self.held_motions = None  # no free bodies: the centre holds the sphere
        self._target = np.zeros_like(self.point_R_nm)

    # --- size ---------------------------------------------------------------------------

    def num_dofs(self) -> int:
        return int(self.sphere.n_dofs)

    # --- potassiation ------------------------------------------------------------------

    def set_theta(self, theta_of_layer: Callable[[int, np.ndarray], np.ndarray]) -> None:
        """The next stage's theta: ``theta_of_layer(i, R)`` gives layer i's theta at reference
        radii R (nm)."""
        target = np.empty_like(self.point_R_nm)
        for i in range(len(self.layers)):
            at = self.point_layer == i
            target[at] = theta_of_layer(i, self.point_R_nm[at])
        if not np.all(np.isfinite(target)):
            raise ValueError("theta must be finite")
        self._target = target

    def layer_profile(self, i: int, values: np.ndarray, ends_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Layer i's material-point ``values`` as a radial profile: the reference radii in
        increasing order (nm) and the values there, those of the end points two elements share
        averaged (``ends_only``: the element end points alone)."""
        m = self.point_layer == i
        if ends_only:
            m = m & self.point_is_end
        unique, inverse = np.unique(self.point_R_nm[m], return_inverse=True)
        with np.errstate(invalid="ignore"):  # NaN values (a law's output elsewhere) stay NaN
            mean = np.bincount(inverse, weights=values[m], minlength=len(unique)) / np.bincount(inverse)
        return unique, mean

    def layer_nodes(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Layer i's quadratic elements: their node indices (e, 3) among all the nodes of the
        radius, and the reference radii of the layer's nodes, in order (nm)."""
        s = self.sphere
        conn = s.conn[s.element_layer == i]
        first, last = int(conn[0, 0]), int(conn[-1, -1])
        return conn, s.nodes_nm[first:last + 1].copy()

    def set_layer_theta_nodal(self, i: int, values: np.ndarray) -> None:
        """The target theta of layer i from its nodal values (the quadratic interpolant of
        :meth:`layer_nodes`' nodes, at every material point of the layer)."""
        s = self.sphere
        conn, _ = self.layer_nodes(i)
        nodal = np.zeros(s.n_dofs)
        nodal[conn[0, 0]:conn[-1, -1] + 1] = values
        target = self._target.reshape(s.R.shape)
        mine = s.element_layer == i
        target[mine] = s.at_points(nodal)[mine]
        self._target = target.ravel()

    def mean_active_potassiation(self) -> float | None:
        """Volume mean of the target theta over the active layers (None: none is active)."""
        w = self.point_weight_nm3 * self.active
        total = w.sum()
        return float((w * self._target).sum() / total) if total > 0 else None

    def max_active_potassiation(self) -> float | None:
        return float(self._target[self.active].max()) if self.active.any() else None

    # --- solve ---------------------------------------------------------------------------

    def solve(self) -> RadialSolveInfo:
        """Reach the target theta from the last solved state in load increments, as the mesh
        formulations' Newton does (:mod:`swellfem.physics.newton`): ``load_increments`` per
        stage at most; an increment that needs few Newton iterations lets the next grow by
        1.5, one that needs many halves it; Sphere1D halves a failing one itself. With a
        path-sensitive law (the porous carbon), an increment that adds more than 1.5 x
        ``max_plastic_increment`` of plastic strain at a point is retaken at most a quarter as
        long, and the next is sized to add about the limit. Raises :class:`SolverError` where
        an increment cannot be solved."""
        s, opts = self.sphere, self.options
        th0, th1 = s.theta.copy(), self._target.reshape(s.theta.shape)
        nominal = 1.0 / opts.initial_increments
        limit = opts.max_plastic_increment if self.path_sensitive else None
        done, step = 0.0, nominal
        iterations0, cutbacks0, retaken = len(s.newton_iterations), s.cutbacks, 0
        while done < 1.0 - 1e-12:
            end = 1.0 if done + step >= 1.0 - 1e-12 else done + step
            before = s.save_state() if limit is not None else None
            epbar0 = s.epbar.copy()
            try:
                s.step(lambda R, v=th0 + end * (th1 - th0): v, increments=1)
            except Sphere1DError as exc:
                raise SolverError(f"spherical-1d: {exc}") from None
            flow = float(np.max(s.epbar - epbar0))
            if limit is not None and flow > 1.5 * limit and step > 4.0 * opts.min_step:
                s.restore_state(before)  # too much plastic flow in one increment: retake it shorter
                step *= max(0.25, limit / flow)
                retaken += 1
                continue
            width, done = end - done, end
            newton = s.newton_iterations[-1]
            if newton <= opts.easy_iterations:
                step *= opts.grow
            elif newton >= opts.hard_iterations:
                step /= 2.0
            step = min(step, nominal)
            if limit is not None and flow > 0.0:
                step = min(step, width * limit / flow)
            step = max(step, opts.min_step)
        iters = s.newton_iterations[iterations0:]
        return RadialSolveInfo(newton_iterations=int(sum(iters)), load_increments=len(iters),
                               cutbacks=s.cutbacks - cutbacks0 + retaken)

    # --- the solved state ------------------------------------------------------------

    def result(self) -> Sphere1DResult:
        return self.sphere.result()

    def layer_radii(self, i: int) -> tuple[float, float, float, float]:
        """Layer i's reference inner and outer radii and its deformed ones (nm)."""
        s = self.sphere
        conn, R = self.layer_nodes(i)
        first, last = int(conn[0, 0]), int(conn[-1, -1])
        return float(R[0]), float(R[-1]), float(R[0] + s.u[first]), float(R[-1] + s.u[last])

    def mechanical_strains(self) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`Sphere1D.mechanical_strains` at every material point."""
        er, et = self.sphere.mechanical_strains()
        return er.ravel(), et.ravel()

    def energy_density(self) -> np.ndarray:
        """:meth:`Sphere1D.energy_density` at every material point (MPa per reference volume)."""
        return self.sphere.energy_density().ravel()

    def pore_volume_lost_nm3(self, i: int) -> float:
        return self.sphere.pore_volume_lost_nm3(i)

    def destroy(self) -> None:
        """Nothing to free (the mesh formulations' problems hold PETSc objects)."""
