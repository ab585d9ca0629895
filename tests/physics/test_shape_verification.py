"""Verification of the shapes of the review (issue 12) against exact solutions.

- One particle in a spherical matrix, at its centre, is the two-layer Lame sphere: every
  per-region extremum within 1 % (of the exact value, or of the case's largest stress where
  the exact value is near zero), as in test_lame. Off the centre but far from the surface it
  stays within 1 % (the free surface's image field falls as (a/d)^3).
- Two particles far apart each match the single one within 1 %.
- A polyhedron with a large rounding radius tends to the sphere of its volume; the octant
  equals full 3D; the rounded-corner peak converges under refinement.
- Finite strain and J2 plasticity of a particle in a matrix match the 1D finite-strain
  solver within 2 %.
"""

from __future__ import annotations

import numpy as np
import pytest

from swellfem.case.loading import case_from_data
from swellfem.exact import LayeredSphere
from swellfem.physics import eigenstrain_numpy
from swellfem.studies.run import solve_case

from reference import STRESS_KEYS, layer1d

SCALED = ("radial_max_MPa", "radial_min_MPa", "hydrostatic_max_MPa", "hydrostatic_min_MPa")


def run(data: dict) -> dict:
    case = case_from_data(data)
    return {"case": case, "summary": solve_case(case, field_dir=None, log=lambda *a, **k: None)}


def matrix_case(positions, radius="100 nm", particle="10 nm", soc=0.05, formulation="axisymmetric", **model):
    return {
        "name": "matrix",
        "geometry": {"type": "particles-in-matrix", "name": "C", "material": "CNF", "radius": radius,
                     "particles": {"name": "Bi", "material": "Bi", "radius": particle,
                                   "positions": [[f"{x:g} nm" for x in p] for p in positions]}},
        "model": {"formulation": formulation, **model},
        "mesh": {"size": "8 nm", "interface_size": "1 nm"},
        "stages": {"mode": "uniform", "soc": [soc]},
        "output": {"fields": False},
    }


def lame_for(case, soc, particle_nm, matrix_nm) -> LayeredSphere:
    mats = case.resolved_materials()
    bi, c = mats["Bi"], mats["CNF"]
    conv = case.model.eigenstrain_convention
    return LayeredSphere.solve(
        [particle_nm, matrix_nm], [bi.E_MPa, c.E_MPa], [bi.nu, c.nu],
        [float(eigenstrain_numpy(soc, bi.volumetric_expansion, conv)), float(eigenstrain_numpy(soc, 0.0, conv))])


def errors(regions: dict, exact: dict, scale: float, keys=STRESS_KEYS) -> dict:
    out = {}
    for key in keys:
        fe, ref = regions[key], exact[key]
        denom = abs(ref) if key not in SCALED and abs(ref) > 0.01 * scale else scale
        out[key] = abs(fe - ref) / denom
    return out


@pytest.fixture(scope="module")
def single_centred():
    return run(matrix_case([(0, 0, 0)]))


def test_one_particle_at_the_centre_of_a_matrix_is_the_lame_sphere(single_centred):
    case, summary = single_centred["case"], single_centred["summary"]
    exact = lame_for(case, 0.05, 10.0, 100.0)
    st = summary["stages"][-1]
    scale = max(abs(v) for i in (0, 1) for v in exact.region_extrema(i).values())
    for name, layer in (("Bi[0]", 0), ("C", 1)):
        errs = errors(st["regions"][name], exact.region_extrema(layer), scale)
        assert max(errs.values()) < 0.01, (name, errs)
    # the particle group and its expansion
    group = st["groups"]["Bi"]
    assert group["count"] == 1 and group["principal_min_MPa"] == st["regions"]["Bi[0]"]["principal_min_MPa"]
    u_a = exact.displacement(10.0, 0)
    expansion = 100 * ((1 + u_a / 10.0) ** 3 - 1)
    assert st["regions"]["Bi[0]"]["volume_expansion_percent"] == pytest.approx(expansion, rel=0.01)
    # interface normal stress = sigma_rr(a)
    normal = st["interfaces"]["Bi[0]|C"]
    assert normal["normal_stress_min_MPa"] == pytest.approx(float(exact.sigma_rr(10.0, 0)), rel=0.01)


