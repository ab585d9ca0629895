"""Potassiation stages: shrinking-core fronts and Fickian diffusion against exact solutions."""

from __future__ import annotations

import numpy as np
import pytest

from swellfem.exact import constant_flux_sphere, radial_eigenstrain_stress
from swellfem.potassiation.fronts import front_radius_for_soc, layer_mean, sharp_front_radius

from conftest import CASES, solve

SPHERE = 'geometry.layers=[{name="particle", material="ZnSe", outer_radius="50 nm"}]'
E, NU, BETA = 67200.0, 0.28, 1.84


@pytest.mark.parametrize("soc", [0.05, 0.2, 0.5, 0.8, 0.97])
@pytest.mark.parametrize("r_in", [0.0, 20.0])
def test_front_mean_equals_soc(soc, r_in):
    rf = front_radius_for_soc(soc, 2.0, r_in, 50.0)
    assert layer_mean(rf, 2.0, r_in, 50.0) == pytest.approx(soc, abs=1e-9)
    # a narrow front sits where a sharp one would
    rf_narrow = front_radius_for_soc(soc, 0.05, r_in, 50.0)
    assert rf_narrow == pytest.approx(sharp_front_radius(soc, r_in, 50.0), abs=0.02)


def test_shrinking_core_stages(lame_case):
    summary = solve(lame_case, SPHERE, 'stages={mode="shrinking-core", soc=[0.2, 0.6, 1.0], front_width="2 nm"}',
                    'mesh.size="4 nm"', 'mesh.interface_size="1 nm"')
    stages = summary["stages"]
    for st in stages:
        # the finite-element mean potassiation of the particle equals the SOC
        assert st["mean_potassiation_active"] == pytest.approx(st["soc"], abs=2e-3)
        assert st["mode"] == "shrinking-core"
    assert stages[0]["front_radius_nm"] == pytest.approx(sharp_front_radius(0.2, 0, 50), abs=0.5)
    assert stages[0]["front_radius_nm"] > stages[1]["front_radius_nm"]
    # a partly reacted free particle is stressed: tension in the pristine core, hoop compression outside
    reg = stages[0]["regions"]["particle"]
    assert reg["principal_max_MPa"] > 1000 and reg["hoop_min_MPa"] < -1000
    # fully reacted: uniform theta = 1, a free particle is stress-free
    assert stages[2]["front_radius_nm"] is None
    scale = E * (np.cbrt(1 + BETA) - 1)
    for key, value in stages[2]["regions"]["particle"].items():
        if key.endswith("_MPa"):
            assert abs(value) < 1e-6 * scale, key
    assert abs(stages[2]["regions"]["particle"]["max_principal_strain"]) < 1e-9
    assert stages[2]["apparent_volume_expansion_percent"] == pytest.approx(184.0, rel=1e-6)


def diffusion_case(*extra):
    return solve(
        "cases/verification/lame_3layer.toml", SPHERE, 'model.eigenstrain_convention="linear"',
        'mesh.size="2.5 nm"', 'mesh.interface_size="1 nm"', *extra,
    )


