"""Depotassiation (SOC lists that go down): front histories and Fickian discharge against
exact solutions."""

from __future__ import annotations

import numpy as np
import pytest

from swellfem.exact import constant_flux_sphere, radial_eigenstrain_stress
from swellfem.potassiation.fronts import front_history, front_radius_for_soc, sharp_front_radius

from conftest import CASES, solve

SPHERE = 'geometry.layers=[{name="particle", material="ZnSe", outer_radius="50 nm"}]'
E, NU, BETA = 67200.0, 0.28, 1.84


# --- shrinking-core: histories of fronts (pure numpy) ----------------------------------


@pytest.mark.parametrize("r_in", [0.0, 20.0])
def test_discharge_front_history_has_the_right_mean_and_shape(r_in):
    """Charge to 0.5, discharge to 0.2: a depleted outer zone, a potassiated band, a pristine
    core; each stage's volume mean equals its SOC, and narrow fronts sit where sharp ones would."""
    R, w = 50.0, 0.05
    charged, discharged = front_history([0.5, 0.2], w, r_in, R)
    r1 = sharp_front_radius(0.5, r_in, R)
    r2 = sharp_front_radius(0.3, r_in, R)  # the depleted zone holds 0.3 of the layer volume
    assert charged.radii == pytest.approx((r1,), abs=0.02)
    assert discharged.radii == pytest.approx((r1, r2), abs=0.02)
    assert [f.value for f in discharged.fronts] == [1.0, 0.0]
    assert discharged.front_radius == discharged.fronts[-1].radius
    for profile, soc in ((charged, 0.5), (discharged, 0.2)):
        assert profile.mean(r_in, R) == pytest.approx(soc, abs=1e-9)
    theta = discharged.theta(np.array([r_in, r1 - 1.0, 0.5 * (r1 + r2), r2 + 1.0, R]))
    np.testing.assert_allclose(theta, [0.0, 0.0, 1.0, 0.0, 0.0], atol=1e-12)
    # with the default width the means are exact too
    for profile, soc in zip(front_history([0.5, 0.2], 2.0, r_in, R), (0.5, 0.2)):
        assert profile.mean(r_in, R) == pytest.approx(soc, abs=1e-9)


def test_front_history_moves_pushes_and_clears():
    R, w = 50.0, 2.0
    soc = [0.6, 0.2, 0.2, 0.1, 0.4, 1.0, 0.5, 0.0]
    h = front_history(soc, w, 0.0, R)
    for profile, s in zip(h, soc):
        assert profile.mean(0.0, R) == pytest.approx(s, abs=1e-9)
    assert h[0].front_radius == pytest.approx(front_radius_for_soc(0.6, w, 0.0, R), abs=1e-8)
    assert h[2] == h[1]  # a repeated SOC changes nothing
    assert len(h[3].fronts) == 2 and h[3].front_radius < h[1].front_radius  # same direction: the front moves in
    assert h[3].radii[0] == h[1].radii[0]
    assert [f.value for f in h[4].fronts] == [1.0, 0.0, 1.0]  # a reversal pushes a new front at the surface
    assert h[4].front_radius > h[3].front_radius
    assert h[5].fronts == () and h[5].base == 1.0  # SOC 1: uniform
    assert [f.value for f in h[6].fronts] == [0.0] and h[6].base == 1.0  # potassiated core, depleted shell
    assert h[6].front_radius == pytest.approx(front_radius_for_soc(0.5, w, 0.0, R), abs=1e-8)  # mirror image
    assert h[7].fronts == () and h[7].base == 0.0


def test_a_front_swept_past_is_dropped():
    """A core potassiated below 45 nm, depleted to 48 nm, potassiated outside; discharging to
    half its mean pushes a depotassiation front far inside both older fronts, which no longer
    show and are dropped: left is a potassiated core inside a depleted shell."""
    from swellfem.potassiation.fronts import Front, FrontProfile, next_profile

    R, w = 50.0, 0.25
    p = FrontProfile(base=1.0, fronts=(Front(0.0, 45.0), Front(1.0, 48.0)), width=w)
    m = p.mean(0.0, R)
    q = next_profile(p, m, 0.5 * m, 0.0, R)
    assert q.mean(0.0, R) == pytest.approx(0.5 * m, abs=1e-9)
    assert q.base == 1.0 and [f.value for f in q.fronts] == [0.0]
    assert q.front_radius == pytest.approx(R * np.cbrt(0.5 * m), abs=0.01)


