"""Markdown report of a comparison: parameters with sources and assumption labels, the
table, the figures, and per-measure statements of the claim computed from the table."""

from __future__ import annotations

from ..formatting import soc_text
from .comparison import ComparisonSpec, to_markdown

#: what a formulation's name alone does not say
FORMULATION_NOTES = {
    "spherical-1d": "the radial problem of the concentric spheres on quadratic elements in the radius, exact for "
                    "their spherical symmetry",
}


def formulation_text(formulation: str) -> str:
    """The formulation's name, with what it means where the name alone does not say it."""
    note = FORMULATION_NOTES.get(formulation)
    return f"{formulation} ({note})" if note else formulation


def _cell(text: str) -> str:
    """Text in a markdown table cell (a '|' would end the cell)."""
    return text.replace("|", "\\|")


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
            parts.append("holds at SOC " + ", ".join(soc_text(s["soc"]) for s in by["holds"]))
        if by["tie"]:
            parts.append(f"ties (within {TIE_TOLERANCE:.1%}) at SOC " + ", ".join(soc_text(s["soc"]) for s in by["tie"]))
        if by["fails"]:
            parts.append("fails at SOC " + ", ".join(f"{soc_text(s['soc'])} (smallest: {s['smallest']})" for s in by["fails"]))
        smallest = {s["smallest"] for s in by["fails"]}
        verdict = "; ".join(parts)
        if len(by["holds"]) == len(stages):
            verdict = "holds at every stage"
        elif len(by["fails"]) == len(stages) and len(stages) > 1 and len(smallest) == 1:
            verdict = f"fails at every stage (smallest: {smallest.pop()})"
        lines.append(f"- {c['measure']} in {spec.particle_region} (`{c['column']}`, {how}): **{verdict}**.")
    return lines


def kinematics_text(summaries: dict[str, dict]) -> str:
    kinds = {s["case"].get("kinematics", "small") for s in summaries.values()}
    texts = {"small": "small strain (linearised)",
             "finite": "finite strain (F = Fe Fp Fs, Hencky elasticity, total Lagrangian)"}
    return " / ".join(texts.get(k, k) for k in sorted(kinds))


def plasticity_texts(summaries: dict[str, dict]) -> list[str]:
    """One phrase per material that yields (J2): its yield strength(s) and hardening."""
    out = {}
    for s in summaries.values():
        for name, m in s["case"]["materials"].items():
            if m.get("yield_strength_MPa") is None or name in out or m.get("law", "isotropic") != "isotropic":
                continue
            y0, y1 = m["yield_strength_MPa"], m.get("yield_strength_potassiated_MPa")
            ys = f"{y0:g} MPa" if y1 is None or y1 == y0 else f"{y0:g} MPa (theta = 0) to {y1:g} MPa (theta = 1, linear)"
            H = m.get("hardening_modulus_MPa") or 0.0
            hard = f"linear hardening H = {H:g} MPa" if H else "perfectly plastic"
            out[name] = f"J2 plasticity in {name}: yield strength {ys}, {hard}"
    return list(out.values())


def case_regions(case: dict) -> list[dict]:
    """The regions of a summary's case with their material values (``regions``; the ``layers``
    of concentric spheres in results written before regions were recorded)."""
    return case.get("regions") or case["layers"]


def _radius(region: dict) -> float | None:
    """A region's radius (nm): the outer radius of a spherical layer, a particle's radius."""
    return region.get("outer_radius_nm", region.get("radius_nm"))


def plastic_regions(summaries: dict[str, dict]) -> list[str]:
    """The regions whose material yields by J2 plasticity (law isotropic with a yield strength)."""
    names = []
    for s in summaries.values():
        mats = s["case"]["materials"]
        for layer in case_regions(s["case"]):
            law = mats.get(layer.get("material"), {}).get("law", "isotropic")
            if layer.get("yield_strength_MPa") is not None and law == "isotropic" and layer["name"] not in names:
                names.append(layer["name"])
    return names


