"""Potassiation stages of a ``spherical-1d`` problem: theta(R) per stage, as
:class:`~swellfem.potassiation.stages.StageDriver` sets it on a mesh (``uniform``: theta = SOC
everywhere; ``shrinking-core``: the same front histories in the active layers; ``diffusion``:
Fick's law in each active layer, :class:`RadialLayerDiffusion` stepped by the mesh
formulations' own :class:`~swellfem.potassiation.diffusion.DiffusionDriver`; theta = SOC in the
shells). Lengths nm, D nm^2/s, time s."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from scipy.linalg import solve_banded

from ..case import Case, DiffusionStages
from ..physics.radial import RadialProblem
from .info import StageInfo
from .plan import stage_fronts


class RadialStageDriver:
    """Sets the target theta of ``problem`` for each stage of ``case`` in turn."""

    def __init__(self, problem: RadialProblem, case: Case):
        self.problem = problem
        self.case = case
        #: (name, inner radius, outer radius) of every active layer, what the diffusion driver steps
        self.active = [(ly.name, ly.inner_radius_nm, ly.outer_radius_nm) for ly in problem.layers
                       if ly.material.active]

    # what DiffusionDriver asks of a stage driver
    def _set_uniform(self, soc: float) -> None:
        self.problem.set_theta(lambda i, R: np.full(R.shape, float(soc)))

    def mean_active_potassiation(self) -> float | None:
        return self.problem.mean_active_potassiation()

    def max_active_potassiation(self) -> float | None:
        return self.problem.max_active_potassiation()

    def stages(self) -> Iterator[StageInfo]:
        st = self.case.stages
        if isinstance(st, DiffusionStages):
            from .diffusion import DiffusionDriver

            yield from DiffusionDriver(self, layer_type=RadialLayerDiffusion).stages()
            return
        names = self.problem.region_names
        for info, profiles in stage_fronts(self.case):
            def theta(i: int, R: np.ndarray, soc=info.soc, profiles=profiles) -> np.ndarray:
                profile = profiles.get(names[i])
                return profile.theta(R) if profile is not None else np.full(R.shape, float(soc))

            self.problem.set_theta(theta)
            info.mean_potassiation = self.problem.mean_active_potassiation()
            info.max_potassiation = self.problem.max_active_potassiation()
            yield info


class RadialLayerDiffusion:
    """Backward-Euler diffusion in one active layer of a ``spherical-1d`` problem, on the
    layer's own quadratic elements: (M / dt + K) theta = M theta_old / dt (+ the flux at the
    surface), M = int N N R^2 dR, K = D int N' N' R^2 dR (4-point Gauss, exact), per steradian
    (volume (b^3 - a^3) / 3, surface b^2). The interface of :class:`ActiveLayerDiffusion`
    (:class:`~swellfem.potassiation.diffusion.DiffusionDriver` steps either)."""

    def __init__(self, problem: RadialProblem, name: str, r_in: float, r_out: float, D: float, degree: int = 2):
        self.problem = problem
        self.index = problem.region_names.index(name)
        conn, self.R = problem.layer_nodes(self.index)
        local = conn - conn[0, 0]
        n = len(self.R)
        x, w = np.polynomial.legendre.leggauss(4)
        N = np.stack([x * (x - 1) / 2, 1 - x**2, x * (x + 1) / 2], axis=-1)  # (4, 3)
        dN = np.stack([x - 0.5, -2 * x, x + 0.5], axis=-1)
        lo, hi = self.R[local[:, 0]], self.R[local[:, 2]]
        h = (hi - lo)[:, None]
        Rq = 0.5 * (lo + hi)[:, None] + 0.5 * h * x[None, :]  # (e, 4)
        wq = 0.5 * h * w[None, :] * Rq**2
        Me = np.einsum("eq,qa,qb->eab", wq, N, N)
        Ke = D * np.einsum("eq,qa,qb->eab", wq / (0.5 * h) ** 2, dN, dN)
        self.M = np.zeros((5, n))  # LAPACK band storage: ab[2 + i - j, j] = A[i, j]
        self.K = np.zeros((5, n))
        rows, cols = local[:, :, None], local[:, None, :]
        np.add.at(self.M, (2 + rows - cols, cols * np.ones_like(rows)), Me)
        np.add.at(self.K, (2 + rows - cols, cols * np.ones_like(rows)), Ke)
        self.mass = np.zeros(n)  # int N R^2 dR per node: the mean's weights
        np.add.at(self.mass, local, np.einsum("eq,qa->ea", wq, N))
        self.volume = float(self.mass.sum())
        self.area = float(r_out) ** 2
        self.theta = np.zeros(n)
        self.theta_old = np.zeros(n)
        self.flux = None  # inward flux (theta nm / s); None: theta held at surface_value
        self.surface_value = 0.0

    def configure(self) -> None:
        self.use_fixed()

    def set_boundary(self, flux: float | None, surface_value: float) -> None:
        self.surface_value = float(surface_value)
        self.flux = None if flux is None else float(flux)

    def use_fixed(self) -> None:
        self.flux = None

    def surface_max(self) -> float:
        return float(self.theta[-1])

    def surface_min(self) -> float:
        return float(self.theta[-1])

    def set_uniform(self, value: float) -> None:
        self.theta[:] = value
        self.theta_old[:] = value

    def mean(self) -> float:
        return float(self.mass @ self.theta) / self.volume

    def _band_apply(self, band: np.ndarray, v: np.ndarray) -> np.ndarray:
        n = len(v)
        out = np.zeros(n)
        for k in range(5):  # band[k, j] = A[j + k - 2, j]
            i0, i1 = max(0, 2 - k), min(n, n + 2 - k)
            out[i0 + k - 2:i1 + k - 2] += band[k, i0:i1] * v[i0:i1]
        return out

    def step(self, dt: float) -> None:
        """Advance theta_old -> theta by one backward-Euler step of length dt (s)."""
        A = self.M / dt + self.K
        rhs = self._band_apply(self.M, self.theta_old) / dt
        if self.flux is not None:
            rhs[-1] += self.flux * self.area
        else:  # theta = surface_value at R = r_out
            last = len(rhs) - 1
            for k in range(5):  # the column of the last node moves to the right-hand side
                i = last + k - 2
                if 0 <= i < last:
                    rhs[i] -= A[k, last] * self.surface_value
            A = A.copy()
            A[:, last] = 0.0
            for k in range(5):  # and the last row becomes the identity
                j = last - (k - 2)
                if 0 <= j <= last:
                    A[k, j] = 0.0
            A[2, last] = 1.0
            rhs[-1] = self.surface_value
        self.theta = solve_banded((2, 2), A, rhs)

    def accept(self) -> None:
        self.theta_old[:] = self.theta

    def to_parent(self) -> None:
        """Copy theta into the radial problem's target theta on this layer."""
        self.problem.set_layer_theta_nodal(self.index, self.theta)
