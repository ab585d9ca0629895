"""The carbon shell laws (docs/carbon_laws.md) point by point, without a mesh: the porous law's
consistent tangent against central differences of its map (1e-6 of the largest entry), its
hydrostatic compaction against the law's own closed-form curve (1e-8), no softening when a
compacted point is pulled back open; the transverse law's stress against the rotated Voigt
stiffness (1e-12) and its finite-strain map against Hencky isotropy for isotropic constants."""

from __future__ import annotations

import math
import types

import numpy as np
import pytest

from swellfem.case.laws import transverse_stiffness
from swellfem.physics.kinematics import AXISYMMETRIC_COMPONENTS, FULL_COMPONENTS
from swellfem.physics.laws import PorousCarbon, RegionMaterial, TransverselyIsotropic
from swellfem.physics.laws.porous import deshpande_fleck_alpha

N_POINTS = 300
CARBON = dict(E_MPa=30e3, nu=0.2, yield_strength_MPa=62.0, hardening_modulus_MPa=100.0,
              parameters={"porosity": 0.5, "compaction_strength": 46.0, "densification_strength": 62.0})


def _context(kinematics: str, axisymmetric: bool):
    comps = AXISYMMETRIC_COMPONENTS if axisymmetric else FULL_COMPONENTS
    kin = types.SimpleNamespace(axisymmetric=axisymmetric, components=comps)
    kin.to_flat = lambda T: np.stack([T[:, i, j] for i, j in comps], axis=1)
    return types.SimpleNamespace(kinematics=kin, kinematics_kind=kinematics, convention="cube-root")


def point_law(cls, kinematics: str, axisymmetric: bool, n: int = N_POINTS, **material):
    """A law on bare points (the quadrature plumbing left out), one region."""
    law = cls.__new__(cls)
    law.context = _context(kinematics, axisymmetric)
    law.regions = {"carbon": RegionMaterial(volumetric_expansion=material.pop("volumetric_expansion", 0.0),
                                            active=False, law=cls.name, **material)}
    law.point_region = np.zeros(n, dtype=int)
    law.set_parameters()
    return law


def _random_F(rng, n, axisymmetric, scale):
    F = np.eye(3) + scale * rng.standard_normal((n, 3, 3))
    if axisymmetric:
        for i, j in ((0, 1), (1, 0), (1, 2), (2, 1)):
            F[:, i, j] = 0.0
    return F


@pytest.mark.parametrize("kinematics", ["small", "finite"])
@pytest.mark.parametrize("axisymmetric", [False, True])
def test_porous_consistent_tangent_equals_differences(kinematics, axisymmetric):
    rng = np.random.default_rng(3)
    law = point_law(PorousCarbon, kinematics, axisymmetric, volumetric_expansion=0.005, **CARBON)
    theta = rng.random(N_POINTS)
    state = law.response(_random_F(rng, N_POINTS, axisymmetric, 0.004), theta, law.initial_state(N_POINTS)).state
    F = _random_F(rng, N_POINTS, axisymmetric, 0.006)
    response = law.response(F, theta, state)
    flowing = response.equivalent_plastic_strain > state["epbar"]
    assert 0.3 < flowing.mean() < 1.0  # elastic and plastic points both
    numeric = law.tangent_by_differences(F, theta, state)
    scale = np.abs(numeric).max(axis=(1, 2))[:, None, None]
    assert np.max(np.abs(response.tangent - numeric) / scale) < 1e-6


def _compaction_curve(ev_p: np.ndarray) -> np.ndarray:
    """p(ev_p) of docs/carbon_laws.md §1, hydrostatic compaction (MPa)."""
    sy, pc, H, sd, phi0 = 62.0, 46.0, 100.0, 62.0, 0.5
    alpha = float(deshpande_fleck_alpha(np.array(sy), np.array(pc)))
    c = 1.0 + (alpha / 3.0) ** 2
    phi = 1.0 - (1.0 - phi0) * np.exp(-ev_p)
    epbar = -math.sqrt(c) / alpha * ev_p
    return -math.sqrt(c) / alpha * (sy + H * epbar + sd * (phi0 / np.minimum(phi, phi0) - 1))


