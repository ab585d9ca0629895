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
from swellfem.physics.mesh import load_mesh, mesh_arrays
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
    npz = mesh_arrays(msh, request.gdim)
    good = npz.read_bytes()
    stamp = npz.stat().st_mtime_ns
    assert mesh_arrays(msh, request.gdim) == npz and npz.stat().st_mtime_ns == stamp  # trusted: reused

    npz.write_bytes(good[: len(good) // 2])  # truncated
    assert mesh_arrays(msh, request.gdim).read_bytes() == good

    other = cached_mesh(_request("axisymmetric", 'geometry.layers.0.outer_radius="40 nm"'), tmp_path)
    shutil.copy(mesh_arrays(other, request.gdim), npz)  # another mesh's arrays under this name
    assert mesh_arrays(msh, request.gdim).read_bytes() == good

    npz.write_bytes(b"not a zip file")
    assert mesh_arrays(msh, request.gdim).read_bytes() == good
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporaries left
