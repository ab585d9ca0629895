"""Shell design maps (``[design]`` in a sweep file), without FE: the schema and its one-line
errors, the verdict per design, the safe-region sentence, ``design.md`` and the heat maps
(two parameters, and three as one figure with a panel per value of the third)."""

from __future__ import annotations

import csv
import itertools
import json
import math
from pathlib import Path
from types import SimpleNamespace

import pytest

from swellfem.case import CaseError
from swellfem.studies.sweep import Point, SweepSpec, _check_design_regions, load_sweep
from swellfem.studies.sweep_run import (
    atomic_write_text,
    _ratio_text,
    assess_designs,
    describe_values,
    design_markdown,
    safe_region_sentence,
    with_failure_ratio,
    write_results,
)
from swellfem.view.figures import DESIGN_METRIC, _without_round_off, _worst_rows, heat_map_figure, sweep_figures

INMC = ("geometry.layers.1.thickness", "i-NMC thickness [nm]", "nm")
ORGO = ("geometry.layers.2.thickness", "o-rGO thickness [nm]", "nm")
POROSITY = ("materials.o-rGO.porosity", "o-rGO porosity", None)
FAILURE = ["i-NMC.strength_ratio_max", "o-rGO.strength_ratio_max"]


def ratios(t_inmc: float, t_orgo: float, porosity: float, soc: float) -> dict:
    """A made-up design response: the i-NMC ratio falls with its thickness (< 1 from 15 nm at
    full charge), the o-rGO ratio is >= 1 for an o-rGO of 1 or 10 nm, or with porosity 0.6."""
    orgo = 1.5 if t_orgo in (1.0, 10.0) or porosity >= 0.6 else 0.5
    return {"i-NMC.strength_ratio_max": soc * 12.0 / t_inmc, "o-rGO.strength_ratio_max": soc * orgo}


def make_rows(columns: list[tuple], grid: list[list], failed: tuple = (), missing: tuple = ()) -> list[dict]:
    """Result rows as collect_rows makes them: per point two stages (SOC 0.5, 1.0); the point
    ``failed`` has one failed row; the point ``missing`` has no o-rGO ratio."""
    rows = []
    for k, combo in enumerate(itertools.product(*grid)):
        head = {"point": f"p{k:02d}", **{c[1]: v for c, v in zip(columns, combo)}}
        if combo == failed:
            rows.append({**head, "status": "failed", "error": "geometry.layers.1.thickness: broken | mesh"})
            continue
        full = (*combo, 0.0, 0.0)[:3]
        for soc in (0.5, 1.0):
            values = ratios(full[0], full[1], full[2], soc)
            if combo == missing:
                values["o-rGO.strength_ratio_max"] = None
            rows.append({**head, "status": "ok", "error": "", "soc": soc, "ZnSe.principal_max_MPa": 900.0 * soc,
                         "ZnSe.hydrostatic_min_MPa": -2000.0 * soc, **values})
    return rows


def spec_for(columns: list[tuple], **design) -> SweepSpec:
    return SweepSpec(name="shell design", description="made-up responses", base="base.toml",
                     parameters=[{"key": c[0], "label": c[1].split(" [")[0], "values": [1]} for c in columns],
                     design={"failure_metrics": FAILURE, **design})


# --- the schema ----------------------------------------------------------------------------

SWEEP = """
name = "design"
base = "base.toml"
{top}
[[parameters]]
key = "geometry.layers.1.thickness"
values = ["5 nm", "15 nm"]
[design]
{design}
"""


