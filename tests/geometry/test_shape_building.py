"""The shapes of issue 12 before any solve: polyhedron sizes against closed forms and OCC,
particle placement, validation of impossible geometry, physical groups of the meshes, the
mesh-quality check."""

from __future__ import annotations

import math

import numpy as np
import pytest

from swellfem.case import CaseError
from swellfem.case.loading import case_from_data
from swellfem.case.shapes.polytopes import HABITS, Polytope, core_polytope

from conftest import swellfem_cli

#: closed-form volumes of the canonical habits (edge a): cube a^3, octahedron sqrt2/3 a^3,
#: rhombic dodecahedron 16 sqrt3/9 a^3, truncated octahedron 8 sqrt2 a^3
VOLUME_PER_EDGE_CUBED = {"cube": 1.0, "octahedron": math.sqrt(2) / 3, "rhombic-dodecahedron": 16 * math.sqrt(3) / 9,
                         "truncated-octahedron": 8 * math.sqrt(2)}
COUNTS = {"cube": (8, 6, 12), "octahedron": (6, 8, 12), "rhombic-dodecahedron": (14, 12, 24),
          "truncated-octahedron": (24, 14, 36)}


@pytest.mark.parametrize("habit", sorted(HABITS))
def test_habits_counts_volume_and_rounded_volume_against_occ(habit):
    """Vertices, faces, edges and volume against the closed forms; the Steiner volume of the
    rounded body against the volume of the OCC solid swellfem meshes (filleted offset): 1e-9
    where every corner has three edges (cube, truncated octahedron: OCC blends them with
    exact spheres), 1e-4 where corners have four (octahedron, rhombic dodecahedron: OCC blends
    them with a spline patch; measured 4e-5 and 1e-6)."""
    import gmsh

    from swellfem.geometry import gmsh_session
    from swellfem.geometry.polyhedron import add_polytope

    P = Polytope.habit(habit, 3.0)
    assert (len(P.vertices), len(P.faces()), len(P.edges())) == COUNTS[habit]
    assert P.volume_nm3 == pytest.approx(VOLUME_PER_EDGE_CUBED[habit] * P.edge_length_nm**3, rel=1e-12)
    inner = P.moved(-0.8)
    with gmsh_session():
        gmsh.model.add("t")
        try:
            tag = add_polytope(inner, 0.8)
            gmsh.model.occ.synchronize()
            occ_volume = gmsh.model.occ.getMass(3, tag)
        finally:
            gmsh.model.remove()
    tol = 1e-9 if habit in ("cube", "truncated-octahedron") else 1e-4
    assert occ_volume == pytest.approx(inner.rounded_volume_nm3(0.8), rel=tol)


def test_sizing_nearest_points_and_shell_normals():
    core = core_polytope("rhombic-dodecahedron", 5.0, equivalent_radius_nm=50.0)
    assert (3 * core.rounded_volume_nm3(5.0) / (4 * math.pi)) ** (1 / 3) == pytest.approx(50.0, rel=1e-10)
    cube = Polytope.habit("cube", 1.0)  # [-1, 1]^3
    X = np.array([[0.5, 0.2, 3.0], [2.0, 2.0, 2.0], [3.0, 0.0, 0.5], [0.1, 0.2, 0.3]])
    near = cube.nearest_points(X)
    assert np.allclose(near, [[0.5, 0.2, 1.0], [1, 1, 1], [1.0, 0.0, 0.5], [0.1, 0.2, 0.3]])
    n = cube.outward_normals(X[:3])
    assert np.allclose(n, [[0, 0, 1], np.ones(3) / math.sqrt(3), [1, 0, 0]])


def polyhedron(**kw):
    geo = {"type": "polyhedron", "habit": "cube", "equivalent_radius": "20 nm", "rounding_radius": "4 nm",
           "layers": [{"name": "ZnSe", "material": "ZnSe"}, {"name": "shell", "material": "CNF", "thickness": "5 nm"}]}
    geo.update(kw)
    return {"name": "p", "geometry": geo, "model": {"formulation": "3d-octant"}, "mesh": {"size": "6 nm"},
            "stages": {"mode": "uniform", "soc": [0.1]}}


def rod(positions=None, **particles):
    p = {"name": "Bi", "material": "Bi", "radius": "10 nm"}
    p.update({"positions": positions} if positions else particles)
    return {"name": "r", "geometry": {"type": "rod", "name": "rod", "material": "CNF", "radius": "20 nm",
                                      "length": "120 nm", "film": {"name": "film", "material": "CNF",
                                                                   "thickness": "4 nm"}, "particles": p},
            "model": {"formulation": "axisymmetric"}, "mesh": {"size": "5 nm"},
            "stages": {"mode": "uniform", "soc": [0.1]}}