@pytest.mark.parametrize("formulation", ["axisymmetric", "spherical-1d"])
def test_galvanostatic_diffusion_matches_carslaw_jaeger(formulation):
    """Constant inward flux into a free sphere: theta(r, t) from the Carslaw & Jaeger series,
    stresses from the thermal-analogy integrals (GUIDE 3). Tolerance: sigma_zz on the axis
    and the particle's radial/hoop extrema within 1.5 % of the largest exact stress (the
    error is the time stepping's: both formulations take the same steps)."""
    C, D, R = 5.0, 1.0, 50.0
    summary = diffusion_case('stages={mode="diffusion", soc=[0.2, 0.6], diffusivity="1e-18 m^2/s", c_rate=5.0}',
                             f'model.formulation="{formulation}"')
    r = np.linspace(0.0, R, 8001)
    J = C / 3600.0 * R / 3.0  # mean theta rises at C/3600 per second: J = rate x V / A
    for st in summary["stages"]:
        assert st["time_s"] == pytest.approx(st["soc"] * 3600.0 / C, rel=1e-12)
        assert st["mean_potassiation_active"] == pytest.approx(st["soc"], abs=1e-8)
        theta = constant_flux_sphere(r, st["time_s"], R, D, J)
        assert st["max_potassiation_active"] == pytest.approx(theta.max(), abs=2e-3)
        sr, stt = radial_eigenstrain_stress(r, BETA * theta / 3.0, E, NU)
        scale = max(np.abs(sr).max(), np.abs(stt).max())
        prof = st["axial_profile"]
        z, fe = np.array(prof["z_nm"]), np.array(prof["sigma_zz_MPa"], float)
        assert np.max(np.abs(fe - np.interp(z, r, sr))) < 0.015 * scale
        reg = st["regions"]["particle"]
        assert abs(reg["radial_max_MPa"] - sr.max()) < 0.015 * scale
        assert abs(reg["hoop_max_MPa"] - stt.max()) < 0.015 * scale
        assert abs(reg["hoop_min_MPa"] - stt.min()) < 0.015 * scale
        assert reg["principal_max_MPa"] > 0  # tension in the centre


def test_diffusion_time_step_is_converged():
    """Doubling the steps changes no particle extremum by more than 0.5 % of the largest."""
    runs = [
        diffusion_case(f'stages={{mode="diffusion", soc=[0.3], c_rate=5.0, steps_per_stage={n}}}')
        for n in (40, 80)
    ]
    a, b = ({k: v for k, v in r["stages"][0]["regions"]["particle"].items() if k.endswith("_MPa")} for r in runs)
    scale = max(abs(v) for v in a.values())
    for key in a:
        assert abs(a[key] - b[key]) < 0.005 * scale, key


def test_cccv_saturates_and_soc_one_is_stress_free():
    """At a high rate the surface saturates (theta <= 1, constant-voltage charging follows);
    SOC = 1 is the relaxed limit theta = 1, stress-free in a free particle."""
    summary = diffusion_case('stages={mode="diffusion", soc=[0.5, 0.9, 1.0], c_rate=20.0}')
    st = summary["stages"]
    assert all(s["max_potassiation_active"] <= 1.0 + 0.02 for s in st)
    assert st[1]["mean_potassiation_active"] == pytest.approx(0.9, abs=1e-8)
    assert st[1]["time_s"] > 0.9 * 3600 / 20.0  # slower than constant current once saturated
    assert st[2]["time_s"] is None
    for key, value in st[2]["regions"]["particle"].items():
        if key.endswith("_MPa"):
            assert abs(value) < 1e-6 * E, key


def test_fixed_surface_stages_hit_the_soc():
    summary = diffusion_case('stages={mode="diffusion", soc=[0.3, 0.7], boundary="fixed-surface"}')
    t = [s["time_s"] for s in summary["stages"]]
    assert 0 < t[0] < t[1]
    for s in summary["stages"]:
        assert s["mean_potassiation_active"] == pytest.approx(s["soc"], abs=1e-8)
        assert s["max_potassiation_active"] == pytest.approx(1.0, abs=1e-9)


def test_shell_swelling_follows_soc(lame_case):
    """Shells take theta = SOC with their own beta (here the outer layer's 5 %)."""
    summary = solve(lame_case, 'stages={mode="shrinking-core", soc=[1.0]}', 'mesh.size="8 nm"')
    assert summary["stages"][0]["regions"]["outer"]["hoop_max_MPa"] > 0


ZNSE_ORGO = CASES / "znse" / "znse_inmc_orgo.toml"
COARSE = ('mesh.size="10 nm"', 'mesh.interface_size="2.5 nm"', "output.axial_points_per_layer=5")


CYCLE = "soc=[0.5, 1.0, 0.5, 0.0]"