@pytest.mark.parametrize("kinematics", ["small", "finite"])
def test_hydrostatic_compaction_follows_the_law_curve(kinematics):
    """One homogeneous element (F = lambda I) compacted in 60 increments to about 10 % porosity: the
    mean stress, the plastic volume change and the porosity follow the law's own curve."""
    law = point_law(PorousCarbon, kinematics, False, n=1, **CARBON)
    E_star = 30e3 * 0.25
    K = E_star / (3 * (1 - 2 * 0.2))
    state = law.initial_state(1)
    theta = np.zeros(1)
    checked = 0
    for ev in np.linspace(0, -0.62, 61)[1:]:
        F = np.exp(ev / 3.0) * np.eye(3)[None] if kinematics == "finite" else (1 + ev / 3.0) * np.eye(3)[None]
        r = law.response(F, theta, state)
        state = r.state
        p = np.trace(r.P[0]) / 3.0 if kinematics == "small" else np.trace(r.P[0] @ F[0].T) / 3.0  # Kirchhoff
        ev_p = state["ev_p"][0]
        if ev_p < 0:
            assert p == pytest.approx(_compaction_curve(np.array(ev_p)), rel=1e-8)
            assert ev == pytest.approx(ev_p + p / K, rel=1e-8)  # elastic part p / K (log strain in finite)
            assert r.outputs["porosity"][0] == pytest.approx(1 - 0.5 * math.exp(-ev_p), rel=1e-12)
            checked += 1
    assert checked > 50 and r.outputs["porosity"][0] < 0.12


def test_compacted_carbon_pulled_open_does_not_soften():
    """Compacted to phi = 0.25 and pulled back to no strain: the point flows in tension at
    sqrt(c)/alpha Y(phi_min), phi_min stays 0.25 while phi reopens."""
    law = point_law(PorousCarbon, "small", False, n=1, **CARBON)
    state, theta = law.initial_state(1), np.zeros(1)
    for ev in np.linspace(0, -0.45, 46)[1:]:
        state = law.response((1 + ev / 3.0) * np.eye(3)[None], theta, state).state
    phi_c = 1 - 0.5 * math.exp(-state["ev_p"][0])
    epbar_c = state["epbar"][0]
    assert 0.2 < phi_c < 0.3
    for ev in np.linspace(-0.45, 0.0, 46)[1:]:
        r = law.response((1 + ev / 3.0) * np.eye(3)[None], theta, state)
        state = r.state
    assert state["phi_min"][0] == pytest.approx(phi_c, rel=1e-12)
    assert r.outputs["porosity"][0] > phi_c + 0.05  # the pores reopened
    alpha = float(deshpande_fleck_alpha(np.array(62.0), np.array(46.0)))
    c = 1 + (alpha / 3) ** 2
    Y = 62.0 + 100.0 * state["epbar"][0] + 62.0 * (0.5 / phi_c - 1)
    assert np.trace(r.P[0]) / 3 == pytest.approx(math.sqrt(c) / alpha * Y, rel=1e-9)
    assert state["epbar"][0] > epbar_c


RGO = dict(E_MPa=250e3, nu=0.17, parameters={"E_normal": 38.7e3, "G_normal": 4.95e3, "nu_normal": 0.05,
                                              "expansion_normal": 0.6, "expansion_tangential": 0.02,
                                              "slack_strain": 0.0, "slack_stiffness_ratio": 1e-4})


def _rotations(rng, n):
    Q, _ = np.linalg.qr(rng.standard_normal((n, 3, 3)))
    return Q * np.sign(np.linalg.det(Q))[:, None, None]


def test_transverse_small_strain_is_the_rotated_voigt_stiffness():
    rng = np.random.default_rng(5)
    n = 50
    law = point_law(TransverselyIsotropic, "small", False, n=n, **RGO)
    Q = _rotations(rng, n)  # local frame: columns t1, t2, n
    law.set_normals(Q[:, :, 2])
    F = _random_F(rng, n, False, 0.01)
    theta = rng.random(n)
    sigma = law.response(F, theta, {}).P
    C11, C12, C13, C33, C44 = transverse_stiffness(250e3, 0.17, 38.7e3, 4.95e3, 0.05)
    C = np.array([[C11, C12, C13, 0, 0, 0], [C12, C11, C13, 0, 0, 0], [C13, C13, C33, 0, 0, 0],
                  [0, 0, 0, C44, 0, 0], [0, 0, 0, 0, C44, 0], [0, 0, 0, 0, 0, (C11 - C12) / 2]])
    for k in range(n):
        eps = 0.5 * (F[k] + F[k].T) - np.eye(3)
        local = Q[k].T @ eps @ Q[k] - np.diag([0.02, 0.02, 0.6]) * theta[k]
        voigt = np.array([local[0, 0], local[1, 1], local[2, 2], 2 * local[1, 2], 2 * local[0, 2], 2 * local[0, 1]])
        s = C @ voigt
        expected = Q[k] @ np.array([[s[0], s[5], s[4]], [s[5], s[1], s[3]], [s[4], s[3], s[2]]]) @ Q[k].T
        assert np.allclose(sigma[k], expected, rtol=0, atol=1e-12 * np.abs(expected).max())


