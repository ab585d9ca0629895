"""Interface normal stress at a potassiation front: one value over a spherical interface
(spherical symmetry), equal to an independent 1D solution of the layered sphere with the same
radial eigenstrain (swellfem.exact.LayeredSphereRadialEigenstrain)."""

from __future__ import annotations

import pytest

from swellfem.exact import LayeredSphereRadialEigenstrain

from conftest import CASES, front_exact as _exact, solve

ZNSE_ORGO = CASES / "znse" / "znse_inmc_orgo.toml"


def test_one_dimensional_reference_reduces_to_lame():
    from swellfem.exact import LayeredSphere

    radii, E, nu = [50, 65, 70], [67200, 30000, 250000], [0.28, 0.2, 0.17]
    lame = LayeredSphere.solve(radii, E, nu, [0.1, 0.0, 0.02])
    ref = LayeredSphereRadialEigenstrain.solve(radii, E, nu, [lambda r, e=e: e + 0 * r for e in (0.1, 0.0, 0.02)])
    for layer, r in ((0, 30.0), (1, 50.0), (1, 60.0), (2, 70.0)):
        assert ref.sigma_rr(r, layer)[0] == pytest.approx(lame.sigma_rr(r, layer), rel=1e-9, abs=1e-9)
        assert ref.sigma_tt(r, layer)[0] == pytest.approx(lame.sigma_tt(r, layer), rel=1e-9)


def test_interface_normal_stress_at_fronts_is_one_value_default_mesh():
    """Axisymmetric, the case's own (default) mesh, fronts at SOC 0.2 (3.6 nm from the
    ZnSe|i-NMC interface) and 0.6: max - min over each interface <= 2 % of its value, and both
    within 1 % of the 1D solution."""
    summary = solve(ZNSE_ORGO, "stages.soc=[0.2, 0.6]", "output.axial_points_per_layer=5")
    layers = [lay["name"] for lay in summary["case"]["layers"]]
    radii = [lay["outer_radius_nm"] for lay in summary["case"]["layers"]]
    for stage in summary["stages"]:
        exact = _exact(summary, stage)
        for i, (a, b) in enumerate(zip(layers[:-1], layers[1:])):
            ref = float(exact.sigma_rr(radii[i], i)[0])
            got = stage["interfaces"][f"{a}|{b}"]
            lo, hi = got["normal_stress_min_MPa"], got["normal_stress_max_MPa"]
            assert (hi - lo) <= 0.02 * abs(ref), (stage["soc"], a, b, lo, hi, ref)
            assert lo == pytest.approx(ref, rel=0.01) and hi == pytest.approx(ref, rel=0.01), (lo, hi, ref)


@pytest.mark.slow
def test_interface_normal_stress_at_a_front_octant_default_mesh():
    """The same in the 3D octant on the case's default mesh (about 4 minutes)."""
    summary = solve(ZNSE_ORGO, "stages.soc=[0.2]", 'model.formulation="3d-octant"',
                    "output.axial_points_per_layer=5")
    stage = summary["stages"][0]
    exact = _exact(summary, stage)
    got = stage["interfaces"]["ZnSe|i-NMC"]
    ref = float(exact.sigma_rr(50.0, 0)[0])
    lo, hi = got["normal_stress_min_MPa"], got["normal_stress_max_MPa"]
    assert (hi - lo) <= 0.02 * abs(ref), (lo, hi, ref)
    assert lo == pytest.approx(ref, rel=0.015) and hi == pytest.approx(ref, rel=0.015), (lo, hi, ref)
