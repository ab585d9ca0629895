"""The carbon laws of docs/carbon_laws.md ("porous", "transverse") in the independent references:
the closed-form small-strain AnisotropicLayeredSphere (swellfem.exact) and the 1D spherical
FE solver (swellfem.sphere1d). Pure numpy, fast (each test well under a few seconds).

What is checked, with its tolerance:

* AnisotropicLayeredSphere: isotropic layers reproduce LayeredSphere (and a Lame hollow sphere
  under pressure) to 1e-10; exponents are the GUIDE formula; equilibrium, the constitutive law,
  traction and displacement continuity and the boundary conditions hold (finite differences of
  the returned fields, 1e-7); clear errors for a degenerate layer with an anisotropic eigenstrain.
* Sphere1D (small strain) with a transverse shell matches the exact solution at the
  interfaces and the surface to 1e-4 of the peak stress (also with an anisotropic swelling
  e_n = 0.6); wrinkle slack (stiffness ratio k, slope sqrt(k)) below / above the slack strain
  matches the exact solution of the softened / pre-strained shell to 1e-4 (below: hoop stress
  ~ k x the no-slack one for C13 = 0; above: extra in-plane eigenstrain (1 - sqrt(k)) s0).
* The porous point map: hydrostatic compaction lies on the closed-form curve p(ev) of the spec
  to 1e-8; uniaxial stress yields at +-sigma_y and flows at sigma_y in tension (H = 0);
  compaction to phi ~ 0.25 then pull-back to zero strain: elastic unloading, tension yield and
  flow at the Y of phi_min (no softening), the closed form to 1e-10, one root of r(x); the
  state phi_min is carried through Sphere1D's substeps (compaction, then swelling removed).
* Finite strain: the transverse law with isotropic constants is the isotropic law (1e-9), the
  elastic porous law is the isotropic law with E (1 - phi0)^2 (1e-9); a porous buffer in a
  transverse shell converges under refinement (50 / 100 / 200 elements per layer, differences
  decreasing, 1e-3), holds local equilibrium in the deformed configuration (Cauchy = Js tau / J);
  finite -> small strain for beta = 1e-4 to 1e-3; the tangent is the derivative of the residual.
"""

from __future__ import annotations

import numpy as np
import pytest

from swellfem.exact import AnisotropicLayeredSphere, HillSphere, LayeredSphere
from swellfem.sphere1d import Layer1D, Sphere1D, point_stress, slack

ALS = AnisotropicLayeredSphere
E_ZNSE, NU_ZNSE, BETA = 67.2e3, 0.28, 0.1  # ZnSe-like core
E_MID, NU_MID = 20e3, 0.3  # the isotropic middle layer
SHELL = {"E_MPa": 250e3, "nu": 0.17, "E_normal_MPa": 38.7e3, "G_normal_MPa": 4.95e3}  # graphite-like, C13 = 0
RADII = (50.0, 65.0, 70.0)  # core, 15 nm middle layer, 5 nm shell
POROUS = {"E_MPa": 20e3, "nu": 0.25, "law": "porous", "porosity": 0.5, "yield_strength_MPa": 100.0,
          "compaction_strength_MPa": 150.0, "hardening_modulus_MPa": 200.0}


def _stiffness(shell_C=None):
    """(C_rr, C_rt, C_tt) per layer of the core / middle / shell system."""
    shell = shell_C if shell_C is not None else ALS.transverse_stiffness(250e3, 0.17, 38.7e3, 4.95e3)
    C = np.array([ALS.isotropic_stiffness(E_ZNSE, NU_ZNSE), ALS.isotropic_stiffness(E_MID, NU_MID), shell])
    return C[:, 0], C[:, 1], C[:, 2]


def _boundary_error(res, exact, n_layers=3):
    """max |FE - exact| of sigma_r, sigma_t at every interface (both sides) and the outer surface,
    over the largest exact value there."""
    err, peak = 0.0, 0.0
    for i in range(n_layers):
        for side in ("inner", "outer"):
            b = res.boundary(i, side)
            if b["R0_nm"] == 0.0:
                continue
            sr, st = float(exact.sigma_r(b["R0_nm"], i)), float(exact.sigma_t(b["R0_nm"], i))
            err = max(err, abs(b["sigma_r_MPa"] - sr), abs(b["sigma_t_MPa"] - st))
            peak = max(peak, abs(sr), abs(st))
    return err / peak


# --- 1. the closed form ------------------------------------------------------------------------


def test_isotropic_layers_reproduce_layered_sphere_and_lame():
    radii, E, nu, e = [10.0, 12.0, 15.0], [50e3, 200e3, 10e3], [0.3, 0.25, 0.2], [0.1, 0.0, 0.02]
    ani, iso = ALS.isotropic(radii, E, nu, e), LayeredSphere.solve(radii, E, nu, e)
    peak = max(np.abs(iso.sigma_tt(iso.layer_samples(i, 11), i)).max() for i in range(3))
    for i in range(3):
        r = iso.layer_samples(i, 41)
        np.testing.assert_allclose(ani.sigma_r(r, i), iso.sigma_rr(r, i), rtol=0, atol=1e-10 * peak)
        np.testing.assert_allclose(ani.sigma_t(r, i), iso.sigma_tt(r, i), rtol=0, atol=1e-10 * peak)
        np.testing.assert_allclose(ani.u(r, i), iso.displacement(r, i), rtol=0, atol=1e-10 * radii[-1] * 0.1)
    assert ani.n1 == pytest.approx((1, 1, 1)) and ani.n2 == pytest.approx((-2, -2, -2))
    # a cavity under pressure: Lame (HillSphere below first yield)
    a, b, p = 5.0, 15.0, 100.0
    lame = ALS.isotropic([b], 100e3, 0.3, 0.0, cavity_radius=a, pressure=p)
    hill = HillSphere(a, b, 1e9)
    r = np.linspace(a, b, 21)
    np.testing.assert_allclose(lame.sigma_r(r, 0), hill.sigma_r(r, p), rtol=0, atol=1e-10 * p)
    np.testing.assert_allclose(lame.sigma_t(r, 0), hill.sigma_t(r, p), rtol=0, atol=1e-10 * p)


