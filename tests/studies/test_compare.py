"""The ZnSe comparison end to end on a coarse mesh: table, claims, figures, report."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from swellfem.studies.comparison import CLAIM_MEASURES, TIE_TOLERANCE, load_comparison

from conftest import CASES, swellfem_cli

COMPARISON = CASES / "znse" / "comparison.toml"
COARSE = ["--set", 'mesh.size="10 nm"', "--set", 'mesh.interface_size="2.5 nm"', "--set", "stages.soc=[0.4, 1.0]",
          "--set", "output.axial_points_per_layer=21"]


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp") / "znse"
    res = swellfem_cli("compare", str(COMPARISON), "-o", str(out), *COARSE)
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
            tol = TIE_TOLERANCE * max(abs(key(v)) for v in vals.values())
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


def test_set_switches_every_model_to_diffusion(tmp_path):
    out = tmp_path / "diff"
    res = swellfem_cli("compare", str(COMPARISON), "-o", str(out), *COARSE, "--set", 'stages.mode="diffusion"',
                       "--no-pictures", "-q")
    assert res.returncode == 0, res.stderr
    record = json.loads((out / "comparison.json").read_text())
    assert {r["mode"] for r in record["rows"]} == {"diffusion"}
    assert all(r["time_s"] is None or r["time_s"] > 0 for r in record["rows"])


def test_bad_comparison_input(tmp_path):
    bad = tmp_path / "cmp.toml"
    bad.write_text(COMPARISON.read_text().replace('claim_model = "ZnSe@i-NMC@o-rGO"', 'claim_model = "ZnSe@rGO"'))
    for m in ("znse_bare.toml", "znse_inmc.toml", "znse_inmc_orgo.toml"):
        (tmp_path / m).write_text((COMPARISON.parent / m).read_text())
    res = swellfem_cli("compare", str(bad), "-o", str(tmp_path / "out"))
    assert res.returncode == 2 and "claim_model" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists()
