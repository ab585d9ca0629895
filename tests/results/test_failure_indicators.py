"""Failure indicators: the max principal elastic strain of a region against the exact Lame
solution, and the stress, strain and adhesion ratios as defined."""

from __future__ import annotations

import numpy as np
import pytest

from swellfem.exact import LayeredSphere
from swellfem.physics import eigenstrain_numpy

from conftest import CASES, solve

LAME = CASES / "verification" / "lame_3layer.toml"


def test_strain_and_ratios_on_the_lame_sphere():
    summary = solve(LAME, "stages.soc=[1.0]", 'materials.outer-swelling.tensile_strength="1 GPa"',
                    "materials.outer-swelling.fracture_strain=0.01", 'adhesion_strength={"inner|outer"="50 MPa"}',
                    "output.axial_points_per_layer=5")
    layers = summary["case"]["layers"]
    radii = [lay["outer_radius_nm"] for lay in layers]
    E = [1000 * lay["E_GPa"] for lay in layers]
    nu = [lay["nu"] for lay in layers]
    e = [float(eigenstrain_numpy(1.0, lay["volumetric_expansion"], "cube-root")) for lay in layers]
    exact = LayeredSphere.solve(radii, E, nu, e)
    stage = summary["stages"][0]
    for i, lay in enumerate(layers):
        lo = radii[i - 1] if i else 0.0
        r = np.linspace(max(lo, 1e-6), radii[i], 2001)
        s_rr, s_tt = exact.sigma_rr(r, i), exact.sigma_tt(r, i)
        eps_rr = (s_rr - 2 * nu[i] * s_tt) / E[i]
        eps_tt = ((1 - nu[i]) * s_tt - nu[i] * s_rr) / E[i]
        ref = max(eps_rr.max(), eps_tt.max())
        got = stage["regions"][lay["name"]]["max_principal_strain"]
        assert got == pytest.approx(ref, rel=0.01, abs=1e-3 * abs(e[0])), lay["name"]
    outer = stage["regions"]["outer"]
    assert outer["strength_ratio_max"] == pytest.approx(outer["principal_max_MPa"] / 1000.0, rel=1e-12)
    assert outer["fracture_strain_ratio_max"] == pytest.approx(outer["max_principal_strain"] / 0.01, rel=1e-12)
    assert stage["regions"]["core"]["strength_ratio_max"] is None  # ZnSe has no strength data
    iface = stage["interfaces"]["inner|outer"]
    assert iface["adhesion_ratio_max"] == pytest.approx(iface["normal_stress_max_MPa"] / 50.0, rel=1e-12)
    assert stage["interfaces"]["core|inner"]["adhesion_ratio_max"] is None
    assert summary["case"]["layers"][2]["tensile_strength_MPa"] == 1000.0
