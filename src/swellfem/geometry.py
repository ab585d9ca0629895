"""gmsh (OCC) geometry and meshing of layered particles; writes a ``.msh`` file.

Lengths are in nm. Physical groups: one cell group per layer (named after it), one facet
group per interface (``interface:<inner>|<outer>``), the outer surface (``surface``) and the
symmetry boundaries (``axis`` in 2D-axisymmetric; ``symmetry-x``/``-y``/``-z`` in the octant).
The axisymmetric meridian plane is the (x, y) plane with x = r >= 0 and y = z (the axis).
This module does not import dolfinx.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import signal
from collections.abc import Iterator
import json
import os
from pathlib import Path

#: Bump when the meshes this module writes change for the same parameters.
MESH_FORMAT_VERSION = 3

CELL_TAG_OFFSET = 1
INTERFACE_TAG_OFFSET = 100
SURFACE_TAG = 200
AXIS_TAG = 300
SYMMETRY_TAGS = {"symmetry-x": 301, "symmetry-y": 302, "symmetry-z": 303}


@dataclasses.dataclass(frozen=True)
class LayeredSphereSpec:
    """What a concentric-sphere mesh depends on (lengths in nm)."""

    layer_names: tuple[str, ...]
    outer_radii_nm: tuple[float, ...]
    formulation: str  # "axisymmetric" | "3d-octant" | "3d"
    size_nm: float
    interface_size_nm: float
    grading_distance_nm: float
    front_radii_nm: tuple[float, ...] = ()  # extra refinement at reaction fronts
    front_size_nm: float = 0.0
    geometry_order: int = 2

    @property
    def gdim(self) -> int:
        return 2 if self.formulation == "axisymmetric" else 3

    def key(self) -> str:
        import gmsh

        payload = json.dumps(
            {"v": MESH_FORMAT_VERSION, "gmsh": gmsh.__version__, **dataclasses.asdict(self)}, sort_keys=True
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def interface_names(self) -> list[str]:
        n = self.layer_names
        return [f"interface:{a}|{b}" for a, b in zip(n[:-1], n[1:])]


def mesh_cache_dir() -> Path:
    """Where meshes are cached: ``$SWELLFEM_MESH_CACHE`` or ``./meshes``."""
    return Path(os.environ.get("SWELLFEM_MESH_CACHE", "meshes"))


def cached_mesh(spec: LayeredSphereSpec, cache_dir: Path | None = None) -> Path:
    """Path of the ``.msh`` for ``spec``, meshing it first if it is not cached yet."""
    cache_dir = Path(cache_dir) if cache_dir is not None else mesh_cache_dir()
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"sphere-{spec.formulation}-{spec.key()}.msh"
    if not path.exists():
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.msh")
        try:
            build_layered_sphere(spec, tmp)
            os.replace(tmp, path)  # atomic: a cached file is always complete
        finally:
            tmp.unlink(missing_ok=True)
    return path


@contextlib.contextmanager
def gmsh_session() -> Iterator[None]:
    """Initialise gmsh (quiet) for the block, and give back the process's signal handlers
    afterwards: gmsh resets SIGTERM/SIGINT, which would skip swellfem's clean-up on Ctrl-C."""
    import gmsh

    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    initialized_here = not gmsh.isInitialized()
    if initialized_here:
        gmsh.initialize(interruptible=False)
    _restore(saved)
    gmsh.option.setNumber("General.Terminal", 0)
    try:
        yield
    finally:
        if initialized_here:
            gmsh.finalize()
        _restore(saved)


def _restore(handlers: dict) -> None:
    for sig, handler in handlers.items():
        if handler is not None:
            signal.signal(sig, handler)


def build_layered_sphere(spec: LayeredSphereSpec, path: Path) -> None:
    """Build, mesh and write the layered sphere of ``spec`` to ``path`` (gmsh .msh 4.1)."""
    with gmsh_session():
        _build(spec, path)


