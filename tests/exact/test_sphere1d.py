"""The 1D spherical reference solver (swellfem.sphere1d) against exact solutions, and its own
consistency: free swelling, small/finite agreement, mesh convergence, equilibrium, Newton's
quadratic convergence, residual stresses of a potassiation cycle. Pure numpy, fast."""

from __future__ import annotations

import numpy as np
import pytest

from swellfem.exact import HillSphere, LayeredSphere
from swellfem.sphere1d import Layer1D, Sphere1D, Sphere1DError

E_CORE, E_SHELL = 50e3, 200e3


def _three_layers(beta=(0.3, 0.0, 0.06), **extra):
    return [Layer1D(10.0, 50e3, 0.3, beta[0], **extra), Layer1D(12.0, 200e3, 0.25, beta[1]),
            Layer1D(15.0, 10e3, 0.2, beta[2])]


def _error_vs(result, sr_fn, st_fn, layers):
    """max |sigma_fe - sigma_exact| / max |sigma_exact| over all material points."""
    err, peak = 0.0, 0.0
    for i in layers:
        m = result.layer == i
        R = result.R0_nm[m]
        sr, st = sr_fn(R, i), st_fn(R, i)
        err = max(err, np.abs(result.sigma_r_MPa[m] - sr).max(), np.abs(result.sigma_t_MPa[m] - st).max())
        peak = max(peak, np.abs(sr).max(), np.abs(st).max())
    return err / peak


def _front(front, width=0.5):
    """A potassiation profile: 1 outside the front radius, 0 inside (smooth, width in nm)."""
    return lambda R: 0.5 * (1 + np.tanh((R - front) / width))


# --- 1. small strain, elastic, 3 layers, uniform eigenstrain ------------------------------------


def test_small_elastic_three_layers_match_lame():
    layers = _three_layers()
    sphere = Sphere1D(layers, kinematics="small", convention="linear")
    res = sphere.step(1.0, increments=1)
    exact = LayeredSphere.solve([10, 12, 15], [50e3, 200e3, 10e3], [0.3, 0.25, 0.2], [0.1, 0.0, 0.02])
    assert _error_vs(res, exact.sigma_rr, exact.sigma_tt, range(3)) <= 1e-3
    # the region extrema (interfaces included) too
    for i in range(3):
        got, want = res.region_extrema(i), exact.region_extrema(i)
        scale = max(abs(v) for v in want.values())
        for k, v in want.items():
            assert abs(got[k] - v) <= 1e-3 * scale, (i, k, got[k], v)


def test_small_elastic_uses_the_potassiated_modulus():
    """Elastic response is path independent: at theta = 1 only E(1) matters."""
    layers = [Layer1D(10.0, 80e3, 0.3, 0.3, E_potassiated_MPa=20e3), Layer1D(12.0, 200e3, 0.25)]
    sphere = Sphere1D(layers, kinematics="small", convention="linear", elements_per_layer=100)
    sphere.step(0.4, increments=3)
    res = sphere.step(1.0, increments=3)
    exact = LayeredSphere.solve([10, 12], [20e3, 200e3], [0.3, 0.25], [0.1, 0.0])
    assert _error_vs(res, exact.sigma_rr, exact.sigma_tt, range(2)) <= 1e-3


# --- 2. Hill's hollow sphere -----------------------------------------------------------------


