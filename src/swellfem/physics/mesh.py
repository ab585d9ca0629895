"""The cached gmsh mesh, read into DOLFINx with its region and boundary tags."""

from __future__ import annotations

import dataclasses
import os
import zipfile
from pathlib import Path

from .._backend import MPI, dolfinx
from ..geometry import MeshRequest, Shape, cached_mesh, cached_mesh_checksum, gmsh_session
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
    """Mesh ``request`` (rank 0, cached) and distribute it over ``comm``.

    The cached ``.msh`` is read through gmsh once, into a DOLFINx-ready copy beside it
    (:func:`mesh_arrays`); every later load reads that copy, each rank its own share of the cells
    and nodes, so that under MPI neither the reading nor the partitioning waits on rank 0."""
    path: Path | None = None
    error: str | None = None
    if comm.rank == 0:
        try:
            path = mesh_arrays(cached_mesh(request, cache_dir), request.gdim)
        except Exception as exc:  # reported on every rank below
            error = f"meshing failed: {exc}"
    path, error = comm.bcast((path, error), root=0)
    if error:
        raise RuntimeError(error)
    mesh, cell_tags, facet_tags = _read_arrays(Path(path), comm)
    return LoadedMesh(mesh=mesh, cell_tags=cell_tags, facet_tags=facet_tags, request=request,
                      msh_path=Path(path).with_suffix(".msh"))


#: Bump when the layout of the arrays file changes.
MESH_ARRAYS_VERSION = 1
_ARRAYS = ("version", "source_sha256", "gmsh_cell_type", "x", "cells", "cell_markers", "facets", "facet_markers")


def mesh_arrays(msh: Path, gdim: int) -> Path:
    """The ``.npz`` beside a cached ``.msh``: its nodes (nm, ``gdim`` columns), its cells (node
    indices in DOLFINx's order) with their region tags, and its tagged facets (gmsh's node order)
    with their tags; written (atomically) from the ``.msh`` if missing, unreadable or of another
    ``.msh``. Rank 0 only."""
    import numpy as np

    npz = msh.with_suffix(".npz")
    sha = cached_mesh_checksum(msh)
    try:
        with np.load(npz) as z:
            stored = {k: z[k] for k in z.files}  # reading every member checks its CRC
        if (set(stored) == set(_ARRAYS) and int(stored["version"]) == MESH_ARRAYS_VERSION
                and str(stored["source_sha256"]) == sha):
            return npz
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        pass
    arrays = _arrays_from_msh(msh, gdim)
    tmp = npz.with_name(f".{npz.stem}.{os.getpid()}.npz")
    try:
        with tmp.open("wb") as fh:
            np.savez(fh, version=MESH_ARRAYS_VERSION, source_sha256=sha, **arrays)
        os.replace(tmp, npz)
    finally:
        tmp.unlink(missing_ok=True)
    return npz


def _arrays_from_msh(msh: Path, gdim: int) -> dict:
    """Nodes, cells and tagged facets of a ``.msh`` as :func:`mesh_arrays` stores them (what
    ``dolfinx.io.gmsh.model_to_mesh`` extracts, checked the same way: one cell type, every cell
    tagged once)."""
    import dolfinx.mesh
    import gmsh
    import numpy as np
    from dolfinx.io import gmsh as gmshio

    with gmsh_session():
        gmsh.model.add("swellfem-read")
        try:
            gmsh.merge(str(msh))
            x = gmshio.extract_geometry(gmsh.model)
            topologies, _groups = gmshio.extract_topology_and_markers(gmsh.model)
            dims = {t: gmsh.model.mesh.getElementProperties(t)[1] for t in topologies}
            tdim = max(dims.values(), default=-1)
            cell_types = [t for t in topologies if dims[t] == tdim]
            facet_types = [t for t in topologies if dims[t] == tdim - 1]
            if len(cell_types) != 1 or len(facet_types) > 1:
                raise RuntimeError(f"{msh.name}: expected one tagged cell type and at most one facet type, "
                                   f"found gmsh element types {sorted(topologies)}")
            all_cells = np.concatenate(gmsh.model.mesh.getElements(dim=tdim)[1])
            tagged = topologies[cell_types[0]]["entity_tags"]
            if len(tagged) != len(all_cells) or len(np.unique(tagged)) != len(tagged):
                raise RuntimeError(f"{msh.name}: every cell must be in exactly one physical group")
        finally:
            gmsh.model.remove()
    cell_type = cell_types[0]
    element = gmshio.ufl_mesh(cell_type, gdim, np.float64).ufl_coordinate_element()
    perm = gmshio.cell_perm_array(dolfinx.mesh.to_type(str(element.cell)), element.basix_element.dim)
    cells = topologies[cell_type]
    facets = topologies[facet_types[0]] if facet_types else None
    return {
        "gmsh_cell_type": np.int32(cell_type),
        "x": np.ascontiguousarray(x[:, :gdim], dtype=np.float64),
        "cells": np.ascontiguousarray(cells["topology"][:, perm], dtype=np.int64),
        "cell_markers": np.asarray(cells["cell_data"], dtype=np.int32),
        "facets": (np.asarray(facets["topology"], dtype=np.int64) if facets is not None
                   else np.empty((0, 0), dtype=np.int64)),
        "facet_markers": (np.asarray(facets["cell_data"], dtype=np.int32) if facets is not None
                          else np.empty(0, dtype=np.int32)),
    }


def _share(n: int, comm: MPI.Comm) -> slice:
    """This rank's contiguous share of ``n`` rows."""
    return slice(n * comm.rank // comm.size, n * (comm.rank + 1) // comm.size)


def _read_arrays(npz: Path, comm: MPI.Comm):
    """The mesh of a :func:`mesh_arrays` file and its cell and facet tags. Each rank reads its
    share of the cells, nodes and facets; DOLFINx partitions the cells and sends every tagged
    facet to the rank that owns it."""
    import dolfinx.graph
    import dolfinx.mesh
    import numpy as np
    from dolfinx.io import gmsh as gmshio
    from dolfinx.io.utils import distribute_entity_data

    with np.load(npz) as z:
        gdim = z["x"].shape[1]
        domain = gmshio.ufl_mesh(int(z["gmsh_cell_type"]), gdim, np.float64)
        cells, x = z["cells"], z["x"]
        facets, facet_markers, cell_markers = z["facets"], z["facet_markers"], z["cell_markers"]
    mesh = dolfinx.mesh.create_mesh(comm, cells[_share(len(cells), comm)], domain, x[_share(len(x), comm)])
    tdim = mesh.topology.dim
    cell_map = mesh.topology.index_map(tdim)
    local = np.arange(cell_map.size_local + cell_map.num_ghosts, dtype=np.int32)
    original = np.asarray(mesh.topology.original_cell_index)[: len(local)]
    cell_tags = dolfinx.mesh.meshtags(mesh, tdim, local, cell_markers[original])
    cell_tags.name = "cell_tags"
    mesh.topology.create_connectivity(tdim - 1, tdim)
    if len(facets):
        mine = _share(len(facets), comm)
        entities, values = distribute_entity_data(mesh, tdim - 1, facets[mine], facet_markers[mine])
        facet_tags = dolfinx.mesh.meshtags_from_entities(mesh, tdim - 1, dolfinx.graph.adjacencylist(entities),
                                                         values.astype(np.int32, copy=False))
    else:  # no tagged facets in the file
        facet_tags = dolfinx.mesh.meshtags(mesh, tdim - 1, np.empty(0, np.int32), np.empty(0, np.int32))
    facet_tags.name = "facet_tags"
    return mesh, cell_tags, facet_tags
