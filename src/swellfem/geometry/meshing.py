"""Meshing any :class:`~.shape.Shape`: sizes, gmsh options, a ``.msh`` cache, meshio export.

The element size is ``interface_size`` at the shape's refinement groups (interfaces and the
outer surface), growing to ``size`` over ``grading_distance``; spherical reaction fronts about
the centre get ``front_size``. Cells are second order (curved). Lengths in nm. No dolfinx here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

from .session import gmsh_session
from .shape import Shape

#: Bump when the meshes written here change for the same parameters.
MESH_FORMAT_VERSION = 7


@dataclasses.dataclass(frozen=True)
class MeshRequest:
    """What a mesh depends on: the shape, the formulation and the sizes (nm)."""

    shape: Shape
    formulation: str  # "axisymmetric" | "3d-octant" | "3d"
    size_nm: float
    interface_size_nm: float
    grading_distance_nm: float
    front_radii_nm: tuple[float, ...] = ()  # extra refinement at spherical reaction fronts
    front_size_nm: float = 0.0
    edge_size_nm: float = 0.0  # at the shape's edge_entities (0: no such refinement)
    geometry_order: int = 2

    @property
    def gdim(self) -> int:
        return 2 if self.formulation == "axisymmetric" else 3

    def key(self) -> str:
        """A hash of everything the mesh depends on (shape, sizes, gmsh version)."""
        import gmsh

        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "shape"}
        payload = json.dumps(
            {"v": MESH_FORMAT_VERSION, "gmsh": gmsh.__version__, "shape": self.shape.type,
             "parameters": self.shape.parameters(), **fields},
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def file_name(self) -> str:
        return f"{self.shape.type}-{self.formulation}-{self.key()}.msh"


def mesh_cache_dir() -> Path:
    """Where meshes are cached: ``$SWELLFEM_MESH_CACHE``, else the user's cache directory
    (``$XDG_CACHE_HOME/swellfem/meshes``, e.g. ``~/.cache/swellfem/meshes``)."""
    env = os.environ.get("SWELLFEM_MESH_CACHE")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("swellfem")) / "meshes"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _trusted(path: Path, record: Path, key: str) -> bool:
    """Whether the cached ``path`` is the complete mesh of ``key``: its record (written after
    the mesh was read back) names the same key and the file's checksum and size."""
    try:
        meta = json.loads(record.read_text(encoding="utf-8"))
        return (meta.get("key") == key and meta.get("bytes") == path.stat().st_size
                and meta.get("sha256") == _sha256(path))
    except (OSError, ValueError, AttributeError):
        return False


def cached_mesh_checksum(path: Path) -> str:
    """The SHA-256 of a cached ``.msh`` as its record names it (a mesh :func:`cached_mesh` returned
    is trusted: its checksum was verified)."""
    return json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))["sha256"]


def cached_mesh(request: MeshRequest, cache_dir: Path | None = None) -> Path:
    """Path of the ``.msh`` for ``request``, meshing it first if the cache has no trusted copy.

    A cached mesh is used only if its record (``.json`` beside it) names the same request key
    and its checksum: a truncated file, another geometry's mesh under the same name or a
    record without its mesh is meshed again (and replaced atomically)."""
    cache_dir = Path(cache_dir) if cache_dir is not None else mesh_cache_dir()
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / request.file_name()
    record = path.with_suffix(".json")
    key = request.key()
    if path.exists() and _trusted(path, record, key):
        return path
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.msh")
    tmp_record = record.with_name(f".{record.stem}.{os.getpid()}.json")
    try:
        counts = build_mesh(request, tmp)
        meta = {"key": key, "bytes": tmp.stat().st_size, "sha256": _sha256(tmp), **counts,
                "shape": request.shape.type, "formulation": request.formulation}
        tmp_record.write_text(json.dumps(meta, indent=1), encoding="utf-8")
        os.replace(tmp, path)  # atomic: the cached file is always complete ...
        os.replace(tmp_record, record)  # ... and trusted only once its record is in place
    finally:
        tmp.unlink(missing_ok=True)
        tmp_record.unlink(missing_ok=True)
    return path