def shell_law_texts(summaries: dict[str, dict]) -> dict[str, str]:
    """What each carbon shell law of the models means, by material (docs/carbon_laws.md)."""
    out = {}
    for s in summaries.values():
        for name, m in s["case"]["materials"].items():
            p = m.get("law_parameters") or {}
            if name in out or m.get("law") not in ("porous", "transverse"):
                continue
            if m["law"] == "porous":
                phi0 = p["porosity"]
                out[name] = (f"{name}: porous carbon (Deshpande-Fleck crushable foam, associated flow), porosity "
                             f"{phi0:g}, matrix E = {m['E_GPa']:g} GPa (the foam {m['E_GPa'] * (1 - phi0) ** 2:g} GPa), "
                             f"nu = {m['nu']:g}, yield strength {m['yield_strength_MPa']:g} MPa, compaction pressure "
                             f"{p['compaction_strength_MPa']:g} MPa, densification {p['densification_strength_MPa']:g} MPa "
                             "x (phi0/phi - 1): its pores collapse under pressure and open in tension; elastic moduli fixed at "
                             "the initial porosity")
            else:
                slack = (f"wrinkles take up {p['slack_strain']:g} in-plane strain at {p['slack_stiffness_ratio']:g} of "
                         "the stiffness" if p.get("slack_strain") else "no wrinkle slack")
                swell = ", ".join(f"{k.split('_')[1]} {p[k]:g}" for k in ("expansion_normal", "expansion_tangential")
                                  if p.get(k))
                out[name] = (f"{name}: transversely isotropic about the shell normal, E = {m['E_GPa']:g} GPa in plane "
                             f"(nu = {m['nu']:g}), {p['E_normal_MPa'] / 1000:g} GPa across, interlayer shear "
                             f"{p['G_normal_MPa'] / 1000:g} GPa; {slack}; "
                             + (f"swells (linear strain at full charge) {swell}" if swell else "does not swell"))
    return out


def model_statement(summaries: dict[str, dict]) -> list[str]:
    """What the magnitudes of this model mean (from its kinematics and laws)."""
    kinds = {s["case"].get("kinematics", "small") for s in summaries.values()}
    plastic = plastic_regions(summaries)
    if kinds == {"small"} and not plastic and largest_swelling_strain(summaries) < 0.01:
        return ["The model is small-strain linear elasticity without plasticity or fracture, at swelling strains",
                f"below 1 % (at most {largest_swelling_strain(summaries):.2%}): stresses scale with the swelling while",
                "the materials stay elastic; the failure indicators below say whether they do."]
    if kinds == {"small"} and not plastic:
        return ["The model is small-strain linear elasticity without plasticity or fracture: with a",
                "volume expansion of this size its stresses far exceed any strength of the materials.",
                "Read the magnitudes as a measure of mismatch and compare the models by ranking."]
    kin = "finite-strain (Hencky) elasticity" if kinds == {"finite"} else "small-strain linear elasticity"
    if not plastic:
        return [f"The model is {kin} without plasticity or fracture: it removes the error of linearised",
                "strain at this volume expansion, but its stresses still far exceed any strength of the",
                "materials. Read the magnitudes as a measure of mismatch and compare the models by ranking."]
    shells = shell_law_texts(summaries)
    tail = (["The carbon shells are modelled as they are: " + "; ".join(shells.values()) + ". Their stress",
             "ratios below say whether they would crack; the porous carbon's smallest porosity says how far",
             "its pores gave way."] if shells else
            ["The carbon shells stay elastic; their stress ratios below say whether they would crack."])
    return [f"The model is {kin} with J2 plasticity in {', '.join(plastic)} (the yield strength is an",
            "assumption, see below): where it yields, its von Mises stress is held at the flow stress (Cauchy:",
            "(sigma_y + H eps_p) / Je, a little more where the elastic volume Je is compressed), so the von Mises",
            "stresses of the models come close, while the hydrostatic stress is not capped.", *tail]


def largest_swelling_strain(summaries: dict[str, dict]) -> float:
    """The largest linear swelling strain of any material at any stage (cube-root convention:
    (1 + beta SOC)^(1/3) - 1, the larger of the two conventions' values)."""
    out = 0.0
    for s in summaries.values():
        socs = [st["soc"] for st in s["stages"]]
        for m in s["case"]["materials"].values():
            beta = m.get("volumetric_expansion") or 0.0
            out = max([out] + [max(abs((1 + beta * soc) ** (1 / 3) - 1), abs(beta * soc / 3)) for soc in socs])
    return out


