"""The mesh cache trusts only what it can verify: a truncated mesh, another geometry's mesh
under the same name or a record without its mesh is meshed again."""

from __future__ import annotations

import json
import shutil

from swellfem.case import load_case
from swellfem.geometry import cached_mesh, mesh_cache_dir
from swellfem.studies.run import mesh_spec

from conftest import CASES

COARSE = ['mesh.size="12 nm"', 'mesh.interface_size="4 nm"', "mesh.min_elements_across_layer=1"]


def _request(*extra):
    return mesh_spec(load_case(CASES / "verification" / "lame_3layer.toml", [*COARSE, *extra]))


def test_poisoned_cache_entries_are_meshed_again(tmp_path):
    request = _request()
    path = cached_mesh(request, tmp_path)
    good = path.read_bytes()
    record = json.loads(path.with_suffix(".json").read_text())
    assert record["key"] == request.key() and record["cells"] > 0
    stamp = path.stat().st_mtime_ns
    assert cached_mesh(request, tmp_path) == path and path.stat().st_mtime_ns == stamp  # trusted: reused

    path.write_bytes(good[: len(good) // 3])  # a truncated file (a full disk)
    assert cached_mesh(request, tmp_path).read_bytes() == good

    other = cached_mesh(_request('geometry.layers.0.outer_radius="40 nm"'), tmp_path)
    shutil.copy(other, path)  # another geometry's mesh under this name
    assert cached_mesh(request, tmp_path).read_bytes() == good

    path.unlink()  # a record without its mesh
    assert cached_mesh(request, tmp_path).read_bytes() == good
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporaries left


def test_default_cache_is_the_users_cache_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("SWELLFEM_MESH_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert mesh_cache_dir() == tmp_path / "xdg" / "swellfem" / "meshes"
    monkeypatch.setenv("SWELLFEM_MESH_CACHE", str(tmp_path / "mine"))
    assert mesh_cache_dir() == tmp_path / "mine"