@pytest.mark.parametrize(
    "stages, tol",
    [
        ('{mode="uniform", soc=[0.5, 1.0, 0.3, 0.0]}', 1e-12),  # uniform stages may go down
        ('{mode="shrinking-core", soc=[0.0, 0.3, 0.3, 0.7, 1.0], front_width="2 nm"}', 3e-3),
        ('{mode="diffusion", soc=[0.25, 0.5, 0.5, 1.0], diffusivity="1e-18 m^2/s", steps_per_stage=8}', 1e-6),
        ('{mode="diffusion", soc=[0.25, 0.6], boundary="fixed-surface", diffusivity="1e-18 m^2/s"}', 1e-6),
        # depotassiation: a full cycle, and a discharge that reverses twice
        (f'{{mode="uniform", {CYCLE}}}', 1e-12),
        (f'{{mode="shrinking-core", {CYCLE}, front_width="2 nm"}}', 3e-3),
        ('{mode="shrinking-core", soc=[0.6, 0.2, 0.2, 0.1, 0.4, 0.0], front_width="2 nm"}', 3e-3),
        (f'{{mode="diffusion", {CYCLE}, diffusivity="1e-18 m^2/s", steps_per_stage=8}}', 1e-6),
        ('{mode="diffusion", soc=[0.6, 0.3, 0.3, 0.8, 0.1], c_rate=20.0, steps_per_stage=8}', 1e-6),
        (f'{{mode="diffusion", {CYCLE}, boundary="fixed-surface", diffusivity="1e-18 m^2/s"}}', 1e-6),
        ('{mode="diffusion", soc=[0.7, 0.2, 0.5], boundary="fixed-surface", surface_soc=0.8}', 1e-6),
    ],
    ids=["uniform", "shrinking-core", "diffusion-galvanostatic", "diffusion-fixed-surface",
         "uniform-cycle", "shrinking-core-cycle", "shrinking-core-reversals", "diffusion-galvanostatic-cycle",
         "diffusion-cccv-reversals", "diffusion-fixed-surface-cycle", "diffusion-fixed-surface-partial"],
)
@pytest.mark.parametrize("formulation", ["axisymmetric", "spherical-1d"])
def test_every_stage_is_labelled_with_what_was_solved(stages, tol, formulation):
    """In every mode, a stage's SOC is the finite-element mean potassiation of the active phase,
    whether the SOC goes up, down or stays."""
    summary = solve(ZNSE_ORGO, f"stages={stages}", *COARSE, f'model.formulation="{formulation}"')
    requested = [float(v) for v in stages.split("soc=[")[1].split("]")[0].split(",")]
    assert [st["soc"] for st in summary["stages"]] == requested
    for st in summary["stages"]:
        assert st["mean_potassiation_active"] == pytest.approx(st["soc"], abs=tol), st["index"]
        assert -0.02 <= st["max_potassiation_active"] <= 1.02, st["index"]


@pytest.mark.parametrize("mode", ["uniform", "shrinking-core", "diffusion"])
def test_depotassiation_is_accepted_in_every_mode(mode):
    """A SOC list that goes down is a valid case in every stage mode (no dolfinx needed)."""
    from swellfem.case import load_case

    case = load_case(ZNSE_ORGO, [f'stages.mode="{mode}"', "stages.soc=[0.5, 0.9, 0.5, 0.1]"])
    assert list(case.stages.soc) == [0.5, 0.9, 0.5, 0.1]


def test_fixed_surface_above_its_value_is_refused():
    """The one refusal left: a fixed surface at surface_soc never brings the mean above it."""
    from swellfem.case import CaseError, load_case

    with pytest.raises(CaseError, match="stages.surface_soc") as err:
        load_case(ZNSE_ORGO, ['stages={mode="diffusion", soc=[0.5, 0.9, 0.2], boundary="fixed-surface", '
                              'surface_soc=0.8}'])
    assert err.value.key.startswith("stages")
