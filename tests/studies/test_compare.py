"""The ZnSe comparison end to end on a coarse mesh: table, claims, figures, report; a
comparison file without variants (as before) and the model variants of the real one."""

from __future__ import annotations

import csv
import json
import re

import numpy as np
import pytest

from swellfem.case import CaseError
from swellfem.studies.comparison import CLAIM_MEASURES, TIE_TOLERANCE, ZERO_TOLERANCE, load_comparison, load_variants

from conftest import CASES, swellfem_cli

COMPARISON = CASES / "znse" / "comparison.toml"
MODEL_FILES = ("znse_bare.toml", "znse_inmc.toml", "znse_inmc_orgo.toml")
COARSE = ["--set", 'mesh.size="10 nm"', "--set", 'mesh.interface_size="2.5 nm"', "--set", "stages.soc=[0.4, 1.0]",
          "--set", "output.axial_points_per_layer=21"]
VARIANTS = ["shells-as-they-are", "shells-take-up-K", "finite-plastic", "small-elastic"]  # the headline first
SHELL_VARIANTS = ("shells-as-they-are", "shells-take-up-K")  # porous i-NMC, transverse o-rGO
PLASTIC_VARIANTS = (*SHELL_VARIANTS, "finite-plastic")  # yielding ZnSe


def without_variants(directory, text: str | None = None):
    """A copy of the ZnSe comparison file (and its cases) in ``directory`` without its
    [[variants]] and headline: a comparison file as it was before variants existed."""
    text = COMPARISON.read_text() if text is None else text
    text = re.sub(r"(?m)^headline = .*$", "", text.split("\n[[variants]]")[0])
    path = directory / "comparison.toml"
    path.write_text(text)
    for m in MODEL_FILES:
        (directory / m).write_text((COMPARISON.parent / m).read_text())
    return path


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """A comparison file without variants, compared serially (the behaviour before variants), on
    the axisymmetric mesh (the file's own set is spherical-1d: the variants' tests run that)."""
    base = tmp_path_factory.mktemp("cmp")
    out = base / "znse"
    res = swellfem_cli("compare", str(without_variants(base)), "-o", str(out), *COARSE,
                       "--set", 'model.formulation="axisymmetric"')
    assert res.returncode == 0, res.stderr
    return out, res


def test_models_share_one_parameter_set():
    spec, models = load_comparison(COMPARISON)
    assert [label for label, _ in models] == ["ZnSe", "ZnSe@i-NMC", "ZnSe@i-NMC@o-rGO"]
    cases = [c for _, c in models]
    assert {c.stages.model_dump_json() for c in cases} == {cases[0].stages.model_dump_json()}
    assert {c.mesh.model_dump_json() for c in cases} == {cases[0].mesh.model_dump_json()}
    assert {c.model.model_dump_json() for c in cases} == {cases[0].model.model_dump_json()}
    assert cases[0].stages.mode == "shrinking-core" and cases[0].stages.soc == [0.2, 0.4, 0.6, 0.8, 1.0]
    radii = [c.geometry.outer_radii_nm for c in cases]
    assert radii == [[50.0], [50.0, 65.0], [50.0, 65.0, 70.0]]