def build_mesh(request: MeshRequest, path: Path) -> dict:
    """Build, mesh and write the shape of ``request`` to ``path`` (gmsh .msh 4.1, binary), then read
    it back and check it holds every node and element (gmsh does not report a full disk).
    Returns the counts of nodes and elements."""
    import gmsh

    with gmsh_session():
        try:
            gmsh.option.setNumber("General.Terminal", 0)
            gmsh.option.setNumber("General.Verbosity", 1)
            gmsh.model.add("swellfem")
            request.shape.build(request.formulation)
            if not getattr(request.shape, "premeshed", False):  # a user's .msh is used as it is
                _size_field(request)
                gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
                gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 0)
                gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", 0)
                gmsh.option.setNumber("Mesh.Algorithm", 6)
                gmsh.option.setNumber("Mesh.Algorithm3D", 1)
                gmsh.option.setNumber("Mesh.Optimize", 1)
                # better tetrahedra (interface stress 3.7 % -> 2 % spread); gmsh's Netgen optimiser
                # crashes (segmentation fault) on a volume with embedded points (full-3D supports)
                gmsh.option.setNumber("Mesh.OptimizeNetgen", 0 if _has_embedded_points() else 1)
                gmsh.model.mesh.generate(request.gdim)
            if request.geometry_order > 1:
                gmsh.model.mesh.setOrder(request.geometry_order)  # curved cells follow the surfaces
            check_quality(request.gdim)
            gmsh.option.setNumber("Mesh.MshFileVersion", 4.1)
            # binary: gmsh reads the full-3D 1.1 M-dof mesh back in 0.14 s instead of 1.8 s (ASCII)
            gmsh.option.setNumber("Mesh.Binary", 1)
            written = _counts(request.gdim)
            gmsh.write(str(path))
        finally:
            gmsh.model.remove()
        gmsh.model.add("swellfem-check")
        try:
            gmsh.merge(str(path))
            read = _counts(request.gdim)
        except Exception as exc:
            raise RuntimeError(f"the mesh file {path.name} could not be read back ({exc}); is the disk full?") from None
        finally:
            gmsh.model.remove()
    if read != written:
        raise RuntimeError(f"the mesh file {path.name} is incomplete (read back {read}, wrote {written}); "
                           "is the disk full?")
    return written


#: Smallest scaled-Jacobian quality (gmsh minSICN, 1: regular) of a cell swellfem solves on.
MIN_CELL_QUALITY = 0.02


def _has_embedded_points() -> bool:
    """Whether a volume of the current gmsh model has a point embedded in it."""
    import gmsh

    return any(d == 0 for _, t in gmsh.model.getEntities(3) for d, _ in gmsh.model.mesh.getEmbedded(3, t))


class MeshQualityError(RuntimeError):
    """A mesh with inverted or degenerate cells (one line)."""


def check_quality(dim: int) -> dict:
    """Refuse a mesh with a degenerate cell (minSICN below :data:`MIN_CELL_QUALITY`) or a curved
    cell whose Jacobian is not positive everywhere; returns the worst values."""
    import gmsh

    sicn, det = [], []
    for tags in gmsh.model.mesh.getElements(dim)[1]:
        if len(tags):
            sicn.append(gmsh.model.mesh.getElementQualities(tags, "minSICN").min())
            det.append(gmsh.model.mesh.getElementQualities(tags, "minDetJac").min())
    worst = {"min_quality": float(min(sicn, default=1.0)), "min_det_jacobian": float(min(det, default=1.0))}
    if worst["min_det_jacobian"] <= 0:
        raise MeshQualityError(f"the mesh has inverted curved cells (min det J {worst['min_det_jacobian']:.3g}); "
                               "refine mesh.interface_size (and mesh.edge_size) near curved surfaces")
    if worst["min_quality"] < MIN_CELL_QUALITY:
        raise MeshQualityError(f"the mesh has a degenerate cell (quality {worst['min_quality']:.3g}, below "
                               f"{MIN_CELL_QUALITY}); refine mesh.interface_size or check the geometry for slivers "
                               "and near-touching surfaces")
    return worst