@pytest.mark.parametrize("potassiated", [False, True])
def test_small_hollow_sphere_matches_hill(potassiated):
    a, b, sy = 5.0, 15.0, 300.0
    if potassiated:  # the yield strength at theta = 1 (linear in theta), beta = 0
        layer = Layer1D(b, 100e3, 0.3, yield_strength_MPa=900.0, yield_strength_potassiated_MPa=sy)
        theta = 1.0
    else:
        layer, theta = Layer1D(b, 100e3, 0.3, yield_strength_MPa=sy), 0.0
    hill = HillSphere(a, b, sy)
    c = 0.5 * (a + b)
    p = hill.pressure(c)
    assert hill.plastic_radius(p) == pytest.approx(c, rel=1e-12)
    sphere = Sphere1D([layer], cavity_radius_nm=a, kinematics="small")
    if potassiated:
        sphere.step(theta, increments=1)
    res = sphere.step(theta, pressure_MPa=p, increments=20)
    err = _error_vs(res, lambda R, i: hill.sigma_r(R, p), lambda R, i: hill.sigma_t(R, p), [0])
    assert err <= 5e-3
    plastic = res.equivalent_plastic_strain > 0
    c_lo, c_hi = res.R0_nm[plastic].max(), res.R0_nm[~plastic].min()
    assert c_lo < c_hi
    assert abs(c_lo - c) <= 5e-3 * c and abs(c_hi - c) <= 5e-3 * c
    assert res.boundary(0, "inner")["sigma_r_MPa"] == pytest.approx(-p, rel=5e-3)


def test_hill_sphere_closed_form_is_consistent():
    a, b, sy = 2.0, 7.0, 100.0
    hill = HillSphere(a, b, sy)
    assert hill.first_yield_pressure == pytest.approx(2 * sy / 3 * (1 - a**3 / b**3))
    assert hill.limit_pressure == pytest.approx(2 * sy * np.log(b / a))
    p_yield, p_limit = hill.first_yield_pressure, hill.limit_pressure
    for p in (0.5 * p_yield, p_yield, 0.5 * (p_yield + p_limit)):
        c = hill.plastic_radius(p)
        assert hill.sigma_r(a, p) == pytest.approx(-p, rel=1e-10)
        assert hill.sigma_r(b, p) == pytest.approx(0.0, abs=1e-10 * p)
        # sigma_r continuous at c, yield reached at c; |sigma_t - sigma_r| <= sy everywhere
        assert hill.sigma_r(c * (1 - 1e-12), p) == pytest.approx(hill.sigma_r(c * (1 + 1e-12), p), rel=1e-8)
        r = np.linspace(a, b, 501)
        assert np.all(hill.sigma_t(r, p) - hill.sigma_r(r, p) <= sy * (1 + 1e-12))
        if p >= hill.first_yield_pressure:
            assert hill.sigma_t(c, p) - hill.sigma_r(c, p) == pytest.approx(sy, rel=1e-8)
    assert hill.plastic_radius(0.999999 * hill.limit_pressure) > 0.99 * b
    with pytest.raises(ValueError):
        hill.plastic_radius(hill.limit_pressure)


# --- 3. free uniform swelling is stress free ---------------------------------------------------