@pytest.mark.parametrize("top, design, match", [
    ("", 'failure_metric = ["i-NMC.strength_ratio_max"]', "design.failure_metrics: required key is missing"),
    ("", "failure_metrics = []", r"design.failure_metrics = \[\]: List should have at least 1 item"),
    ("", 'failure_metrics = ["strength_ratio_max"]', r"design.failure_metrics\[0\] = 'strength_ratio_max': "
                                                        "give a column of results.csv as <region>.<metric>"),
    ("", 'failure_metrics = ["i-NMC.strength_ratio_max", "ZnSe.principal_max_MPa"]',
     r"design.failure_metrics\[1\] = 'ZnSe.principal_max_MPa': 'principal_max_MPa' is not a ratio"),
    ("", 'failure_metrics = ["i-NMC.strength_ratio_max", 3]', r"design.failure_metrics\[1\] = 3: "),
    ("", 'failure_metrics = ["i-NMC.size_ratio", "i-NMC.size_ratio"]', "'i-NMC.size_ratio' is listed twice"),
    ("", 'failure_metrics = ["i-NMC.size_ratio"]\nlabels = { "i-NMC.size_ratios" = "cracks" }',
     "design.labels = .*'i-NMC.size_ratios' is not one of the failure_metrics \\(did you mean 'i-NMC.size_ratio'"),
    ("", 'failure_metrics = ["i-NMC.size_ratio"]\nthreshold = 1.5', "design.threshold = 1.5: unknown key"),
    ('plot_stage = "last"', 'failure_metrics = ["i-NMC.size_ratio"]',
     r"plot_stage = 'last': a \[design\] sweep plots the worst stage of each design"),
])
def test_design_table_errors_are_one_line(tmp_path, top, design, match):
    path = tmp_path / "design.toml"
    path.write_text(SWEEP.format(top=top, design=design))
    with pytest.raises(CaseError, match=match) as info:
        load_sweep(path)
    assert "\n" not in str(info.value) and str(info.value).startswith(str(path))


def test_design_table_is_optional_and_plots_the_worst_stage():
    spec = spec_for([INMC], labels={FAILURE[0]: "i-NMC cracks"})
    assert spec.shown_stage == "worst" and spec.design.label(FAILURE[0]) == "i-NMC cracks"
    assert spec.design.label(FAILURE[1]) == FAILURE[1]
    assert SweepSpec(name="n", base="b", parameters=[{"key": "k", "values": [1]}]).shown_stage == "last"
    assert spec_for([INMC]).model_copy(update={"design": None}).shown_stage == "last"


def test_failure_metrics_name_regions_of_the_base_case(tmp_path):
    geometry = SimpleNamespace(region_names=["ZnSe", "i-NMC", "o-rGO"],
                               interfaces=[("ZnSe", "i-NMC"), ("i-NMC", "o-rGO")])
    case = SimpleNamespace(geometry=geometry)
    good = spec_for([INMC]).design.model_copy(update={"failure_metrics": [
        "i-NMC.strength_ratio_max", "ZnSe|i-NMC.adhesion_ratio_max", "particle.size_ratio"]})
    _check_design_regions(good, case, tmp_path / "s.toml")
    bad = good.model_copy(update={"failure_metrics": ["i-NMC.strength_ratio_max", "iNMC.strength_ratio_max"]})
    with pytest.raises(CaseError, match=r"design.failure_metrics\[1\] = 'iNMC.strength_ratio_max': no region "
                                        r"'iNMC' in the base case \(did you mean 'i-NMC'\?\)"):
        _check_design_regions(bad, case, tmp_path / "s.toml")


# --- verdicts and words ---------------------------------------------------------------------


def test_worst_rows_take_the_largest_maximum_and_the_smallest_minimum():
    rows = make_rows([INMC], [[5.0]])
    rows[0]["i-NMC.strength_ratio_max"] = math.nan  # not a value: left out
    assert [r["soc"] for r in _worst_rows(rows, "ZnSe.principal_max_MPa")] == [1.0]
    assert [r["soc"] for r in _worst_rows(rows, "ZnSe.hydrostatic_min_MPa")] == [1.0]
    rows[1]["ZnSe.hydrostatic_min_MPa"] = -1.0
    assert [r["soc"] for r in _worst_rows(rows, "ZnSe.hydrostatic_min_MPa")] == [0.5]
    rows[1]["i-NMC.strength_ratio_max"] = None
    assert _worst_rows(rows, "i-NMC.strength_ratio_max") == []


