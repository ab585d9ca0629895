"""The cached gmsh mesh, read into DOLFINx with its region and boundary tags."""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path

import numpy as np

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
    (:func:`mesh_arrays`). Every later load reads that copy, and each rank keeps its own share of
    the cells, nodes and facets, so that under MPI neither the reading nor the partitioning waits
    on rank 0. Where some rank cannot read the copy (a cache on another node's disk) or it could
    not be written (a read-only or full cache), rank 0 hands every cell out itself, as DOLFINx's
    own gmsh reader does."""
    msh: Path | None = None
    error: str | None = None
    npz: Path | None = None
    sha = ""
    full: MeshArrays | None = None
    if comm.rank == 0:
        try:
            msh = cached_mesh(request, cache_dir)
            npz, sha, full = mesh_arrays(msh, request.gdim)
        except Exception as exc:  # reported on every rank below
            error = f"meshing failed: {exc}"
    msh, error, npz, sha = comm.bcast((msh, error, npz, sha), root=0)
    if error:
        raise RuntimeError(error)
    mine: MeshArrays | None = full
    if comm.size > 1:
        mine = None
        if npz is not None:
            try:
                mine = full.share(comm) if comm.rank == 0 else MeshArrays.load(npz, sha, comm)
            except Exception:  # not readable on this rank: rank 0 hands the cells out below
                mine = None
        if not comm.allreduce(mine is not None, op=MPI.LAND):
            header = comm.bcast(full.header() if comm.rank == 0 else None, root=0)
            markers = comm.bcast(full.cell_markers if comm.rank == 0 else None, root=0)
            mine = full if comm.rank == 0 else MeshArrays.empty(*header, cell_markers=markers)
    mesh, cell_tags, facet_tags = mine.distribute(comm)
    return LoadedMesh(mesh=mesh, cell_tags=cell_tags, facet_tags=facet_tags, request=request, msh_path=msh)


#: Bump when the layout of the arrays file changes.
MESH_ARRAYS_VERSION = 1


@dataclasses.dataclass
class MeshArrays:
    """The DOLFINx-ready arrays of a cached mesh, or one rank's share of its cells, nodes and
    facets (the region tags of all cells on every rank: DOLFINx keeps each cell's input index)."""

    gmsh_cell_type: int
    x: np.ndarray  # (nodes, gdim), nm, in gmsh's node order
    cells: np.ndarray  # (cells, nodes per cell), node indices in DOLFINx's order within a cell
    cell_markers: np.ndarray  # (all cells,) region tag of each input cell
    facets: np.ndarray  # (facets, nodes per facet), tagged facets, gmsh's order within a facet
    facet_markers: np.ndarray  # (facets,)

    def header(self) -> tuple[int, int, int, int]:
        """(gmsh cell type, gdim, nodes per cell, nodes per facet)."""
        return self.gmsh_cell_type, self.x.shape[1], self.cells.shape[1], self.facets.shape[1]

    @classmethod
    def empty(cls, gmsh_cell_type: int, gdim: int, cell_nodes: int, facet_nodes: int,
              cell_markers: np.ndarray) -> "MeshArrays":
        """No cells, nodes or facets (a rank that rank 0 hands its share to)."""
        return cls(gmsh_cell_type, np.empty((0, gdim)), np.empty((0, cell_nodes), np.int64), cell_markers,
                   np.empty((0, facet_nodes), np.int64), np.empty(0, np.int32))

    def share(self, comm: MPI.Comm) -> "MeshArrays":
        """This rank's contiguous share of the cells, nodes and facets (DOLFINx numbers the input
        nodes and cells by rank, in order)."""
        def part(a: np.ndarray) -> np.ndarray:
            return a[len(a) * comm.rank // comm.size: len(a) * (comm.rank + 1) // comm.size]

        return MeshArrays(self.gmsh_cell_type, part(self.x), part(self.cells), self.cell_markers,
                          part(self.facets), part(self.facet_markers))

    def save(self, npz: Path, sha256: str) -> None:
        """Write the arrays, with the ``.msh``'s SHA-256, to ``npz`` (atomically)."""
        fd, tmp = tempfile.mkstemp(dir=npz.parent, prefix=f".{npz.stem}.", suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, version=MESH_ARRAYS_VERSION, source_sha256=sha256,
                         **{f.name: getattr(self, f.name) for f in dataclasses.fields(self)})
            os.replace(tmp, npz)
        finally:
            Path(tmp).unlink(missing_ok=True)

    @classmethod
    def load(cls, npz: Path, sha256: str, comm: MPI.Comm | None = None) -> "MeshArrays":
        """The arrays of ``npz`` (this rank's share with ``comm``); ValueError if it is not the
        current layout of the ``.msh`` with that SHA-256 (a broken zip member fails its CRC)."""
        fields = [f.name for f in dataclasses.fields(cls)]
        with np.load(npz) as z:
            if (set(z.files) != {"version", "source_sha256", *fields} or z["version"].shape != ()
                    or int(z["version"]) != MESH_ARRAYS_VERSION or str(z["source_sha256"]) != sha256):
                raise ValueError(f"{npz.name} is not the arrays of this mesh")
            arrays = cls(**{k: z[k] for k in fields})
        arrays.gmsh_cell_type = int(arrays.gmsh_cell_type)
        return arrays.share(comm) if comm is not None else arrays

    @classmethod
    def from_msh(cls, msh: Path, gdim: int) -> "MeshArrays":
        """Read a ``.msh`` through gmsh, as ``dolfinx.io.gmsh.model_to_mesh`` extracts it and
        checked the same way: one cell type, every cell tagged once."""
        import dolfinx.mesh
        import gmsh
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
        return cls(
            gmsh_cell_type=int(cell_type),
            x=np.ascontiguousarray(x[:, :gdim], dtype=np.float64),
            cells=np.ascontiguousarray(cells["topology"][:, perm], dtype=np.int64),
            cell_markers=np.asarray(cells["cell_data"], dtype=np.int32),
            facets=(np.asarray(facets["topology"], dtype=np.int64) if facets is not None
                    else np.empty((0, 0), dtype=np.int64)),
            facet_markers=(np.asarray(facets["cell_data"], dtype=np.int32) if facets is not None
                           else np.empty(0, dtype=np.int32)),
        )

    def distribute(self, comm: MPI.Comm):
        """(mesh, cell tags, facet tags) over ``comm`` from every rank's arrays: DOLFINx
        partitions the cells and sends every tagged facet to the rank that owns it."""
        import dolfinx.graph
        import dolfinx.mesh
        from dolfinx.io import gmsh as gmshio
        from dolfinx.io.utils import distribute_entity_data

        domain = gmshio.ufl_mesh(self.gmsh_cell_type, self.x.shape[1], np.float64)
        mesh = dolfinx.mesh.create_mesh(comm, self.cells, domain, self.x)
        tdim = mesh.topology.dim
        cell_map = mesh.topology.index_map(tdim)
        local = np.arange(cell_map.size_local + cell_map.num_ghosts, dtype=np.int32)
        original = np.asarray(mesh.topology.original_cell_index)[: len(local)]
        cell_tags = dolfinx.mesh.meshtags(mesh, tdim, local, self.cell_markers[original])
        cell_tags.name = "cell_tags"
        mesh.topology.create_connectivity(tdim - 1, tdim)
        if comm.allreduce(len(self.facets), op=MPI.SUM):
            entities, values = distribute_entity_data(mesh, tdim - 1, self.facets, self.facet_markers)
            facet_tags = dolfinx.mesh.meshtags_from_entities(
                mesh, tdim - 1, dolfinx.graph.adjacencylist(entities), values.astype(np.int32, copy=False))
        else:  # no tagged facets in the file
            facet_tags = dolfinx.mesh.meshtags(mesh, tdim - 1, np.empty(0, np.int32), np.empty(0, np.int32))
        facet_tags.name = "facet_tags"
        return mesh, cell_tags, facet_tags


def mesh_arrays(msh: Path, gdim: int) -> tuple[Path | None, str, MeshArrays]:
    """The arrays of a cached ``.msh`` from the ``.npz`` beside it, which is written (atomically)
    from the ``.msh`` if missing, unreadable or of another ``.msh``. Returns (the ``.npz``, or
    None where it could not be written; the ``.msh``'s SHA-256; the arrays). Rank 0 only."""
    npz = msh.with_suffix(".npz")
    sha = cached_mesh_checksum(msh)
    try:
        return npz, sha, MeshArrays.load(npz, sha)
    except Exception:  # missing, broken, of another mesh or another layout: written again
        pass
    arrays = MeshArrays.from_msh(msh, gdim)
    try:
        arrays.save(npz, sha)
    except OSError:  # a read-only or full cache: the arrays serve from memory
        return None, sha, arrays
    return npz, sha, arrays