def _build(spec: LayeredSphereSpec, path: Path) -> None:
    import gmsh

    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.option.setNumber("General.Verbosity", 1)
        gmsh.model.add("swellfem")
        if spec.formulation == "axisymmetric":
            _meridian_half_disc(spec)
        elif spec.formulation == "3d-octant":
            _ball(spec, octant=True)
        elif spec.formulation == "3d":
            _ball(spec, octant=False)
        else:
            raise ValueError(f"unknown formulation {spec.formulation!r}")
        _size_field(spec)
        gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
        gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 0)
        gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", 0)
        gmsh.option.setNumber("Mesh.Algorithm", 6)
        gmsh.option.setNumber("Mesh.Algorithm3D", 1)
        gmsh.option.setNumber("Mesh.Optimize", 1)
        gmsh.model.mesh.generate(spec.gdim)
        if spec.geometry_order > 1:
            gmsh.model.mesh.setOrder(spec.geometry_order)  # curved cells follow the spheres
        gmsh.option.setNumber("Mesh.MshFileVersion", 4.1)
        gmsh.write(str(path))
    finally:
        gmsh.model.remove()


def _layer_index(extent: float, radii: tuple[float, ...]) -> int:
    """The layer whose outer radius is ``extent`` (the entity's largest coordinate)."""
    i = min(range(len(radii)), key=lambda k: abs(radii[k] - extent))
    if abs(radii[i] - extent) > 1e-6 * radii[-1]:
        raise RuntimeError(f"gmsh entity with extent {extent} matches no layer radius")
    return i


def _meridian_half_disc(spec: LayeredSphereSpec) -> None:
    import gmsh

    occ = gmsh.model.occ
    radii = spec.outer_radii_nm
    R = radii[-1]
    disks = [(2, occ.addDisk(0, 0, 0, r, r)) for r in radii]
    centre = (0, occ.addPoint(0, 0, 0))  # a mesh vertex at the centre (fixes the axial translation)
    occ.fragment(disks[:1], disks[1:] + [centre])
    everything = occ.getEntities(2)
    rect = occ.addRectangle(0, -1.5 * R, 0, 1.5 * R, 3 * R)
    occ.intersect(everything, [(2, rect)])
    occ.synchronize()
    _tag_layers(spec, dim=2)
    tol = 1e-6 * R
    arcs: dict[int, list[int]] = {}
    axis = []
    for _, c in gmsh.model.getEntities(1):
        xmin, ymin, _, xmax, ymax, _ = gmsh.model.getBoundingBox(1, c)
        if xmax < tol:
            axis.append(c)
        else:
            arcs.setdefault(_layer_index(xmax, radii), []).append(c)
    _tag_spherical_boundaries(spec, dim=1, by_layer=arcs)
    gmsh.model.addPhysicalGroup(1, axis, AXIS_TAG, name="axis")


def _ball(spec: LayeredSphereSpec, octant: bool) -> None:
    import gmsh

    occ = gmsh.model.occ
    radii = spec.outer_radii_nm
    R = radii[-1]
    balls = [(3, occ.addSphere(0, 0, 0, r)) for r in radii]
    occ.fragment(balls[:1], balls[1:])
    if octant:
        everything = occ.getEntities(3)
        box = occ.addBox(0, 0, 0, 1.5 * R, 1.5 * R, 1.5 * R)
        occ.intersect(everything, [(3, box)])
    occ.synchronize()
    _tag_layers(spec, dim=3)
    tol = 1e-6 * R
    spheres: dict[int, list[int]] = {}
    planes: dict[str, list[int]] = {name: [] for name in SYMMETRY_TAGS}
    for _, s in gmsh.model.getEntities(2):
        box = gmsh.model.getBoundingBox(2, s)
        lo, hi = box[:3], box[3:]
        flat = [k for k in range(3) if hi[k] - lo[k] < tol]
        if flat:
            planes["symmetry-" + "xyz"[flat[0]]].append(s)
        else:
            spheres.setdefault(_layer_index(max(hi), radii), []).append(s)
    _tag_spherical_boundaries(spec, dim=2, by_layer=spheres)
    if octant:
        for name, tag in SYMMETRY_TAGS.items():
            gmsh.model.addPhysicalGroup(2, planes[name], tag, name=name)