def test_verdicts_count_a_ratio_of_one_as_failing_and_skip_missing_metrics():
    rows = make_rows([INMC, ORGO], [[12.0, 15.0], [2.0]], failed=(15.0, 2.0))
    rows.append({"point": "nodata", INMC[1]: 20.0, ORGO[1]: 2.0, "status": "ok", "error": "", "soc": 1.0})
    rows.append({"point": "later", INMC[1]: 25.0, ORGO[1]: 2.0, "status": "not run", "error": ""})
    v = {x.point: x for x in assess_designs(rows, [INMC, ORGO], FAILURE)}
    assert v["p00"].worst["i-NMC.strength_ratio_max"] == (1.0, 1.0)  # 12/12 at SOC 1: fails
    assert v["p00"].verdict == "fails" and v["p00"].governing == "i-NMC.strength_ratio_max"
    assert v["p01"].verdict == "failed" and not v["p01"].safe and "broken" in v["p01"].error
    assert v["nodata"].verdict == "no data" and v["later"].verdict == "not run"
    missing = make_rows([INMC, ORGO], [[15.0], [2.0]], missing=(15.0, 2.0))
    (only,) = assess_designs(missing, [INMC, ORGO], FAILURE)
    assert only.safe and set(only.worst) == {"i-NMC.strength_ratio_max"}  # the missing o-rGO ratio does not count
    plot = with_failure_ratio(rows, FAILURE)
    assert [r[DESIGN_METRIC] for r in plot if r["point"] == "p00"] == [0.5, 1.0]
    assert DESIGN_METRIC not in rows[0] and plot[-2][DESIGN_METRIC] is None


def test_describe_values():
    swept = [5.0, 10.0, 15.0, 20.0, 25.0]
    assert describe_values(INMC, swept, [15.0, 20.0, 25.0]) == "i-NMC thickness >= 15 nm"
    assert describe_values(INMC, swept, [5.0, 10.0]) == "i-NMC thickness <= 10 nm"
    assert describe_values(INMC, swept, [10.0, 15.0]) == "i-NMC thickness 10–15 nm"
    assert describe_values(INMC, swept, [20.0, 5.0]) == "i-NMC thickness = 5, 20 nm"
    assert describe_values(INMC, swept, [25.0]) == "i-NMC thickness = 25 nm"
    assert describe_values(INMC, swept[::-1], swept) == "any i-NMC thickness swept (5–25 nm)"
    assert describe_values(POROSITY, [0.0, 0.3], [0.3]) == "o-rGO porosity = 0.3"
    assert describe_values(("k", "shell", None), ["rGO", "CNT"], ["CNT"]) == "shell = CNT"


def test_safe_region_sentence():
    columns = [INMC, ORGO]
    rows = make_rows(columns, [[5.0, 10.0, 15.0, 20.0, 25.0], [1.0, 2.0, 6.0, 10.0]])
    verdicts = assess_designs(rows, columns, FAILURE)
    assert {(v.values[INMC[1]], v.values[ORGO[1]]) for v in verdicts if v.safe} == \
        {(t, o) for t in (15.0, 20.0, 25.0) for o in (2.0, 6.0)}
    assert safe_region_sentence(verdicts, columns) == \
        "No layer fails for i-NMC thickness >= 15 nm with o-rGO thickness 2–6 nm (within the swept values)."
    # a failed point breaks the range; it is not safe
    rows = make_rows(columns, [[5.0, 15.0, 20.0, 25.0], [2.0]], failed=(25.0, 2.0))
    assert safe_region_sentence(assess_designs(rows, columns, FAILURE), columns) == \
        "No layer fails for i-NMC thickness 15–20 nm with o-rGO thickness = 2 nm (within the swept values)."
    one = make_rows([INMC], [[15.0, 20.0]])
    assert safe_region_sentence(assess_designs(one, [INMC], FAILURE), [INMC]) == \
        "No layer fails for any i-NMC thickness swept (15–20 nm) (within the swept values)."
    none = make_rows(columns, [[5.0, 10.0], [2.0, 10.0]])
    assert safe_region_sentence(assess_designs(none, columns, FAILURE), columns) == \
        "No safe design in the swept range: in every design with a result some layer is predicted to fail."
    failed = make_rows([INMC], [[15.0]], failed=(15.0,))
    assert safe_region_sentence(assess_designs(failed, [INMC], FAILURE), [INMC]) == \
        "No safe design in the swept range: no design has a result to judge."


def test_safe_region_sentence_with_three_parameters():
    columns = [INMC, ORGO, POROSITY]
    rows = make_rows(columns, [[10.0, 20.0], [2.0, 10.0], [0.3, 0.6]])
    verdicts = assess_designs(rows, columns, FAILURE)
    assert safe_region_sentence(verdicts, columns) == (
        "Within the swept values, no layer fails at o-rGO porosity = 0.3 for i-NMC thickness = 20 nm with "
        "o-rGO thickness = 2 nm; no design is safe at o-rGO porosity = 0.6.")


