"""geometry: the second step — shapes built in gmsh, meshed, cached as ``.msh``.

Lives here: the shape interface (``shape``: regions, interfaces, symmetry, formulations,
refinement groups, probe lines), one module per shape family (``sphere``, ``polyhedron``, ``inclusions``, ``cage``), the generic
fragment-and-tag step (``tagging``), the registry
:data:`SHAPES`, physical-group tags (``tags``), the gmsh session (``session``) and meshing
with its cache and meshio export (``meshing``).

May import: :mod:`swellfem.case` (validated cases), gmsh and meshio; never dolfinx.
A new shape: a module here with a :class:`Shape` subclass, its entry in :data:`SHAPES`, and its
schema in :mod:`swellfem.case.shapes`.
"""

from __future__ import annotations

from .meshing import MeshRequest, cached_mesh, cached_mesh_checksum, export_mesh, mesh_cache_dir
from .session import gmsh_session
from .shape import ProbeLine, ProbeSegment, Shape
from .inclusions import MatrixShape, RodShape
from .cage import CageShape
from .mesh_file import MeshFileShape
from .polyhedron import PolyhedronShape
from .sphere import ConcentricSphereShape

#: Shape classes by ``geometry.type``.
SHAPES: dict[str, type[Shape]] = {
    ConcentricSphereShape.type: ConcentricSphereShape,
    PolyhedronShape.type: PolyhedronShape,
    RodShape.type: RodShape,
    MatrixShape.type: MatrixShape,
    CageShape.type: CageShape,
    MeshFileShape.type: MeshFileShape,
}


def shape_of(geometry) -> Shape:
    """The :class:`Shape` of a validated geometry schema (``case.geometry``)."""
    return SHAPES[geometry.type](geometry)


def mesh_request(case, front_radii_nm: tuple[float, ...] = (), front_size_nm: float = 0.0) -> MeshRequest:
    """The mesh request of a validated :class:`swellfem.case.Case`."""
    from ..case import mesh_interface_size
    from ..case.schema import mesh_edge_size

    mesh = case.mesh
    return MeshRequest(
        shape=shape_of(case.geometry),
        formulation=case.model.formulation,
        size_nm=mesh.size,
        interface_size_nm=mesh_interface_size(case),
        grading_distance_nm=mesh.grading_distance if mesh.grading_distance is not None else 2 * mesh.size,
        front_radii_nm=tuple(round(r, 9) for r in front_radii_nm),
        front_size_nm=front_size_nm,
        edge_size_nm=mesh_edge_size(case),
    )


__all__ = [
    "SHAPES", "CageShape", "ConcentricSphereShape", "MatrixShape", "MeshFileShape", "PolyhedronShape", "RodShape", "MeshRequest", "ProbeLine", "ProbeSegment", "Shape", "cached_mesh",
    "cached_mesh_checksum", "export_mesh", "gmsh_session", "mesh_cache_dir", "mesh_request", "shape_of",
]