def test_particle_off_centre_and_two_far_apart_each_match_one(single_centred):
    """Radial and hoop stresses about each particle's own centre: a particle at z = 40 nm of
    a 100 nm matrix, and two at z = +-40 nm, against the centred one within 1 %."""
    ref = single_centred["summary"]["stages"][-1]["regions"]["Bi[0]"]
    scale = max(abs(v) for k, v in ref.items() if k in STRESS_KEYS)
    off = run(matrix_case([(0, 0, 40)]))["summary"]["stages"][-1]
    two = run(matrix_case([(0, 0, -40), (0, 0, 40)]))["summary"]["stages"][-1]
    for regions in (off["regions"]["Bi[0]"], two["regions"]["Bi[0]"], two["regions"]["Bi[1]"]):
        errs = errors(regions, ref, scale)
        assert max(errs.values()) < 0.01, errs
    assert two["groups"]["Bi"]["count"] == 2
    # the z-axis probe line crosses both particles and the matrix
    line = two["profiles"]["z-axis"]
    assert {"Bi[0]", "Bi[1]", "C"} <= set(r for r in line["region"] if r)
    inside = [s for s, r in zip(line["sigma_tt_MPa"], line["region"]) if r == "Bi[1]"]
    assert np.allclose(inside, ref["principal_min_MPa"], rtol=0.02)


def test_particle_in_matrix_with_finite_strain_and_plasticity_matches_1d():
    """Finite strain, SOC 0.3, the carbon matrix yielding at 2 GPa (J2; a particle under the
    matrix's uniform pressure has no deviatoric stress, so the matrix is what flows): the
    centred particle and its matrix against the independent 1D finite-strain solver, within
    2 % of the largest stress."""
    from swellfem.sphere1d import Sphere1D

    data = matrix_case([(0, 0, 0)], soc=0.3, kinematics="finite", load_increments=4)
    data["materials"] = {"CNF": {"yield_strength": "2 GPa"}}
    got = run(data)
    case, st = got["case"], got["summary"]["stages"][-1]
    mats = case.resolved_materials()
    ref = Sphere1D([layer1d(mats["Bi"], 10.0), layer1d(mats["CNF"], 100.0)], kinematics="finite",
                   convention=case.model.eigenstrain_convention, elements_per_layer=200)
    solved = ref.step(0.3, increments=16)
    exact = {"Bi[0]": solved.region_extrema(0), "C": solved.region_extrema(1)}
    scale = max(abs(v) for e in exact.values() for k, v in e.items() if k in STRESS_KEYS)
    for name in ("Bi[0]", "C"):
        errs = {k: abs(st["regions"][name][k] - exact[name][k]) / scale for k in STRESS_KEYS}
        assert max(errs.values()) < 0.02, (name, errs)
    assert st["regions"]["C"]["equivalent_plastic_strain_max"] > 0.01


def polyhedron_case(habit="cube", rounding="18 nm", formulation="3d-octant", size="4 nm", edge_size=None,
                    interface_size="1.5 nm", soc=0.02, radius="20 nm"):
    mesh = {"size": size, "interface_size": interface_size}
    if edge_size:
        mesh["edge_size"] = edge_size
    return {
        "name": "poly",
        "geometry": {"type": "polyhedron", "habit": habit, "equivalent_radius": radius, "rounding_radius": rounding,
                     "layers": [{"name": "ZnSe", "material": "ZnSe"},
                                {"name": "shell", "material": "i-NMC-isotropic", "thickness": "6 nm"}]},
        "model": {"formulation": formulation},
        "mesh": mesh,
        "stages": {"mode": "uniform", "soc": [soc]},
        "output": {"fields": False},
    }


