"""Sweeps: end to end, failed points, resume after SIGINT/SIGKILL, --jobs 2, MPI and merged
shards = serial."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from swellfem.case import CaseError
from swellfem.studies.sweep import load_sweep, parameter_values, parse_shard, shard_of, shard_points, Parameter

from conftest import CASES, swellfem_cli

SWEEP = f"""
name = "tiny"
base = "{(CASES / 'znse' / 'znse_inmc_orgo.toml').as_posix()}"
set = ["output.fields=false", 'mesh.size="12 nm"', 'mesh.interface_size="3 nm"', "mesh.min_elements_across_layer=1",
       "stages.soc=[0.5, 1.0]", 'stages.mode="uniform"', "output.axial_points_per_layer=11"]
[[parameters]]
key = "geometry.layers.1.thickness"
label = "i-NMC thickness"
values = ["5 nm", "15 nm", "-3 nm"]
[[parameters]]
key = "geometry.layers.2.thickness"
range = {{ start = "2 nm", stop = "6 nm", num = 2 }}
"""


@pytest.fixture(scope="module")
def sweep_file(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("sweep") / "tiny.toml"
    p.write_text(SWEEP)
    return p


@pytest.fixture(scope="module")
def serial(sweep_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial") / "out"
    res = swellfem_cli("sweep", str(sweep_file), "-o", str(out))
    return out, res


def read_table(out: Path) -> list[dict]:
    with open(out / "results.csv") as fh:
        return list(csv.DictReader(fh))


def test_parameter_values_and_units():
    assert parameter_values(Parameter(key="k", range={"start": "2 nm", "stop": "10 nm", "num": 3})) == \
        ["2 nm", "6 nm", "10 nm"]
    assert parameter_values(Parameter(key="k", range={"start": "20 nm", "stop": "0.1 um", "step": "20 nm"})) == \
        ["20 nm", "40 nm", "60 nm", "80 nm", "100 nm"]
    assert parameter_values(Parameter(key="k", range={"start": 1, "stop": 2, "num": 3})) == [1.0, 1.5, 2.0]


def test_shipped_sweeps_validate():
    spec, points, columns = load_sweep(CASES / "sweeps" / "inmc_x_orgo_thickness.toml")
    assert len(points) == 15 and all(p.case is not None for p in points)
    assert [c[1] for c in columns] == ["i-NMC thickness [nm]", "o-rGO thickness [nm]"]
    assert len({p.key for p in points}) == 15
    spec, points, _ = load_sweep(CASES / "sweeps" / "znse_radius.toml")
    assert [p.case.geometry.outer_radii_nm[0] for p in points] == [20.0, 40.0, 60.0, 80.0, 100.0]
    spec, points, columns = load_sweep(CASES / "sweeps" / "znse_yield_strength.toml")
    assert [c[1] for c in columns] == ["potassiated ZnSe yield strength [GPa]"]
    mats = [p.case.resolved_materials()["ZnSe"] for p in points]
    assert [m.yield_strength_potassiated_MPa for m in mats] == [200.0, 500.0, 1000.0, 1500.0, 2000.0]
    assert {m.yield_strength_MPa for m in mats} == {1000.0}
    assert {p.case.model.kinematics for p in points} == {"finite"}


def test_sweep_over_a_material_key(tmp_path):
    """A material property swept as a --set style key: the yield strength of potassiated ZnSe
    (two points of the shipped sweep, coarse, one stage); a lower yield strength caps the
    particle's von Mises stress lower."""
    text = (CASES / "sweeps" / "znse_yield_strength.toml").read_text()
    text = text.replace('base = "../znse/', f'base = "{CASES}/znse/')
    text = text.replace('values = ["0.2 GPa", "0.5 GPa", "1 GPa", "1.5 GPa", "2 GPa"]', 'values = ["0.3 GPa", "2 GPa"]')
    sweep = tmp_path / "yield.toml"
    sweep.write_text(text)
    out = tmp_path / "out"
    # the particle's flow is what this test is about: dense elastic shells keep it quick
    res = swellfem_cli("sweep", str(sweep), "-o", str(out), "-q", "--set", 'mesh.size="12 nm"',
                       "--set", 'mesh.interface_size="3 nm"', "--set", "stages.soc=[0.6]",
                       "--set", 'materials.i-NMC.law="isotropic"', "--set", 'materials.i-NMC.tensile_strength="870 MPa"',
                       "--set", 'materials.o-rGO.law="isotropic"')
    assert res.returncode == 0, res.stderr
    with open(out / "results.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [float(r["potassiated ZnSe yield strength [GPa]"]) for r in rows] == [0.3, 2.0]
    assert all(r["status"] == "ok" for r in rows)
    vm = [float(r["ZnSe.von_mises_max_MPa"]) for r in rows]
    assert vm[0] < vm[1]
    assert all(float(r["ZnSe.equivalent_plastic_strain_max"]) > 0 for r in rows)
    assert (out / "plots" / "ZnSe__equivalent_plastic_strain_max.png").exists()


def test_bad_sweep_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(SWEEP.replace("combine", "combin").replace('label = "i-NMC thickness"', 'lable = "x"'))
    with pytest.raises(CaseError, match="lable"):
        load_sweep(bad)
    res = swellfem_cli("sweep", str(bad), "-o", str(tmp_path / "o"))
    assert res.returncode == 2 and "Traceback" not in res.stderr and not (tmp_path / "o").exists()


def test_sweep_end_to_end_with_a_failed_point(serial):
    out, res = serial
    assert res.returncode == 4, res.stderr  # some points failed
    rows = read_table(out)
    assert list(rows[0])[:3] == ["point", "i-NMC thickness [nm]", "geometry.layers.2.thickness [nm]"]
    ok = [r for r in rows if r["status"] == "ok"]
    failed = [r for r in rows if r["status"] == "failed"]
    assert len(ok) == 4 * 2  # 4 valid points x 2 stages
    assert len(failed) == 2 and all("greater than 0" in r["error"] for r in failed)
    assert {float(r["i-NMC thickness [nm]"]) for r in ok} == {5.0, 15.0}
    # a thicker i-NMC squeezes the ZnSe more at full charge
    full = {(float(r["i-NMC thickness [nm]"]), float(r["geometry.layers.2.thickness [nm]"])): r
            for r in ok if float(r["soc"]) == 1.0}
    assert float(full[(15.0, 2.0)]["ZnSe.hydrostatic_max_MPa"]) < float(full[(5.0, 2.0)]["ZnSe.hydrostatic_max_MPa"])
    for key in {r["point"] for r in ok}:
        summary = json.loads((out / "points" / key / "summary.json").read_text())
        assert summary["case"]["layers"][1]["name"] == "i-NMC"
    plots = sorted(p.name for p in (out / "plots").glob("*.png"))
    assert "ZnSe__principal_max_MPa.png" in plots and "o-rGO__hoop_max_MPa.png" in plots
    assert "point" in res.stdout and "ETA" in res.stdout  # plain log lines when not on a terminal


def test_rerun_skips_finished_points(sweep_file, serial):
    out, _ = serial
    before = (out / "results.csv").read_text()
    stamps = {p.name: (p / "summary.json").stat().st_mtime_ns for p in (out / "points").iterdir()
              if (p / "summary.json").exists()}
    res = swellfem_cli("sweep", str(sweep_file), "-o", str(out))
    assert "4 already done, 0 to run" in res.stdout
    assert (out / "results.csv").read_text() == before
    for name, stamp in stamps.items():
        assert (out / "points" / name / "summary.json").stat().st_mtime_ns == stamp


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_interrupted_sweep_resumes_to_the_same_table(sweep_file, serial, tmp_path, sig):
    ref, _ = serial
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "swellfem.cli", "sweep", str(sweep_file), "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    deadline = time.time() + 300
    while time.time() < deadline and not list((out / "points").glob("*/summary.json")):
        time.sleep(0.02)
    proc.send_signal(sig)
    proc.communicate(timeout=120)
    assert proc.returncode != 0
    for d in (out / "points").iterdir():  # nothing half-written: every point is complete or absent
        if d.name.startswith("."):
            continue  # the hidden temporary of the point that was killed; never read, removed on resume
        assert (d / "summary.json").exists() or (d / "error.json").exists(), list(d.iterdir())
    res = swellfem_cli("sweep", str(sweep_file), "-o", str(out))
    assert res.returncode == 4
    assert (out / "results.csv").read_text() == (ref / "results.csv").read_text()
    assert not [p for p in (out / "points").iterdir() if p.name.startswith(".")]


def test_jobs_2_gives_the_serial_table(sweep_file, serial, tmp_path):
    """The same table, and the same figures (the workers draw them, side by side)."""
    ref, _ = serial
    res = swellfem_cli("sweep", str(sweep_file), "-o", str(tmp_path / "j2"), "--jobs", "2", "-q")
    assert res.returncode == 4, res.stderr
    assert (tmp_path / "j2" / "results.csv").read_text() == (ref / "results.csv").read_text()
    plots = sorted(p.name for p in (tmp_path / "j2" / "plots").iterdir())
    assert plots == sorted(p.name for p in (ref / "plots").iterdir()) and plots
    assert all((tmp_path / "j2" / "plots" / name).stat().st_size > 1000 for name in plots)


@pytest.mark.mpi
def test_mpi_2_gives_the_serial_table(sweep_file, serial, tmp_path):
    """Rank 0 deals the points out one at a time to whichever rank is free, and solves points
    itself meanwhile: both ranks solve some, and the table is the serial one."""
    ref, _ = serial
    res = swellfem_cli("sweep", str(sweep_file), "-o", str(tmp_path / "mpi"), mpi=2)
    assert res.returncode == 4, res.stderr
    assert (tmp_path / "mpi" / "results.csv").read_text() == (ref / "results.csv").read_text()
    assert "on rank 0" in res.stdout and "on rank 1" in res.stdout, res.stdout


def test_shard_split():
    """Point i goes to shard i % N + 1; a point that repeats an earlier point's case goes with it."""
    _, points, _ = load_sweep(CASES / "sweeps" / "inmc_x_orgo_thickness.toml")
    for n in (1, 2, 4, 15, 20):
        shards = [shard_points(points, k, n) for k in range(1, n + 1)]
        assert sorted(p.index for s in shards for p in s) == list(range(len(points)))
        assert all(p.index % n == k for k, s in enumerate(shards) for p in s)
    twice = points[:3] + [points[1].model_copy(update={"index": 3})]
    assert shard_of(twice, 2) == {points[0].key: 1, points[1].key: 2, points[2].key: 1}
    assert parse_shard("2/8") == (2, 8) and parse_shard(" 1/1 ") == (1, 1)
    for bad, match in (("0/2", "between 1 and N"), ("3/2", "between 1 and N"), ("1/0", "at least 1"),
                       ("2", "expected K/N"), ("a/b", "expected K/N"), ("1/-2", "at least 1")):
        with pytest.raises(ValueError, match=match):
            parse_shard(bad)


def test_shards_merged_give_the_serial_table(sweep_file, serial, tmp_path):
    """Three shards, two of them at once into one shared OUTDIR and one into its own: no shard
    writes a results.csv; merged (into a new OUTDIR, or into the shared one) the table is the
    serial run's, byte for byte."""
    ref, _ = serial
    shared, own, merged = tmp_path / "shared", tmp_path / "own", tmp_path / "merged"
    cmd = [sys.executable, "-m", "swellfem.cli", "sweep", str(sweep_file), "-q"]
    procs = [subprocess.Popen(cmd + ["-o", str(shared), "--shard", k], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for k in ("1/3", "2/3")]
    res = swellfem_cli("sweep", str(sweep_file), "-o", str(own), "--shard", "3/3")
    outs = [p.communicate(timeout=300) for p in procs]
    assert res.returncode == 4 and "shard 3/3: 1 points done, 1 failed" in res.stdout, res.stderr  # its invalid point
    assert [p.returncode for p in procs] == [0, 4], [o[1] for o in outs]
    assert not (shared / "results.csv").exists() and not (own / "results.csv").exists()
    assert sorted(f.name for f in (shared / "shards").iterdir()) == ["1-of-3.json", "2-of-3.json"]
    assert len([d for d in (shared / "points").iterdir() if not d.name.startswith(".")]) == 3
    res = swellfem_cli("sweep-merge", str(sweep_file), "-o", str(merged), str(shared), str(own))
    assert res.returncode == 4, res.stderr  # the invalid points, as in the whole run
    assert (merged / "results.csv").read_bytes() == (ref / "results.csv").read_bytes()
    assert sorted(p.name for p in (merged / "plots").iterdir()) == sorted(p.name for p in (ref / "plots").iterdir())
    res = swellfem_cli("sweep-merge", str(sweep_file), "-o", str(shared), str(own), "-q")  # into the shared one
    assert res.returncode == 4, res.stderr
    assert (shared / "results.csv").read_bytes() == (ref / "results.csv").read_bytes()


def test_bad_shards_and_merges_are_refused(sweep_file, serial, tmp_path):
    """Bad input is one line and exit 2, with nothing written: a shard out of range, a shard
    directory of another sweep (other --set values) and points that no shard directory holds."""
    ref, _ = serial
    res = swellfem_cli("sweep", str(sweep_file), "-o", str(tmp_path / "o"), "--shard", "3/2")
    assert res.returncode == 2 and res.stderr.strip() == "swellfem: error: --shard 3/2: K must be between 1 and " \
        "N = 2, got 3", res.stderr
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "points").mkdir()
    for name in (ref / "points").iterdir():
        if name.name.startswith(".") or len(list((partial / "points").iterdir())) == 2:
            continue
        shutil.copytree(name, partial / "points" / name.name)
    shutil.copy(ref / ".swellfem-output.json", partial)
    res = swellfem_cli("sweep-merge", str(sweep_file), "-o", str(tmp_path / "m"), str(partial))
    assert res.returncode == 2 and "2 of 4 points have no result in" in res.stderr, res.stderr
    res2 = swellfem_cli("sweep-merge", str(sweep_file), "-o", str(tmp_path / "m"), str(ref), "--set", "stages.soc=[1.0]")
    assert res2.returncode == 2 and "holds another sweep's points" in res2.stderr, res2.stderr
    for r in (res, res2):
        assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert not (tmp_path / "o").exists() and not (tmp_path / "m").exists()


def test_misspelled_parameter_key_stops_before_any_point(tmp_path):
    bad = tmp_path / "typo.toml"
    bad.write_text(SWEEP.replace('key = "geometry.layers.1.thickness"', 'key = "geometry.layers.1.thicknes"'))
    res = swellfem_cli("sweep", str(bad), "-o", str(tmp_path / "o"))
    assert res.returncode == 2 and "did you mean 'thickness'" in res.stderr, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and not (tmp_path / "o").exists()


@pytest.mark.parametrize("rng, match", [('{ start = "2 nm", stop = "6 nm", step = "0 nm" }', "non-zero"),
                                         ('{ start = "2 nm", stop = "6 nm", step = "-1 nm" }', "goes away"),
                                         ('{ start = "2 nm", stop = "6 nm", step = "1e-9 nm" }', "more than")])
def test_broken_ranges_are_refused(tmp_path, rng, match):
    bad = tmp_path / "range.toml"
    bad.write_text(SWEEP.replace('range = {{ start = "2 nm", stop = "6 nm", num = 2 }}'.replace("{{", "{").replace("}}", "}"), f"range = {rng}"))
    with pytest.raises(CaseError, match=match):
        load_sweep(bad)