def model_assumptions(summaries: dict[str, dict]) -> list[str]:
    """What the solved models assume, read from their resolved cases (never from a fixed list)."""
    cases = [s["case"] for s in summaries.values()]
    case0 = cases[0]
    out = []
    for label, s in summaries.items():
        layers = s["case"]["layers"]
        if layers:
            parts = [f"{layers[0]['name']} radius {layers[0]['outer_radius_nm']:g} nm"]
            parts += [f"{b['name']}{' (void)' if b.get('void') else ''} {b['outer_radius_nm'] - a['outer_radius_nm']:g} nm"
                      for a, b in zip(layers[:-1], layers[1:])]
            bond = ("perfectly bonded interfaces, frictionless contact across the voids" if any(x.get("void") for x in layers)
                    else "perfectly bonded interfaces")
            out.append(f"{label}: {', '.join(parts)} ({s['case']['geometry']}, {bond})")
        else:
            out.append(f"{label}: {geometry_text(s['case'])} (perfectly bonded interfaces)")
    laws = sorted({m.get("law", "linear-elastic") for c in cases for m in c["materials"].values()})
    plastic = plasticity_texts(summaries)
    out.append(f"{kinematics_text(summaries)}; material laws: {', '.join(laws)}; "
               f"{'; '.join(plastic) if plastic else 'no plasticity'}; no fracture or debonding "
               "(the failure indicators say where they would start)")
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
    laws_of_shells = shell_law_texts(summaries)
    for name, m in shells.items():
        if name in laws_of_shells:
            text = laws_of_shells[name]
            if m["volumetric_expansion"]:
                text += f"; swells by beta = {m['volumetric_expansion']:g} x SOC"
            out.append(text)
            continue
        swell = "does not swell" if m["volumetric_expansion"] == 0 else f"swells by beta = {m['volumetric_expansion']:g} x SOC"
        law = m.get("law", "isotropic")
        kind = "isotropic elastic" if law in ("isotropic", "linear-elastic") else law
        if m.get("yield_strength_MPa") is not None:
            kind += f", J2 plastic (yield strength {m['yield_strength_MPa']:g} MPa)"
        out.append(f"{name}: {kind} solid, E = {m['E_GPa']:g} GPa, nu = {m['nu']:g}; {swell}")
    return out


def failure_indicators(summaries: dict[str, dict]) -> list[dict]:
    """Per model and region, the worst failure indicators over the stages: stress ratio (max
    principal stress / tensile strength), strain ratio (max principal elastic strain / fracture
    strain), size ratio R / R_c of a particle (size-aware fracture), equivalent plastic strain
    and plastic volume fraction; each with the first SOC at which a ratio exceeds 1. Regions
    without any such data are left out."""
    out = []
    for label, s in summaries.items():
        for layer in case_regions(s["case"]):
            name = layer["name"]
            per = [(st["soc"], st["regions"][name]) for st in s["stages"]]

            def worst(key, per=per):
                vals = [(m.get(key), soc) for soc, m in per if m.get(key) is not None]
                return max(vals, default=(None, None))

            def first_above(key, per=per):
                return next((soc for soc, m in per if m.get(key) is not None and m[key] > 1), None)

            row = {"model": label, "region": name, "tensile_strength_MPa": layer.get("tensile_strength_MPa"),
                   "fracture_toughness_MPa_sqrt_m": layer.get("fracture_toughness_MPa_sqrt_m"),
                   "yield_strength_MPa": layer.get("yield_strength_MPa"), "radius_nm": _radius(layer)}
            row["strength_ratio"], _ = worst("strength_ratio_max")
            row["strain_ratio"], _ = worst("fracture_strain_ratio_max")
            row["size_ratio"], size_soc = worst("size_ratio")
            row["critical_radius_nm"] = next((m.get("critical_radius_nm") for soc, m in per if soc == size_soc), None)
            row["size_ratio_soc"] = size_soc
            row["plastic_strain"], _ = worst("equivalent_plastic_strain_max")
            row["plastic_fraction"], _ = worst("plastic_volume_fraction")
            porosity = [m["porosity_min"] for _, m in per if m.get("porosity_min") is not None]
            row["porosity_min"] = min(porosity) if porosity else None
            row["sheet_strain"], _ = worst("sheet_strain_max")
            row["cracks_from_soc"] = first_above("strength_ratio_max")
            row["strain_cracks_from_soc"] = first_above("fracture_strain_ratio_max")
            row["size_cracks_from_soc"] = first_above("size_ratio")
            has_plastic = row["yield_strength_MPa"] is not None or (row["plastic_strain"] or 0) > 0
            if row["strength_ratio"] is None and row["strain_ratio"] is None and row["size_ratio"] is None \
                    and not has_plastic:
                continue
            out.append(row)
    return out