def sphere_error(got) -> float:
    """Largest per-region error against the two-layer Lame sphere of the same core and shell
    volumes (relative to the largest exact stress)."""
    case, st = got["case"], got["summary"]["stages"][-1]
    geo = case.geometry
    outer = (3 * geo.core.rounded_volume_nm3(geo.rounding_radii_nm[-1]) / (4 * np.pi)) ** (1 / 3)
    mats = case.resolved_materials()
    conv = case.model.eigenstrain_convention
    m = [mats["ZnSe"], mats["i-NMC-isotropic"]]
    exact = LayeredSphere.solve([geo.core_equivalent_radius_nm, outer], [x.E_MPa for x in m], [x.nu for x in m],
                                [float(eigenstrain_numpy(0.02, x.volumetric_expansion, conv)) for x in m])
    ex = {"ZnSe": exact.region_extrema(0), "shell": exact.region_extrema(1)}
    scale = max(abs(v) for e in ex.values() for v in e.values())
    return max(abs(st["regions"][n][k] - ex[n][k]) / scale for n in ex for k in STRESS_KEYS)


def test_a_rounded_cube_tends_to_the_sphere():
    """A cube core (equivalent radius 20 nm) with a 6 nm conformal shell tends to the two-layer
    Lame sphere of the same volumes as its rounding radius grows to 20 nm (a ball): the largest
    per-region error (relative to the largest exact stress) falls at every step of 10, 15 and
    19 nm rounding, and is below 10 % at 19 nm (measured on this mesh: 35 %, 25 %, 9 %; the
    concentric sphere on the same mesh sizes: 1 %). The error is the shape's, mostly the
    deviatoric stress that flat faces put into the core (von Mises, 0 in the sphere)."""
    runs = [run(polyhedron_case(rounding=f"{r} nm")) for r in (10, 15, 19)]
    errors = [sphere_error(r) for r in runs]
    assert errors[0] > errors[1] > errors[2], errors
    assert errors[2] < 0.10, errors
    # the default probe lines of a polyhedron: centre to a corner and centre to a face, core then shell
    st = runs[0]["summary"]["stages"][-1]
    geo = runs[0]["case"].geometry
    lines = st["profiles"]
    assert set(lines) == {"centre-to-corner", "centre-to-face"}
    corner, face = lines["centre-to-corner"], lines["centre-to-face"]
    # (end points step inward by up to 1 % where the curved cells miss them)
    assert corner["s_nm"][-1] == pytest.approx(geo.extent_nm, rel=0.011)
    assert face["s_nm"][-1] == pytest.approx(float(geo.core.offsets[0]) + geo.rounding_radii_nm[-1], rel=0.011)
    for line in (corner, face):
        assert line["region"][0] == "ZnSe" and line["region"][-1] == "shell" and None not in line["region"]


@pytest.mark.slow
def test_polyhedron_octant_equals_full_3d():
    """A rounded rhombic dodecahedron (ZIF-8) with a shell: the octant and the full body give
    the same per-region extrema within 1 % of the largest stress (their meshes differ: the
    full body's is not the mirrored octant's)."""
    kw = dict(habit="rhombic-dodecahedron", rounding="6 nm", size="5 nm", interface_size="1.5 nm", edge_size="0.75 nm",
              radius="15 nm")
    octant = run(polyhedron_case(**kw))["summary"]["stages"][-1]
    full = run(polyhedron_case(formulation="3d", **kw))["summary"]["stages"][-1]
    scale = max(abs(v) for r in octant["regions"].values() for k, v in r.items() if k in STRESS_KEYS)
    errs = {f"{n}.{k}": abs(octant["regions"][n][k] - full["regions"][n][k]) / scale
            for n in octant["regions"] for k in STRESS_KEYS}
    assert max(errs.values()) < 0.01, sorted(errs.items(), key=lambda kv: -kv[1])[:3]
    assert octant["apparent_volume_expansion_percent"] == pytest.approx(full["apparent_volume_expansion_percent"],
                                                                       rel=1e-3)


