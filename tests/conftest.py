"""Shared helpers: meshes cached in the repository's meshes/ (gitignored), in-process solves."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CASES = REPO / "cases"
os.environ.setdefault("SWELLFEM_MESH_CACHE", str(REPO / "meshes"))
os.environ.setdefault("MPLBACKEND", "Agg")


def swellfem_cli(*args: str, cwd: Path | None = None, timeout: float = 600, env: dict | None = None, mpi: int = 0):
    """Run the ``swellfem`` command (optionally under mpiexec) and return the CompletedProcess."""
    cmd = [sys.executable, "-m", "swellfem.cli", *args]
    if mpi:
        cmd = [mpiexec(), "-n", str(mpi), *cmd]
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=full_env)


def mpiexec() -> str:
    beside = Path(sys.executable).parent / "mpiexec"
    found = str(beside) if beside.exists() else shutil.which("mpiexec")
    if not found:
        pytest.skip("mpiexec not found")
    return found


def solve(case_file: Path | str, *overrides: str) -> dict:
    """Validate and solve a case in this process; returns the summary (no files written)."""
    from swellfem.case import load_case
    from swellfem.studies.run import solve_case

    case = load_case(case_file, list(overrides))
    return solve_case(case, field_dir=None, log=lambda *a, **k: None)


@pytest.fixture(scope="session")
def lame_case() -> Path:
    return CASES / "verification" / "lame_3layer.toml"


def front_exact(summary: dict, stage: dict):
    """The exact layered sphere (small strain, elastic, swellfem.exact.LayeredSphereRadialEigenstrain)
    of a solved shrinking-core stage: the active layer's front profile, the shells at the SOC."""
    import numpy as np

    from swellfem.exact import LayeredSphereRadialEigenstrain
    from swellfem.potassiation.fronts import front_profile

    layers = summary["case"]["layers"]
    width = summary["case"]["stages"]["front_width_nm"]
    rf = stage["front_radius_nm"]

    def eigenstrain(layer):
        beta = layer["volumetric_expansion"]
        if layer["role"] == "active" and rf is not None:  # (no front: uniform at the SOC)
            return lambda r: np.cbrt(1 + beta * front_profile(r, rf, width)) - 1
        return lambda r: np.cbrt(1 + beta * stage["soc"]) - 1 + 0 * r

    return LayeredSphereRadialEigenstrain.solve(
        [lay["outer_radius_nm"] for lay in layers], [1000 * lay["E_GPa"] for lay in layers],
        [lay["nu"] for lay in layers], [eigenstrain(lay) for lay in layers])