def test_transverse_stiffness_and_exponents():
    # the closed-form inverse against the numerical inverse of the compliance (and the solver's)
    Et, nut, En, Gtn, nunt = 250e3, 0.17, 38.7e3, 4.95e3, 0.1
    S = np.array([[1 / Et, -nut / Et, -nunt / En], [-nut / Et, 1 / Et, -nunt / En], [-nunt / En, -nunt / En, 1 / En]])
    C = np.linalg.inv(S)
    v = ALS.transverse_voigt(Et, nut, En, Gtn, nunt)
    for key, (i, j) in {"C11": (0, 0), "C12": (0, 1), "C13": (0, 2), "C33": (2, 2)}.items():
        assert v[key] == pytest.approx(C[i, j], rel=1e-12)
    layer = Layer1D(1.0, Et, nut, law="transverse", E_normal_MPa=En, G_normal_MPa=Gtn, nu_normal=nunt)
    for key, value in layer.transverse_stiffness().items():
        assert value == pytest.approx(v[key], rel=1e-12)
    Crr, Crt, Ctt = ALS.transverse_stiffness(Et, nut, En, Gtn, nunt)
    assert (Crr, Crt, Ctt) == pytest.approx((v["C33"], v["C13"], v["C11"] + v["C12"]), rel=1e-14)
    # GUIDE: n = [-1 +- sqrt(1 + 8 (C11 + C12 - C13) / C33)] / 2; r^n solves the homogeneous equation
    n1, n2 = ALS.exponents(Crr, Crt, Ctt)
    root = np.sqrt(1 + 8 * (v["C11"] + v["C12"] - v["C13"]) / v["C33"])
    assert (n1, n2) == pytest.approx(((-1 + root) / 2, (-1 - root) / 2), rel=1e-14)
    for n in (n1, n2):
        assert Crr * (n * (n - 1) + 2 * n) - 2 * (Ctt - Crt) == pytest.approx(0.0, abs=1e-9 * Crr)
    sphere = ALS.solve([1.0, 2.0], [Crr, Crr], [Crt, Crt], [Ctt, Ctt], [0.0, 0.1], [0.0, 0.02])
    assert sphere.n1 == pytest.approx((n1, n1)) and sphere.n2 == pytest.approx((n2, n2))
    with pytest.raises(ValueError, match="positive definite"):
        ALS.transverse_voigt(Et, nut, En, Gtn, 0.9)
    with pytest.raises(ValueError, match="positive definite"):
        Layer1D(1.0, Et, nut, law="transverse", E_normal_MPa=En, nu_normal=0.9)


@pytest.mark.parametrize("cavity", [False, True])
def test_exact_equilibrium_and_continuity(cavity):
    """Finite differences of the returned fields: equilibrium, the constitutive law (with the
    eigenstrains), continuity of u and sigma_r, the boundary conditions."""
    Crr, Crt, Ctt = _stiffness(ALS.transverse_stiffness(250e3, 0.17, 38.7e3, 4.95e3, 0.1))
    Crr, Crt, Ctt = Crr.copy(), Crt.copy(), Ctt.copy()
    Crr[0], Crt[0], Ctt[0] = ALS.transverse_stiffness(80e3, 0.2, 30e3, 10e3, 0.05)  # an anisotropic core, n1 > 1
    er, et = [0.02, -0.01, 0.3], [0.05, -0.01, 0.01]  # the middle layer is isotropic
    a, p = (20.0, 300.0) if cavity else (0.0, 0.0)
    ex = ALS.solve(RADII, Crr, Crt, Ctt, er, et, cavity_radius=a, pressure=p)
    peak = max(np.abs(ex.sigma_t(ex.layer_samples(i, 51)[1:], i)).max() for i in range(3))
    bounds = (a,) + RADII
    for i in range(3):
        r = np.linspace(bounds[i], bounds[i + 1], 41)[1:-1]
        h = 1e-5 * r
        dsr = (ex.sigma_r(r + h, i) - ex.sigma_r(r - h, i)) / (2 * h)
        sr, st = ex.sigma_r(r, i), ex.sigma_t(r, i)
        # d sigma_r/dr + 2 (sigma_r - sigma_t) / r = 0, relative to the terms
        assert np.all(np.abs(r * dsr + 2 * (sr - st)) <= 1e-7 * (np.abs(r * dsr) + 2 * np.abs(sr - st)) + 1e-12 * peak)
        du = (ex.u(r + h, i) - ex.u(r - h, i)) / (2 * h)
        e_r, e_t = du - er[i], ex.u(r, i) / r - et[i]
        np.testing.assert_allclose(sr, Crr[i] * e_r + 2 * Crt[i] * e_t, rtol=0, atol=1e-7 * peak)
        np.testing.assert_allclose(st, Crt[i] * e_r + Ctt[i] * e_t, rtol=0, atol=1e-7 * peak)
    for i in range(2):
        rb = RADII[i]
        assert float(ex.sigma_r(rb, i)) == pytest.approx(float(ex.sigma_r(rb, i + 1)), abs=1e-10 * peak)
        assert float(ex.u(rb, i)) == pytest.approx(float(ex.u(rb, i + 1)), abs=1e-12 * rb)
    assert float(ex.sigma_r(RADII[-1], 2)) == pytest.approx(0.0, abs=1e-10 * peak)
    if cavity:
        assert float(ex.sigma_r(a, 0)) == pytest.approx(-p, abs=1e-10 * peak)
    else:  # a solid anisotropic core with n1 > 1: finite, equal stresses at the centre
        assert float(ex.u(0.0, 0)) == 0.0
        assert float(ex.sigma_r(0.0, 0)) == pytest.approx(float(ex.sigma_t(0.0, 0)), rel=1e-12)
    # layer=None picks each radius's layer
    r = np.array([10.0, 55.0, 68.0])
    np.testing.assert_allclose(ex.sigma_t(r), [float(ex.sigma_t(x, i)) for x, i in zip(r, (0, 1, 2))])


