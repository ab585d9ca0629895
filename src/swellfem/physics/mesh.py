"""The cached gmsh mesh, read into DOLFINx with its region and boundary tags."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from .._backend import MPI, dolfinx
from ..geometry import MeshRequest, Shape, cached_mesh, gmsh_session
from ..geometry.tags import (AXIS_TAG, CAVITY_TAG, CELL_TAG_OFFSET, INTERFACE_TAG_OFFSET, SURFACE_TAG, SYMMETRY_TAGS,
                             contact_surface_tag)


@dataclasses.dataclass
class LoadedMesh:
    """A DOLFINx mesh of a shape (coordinates in nm) with its cell and facet tags."""

    mesh: "dolfinx.mesh.Mesh"
    cell_tags: "dolfinx.mesh.MeshTags"
    facet_tags: "dolfinx.mesh.MeshTags"
    request: MeshRequest
    msh_path: Path

    @property
    def shape(self) -> Shape:
        return self.request.shape

    @property
    def formulation(self) -> str:
        return self.request.formulation

    @property
    def region_names(self) -> tuple[str, ...]:
        return self.shape.region_names

    @property
    def layer_tags(self) -> dict[str, int]:
        """Cell tag of each region."""
        return {name: CELL_TAG_OFFSET + i for i, name in enumerate(self.shape.region_names)}

    @property
    def interface_tags(self) -> dict[tuple[str, str], int]:
        return {pair: INTERFACE_TAG_OFFSET + i for i, pair in enumerate(self.shape.interfaces)}

    @property
    def contact_tags(self) -> dict[str, tuple[int, int]]:
        """(slave surface tag, master surface tag) of every contact pair, by pair name."""
        return {pair: (contact_surface_tag(slave), contact_surface_tag(master))
                for pair, (slave, master) in self.shape.contact_pair_surfaces.items()}

    @property
    def void_tags(self) -> dict[str, tuple[int, ...]]:
        """The facet tags of every wall of every void, by void name."""
        out: dict[str, tuple[int, ...]] = {}
        for k, surface in enumerate(self.shape.contact_surfaces):
            out[surface.void] = out.get(surface.void, ()) + (contact_surface_tag(k),)
        return out

    surface_tag = SURFACE_TAG
    cavity_tag = CAVITY_TAG
    axis_tag = AXIS_TAG
    symmetry_tags = SYMMETRY_TAGS

    def num_cells_global(self) -> int:
        im = self.mesh.topology.index_map(self.mesh.topology.dim)
        return im.size_global


def load_mesh(request: MeshRequest, comm: MPI.Comm = MPI.COMM_WORLD, cache_dir: Path | None = None) -> LoadedMesh:
    """Mesh ``request`` (rank 0, cached) and distribute it over ``comm``."""
    path: Path | None = None
    error: str | None = None
    if comm.rank == 0:
        try:
            path = cached_mesh(request, cache_dir)
        except Exception as exc:  # reported on every rank below
            error = f"meshing failed: {exc}"
    path, error = comm.bcast((path, error), root=0)
    if error:
        raise RuntimeError(error)
    data = _read_msh(Path(path), comm, request.gdim)
    mesh = data.mesh
    mesh.topology.create_connectivity(mesh.topology.dim - 1, mesh.topology.dim)
    return LoadedMesh(mesh=mesh, cell_tags=data.cell_tags, facet_tags=data.facet_tags, request=request,
                      msh_path=Path(path))


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