def test_ratio_text_never_rounds_across_one():
    assert _ratio_text(0.8) == "0.8" and _ratio_text(1.2345) == "1.23"
    assert _ratio_text(0.99996) == "0.99996" and float(_ratio_text(0.9999999)) < 1


def test_design_markdown():
    columns = [INMC, ORGO]
    rows = make_rows(columns, [[5.0, 15.0, 25.0], [2.0, 10.0]], failed=(25.0, 10.0))
    spec = spec_for(columns, labels={FAILURE[0]: "i-NMC cracks"})
    text = design_markdown(spec, columns, assess_designs(rows, columns, FAILURE))
    lines = text.splitlines()
    assert lines[0] == "# Design map: shell design" and "made-up responses" in text
    assert "- i-NMC thickness [nm]: 5, 15, 25" in lines and "- o-rGO thickness [nm]: 2, 10" in lines
    assert "- `i-NMC.strength_ratio_max` (i-NMC cracks)" in lines and "- `o-rGO.strength_ratio_max`" in lines
    assert "**2 of 6 designs are safe** (no layer fails); not counted as safe: 1 failed." in lines
    assert "No layer fails for i-NMC thickness >= 15 nm with o-rGO thickness = 2 nm (within the swept values)." in lines
    table = [line for line in lines if line.startswith("| ")]
    assert table[0] == ("| i-NMC thickness [nm] | o-rGO thickness [nm] | i-NMC cracks: max (SOC) | "
                        "o-rGO.strength_ratio_max: max (SOC) | safe | governs |")
    body = {tuple(c.strip() for c in line.strip("|").split(" | ")[:2]): line for line in table[1:]}
    assert len(body) == 6
    assert body[("5", "2")].endswith("| **2.4** (SOC 1.00) | 0.5 (SOC 1.00) | no | i-NMC cracks |")
    assert body[("15", "2")].endswith("| 0.8 (SOC 1.00) | 0.5 (SOC 1.00) | yes | i-NMC cracks |")
    assert body[("15", "10")].endswith("| **1.5** (SOC 1.00) | no | o-rGO.strength_ratio_max |")
    assert body[("25", "10")].endswith("| – | – | failed | – |")
    assert "- i-NMC thickness = 25 nm, o-rGO thickness = 10 nm: geometry.layers.1.thickness: broken \\| mesh" in lines


# --- figures ----------------------------------------------------------------------------------


def test_three_parameters_give_one_figure_with_a_panel_per_value(tmp_path):
    columns = [INMC, ORGO, POROSITY]
    rows = make_rows(columns, [[5.0, 15.0, 25.0], [2.0, 6.0], [0.0, 0.3, 0.6]], failed=(5.0, 6.0, 0.3))
    safe = {v.point: v.safe for v in assess_designs(rows, columns, FAILURE)}
    plot_rows = with_failure_ratio(rows, FAILURE)
    fig = heat_map_figure("t", DESIGN_METRIC, columns, _worst_rows(plot_rows, DESIGN_METRIC), plot_rows, safe=safe,
                          show_soc=True)
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == ["o-rGO porosity = 0", "o-rGO porosity = 0.3", "o-rGO porosity = 0.6"]
    assert len(fig.axes) == 4  # three panels and one colour bar
    assert len({tuple(ax.collections[0].norm.inverse([0, 1])) for ax in panels}) == 1  # one colour scale
    outlines = [len([p for p in ax.patches if p.get_edgecolor()[:3] == (0.0, 0.0, 0.0)]) for ax in panels]
    assert outlines == [4, 4, 0]  # i-NMC 15 and 25 nm at o-rGO 2 and 6 nm; porosity 0.6 fails the o-rGO
    assert any(t.get_text() == "failed" for t in panels[1].texts)
    assert any(t.get_text() == "SOC 1.00" for t in panels[0].texts)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["no layer fails"]
    assert fig.get_suptitle() == "t (SOC of that stage per cell)"
    fig.clf()
    files = sweep_figures("shell design", [DESIGN_METRIC, FAILURE[0]], columns, plot_rows, tmp_path,
                          stage="worst", safe=safe)
    assert sorted(p.name for p in files) == ["design__failure_ratio_max.png", "design__failure_ratio_max.svg",
                                             "i-NMC__strength_ratio_max.png", "i-NMC__strength_ratio_max.svg"]
    assert "its worst stage in each design" in (tmp_path / "design__failure_ratio_max.svg").read_text()


