"""The cached gmsh mesh, read into DOLFINx with its region and boundary tags."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ._backend import MPI, dolfinx
from .geometry import (
    AXIS_TAG,
    CELL_TAG_OFFSET,
    INTERFACE_TAG_OFFSET,
    SURFACE_TAG,
    SYMMETRY_TAGS,
    LayeredSphereSpec,
    cached_mesh,
    gmsh_session,
)


@dataclasses.dataclass
class LoadedMesh:
    """A DOLFINx mesh of a layered particle (coordinates in nm)."""

    mesh: "dolfinx.mesh.Mesh"
    cell_tags: "dolfinx.mesh.MeshTags"
    facet_tags: "dolfinx.mesh.MeshTags"
    spec: LayeredSphereSpec
    msh_path: Path

    @property
    def formulation(self) -> str:
        return self.spec.formulation

    @property
    def layer_tags(self) -> dict[str, int]:
        return {name: CELL_TAG_OFFSET + i for i, name in enumerate(self.spec.layer_names)}

    @property
    def interface_tags(self) -> dict[tuple[str, str], int]:
        n = self.spec.layer_names
        return {(a, b): INTERFACE_TAG_OFFSET + i for i, (a, b) in enumerate(zip(n[:-1], n[1:]))}

    surface_tag = SURFACE_TAG
    axis_tag = AXIS_TAG
    symmetry_tags = SYMMETRY_TAGS

    def num_cells_global(self) -> int:
        im = self.mesh.topology.index_map(self.mesh.topology.dim)
        return im.size_global


def load_mesh(spec: LayeredSphereSpec, comm: MPI.Comm = MPI.COMM_WORLD, cache_dir: Path | None = None) -> LoadedMesh:
    """Mesh ``spec`` (rank 0, cached) and distribute it over ``comm``."""
    path: Path | None = None
    error: str | None = None
    if comm.rank == 0:
        try:
            path = cached_mesh(spec, cache_dir)
        except Exception as exc:  # reported on every rank below
            error = f"meshing failed: {exc}"
    path, error = comm.bcast((path, error), root=0)
    if error:
        raise RuntimeError(error)
    data = _read_msh(Path(path), comm, spec.gdim)
    mesh = data.mesh
    mesh.topology.create_connectivity(mesh.topology.dim - 1, mesh.topology.dim)
    return LoadedMesh(mesh=mesh, cell_tags=data.cell_tags, facet_tags=data.facet_tags, spec=spec, msh_path=Path(path))


def _read_msh(path: Path, comm: MPI.Comm, gdim: int):
    """Read a .msh on rank 0 (quietly) and distribute it with dolfinx.io.gmsh.model_to_mesh."""
    import gmsh
    from dolfinx.io import gmsh as gmshio

    if comm.rank != 0:
        return gmshio.model_to_mesh(None, comm, 0, gdim=gdim)
    with gmsh_session():
        gmsh.model.add("swellfem-read")
        gmsh.merge(str(path))
        try:
            return gmshio.model_to_mesh(gmsh.model, comm, 0, gdim=gdim)
        finally:
            gmsh.model.remove()