def test_transverse_finite_with_isotropic_constants_is_hencky():
    """E_n = E, G = E / (2 (1 + nu)), nu_normal = nu, isotropic swelling: the Lagrangian Hencky
    law equals the isotropic Hencky law (tau = lambda tr ln V I + 2 mu ln V)."""
    rng = np.random.default_rng(9)
    n = 40
    E, nu, e = 100e3, 0.3, 0.1
    law = point_law(TransverselyIsotropic, "finite", False, n=n, E_MPa=E, nu=nu,
                    parameters={"E_normal": E, "G_normal": E / (2 * (1 + nu)), "nu_normal": nu,
                                "expansion_normal": e, "expansion_tangential": e, "slack_strain": 0.0,
                                "slack_stiffness_ratio": 1.0})
    law.set_normals(_rotations(rng, n)[:, :, 2])
    F = _random_F(rng, n, False, 0.2)
    theta = rng.random(n)
    r = law.response(F, theta, {})
    s = 1 + e * theta
    lam, mu = E * nu / ((1 + nu) * (1 - 2 * nu)), E / (2 * (1 + nu))
    for k in range(n):
        Fe = F[k] / s[k]
        w, V = np.linalg.eigh(Fe @ Fe.T)
        lnV = V @ np.diag(0.5 * np.log(w)) @ V.T
        tau = lam * np.trace(lnV) * np.eye(3) + 2 * mu * lnV
        sigma = tau * s[k] ** 3 / np.linalg.det(F[k])
        assert np.allclose(r.cauchy[k], sigma, rtol=0, atol=1e-9 * np.abs(sigma).max())


def test_axisymmetric_products_are_the_general_ones():
    """The laws' arithmetic on the five entries of axisymmetric tensors (physics/laws/tensors.py)
    gives what the general 3x3 products, LAPACK's eigen-decomposition and determinant give on
    the same tensors: stresses and states of the finite-strain porous and transverse laws to
    1e-10 of their largest entry, and their tangents to 1e-10 (porous: analytic) and 1e-6
    (transverse: forward differences of the map, relative error ~1e-7)."""
    from swellfem.physics.laws.tensors import det, matmul

    rng = np.random.default_rng(11)
    A, B = (_random_F(rng, 50, True, 0.5) for _ in range(2))
    assert np.allclose(matmul(A, B, True), A @ B, rtol=0, atol=1e-14)
    assert np.allclose(det(A, True), np.linalg.det(A), rtol=0, atol=1e-14)
    where = [FULL_COMPONENTS.index(c) for c in AXISYMMETRIC_COMPONENTS]
    phi = rng.uniform(0, np.pi, N_POINTS)
    normals = np.stack([np.sin(phi), np.zeros(N_POINTS), np.cos(phi)], axis=1)  # in the meridian plane
    for cls, material, scale, tangent_tol in ((PorousCarbon, dict(volumetric_expansion=0.005, **CARBON), 0.006, 1e-10),
                                              (TransverselyIsotropic, RGO, 0.02, 1e-6)):
        laws = [point_law(cls, "finite", axi, **{k: (dict(v) if isinstance(v, dict) else v)
                                                  for k, v in material.items()}) for axi in (True, False)]
        if cls is TransverselyIsotropic:
            for law in laws:
                law.set_normals(normals)
        theta = rng.random(N_POINTS)
        F0, F = _random_F(rng, N_POINTS, True, scale), _random_F(rng, N_POINTS, True, 1.5 * scale)
        states = [law.response(F0, theta, law.initial_state(N_POINTS)).state for law in laws]
        axi, full = (law.response(F, theta, state) for law, state in zip(laws, states))
        for a, b, tol in ((axi.P, full.P, 1e-10), (axi.cauchy, full.cauchy, 1e-10),
                          (axi.tangent, full.tangent[:, where][:, :, where], tangent_tol)):
            assert np.allclose(a, b, rtol=0, atol=tol * np.abs(b).max()), cls.name
        for key in axi.state:
            assert np.allclose(axi.state[key], full.state[key], rtol=0, atol=1e-10 * max(np.abs(full.state[key]).max(), 1.0))
