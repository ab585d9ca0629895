"""End-to-end runs: patch test, summary contents, MPI = serial, all-or-nothing OUTDIR."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import solve, swellfem_cli

FREE_SPHERE = [
    'geometry.layers=[{name="particle", material="ZnSe", outer_radius="50 nm"}]',
    'mesh.size="10 nm"', 'mesh.interface_size="5 nm"', "stages.soc=[0.6]",
]


@pytest.mark.parametrize("formulation", ["axisymmetric", "3d-octant", "3d"])
def test_free_uniform_swelling_is_stress_free(lame_case, formulation):
    """Patch test: a free sphere that swells uniformly takes the eigenstrain without stress,
    and its apparent volume expansion is beta * SOC (cube-root convention, det F). The
    discretisation is exact here, so the iterative solves are asked for 1e-9 of the stresses."""
    summary = solve(lame_case, *FREE_SPHERE, f'model.formulation="{formulation}"', "model.stress_tolerance=1e-9")
    st = summary["stages"][0]
    e = np.cbrt(1 + 1.84 * 0.6) - 1
    scale = 67200.0 * e  # E x eigenstrain, MPa: the stress a constrained particle would see
    for key, value in st["regions"]["particle"].items():
        if key.endswith("_MPa"):
            assert abs(value) < 1e-6 * scale, (key, value)
    assert abs(st["regions"]["particle"]["max_principal_strain"]) < 1e-6 * e
    assert np.nanmax(np.abs(np.array(st["axial_profile"]["sigma_zz_MPa"], float))) < 1e-6 * scale
    assert st["apparent_volume_expansion_percent"] == pytest.approx(184.0 * 0.6, rel=1e-6)
    assert st["strain_energy_aJ"] == pytest.approx(0.0, abs=1e-9)


def test_run_writes_summary_fields_and_table(lame_case, tmp_path):
    out = tmp_path / "run"
    res = swellfem_cli("run", str(lame_case), "-o", str(out), "--set", "stages.soc=[0.5,1.0]")
    assert res.returncode == 0, res.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["swellfem_version"]
    case = summary["case"]
    assert case["eigenstrain_convention"] == "cube-root"
    assert case["kinematics"] == "small"
    assert all(layer["yield_strength_MPa"] is None for layer in case["layers"])
    assert [layer["name"] for layer in case["layers"]] == ["core", "inner", "outer"]
    for layer in case["layers"]:
        assert set(layer) >= {"name", "material", "outer_radius_nm", "E_GPa", "nu", "volumetric_expansion"}
    assert summary["mesh"]["formulation"] == "axisymmetric"
    assert summary["mesh"]["cells"] > 0 and summary["mesh"]["dofs"] > 0
    assert [st["soc"] for st in summary["stages"]] == [0.5, 1.0]
    for st in summary["stages"]:
        assert st["mode"] == "uniform"
        for region in ("core", "inner", "outer"):
            size_effect = {"critical_radius_nm", "size_ratio"} if region == "core" else set()  # ZnSe has K_Ic
            assert set(st["regions"][region]) == {
                "von_mises_max_MPa", "principal_max_MPa", "principal_min_MPa", "hydrostatic_max_MPa",
                "hydrostatic_min_MPa", "radial_max_MPa", "radial_min_MPa", "hoop_max_MPa", "hoop_min_MPa",
                "max_principal_strain", "strength_ratio_max", "fracture_strain_ratio_max",
                "equivalent_plastic_strain_max", "plastic_volume_fraction", "deformed_volume_nm3",
                "volume_nm3", "volume_expansion_percent",
            } | size_effect
            assert st["regions"][region]["equivalent_plastic_strain_max"] == 0.0  # elastic
        assert st["newton_iterations"] == 1 and st["load_increments"] == 1  # the linear path: one solve
        assert sum(r["deformed_volume_nm3"] for r in st["regions"].values()) == pytest.approx(
            (1 + st["apparent_volume_expansion_percent"] / 100) * st["volume_nm3"], rel=1e-9)
        assert set(st["interfaces"]) == {"core|inner", "inner|outer"}
        assert set(st["interfaces"]["core|inner"]) == {"normal_stress_max_MPa", "normal_stress_min_MPa", "adhesion_ratio_max"}
        prof = st["axial_profile"]
        assert len(prof["z_nm"]) == len(prof["sigma_zz_MPa"]) > 10
        assert prof["z_nm"][0] == 0.0 and prof["z_nm"][-1] == pytest.approx(75.0)
        assert "apparent_volume_expansion_percent" in st
        assert list(st["profiles"]) == ["axis"] and st["groups"] == {}  # the sphere's default probe line
        assert st["profiles"]["axis"]["s_nm"][-1] == pytest.approx(75.0, rel=1e-3)
        assert st["regions"]["core"]["volume_expansion_percent"] == pytest.approx(
            100 * (st["regions"]["core"]["deformed_volume_nm3"] / st["regions"]["core"]["volume_nm3"] - 1))
    assert summary["timing_s"]["total_s"] > 0
    # stress grows with SOC (linear-elastic, eigenstrain grows with SOC)
    assert summary["stages"][1]["regions"]["outer"]["hoop_max_MPa"] > summary["stages"][0]["regions"]["outer"]["hoop_max_MPa"]
    assert (out / "table.txt").read_text().count("core") == 2
    assert "von Mises" in res.stdout
    import pyvista as pv

    reader = pv.get_reader(str(out / "fields" / "fields.pvd"))
    assert reader.time_values == [0.0, 1.0]
    reader.set_active_time_value(1.0)
    grid = reader.read()[0]
    assert {"von_mises_MPa", "hydrostatic_MPa", "displacement_nm", "potassiation"} <= set(grid.point_data.keys())
    assert set(np.unique(grid.cell_data["region"]).astype(int)) == {1, 2, 3}


@pytest.mark.mpi
def test_serial_and_mpi_give_the_same_summary(lame_case, tmp_path):
    args = ["run", str(lame_case), "--set", "stages.soc=[1.0]", "--set", "output.fields=false", "-q"]
    serial = swellfem_cli(*args, "-o", str(tmp_path / "serial"))
    assert serial.returncode == 0, serial.stderr
    parallel = swellfem_cli(*args, "-o", str(tmp_path / "mpi"), mpi=2)
    assert parallel.returncode == 0, parallel.stderr + parallel.stdout
    a = json.loads((tmp_path / "serial" / "summary.json").read_text())
    b = json.loads((tmp_path / "mpi" / "summary.json").read_text())
    assert b["mesh"]["mpi_ranks"] == 2 and a["mesh"]["mpi_ranks"] == 1
    assert a["mesh"]["dofs"] == b["mesh"]["dofs"]
    sa, sb = a["stages"][0], b["stages"][0]
    scale = max(abs(v) for r in sa["regions"].values() for k, v in r.items() if k.endswith("_MPa"))

    def same(x, y, key):
        if x is None or y is None:
            return x is None and y is None
        return abs(x - y) < 1e-8 * scale if key.endswith("_MPa") else x == pytest.approx(y, rel=1e-8, abs=1e-12)

    for region, metrics in sa["regions"].items():
        for key, value in metrics.items():
            assert same(sb["regions"][region][key], value, key), (region, key)
    for key, metrics in sa["interfaces"].items():
        for k, value in metrics.items():
            assert same(sb["interfaces"][key][k], value, k), (key, k)
    assert np.allclose(sa["axial_profile"]["sigma_zz_MPa"], sb["axial_profile"]["sigma_zz_MPa"], atol=1e-8 * scale)
    assert sa["apparent_volume_expansion_percent"] == pytest.approx(sb["apparent_volume_expansion_percent"], rel=1e-10)


def test_failed_solve_leaves_no_outdir_and_keeps_earlier_result(lame_case, tmp_path):
    out = tmp_path / "result"
    quick = ["--set", "stages.soc=[1.0]", "--set", "output.fields=false", "-q"]
    first = swellfem_cli("run", str(lame_case), "-o", str(out), *quick)
    assert first.returncode == 0, first.stderr
    before = (out / "summary.json").read_bytes()
    # An iterative solver allowed one iteration cannot converge: the run must fail cleanly.
    env = {"PETSC_OPTIONS": "-swellfem_elasticity_ksp_max_it 1"}
    failed = swellfem_cli("run", str(lame_case), "-o", str(out), *quick, "--set", 'model.solver="iterative"',
                          "--overwrite", env=env)
    assert failed.returncode == 3, failed.stderr
    assert "did not converge" in failed.stderr and "Traceback" not in failed.stderr
    assert "stage 0 (SOC 0.00 -> 1.00) not solved" in failed.stderr  # which stage failed
    assert (out / "summary.json").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["result"]
    fresh = tmp_path / "fresh"
    failed = swellfem_cli("run", str(lame_case), "-o", str(fresh), *quick, "--set", 'model.solver="iterative"', env=env)
    assert failed.returncode == 3 and not fresh.exists()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_run_leaves_no_partial_outdir(lame_case, tmp_path, sig):
    out = tmp_path / "result"
    out.mkdir()
    (out / "summary.json").write_text('{"earlier": true}')
    (out / ".swellfem-output.json").write_text('{"kind": "run"}')  # an earlier result of 'run'
    cmd = [sys.executable, "-m", "swellfem.cli", "run", str(lame_case), "-o", str(out), "--overwrite",
           "--set", "stages.soc=[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1.0]", "--set", 'mesh.interface_size="0.5 nm"']
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    deadline = time.time() + 120
    while time.time() < deadline and not list(tmp_path.glob(".result.tmp-*")):
        time.sleep(0.05)
    assert list(tmp_path.glob(".result.tmp-*")), "the run never started writing"
    time.sleep(0.5)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert (out / "summary.json").read_text() == '{"earlier": true}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result"]


def test_killed_run_temporary_is_cleaned_by_next_run(tmp_path):
    from swellfem.results.files import atomic_directory

    out = tmp_path / "r"
    stale = tmp_path / ".r.tmp-999999999-abc"
    stale.mkdir()
    with atomic_directory(out) as tmp:
        (tmp / "x").write_text("1")
    assert (out / "x").read_text() == "1"
    assert not stale.exists()


def test_temporary_of_a_killed_unreaped_process_is_cleaned(tmp_path):
    """A worker killed under an init that does not reap orphans stays a zombie: its pid answers
    kill(0), yet it has ended, and its temporary is stale (the CI's kill test met this)."""
    from swellfem.results.files import atomic_directory

    child = subprocess.Popen(["true"])
    deadline = time.time() + 10
    while Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] != "Z":
        assert time.time() < deadline
        time.sleep(0.01)
    try:
        out = tmp_path / "r"
        stale = tmp_path / f".r.tmp-{child.pid}-abc"
        stale.mkdir()
        with atomic_directory(out) as tmp:
            (tmp / "x").write_text("1")
        assert not stale.exists()
    finally:
        child.wait()


def test_mesh_command_exports_through_meshio(lame_case, tmp_path):
    res = swellfem_cli("mesh", str(lame_case), "--export", str(tmp_path / "mesh.vtu"))
    assert res.returncode == 0, res.stderr
    import meshio

    m = meshio.read(tmp_path / "mesh.vtu")
    assert len(m.points) > 100


def test_materials_and_validate_commands(lame_case):
    res = swellfem_cli("materials")
    assert res.returncode == 0 and "ZnSe" in res.stdout and "Gomez-Navarro" in res.stdout
    res = swellfem_cli("validate", str(lame_case))
    assert res.returncode == 0 and "valid" in res.stdout