def test_exact_degenerate_layer_errors():
    C = ALS.isotropic_stiffness(100e3, 0.3)
    ALS.solve([1.0], *C, 0.01, 0.01)  # isotropic eigenstrain: fine
    with pytest.raises(ValueError, match="r ln r"):
        ALS.solve([1.0], *C, 0.02, 0.01)
    with pytest.raises(ValueError, match="positive definite"):
        ALS.solve([1.0], 1.0, 2.0, 1.0)
    with pytest.raises(ValueError, match="cavity"):
        ALS.solve([1.0], *C, pressure=1.0)


# --- 2. Sphere1D (small strain) against the exact solution ------------------------------------


def _three_layer_sphere(shell_extra=None, kinematics="small", n=200, beta=BETA, porous_middle=False, **kw):
    mid = Layer1D(RADII[1], **POROUS) if porous_middle else Layer1D(RADII[1], E_MID, NU_MID)
    layers = [Layer1D(RADII[0], E_ZNSE, NU_ZNSE, beta), mid,
              Layer1D(RADII[2], law="transverse", **SHELL, **(shell_extra or {}))]
    return Sphere1D(layers, kinematics=kinematics, convention="linear", elements_per_layer=n, **kw)


@pytest.mark.parametrize("expansion", [(0.0, 0.0), (0.6, 0.05)])
def test_small_transverse_shell_matches_exact(expansion):
    e_n, e_t = expansion
    res = _three_layer_sphere({"expansion_normal": e_n, "expansion_tangential": e_t}).step(1.0, increments=1)
    ex = ALS.solve(RADII, *_stiffness(), [BETA / 3, 0.0, e_n], [BETA / 3, 0.0, e_t])
    assert _boundary_error(res, ex) <= 1e-4
    if e_n:
        assert ex.k[2] != pytest.approx(e_t)  # the anisotropic particular solution is at work


@pytest.mark.parametrize("k", [1e-4, 0.04])
def test_wrinkle_slack_below_and_above_the_slack_strain(k):
    Crr, Crt, Ctt = _stiffness()
    no_slack = _three_layer_sphere().step(1.0, increments=1)
    shell = no_slack.layer == 2
    r = np.sqrt(k)  # the slope of g below the slack; the stiffness ratio is r^2 = k
    # below: the shell's hoop strain (about 0.017) stays under s0 - w/2 = 0.045. With the spec's
    # g(e) = r e the in-plane stress is T_t = g' [(C11 + C12) g + C13 er] = k (C11 + C12) e + r C13 er:
    # the exact solution of a shell with C_rt -> r C13, C_tt -> k (C11 + C12).
    s0 = 0.05
    extra = {"slack_strain": s0} | ({} if k == 1e-4 else {"slack_stiffness_ratio": k})  # 1e-4: the default
    res = _three_layer_sphere(extra).step(1.0, increments=2)
    eps_t = res.r_nm[shell] / res.R0_nm[shell] - 1
    assert eps_t.max() < 0.9 * s0
    soft = ALS.solve(RADII, Crr, [Crt[0], Crt[1], r * Crt[2]], [Ctt[0], Ctt[1], k * Ctt[2]],
                     [BETA / 3, 0, 0], [BETA / 3, 0, 0])
    assert _boundary_error(res, soft) <= 1e-4
    # C13 = 0: the hoop stress is about k times the no-slack one (a bit more: the softer shell
    # restrains the core less, so it strains more)
    ratio_hoop = res.sigma_t_MPa[shell] / no_slack.sigma_t_MPa[shell]
    assert np.all((ratio_hoop > k) & (ratio_hoop < 2 * k))
    # well above: g(e) = e - (1 - r) s0, the no-slack shell with an extra in-plane eigenstrain (1 - r) s0
    s0 = 0.002
    res = _three_layer_sphere({"slack_strain": s0, "slack_stiffness_ratio": k}).step(1.0, increments=2)
    eps_t = res.r_nm[shell] / res.R0_nm[shell] - 1
    assert eps_t.min() > 1.1 * s0
    pre = ALS.solve(RADII, Crr, Crt, Ctt, [BETA / 3, 0, 0], [BETA / 3, 0, (1 - r) * s0])
    assert _boundary_error(res, pre) <= 1e-4


