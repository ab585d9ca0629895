"""Markdown report of a comparison: parameters with sources and assumption labels, the
table, the figures, and per-measure statements of the claim computed from the table."""

from __future__ import annotations

from .comparison import ComparisonSpec, to_markdown


def _num(v, digits=1):
    return "–" if v is None else f"{v:.{digits}f}"


def claim_statements(spec: ComparisonSpec, claims: list[dict]) -> list[str]:
    """One sentence per stress measure, from the computed claim checks."""
    from .comparison import TIE_TOLERANCE

    lines = []
    for c in claims:
        stages = c["stages"]
        if not stages:
            continue
        by = {v: [s for s in stages if s["verdict"] == v] for v in ("holds", "tie", "fails")}
        how = "by magnitude" if c["comparison"] == "magnitude" else "signed, tension positive"
        parts = []
        if by["holds"]:
            parts.append("holds at SOC " + ", ".join(f"{s['soc']:.2f}" for s in by["holds"]))
        if by["tie"]:
            parts.append(f"ties (within {TIE_TOLERANCE:.1%}) at SOC " + ", ".join(f"{s['soc']:.2f}" for s in by["tie"]))
        if by["fails"]:
            parts.append("fails at SOC " + ", ".join(f"{s['soc']:.2f} (smallest: {s['smallest']})" for s in by["fails"]))
        verdict = "holds at every stage" if len(by["holds"]) == len(stages) else "; ".join(parts)
        lines.append(f"- {c['measure']} in {spec.particle_region} (`{c['column']}`, {how}): **{verdict}**.")
    return lines


def model_assumptions(summaries: dict[str, dict]) -> list[str]:
    """What the solved models assume, read from their resolved cases (never from a fixed list)."""
    cases = [s["case"] for s in summaries.values()]
    case0 = cases[0]
    out = []
    for label, s in summaries.items():
        layers = s["case"]["layers"]
        if layers:
            parts = [f"{layers[0]['name']} radius {layers[0]['outer_radius_nm']:g} nm"]
            parts += [f"{b['name']} {b['outer_radius_nm'] - a['outer_radius_nm']:g} nm"
                      for a, b in zip(layers[:-1], layers[1:])]
            out.append(f"{label}: {', '.join(parts)} ({s['case']['geometry']}, perfectly bonded interfaces)")
    laws = sorted({m.get("law", "linear-elastic") for c in cases for m in c["materials"].values()})
    out.append(f"small strain; material laws: {', '.join(laws)}; no plasticity, fracture or debonding")
    st = case0["stages"]
    actives = sorted({m["name"] for c in cases for m in c["materials"].values() if m["role"] == "active"})
    if st["mode"] == "uniform":
        out.append(f"{', '.join(actives)} potassiates uniformly (theta = SOC everywhere)")
    elif st["mode"] == "shrinking-core":
        out.append(f"{', '.join(actives)} potassiates by a shrinking-core front of width {st['front_width_nm']:g} nm "
                   "(tanh profile, mean theta = SOC)")
    else:
        bc = (f"galvanostatic at {st['c_rate_per_h']:g}C, then constant voltage" if st["boundary"] == "galvanostatic"
              else f"surface held at theta = {st['surface_soc']:g}")
        out.append(f"{', '.join(actives)} potassiates by Fickian diffusion, D = {st['diffusivity_m2_per_s']:g} m^2/s, "
                   f"{bc}; carbon shells pass K+ freely")
    shells = {}
    for c in cases:
        for m in c["materials"].values():
            if m["role"] == "shell":
                shells[m["name"]] = m
    for name, m in shells.items():
        swell = "does not swell" if m["volumetric_expansion"] == 0 else f"swells by beta = {m['volumetric_expansion']:g} x SOC"
        out.append(f"{name}: isotropic {m.get('law', 'linear-elastic')} solid, E = {m['E_GPa']:g} GPa, nu = {m['nu']:g}; "
                   f"{swell}")
    return out


def failure_lines(summaries: dict[str, dict]) -> list[str]:
    """Per model and region with a tensile strength: the largest stress ratio (max principal
    stress / tensile strength) and strain ratio, and the first SOC at which it exceeds 1."""
    lines = []
    for label, s in summaries.items():
        for layer in s["case"]["layers"]:
            name, tensile = layer["name"], layer.get("tensile_strength_MPa")
            if not tensile:
                continue
            ratios = [(st["soc"], st["regions"][name].get("strength_ratio_max"),
                       st["regions"][name].get("fracture_strain_ratio_max")) for st in s["stages"]]
            worst = max((r for _, r, _ in ratios if r is not None), default=None)
            worst_strain = max((r for _, _, r in ratios if r is not None), default=None)
            first = next((soc for soc, r, _ in ratios if r is not None and r > 1), None)
            verdict = f"predicted to crack from SOC {first:.2f}" if first is not None else "below its strength"
            strain = f", strain ratio up to {worst_strain:.3g}" if worst_strain is not None else ""
            lines.append(f"- {label}, {name} (tensile strength {tensile:g} MPa): stress ratio up to "
                         f"{_num(worst, 2) if worst is not None else '–'}{strain}: {verdict}")
    return lines


