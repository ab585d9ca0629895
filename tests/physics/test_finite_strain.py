"""Finite-strain elasticity (F = Fe Fs, Hencky) against small strain, free swelling and the
independent 1D spherically symmetric solution (swellfem.sphere1d).

Tolerances (issue 10): finite with beta -> 0 equals small within 0.5 % of the peak; free
uniform swelling is stress-free (1e-6 of E) with deformed volume (1 + beta) V0 (1e-6) in all
three formulations; the finite elastic layered sphere matches the 1D solution within 1 % of
the peak stress on the default mesh; Newton converges quadratically.
"""

from __future__ import annotations

import numpy as np
import pytest

from swellfem.case import load_case

from conftest import CASES, solve
from reference import compare, sphere1d_for

LAME = CASES / "verification" / "lame_3layer.toml"
FINITE = ("model.kinematics=finite",)
COARSE_3D = ('mesh.size="40 nm"', 'mesh.interface_size="15 nm"', "mesh.min_elements_across_layer=1")


def test_finite_with_small_swelling_equals_small_strain():
    tiny = ("materials.ZnSe.volumetric_expansion=1e-4", "materials.outer-swelling.volumetric_expansion=3e-6")
    small, finite = solve(LAME, *tiny), solve(LAME, *tiny, *FINITE)
    a, b = small["stages"][-1]["regions"], finite["stages"][-1]["regions"]
    scale = max(abs(v) for r in a.values() for k, v in r.items() if k.endswith("_MPa"))
    worst = max(abs(b[r][k] - a[r][k]) / scale for r in a for k in a[r] if k.endswith("_MPa") and a[r][k] is not None)
    assert worst < 0.005, worst


@pytest.mark.parametrize("formulation", ["axisymmetric", "3d-octant", "3d"])
def test_free_swelling_is_stress_free_with_the_swollen_volume(formulation):
    beta = 1.84
    overrides = [*FINITE, f"model.formulation={formulation}", f"materials.i-NMC-isotropic.volumetric_expansion={beta}",
                 f"materials.outer-swelling.volumetric_expansion={beta}", "stages.soc=[1.0]"]
    if formulation != "axisymmetric":
        overrides += list(COARSE_3D)
    summary = solve(LAME, *overrides)
    stage = summary["stages"][-1]
    E_max = 120e3
    for name, r in stage["regions"].items():
        assert r["von_mises_max_MPa"] < 1e-6 * E_max, (name, r["von_mises_max_MPa"])
        assert abs(r["principal_max_MPa"]) < 1e-6 * E_max
    assert stage["deformed_volume_nm3"] / stage["volume_nm3"] == pytest.approx(1 + beta, rel=1e-6)
    total = sum(r["deformed_volume_nm3"] for r in stage["regions"].values())
    assert total == pytest.approx(stage["deformed_volume_nm3"], rel=1e-9)


def test_finite_elastic_layered_sphere_matches_the_1d_solution():
    """ZnSe core (beta 1.84) in two shells, one of them swelling: finite strain, the default
    mesh, both stages, every per-region extremum within 1 % of the largest stress."""
    case = load_case(LAME, list(FINITE))
    summary = solve(LAME, *FINITE)
    ref = sphere1d_for(case)
    names = [layer.name for layer in case.geometry.layers]
    for soc, stage in zip(case.stages.soc, summary["stages"]):
        result = ref.step(soc, increments=4)
        errors = compare(stage["regions"], result, names)
        assert max(errors.values()) < 0.01, sorted(errors.items(), key=lambda kv: -kv[1])[:4]
        # deformed volume: the 1D outer radius
        volume = 4 / 3 * np.pi * result.outer_radius_nm**3
        assert stage["deformed_volume_nm3"] == pytest.approx(volume, rel=2e-3)


def test_newton_converges_quadratically():
    """The residual history of a finite-strain plastic stage: near the solution each residual
    is about the square of the one before (relative to the first), order >= 1.8."""
    from swellfem.studies.run import build_problem
    from swellfem.potassiation.stages import StageDriver

    case = load_case(LAME, [*FINITE, 'materials.ZnSe.yield_strength="1 GPa"', "model.load_increments=4"])
    problem = build_problem(case)
    driver = StageDriver(problem, case)
    orders = []
    for _ in driver.stages():
        info = problem.solve()
        for history in info.residuals:
            rel = np.asarray(history) / history[0]
            for r0, r1 in zip(rel[:-1], rel[1:]):
                if 1e-10 < r1 and r0 < 1e-2:  # the asymptotic range, above round-off
                    orders.append(np.log(r1) / np.log(r0))
    problem.destroy()
    assert len(orders) >= 3
    assert min(orders) > 1.8, orders


def test_finite_strain_error_converges_under_refinement():
    """Halving the element sizes reduces the largest error against the 1D solution by at
    least 2 (quadratic elements: about 4 expected)."""
    case = load_case(LAME, list(FINITE))
    names = [layer.name for layer in case.geometry.layers]
    ref = sphere1d_for(case).step(case.stages.soc[0], increments=4)
    errors = []
    for size, iface in (("10 nm", "3 nm"), ("5 nm", "1.5 nm")):
        summary = solve(LAME, *FINITE, f'mesh.size="{size}"', f'mesh.interface_size="{iface}"', "stages.soc=[0.5]")
        errors.append(max(compare(summary["stages"][0]["regions"], ref, names).values()))
    assert errors[1] < errors[0] / 2, errors


@pytest.mark.slow
def test_finite_plastic_octant_matches_the_1d_solution():
    """The yielding-shell case in the 3D octant on the default mesh: 2 % of the peak."""
    overrides = [*FINITE, 'model.formulation="3d-octant"', 'materials.i-NMC-isotropic.yield_strength="300 MPa"',
                 'materials.i-NMC-isotropic.hardening_modulus="2 GPa"']
    case = load_case(LAME, overrides)
    summary = solve(LAME, *overrides)
    ref = sphere1d_for(case)
    names = [layer.name for layer in case.geometry.layers]
    for soc, stage in zip(case.stages.soc, summary["stages"]):
        errors = compare(stage["regions"], ref.step(soc, increments=20), names)
        assert max(errors.values()) < 0.02, sorted(errors.items(), key=lambda kv: -kv[1])[:4]