def test_slack_function():
    s0, r = 0.01, 0.05
    e = np.linspace(-0.02, 0.03, 5001)
    g, dg, ddg = slack(e, s0, r)
    np.testing.assert_allclose(g[e < 0.9 * s0], r * e[e < 0.9 * s0], rtol=1e-14)
    np.testing.assert_allclose(g[e > 1.1 * s0], e[e > 1.1 * s0] - (1 - r) * s0, rtol=1e-13, atol=1e-17)
    h = e[1] - e[0]
    np.testing.assert_allclose(np.gradient(g, h)[1:-1], dg[1:-1], atol=5e-3)  # g' is g's derivative
    for knot in (0.9 * s0, 1.1 * s0):  # C1: g and g' continuous at the ends of the blend
        (g2, dg2, _), (g1, dg1, _) = slack(knot * (1 + 1e-12), s0, r), slack(knot * (1 - 1e-12), s0, r)
        assert g2 == pytest.approx(g1, abs=1e-11 * s0) and dg2 == pytest.approx(dg1, abs=1e-9)
    assert dg.min() == pytest.approx(r) and dg.max() == pytest.approx(1.0)
    assert ddg.max() == pytest.approx((1 - r) / (0.2 * s0))
    g0, dg0, _ = slack(e, 0.0, r)
    np.testing.assert_array_equal(g0, e)
    assert np.all(dg0 == 1.0)


# --- 3. the porous point law ---------------------------------------------------------------------


def _porous_layer(**kw):
    return Layer1D(1.0, **(POROUS | kw))


def test_porous_hydrostatic_compaction_follows_the_closed_form():
    layer = _porous_layer()
    pc = layer.porous_constants()
    K, alpha, c, phi0 = pc["K"], pc["alpha"], pc["c"], pc["phi0"]

    def closed_form(ev_p):
        phi = 1 - (1 - phi0) * np.exp(-ev_p)
        epbar = -np.sqrt(c) / alpha * ev_p
        p = -np.sqrt(c) / alpha * (pc["sy"] + pc["H"] * epbar + pc["sd"] * (phi0 / np.minimum(phi, phi0) - 1))
        return p, ev_p + p / K, epbar

    # a monotone path in 80 steps down to phi < 0.1 (full densification at ev_p = ln(1 - phi0))
    state = {"ep_r": 0.0, "ep_t": 0.0, "epbar": 0.0, "phi_min": None}
    plastic = 0
    for ev in np.linspace(0.0, -0.95, 81)[1:]:
        o = point_stress(layer, ev / 3, ev / 3, **state)
        state = {k: o[k] for k in state}
        assert o["tau_r"] == pytest.approx(o["tau_t"], rel=1e-13)  # q = 0
        if not o["plastic"]:
            continue
        plastic += 1
        p = (o["tau_r"] + 2 * o["tau_t"]) / 3
        p_cf, ev_cf, epbar_cf = closed_form(o["ev_p"])
        assert p == pytest.approx(p_cf, rel=1e-8)
        assert ev == pytest.approx(ev_cf, rel=1e-8)
        assert o["epbar"] == pytest.approx(epbar_cf, rel=1e-8)
        assert o["porosity"] == pytest.approx(1 - (1 - phi0) * np.exp(-o["ev_p"]), rel=1e-14)
        assert o["phi_min"] == o["porosity"]  # monotone compaction
    assert plastic > 70 and o["porosity"] < 0.1
    # the onset: p = -p_c (sigma_hat = sigma_y at Y = sigma_y)
    ev_yield = -layer.compaction_strength_MPa / K
    assert not point_stress(layer, ev_yield * (1 - 1e-9) / 3, ev_yield * (1 - 1e-9) / 3)["plastic"]
    assert point_stress(layer, ev_yield * (1 + 1e-9) / 3, ev_yield * (1 + 1e-9) / 3)["plastic"]
    # backward Euler in one step lands on the same curve
    o = point_stress(layer, -0.2, -0.2)
    p_cf, ev_cf, _ = closed_form(o["ev_p"])
    assert (o["tau_r"] + 2 * o["tau_t"]) / 3 == pytest.approx(p_cf, rel=1e-8) and ev_cf == pytest.approx(-0.6, rel=1e-8)


def test_porous_uniaxial_stress_yields_at_sigma_y():
    layer = _porous_layer(hardening_modulus_MPa=0.0)
    sy = layer.yield_strength_MPa
    E = layer.E_MPa * (1 - layer.porosity) ** 2
    nu = layer.nu
    for sign in (1.0, -1.0):  # sigma_r = s, sigma_t = 0: er = s / E, et = -nu s / E
        for factor, plastic in ((1 - 1e-9, False), (1 + 1e-9, True)):
            s = sign * sy * factor
            o = point_stress(layer, s / E, -nu * s / E)
            assert bool(o["plastic"]) is plastic
            assert o["tau_t"] == pytest.approx(0.0, abs=1e-9 * sy)
    # strain-driven uniaxial tension past yield (tau_t = 0 by Newton on et): the porous body
    # dilates (phi > phi0, no softening) and, with H = 0, flows at sigma_y
    state = {"ep_r": 0.0, "ep_t": 0.0, "epbar": 0.0}
    et = 0.0
    for er in np.linspace(0, 0.05, 26)[1:]:
        for _ in range(30):
            o = point_stress(layer, er, et, **state)
            if abs(o["tau_t"]) <= 1e-11 * sy:
                break
            h = 1e-8
            plus, minus = point_stress(layer, er, et + h, **state), point_stress(layer, er, et - h, **state)
            slope = (plus["tau_t"] - minus["tau_t"]) / (2 * h)
            et -= o["tau_t"] / slope
        state = {k: o[k] for k in state}
        if o["epbar"] > 0:
            assert o["tau_r"] == pytest.approx(sy, rel=1e-10)
    assert o["porosity"] > layer.porosity and o["epbar"] > 0.02
    # uniaxial compression: yields at -sigma_y, then hardens as the pores close
    o = point_stress(layer, -0.05, 0.0)
    assert o["plastic"] and o["porosity"] < layer.porosity