def _verdict(r: dict) -> str:
    parts = []
    if r["cracks_from_soc"] is not None:
        parts.append(f"cracks from SOC {soc_text(r['cracks_from_soc'])} (stress)")
    elif r["strain_cracks_from_soc"] is not None:
        parts.append(f"cracks from SOC {soc_text(r['strain_cracks_from_soc'])} (strain)")
    elif r["strength_ratio"] is not None or r["strain_ratio"] is not None:
        parts.append("below its strength")
    if r["size_cracks_from_soc"] is not None:
        parts.append(f"particles of {r['radius_nm']:g} nm crack from SOC {soc_text(r['size_cracks_from_soc'])}")
    elif r["size_ratio"] is not None:
        parts.append("no tension at any stage" if not r["size_ratio"] else "below the critical size")
    if r["yield_strength_MPa"] is not None:
        parts.append("yields" if (r["plastic_strain"] or 0) > 0 else "stays elastic")
    return "; ".join(parts)


def failure_lines(summaries: dict[str, dict]) -> list[str]:
    """One line per model and region with failure data (:func:`failure_indicators`)."""
    lines = []
    for r in failure_indicators(summaries):
        facts = []
        if r["tensile_strength_MPa"]:
            facts.append(f"stress ratio up to {_num(r['strength_ratio'], 2)}")
            if r["strain_ratio"] is not None:
                facts.append(f"strain ratio up to {r['strain_ratio']:.3g}")
        if r["size_ratio"] is not None:
            rc = r["critical_radius_nm"]
            facts.append(f"size ratio R/R_c up to {r['size_ratio']:.3g}"
                         + (f" (R_c = {rc:.3g} nm at SOC {soc_text(r['size_ratio_soc'])})" if rc else ""))
        if r["yield_strength_MPa"] is not None or (r["plastic_strain"] or 0) > 0:
            facts.append(f"equivalent plastic strain up to {r['plastic_strain'] or 0:.3g}, plastic volume "
                         f"fraction up to {r['plastic_fraction'] or 0:.2f}")
        if r.get("porosity_min") is not None:
            facts.append(f"porosity down to {r['porosity_min']:.3g}")
        if r.get("sheet_strain") is not None:
            facts.append(f"in-plane sheet strain up to {r['sheet_strain']:.3g}")
        about = []
        if r["tensile_strength_MPa"]:
            about.append(f"tensile strength {r['tensile_strength_MPa']:g} MPa")
        if r["fracture_toughness_MPa_sqrt_m"] and r["size_ratio"] is not None:
            about.append(f"K_Ic {r['fracture_toughness_MPa_sqrt_m']:g} MPa m^1/2, radius {r['radius_nm']:g} nm")
        if r["yield_strength_MPa"] is not None:
            about.append(f"yield strength {r['yield_strength_MPa']:g} MPa")
        lines.append(f"- {r['model']}, {r['region']} ({'; '.join(about)}): {', '.join(facts)}: {_verdict(r)}")
    return lines


FAILURE_NOTE = ("Max principal stress / tensile strength and max principal elastic strain / fracture strain "
                "(> 1: predicted to crack); for a particle with a fracture toughness, the size ratio R / R_c with "
                "R_c = K_Ic^2 / (1.12^2 pi sigma_t^2), sigma_t its peak tensile stress (> 1: particles of this size "
                "crack, smaller ones survive); where a material yields, its equivalent plastic strain and the "
                "fraction of its volume that yielded. Strengths with their sources in the material table.")