def on_axis(*zs):
    return [["0 nm", "0 nm", f"{z} nm"] for z in zs]


@pytest.mark.parametrize("data, key, words", [
    (polyhedron(rounding_radius="25 nm"), "geometry", "too large for this cube"),
    (polyhedron(edge_length="30 nm"), "geometry", "exactly one of equivalent_radius and edge_length"),
    (rod(on_axis(-20, 0)), "geometry", "particles 0 and 1 overlap"),
    (rod([["15 nm", "0 nm", "0 nm"]]), "geometry", "particle 0 at (15, 0, 0) nm does not fit in the rod"),
    (rod(volume_fraction=0.55, min_gap="3 nm"), "geometry", "could place only"),
    ({**rod([["5 nm", "0 nm", "0 nm"]])}, "model.formulation", "works in: 3d"),
    ({**polyhedron(), "model": {"formulation": "axisymmetric"}}, "model.formulation", "works in: 3d-octant, 3d"),
    ({**polyhedron(), "stages": {"mode": "shrinking-core", "soc": [0.5]}}, "stages.mode", "stage modes: uniform"),
    ({**polyhedron(), "mesh": {"size": "3 mm"}}, "mesh.size", "larger than the body"),
])
def test_impossible_geometry_is_a_one_line_validation_error(data, key, words):
    with pytest.raises(CaseError) as err:
        case_from_data(data, source="case.toml")
    text = str(err.value)
    assert key in text and words in text and "\n" not in text, text


def test_random_placement_is_reproducible_and_keeps_its_gaps():
    a = case_from_data({**rod(count=3, seed=7, min_gap="3 nm"), "model": {"formulation": "3d"}}).geometry
    b = case_from_data({**rod(count=3, seed=7, min_gap="3 nm"), "model": {"formulation": "3d"}}).geometry
    c = case_from_data({**rod(count=3, seed=8, min_gap="3 nm"), "model": {"formulation": "3d"}}).geometry
    assert a.centres == b.centres != c.centres
    assert a.region_names == ["rod", "film", "Bi[0]", "Bi[1]", "Bi[2]"]
    assert a.smallest_gap_nm >= 3.0
    assert a.formulations == ("3d",)


def test_cli_validate_names_the_file_key_and_exits_2(tmp_path):
    case = tmp_path / "rod.toml"
    case.write_text("""name = "r"
[geometry]
type = "rod"
name = "rod"
material = "CNF"
radius = "20 nm"
length = "120 nm"
[geometry.particles]
name = "Bi"
material = "Bi"
radius = "10 nm"
positions = [["0 nm", "0 nm", "-20 nm"], ["0 nm", "0 nm", "0 nm"]]
[stages]
mode = "uniform"
soc = [0.5]
""")
    res = swellfem_cli("validate", str(case))
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "rod.toml" in res.stderr and "particles 0 and 1 overlap" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def physical_names(path):
    import meshio

    mesh = meshio.read(path)
    counts = {}
    names = {tag: name for name, (tag, _) in mesh.field_data.items()}
    for block, tags in zip(mesh.cells, mesh.cell_data["gmsh:physical"]):
        for t in np.unique(tags):
            counts[names[int(t)]] = counts.get(names[int(t)], 0) + int((tags == t).sum())
    return counts


def test_meshes_have_every_region_interface_and_symmetry_group(tmp_path):
    from swellfem.geometry import cached_mesh, mesh_request

    poly = case_from_data(polyhedron(habit="rhombic-dodecahedron"))
    counts = physical_names(cached_mesh(mesh_request(poly), tmp_path))
    for name in ("ZnSe", "shell", "interface:ZnSe|shell", "surface", "symmetry-x", "symmetry-y", "symmetry-z"):
        assert counts.get(name, 0) > 0, (name, counts)
    r = case_from_data(rod(on_axis(-30, 30)))
    counts = physical_names(cached_mesh(mesh_request(r), tmp_path))
    for name in ("rod", "film", "Bi[0]", "Bi[1]", "interface:Bi[0]|rod", "interface:Bi[1]|rod",
                 "interface:rod|film", "surface", "axis"):
        assert counts.get(name, 0) > 0, (name, counts)


def test_mesh_quality_check_fails_clearly(monkeypatch, tmp_path):
    from swellfem.geometry import cached_mesh, mesh_request, meshing

    monkeypatch.setattr(meshing, "MIN_CELL_QUALITY", 0.999)
    r = case_from_data(rod(on_axis(0)))
    with pytest.raises(meshing.MeshQualityError, match="degenerate cell"):
        cached_mesh(mesh_request(r), tmp_path)
    assert not list(tmp_path.glob("*.msh"))  # nothing half-written is left