def test_porous_compaction_then_pull_back_does_not_soften():
    """Compact hydrostatically to phi = 0.25, then pull back to zero total strain: elastic
    unloading, tension yield at p = +sqrt(c)/alpha Y(phi_min) and hydrostatic flow on the
    closed form p = sqrt(c)/alpha [sy + H epbar + sd (phi0 / phi_min - 1)] with phi_min frozen at
    0.25 while the pores reopen (spec section 1)."""
    layer = _porous_layer()
    pc = layer.porous_constants()
    K, alpha, c, sy, H, sd, phi0 = (pc[k] for k in ("K", "alpha", "c", "sy", "H", "sd", "phi0"))
    s = np.sqrt(c) / alpha  # |p| = s Y and d epbar = s |d ev_p| on hydrostatic paths
    phi_c = 0.25
    ev_p_c = np.log((1 - phi0) / (1 - phi_c))  # (1 - phi) exp(ev_p) = 1 - phi0
    epbar_c = -s * ev_p_c
    Y_c = sy + H * epbar_c + sd * (phi0 / phi_c - 1)
    ev_c = ev_p_c - s * Y_c / K  # the total strain that compacts to phi_c
    state = {"ep_r": 0.0, "ep_t": 0.0, "epbar": 0.0, "phi_min": None}
    for ev in np.linspace(0.0, ev_c, 21)[1:]:
        o = point_stress(layer, ev / 3, ev / 3, **state)
        state = {k: o[k] for k in state}
    assert o["porosity"] == pytest.approx(phi_c, rel=1e-10) and o["phi_min"] == o["porosity"]
    assert o["epbar"] == pytest.approx(epbar_c, rel=1e-10)
    # elastic unloading up to the tension yield p = +s Y_c, at ev = ev_p_c + s Y_c / K
    ev_y = ev_p_c + s * Y_c / K
    assert ev_c < ev_y < 0
    for ev, plastic in ((ev_y - 1e-9 * abs(ev_y), False), (ev_y + 1e-9 * abs(ev_y), True)):
        o = point_stress(layer, ev / 3, ev / 3, **state)
        assert bool(o["plastic"]) is plastic
    o = point_stress(layer, (ev_y - 1e-3) / 3, (ev_y - 1e-3) / 3, **state)
    assert o["tau_r"] == pytest.approx(K * (ev_y - 1e-3 - ev_p_c), rel=1e-12) and o["epbar"] == state["epbar"]
    # at ev = 0 (in one step, and in 10): ev_p + s [sy + H (epbar_c + s (ev_p - ev_p_c)) + sd (phi0/phi_c - 1)] / K = 0
    ev_p_f = -s / K * (sy + H * (epbar_c - s * ev_p_c) + sd * (phi0 / phi_c - 1)) / (1 + s**2 * H / K)
    epbar_f = epbar_c + s * (ev_p_f - ev_p_c)
    Y_f = sy + H * epbar_f + sd * (phi0 / phi_c - 1)
    phi_f = 1 - (1 - phi0) * np.exp(-ev_p_f)
    for n in (1, 10):
        st = dict(state)
        for ev in np.linspace(ev_c, 0.0, n + 1)[1:]:
            o = point_stress(layer, ev / 3, ev / 3, **st)
            st = {k: o[k] for k in st}
        p = (o["tau_r"] + 2 * o["tau_t"]) / 3
        assert o["ev_p"] == pytest.approx(ev_p_f, rel=1e-10)
        assert p == pytest.approx(-K * ev_p_f, rel=1e-10) and p == pytest.approx(s * Y_f, rel=1e-10)
        assert o["epbar"] == pytest.approx(epbar_f, rel=1e-10)
        assert o["porosity"] == pytest.approx(phi_f, rel=1e-10) and o["phi_min"] == state["phi_min"]
    assert phi_c + 0.1 < phi_f < phi0  # the pores reopen ...
    assert Y_f > Y_c  # ... and the strength does not drop (with Y(phi) it would lose sd phi0 (1/phi_c - 1/phi_f)):
    assert sd * phi0 * (1 / phi_c - 1 / phi_f) > 0.1 * Y_c
    # the scalar equation of the one-step return, r(x) = sigma_hat(x) - Y(x) with phi_min: strictly
    # decreasing, one root, the returned multiplier
    o = point_stress(layer, 0.0, 0.0, **state)
    x = np.linspace(0.0, 20 * o["x"], 20001)
    p = K * -ev_p_c / (1 + K * alpha**2 * x)
    sh = alpha * p / np.sqrt(c)
    phi = 1 - (1 - phi0) * np.exp(-(ev_p_c + alpha**2 * p * x))
    r = sh - (sy + H * (epbar_c + c * x * sh) + sd * (phi0 / np.minimum(phi_c, phi) - 1))
    assert r[0] > 0 and np.all(np.diff(r) < 0)
    root = np.flatnonzero(np.diff(r > 0))
    assert len(root) == 1 and x[root[0]] * (1 - 1e-12) <= o["x"] <= x[root[0] + 1] * (1 + 1e-12)