def _counts(dim: int) -> dict:
    """Nodes and cells (elements of dimension ``dim``) of the current gmsh model."""
    import gmsh

    nodes = len(gmsh.model.mesh.getNodes()[0])
    cells = sum(len(tags) for tags in gmsh.model.mesh.getElements(dim)[1])
    return {"nodes": int(nodes), "cells": int(cells)}


def _graded_from(dim: int, entities: list[int], size: float, request: MeshRequest) -> int:
    """A gmsh field: ``size`` at the curves (dim 1) or surfaces (dim 2) ``entities``, growing
    linearly to the bulk size over the grading distance."""
    import gmsh

    field = gmsh.model.mesh.field
    dist = field.add("Distance")
    field.setNumbers(dist, "CurvesList" if dim == 1 else "SurfacesList", entities)
    field.setNumber(dist, "Sampling", 200 if dim == 1 else 60)
    thr = field.add("Threshold")
    field.setNumber(thr, "InField", dist)
    field.setNumber(thr, "SizeMin", size)
    field.setNumber(thr, "SizeMax", request.size_nm)
    field.setNumber(thr, "DistMin", 0.0)
    field.setNumber(thr, "DistMax", request.grading_distance_nm)
    return thr


def _size_field(request: MeshRequest) -> None:
    import gmsh

    field = gmsh.model.mesh.field
    bdim = request.gdim - 1
    wanted = set(request.shape.refinement_groups())
    boundary = [
        e
        for d, t in gmsh.model.getPhysicalGroups(bdim)
        if gmsh.model.getPhysicalName(d, t) in wanted
        for e in gmsh.model.getEntitiesForPhysicalGroup(d, t)
    ]
    fields = [_graded_from(bdim, sorted(set(boundary)), request.interface_size_nm, request)]
    cx, cy, cz = request.shape.centre
    for rf in request.front_radii_nm:
        # |distance from the centre - rf|: a MathEval field resolves a spherical front.
        r_expr = (f"Sqrt((x-{cx})^2 + (y-{cz})^2)" if request.gdim == 2
                  else f"Sqrt((x-{cx})^2 + (y-{cy})^2 + (z-{cz})^2)")
        s_min, s_max, d = request.front_size_nm, request.size_nm, request.grading_distance_nm
        f = field.add("MathEval")
        field.setString(f, "F", f"Min({s_max}, {s_min} + ({s_max} - {s_min}) * Fabs({r_expr} - {rf}) / {d})")
        fields.append(f)
    edges = request.shape.edge_entities
    if request.edge_size_nm > 0 and edges and edges[1]:
        fields.append(_graded_from(edges[0], sorted(edges[1]), request.edge_size_nm, request))
    final = fields[0]
    if len(fields) > 1:
        final = field.add("Min")
        field.setNumbers(final, "FieldsList", fields)
    field.setAsBackgroundMesh(final)


class ExportError(ValueError):
    """An export path meshio cannot write (one line)."""


def check_export_path(out_path: Path) -> None:
    """Refuse an export path whose format meshio does not know, or that is a directory."""
    import meshio

    out_path = Path(out_path)
    known = sorted(meshio.extension_to_filetypes)
    suffixes = "".join(out_path.suffixes[-2:]).lower()
    if not any(suffixes.endswith(ext) for ext in known):
        raise ExportError(f"--export {out_path}: unknown mesh format '{out_path.suffix}'; meshio writes: {', '.join(known)}")
    if out_path.is_dir():
        raise ExportError(f"--export {out_path}: is a directory; give a file name")
    if not out_path.parent.is_dir():
        raise ExportError(f"--export {out_path}: no such directory {out_path.parent}")


def export_mesh(msh_path: Path, out_path: Path) -> None:
    """Convert a cached ``.msh`` to any format meshio writes (``.vtu``, ``.xdmf``, ...)."""
    import meshio

    mesh = meshio.read(msh_path)
    # The physical groups stay as the cell data "gmsh:physical" (tags as in geometry.tags);
    # gmsh's cell sets do not convert to most formats.
    mesh.cell_sets = {}
    meshio.write(out_path, mesh)
