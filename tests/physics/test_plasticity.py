"""J2 plasticity against Hill's hollow sphere (small strain) and against the independent 1D
spherically symmetric solution (finite strain), and serial = MPI.

Tolerances (issue 10): Hill's plastic radius and stresses within 1 % (of the pressure);
a swelling core in a yielding shell, a plastic shrinking core and a depotassiation cycle
(finite strain) within 2 % of the peak stress for every per-region extremum and within 3 % for
the largest equivalent plastic strain.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from swellfem.case import load_case
from swellfem.exact import HillSphere

from conftest import CASES, solve, swellfem_cli
from reference import compare, sphere1d_for, stage_thetas

LAME = CASES / "verification" / "lame_3layer.toml"
HILL = CASES / "verification" / "hill_hollow_sphere.toml"


def _point_stress(problem, region: str, r: float, z: float) -> np.ndarray:
    """The Cauchy stress (3x3, (r, theta, z)) of ``region`` at meridian point (r, z)."""
    import dolfinx

    mesh = problem.mesh
    loaded = problem.loaded
    cells = loaded.cell_tags.find(loaded.layer_tags[region])
    tree = dolfinx.geometry.bb_tree(mesh, mesh.topology.dim, entities=cells)
    p = np.array([[r, z, 0.0]])
    hits = dolfinx.geometry.compute_colliding_cells(mesh, dolfinx.geometry.compute_collisions_points(tree, p), p)
    cell = hits.links(0)[0]
    return np.asarray(problem.stress(region).eval(p, np.array([cell], dtype=np.int32))).reshape(3, 3)


def test_hill_hollow_sphere():
    """Elastic below first yield (Lame), then a plastic zone to c = 30 nm: the radial stress on
    the axis, the hoop stress and the plastic radius c = b (sigma_t(b) / sigma_y)^(1/3) within 1 %."""
    from swellfem.results.measures import StageEvaluator
    from swellfem.studies.run import build_problem

    case = load_case(HILL)
    hill = HillSphere(a=20.0, b=40.0, sy=500.0)
    problem = build_problem(case)
    evaluator = StageEvaluator(problem)
    for p, c_expected in ((0.8 * hill.first_yield_pressure, None), (hill.pressure(30.0), 30.0)):
        problem.cavity_pressure.value = p
        info = problem.solve()
        result = evaluator.evaluate()
        prof = result["axial_profile"]
        z = np.array(prof["z_nm"])
        s_rr = np.array(prof["sigma_zz_MPa"], dtype=float)  # on the axis sigma_zz is the radial stress
        assert np.max(np.abs(s_rr - hill.sigma_r(z, p))) < 0.01 * p
        wall = result["regions"]["wall"]
        assert wall["radial_min_MPa"] == pytest.approx(-p, rel=0.01)
        assert wall["hoop_max_MPa"] == pytest.approx(float(np.max(hill.sigma_t(np.linspace(20, 40, 2001), p))),
                                                     abs=0.01 * p)
        hoop_b = _point_stress(problem, "wall", 40.0 - 1e-6, 0.0)[1, 1]
        assert hoop_b == pytest.approx(float(hill.sigma_t(40.0, p)), abs=0.01 * p)
        if c_expected is None:
            assert wall["equivalent_plastic_strain_max"] == 0.0
        else:
            c = 40.0 * (hoop_b / 500.0) ** (1 / 3)
            assert c == pytest.approx(hill.plastic_radius(p), rel=0.01)
            assert wall["von_mises_max_MPa"] == pytest.approx(500.0, rel=0.01)
            assert wall["plastic_volume_fraction"] == pytest.approx((30**3 - 20**3) / (40**3 - 20**3), abs=0.03)
        assert info.newton_iterations >= 1
    problem.destroy()


def _check_against_1d(overrides, stress_tol=0.02, plastic_tol=0.03, increments=40, elements=200):
    case = load_case(LAME, list(overrides))
    summary = solve(LAME, *overrides)
    ref = sphere1d_for(case, elements_per_layer=elements)
    names = [layer.name for layer in case.geometry.layers]
    worst_plastic = 0.0
    for theta, stage in zip(stage_thetas(case), summary["stages"]):
        result = ref.step(theta, increments=increments)
        errors = compare(stage["regions"], result, names)
        assert max(errors.values()) < stress_tol, (stage["soc"], sorted(errors.items(), key=lambda kv: -kv[1])[:4])
        for i, name in enumerate(names):
            exact = result.region_extrema(i)["equivalent_plastic_strain_max"]
            fe = stage["regions"][name]["equivalent_plastic_strain_max"]
            if exact > 1e-3:
                worst_plastic = max(worst_plastic, abs(fe - exact) / exact)
            else:
                assert fe < 3e-3, (name, fe)
    assert worst_plastic < plastic_tol, worst_plastic
    return summary


def test_swelling_core_in_a_yielding_shell_matches_1d():
    summary = _check_against_1d(["model.kinematics=finite", 'materials.i-NMC-isotropic.yield_strength="300 MPa"',
                                 'materials.i-NMC-isotropic.hardening_modulus="2 GPa"'])
    assert summary["stages"][-1]["regions"]["inner"]["plastic_volume_fraction"] > 0.5


def test_plastic_shrinking_core_matches_1d():
    summary = _check_against_1d(["model.kinematics=finite", "stages.mode=shrinking-core", "stages.soc=[0.3, 0.6]",
                                 'materials.ZnSe.yield_strength="1 GPa"', 'materials.ZnSe.hardening_modulus="1 GPa"'])
    assert summary["stages"][-1]["regions"]["core"]["equivalent_plastic_strain_max"] > 0.01


def test_depotassiation_cycle_leaves_the_residual_stress_of_1d():
    """Potassiated to 1 and back to 0 with a yielding shell: the shell's plastic stretch stays,
    so the unloaded particle keeps residual stresses, those of the 1D solution."""
    summary = _check_against_1d(["model.kinematics=finite", "stages.soc=[1.0, 0.0]",
                                 'materials.i-NMC-isotropic.yield_strength="300 MPa"', 'materials.i-NMC-isotropic.hardening_modulus="2 GPa"'])
    residual = summary["stages"][-1]["regions"]
    assert residual["inner"]["von_mises_max_MPa"] > 50.0  # not stress-free


def test_mpi_equals_serial(tmp_path):
    """A finite-strain plastic run on 2 MPI ranks gives the serial numbers."""
    args = ["run", str(LAME), "--set", "model.kinematics=finite", "--set", 'materials.i-NMC-isotropic.yield_strength="300 MPa"',
            "--set", 'mesh.size="10 nm"', "--set", 'mesh.interface_size="3 nm"', "--set", "output.fields=false"]
    serial = swellfem_cli(*args, "-o", str(tmp_path / "serial"))
    assert serial.returncode == 0, serial.stderr
    parallel = swellfem_cli(*args, "-o", str(tmp_path / "mpi"), mpi=2)
    assert parallel.returncode == 0, parallel.stderr
    a = json.loads((tmp_path / "serial" / "summary.json").read_text())
    b = json.loads((tmp_path / "mpi" / "summary.json").read_text())
    assert b["mesh"]["mpi_ranks"] == 2
    for sa, sb in zip(a["stages"], b["stages"]):
        for name, ra in sa["regions"].items():
            for key, va in ra.items():
                if isinstance(va, float):
                    assert sb["regions"][name][key] == pytest.approx(va, rel=1e-6, abs=1e-6), (name, key)
        assert sb["newton_iterations"] == sa["newton_iterations"]


def test_recovered_vertex_stress_stays_on_the_yield_surface():
    """The ZnSe headline's particle (finite strain, J2 at 1 GPa, H = 100 MPa, a 2 nm reaction
    front): the stresses recovered at the vertices of the cells the front crosses are capped at
    the yield surface (QuadratureLaw._cap_vertex_deviators), so the axisymmetric von Mises
    maximum equals the spherical-1d one (the material points' return map) within 0.5 %; without
    the cap it was 1432 against 1062 MPa at SOC 0.4."""
    case = CASES / "znse" / "znse_bare.toml"
    common = ['model.kinematics="finite"', 'materials.ZnSe.yield_strength="1 GPa"',
              'materials.ZnSe.hardening_modulus="100 MPa"', "stages.soc=[0.2, 0.4]", "output.axial_points_per_layer=5"]
    mesh, radial = solve(case, *common), solve(case, *common, 'model.formulation="spherical-1d"')
    for a, b in zip(mesh["stages"], radial["stages"]):
        assert a["regions"]["ZnSe"]["von_mises_max_MPa"] == pytest.approx(b["regions"]["ZnSe"]["von_mises_max_MPa"],
                                                                           rel=5e-3), a["soc"]
        assert a["regions"]["ZnSe"]["von_mises_max_MPa"] < 1.1e3 / 0.95  # 1 GPa + H ep, Cauchy = Kirchhoff / Je