def test_sphere_carries_the_smallest_porosity_reached():
    """A swelling porous core in an elastic shell (small strain): the core's state is uniform
    and hydrostatic, p = -Kc (beta theta + ev_p) with Kc = K / (1 + 3 K / k) and k the Lame
    stiffness of the shell, sigma_r(a) = -k u(a)/a. Swelling compacts the core to phi ~ 0.25;
    removing it pulls the core into hydrostatic tension: it flows at the Y of phi_min
    (``porosity_min_reached``, committed with the substeps, frozen while the pores reopen)."""
    a, b, Es, nus, beta = 50.0, 60.0, 100e3, 0.3, 0.56
    sphere = Sphere1D([Layer1D(a, **POROUS, volumetric_expansion=beta), Layer1D(b, Es, nus)], kinematics="small",
                      convention="linear", elements_per_layer=10)
    pc = sphere.layers[0].porous_constants()
    K, alpha, c, sy, H, sd, phi0 = (pc[k] for k in ("K", "alpha", "c", "sy", "H", "sd", "phi0"))
    s = np.sqrt(c) / alpha
    Ks, mus = Es / (3 * (1 - 2 * nus)), Es / (2 * (1 + nus))
    k = 4 * mus * (1 / a**3 - 1 / b**3) / (1 / a**3 + 4 * mus / (3 * Ks * b**3))
    Kc = K / (1 + 3 * K / k)

    def core(res):
        m = res.layer == 0
        sr, st = res.sigma_r_MPa[m], res.sigma_t_MPa[m]
        np.testing.assert_allclose(st, sr, rtol=1e-9)  # hydrostatic
        np.testing.assert_allclose(sr, sr[0], rtol=1e-9)  # uniform
        return (sr[0], *(float(np.mean(getattr(res, f)[m])) for f in (
            "plastic_volumetric_strain", "equivalent_plastic_strain", "porosity", "porosity_min_reached")))

    first = sphere.step(1.0, increments=5)
    p1, ev_p1, epbar1, phi1, phi_min1 = core(first)
    assert np.all(np.isnan(first.porosity_min_reached[first.layer == 1]))
    assert abs(phi1 - 0.25) < 0.03 and phi_min1 == pytest.approx(phi1, rel=1e-12)
    # on the compaction curve of the spec, and in equilibrium with the shell
    assert epbar1 == pytest.approx(-s * ev_p1, rel=1e-10)
    assert p1 == pytest.approx(-s * (sy + H * epbar1 + sd * (phi0 / phi1 - 1)), rel=1e-10)
    assert p1 == pytest.approx(-Kc * (beta + ev_p1), rel=1e-8)
    # the swelling removed: tension flow with phi_min frozen, -Kc ev_p = s [Y_1 + H s (ev_p - ev_p1)]
    Y1 = sy + H * epbar1 + sd * (phi0 / phi_min1 - 1)
    ev_p2 = -s * (Y1 - H * s * ev_p1) / (Kc + s**2 * H)
    epbar2 = epbar1 + s * (ev_p2 - ev_p1)
    second = sphere.step(0.0, increments=5)
    p2, ev_p, epbar, phi, phi_min = core(second)
    assert ev_p == pytest.approx(ev_p2, rel=1e-8) and epbar == pytest.approx(epbar2, rel=1e-8)
    assert p2 == pytest.approx(-Kc * ev_p2, rel=1e-8) and p2 == pytest.approx(s * (Y1 + H * (epbar2 - epbar1)), rel=1e-8)
    assert phi == pytest.approx(1 - (1 - phi0) * np.exp(-ev_p2), rel=1e-8)
    np.testing.assert_array_equal(second.porosity_min_reached, first.porosity_min_reached)  # frozen
    assert phi > phi_min + 0.1  # the pores reopen, without softening:
    assert p2 > -p1 and sd * phi0 * (1 / phi_min - 1 / phi) > 0.1 * Y1
    assert sphere.pore_volume_lost_nm3() == pytest.approx(4 / 3 * np.pi * a**3 * (1 - np.exp(ev_p2)), rel=1e-8)

# --- 4. finite strain: consistency, refinement, small loads ------------------------------------


