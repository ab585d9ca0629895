"""The TEM comparison report (studies/tem.py) on a made-up sweep table: the SOC at which the
particle is 39 nm across, the skeleton strain there, the verdicts, the void a wall needs."""

from __future__ import annotations

import csv

import pytest

from swellfem.cli import main
from swellfem.results.files import write_marker
from swellfem.studies.tem import MEASURED_SKELETON_STRAIN, read_points, assess_point, tem_markdown


def write_table(path, points):
    """points: {(void, wall): [(soc, Bi volume expansion %, cell expansion %, wall ratio), ...]}"""
    write_marker(path, "sweep")
    cols = ["void [nm]", "wall [nm]", "soc", "Bi.volume_expansion_percent", "particle.enclosed_volume_expansion_percent",
            "cage.fracture_strain_ratio_max", "cage.strength_ratio_max"]
    with (path / "results.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for (void, wall), rows in points.items():
            for soc, bi, cell, ratio in rows:
                w.writerow([void, wall, soc, bi, cell, ratio, ratio / 2])


def cell_growth(strain):
    return 100 * ((1 + strain) ** 3 - 1)


def test_reproduced_point_and_verdicts(tmp_path):
    write_table(tmp_path, {
        ("4", "4"): [(0.5, 200.0, cell_growth(0.02), 0.5), (1.0, 275.0, cell_growth(0.04), 2.0), (0.0, 0.0, 0.0, 0.0)],
        ("8", "4"): [(0.5, 200.0, 0.0, 0.0), (1.0, 300.0, cell_growth(0.005), 0.4), (0.0, 0.0, 0.0, 0.0)],
        ("1", "4"): [(0.5, 150.0, cell_growth(0.05), 3.0), (1.0, 180.0, cell_growth(0.08), 6.0), (0.0, 0.0, 0.0, 0.0)],
    })
    params, points = read_points(tmp_path)
    assert params == ["void [nm]", "wall [nm]"]
    v = assess_point(points[0], params, "Bi", "cage")
    at = 0.5 + 0.5 * (39 - 26 * 3.0 ** (1 / 3)) / (26 * 3.75 ** (1 / 3) - 26 * 3.0 ** (1 / 3))
    assert v.soc_at_39nm == pytest.approx(at)
    assert v.skeleton_strain == pytest.approx(0.02 + 0.02 * (at - 0.5) / 0.5, rel=1e-2)
    assert v.reproduces and v.cracks  # 3.1 % within 1 %; ratio 2 at the stage that reaches 39 nm
    free = assess_point(points[1], params, "Bi", "cage")
    assert not free.reproduces and not free.cracks
    stopped = assess_point(points[2], params, "Bi", "cage")
    assert stopped.soc_at_39nm is None and stopped.largest_diameter_nm < 39
    text = tem_markdown(tmp_path)
    assert "reproduced by: void [nm] 4, wall [nm] 4" in text
    assert "- wall [nm] 4: void 8 or more" in text
    assert f"{100 * MEASURED_SKELETON_STRAIN:.1f} %" in text


def test_cli_writes_the_report_and_refuses_a_folder_without_a_table(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("a user's own folder")
    assert main(["tem-report", str(tmp_path)]) == 2
    assert "not the output folder of a swellfem sweep" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    write_marker(tmp_path, "sweep")
    assert main(["tem-report", str(tmp_path)]) == 2
    assert "results.csv: no such file" in capsys.readouterr().err
    write_table(tmp_path, {("4", "4"): [(1.0, 275.0, cell_growth(0.031), 0.5)]})
    assert main(["tem-report", str(tmp_path)]) == 0
    assert (tmp_path / "tem_report.md").read_text().startswith("# Bi yolk")


def test_particles_per_cage_and_cells_that_cannot_be_built(tmp_path):
    """A sweep of particles per cage: a cell that could not be built (two particles do not fit)
    is listed with its reason, never read as a cell whose particles stay small."""
    write_marker(tmp_path, "sweep")
    cols = ["particles per cage", "void fraction", "status", "error", "soc", "Bi.volume_expansion_percent",
            "particle.enclosed_volume_expansion_percent", "cage.fracture_strain_ratio_max", "cage.strength_ratio_max"]
    with (tmp_path / "results.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for soc, bi, cell, ratio in [(0.5, 200.0, cell_growth(0.02), 0.5), (1.0, 275.0, cell_growth(0.04), 2.0)]:
            w.writerow(["1", "0.7", "ok", "", soc, bi, cell, ratio, ratio / 2])
        w.writerow(["2", "0.7", "failed", "", "", "", "", "", ""])
        for soc, bi, cell, ratio in [(0.5, 150.0, 0.0, 0.0), (1.0, 180.0, cell_growth(0.01), 0.3)]:
            w.writerow(["2", "0.9", "ok", "", soc, bi, cell, ratio, ratio / 2])
    rows = list(csv.DictReader((tmp_path / "results.csv").open()))
    rows[2]["error"] = "geometry = {'type': 'particles-in-cage'}: 2 particles of radius 13 nm set evenly need a cage of inner radius above 26 nm"
    rows.append({**rows[2], "void fraction": "0.8",  # a cell that did not solve: its stage and why, not its particulars
                 "error": "SolverError: stage 10 (SOC 0.90 -> 1.00) not solved: Newton did not converge at the smallest "
                          "load increment (0.00027 of the stage, at 0.237 of the way): no convergence in 12 iterations "
                          "(residual 27.9 from 599)"})
    with (tmp_path / "results.csv").open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)
    params, points = read_points(tmp_path)
    assert params == ["particles per cage", "void fraction"]
    failed = assess_point(points[1], params, "Bi", "cage")
    assert failed.error.startswith("geometry") and failed.soc_at_39nm is None and not failed.reproduces
    text = tem_markdown(tmp_path)
    assert "## Particles per cage" in text
    assert "- 1 per cage: reproduced by void fraction 0.7." in text
    assert "- 2 per cage: not reproduced by any of the 1 solved cells (the particles never grow to 39 nm" in text
    assert "; no result for void fraction 0.7 (geometry: 2 particles of radius 13 nm set evenly need a cage" in text
    assert "| 2 | 0.7 | no result: geometry" in text
    assert ("; no result for void fraction 0.8 (SolverError: stage 10 not solved: Newton did not converge at the smallest "
            "load increment: no convergence in 12 iterations)") in text
