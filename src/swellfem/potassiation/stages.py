"""Potassiation stages: set the local state of potassiation theta(x) of each stage.

``uniform``: theta = SOC in every region. ``shrinking-core``: in active regions a reacted
outer layer around a pristine core (:mod:`.fronts`), mean theta = SOC.
``diffusion``: Fick's law in the active region (:mod:`.diffusion`). Shell regions
always take theta = SOC (they swell by their own, usually zero, beta).

Depotassiation (a SOC list that goes down, e.g. [0.5, 1.0, 0.5, 0.0]) works in every mode:
``uniform`` follows the SOC; ``shrinking-core`` grows a depotassiated (theta = 0) outer layer
inward around what is still potassiated, keeping a history of nested fronts per active layer
(:func:`.fronts.front_history`; ``front_radius_nm`` is the current, outermost front);
``diffusion`` draws K+ out through the surface (:mod:`.diffusion`). In every mode a stage's
mean potassiation of the active phase equals its SOC.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ..case import Case, DiffusionStages
from ..physics import ElasticityProblem
from .diffusion import DiffusionDriver
from .fronts import FrontProfile
from .info import StageInfo
from .plan import active_layers, stage_fronts


class StageDriver:
    """Sets ``problem.theta`` for each stage of ``case`` in turn."""

    def __init__(self, problem: ElasticityProblem, case: Case):
        self.problem = problem
        self.case = case
        self.active = active_layers(case)
        loaded = problem.loaded
        n_owned = problem.mesh.topology.index_map(problem.mesh.topology.dim).size_local
        n_all = n_owned + problem.mesh.topology.index_map(problem.mesh.topology.dim).num_ghosts
        self.all_cells = np.arange(n_all, dtype=np.int32)
        active_names = {name for name, _, _ in self.active}
        self.active_cells = {name: loaded.cell_tags.find(loaded.layer_tags[name]) for name in active_names}
        from dolfinx import fem

        self.active_volume_form = fem.form(problem.active * problem.weight * problem.dx)
        self.active_theta_form = fem.form(problem.active * problem.theta * problem.weight * problem.dx)

    def mean_active_potassiation(self) -> float | None:
        from dolfinx import fem
        from mpi4py import MPI

        comm = self.problem.mesh.comm
        vol = comm.allreduce(fem.assemble_scalar(self.active_volume_form), op=MPI.SUM)
        if vol <= 0:
            return None
        return comm.allreduce(fem.assemble_scalar(self.active_theta_form), op=MPI.SUM) / vol

    def max_active_potassiation(self) -> float | None:
        from mpi4py import MPI

        theta = self.problem.theta
        dofmap = theta.function_space.dofmap
        local = -np.inf
        for cells in self.active_cells.values():
            if len(cells):
                local = max(local, float(theta.x.array[dofmap.list[cells]].max()))
        value = self.problem.mesh.comm.allreduce(local, op=MPI.MAX)
        return None if not np.isfinite(value) else value

    def stages(self) -> Iterator[StageInfo]:
        st = self.case.stages
        if isinstance(st, DiffusionStages):
            yield from DiffusionDriver(self).stages()
            return
        for info, profiles in stage_fronts(self.case):
            self._set_uniform(info.soc)
            for name, profile in profiles.items():
                self._set_profile(name, profile)
            info.mean_potassiation = self.mean_active_potassiation()
            info.max_potassiation = self.max_active_potassiation()
            yield info

    def _set_uniform(self, soc: float) -> None:
        theta = self.problem.theta
        theta.x.array[:] = soc
        theta.x.scatter_forward()

    def _set_profile(self, name: str, profile: FrontProfile) -> None:
        gdim = self.problem.mesh.geometry.dim

        def theta(x):
            return profile.theta(np.sqrt(np.sum(x[:gdim] ** 2, axis=0)))

        self.problem.theta.interpolate(theta, cells0=self.active_cells[name])
        self.problem.theta.x.scatter_forward()