def test_finite_transverse_with_isotropic_constants_is_the_isotropic_law():
    beta, E, nu = 0.5, 80e3, 0.3
    shell = Layer1D(12.0, 200e3, 0.25)
    iso = Sphere1D([Layer1D(10.0, E, nu, beta), shell], convention="linear", elements_per_layer=20)
    tra = Sphere1D([Layer1D(10.0, E, nu, law="transverse", E_normal_MPa=E, nu_normal=nu, expansion_normal=beta / 3,
                            expansion_tangential=beta / 3), shell], convention="linear", elements_per_layer=20)
    a, b = iso.step(1.0, increments=3), tra.step(1.0, increments=3)
    peak = np.abs(a.sigma_t_MPa).max()
    np.testing.assert_allclose(b.sigma_r_MPa, a.sigma_r_MPa, rtol=0, atol=1e-9 * peak)
    np.testing.assert_allclose(b.sigma_t_MPa, a.sigma_t_MPa, rtol=0, atol=1e-9 * peak)
    np.testing.assert_allclose(b.r_nm, a.r_nm, rtol=1e-12)
    # an elastic porous layer is the isotropic law with E (1 - phi0)^2
    por = Layer1D(10.0, E, nu, beta, law="porous", porosity=0.3, yield_strength_MPa=1e7, compaction_strength_MPa=1e7)
    c = Sphere1D([por, shell], convention="linear", elements_per_layer=20).step(1.0, increments=3)
    d = Sphere1D([Layer1D(10.0, E * 0.49, nu, beta), shell], convention="linear",
                 elements_per_layer=20).step(1.0, increments=3)
    np.testing.assert_allclose(c.sigma_t_MPa, d.sigma_t_MPa, rtol=0, atol=1e-9 * np.abs(d.sigma_t_MPa).max())
    assert c.equivalent_plastic_strain.max() == 0.0 and np.allclose(c.porosity[c.layer == 0], 0.3, rtol=1e-14)
    # free isotropic swelling of a transverse sphere is stress free
    free = Sphere1D([Layer1D(10.0, law="transverse", **SHELL, expansion_normal=0.3, expansion_tangential=0.3)],
                    elements_per_layer=10).step(1.0, increments=2)
    assert max(np.abs(free.sigma_r_MPa).max(), np.abs(free.sigma_t_MPa).max()) <= 1e-8 * SHELL["E_MPa"]
    assert free.outer_radius_nm == pytest.approx(13.0, rel=1e-12)


def _buffer(n, beta=0.5, scale=1.0, slack_strain=0.01, kinematics="finite"):
    """A swelling core, a porous buffer, a transverse shell with slack and anisotropic swelling;
    the porous strengths scaled by ``scale``."""
    porous = POROUS | {k: POROUS[k] * scale for k in ("yield_strength_MPa", "compaction_strength_MPa",
                                                      "hardening_modulus_MPa")}
    layers = [Layer1D(RADII[0], E_ZNSE, NU_ZNSE, beta), Layer1D(RADII[1], **porous),
              Layer1D(RADII[2], law="transverse", **SHELL, nu_normal=0.1, expansion_normal=0.6 * beta,
                      expansion_tangential=0.1 * beta, slack_strain=slack_strain, slack_stiffness_ratio=0.01)]
    return Sphere1D(layers, kinematics=kinematics, elements_per_layer=n)


def _interface_values(res):
    return np.array([res.boundary(i, side)[k] for i in range(3) for side in ("inner", "outer")
                     for k in ("sigma_r_MPa", "sigma_t_MPa")])


def test_finite_porous_buffer_in_transverse_shell_converges():
    out = {}
    for n in (50, 100, 200):
        sphere = _buffer(n)
        out[n] = sphere.step(1.0, increments=5)
        assert max(out[n].newton_iterations) <= 10
    fine = out[200]
    mid = fine.layer == 1
    assert fine.porosity[mid].min() < 0.47 and fine.equivalent_plastic_strain[mid].max() > 0.3  # compacted
    shell = fine.layer == 2  # the shell's hoop log strain runs through the slack blend [0.009, 0.011]
    e_t = np.log(fine.r_nm[shell] / fine.R0_nm[shell] / (1 + 0.1 * 0.5))
    assert e_t.min() < 0.009 and e_t.max() > 0.011
    assert np.all(np.isnan(fine.porosity[~mid]))
    v = {n: _interface_values(r) for n, r in out.items()}
    peak = np.abs(v[200]).max()
    d1, d2 = np.abs(v[50] - v[100]).max(), np.abs(v[100] - v[200]).max()
    assert d2 < 0.5 * d1 and d2 <= 1e-3 * peak
    assert fine.region_extrema(1)["porosity_min"] == pytest.approx(np.nanmin(fine.porosity[mid]))
    # traction continuity (Cauchy, both sides), free surface
    for i in range(2):
        assert fine.boundary(i)["sigma_r_MPa"] == pytest.approx(fine.boundary(i + 1, "inner")["sigma_r_MPa"],
                                                                abs=1e-5 * peak)
    assert abs(fine.boundary(2)["sigma_r_MPa"]) <= 1e-5 * peak
    # local equilibrium in the deformed configuration (checks Cauchy = Js tau / J with the plastic
    # volume change): the jump of sigma_r over each element against int 2 (sigma_t - sigma_r) / r dr
    # (trapezoid over the element's 5 points; in the shell, not over the elements where g'' jumps)
    for layer in (1, 2):
        m = fine.layer == layer
        r, R, sr, st = (x[m].reshape(-1, 5) for x in (fine.r_nm, fine.R0_nm, fine.sigma_r_MPa, fine.sigma_t_MPa))
        f = 2 * (st - sr) / r
        integral = np.sum(0.5 * (f[:, 1:] + f[:, :-1]) * np.diff(r, axis=1), axis=1)
        jump = sr[:, -1] - sr[:, 0]
        smooth = np.ones(len(jump), dtype=bool)
        if layer == 2:
            e = np.log(r / R / 1.05)
            for knot in (0.009, 0.011):
                smooth &= ~((e.min(axis=1) < knot) & (e.max(axis=1) > knot))
            assert 0 < (~smooth).sum() <= 2
        assert np.abs(integral - jump)[smooth].max() <= 1e-4 * np.abs(jump).max(), layer
    # pore volume given up: positive, less than the initial pore volume of the buffer
    lost = sphere.pore_volume_lost_nm3()
    pores0 = POROUS["porosity"] * 4 / 3 * np.pi * (RADII[1] ** 3 - RADII[0] ** 3)
    assert 0 < lost < pores0 and lost == pytest.approx(sphere.pore_volume_lost_nm3(1))


