"""Fields of a ``spherical-1d`` run, written as the axisymmetric formulation writes them: one
``.vtu`` per stage in ``fields.pvd``, on the meridian half-disc (x = R sin(phi) >= 0,
y = R cos(phi), the y axis the symmetry axis z), so ParaView, pyvista and ``swellfem view``
show them as they show an axisymmetric run.

The radial solution is revolved: each layer's element end points (the values of the two
elements that share one averaged; a P2 mesh formulation's DG1 fields also carry vertex values)
on ``ANGLES`` + 1 meridians, quadrilaterals between them
(triangles at the centre), each layer with its own points so that interfaces stay sharp.
Point data as :mod:`swellfem.results.fields` names them: ``displacement_nm`` (u(R) along the
radius), ``potassiation`` (NaN in the shells), ``von_mises_MPa``, ``hydrostatic_MPa``,
``principal_max_MPa``, ``principal_min_MPa``, ``sigma_zz_MPa`` (sigma_r cos^2 phi + sigma_t
sin^2 phi), ``equivalent_plastic_strain``, ``J``, ``porosity`` and ``sheet_strain`` (NaN
where the law has none); cell data ``region`` (1, 2, ... from the core outwards). Reference
positions in nm, stresses in MPa.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from ..physics.radial import RadialProblem

#: meridian divisions of the half-disc (3.75 degrees each)
ANGLES = 48


class RadialFieldWriter:
    """Writes one time step per stage (time = stage index) to ``directory/fields.pvd``."""

    def __init__(self, problem: RadialProblem, directory: Path):
        self.problem = problem
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.steps: list[tuple[int, str]] = []
        self.grid = None  # the half-disc, built at the first stage

    def _grid(self):
        """Points, quadrilaterals and triangles of the half-disc, the region tag of every cell,
        and per point its layer, its index in the layer's radial profile and its angle."""
        phi = np.linspace(0.0, np.pi, ANGLES + 1)
        points, quads, tris, quad_tags, tri_tags, layer, index, angle = [], [], [], [], [], [], [], []
        start = 0
        for i in range(len(self.problem.layers)):
            R, _ = self.problem.layer_profile(i, self.problem.point_R_nm, ends_only=True)
            k0 = 1 if R[0] == 0.0 else 0
            if k0:  # the centre: one point, triangles around it
                points.append(np.zeros((1, 3)))
                layer.append([i]), index.append([0]), angle.append([0.0])
                tris += [[start, start + 1 + j, start + 2 + j] for j in range(ANGLES)]
                tri_tags += [i + 1] * ANGLES
                start += 1
            rows = []
            for k in range(k0, len(R)):
                points.append(np.stack([R[k] * np.sin(phi), R[k] * np.cos(phi), np.zeros_like(phi)], axis=1))
                layer.append([i] * (ANGLES + 1)), index.append([k] * (ANGLES + 1)), angle.append(phi)
                rows.append(start + np.arange(ANGLES + 1))
                start += ANGLES + 1
            for a, b in zip(rows[:-1], rows[1:]):
                quads += [[a[j], b[j], b[j + 1], a[j + 1]] for j in range(ANGLES)]
                quad_tags += [i + 1] * ANGLES
        cells = [("quad", np.array(quads, dtype=np.int64).reshape(-1, 4))]
        tags = [np.array(quad_tags, dtype=np.int32)]
        if tris:
            cells.append(("triangle", np.array(tris, dtype=np.int64)))
            tags.append(np.array(tri_tags, dtype=np.int32))
        return (np.concatenate(points), cells, tags, np.concatenate(layer), np.concatenate(index),
                np.concatenate(angle))

    def write(self, stage_index: int) -> None:
        import meshio

        problem = self.problem
        if self.grid is None:
            self.grid = self._grid()
        points, cells, tags, layer, index, phi = self.grid
        res = problem.result()
        nan = np.full_like(res.sigma_r_MPa, np.nan)
        law = np.array([problem.layers[i].material.law for i in problem.point_layer])
        per_point = {
            "u": res.r_nm - res.R0_nm, "potassiation": np.where(problem.active, res.theta, np.nan),
            "sigma_r": res.sigma_r_MPa, "sigma_t": res.sigma_t_MPa,
            "equivalent_plastic_strain": res.equivalent_plastic_strain, "J": res.J,
            "porosity": res.porosity if res.porosity is not None else nan,
            "sheet_strain": np.where(law == "transverse", problem.mechanical_strains()[1], np.nan),
        }
        col = {name: np.empty(len(points)) for name in per_point}
        for i in range(len(problem.layers)):
            at = layer == i
            for name, v in per_point.items():
                col[name][at] = problem.layer_profile(i, v, ends_only=True)[1][index[at]]
        c2, s2 = np.cos(phi) ** 2, np.sin(phi) ** 2
        s_r, s_t = col["sigma_r"], col["sigma_t"]
        point_data = {
            "displacement_nm": np.stack([col["u"] * np.sin(phi), col["u"] * np.cos(phi), np.zeros_like(phi)], axis=1),
            "potassiation": col["potassiation"],
            "von_mises_MPa": np.abs(s_r - s_t), "hydrostatic_MPa": (s_r + 2 * s_t) / 3,
            "principal_max_MPa": np.maximum(s_r, s_t), "principal_min_MPa": np.minimum(s_r, s_t),
            "sigma_zz_MPa": s_r * c2 + s_t * s2,
            "equivalent_plastic_strain": np.maximum(col["equivalent_plastic_strain"], 0.0), "J": col["J"],
            "porosity": col["porosity"], "sheet_strain": col["sheet_strain"],
        }
        name = f"fields_{stage_index:06d}.vtu"
        meshio.write_points_cells(self.directory / name, points, cells, point_data=point_data,
                                  cell_data={"region": tags}, file_format="vtu")
        self.steps.append((stage_index, name))
        self._write_collection()

    def _write_collection(self) -> None:
        root = ET.Element("VTKFile", type="Collection", version="0.1")
        collection = ET.SubElement(root, "Collection")
        for index, name in self.steps:
            ET.SubElement(collection, "DataSet", timestep=str(index), group="", part="0", file=name)
        ET.ElementTree(root).write(self.directory / "fields.pvd", xml_declaration=True, encoding="utf-8")

    def close(self) -> None:
        """Nothing left open (each stage is written whole)."""
