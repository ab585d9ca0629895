"""Flat rows of stage results, shared by comparison and sweep tables. No dolfinx here."""

from __future__ import annotations

from typing import Any


def flatten_stage(stage: dict) -> dict[str, Any]:
    """The metrics of one stage of a summary, as ``<region>.<metric>`` columns (MPa)."""
    row: dict[str, Any] = {
        "soc": stage["soc"],
        "mode": stage["mode"],
        "time_s": stage.get("time_s"),
        "front_radius_nm": stage.get("front_radius_nm"),
    }
    for region, metrics in stage["regions"].items():
        for m, v in metrics.items():
            row[f"{region}.{m}"] = v
    prof = stage["axial_profile"]
    for region in stage["regions"]:
        zz = [v for v, r in zip(prof["sigma_zz_MPa"], prof["region"]) if r == region and v is not None]
        if zz:
            row[f"{region}.axial_sigma_zz_max_MPa"] = max(zz)
            row[f"{region}.axial_sigma_zz_absmax_MPa"] = max(abs(v) for v in zz)
    for key, metrics in stage["interfaces"].items():
        for m, v in metrics.items():
            row[f"{key}.{m}"] = v
    row["particle.apparent_volume_expansion_percent"] = stage["apparent_volume_expansion_percent"]
    row["particle.strain_energy_aJ"] = stage["strain_energy_aJ"]
    return row
