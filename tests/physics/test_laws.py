"""The isotropic law at quadrature points, point by point (no mesh): consistent tangents
against central differences of the stress, and the fast axisymmetric finite-strain map against
the general one. Tolerances: tangents 1e-6 relative to their largest entry (the differences
are accurate to ~1e-9); the two maps agree to round-off (1e-12)."""

from __future__ import annotations

import types

import numpy as np
import pytest

from swellfem.physics.kinematics import AXISYMMETRIC_COMPONENTS, FULL_COMPONENTS
from swellfem.physics.laws.isotropic import Isotropic

N_POINTS = 400


def point_law(kinematics: str, axisymmetric: bool, plastic: bool) -> Isotropic:
    """An Isotropic law on bare points (the quadrature plumbing left out)."""
    law = Isotropic.__new__(Isotropic)
    comps = AXISYMMETRIC_COMPONENTS if axisymmetric else FULL_COMPONENTS
    kin = types.SimpleNamespace(axisymmetric=axisymmetric, components=comps)
    kin.to_flat = lambda T: np.stack([T[:, i, j] for i, j in comps], axis=1)
    law.context = types.SimpleNamespace(kinematics=kin, kinematics_kind=kinematics, convention="cube-root")
    law.finite = kinematics == "finite"
    law.convention = "cube-root"
    n = N_POINTS
    law.E0, law.E1 = np.full(n, 80e3), np.full(n, 40e3)
    law.nu, law.beta = np.full(n, 0.3), np.full(n, 1.5)
    law.sy0 = np.full(n, 400.0 if plastic else np.inf)
    law.sy1 = np.full(n, 200.0 if plastic else np.inf)
    law.H = np.full(n, 2000.0)
    return law


def random_state(law, axisymmetric: bool, rng):
    n = N_POINTS
    F = np.eye(3) + 0.15 * rng.standard_normal((n, 3, 3))
    if axisymmetric:
        for i, j in ((0, 1), (1, 0), (1, 2), (2, 1)):
            F[:, i, j] = 0.0
    state = law.initial_state(n)
    theta = rng.random(n)
    # a plastic history: one step to a prestrained state
    F0 = np.eye(3) + 0.1 * rng.standard_normal((n, 3, 3))
    if axisymmetric:
        for i, j in ((0, 1), (1, 0), (1, 2), (2, 1)):
            F0[:, i, j] = 0.0
    state = law.response(F0, theta, state).state
    return F, theta, state


def differences(law, F, theta, state, h=1e-6):
    comps = law.context.kinematics.components
    out = np.empty((len(F), len(comps), len(comps)))
    for b, (k, l) in enumerate(comps):
        Fp, Fm = F.copy(), F.copy()
        Fp[:, k, l] += h
        Fm[:, k, l] -= h
        dP = (law.response(Fp, theta, state).P - law.response(Fm, theta, state).P) / (2 * h)
        for a, (i, j) in enumerate(comps):
            out[:, a, b] = dP[:, i, j]
    return out


@pytest.mark.parametrize("kinematics", ["small", "finite"])
@pytest.mark.parametrize("axisymmetric", [False, True])
@pytest.mark.parametrize("plastic", [False, True])
def test_consistent_tangent_equals_differences(kinematics, axisymmetric, plastic):
    rng = np.random.default_rng(7)
    law = point_law(kinematics, axisymmetric, plastic)
    F, theta, state = random_state(law, axisymmetric, rng)
    response = law.response(F, theta, state)
    if plastic:
        assert (response.equivalent_plastic_strain > state["epbar"]).mean() > 0.3  # many points flow
    numeric = differences(law, F, theta, state)
    scale = np.abs(numeric).max(axis=(1, 2))[:, None, None]
    assert np.max(np.abs(response.tangent - numeric) / scale) < 1e-6


def test_axisymmetric_map_equals_the_general_one():
    rng = np.random.default_rng(3)
    fast = point_law("finite", True, True)
    general = point_law("finite", False, True)
    general.context.kinematics.components = AXISYMMETRIC_COMPONENTS
    F, theta, state = random_state(fast, True, rng)
    a = fast.response(F, theta, state)
    general.context.kinematics.axisymmetric = False
    b = general.response(F, theta, state)
    for key in ("P", "cauchy", "energy", "J", "equivalent_plastic_strain"):
        x, y = getattr(a, key), getattr(b, key)
        assert np.max(np.abs(x - y)) <= 1e-12 * max(np.abs(y).max(), 1.0), key
    assert np.max(np.abs(a.state["Cp_inv"] - b.state["Cp_inv"])) < 1e-12
    assert np.max(np.abs(a.tangent - b.tangent)) < 1e-6 * np.abs(b.tangent).max()


def test_free_swelling_point_is_stress_free():
    law = point_law("finite", False, True)
    theta = np.full(N_POINTS, 0.7)
    s = np.cbrt(1 + 1.5 * 0.7)
    F = np.broadcast_to(s * np.eye(3), (N_POINTS, 3, 3)).copy()
    r = law.response(F, theta, law.initial_state(N_POINTS))
    assert np.abs(r.cauchy).max() < 1e-9
    assert np.allclose(r.J, s**3)


def test_yielded_point_carries_the_flow_stress():
    """Uniaxial stretch far beyond yield: the Cauchy von Mises stress is (sy + H epbar) / Je."""
    law = point_law("finite", False, True)
    n = N_POINTS
    F = np.broadcast_to(np.diag([1.3, 1 / np.sqrt(1.3), 1 / np.sqrt(1.3)]), (n, 3, 3)).copy()
    theta = np.zeros(n)
    r = law.response(F, theta, law.initial_state(n))
    S = r.cauchy
    dev = S - np.trace(S, axis1=1, axis2=2)[:, None, None] * np.eye(3) / 3
    vm = np.sqrt(1.5 * np.einsum("nij,nij->n", dev, dev))
    Je = r.J  # Js = 1 at theta = 0
    assert np.allclose(vm * Je, 400.0 + 2000.0 * r.equivalent_plastic_strain, rtol=1e-10)