def two_spheres(path, dim: int, mesh: bool):
    """A core (radius 10) in a shell (to 16) made with gmsh as a user would: a 2D meridian .msh
    (saved with every element) or a STEP of the two balls (overlapping: the core listed first)."""
    import gmsh

    from swellfem.geometry import gmsh_session

    with gmsh_session():
        gmsh.model.add("user")
        occ = gmsh.model.occ
        try:
            if dim == 2:
                a, b = occ.addDisk(0, 0, 0, 10, 10), occ.addDisk(0, 0, 0, 16, 16)
                occ.fragment([(2, b)], [(2, a), (0, occ.addPoint(0, 0, 0))])
                occ.intersect(occ.getEntities(2), [(2, occ.addRectangle(0, -20, 0, 20, 40))])
                occ.synchronize()
                inner = [t for _, t in gmsh.model.getEntities(2) if gmsh.model.getBoundingBox(2, t)[3] < 10.5]
                outer = [t for _, t in gmsh.model.getEntities(2) if t not in inner]
                gmsh.model.addPhysicalGroup(2, inner, name="core")
                gmsh.model.addPhysicalGroup(2, outer, name="shell")
                gmsh.option.setNumber("Mesh.MeshSizeMax", 0.6)
                gmsh.model.mesh.generate(2)
                gmsh.option.setNumber("Mesh.SaveAll", 1)
            else:
                occ.addSphere(0, 0, 0, 10)
                occ.addSphere(0, 0, 0, 16)
                occ.synchronize()
            gmsh.write(str(path))
        finally:
            gmsh.model.remove()


def mesh_file_case(path, formulation, **geo):
    return {"name": "user", "geometry": {"type": "mesh-file", "path": str(path), **geo},
            "model": {"formulation": formulation}, "mesh": {"size": "3 nm", "interface_size": "1 nm"},
            "stages": {"mode": "uniform", "soc": [0.05]}, "output": {"fields": False}}


def test_a_users_msh_and_step_geometry_match_lame(tmp_path):
    """A user's 2D .msh (first order, physical groups core and shell) within 1 % of the Lame
    sphere; a STEP of the same spheres in full 3D within 2 % (its coarser curved surfaces)."""
    msh, step = tmp_path / "user.msh", tmp_path / "user.step"
    two_spheres(msh, 2, True)
    two_spheres(step, 3, False)
    regions = [{"name": "core", "material": "Bi"}, {"name": "shell", "material": "CNF"}]
    runs = {
        "msh": run(mesh_file_case(msh, "axisymmetric", regions=regions)),
        "step": run(mesh_file_case(step, "3d", regions=[{**regions[0], "solids": [1]}, {**regions[1], "solids": [2]}])),
    }
    mats = runs["msh"]["case"].resolved_materials()
    conv = runs["msh"]["case"].model.eigenstrain_convention
    exact = LayeredSphere.solve([10.0, 16.0], [mats["Bi"].E_MPa, mats["CNF"].E_MPa], [mats["Bi"].nu, mats["CNF"].nu],
                                [float(eigenstrain_numpy(0.05, mats["Bi"].volumetric_expansion, conv)), 0.0])
    ex = {"core": exact.region_extrema(0), "shell": exact.region_extrema(1)}
    scale = max(abs(v) for e in ex.values() for v in e.values())
    for kind, tol in (("msh", 0.01), ("step", 0.02)):
        st = runs[kind]["summary"]["stages"][-1]
        errs = {f"{n}.{k}": v for n in ex for k, v in errors(st["regions"][n], ex[n], scale).items()}
        assert max(errs.values()) < tol, (kind, sorted(errs.items(), key=lambda kv: -kv[1])[:3])
        assert st["volume_nm3"] == pytest.approx(4 / 3 * np.pi * 16**3, rel=2e-3)


@pytest.mark.slow
def test_rounded_corner_peak_converges():
    """The shell's peak von Mises stress at a rounded cube corner (rounding 4 nm) at edge sizes
    2, 1 and 0.5 nm: the changes shrink by more than 2 each halving (observed order > 1; the
    benchmark benchmarks/bench_corner.py measured 1.8 for von Mises, 2.6 for hoop)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "bench_corner", Path(__file__).resolve().parents[2] / "benchmarks" / "bench_corner.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    peaks = [run(bench.case(h, "4 nm"))["summary"]["stages"][-1]["regions"]["shell"]["von_mises_max_MPa"]
             for h in (2.0, 1.0, 0.5)]
    d1, d2 = peaks[0] - peaks[1], peaks[1] - peaks[2]
    assert d1 * d2 > 0 and abs(d1) > 2 * abs(d2), peaks
