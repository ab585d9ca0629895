"""pyvista pictures of result fields (off-screen where there is no display).

Fields come from a run's ``fields/fields.pvd`` (one time step per stage). In the
2D-axisymmetric formulation the meridian section is mirrored about the axis to show the
whole cross-section; 3D results are cut by the plane y = 0 (the octant by a plane just
inside it). :func:`mirror_octant` unfolds a ``3d-octant`` result into the whole body and
:func:`clip_half` cuts a 3D grid by an axis plane through any point.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

#: field name -> (array in fields.pvd, label with unit)
FIELDS = {
    "von_mises": ("von_mises_MPa", "von Mises stress (MPa)"),
    "hydrostatic": ("hydrostatic_MPa", "hydrostatic stress (MPa)"),
    "principal_max": ("principal_max_MPa", "max principal stress (MPa)"),
    "sigma_zz": ("sigma_zz_MPa", "axial stress sigma_zz (MPa)"),
    "displacement": ("displacement_nm", "displacement magnitude (nm)"),
    "potassiation": ("potassiation", "potassiation theta (-)"),
    "plastic_strain": ("equivalent_plastic_strain", "equivalent plastic strain (-)"),
    "J": ("J", "volume ratio J = det F (-)"),
    "porosity": ("porosity", "porosity of the porous carbon (-)"),
    "sheet_strain": ("sheet_strain", "in-plane sheet strain of the wrap (-)"),
}


#: fields drawn with a sequential colour map; every other field diverges about zero
SEQUENTIAL = ("von_mises", "displacement", "potassiation", "plastic_strain", "J", "porosity")


def color_range(field: str, values: list[np.ndarray]) -> tuple[str, tuple[float, float]]:
    """Colour map and range of ``field`` over ``values``: sequential fields from their minimum to
    maximum (viridis); stresses that change sign diverge about zero (coolwarm, -m..m)."""
    finite = [v[np.isfinite(v)] for v in values]
    finite = [v for v in finite if v.size]
    lo = min((float(v.min()) for v in finite), default=0.0)
    hi = max((float(v.max()) for v in finite), default=1.0)
    if field == "potassiation":
        return "viridis", (0.0, 1.0)  # theta is a fraction: always on its whole range
    if field in SEQUENTIAL:
        if hi - lo < 1e-12 * max(abs(hi), 1.0):
            lo, hi = lo - 1.0, hi + 1.0
        return "viridis", (lo, hi)
    m = max(abs(lo), abs(hi)) or 1.0
    return "coolwarm", (-m, m)


def _pyvista():
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    import pyvista as pv

    return pv


def read_stage(field_file: Path, stage: int):
    """The unstructured grid of stage ``stage`` from a ``fields.pvd``."""
    pv = _pyvista()
    reader = pv.get_reader(str(field_file))
    times = reader.time_values
    if stage < 0:
        stage += len(times)
    if not 0 <= stage < len(times):
        raise ValueError(f"stage {stage} not in {field_file} (it has {len(times)} stages)")
    reader.set_active_time_value(times[stage])
    data = reader.read()
    grid = data[0] if hasattr(data, "n_blocks") else data
    grid = grid.copy()
    for key in ("vtkGhostType", "vtkOriginalPointIds", "vtkOriginalCellIds"):
        for arrays in (grid.point_data, grid.cell_data):
            if key in arrays:
                del arrays[key]
    return grid


def is_planar(grid) -> bool:
    b = grid.bounds
    return abs(b[5] - b[4]) < 1e-12 * max(abs(b[1] - b[0]), 1.0)


def section(grid, clip: str = "y"):
    """A planar section: the mirrored meridian (axisymmetric) or a cut of a 3D grid."""
    if is_planar(grid):
        mirrored = grid.reflect((1, 0, 0), point=(0, 0, 0))
        if "displacement_nm" in mirrored.point_data:
            d = np.array(mirrored.point_data["displacement_nm"])
            d[:, 0] *= -1
            mirrored.point_data["displacement_nm"] = d
        return grid.merge(mirrored, merge_points=False)
    normal = {"x": (1, 0, 0), "y": (0, 1, 0), "z": (0, 0, 1)}[clip]
    b = np.array(grid.bounds).reshape(3, 2)
    k = "xyz".index(clip)
    origin = [0.0, 0.0, 0.0]
    if b[k, 0] >= -1e-9 * (b[k, 1] - b[k, 0]):  # octant: cut just inside its symmetry plane
        origin[k] = 1e-3 * (b[k, 1] - b[k, 0])
    return grid.slice(normal=normal, origin=origin)


#: relative tolerance (of the grid's diagonal) of "on a symmetry plane" and "on the cut plane"
PLANE_TOL = 1e-6


def is_octant(grid) -> bool:
    """Whether a 3D grid is a ``3d-octant`` body: its bounds start at ~0 in x, y and z."""
    b = np.array(grid.bounds).reshape(3, 2)
    tol = PLANE_TOL * max(grid.length, 1e-300)
    return grid.n_cells > 0 and not is_planar(grid) and bool(np.all(np.abs(b[:, 0]) <= tol) and np.all(b[:, 1] > tol))


def _offsets(grid) -> np.ndarray:
    """Where each cell's points start in ``cell_connectivity`` (and the end): ``cell_offsets``
    (``offset`` in older pyvista)."""
    return np.asarray(grid.cell_offsets if hasattr(type(grid), "cell_offsets") else grid.offset)


def _cell_ranges(grid, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per cell, the least and the largest of the point ``values`` of its points."""
    conn = np.asarray(grid.cell_connectivity)
    starts = _offsets(grid)[:-1]
    return np.minimum.reduceat(values[conn], starts), np.maximum.reduceat(values[conn], starts)