@pytest.mark.parametrize("convention", ["cube-root", "linear"])
@pytest.mark.parametrize("two_layers", [False, True])
def test_finite_free_uniform_swelling_is_stress_free(convention, two_layers):
    beta = 1.84
    if two_layers:
        layers = [Layer1D(6.0, E_CORE, 0.3, beta, E_potassiated_MPa=10e3), Layer1D(10.0, E_SHELL, 0.2, beta)]
    else:
        layers = [Layer1D(10.0, E_CORE, 0.3, beta, yield_strength_MPa=500.0)]
    sphere = Sphere1D(layers, convention=convention, elements_per_layer=50)
    res = sphere.step(1.0, increments=5)
    stress = max(np.abs(res.sigma_r_MPa).max(), np.abs(res.sigma_t_MPa).max())
    assert stress <= 1e-8 * E_SHELL
    s = (1 + beta) ** (1 / 3) if convention == "cube-root" else 1 + beta / 3
    assert res.outer_radius_nm == pytest.approx(10.0 * s, rel=1e-12)
    np.testing.assert_allclose(res.r_nm, res.R0_nm * s, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(res.J, s**3, rtol=1e-10)
    assert res.equivalent_plastic_strain.max() == 0.0


# --- 4. finite with small beta is small strain ------------------------------------------------


def test_finite_with_small_beta_matches_small_strain_elastic():
    layers = _three_layers(beta=(1e-4, 0.0, 2e-5))
    fin = Sphere1D(layers, kinematics="finite", elements_per_layer=100).step(1.0, increments=1)
    sml = Sphere1D(layers, kinematics="small", elements_per_layer=100).step(1.0, increments=1)
    peak = max(np.abs(sml.sigma_r_MPa).max(), np.abs(sml.sigma_t_MPa).max())
    assert np.abs(fin.sigma_r_MPa - sml.sigma_r_MPa).max() <= 5e-3 * peak
    assert np.abs(fin.sigma_t_MPa - sml.sigma_t_MPa).max() <= 5e-3 * peak


def test_finite_with_small_beta_matches_small_strain_plastic():
    """A front that yields the surface (sy scaled with beta)."""
    layers = [Layer1D(10.0, E_CORE, 0.3, 1e-4, yield_strength_MPa=0.5, hardening_modulus_MPa=50.0)]
    out = {}
    for kin in ("finite", "small"):
        sphere = Sphere1D(layers, kinematics=kin, elements_per_layer=100)
        sphere.step(_front(7.0), increments=4)
        out[kin] = sphere.step(1.0, increments=2)
    assert out["small"].equivalent_plastic_strain.max() > 0
    peak = np.abs(out["small"].sigma_t_MPa).max()
    assert np.abs(out["finite"].sigma_t_MPa - out["small"].sigma_t_MPa).max() <= 5e-3 * peak
    assert np.abs(out["finite"].sigma_r_MPa - out["small"].sigma_r_MPa).max() <= 5e-3 * peak


def test_finite_hollow_sphere_with_small_strains_matches_hill():
    """The follower cavity pressure of the finite model: at sy / E = 1e-4 it is Hill's sphere."""
    a, b, sy = 5.0, 15.0, 10.0
    hill = HillSphere(a, b, sy)
    p = hill.pressure(0.5 * (a + b))
    sphere = Sphere1D([Layer1D(b, 100e3, 0.3, yield_strength_MPa=sy)], cavity_radius_nm=a, kinematics="finite")
    res = sphere.step(0.0, pressure_MPa=p, increments=20)
    err = _error_vs(res, lambda R, i: hill.sigma_r(R, p), lambda R, i: hill.sigma_t(R, p), [0])
    assert err <= 5e-3


# --- 5. finite elastic core in a stiff shell: mesh convergence, equilibrium --------------------


def _core_shell(n):
    layers = [Layer1D(10.0, E_CORE, 0.3, 1.84), Layer1D(12.0, E_SHELL, 0.25, 0.0)]
    sphere = Sphere1D(layers, elements_per_layer=n)
    return sphere, sphere.step(1.0, increments=10)


def test_finite_core_shell_mesh_convergence_and_equilibrium():
    _, coarse = _core_shell(100)
    sphere, fine = _core_shell(200)
    for layer in (0, 1):
        a, b = coarse.region_extrema(layer), fine.region_extrema(layer)
        scale = max(abs(v) for v in b.values())
        for k in b:
            assert abs(a[k] - b[k]) <= 1e-3 * scale, (layer, k, a[k], b[k])
    # the core is hydrostatic; the shell hoop stress is large and tensile
    core = fine.region_extrema(0)
    assert core["von_mises_max_MPa"] <= 1e-6 * abs(core["hydrostatic_min_MPa"])
    assert core["hydrostatic_max_MPa"] < -1e3 and fine.region_extrema(1)["hoop_max_MPa"] > 1e4
    peak = np.abs(fine.sigma_t_MPa).max()
    # traction continuity at the interface (Cauchy, both sides), free outer surface
    assert abs(fine.boundary(0)["sigma_r_MPa"] - fine.boundary(1, "inner")["sigma_r_MPa"]) <= 1e-5 * peak
    assert fine.boundary(0)["r_nm"] == fine.boundary(1, "inner")["r_nm"]
    assert abs(fine.boundary(1)["sigma_r_MPa"]) <= 1e-5 * peak
    # equilibrium of a deformed half sphere: int_0^rb sigma_t r dr = 0
    r, st = fine.r_nm, fine.sigma_t_MPa
    integral = np.sum(0.5 * (st[1:] * r[1:] + st[:-1] * r[:-1]) * np.diff(r))
    assert abs(integral) <= 1e-5 * peak * fine.outer_radius_nm**2 / 2
    # local equilibrium in the deformed configuration, d sigma_r/dr = 2 (sigma_t - sigma_r)/r, element
    # by element in the shell: the jump of sigma_r over an element against the integral of the right
    # side (trapezoid over the element's 5 material points)
    m = fine.layer == 1
    r, sr, st = (v[m].reshape(-1, 5) for v in (fine.r_nm, fine.sigma_r_MPa, fine.sigma_t_MPa))
    f = 2 * (st - sr) / r
    integral = np.sum(0.5 * (f[:, 1:] + f[:, :-1]) * np.diff(r, axis=1), axis=1)
    jump = sr[:, -1] - sr[:, 0]
    assert np.abs(integral - jump).max() <= 1e-5 * np.abs(jump).max()
    # the first Piola traction is continuous too and vanishes at the outer surface
    P = sphere.nominal_traction()
    assert abs(P[-1]) <= 1e-5 * peak


# --- 6. Newton: quadratic convergence; the analytic tangent is the derivative ----------------


def test_newton_converges_quadratically_in_a_plastic_finite_case():
    layers = [Layer1D(10.0, E_CORE, 0.3, 1.84, yield_strength_MPa=500.0, hardening_modulus_MPa=1e3)]
    sphere = Sphere1D(layers, elements_per_layer=100)
    sphere.step(_front(12.0), increments=2)
    res = sphere.step(_front(9.0), increments=2)
    assert res.equivalent_plastic_strain.max() > 0.1
    hist = np.array(sphere.residual_history)
    assert hist[-1] <= sphere.tolerance and len(hist) >= 4
    pairs = [(hist[k], hist[k + 1]) for k in range(len(hist) - 1) if hist[k] < 1e-3 and hist[k + 1] > 1e-14]
    assert len(pairs) >= 2, hist
    for rk, rk1 in pairs:
        assert np.log(rk1) / np.log(rk) >= 1.8, hist


@pytest.mark.parametrize("kinematics", ["finite", "small"])
def test_the_tangent_is_the_derivative_of_the_residual(kinematics):
    layers = [Layer1D(2.0, E_CORE, 0.3, 0.5, yield_strength_MPa=500.0, hardening_modulus_MPa=2e3),
              Layer1D(3.0, E_SHELL, 0.25, 0.0, yield_strength_MPa=3e3, E_potassiated_MPa=1e5)]
    sphere = Sphere1D(layers, cavity_radius_nm=0.5, kinematics=kinematics, elements_per_layer=3)
    sphere.step(_front(2.5, 0.3), pressure_MPa=200.0, increments=3)
    theta = sphere.theta_at(_front(1.5, 0.3))
    u = sphere.u + 0.01 * np.sin(np.arange(sphere.n_dofs))
    ev = sphere._evaluate(u, theta, 300.0, sphere.ep_r, sphere.epbar)
    band = ev["band"]
    assert (ev["ep_r"] != sphere.ep_r).any()  # plastic points in the check
    n, h = sphere.n_dofs, 1e-7
    for j in range(n):
        du = np.zeros(n)
        du[j] = h
        plus = sphere._evaluate(u + du, theta, 300.0, sphere.ep_r, sphere.epbar, tangent=False)["residual"]
        minus = sphere._evaluate(u - du, theta, 300.0, sphere.ep_r, sphere.epbar, tangent=False)["residual"]
        fd = (plus - minus) / (2 * h)
        analytic = np.array([band[i, j - i + 2] if abs(j - i) <= 2 else 0.0 for i in range(n)])
        np.testing.assert_allclose(analytic, fd, rtol=1e-5, atol=1e-6 * np.abs(band).max())


# --- 7. a potassiation cycle -------------------------------------------------------------------


FRONTS = np.linspace(12.0, -2.0, 8)


def _cycle(yield_strength):
    """Potassiate from the surface inward (a front), hold at theta = 1, depotassiate from the
    surface inward, end at theta = 0; returns the results at the stages."""
    layers = [Layer1D(10.0, E_CORE, 0.3, 1.84, yield_strength_MPa=yield_strength)]
    sphere = Sphere1D(layers, elements_per_layer=100)
    for f in FRONTS:
        sphere.step(_front(f), increments=4)
    full = sphere.step(1.0, increments=2)
    early_back = sphere.step(lambda R: 1 - _front(FRONTS[2])(R), increments=4)
    for f in FRONTS[3:]:
        sphere.step(lambda R, f=f: 1 - _front(f)(R), increments=4)
    end = sphere.step(0.0, increments=2)
    return full, early_back, end


def test_plastic_cycle_leaves_residual_stresses():
    sy = 500.0
    full, early_back, end = _cycle(sy)
    # potassiated (theta = 1 everywhere): residual stresses, the surface hoop stress tensile at yield
    surface = full.boundary(0)
    assert full.equivalent_plastic_strain.max() > 0.1
    je = surface["J"] / (1 + 1.84)  # J = Je Js
    assert surface["sigma_t_MPa"] > 0
    assert surface["sigma_t_MPa"] - surface["sigma_r_MPa"] == pytest.approx(sy / je, rel=1e-6)
    assert np.abs(full.sigma_t_MPa).max() > 2 * sy
    # depotassiation from the surface: the shrinking surface is in hoop tension (Cui, Gao & Qu 2012)
    back = early_back.boundary(0)
    assert back["sigma_t_MPa"] > 0.9 * sy and back["equivalent_plastic_strain"] > surface["equivalent_plastic_strain"]
    # back at theta = 0: residual stresses. The last region to shrink, the centre, ends in tension
    # and the surface, stretched plastically while it shrank first, ends in hoop compression (the
    # pattern of a quenched sphere): the surface hoop tension belongs to the potassiated state and
    # the early depotassiation above, not to theta = 0 after a surface-first depotassiation.
    assert np.abs(end.sigma_t_MPa).max() > 2 * sy
    assert end.sigma_t_MPa[0] > sy
    assert end.boundary(0)["sigma_t_MPa"] < -0.9 * sy
    # a yielded point sits on the yield surface: Cauchy von Mises = sy / Je
    edge = end.boundary(0)
    assert abs(edge["sigma_t_MPa"] - edge["sigma_r_MPa"]) == pytest.approx(sy / edge["J"], rel=1e-6)
    assert end.outer_radius_nm != pytest.approx(10.0, abs=1e-6)


def test_elastic_cycle_returns_stress_free():
    full, early_back, end = _cycle(None)
    assert np.abs(early_back.sigma_t_MPa).max() > 1e3  # stressed on the way
    assert max(np.abs(end.sigma_r_MPa).max(), np.abs(end.sigma_t_MPa).max()) <= 1e-7 * E_CORE
    assert end.outer_radius_nm == pytest.approx(10.0, rel=1e-10)
    assert end.equivalent_plastic_strain.max() == 0.0


# --- errors -------------------------------------------------------------------------------------


def test_clear_errors():
    layers = [Layer1D(10.0, E_CORE, 0.3, 1.84), Layer1D(12.0, E_SHELL, 0.25, 0.0)]
    sphere = Sphere1D(layers, elements_per_layer=10, max_iterations=1, max_cuts=2)
    with pytest.raises(Sphere1DError, match="substep cuts.*no convergence"):
        sphere.step(1.0, increments=1)
    with pytest.raises(ValueError, match="cavity"):
        Sphere1D([Layer1D(1.0, 1e3, 0.3)]).step(0.0, pressure_MPa=1.0)
    with pytest.raises(ValueError, match="increase"):
        Sphere1D([Layer1D(2.0, 1e3, 0.3), Layer1D(1.0, 1e3, 0.3)])
    with pytest.raises(ValueError):
        Layer1D(1.0, 1e3, 0.5)