def _override_source(record: dict, material: str, prop: str, label: str) -> str:
    """The source of a material property, naming the variant that set it."""
    if record.get("variant") is not None and any(o.split("=", 1)[0].strip() == f"materials.{material}.{prop}"
                                                 for o in record.get("set", [])):
        return f"set by the variant {record['variant']} (assumption: see its notes)"
    return label or "–"


def material_table(summaries: dict[str, dict]) -> list[str]:
    """The material table with the source of every number."""
    out = ["| material | E (GPa) | nu | beta = dV/V0 | tensile strength (MPa) | source of E | source of nu | "
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
    tough = {name: m for name, m in seen.items() if m.get("fracture_toughness_MPa_sqrt_m")}
    if tough:
        out += ["", "| material | fracture toughness K_Ic (MPa m^1/2) | source |", "|---|---|---|"]
        out += [f"| {name} | {m['fracture_toughness_MPa_sqrt_m']:g} | {m['sources'].get('fracture_toughness', '–')} |"
                for name, m in tough.items()]
    return out


def plasticity_table(summaries: dict[str, dict], record: dict) -> list[str]:
    """Yield strengths, hardening and potassiated values of the materials that yield (none: [])."""
    seen = {}
    for s in summaries.values():
        seen.update(s["case"]["materials"])
    plastic = {name: m for name, m in seen.items() if m.get("yield_strength_MPa") is not None}
    if not plastic:
        return []
    out = ["| material | yield strength (MPa) | at theta = 1 (MPa) | hardening modulus (MPa) | "
           "E at theta = 1 (GPa) | source of the yield strength |", "|---|---|---|---|---|---|"]
    for name, m in plastic.items():
        y1, e1 = m.get("yield_strength_potassiated_MPa"), m.get("E_potassiated_GPa")
        source = _override_source(record, name, "yield_strength", m["sources"].get("yield_strength"))
        out.append(f"| {name} | {m['yield_strength_MPa']:g} | {'as at theta = 0' if y1 is None else f'{y1:g}'} | "
                   f"{m.get('hardening_modulus_MPa') or 0:g} | {'as at theta = 0' if e1 is None else f'{e1:g}'} | "
                   f"{source} |")
    return out


def materials_lines(summaries: dict[str, dict], record: dict) -> list[str]:
    """The material table (with sources) and, where a material yields, its plasticity table."""
    plastic = plasticity_table(summaries, record)
    return material_table(summaries) + ([""] + plastic if plastic else [])


def geometry_text(case: dict) -> str:
    """One line for a model's geometry: layers and outer radii for spheres, else the shape's values."""
    if case.get("layers"):
        return ", ".join(f"{layer['name']} ({layer['outer_radius_nm']:g})" for layer in case["layers"])
    shape = dict(case.get("shape") or {})
    kind = shape.pop("type", case.get("geometry", ""))
    shown = {k: v for k, v in shape.items() if isinstance(v, (int, float, str)) and not isinstance(v, bool)}
    values = ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in shown.items())
    regions = ", ".join(r["name"] for r in case.get("regions", []))
    return f"{kind} ({values}); regions {regions}"


def probe_line_lines(summaries: dict[str, dict]) -> list[str]:
    """The peaks along each model's probe lines at the last stage (where they are), as markdown."""
    rows = []
    for label, s in summaries.items():
        st = s["stages"][-1]
        for name, prof in (st.get("profiles") or {}).items():
            def peak(key, how):
                values = [(v, d, r) for v, d, r in zip(prof[key], prof["s_nm"], prof["region"]) if v is not None]
                return how(values, key=lambda t: t[0]) if values else None

            vm, tt = peak("von_mises_MPa", max), peak("sigma_tt_MPa", max)
            if vm is None:
                continue
            rows.append(f"| {label} | {name} | {vm[0]:.1f} at {vm[1]:.1f} nm ({vm[2]}) | "
                        f"{tt[0]:.1f} at {tt[1]:.1f} nm ({tt[2]}) |")
    if not rows:
        return []
    soc = next(iter(summaries.values()))["stages"][-1]["soc"]
    return ["", "## Probe lines", "",
            f"Peaks along each model's probe lines at SOC {soc_text(soc)} (distance from the line's start; "
            "`figures/probe_lines.png`; the profiles: `models/*/summary.json`, stage `profiles`):", "",
            "| model | line | von Mises max (MPa) | normal stress along the line, max (MPa) |", "|---|---|---|---|",
            *rows]