def _reorient_tets(grid):
    """A reflected grid's tetrahedra turned right side out again (others are left as they are)."""
    pv = _pyvista()
    offsets = _offsets(grid)
    if grid.n_cells == 0 or not np.all(np.diff(offsets) == 4):
        return grid
    conn = np.asarray(grid.cell_connectivity).reshape(-1, 4)[:, [1, 0, 2, 3]]
    cells = np.column_stack([np.full(len(conn), 4), conn]).ravel()
    out = pv.UnstructuredGrid(cells, np.asarray(grid.celltypes), np.asarray(grid.points))
    for name in grid.point_data:
        out.point_data[name] = grid.point_data[name]
    for name in grid.cell_data:
        out.cell_data[name] = grid.cell_data[name]
    return out


def mirror_octant(grid):
    """The whole body of a ``3d-octant`` grid: the octant and its 7 mirror images across x = 0,
    y = 0 and z = 0, in one grid. Points within a tolerance of a symmetry plane are put on it,
    so that the copies meet exactly; the mirrored component of ``displacement_nm`` (the only
    vector array) changes sign with its copy, so warping the whole body stays right."""
    pv = _pyvista()
    base = grid.copy()
    points = np.array(base.points)
    points[np.abs(points) <= PLANE_TOL * grid.length] = 0.0
    base.points = points
    parts = [base]
    for k in range(3):
        normal = np.eye(3)[k]
        parts += [_reorient_tets(p.reflect(normal, point=(0.0, 0.0, 0.0), transform_all_input_vectors=True))
                  for p in parts]
    return pv.merge(parts, merge_points=False)


def clip_half(grid, axis: str, origin) -> object:
    """The part of a 3D grid on the side n.(x - origin) <= 0 of the plane normal to ``axis``
    through ``origin``: cells on that side (or on the plane) kept whole, cells across the plane
    cut by it, cells beyond it dropped (no slivers where the plane runs along cell faces)."""
    k = "xyz".index(axis)
    if grid.n_cells == 0:
        return grid
    d = np.asarray(grid.points)[:, k] - float(origin[k])
    tol = PLANE_TOL * grid.length
    lo, hi = _cell_ranges(grid, d)
    whole = grid.extract_cells(np.flatnonzero(hi <= tol))
    across = np.flatnonzero((lo < -tol) & (hi > tol))
    if not across.size:
        return whole
    cut = grid.extract_cells(across).clip(normal=axis, origin=tuple(float(o) for o in origin), invert=True)
    return whole.merge(cut, merge_points=False) if whole.n_cells else cut


