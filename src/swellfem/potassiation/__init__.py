"""potassiation: the fourth step — the local state of potassiation theta(x) of each stage.

Lives here: stage drivers (``stages``: uniform, shrinking-core, diffusion; they set the
problem's theta), Fickian diffusion (``diffusion``), reaction fronts (``fronts``), what the
stages need before solving (``plan``: active layers, front radii for the mesh) and what a stage
was (``info``). Imports run stages -> diffusion -> info; ``fronts``, ``plan`` and ``info`` need
no dolfinx, and this package's namespace re-exports only them.

May import: :mod:`swellfem.physics` (the problem whose theta it sets), :mod:`swellfem.case`.
"""

from .fronts import front_profile, front_radius_for_soc, layer_mean, sharp_front_radius
from .info import StageInfo
from .plan import active_layers, planned_fronts

__all__ = [
    "StageInfo", "active_layers", "front_profile", "front_radius_for_soc", "layer_mean", "planned_fronts",
    "sharp_front_radius",
]