def test_table_has_the_promised_columns(compared):
    out, _ = compared
    with open(out / "comparison.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 3 * 2
    cols = rows[0].keys()
    assert "variant" not in cols and list(cols)[0] == "model"  # no variants: the table as before
    for c in ["model", "soc", "ZnSe.von_mises_max_MPa", "ZnSe.principal_max_MPa", "ZnSe.principal_min_MPa",
              "ZnSe.hydrostatic_max_MPa", "ZnSe.hoop_max_MPa", "ZnSe.axial_sigma_zz_max_MPa",
              "ZnSe.axial_sigma_zz_absmax_MPa", "i-NMC.hoop_max_MPa", "o-rGO.hoop_max_MPa",
              "ZnSe|i-NMC.normal_stress_min_MPa", "particle.apparent_volume_expansion_percent"]:
        assert c in cols, c
    bare = [r for r in rows if r["model"] == "ZnSe"]
    assert bare[0]["i-NMC.hoop_max_MPa"] == ""  # the bare particle has no shell
    assert (out / "comparison.md").read_text().startswith("| model | soc |")
    # shells are in hoop tension and the confined particles are squeezed at full charge
    full = {r["model"]: r for r in rows if float(r["soc"]) == 1.0}
    assert float(full["ZnSe@i-NMC"]["i-NMC.hoop_max_MPa"]) > 0
    assert float(full["ZnSe@i-NMC@o-rGO"]["ZnSe.hydrostatic_max_MPa"]) < 0
    assert abs(float(full["ZnSe"]["ZnSe.von_mises_max_MPa"])) < 1e-3  # free, fully reacted: stress-free


def test_claims_follow_from_the_table(compared):
    out, res = compared
    record = json.loads((out / "comparison.json").read_text())
    with open(out / "comparison.csv") as fh:
        rows = list(csv.DictReader(fh))
    report = (out / "report.md").read_text()
    for claim, (suffix, label, kind) in zip(record["claims"], CLAIM_MEASURES):
        assert claim["column"] == f"ZnSe.{suffix}"
        for st in claim["stages"]:
            vals = {r["model"]: float(r[claim["column"]]) for r in rows if float(r["soc"]) == st["soc"]}
            key = abs if kind == "magnitude" else (lambda v: v)
            mine = key(vals["ZnSe@i-NMC@o-rGO"])
            best_other = min(key(v) for m, v in vals.items() if m != "ZnSe@i-NMC@o-rGO")
            scale = max(abs(float(r[claim["column"]])) for r in rows)
            tol = max(TIE_TOLERANCE * max(abs(key(v)) for v in vals.values()), ZERO_TOLERANCE * scale)
            expected = "holds" if mine < best_other - tol else ("tie" if mine <= best_other + tol else "fails")
            assert st["verdict"] == expected, (label, st["soc"])
        assert label in report
    assert "holds" in report and "tension positive" in report
    assert "(assumption)" in report  # library values without a source are labelled
    assert "Gomez-Navarro" in report
    assert res.stdout.count("ZnSe.") >= len(CLAIM_MEASURES)


def _assert_nonblank_png(path, min_size=(200, 200)):
    import matplotlib.image as mpimg

    img = mpimg.imread(path)
    assert img.shape[0] >= min_size[1] and img.shape[1] >= min_size[0]
    rgb = img[..., :3]
    non_white = np.mean(np.any(rgb < 0.95, axis=-1))
    assert non_white > 0.02, f"{path} looks blank"
    assert rgb.std() > 0.05


def test_figures_and_pictures_exist_and_are_not_blank(compared):
    out, _ = compared
    for stem in ("axial_stress", "max_stress_vs_soc", "shell_hoop_vs_soc"):
        _assert_nonblank_png(out / "figures" / f"{stem}.png")
        svg = (out / "figures" / f"{stem}.svg").read_text()
        assert "<svg" in svg and "MPa" in svg
    pictures = sorted((out / "pictures").glob("*.png"))
    assert [p.name for p in pictures] == ["hydrostatic_soc0.40.png", "hydrostatic_soc1.00.png",
                                         "von_mises_soc0.40.png", "von_mises_soc1.00.png"]
    for p in pictures:
        _assert_nonblank_png(p)
    for label in ("ZnSe", "ZnSe_i-NMC", "ZnSe_i-NMC_o-rGO"):
        assert (out / "models" / label / "summary.json").exists()
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["figures", "models", "pictures"]


def test_set_switches_every_model_to_diffusion(tmp_path):
    out = tmp_path / "diff"
    res = swellfem_cli("compare", str(COMPARISON), "-o", str(out), *COARSE, "--set", 'stages.mode="diffusion"',
                       "--variant", "small-elastic", "--no-pictures", "-q")
    assert res.returncode == 0, res.stderr
    record = json.loads((out / "comparison.json").read_text())
    assert {r["mode"] for r in record["rows"]} == {"diffusion"}
    assert all(r["time_s"] is None or r["time_s"] > 0 for r in record["rows"])


def test_bad_comparison_input(tmp_path):
    bad = tmp_path / "cmp.toml"
    bad.write_text(COMPARISON.read_text().replace('claim_model = "ZnSe@i-NMC@o-rGO"', 'claim_model = "ZnSe@rGO"'))
    for m in MODEL_FILES:
        (tmp_path / m).write_text((COMPARISON.parent / m).read_text())
    res = swellfem_cli("compare", str(bad), "-o", str(tmp_path / "out"))
    assert res.returncode == 2 and "claim_model" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists()


# --- model variants ----------------------------------------------------------------------


def test_variants_of_the_znse_comparison():
    spec, variants = load_variants(COMPARISON, ['mesh.size="10 nm"'])
    assert spec.headline == "shells-as-they-are"
    assert [v.label for v in variants] == VARIANTS
    assert [v.headline for v in variants] == [True, False, False, False]
    for v in variants:
        cases = [c for _, c in v.models]
        assert [label for label, _ in v.models] == ["ZnSe", "ZnSe@i-NMC", "ZnSe@i-NMC@o-rGO"]
        assert {c.mesh.size for c in cases} == {10.0}  # --set applies under every variant
        kinematics = {c.model.kinematics for c in cases}
        yields = {c.resolved_materials()["ZnSe"].yield_strength_MPa for c in cases}
        assert kinematics == {"small" if v.label == "small-elastic" else "finite"}
        assert yields == ({1000.0} if v.label in PLASTIC_VARIANTS else {None})
        assert v.overrides == spec.set + v.set + ['mesh.size="10 nm"']  # the file's, the variant's, the command line's
        for _, c in v.models[1:]:
            shells = c.resolved_materials()
            assert shells["i-NMC"].law == ("porous" if v.label in SHELL_VARIANTS else "isotropic")
            if "o-rGO" in shells:
                assert shells["o-rGO"].law == ("transverse" if v.label in SHELL_VARIANTS else "isotropic")
    headline = variants[0]
    assert any("assumption" in a and "yield strength" in a for a in headline.assumptions)
    plastic = variants[2]
    assert all(c.resolved_materials()["i-NMC"].yield_strength_MPa is None for _, c in plastic.models[1:])  # shells elastic
    # the command line comes after a variant's own overrides
    _, variants = load_variants(COMPARISON, ['model.kinematics="small"'], select=["finite-plastic"])
    assert [v.label for v in variants] == ["finite-plastic"]
    assert {c.model.kinematics for _, c in variants[0].models} == {"small"}
    # without variants: one implicit variant, the models with the command line's overrides only
    spec, models = load_comparison(COMPARISON)
    assert {c.model.kinematics for _, c in models} == {"small"}


def test_a_case_that_two_variants_share_is_solved_once():
    """The bare particle under the three finite-strain variants is one case (they differ only in
    shells it has not); every model with shells, and the small-strain bare particle, is its own."""
    from swellfem.studies.compare import _same_solves
    from swellfem.studies.comparison import solve_key

    _, runs = load_variants(COMPARISON)
    same = _same_solves(runs)
    assert same == {("shells-take-up-K", "ZnSe"): ("shells-as-they-are", "ZnSe"),
                    ("finite-plastic", "ZnSe"): ("shells-as-they-are", "ZnSe")}
    # a material the model uses does count
    _, (yielding,) = load_variants(COMPARISON, ['materials.ZnSe.yield_strength="2 GPa"'], select=["finite-plastic"])
    assert solve_key(yielding.models[0][1]) != solve_key(runs[0].models[0][1])


def test_bad_variants(tmp_path):
    text = COMPARISON.read_text()
    for m in MODEL_FILES:
        (tmp_path / m).write_text((COMPARISON.parent / m).read_text())
    cases = [
        (text.replace('headline = "shells-as-they-are"', 'headline = "plastic"'), "headline"),
        (text.replace("'materials.ZnSe.hardening_modulus=", "'materials.ZnSe.hardening_modulos="),
         "variant 'shells-as-they-are'"),
        (text.replace('label = "small-elastic"', 'label = "finite-plastic"'), "variants[3].label"),
        (text.replace('label = "small-elastic"', 'label = "models"'), "variants[3].label"),
        (text.replace("'materials.ZnSe.hardening_modulus=\"100 MPa\"'", "'materials.ZnSe.hardening_modulus=\"-1 MPa\"'"),
         "hardening_modulus"),
    ]
    for i, (bad_text, needle) in enumerate(cases):
        assert bad_text != text, needle
        bad = tmp_path / f"cmp{i}.toml"
        bad.write_text(bad_text)
        with pytest.raises(CaseError) as err:
            load_variants(bad)
        assert needle in str(err.value), (needle, str(err.value))
        res = swellfem_cli("compare", str(bad), "-o", str(tmp_path / "out"))
        assert res.returncode == 2 and needle in res.stderr and "Traceback" not in res.stderr, res.stderr
        assert not (tmp_path / "out").exists()
    for args in (["--variant", "plastic"], ["--jobs", "0"]):
        res = swellfem_cli("compare", str(COMPARISON), "-o", str(tmp_path / "out"), *args)
        assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
        assert not (tmp_path / "out").exists()
    plain = without_variants(tmp_path)
    res = swellfem_cli("compare", str(plain), "-o", str(tmp_path / "out"), "--variant", "small-elastic")
    assert res.returncode == 2 and "no [[variants]]" in res.stderr


@pytest.fixture(scope="module")
def compared_variants(tmp_path_factory):
    """The real comparison file, every model under every variant, in two worker processes."""
    out = tmp_path_factory.mktemp("cmpv") / "znse"
    res = swellfem_cli("compare", str(COMPARISON), "-o", str(out), *COARSE, "--jobs", "2")
    assert res.returncode == 0, res.stderr
    return out, res


def _rows(path):
    with open(path) as fh:
        return list(csv.DictReader(fh))


def test_variants_layout_and_table(compared_variants):
    out, _ = compared_variants
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == sorted(
        ["report.md", "comparison.csv", "comparison.md", "comparison.json", *VARIANTS])
    rows = _rows(out / "comparison.csv")
    assert list(rows[0])[:2] == ["variant", "model"]
    assert len(rows) == 4 * 3 * 2
    bare = {r["variant"]: {k: x for k, x in r.items() if k != "variant"} for r in rows if r["model"] == "ZnSe" and r["soc"] == "1"}
    assert bare["shells-take-up-K"] == bare["finite-plastic"] == bare["shells-as-they-are"] != bare["small-elastic"]
    assert list(dict.fromkeys(r["variant"] for r in rows)) == VARIANTS  # the headline first
    assert {r["soc"] for r in rows} == {"0.4", "1"}  # --set applies under every variant
    record = json.loads((out / "comparison.json").read_text())
    assert record["headline"] == "shells-as-they-are" and [v["variant"] for v in record["variants"]] == VARIANTS
    assert record["claims"] == record["variants"][0]["claims"]
    assert record["timing_s"]["workers"] == 2
    for v in VARIANTS:
        d = out / v
        own = _rows(d / "comparison.csv")
        assert list(own[0])[0] == "model"  # a variant's folder is laid out like a comparison without variants
        mine = [r for r in rows if r["variant"] == v]
        assert [r["model"] for r in own] == [r["model"] for r in mine]
        assert all(o[c] == m[c] for o, m in zip(own, mine) for c in o)
        for stem in ("axial_stress", "max_stress_vs_soc", "shell_hoop_vs_soc"):
            _assert_nonblank_png(d / "figures" / f"{stem}.png")
        assert len(list((d / "pictures").glob("*.png"))) == 4
        assert (d / "report.md").read_text().startswith(f"# ZnSe double-carbon confinement: {v}")
        for label in ("ZnSe", "ZnSe_i-NMC", "ZnSe_i-NMC_o-rGO"):
            summary = json.loads((d / "models" / label / "summary.json").read_text())
            # the bare particle has no shells: it is solved once for the variants that differ only there
            copied = label == "ZnSe" and v in ("shells-take-up-K", "finite-plastic")
            assert summary.get("same_solution_as") == ({"variant": "shells-as-they-are", "model": "ZnSe"}
                                                       if copied else None), (v, label)
            assert (d / "models" / label / "fields" / "fields.pvd").is_file()
            assert summary["case"]["kinematics"] == ("small" if v == "small-elastic" else "finite")
            assert summary["mesh"]["formulation"] == "spherical-1d"  # the comparison file's set
            assert summary["mesh"]["interface_size_nm"] <= 2.5  # --set, capped by the thinnest layer / 4
            eps_p = max(st["regions"]["ZnSe"]["equivalent_plastic_strain_max"] for st in summary["stages"])
            assert (eps_p > 0.01) == (v in PLASTIC_VARIANTS)
            if v == "finite-plastic" and label != "ZnSe":  # the carbon shells stay elastic
                assert all(st["regions"]["i-NMC"]["equivalent_plastic_strain_max"] == 0 for st in summary["stages"])
            if v in SHELL_VARIANTS and label != "ZnSe":  # the porous carbon flows ...
                inmc = summary["stages"][-1]["regions"]["i-NMC"]
                assert inmc["equivalent_plastic_strain_max"] > 0.01
                # ... its pores collapse where the wrap confines it, and open in hoop tension without it
                assert (inmc["porosity_min"] < 0.45) if label == "ZnSe_i-NMC_o-rGO" else (inmc["porosity_min"] > 0.5)


def test_variant_claims_follow_from_the_table(compared_variants):
    out, res = compared_variants
    record = json.loads((out / "comparison.json").read_text())
    rows = _rows(out / "comparison.csv")
    for v in record["variants"]:
        for claim, (suffix, label, kind) in zip(v["claims"], CLAIM_MEASURES):
            for st in claim["stages"]:
                vals = {r["model"]: float(r[claim["column"]]) for r in rows
                        if r["variant"] == v["variant"] and float(r["soc"]) == st["soc"]}
                key = abs if kind == "magnitude" else (lambda x: x)
                mine = key(vals["ZnSe@i-NMC@o-rGO"])
                best_other = min(key(x) for m, x in vals.items() if m != "ZnSe@i-NMC@o-rGO")
                scale = max(abs(float(r[claim["column"]])) for r in rows if r["variant"] == v["variant"])
                tol = max(TIE_TOLERANCE * max(abs(key(x)) for x in vals.values()), ZERO_TOLERANCE * scale)
                expected = "holds" if mine < best_other - tol else ("tie" if mine <= best_other + tol else "fails")
                assert st["verdict"] == expected, (v["variant"], label, st["soc"])
    # the plastic particle flows: its von Mises stress stays on the yield surface, 1 GPa + H ep <= 1.1 GPa
    # in Kirchhoff stress (H = 100 MPa, ep < 1); the Cauchy stress tau / Je of the compressed phase is up
    # to 15 % higher (Je >= 0.857 under the stiff isotropic shells of finite-plastic, where tau is 1092 MPa
    # = 1 GPa + H x 0.925 on the dot)
    plastic = [r for r in rows if r["variant"] in PLASTIC_VARIANTS]
    assert all(float(r["ZnSe.von_mises_max_MPa"]) < 1.1e3 / 0.85 for r in plastic)
    elastic = [r for r in rows if r["variant"] == "small-elastic" and r["soc"] == "0.4"]
    assert all(float(r["ZnSe.von_mises_max_MPa"]) > 5000 for r in elastic)
    # what is printed: every variant's claim lines, the headline first
    at = [res.stdout.index(f"\n{v}") for v in VARIANTS]
    assert at == sorted(at) and "shells-as-they-are (headline)" in res.stdout
    assert res.stdout.count("ZnSe.") >= 3 * len(CLAIM_MEASURES)


def test_variants_report(compared_variants):
    out, _ = compared_variants
    report = (out / "report.md").read_text()
    sections = [report.index(f"### {h}") for h in ("shells-as-they-are (headline)", "shells-take-up-K",
                                                      "finite-plastic", "small-elastic")]
    assert sections == sorted(sections) and report.index("## The claim") < sections[0]
    for measure in (label for _, label, _ in CLAIM_MEASURES):
        assert measure.replace("|", "\\|") in report
    for text in ("holds", "Magnitudes in ZnSe at SOC 1.00", "size ratio R/R_c", "eq. plastic strain",
                 "stress ratio", "yields", "cracks from SOC", "no measured value exists",
                 "set by the variant shells-as-they-are", "J2 plasticity in ZnSe: yield strength 1000 MPa",
                 "finite strain (F = Fe Fp Fs", "small strain (linearised)", "Gomez-Navarro",
                 "shells-as-they-are/figures/max_stress_vs_soc.png", "shells-as-they-are/pictures/", "(assumption)",
                 "porous", "transverse", "porosity"):
        assert text in report, text
    cells = None  # every table row has as many cells as its header (a '|' in a cell is escaped)
    for line in report.splitlines():
        if not line.startswith("|"):
            cells = None
            continue
        n = len(re.findall(r"(?<!\\)\|", line))
        cells = n if cells is None else cells
        assert n == cells, line


def test_selected_variant_in_workers_matches_serial(compared, tmp_path):
    """--variant runs only that variant (it becomes the headline); solving in worker
    processes gives the table a serial run gives."""
    out = tmp_path / "small"
    res = swellfem_cli("compare", str(COMPARISON), "-o", str(out), *COARSE, "--variant", "small-elastic",
                       "--set", 'model.formulation="axisymmetric"', "--jobs", "2", "--no-pictures", "-q")
    assert res.returncode == 0, res.stderr
    record = json.loads((out / "comparison.json").read_text())
    assert record["headline"] == "small-elastic" and len(record["variants"]) == 1
    assert not (out / "small-elastic" / "pictures").exists()
    serial = _rows(compared[0] / "comparison.csv")
    parallel = _rows(out / "small-elastic" / "comparison.csv")
    assert [r["model"] for r in serial] == [r["model"] for r in parallel]
    for a, b in zip(serial, parallel):
        for c, x in a.items():
            if c in ("model", "mode") or x == "":
                assert b[c] == x, c
            else:
                assert float(b[c]) == pytest.approx(float(x), rel=1e-6, abs=1e-4), c
