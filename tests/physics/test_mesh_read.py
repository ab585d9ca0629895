"""Reading a cached mesh into DOLFINx: the ``.npz`` copy beside the ``.msh`` gives the same mesh
and tags as DOLFINx's own gmsh reader, and is written again when it is broken or belongs to
another mesh (the parallel read under ``mpiexec`` is checked by the MPI tests of test_run.py,
test_plasticity.py and test_contact.py, which compare whole results)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from swellfem._backend import MPI
from swellfem.case import load_case
from swellfem.geometry import cached_mesh, gmsh_session
from swellfem.physics.mesh import MeshArrays, load_mesh, mesh_arrays
from swellfem.studies.run import mesh_spec

from conftest import CASES

COARSE = ['mesh.size="12 nm"', 'mesh.interface_size="4 nm"', "mesh.min_elements_across_layer=1"]


def _request(formulation: str, *extra: str):
    return mesh_spec(load_case(CASES / "verification" / "lame_3layer.toml",
                               [*COARSE, f'model.formulation="{formulation}"', *extra]))


def _gmsh_reader(msh, gdim):
    import gmsh
    from dolfinx.io import gmsh as gmshio

    with gmsh_session():
        gmsh.model.add("reference")
        gmsh.merge(str(msh))
        try:
            return gmshio.model_to_mesh(gmsh.model, MPI.COMM_SELF, 0, gdim=gdim)
        finally:
            gmsh.model.remove()


@pytest.mark.parametrize("formulation", ["axisymmetric", "3d-octant"])
def test_the_arrays_give_the_mesh_and_tags_of_dolfinx_gmsh_reader(tmp_path, formulation):
    request = _request(formulation)
    loaded = load_mesh(request, MPI.COMM_SELF, cache_dir=tmp_path)
    assert loaded.msh_path.suffix == ".msh" and loaded.msh_path.with_suffix(".npz").exists()
    ref = _gmsh_reader(loaded.msh_path, request.gdim)
    mesh = loaded.mesh
    assert mesh.topology.index_map(mesh.topology.dim).size_global == ref.mesh.topology.index_map(
        ref.mesh.topology.dim).size_global
    np.testing.assert_array_equal(mesh.geometry.x, ref.mesh.geometry.x)  # same input, same ordering
    np.testing.assert_array_equal(mesh.geometry.dofmaps[0], ref.mesh.geometry.dofmaps[0])
    for ours, theirs in ((loaded.cell_tags, ref.cell_tags), (loaded.facet_tags, ref.facet_tags)):
        np.testing.assert_array_equal(ours.indices, theirs.indices)
        np.testing.assert_array_equal(ours.values, theirs.values)
    assert set(np.unique(loaded.cell_tags.values)) == set(loaded.layer_tags.values())


def test_broken_or_foreign_arrays_are_written_again(tmp_path):
    request = _request("axisymmetric")
    msh = cached_mesh(request, tmp_path)
    npz, _sha, _arrays = mesh_arrays(msh, request.gdim)
    good = npz.read_bytes()
    stamp = npz.stat().st_mtime_ns
    assert mesh_arrays(msh, request.gdim)[0] == npz and npz.stat().st_mtime_ns == stamp  # trusted: reused

    npz.write_bytes(good[: len(good) // 2])  # truncated
    assert mesh_arrays(msh, request.gdim)[0].read_bytes() == good

    other = cached_mesh(_request("axisymmetric", 'geometry.layers.0.outer_radius="40 nm"'), tmp_path)
    shutil.copy(mesh_arrays(other, request.gdim)[0], npz)  # another mesh's arrays under this name
    assert mesh_arrays(msh, request.gdim)[0].read_bytes() == good

    for junk in (b"not a zip file", b""):
        npz.write_bytes(junk)
        assert mesh_arrays(msh, request.gdim)[0].read_bytes() == good
    np.save(npz.with_suffix(".npy"), np.arange(3))  # a plain array under the name
    npz.with_suffix(".npy").replace(npz)
    assert mesh_arrays(msh, request.gdim)[0].read_bytes() == good
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporaries left


def test_a_cache_that_takes_no_writes_still_gives_the_mesh(tmp_path, monkeypatch):
    """The arrays serve from memory where the ``.npz`` cannot be written (read-only, full)."""
    request = _request("axisymmetric")
    reference = load_mesh(request, MPI.COMM_SELF, cache_dir=tmp_path)
    reference.msh_path.with_suffix(".npz").unlink()

    def refuse(self, npz, sha256):
        raise PermissionError(13, "read-only", str(npz))

    monkeypatch.setattr(MeshArrays, "save", refuse)
    loaded = load_mesh(request, MPI.COMM_SELF, cache_dir=tmp_path)
    assert not reference.msh_path.with_suffix(".npz").exists()
    np.testing.assert_array_equal(loaded.mesh.geometry.x, reference.mesh.geometry.x)
    np.testing.assert_array_equal(loaded.cell_tags.values, reference.cell_tags.values)
    np.testing.assert_array_equal(loaded.facet_tags.values, reference.facet_tags.values)


_COUNT_TAGS = """
import json, sys
from pathlib import Path
import numpy as np
from swellfem._backend import MPI
from swellfem.case import load_case
from swellfem.physics.mesh import MeshArrays, load_mesh
from swellfem.studies.run import mesh_spec
case_file, cache, unreadable_on = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
overrides = json.loads(sys.argv[4])
comm = MPI.COMM_WORLD
if comm.rank == unreadable_on:  # as if the cache were on another node's disk
    def unreadable(cls, *args, **kwargs):
        raise OSError("no such file on this node")
    MeshArrays.load = classmethod(unreadable)
