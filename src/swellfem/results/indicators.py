"""What a region's stresses mean, the same for every formulation (numpy only, no dolfinx):
the names of the per-region stress extrema, failure indicators from a region's peak stresses,
the size-aware fracture measure and the summaries of groups of regions. Stresses in MPa,
lengths in nm."""

from __future__ import annotations

import numpy as np

#: equivalent plastic strain above which a point counts as yielded (plastic_volume_fraction)
PLASTIC_THRESHOLD = 1e-6

#: shape factor of the size-aware fracture measure: an edge flaw, K = 1.12 sigma sqrt(pi a)
EDGE_FLAW_Z = 1.12**2 * np.pi

#: the per-region stress extrema of ``summary.json`` (MPa)
METRICS = (
    "von_mises_max_MPa",
    "principal_max_MPa",
    "principal_min_MPa",
    "hydrostatic_max_MPa",
    "hydrostatic_min_MPa",
    "radial_max_MPa",
    "radial_min_MPa",
    "hoop_max_MPa",
    "hoop_min_MPa",
)


def principal_strain(E_MPa: float, nu: float, principal_max: np.ndarray, hydrostatic: np.ndarray) -> np.ndarray:
    """The largest principal elastic strain of stresses with largest principal value
    ``principal_max`` and mean ``hydrostatic`` under an isotropic compliance (E, nu): the strain
    ((1 + nu) S - nu tr(S) I) / E has the stress's principal axes, so its largest principal
    value is ((1 + nu) sigma_1 - 3 nu p) / E."""
    return ((1 + nu) * principal_max - 3 * nu * hydrostatic) / E_MPa


def failure_indicators(max_principal_strain: float, principal_max_MPa: float,
                       strengths: tuple[float | None, float | None]) -> dict:
    """The max principal elastic strain and the ratios of the max principal stress and strain
    to the region's tensile strength and fracture strain (``strengths``; > 1: predicted to
    crack; None where the material has no such data)."""
    tensile, fracture = strengths
    return {
        "max_principal_strain": max_principal_strain,
        "strength_ratio_max": principal_max_MPa / tensile if tensile else None,
        "fracture_strain_ratio_max": max_principal_strain / fracture if fracture else None,
    }


def size_effect(toughness: tuple[float, float] | None, principal_max_MPa: float) -> dict:
    """Size-aware fracture (Huggins & Nix, Ionics 6 (2000) 57; Bhandakkar & Gao): elastic
    stresses do not depend on the particle size, but the energy a flaw releases grows with
    it. A surface flaw as deep as the particle radius R under the peak tensile stress
    sigma_t has K = 1.12 sigma_t sqrt(pi R); it grows when K >= K_Ic, i.e. above the
    critical radius R_c = K_Ic^2 / (1.12^2 pi sigma_t^2). ``toughness``: (K_Ic MPa m^1/2,
    R nm), None: no data. Reports R_c (nm) and R / R_c (> 1: particles of this size are
    predicted to crack; smaller ones survive)."""
    if toughness is None:
        return {}
    K_ic, radius = toughness
    if principal_max_MPa <= 0:
        return {"critical_radius_nm": None, "size_ratio": 0.0}
    critical = (K_ic / principal_max_MPa) ** 2 / EDGE_FLAW_Z * 1e9  # (MPa m^1/2 / MPa)^2 = m
    return {"critical_radius_nm": critical, "size_ratio": radius / critical}


def group_summaries(groups: dict[str, list[str]], regions: dict) -> dict:
    """Each group of regions (every particle of a set): the extremes of its members' stress
    measures (max of maxima, min of minima), and its total volumes and expansion."""
    out = {}
    for group, members in groups.items():
        rows = [regions[m] for m in members if m in regions]
        if not rows:
            continue
        summary = {"count": len(rows)}
        for key in METRICS + ("equivalent_plastic_strain_max",):
            values = [r[key] for r in rows if r.get(key) is not None]
            if values:
                summary[key] = min(values) if key.endswith("_min_MPa") else max(values)
        volume = sum(r["volume_nm3"] for r in rows)
        deformed = sum(r["deformed_volume_nm3"] for r in rows)
        summary.update(volume_nm3=volume, deformed_volume_nm3=deformed,
                       volume_expansion_percent=100.0 * (deformed / volume - 1.0))
        expansions = [r["volume_expansion_percent"] for r in rows]
        summary.update(volume_expansion_min_percent=min(expansions), volume_expansion_max_percent=max(expansions))
        out[group] = summary
    return out