def _tag_layers(spec: LayeredSphereSpec, dim: int) -> None:
    import gmsh

    by_layer: dict[int, list[int]] = {}
    for _, e in gmsh.model.getEntities(dim):
        box = gmsh.model.getBoundingBox(dim, e)
        by_layer.setdefault(_layer_index(max(box[3:]), spec.outer_radii_nm), []).append(e)
    for i, name in enumerate(spec.layer_names):
        if i not in by_layer:
            raise RuntimeError(f"gmsh produced no region for layer {name}")
        gmsh.model.addPhysicalGroup(dim, by_layer[i], CELL_TAG_OFFSET + i, name=name)


def _tag_spherical_boundaries(spec: LayeredSphereSpec, dim: int, by_layer: dict[int, list[int]]) -> None:
    import gmsh

    for i, name in enumerate(spec.interface_names()):
        gmsh.model.addPhysicalGroup(dim, by_layer[i], INTERFACE_TAG_OFFSET + i, name=name)
    gmsh.model.addPhysicalGroup(dim, by_layer[len(spec.layer_names) - 1], SURFACE_TAG, name="surface")


def _size_field(spec: LayeredSphereSpec) -> None:
    """Element size: ``interface_size`` on interfaces and the outer surface, growing to
    ``size`` over ``grading_distance``; ``front_size`` near given reaction-front radii."""
    import gmsh

    field = gmsh.model.mesh.field
    bdim = spec.gdim - 1
    boundary = []
    for name in [*spec.interface_names(), "surface"]:
        tag = gmsh.model.getPhysicalGroups(bdim)
        boundary += [
            e
            for d, t in tag
            if gmsh.model.getPhysicalName(d, t) == name
            for e in gmsh.model.getEntitiesForPhysicalGroup(d, t)
        ]
    dist = field.add("Distance")
    field.setNumbers(dist, "CurvesList" if bdim == 1 else "SurfacesList", sorted(set(boundary)))
    field.setNumber(dist, "Sampling", 200 if bdim == 1 else 60)
    thr = field.add("Threshold")
    field.setNumber(thr, "InField", dist)
    field.setNumber(thr, "SizeMin", spec.interface_size_nm)
    field.setNumber(thr, "SizeMax", spec.size_nm)
    field.setNumber(thr, "DistMin", 0.0)
    field.setNumber(thr, "DistMax", spec.grading_distance_nm)
    fields = [thr]
    for rf in spec.front_radii_nm:
        # |distance from the centre - rf|: a MathEval field resolves a spherical front.
        r_expr = "Sqrt(x*x + y*y)" if spec.gdim == 2 else "Sqrt(x*x + y*y + z*z)"
        s_min, s_max, d = spec.front_size_nm, spec.size_nm, spec.grading_distance_nm
        f = field.add("MathEval")
        field.setString(f, "F", f"Min({s_max}, {s_min} + ({s_max} - {s_min}) * Fabs({r_expr} - {rf}) / {d})")
        fields.append(f)
    final = fields[0]
    if len(fields) > 1:
        final = field.add("Min")
        field.setNumbers(final, "FieldsList", fields)
    field.setAsBackgroundMesh(final)


def spec_from_case(case, front_radii_nm: tuple[float, ...] = (), front_size_nm: float = 0.0) -> LayeredSphereSpec:
    """The mesh spec of a validated :class:`swellfem.case.Case`."""
    from .case import mesh_interface_size

    mesh = case.mesh
    h_i = mesh_interface_size(case)
    return LayeredSphereSpec(
        layer_names=tuple(case.geometry.layer_names),
        outer_radii_nm=tuple(case.geometry.outer_radii_nm),
        formulation=case.model.formulation,
        size_nm=mesh.size,
        interface_size_nm=h_i,
        grading_distance_nm=mesh.grading_distance if mesh.grading_distance is not None else 2 * mesh.size,
        front_radii_nm=tuple(round(r, 9) for r in front_radii_nm),
        front_size_nm=front_size_nm,
    )


def export_mesh(msh_path: Path, out_path: Path) -> None:
    """Convert a cached ``.msh`` to any format meshio writes (``.vtu``, ``.xdmf``, ...)."""
    import meshio

    mesh = meshio.read(msh_path)
    # The physical groups stay as the cell data "gmsh:physical" (tags as in geometry.py);
    # gmsh's cell sets do not convert to most formats.
    mesh.cell_sets = {}
    meshio.write(out_path, mesh)