def test_planned_fronts_include_discharge_fronts():
    from swellfem.case import load_case
    from swellfem.potassiation import planned_fronts

    case = load_case(CASES / "znse" / "znse_inmc_orgo.toml",
                     ['stages={mode="shrinking-core", soc=[0.5, 0.2, 0.4], front_width="2 nm"}'])
    fronts = planned_fronts(case)
    h = front_history([0.5, 0.2, 0.4], 2.0, 0.0, 50.0)
    assert sorted(set(fronts)) == sorted(set(h[0].radii + h[1].radii + h[2].radii))
    assert len(set(fronts)) == 3
    assert min(fronts) == pytest.approx(sharp_front_radius(0.5, 0, 50), abs=0.5)


def test_shrinking_core_discharge_matches_the_exact_stress(lame_case):
    """Charge 0.5, discharge 0.2 in a free sphere: theta from the front history, stresses from
    the thermal-analogy integrals; the depleted surface zone is in hoop tension (GUIDE 7)."""
    summary = solve(lame_case, SPHERE, 'model.eigenstrain_convention="linear"',
                    'stages={mode="shrinking-core", soc=[0.5, 0.2], front_width="2 nm"}',
                    'mesh.size="4 nm"', 'mesh.interface_size="1 nm"')
    R = 50.0
    r = np.linspace(0.0, R, 8001)
    for st, profile in zip(summary["stages"], front_history([0.5, 0.2], 2.0, 0.0, R)):
        assert st["mean_potassiation_active"] == pytest.approx(st["soc"], abs=2e-3)
        assert st["front_radius_nm"] == pytest.approx(profile.front_radius, abs=1e-9)
        sr, stt = radial_eigenstrain_stress(r, BETA * profile.theta(r) / 3.0, E, NU)
        scale = max(np.abs(sr).max(), np.abs(stt).max())
        prof = st["axial_profile"]
        z, fe = np.array(prof["z_nm"]), np.array(prof["sigma_zz_MPa"], float)
        assert np.max(np.abs(fe - np.interp(z, r, sr))) < 0.01 * scale
        reg = st["regions"]["particle"]
        assert abs(reg["hoop_max_MPa"] - stt.max()) < 0.01 * scale
        # the hoop minimum sits in the potassiated band between the two fronts, where the graded
        # front refinement is coarsest: 2.8 % of the scale at this mesh, 1.7 % at 1 nm, 0.4 % at 0.5 nm
        assert abs(reg["hoop_min_MPa"] - stt.min()) < 0.035 * scale
    discharged = summary["stages"][1]
    assert discharged["front_radius_nm"] == pytest.approx(sharp_front_radius(0.3, 0, R), abs=0.5)
    band = front_history([0.5, 0.2], 2.0, 0.0, R)[1].theta(r)
    assert 0.8 < band.max() == pytest.approx(discharged["max_potassiation_active"], abs=1e-3)  # the band
    _, stt = radial_eigenstrain_stress(r, BETA * band / 3.0, E, NU)
    assert stt[-1] > 0 and discharged["regions"]["particle"]["hoop_max_MPa"] > 0  # surface hoop tension


# --- diffusion: discharge ----------------------------------------------------------------


def diffusion_case(*extra):
    return solve(
        "cases/verification/lame_3layer.toml", SPHERE, 'model.eigenstrain_convention="linear"',
        'mesh.size="2.5 nm"', 'mesh.interface_size="1 nm"', *extra,
    )


C, D, R = 5.0, 1.0, 50.0
J = C / 3600.0 * R / 3.0  # |flux| at which the mean moves by C/3600 per second


