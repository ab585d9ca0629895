"""The 1D spherically symmetric reference (swellfem.sphere1d) for a case, and comparisons of
per-region extrema with a stated tolerance."""

from __future__ import annotations

import numpy as np

from swellfem.potassiation.fronts import front_history
from swellfem.physics.radial import layer1d
from swellfem.sphere1d import Sphere1D

STRESS_KEYS = ("von_mises_max_MPa", "principal_max_MPa", "principal_min_MPa", "hydrostatic_max_MPa",
               "hydrostatic_min_MPa", "radial_max_MPa", "radial_min_MPa", "hoop_max_MPa", "hoop_min_MPa")


def sphere1d_for(case, elements_per_layer: int = 200) -> Sphere1D:
    mats = case.resolved_materials()
    geo = case.geometry
    layers = [layer1d(mats[layer.material], r) for layer, r in zip(geo.layers, geo.outer_radii_nm)]
    return Sphere1D(layers, cavity_radius_nm=geo.cavity_radius or 0.0, kinematics=case.model.kinematics,
                    convention=case.model.eigenstrain_convention, elements_per_layer=elements_per_layer)


def stage_thetas(case) -> list:
    """theta(R0) of each stage of a uniform or shrinking-core case, as the FE stages set it:
    the active layer's front profile (the same front history), shells theta = SOC."""
    st = case.stages
    if st.mode == "uniform":
        return [float(s) for s in st.soc]
    mats = case.resolved_materials()
    geo = case.geometry
    inner, outer = geo.inner_radii_nm, geo.outer_radii_nm
    active = [i for i, layer in enumerate(geo.layers) if mats[layer.material].role == "active"]
    histories = {i: front_history(list(st.soc), st.front_width, inner[i], outer[i]) for i in active}
    out = []
    for k, soc in enumerate(st.soc):
        def theta(R, k=k, soc=soc):
            R = np.asarray(R, dtype=float)
            values = np.full(R.shape, float(soc))
            for i in active:
                inside = (R >= inner[i] - 1e-12) & (R <= outer[i] + 1e-12)
                values[inside] = histories[i][k].theta(R[inside])
            return values
        out.append(theta)
    return out


def compare(fe_regions: dict, ref, names: list[str], keys=STRESS_KEYS) -> dict[str, float]:
    """|FE - 1D| of each region extremum over the largest stress magnitude of the reference."""
    ex = {name: ref.region_extrema(i) for i, name in enumerate(names)}
    scale = max(abs(v) for e in ex.values() for k, v in e.items() if k in keys)
    return {f"{n}.{k}": abs(fe_regions[n][k] - ex[n][k]) / scale for n in names for k in keys}
