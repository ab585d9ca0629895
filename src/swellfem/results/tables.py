"""Tables of results: the per-region table of a run, and flat rows of stage results shared
by the comparison and sweep tables. No dolfinx here."""

from __future__ import annotations

from typing import Any

from ..formatting import soc_text


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
    for group, metrics in (stage.get("groups") or {}).items():
        for m, v in metrics.items():
            row[f"{group}.{m}"] = v
    for pair, metrics in (stage.get("contact") or {}).items():
        for m, v in metrics.items():
            if isinstance(v, (int, float)):
                row[f"contact:{pair}.{m}"] = v
    for body, metrics in (stage.get("free_bodies") or {}).items():
        for m, v in metrics.items():
            row[f"free:{body}.{m}"] = v
    row["particle.apparent_volume_expansion_percent"] = stage["apparent_volume_expansion_percent"]
    row["particle.enclosed_volume_expansion_percent"] = stage.get("enclosed_volume_expansion_percent")  # absent from points an earlier swellfem solved
    row["particle.strain_energy_aJ"] = stage["strain_energy_aJ"]
    return row


def format_region_table(summary: dict) -> str:
    """A plain-text table of the per-region extrema of every stage (MPa)."""
    cols = [
        ("von Mises max", "von_mises_max_MPa"),
        ("princ. max", "principal_max_MPa"),
        ("princ. min", "principal_min_MPa"),
        ("hydro max", "hydrostatic_max_MPa"),
        ("hydro min", "hydrostatic_min_MPa"),
        ("hoop max", "hoop_max_MPa"),
        ("radial min", "radial_min_MPa"),
    ]
    plastic = any(m.get("equivalent_plastic_strain_max") for st in summary["stages"] for m in st["regions"].values())
    name_w = max([len(r) for st in summary["stages"] for r in st["regions"]]
                 + [len(g) + 6 for st in summary["stages"] for g in (st.get("groups") or {})] + [6])
    head = f"{'stage':>5} {'SOC':>5} {'region':<{name_w}} " + " ".join(f"{c[0]:>13}" for c in cols)
    if plastic:
        head += f" {'eq. plastic':>11} {'plastic vol.':>12}"
    lines = [f"Per-region stress extrema, MPa (tension positive; Cauchy stress, {summary['case'].get('kinematics', 'small')} "
             f"strain) — {summary['case']['name']}", head, "-" * len(head)]
    for st in summary["stages"]:
        for region, m in st["regions"].items():
            vals = " ".join(f"{m[key]:13.1f}" if m[key] is not None else f"{'-':>13}" for _, key in cols)
            if plastic:
                vals += f" {m.get('equivalent_plastic_strain_max', 0.0):11.4f} {m.get('plastic_volume_fraction', 0.0):11.1%}"
            lines.append(f"{st['index']:>5} {soc_text(st['soc']):>5} {region:<{name_w}} {vals}")
        for group, m in (st.get("groups") or {}).items():
            vals = " ".join(f"{m[key]:13.1f}" if m.get(key) is not None else f"{'-':>13}" for _, key in cols)
            lines.append(f"{'':>5} {'':>5} {group + ' (all)':<{name_w}} {vals}   {m['count']} particles, "
                         f"expansion {m['volume_expansion_min_percent']:.1f}-{m['volume_expansion_max_percent']:.1f} %")
        for pair, c in (st.get("contact") or {}).items():
            onset = f", closed at SOC {c['onset_soc']:.4g}" if c.get("onset_soc") is not None else ""
            state = (f"in contact over {c['contact_area_fraction']:.1%}, pressure max {c['contact_pressure_max_MPa']:.1f} MPa"
                     if c["in_contact"] else f"open, gap {c['gap_min_nm']:.3g} nm")
            lines.append(f"{'':>5} {'':>5} {'void ' + pair:<{name_w}} {state}, void volume left "
                         f"{c['void_volume_nm3']:.4g} nm^3{onset}")
        lines.append(
            f"{'':>5} {'':>5} {'particle':<{name_w}} apparent volume expansion "
            f"{st['apparent_volume_expansion_percent']:.2f} %"
        )
    return "\n".join(lines)
