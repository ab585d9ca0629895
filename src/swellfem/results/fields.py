"""Stress and displacement fields per stage, written as VTK (``fields.pvd``) for ParaView
and pyvista. Stresses in MPa (discontinuous, per cell, so interfaces stay sharp), the
displacement in nm, ``region`` the physical tag of each cell, ``potassiation`` theta,
``equivalent_plastic_strain`` and ``J`` = det F (the local volume ratio, swelling included), and
the point outputs of the laws that have them (``porosity`` of a porous carbon, ``sheet_strain``
of a transversely isotropic wrap; NaN elsewhere). With voids: ``contact_gap_nm`` and
``contact_pressure_MPa`` on the cells along the surface inside each void (the yolk's, each
particle's; the weighted gap and the pressure at its vertices: the smallest gap and the sum of
the pressures where a particle touches both its cage and a neighbour), NaN elsewhere."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._backend import dolfinx
from ..physics import ElasticityProblem

from dolfinx import fem  # noqa: E402

SCALAR_FIELDS = ("von_mises", "hydrostatic", "principal_max", "principal_min", "sigma_zz")


class FieldWriter:
    """Writes one time step per stage (time = stage index) to ``directory/fields.pvd``."""

    def __init__(self, problem: ElasticityProblem, directory: Path):
        self.problem = problem
        mesh = problem.mesh
        self.Q = fem.functionspace(mesh, ("DG", 1))
        gdim = mesh.geometry.dim
        self.Vout = fem.functionspace(mesh, ("DG", 1, (gdim,)))
        self.displacement = fem.Function(self.Vout, name="displacement_nm")
        self.theta = fem.Function(self.Q, name="potassiation")
        self.scalars = {name: fem.Function(self.Q, name=f"{name}_MPa") for name in SCALAR_FIELDS}
        self.plastic = fem.Function(self.Q, name="equivalent_plastic_strain")
        self.J = fem.Function(self.Q, name="J")
        self.J_expr = fem.Expression(problem.deformation_gradient_det(), self.Q.element.interpolation_points)
        # The stress, plastic strain and own point outputs of each law, on its own cells.
        points = self.Q.element.interpolation_points
        tags = problem.loaded.cell_tags
        cells = [np.sort(np.concatenate([tags.find(t) for t in law.tags])).astype(np.int32) for law in problem.laws]
        self.plastic_sources = [(law.plastic_strain(), c) for law, c in zip(problem.laws, cells)
                                if hasattr(law, "plastic_strain")]
        self.sigma_exprs = [(fem.Expression(law.stress(problem.u), points), c) for law, c in zip(problem.laws, cells)]
        # the laws' own point outputs (recovered on DG(k-1)): one field per output name
        self.law_outputs: dict[str, tuple] = {}
        for law, c in zip(problem.laws, cells):
            for name, source in getattr(law, "outputs_h", {}).items():
                if name not in self.law_outputs:
                    self.law_outputs[name] = (fem.Function(self.Q, name=name), [])
                self.law_outputs[name][1].append((source, c))
        self.region = problem.region
        self.region.name = "region"
        # theta is shown only where a material takes up potassium (NaN in the shells)
        inactive = np.flatnonzero(problem.active.x.array < 0.5).astype(np.int32)
        self.inactive_theta_dofs = self.Q.dofmap.list[inactive].ravel()
        self.contact = {name: fem.Function(self.Q, name=name) for name in ("contact_gap_nm", "contact_pressure_MPa")}
        directory.mkdir(parents=True, exist_ok=True)
        self.file = dolfinx.io.VTKFile(mesh.comm, str(directory / "fields.pvd"), "w")

    def write(self, stage_index: int) -> None:
        p = self.problem
        self.displacement.interpolate(p.u)
        self.theta.interpolate(p.theta)
        self.theta.x.array[self.inactive_theta_dofs] = np.nan
        parts = [np.asarray(e.eval(p.mesh, c)).reshape(len(c), -1, 3, 3) for e, c in self.sigma_exprs]
        S = np.concatenate(parts)
        dofs = self.Q.dofmap.list[np.concatenate([c for _, c in self.sigma_exprs])]
        eig = np.linalg.eigvalsh(S)
        dev = S - np.trace(S, axis1=2, axis2=3)[..., None, None] * np.eye(3) / 3
        values = {
            "von_mises": np.sqrt(1.5 * np.einsum("cpij,cpij->cp", dev, dev)),
            "hydrostatic": np.trace(S, axis1=2, axis2=3) / 3,
            "principal_max": eig[..., 2],
            "principal_min": eig[..., 0],
            "sigma_zz": S[..., 2, 2],
        }
        for name, v in values.items():
            self.scalars[name].x.array[dofs] = v
        self.J.interpolate(self.J_expr)
        self.plastic.x.array[:] = 0.0
        for source, cells in self.plastic_sources:
            self.plastic.interpolate(source, cells0=cells)
        # the recovered (L2-projected) field undershoots next to an elastic-plastic front; the
        # equivalent plastic strain is never negative (summary.json takes it at the points)
        np.maximum(self.plastic.x.array, 0.0, out=self.plastic.x.array)
        for target, sources in self.law_outputs.values():
            target.x.array[:] = np.nan
            for source, cells in sources:
                target.interpolate(source, cells0=cells)
        fields = [self.displacement, self.theta, *self.scalars.values(), self.plastic, self.J]
        if p.contacts:
            for f in self.contact.values():
                f.x.array[:] = np.nan
            gap, pressure = self.contact["contact_gap_nm"].x.array, self.contact["contact_pressure_MPa"].x.array
            for pair in p.contacts:  # a surface in several pairs (a particle by its cage and a neighbour):
                values = pair.vertex_values()  # the smallest gap, the pressures added
                dofs = self.Q.dofmap.list[pair.slave.cells[:, None], pair.facet_cell_vertices]
                gap[dofs] = np.fmin(gap[dofs], values["gap_nm"][pair.facet_vertex_index])
                pressure[dofs] = np.where(np.isnan(pressure[dofs]), 0.0, pressure[dofs]) + values["pressure_MPa"][
                    pair.facet_vertex_index]
            fields += list(self.contact.values())
        self.file.write_function(
            [*fields,
             *(t for t, _ in self.law_outputs.values()), self.region],
            float(stage_index)
        )

    def close(self) -> None:
        self.file.close()