def test_two_parameter_heat_map_marks_safe_cells(tmp_path):
    columns = [INMC, ORGO]
    rows = make_rows(columns, [[5.0, 15.0], [2.0, 10.0]])
    safe = {v.point: v.safe for v in assess_designs(rows, columns, FAILURE)}
    fig = heat_map_figure("t", FAILURE[0], columns, _worst_rows(rows, FAILURE[0]), rows, safe=safe, show_soc=True)
    (ax,) = [a for a in fig.axes if a.collections and a.get_xlabel()]
    assert ax.get_xlabel() == INMC[1] and ax.get_ylabel() == ORGO[1]
    assert len(ax.patches) == 2  # one safe design: a white and a black outline
    assert sorted(t.get_text() for t in ax.texts if not t.get_text().startswith("SOC")) == ["0.8", "0.8", "2.4", "2.4"]


def test_round_off_is_not_drawn_as_a_pattern(tmp_path):
    """A hydrostatic core's von Mises stress (1e-8 MPa against GPa, spherical-1d) is round-off
    of a zero, and a stress that differs between designs by 1e-13 of itself is one value: the
    figures show 0 and that value in every cell, with one colour, not a pattern of noise."""
    columns = [INMC, ORGO]
    rows = make_rows(columns, [[5.0, 15.0], [2.0, 10.0]])
    for k, r in enumerate(rows):
        r["ZnSe.von_mises_max_MPa"] = (3.8 + 0.3 * k) * 1e-8
        r["ZnSe.principal_max_MPa"] = 30266.175995517744 + 3e-9 * k
        r["ZnSe.hoop_max_MPa"] = 100.0 * (k + 1)
    files = sweep_figures("t", ["ZnSe.von_mises_max_MPa", "ZnSe.principal_max_MPa"], columns, rows, tmp_path)
    assert len(files) == 4
    last = [r for r in rows if r["soc"] == 1.0]
    fig = heat_map_figure("t", "ZnSe.von_mises_max_MPa", columns, _without_round_off(last, "ZnSe.von_mises_max_MPa"),
                          rows)
    (ax,) = [a for a in fig.axes if a.collections and a.get_xlabel()]
    assert sorted(t.get_text() for t in ax.texts) == ["0", "0", "0", "0"]
    same = {r["ZnSe.principal_max_MPa"] for r in _without_round_off(last, "ZnSe.principal_max_MPa")}
    assert len(same) == 1 and abs(same.pop() - 30266.175995517744) < 3e-8  # the median
    kept = _without_round_off(last, "ZnSe.hoop_max_MPa")  # a stress that differs between designs is kept
    assert [r["ZnSe.hoop_max_MPa"] for r in kept] == [r["ZnSe.hoop_max_MPa"] for r in last]
    assert rows[0]["ZnSe.von_mises_max_MPa"] == (3.8 + 0.3 * 0) * 1e-8  # the rows (the table) are untouched


# --- files ------------------------------------------------------------------------------------


def _stage(soc: float, values: dict) -> dict:
    """A stage of a summary.json, as flatten_stage reads it."""
    regions: dict = {}
    for column, value in values.items():
        region, metric = column.split(".")
        regions.setdefault(region, {})[metric] = value
    return {"soc": soc, "mode": "uniform", "regions": regions, "axial_profile": {"sigma_zz_MPa": [], "region": []},
            "interfaces": {}, "apparent_volume_expansion_percent": 10.0 * soc, "strain_energy_aJ": soc}


def _solved_points(outdir: Path, thicknesses: list[float]) -> list[Point]:
    points = []
    for i, t in enumerate(thicknesses):
        p = Point(index=i, values={INMC[0]: f"{t:g} nm", ORGO[0]: "2 nm"}, overrides=[], key=f"p{i}")
        (outdir / "points" / p.key).mkdir(parents=True)
        stages = [_stage(soc, {**ratios(t, 2.0, 0.0, soc), "ZnSe.principal_max_MPa": 900.0 * soc})
                  for soc in (0.5, 1.0)]
        (outdir / "points" / p.key / "summary.json").write_text(json.dumps({"stages": stages}))
        points.append(p)
    return points