def comparison_report(spec: ComparisonSpec, summaries: dict[str, dict], record: dict) -> str:
    first = next(iter(summaries.values()))
    case0 = first["case"]
    stages = case0["stages"]
    out = [f"# {spec.title}", ""]
    out += [
        f"Generated by swellfem {record['swellfem_version']} from `{record['comparison_file']}`"
        + (f" with `--set {' '.join(record['overrides'])}`" if record["overrides"] else "") + ".",
        "Stress in MPa, tension positive. Every number below is computed from the finite-element results in",
        "`models/*/summary.json`; nothing is typed in.",
        "",
        "## The claim",
        "",
        f"Ruan et al. (Adv. Sci. 2022) report the smallest axial and maximum stress of the particle in "
        f"**{spec.claim_model}**. Whether that holds here, measure by measure and stage by stage:",
        "",
    ]
    out += claim_statements(spec, record["claims"])
    out += [
        "",
        "A free particle that swells uniformly is stress-free; its stress comes from non-uniform",
        "potassiation (a front or a gradient). A confining shell adds compression to the particle",
        "(less tension, the driver of fracture) and carries hoop tension itself, so measures of",
        "tension and of magnitude can rank the models differently.",
        "",
        "The model is small-strain linear elasticity without plasticity or fracture: with a",
        "volume expansion of this size its stresses far exceed any strength of the materials.",
        "Read the magnitudes as a measure of mismatch and compare the models by ranking.",
        "",
        "## Assumptions",
        "",
    ]
    if spec.assumptions:
        out += ["Notes of the comparison file:", ""] + [f"- {a}" for a in spec.assumptions] + [""]
    out += ["Read from the models as they were solved (sources of every number in the material table below):", ""]
    out += [f"- {a}" for a in model_assumptions(summaries)]
    out += [
        f"- stages: {stages['mode']} at SOC {', '.join(f'{s:g}' for s in stages['soc'])}",
        f"- formulation {case0['formulation']}, eigenstrain convention `{case0['eigenstrain_convention']}` "
        f"(e = (1 + beta theta)^(1/3) - 1 for cube-root, beta theta / 3 for linear), P{case0['element_degree']} elements",
        "",
        "## Models and materials",
        "",
        "| model | layers (outer radius, nm) | cells | dofs |",
        "|---|---|---|---|",
    ]
    for label, s in summaries.items():
        layers = ", ".join(f"{layer['name']} ({layer['outer_radius_nm']:g})" for layer in s["case"]["layers"])
        out.append(f"| {label} | {layers} | {s['mesh']['cells']} | {s['mesh']['dofs']} |")
    out += ["", "| material | E (GPa) | nu | beta = dV/V0 | tensile strength (MPa) | source of E | source of nu | "
            "source of beta | source of strength |", "|---|---|---|---|---|---|---|---|---|"]
    seen = {}
    for s in summaries.values():
        seen.update(s["case"]["materials"])
    for name, m in seen.items():
        src = m["sources"]
        strength = m.get("tensile_strength_MPa")
        out.append(
            f"| {name} | {m['E_GPa']:g} | {m['nu']:g} | {m['volumetric_expansion']:g} | "
            f"{'–' if strength is None else f'{strength:g}'} | {src['E']} | {src['nu']} | "
            f"{src['volumetric_expansion']} | {src.get('tensile_strength', '–')} |"
        )
    p = spec.particle_region
    short = ["model", "soc", f"{p}.von_mises_max_MPa", f"{p}.principal_max_MPa", f"{p}.principal_min_MPa",
             f"{p}.hydrostatic_max_MPa", f"{p}.axial_sigma_zz_max_MPa", f"{p}.axial_sigma_zz_absmax_MPa"]
    short += [c for c in record["columns"] if c.endswith(".hoop_max_MPa") and not c.startswith(p + ".")]
    short += ["particle.apparent_volume_expansion_percent"]
    out += ["", "## Results", "", "Key columns (the full table: `comparison.csv`, `comparison.md`):", ""]
    out.append(to_markdown(short, record["rows"]))
    failures = failure_lines(summaries)
    if failures:
        out += ["", "## Failure indicators", "",
                "Max principal stress / tensile strength and max principal elastic strain / fracture strain "
                "(> 1: predicted to crack); strengths with their sources in the material table.", ""]
        out += failures
    out += ["", "## Figures", ""]
    for f in record["figures"]:
        if f.endswith(".png"):
            out.append(f"![{f}]({f})")
            out.append("")
    if record["pictures"]:
        out += ["## Fields (section through the centre)", ""]
        for f in record["pictures"]:
            out.append(f"![{f}]({f})")
            out.append("")
    out += ["## Claim checks per stage", "", "| measure | SOC | claim | ranking (smallest first) |", "|---|---|---|---|"]
    for c in record["claims"]:
        for st in c["stages"]:
            out.append(f"| {c['measure']} | {st['soc']:.2f} | {st['verdict']} | {' < '.join(st['ranking'])} |")
    return "\n".join(out) + "\n"