loaded = load_mesh(mesh_spec(load_case(case_file, overrides)), comm, cache_dir=cache)

def counts(tags, dim):
    owned = tags.indices < loaded.mesh.topology.index_map(dim).size_local
    values, n = np.unique(tags.values[owned], return_counts=True)
    total = {}
    for part in comm.allgather(dict(zip(values.tolist(), n.tolist()))):
        for k, v in part.items():
            total[str(k)] = total.get(str(k), 0) + v
    return total

tdim = loaded.mesh.topology.dim
out = {"cells": counts(loaded.cell_tags, tdim), "facets": counts(loaded.facet_tags, tdim - 1),
       "owned_cells": comm.allgather(loaded.mesh.topology.index_map(tdim).size_local)}
if comm.rank == 0:
    print(json.dumps(out))
"""


@pytest.mark.mpi
@pytest.mark.parametrize("unreadable_on", [-1, 1])
def test_three_ranks_get_every_cell_and_facet_with_its_tag(tmp_path, unreadable_on):
    """Under mpiexec -n 3 the tags add up to the serial mesh's, each cell and facet once; also
    when one rank cannot read the arrays file (rank 0 then hands every cell out)."""
    import json
    import subprocess
    import sys

    from conftest import mpiexec

    overrides = [*COARSE, 'model.formulation="3d-octant"']
    request = mesh_spec(load_case(CASES / "verification" / "lame_3layer.toml", overrides))
    serial = load_mesh(request, MPI.COMM_SELF, cache_dir=tmp_path)

    def counts(tags):
        values, n = np.unique(tags.values, return_counts=True)
        return {str(k): int(c) for k, c in zip(values, n)}

    script = tmp_path / "count_tags.py"
    script.write_text(_COUNT_TAGS)
    res = subprocess.run([mpiexec(), "-n", "3", sys.executable, str(script), str(CASES / "verification" / "lame_3layer.toml"),
                          str(tmp_path), str(unreadable_on), json.dumps(overrides)],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["cells"] == counts(serial.cell_tags)
    assert out["facets"] == counts(serial.facet_tags)
    assert sum(out["owned_cells"]) == len(serial.cell_tags.values) and min(out["owned_cells"]) > 0