def test_finite_matches_small_strain_for_small_loads():
    beta = 1e-4
    out = {kin: _buffer(100, beta=beta, scale=beta / 0.5, slack_strain=0.0, kinematics=kin).step(1.0, increments=4)
           for kin in ("finite", "small")}
    f, s = out["finite"], out["small"]
    assert s.equivalent_plastic_strain.max() > 1e-4  # the buffer yields
    peak = max(np.abs(s.sigma_r_MPa).max(), np.abs(s.sigma_t_MPa).max())
    assert np.abs(f.sigma_r_MPa - s.sigma_r_MPa).max() <= 1e-3 * peak
    assert np.abs(f.sigma_t_MPa - s.sigma_t_MPa).max() <= 1e-3 * peak
    for layer in range(3):  # each layer against its own stress level
        m = s.layer == layer
        local = max(np.abs(s.sigma_r_MPa[m]).max(), np.abs(s.sigma_t_MPa[m]).max())
        assert np.abs(f.sigma_t_MPa[m] - s.sigma_t_MPa[m]).max() <= 1e-3 * local
        assert np.abs(f.sigma_r_MPa[m] - s.sigma_r_MPa[m]).max() <= 1e-3 * local


@pytest.mark.parametrize("kinematics", ["finite", "small"])
def test_the_carbon_tangent_is_the_derivative_of_the_residual(kinematics):
    layers = [Layer1D(2.0, E_ZNSE, NU_ZNSE, 0.5), Layer1D(2.6, **POROUS),
              Layer1D(2.8, law="transverse", **SHELL, nu_normal=0.1, expansion_normal=0.3,
                      expansion_tangential=0.02, slack_strain=0.01, slack_stiffness_ratio=0.01)]
    sphere = Sphere1D(layers, kinematics=kinematics, elements_per_layer=3)
    sphere.step(0.5, increments=5)
    theta = sphere.theta_at(0.6)
    u = sphere.u + 0.001 * np.sin(np.arange(sphere.n_dofs))
    ev = sphere._evaluate(u, theta, 0.0, sphere.ep_r, sphere.epbar)
    assert (ev["epbar"] != sphere.epbar).any()  # plastic porous points in the check
    band = ev["band"]
    n, h = sphere.n_dofs, 1e-7
    for j in range(n):
        du = np.zeros(n)
        du[j] = h
        plus = sphere._evaluate(u + du, theta, 0.0, sphere.ep_r, sphere.epbar, tangent=False)["residual"]
        minus = sphere._evaluate(u - du, theta, 0.0, sphere.ep_r, sphere.epbar, tangent=False)["residual"]
        analytic = np.array([band[i, j - i + 2] if abs(j - i) <= 2 else 0.0 for i in range(n)])
        np.testing.assert_allclose(analytic, (plus - minus) / (2 * h), rtol=1e-5, atol=1e-6 * np.abs(band).max())


def test_layer_validation():
    with pytest.raises(ValueError, match="law must be"):
        Layer1D(1.0, 1e3, 0.3, law="foam")
    with pytest.raises(ValueError, match="yield_strength_MPa"):
        Layer1D(1.0, 1e3, 0.3, law="porous", porosity=0.5, compaction_strength_MPa=10.0)
    with pytest.raises(ValueError, match="porosity"):
        _porous_layer(porosity=0.95)
    with pytest.raises(ValueError, match="compaction_strength"):
        _porous_layer(compaction_strength_MPa=30.0)
    with pytest.raises(ValueError, match="parameter of law 'porous'"):
        Layer1D(1.0, 1e3, 0.3, porosity=0.5)
    with pytest.raises(ValueError, match="parameter of law 'transverse'"):
        _porous_layer(E_normal_MPa=1e3)
    with pytest.raises(ValueError, match="E_normal_MPa"):
        Layer1D(1.0, 1e3, 0.3, law="transverse")
    with pytest.raises(ValueError, match="volumetric_expansion"):
        Layer1D(1.0, law="transverse", **SHELL, volumetric_expansion=0.1)
    with pytest.raises(ValueError, match="slack_stiffness_ratio"):
        Layer1D(1.0, law="transverse", **SHELL, slack_stiffness_ratio=0.0)
    with pytest.raises(ValueError, match="slack_stiffness_ratio"):
        Layer1D(1.0, law="transverse", **SHELL, slack_stiffness_ratio=1.5)
    shell = Layer1D(1.0, law="transverse", **SHELL)
    assert shell.slack_stiffness_ratio == 1e-4 and shell.slack_slope == pytest.approx(1e-2, rel=1e-14)
    assert Layer1D(1.0, law="transverse", **SHELL, slack_stiffness_ratio=1.0).slack_slope == 1.0
    with pytest.raises(ValueError, match="not supported"):
        _porous_layer(E_potassiated_MPa=1e3)
    Layer1D(1.0, law="transverse", E_MPa=1e3, nu=0.7, E_normal_MPa=1e3)  # |nu_t| < 1 is admissible in plane
