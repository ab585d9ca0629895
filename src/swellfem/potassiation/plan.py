"""What the stages of a case will need before anything is solved: its active layers and the
reaction-front radii the mesh must resolve (lengths nm). Needs no dolfinx.

Radial layers (inner and outer radius) are those of concentric spheres; fronts and diffusion
are radial about the particle's centre.
"""

from __future__ import annotations

import numpy as np

from ..case import Case, ShrinkingCoreStages
from .fronts import front_radius_for_soc


def active_layers(case: Case) -> list[tuple[str, float, float]]:
    """(name, inner radius nm, outer radius nm) of every active layer."""
    mats = case.resolved_materials()
    radii = case.geometry.outer_radii_nm
    out = []
    for i, layer in enumerate(case.geometry.layers):
        if mats[layer.material].role == "active":
            out.append((layer.name, radii[i - 1] if i else 0.0, radii[i]))
    return out


def planned_fronts(case: Case) -> list[float]:
    """Front radii (nm) of every shrinking-core stage, so that the mesh can resolve them."""
    if not isinstance(case.stages, ShrinkingCoreStages):
        return []
    fronts = []
    for _, r_in, r_out in active_layers(case):
        for soc in case.stages.soc:
            rf = front_radius_for_soc(soc, case.stages.front_width, r_in, r_out)
            if rf is not None:
                fronts.append(float(np.clip(rf, r_in, r_out)))
    return fronts
