"""What can be meshed: refuse an impossible or absurd request before gmsh sees it.

The element count of a case is estimated from the shape's measures (:meth:`mesh_measures`)
and the element sizes: the bulk at ``mesh.size``, a graded band at every interface and the
outer surface, and a band at every planned reaction front. No dolfinx, no gmsh.
"""

from __future__ import annotations

import math

from .errors import CaseError
from .schema import Case, ShrinkingCoreStages, mesh_front_size, mesh_interface_size
from .shapes import SPHERICAL_1D

#: Largest estimated number of cells swellfem meshes (a full-3D default mesh has ~6e5).
MAX_CELLS = 2.0e7
#: Largest ratio of the body's extent to its smallest element size (gmsh's precision).
MAX_SCALE_RATIO = 1.0e5
#: ``spherical-1d`` elements are this many times finer than the mesh's finest size: the end-point
#: stresses converge like h^2 (Lame case: 2.3e-3 at the mesh's sizes, 1.6e-4 four times finer) and
#: a 1D element costs next to nothing
RADIAL_REFINEMENT = 4
#: Largest number of 1D elements of a ``spherical-1d`` case (its Newton step is O(n) in Python).
MAX_RADIAL_ELEMENTS = 100_000
#: Cell measure of a size-h element: triangle sqrt(3)/4 h^2, tetrahedron h^3 / (6 sqrt 2).
_CELL = {2: math.sqrt(3) / 4, 3: 1 / (6 * math.sqrt(2))}


def estimated_cells(case: Case) -> dict[str, float]:
    """Estimated number of cells by what drives them: bulk, interfaces, fronts."""
    geo, mesh = case.geometry, case.mesh
    formulation = case.model.formulation
    dim = 2 if formulation == "axisymmetric" else 3
    domain, boundary = geo.mesh_measures(formulation)
    h, h_i = mesh.size, mesh_interface_size(case)
    band = min(mesh.grading_distance if mesh.grading_distance is not None else 2 * h, geo.extent_nm)
    h_band = math.sqrt(h * h_i)
    out = {
        "bulk": domain / (_CELL[dim] * h**dim),
        "interfaces": boundary * band / (_CELL[dim] * h_band**dim),
        "fronts": 0.0,
    }
    if isinstance(case.stages, ShrinkingCoreStages):
        n_fronts = sum(1 for s in case.stages.soc if 0.0 < s < 1.0)
        h_f = min(mesh_front_size(case)[0], h_i)
        _, outer = geo.mesh_measures(formulation)
        out["fronts"] = n_fronts * outer / len(geo.region_names) * band / (_CELL[dim] * math.sqrt(h * h_f) ** dim)
    return out


def radial_element_counts(case: Case) -> list[int]:
    """Quadratic 1D elements per solid layer of a ``spherical-1d`` case, core outwards: equal
    elements :data:`RADIAL_REFINEMENT` times finer than the mesh's finest size there, the
    interface size (``mesh.interface_size``, at least ``min_elements_across_layer`` across every
    layer), and in the active layers the front size (``mesh.front_size``, default ``front_width``
    / 4) of shrinking-core stages: a front sweeps the whole layer."""
    geo = case.geometry
    h = mesh_interface_size(case)
    mats = case.resolved_materials()
    front = mesh_front_size(case)
    h_front = front[0] if front is not None else h
    counts = []
    for layer, r_in, r_out in zip(geo.layers, geo.inner_radii_nm, geo.outer_radii_nm):
        if layer.void:
            continue
        size = (min(h, h_front) if mats[layer.material].role == "active" else h) / RADIAL_REFINEMENT
        counts.append(max(case.mesh.min_elements_across_layer, math.ceil((r_out - r_in) / size * (1 - 1e-12))))
    return counts


def _front_value(case: Case, key: str) -> str:
    """The case-file value of the key that sets the front size, as text."""
    return f"{case.mesh.front_size if key == 'mesh.front_size' else case.stages.front_width:g} nm"


def _check_spherical_1d(case: Case, source) -> None:
    if case.model.element_degree != 2:
        raise CaseError("the spherical-1d formulation has quadratic elements only (element_degree = 2)",
                        source=source, key="model.element_degree", value=case.model.element_degree)
    n = sum(radial_element_counts(case))
    if n > MAX_RADIAL_ELEMENTS:
        key, value = "mesh.interface_size", f"{mesh_interface_size(case):g} nm"
        front = mesh_front_size(case)
        if front is not None and front[0] < mesh_interface_size(case):
            key, value = front[1], _front_value(case, front[1])
        raise CaseError(f"the radius would be cut into {n} elements, more than {MAX_RADIAL_ELEMENTS}; coarsen "
                        "the mesh or check the geometry's lengths", source=source, key=key, value=value)


def check_feasible(case: Case, source=None) -> None:
    """Raise :class:`CaseError` (naming the key) for a case that cannot or should not be meshed."""
    geo, mesh = case.geometry, case.mesh
    formulation = case.model.formulation
    if formulation not in geo.formulations:
        why = ""
        if formulation == SPHERICAL_1D and getattr(geo, "type", "") == "concentric-sphere":
            why = " (spherical-1d: concentric spheres without void layers)"
        raise CaseError(f"the {geo.type} geometry works in: {', '.join(geo.formulations)}{why}", source=source,
                        key="model.formulation", value=formulation)
    if formulation == SPHERICAL_1D:
        _check_spherical_1d(case, source)
        return
    if case.stages.mode not in geo.stage_modes:
        raise CaseError(f"the {geo.type} geometry is potassiated in stage modes: {', '.join(geo.stage_modes)} "
                        "(fronts and diffusion are radial about a sphere's centre)", source=source,
                        key="stages.mode", value=case.stages.mode)
    R = geo.extent_nm
    if mesh.size > R:
        raise CaseError(f"larger than the body itself ({R:g} nm across from its centre); use at most that",
                        source=source, key="mesh.size", value=f"{mesh.size:g} nm")
    smallest = mesh_interface_size(case)
    key, value = "mesh.interface_size", f"{smallest:g} nm"
    front = mesh_front_size(case)
    if front is not None and front[0] < smallest:
        smallest, key, value = front[0], front[1], _front_value(case, front[1])
    if R / smallest > MAX_SCALE_RATIO:
        raise CaseError(
            f"elements of {smallest:.3g} nm in a body of {R:.3g} nm (ratio above {MAX_SCALE_RATIO:.0e}) cannot be "
            "meshed; check the lengths and their units", source=source, key=key, value=value)
    cells = estimated_cells(case)
    total = sum(cells.values())
    if total > MAX_CELLS:
        driver = max(cells, key=cells.get)
        key, value = {
            "bulk": ("mesh.size", f"{mesh.size:g} nm"),
            "interfaces": ("mesh.interface_size", f"{mesh_interface_size(case):g} nm"),
            "fronts": ("stages.front_width", f"{getattr(case.stages, 'front_width', 0):g} nm"),
        }[driver]
        raise CaseError(
            f"the mesh would have about {total:.2g} cells (most from the {driver}), more than {MAX_CELLS:.0e}; "
            f"coarsen it or check the geometry's lengths ({R:.3g} nm across)", source=source, key=key, value=value)
