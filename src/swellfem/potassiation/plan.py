"""What the stages of a case will need before anything is solved: its active layers and the
reaction-front radii the mesh must resolve (lengths nm). Needs no dolfinx.

Radial layers (inner and outer radius) are those of concentric spheres; fronts and diffusion
are radial about the particle's centre, so other shapes are potassiated uniformly.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ..case import Case, ShrinkingCoreStages
from .fronts import FrontProfile, front_history
from .info import StageInfo


def active_layers(case: Case) -> list[tuple[str, float, float]]:
    """(name, inner radius nm, outer radius nm) of every active layer; for geometries that are
    not concentric spheres (uniform stages only) every active region, from 0 to the extent."""
    mats = case.resolved_materials()
    geo = case.geometry
    if not hasattr(geo, "outer_radii_nm"):
        return [(name, 0.0, geo.extent_nm) for name, m in geo.region_materials.items() if mats[m].role == "active"]
    radii, inner = case.geometry.outer_radii_nm, case.geometry.inner_radii_nm
    out = []
    for i, layer in enumerate(case.geometry.layers):
        if not getattr(layer, "void", False) and mats[layer.material].role == "active":
            out.append((layer.name, inner[i], radii[i]))
    return out


def planned_fronts(case: Case) -> list[float]:
    """Front radii (nm) of every shrinking-core stage, so that the mesh can resolve them: every
    front of each stage's front history (potassiation and depotassiation fronts alike, see
    :mod:`.fronts`), clipped to its layer."""
    if not isinstance(case.stages, ShrinkingCoreStages):
        return []
    fronts = []
    for _, r_in, r_out in active_layers(case):
        for profile in front_history(case.stages.soc, case.stages.front_width, r_in, r_out):
            fronts.extend(float(np.clip(rf, r_in, r_out)) for rf in profile.radii)
    return fronts


def stage_fronts(case: Case) -> Iterator[tuple[StageInfo, dict[str, FrontProfile]]]:
    """The stages of a uniform or shrinking-core case in order: each stage's :class:`StageInfo`
    (its current front radius set where there is a front) and the front profile of every
    active layer that has fronts at that stage. theta follows the profile there and equals the
    SOC everywhere else (shells, uniform stages, a layer at SOC 0 or 1)."""
    st = case.stages
    histories = {}
    if isinstance(st, ShrinkingCoreStages):  # the same profiles as planned_fronts meshed for
        histories = {name: front_history(st.soc, st.front_width, r_in, r_out)
                     for name, r_in, r_out in active_layers(case)}
    for index, soc in enumerate(st.soc):
        info = StageInfo(index=index, soc=soc, mode=st.mode)
        profiles = {name: history[index] for name, history in histories.items() if history[index].fronts}
        for profile in profiles.values():
            info.front_radius_nm = profile.front_radius
        yield info, profiles