def region_centroid(grid, tag: int, octant: bool = False) -> np.ndarray | None:
    """Volume-weighted centroid of the cells of region ``tag`` (None where it has none). In an
    octant grid a region that reaches a symmetry plane joins its mirror image there: its
    centroid lies on that plane; a region clear of a plane keeps its own (positive) side."""
    cells = np.flatnonzero(np.asarray(grid.cell_data["region"]) == tag)
    if not cells.size:
        return None
    part = grid.extract_cells(cells)
    volume = np.abs(np.asarray(part.compute_cell_sizes(length=False, area=False, volume=True).cell_data["Volume"]))
    centres = np.asarray(part.cell_centers().points)
    if not volume.sum() > 0:
        return None
    centroid = (volume[:, None] * centres).sum(axis=0) / volume.sum()
    if octant:
        on_plane = np.array(part.bounds).reshape(3, 2)[:, 0] <= PLANE_TOL * grid.length
        centroid[on_plane] = 0.0
    return centroid


def region_outlines(surface, region_array: str = "region"):
    """Boundary lines of each region of a planar section (interfaces and outer surface)."""
    lines = []
    if region_array not in surface.cell_data:
        return None
    welded = surface.clean(tolerance=1e-9 * surface.length)  # discontinuous fields: weld the cells
    for tag in np.unique(welded.cell_data[region_array]):
        part = welded.threshold([tag - 0.5, tag + 0.5], scalars=region_array)
        part = part.extract_surface(algorithm="dataset_surface").clean()
        edges = part.extract_feature_edges(boundary_edges=True, feature_edges=False, manifold_edges=False,
                                           non_manifold_edges=False)
        if edges.n_points:
            lines.append(edges)
    if not lines:
        return None
    out = lines[0]
    for e in lines[1:]:
        out = out.merge(e)
    return out


def scalars_of(grid, field: str):
    array, label = FIELDS[field]
    if field == "displacement":
        grid.point_data["displacement_magnitude_nm"] = np.linalg.norm(grid.point_data[array], axis=1)
        return "displacement_magnitude_nm", label
    return array, label


def render_panels(panels, field: str, path: Path, title: str = "", window_size=(1500, 560)) -> Path:
    """One off-screen PNG with a section per (label, grid), on one shared colour range."""
    pv = _pyvista()
    sections = []
    values = []
    for label, grid in panels:
        sec = section(grid)
        name, bar = scalars_of(sec, field)
        sections.append((label, sec, name))
        values.append(np.asarray(sec.point_data[name]))
    cmap, (lo, hi) = color_range(field, values)
    plotter = pv.Plotter(off_screen=True, shape=(1, len(sections)), window_size=window_size, border=False)
    for i, (label, sec, name) in enumerate(sections):
        plotter.subplot(0, i)
        plotter.add_mesh(sec, scalars=name, clim=(lo, hi), cmap=cmap, nan_color="lightgray",
                         show_scalar_bar=(i == len(sections) - 1),
                         scalar_bar_args={"title": bar, "vertical": False, "fmt": "%.0f",
                                          "position_x": 0.1, "position_y": 0.03, "width": 0.8,
                                          "title_font_size": 14, "label_font_size": 12})
        outlines = region_outlines(sec)
        if outlines is not None:
            plotter.add_mesh(outlines, color="black", line_width=2)
        plotter.add_text(label, font_size=10)
        plotter.view_xy() if is_planar(sec) else plotter.view_xz()
    if title:
        plotter.subplot(0, 0)
        plotter.add_text(title, position="lower_left", font_size=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    plotter.screenshot(str(path))
    plotter.close()
    return path