def test_write_results_writes_design_md_and_design_plots(tmp_path):
    points = _solved_points(tmp_path, [5.0, 15.0])
    points.append(Point(index=2, values={INMC[0]: "-3 nm", ORGO[0]: "2 nm"}, overrides=[], key="invalid-x",
                        error="geometry.layers.1.thickness = -3: must be greater than 0"))
    spec = spec_for([INMC, ORGO])
    counts = write_results(spec, points, [INMC, ORGO], tmp_path)
    assert counts == {"points": 3, "ok": 2, "failed": 1}
    with open(tmp_path / "results.csv") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == 5 and DESIGN_METRIC not in table[0]  # the plot column is not a result column
    text = (tmp_path / "design.md").read_text()
    assert "**1 of 3 designs are safe**" in text and "| -3 | 2 | – | – | failed | – |" in text
    plots = sorted(p.name for p in (tmp_path / "plots").glob("*.png"))
    assert plots == ["ZnSe__principal_max_MPa.png", "design__failure_ratio_max.png", "i-NMC__strength_ratio_max.png",
                     "o-rGO__strength_ratio_max.png"]  # the default metrics that exist, then the design's
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp")]
    # the same directory without [design]: no stale design.md
    write_results(spec.model_copy(update={"design": None}), points, [INMC, ORGO], tmp_path)
    assert not (tmp_path / "design.md").exists() and (tmp_path / "results.csv").exists()


def test_a_failed_write_leaves_the_earlier_file(tmp_path, monkeypatch):
    target = tmp_path / "design.md"
    target.write_text("earlier\n")

    def broken(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr("swellfem.studies.sweep_run.os.replace", broken)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(target, "new\n")
    assert target.read_text() == "earlier\n" and [p.name for p in tmp_path.iterdir()] == ["design.md"]


# --- the shipped design map, end to end with FE -------------------------------------------------

DESIGN_MAP = Path(__file__).resolve().parents[2] / "cases" / "sweeps" / "shell_design_map.toml"


def test_the_shipped_design_map_loads():
    spec, points, columns = load_sweep(DESIGN_MAP)
    assert len(points) == 18 and spec.design is not None and spec.shown_stage == "worst"
    assert [c[1] for c in columns] == ["i-NMC thickness [nm]", "o-rGO thickness [nm]", "i-NMC porosity"]
    for p in points:
        mats = p.case.resolved_materials()
        assert (mats["i-NMC"].law, mats["o-rGO"].law, p.case.model.kinematics) == ("porous", "transverse", "finite")


def test_a_small_design_map_runs_end_to_end(tmp_path):
    """Two designs of the shipped map's model (a coarse mesh, two stages; a 20 nm i-NMC: on this
    coarse mesh a 5 or 10 nm one does not converge, see the design map's notes): results.csv, the
    failure ratios of both shells at every stage, design.md with a verdict per design, and the
    heat maps."""
    from conftest import swellfem_cli

    text = DESIGN_MAP.read_text()
    text = text.replace('base = "../znse/znse_inmc_orgo.toml"', f'base = "{DESIGN_MAP.parent.parent / "znse" / "znse_inmc_orgo.toml"}"')
    text = text.replace('values = ["5 nm", "10 nm", "20 nm"]', 'values = ["20 nm"]')
    text = text.replace('values = ["2 nm", "5 nm", "10 nm"]', 'values = ["5 nm", "10 nm"]').replace("values = [0.4, 0.6]", "values = [0.5]")
    text = text.replace('"stages.soc=[0.25, 0.5, 0.75, 1.0]"', '"stages.soc=[0.5, 1.0]", \'mesh.size="12 nm"\', '
                        '\'mesh.interface_size="2.5 nm"\', "mesh.min_elements_across_layer=2"')
    sweep = tmp_path / "design.toml"
    sweep.write_text(text)
    out = tmp_path / "out"
    res = swellfem_cli("sweep", str(sweep), "-o", str(out), "--jobs", "2")
    assert res.returncode == 0, res.stderr
    with open(out / "results.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 4 and {r["status"] for r in rows} == {"ok"}
    for r in rows:
        for metric in ("i-NMC.strength_ratio_max", "o-rGO.strength_ratio_max", "i-NMC.porosity_min"):
            assert math.isfinite(float(r[metric])), metric
    md = (out / "design.md").read_text()
    assert "designs are safe" in md and "| 20 | 5 | 0.5 |" in md and "| 20 | 10 | 0.5 |" in md
    plots = {p.name for p in (out / "plots").iterdir()}
    assert "design__failure_ratio_max.png" in plots and "i-NMC__porosity_min.png" in plots