def comparison_report(spec: ComparisonSpec, summaries: dict[str, dict], record: dict) -> str:
    first = next(iter(summaries.values()))
    case0 = first["case"]
    stages = case0["stages"]
    out = [f"# {spec.title}" + (f": {record['variant']}" if record.get("variant") is not None else ""), ""]
    out += [
        f"Generated by swellfem {record['swellfem_version']} from `{record['comparison_file']}`"
        + (f" with `--set {' '.join(record['overrides'])}`" if record["overrides"] else "") + ".",
        "Stress in MPa, tension positive. Every number below is computed from the finite-element results in",
        "`models/*/summary.json`; nothing is typed in.",
        "",
    ]
    if record.get("variant") is not None:
        out += [f"Model variant **{record['variant']}**{' (the headline variant)' if record['headline'] else ''}"
                + (f": {record['description']}" if record["description"] else "") + ". Overrides of every model's case: "
                + (", ".join(f"`{o}`" for o in record["set"]) if record["set"] else "none") + ".", ""]
    out += [
        "## The claim",
        "",
        f"{spec.claim_source} the smallest axial and maximum stress of the particle in "
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
    ]
    out += model_statement(summaries)
    out += ["", "## Assumptions", ""]
    if spec.assumptions:
        out += ["Notes of the comparison file:", ""] + [f"- {a}" for a in spec.assumptions] + [""]
    if record.get("variant_assumptions"):
        out += [f"Notes of the variant {record['variant']}:", ""] + [f"- {a}" for a in record["variant_assumptions"]]
        out += [""]
    out += ["Read from the models as they were solved (sources of every number in the material table below):", ""]
    out += [f"- {a}" for a in model_assumptions(summaries)]
    out += [
        f"- stages: {stages['mode']} at SOC {', '.join(f'{s:g}' for s in stages['soc'])}",
        f"- formulation {formulation_text(case0['formulation'])}, eigenstrain convention `{case0['eigenstrain_convention']}` "
        f"(e = (1 + beta theta)^(1/3) - 1 for cube-root, beta theta / 3 for linear), P{case0['element_degree']} elements",
        "",
        "## Models and materials",
        "",
        "| model | geometry (layers: outer radius, nm) | cells | dofs |",
        "|---|---|---|---|",
    ]
    for label, s in summaries.items():
        out.append(f"| {label} | {_cell(geometry_text(s['case']))} | {s['mesh']['cells']} | {s['mesh']['dofs']} |")
    notes = [n for s in summaries.values() for n in s["case"].get("notes", [])]
    if notes:
        out += [""] + [f"- note: {n}" for n in dict.fromkeys(notes)]
    if any(st.get("newton_iterations") for s in summaries.values() for st in s["stages"]):
        out += ["", "| model | Newton iterations | load increments | cutbacks | solve time (s) |", "|---|---|---|---|---|"]
        for label, s in summaries.items():
            total = {k: sum(st.get(k) or 0 for st in s["stages"])
                     for k in ("newton_iterations", "load_increments", "load_cutbacks")}
            out.append(f"| {label} | {total['newton_iterations']} | {total['load_increments']} | "
                       f"{total['load_cutbacks']} | {s['timing_s'].get('solve_s', 0):.1f} |")
    out += [""] + materials_lines(summaries, record)
    p = spec.particle_region
    short = ["model", "soc", f"{p}.von_mises_max_MPa", f"{p}.principal_max_MPa", f"{p}.principal_min_MPa",
             f"{p}.hydrostatic_max_MPa", f"{p}.axial_sigma_zz_max_MPa", f"{p}.axial_sigma_zz_absmax_MPa"]
    short += [c for c in record["columns"] if c.endswith(".hoop_max_MPa") and not c.startswith(p + ".")]
    short += ["particle.apparent_volume_expansion_percent"]
    out += ["", "## Results", "", "Key columns (the full table: `comparison.csv`, `comparison.md`):", ""]
    out.append(to_markdown(short, record["rows"]))
    out += probe_line_lines(summaries)
    failures = failure_lines(summaries)
    if failures:
        out += ["", "## Failure indicators", "", FAILURE_NOTE, ""]
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
            out.append(f"| {_cell(c['measure'])} | {soc_text(st['soc'])} | {st['verdict']} | {' < '.join(st['ranking'])} |")
    return "\n".join(out) + "\n"


