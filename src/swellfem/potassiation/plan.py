"""What the stages of a case will need before anything is solved: its active layers and the
reaction-front radii the mesh must resolve (lengths nm). Needs no dolfinx.

Radial layers (inner and outer radius) are those of concentric spheres; fronts and diffusion
are radial about the particle's centre, so other shapes are potassiated uniformly.
"""

from __future__ import annotations

import numpy as np

from ..case import Case, ShrinkingCoreStages
from .fronts import front_history


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