@pytest.mark.parametrize(
    "soc, exact",
    [
        # from uniform theta = 1 (SOC 1: the relaxed limit, clock restarts): 1 - the charge solution
        ([1.0, 0.8, 0.4], lambda r, t: 1.0 - constant_flux_sphere(r, t, R, D, J)),
        # charge to 0.6 then discharge: flux J, then -J from t1 on (superposition)
        ([0.6, 0.3], lambda r, t: constant_flux_sphere(r, t, R, D, J)
         - (2.0 * constant_flux_sphere(r, t - 0.6 * 3600 / C, R, D, J) if t > 0.6 * 3600 / C else 0.0)),
    ],
    ids=["from-full", "after-charge"],
)
def test_galvanostatic_discharge_matches_carslaw_jaeger(soc, exact):
    """Outward flux at the C-rate: the mean falls linearly in time, theta and the stresses
    follow the constant-flux solution (by symmetry or superposition)."""
    # backward Euler is first order: after a reversal 40 steps leave 0.5 % in theta, 160 steps 0.13 %
    summary = diffusion_case(f'stages={{mode="diffusion", soc={soc}, diffusivity="1e-18 m^2/s", c_rate={C}, '
                             'steps_per_stage=160}')
    r = np.linspace(0.0, R, 8001)
    level, t = 0.0, 0.0
    for st in summary["stages"]:
        assert st["mean_potassiation_active"] == pytest.approx(st["soc"], abs=1e-8)
        if st["soc"] == 1.0:
            assert st["time_s"] is None
            level, t = 1.0, 0.0
            continue
        t += abs(st["soc"] - level) * 3600.0 / C  # the mean moves linearly in time
        level = st["soc"]
        assert st["time_s"] == pytest.approx(t, rel=1e-12)
        theta = exact(r, t)
        assert 0.0 < theta.min() and theta.max() < 1.0  # never saturated nor emptied: constant current
        assert np.trapezoid(theta * r**2, r) * 3 / R**3 == pytest.approx(st["soc"], abs=1e-4)
        assert st["max_potassiation_active"] == pytest.approx(theta.max(), abs=2e-3)
        sr, stt = radial_eigenstrain_stress(r, BETA * theta / 3.0, E, NU)
        scale = max(np.abs(sr).max(), np.abs(stt).max())
        prof = st["axial_profile"]
        z, fe = np.array(prof["z_nm"]), np.array(prof["sigma_zz_MPa"], float)
        assert np.max(np.abs(fe - np.interp(z, r, sr))) < 0.015 * scale
        reg = st["regions"]["particle"]
        assert abs(reg["hoop_max_MPa"] - stt.max()) < 0.015 * scale
        assert abs(reg["hoop_min_MPa"] - stt.min()) < 0.015 * scale
        if st["soc"] < soc[0]:  # discharging: the emptied surface is in hoop tension
            assert reg["hoop_max_MPa"] > 0 and stt[-1] > 0


def test_cccv_discharge_then_charge_returns_to_constant_current():
    """A fast discharge empties the surface (constant voltage at theta = 0 follows, slower than
    constant current); charging again starts at constant current: its time is exact."""
    st = diffusion_case('stages={mode="diffusion", soc=[0.9, 0.1, 0.15, 0.0], c_rate=20.0}')["stages"]
    for s in st:
        assert s["mean_potassiation_active"] == pytest.approx(s["soc"], abs=1e-8)
    assert st[1]["time_s"] - st[0]["time_s"] > 0.8 * 3600 / 20.0  # slower than constant current
    assert st[2]["time_s"] - st[1]["time_s"] == pytest.approx(0.05 * 3600 / 20.0, rel=1e-9)
    assert st[3]["time_s"] is None  # SOC 0 discharging: only as t -> infinity
    for key, value in st[3]["regions"]["particle"].items():
        if key.endswith("_MPa"):
            assert abs(value) < 1e-6 * E, key


def test_fixed_surface_discharge_hits_the_soc():
    """theta = 0 on the surface while discharging: stages hit the SOC, time runs on, SOC 0 is
    the relaxed limit; discharge from a full particle mirrors the charge from an empty one."""
    st = diffusion_case('stages={mode="diffusion", soc=[0.6, 0.3, 0.3, 0.0, 0.4, 1.0, 0.6], '
                        'boundary="fixed-surface"}')["stages"]
    for s in st:
        assert s["mean_potassiation_active"] == pytest.approx(s["soc"], abs=1e-8)
    t = [s["time_s"] for s in st]
    assert 0 < t[0] < t[1] and t[2] == t[1]  # a repeated SOC: same time
    assert t[3] is None and t[5] is None
    assert st[1]["max_potassiation_active"] > 0.3  # K+ left inside, the surface emptied
    assert t[4] > 0  # the clock restarts at the relaxed state
    # symmetry: charge 0 -> 0.4 and discharge 1 -> 0.6 take the same time with mirrored theta
    assert t[6] == pytest.approx(t[4], rel=1e-6)
    for key in ("radial_max_MPa", "hoop_max_MPa", "hoop_min_MPa"):
        mirrored = key.replace("max", "tmp").replace("min", "max").replace("tmp", "min")
        assert st[6]["regions"]["particle"][key] == pytest.approx(-st[4]["regions"]["particle"][mirrored],
                                                                   abs=1e-6 * E)