def short_verdict(claim: dict) -> str:
    """A claim over all stages in a few words ("holds at every stage", "holds 3/5, fails 2/5")."""
    stages = claim["stages"]
    if not stages:
        return "–"
    n = len(stages)
    count = {v: sum(1 for st in stages if st["verdict"] == v) for v in ("holds", "tie", "fails")}
    if count["holds"] == n:
        return "holds at every stage"
    if count["fails"] == n:
        return "fails at every stage"
    if count["tie"] == n:
        return "ties at every stage"
    names = {"holds": "holds", "tie": "ties", "fails": "fails"}
    return ", ".join(f"{names[v]} {k}/{n}" for v, k in count.items() if k)


def variant_heading(v: dict) -> str:
    return f"{v['variant']} (headline)" if v["headline"] else v["variant"]


def variants_report(spec: ComparisonSpec, record: dict, summaries: dict[str, dict]) -> str:
    """The report of a comparison with model variants: per variant (the headline first) and
    per stress measure whether the claim holds, the magnitudes and the failure indicators;
    then assumptions, materials, figures and the claim checks per stage. ``summaries``: the
    models' summaries by variant label."""
    variants = record["variants"]
    p = spec.particle_region
    head = variants[0]
    out = [f"# {spec.title}", ""]
    out += [
        f"Generated by swellfem {record['swellfem_version']} from `{record['comparison_file']}`"
        + (f" with `--set {' '.join(record['overrides'])}` (applied to every variant)" if record["overrides"] else "")
        + ".",
        "Stress in MPa, tension positive. Every number below is computed from the finite-element results in",
        "`<variant>/models/*/summary.json`; nothing is typed in.",
        "",
        "Every model runs under each model variant; the headline variant comes first. Each variant's folder holds",
        "its own report, table (`comparison.csv`), figures, pictures and models; `comparison.csv` here has them all",
        "with a `variant` column.",
        "",
        "| variant | what it models | overrides of every model's case | report |",
        "|---|---|---|---|",
    ]
    for v in variants:
        sets = ", ".join(f"`{o}`" for o in v["set"]) or "none"
        out.append(f"| **{variant_heading(v)}** | {v['description'] or '–'} | {sets} | [{v['report']}]({v['report']}) |")
    out += [
        "",
        "## The claim",
        "",
        f"{spec.claim_source} the smallest axial and maximum stress of the particle in "
        f"**{spec.claim_model}**. Whether that holds here, per model variant and stress measure of {p} "
        "(over all stages; the claim holds at a stage when its value is smaller than every other model's by "
        "more than the tie tolerance):",
        "",
        "| measure | " + " | ".join(variant_heading(v) for v in variants) + " |",
        "|---|" + "---|" * len(variants),
    ]
    for i, c in enumerate(head["claims"]):
        cells = [short_verdict(v["claims"][i]) for v in variants]
        out.append(f"| {_cell(c['measure'])} (`{c['column'].split('.', 1)[1]}`) | " + " | ".join(cells) + " |")
    out += ["", "A free particle that swells uniformly is stress-free; its stress comes from non-uniform",
            "potassiation (a front or a gradient). A confining shell adds compression to the particle",
            "(less tension, the driver of fracture) and carries hoop tension itself, so measures of",
            "tension and of magnitude can rank the models differently.", "",
            "Failure indicators: " + FAILURE_NOTE, ""]
    for v in variants:
        sums = summaries[v["variant"]]
        out += [f"### {variant_heading(v)}", ""]
        if v["description"]:
            out += [v["description"][:1].upper() + v["description"][1:].rstrip(".") + ".", ""]
        out += model_statement(sums) + [""]
        out += claim_statements(spec, v["claims"])
        last = [c["stages"][-1] for c in v["claims"] if c["stages"]]
        if last:
            soc = last[0]["soc"]
            models = record["models"]
            out += ["", f"Magnitudes in {p} at SOC {soc_text(soc)} (MPa; every stage: `{v['directory']}/comparison.md`):", "",
                    "| measure | claim at this SOC | " + " | ".join(models) + " |",
                    "|---|---|" + "---|" * len(models)]
            for c in v["claims"]:
                if not c["stages"]:
                    continue
                st = c["stages"][-1]
                vals = [_num(st["values_MPa"].get(m)) for m in models]
                out.append(f"| {_cell(c['measure'])} | {st['verdict']} | " + " | ".join(vals) + " |")
        rows = failure_indicators(sums)
        if rows:
            out += ["", "Failure indicators (worst over the stages):", "",
                    "| model | region | stress ratio | strain ratio | size ratio R/R_c | eq. plastic strain | "
                    "plastic volume fraction | min. porosity | sheet strain | verdict |",
                    "|---|---|---|---|---|---|---|---|---|---|"]

            def cell(x, digits=3):
                return "–" if x is None else f"{x:.{digits}g}"

            for r in rows:
                plastic = r["yield_strength_MPa"] is not None or (r["plastic_strain"] or 0) > 0
                out.append(f"| {r['model']} | {r['region']} | {cell(r['strength_ratio'])} | {cell(r['strain_ratio'])} | "
                           f"{cell(r['size_ratio'])} | {cell(r['plastic_strain']) if plastic else '–'} | "
                           f"{cell(r['plastic_fraction'], 2) if plastic else '–'} | {cell(r.get('porosity_min'))} | "
                           f"{cell(r.get('sheet_strain'))} | {_verdict(r)} |")
        out.append("")
    out += ["## Assumptions", ""]
    if spec.assumptions:
        out += ["Notes of the comparison file:", ""] + [f"- {a}" for a in spec.assumptions] + [""]
    for v in variants:
        if v["variant_assumptions"]:
            out += [f"Notes of the variant {v['variant']}:", ""] + [f"- {a}" for a in v["variant_assumptions"]] + [""]
    def solved_as(sums):
        case0 = next(iter(sums.values()))["case"]
        return [f"- {a}" for a in model_assumptions(sums)] + [
            f"- stages: {case0['stages']['mode']} at SOC {', '.join(f'{s:g}' for s in case0['stages']['soc'])}",
            f"- formulation {formulation_text(case0['formulation'])}, eigenstrain convention `{case0['eigenstrain_convention']}`, "
            f"P{case0['element_degree']} elements"]

    first = solved_as(summaries[head["variant"]])
    out += [f"Read from the models of {variant_heading(head)} as they were solved:", ""] + first + [""]
    for v in variants[1:]:
        differ = [line for line in solved_as(summaries[v["variant"]]) if line not in first]
        out += [f"{v['variant']}: as {head['variant']}" + (", except:" if differ else "."), ""] + differ
        out += [""] if differ else []
    out += ["## Materials", ""]
    tables = [material_table(summaries[v["variant"]]) for v in variants]
    if all(t == tables[0] for t in tables):
        out += tables[0] + [""]
    else:
        for v, t in zip(variants, tables):
            out += [f"{variant_heading(v)}:", ""] + t + [""]
    for v in variants:
        plastic = plasticity_table(summaries[v["variant"]], v)
        if plastic:
            out += [f"Plasticity in {variant_heading(v)}:", ""] + plastic + [""]
    out += ["## Figures", ""]
    for v in variants:
        out += [f"### {variant_heading(v)}", ""]
        for f in v["figures"]:
            if f.endswith(".png"):
                out += [f"![{f}]({f})", ""]
    if head["pictures"]:
        out += [f"## Fields of {variant_heading(head)} (section through the centre; other variants: their reports)", ""]
        for f in head["pictures"]:
            out += [f"![{f}]({f})", ""]
    out += ["## Claim checks per stage", "", "| variant | measure | SOC | claim | ranking (smallest first) |",
            "|---|---|---|---|---|"]
    for v in variants:
        for c in v["claims"]:
            for st in c["stages"]:
                out.append(f"| {v['variant']} | {_cell(c['measure'])} | {soc_text(st['soc'])} | {st['verdict']} | "
                           f"{' < '.join(st['ranking'])} |")
    return "\n".join(out) + "\n"
