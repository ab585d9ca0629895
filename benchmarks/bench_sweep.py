"""Benchmark: points per minute of an axisymmetric sweep serially, with --jobs 2 and under
mpiexec -n 2, and where the time of a point goes. Run by hand:

    .venv/bin/python benchmarks/bench_sweep.py
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SWEEP = f"""
name = "bench"
base = "{(REPO / 'cases' / 'znse' / 'znse_inmc_orgo.toml').as_posix()}"
set = ["output.fields=false"]
[[parameters]]
key = "geometry.layers.1.thickness"
values = ["5 nm", "10 nm", "15 nm", "20 nm"]
[[parameters]]
key = "geometry.layers.2.thickness"
values = ["3 nm", "6 nm"]
"""


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="swellfem-bench-sweep-"))
    sweep = tmp / "bench.toml"
    sweep.write_text(SWEEP)
    exe = [sys.executable, "-m", "swellfem.cli", "sweep", str(sweep), "-q"]
    mpiexec = str(Path(sys.executable).parent / "mpiexec")
    if not Path(mpiexec).exists():
        mpiexec = shutil.which("mpiexec")
    # warm the mesh cache and the form cache once, so that every mode sees the same state
    subprocess.run(exe + ["-o", str(tmp / "warm")], cwd=REPO)
    runs = {"serial": exe, "--jobs 2": exe + ["--jobs", "2"], "mpiexec -n 2": [mpiexec, "-n", "2", *exe]}
    print(f"{'mode':14s} {'points':>6s} {'wall s':>8s} {'points/min':>11s}")
    for name, cmd in runs.items():
        out = tmp / name.replace(" ", "_")
        t0 = time.perf_counter()
        subprocess.run(cmd + ["-o", str(out)], cwd=REPO)
        wall = time.perf_counter() - t0
        n = len(list((out / "points").glob("*/summary.json")))
        print(f"{name:14s} {n:6d} {wall:8.1f} {60 * n / wall:11.1f}", flush=True)
    print("\nwhere a point's time goes (serial run, mesh and forms cached), seconds:")
    keys = ("mesh_s", "setup_s", "solve_s", "evaluate_and_write_s", "stages_s")
    print(f"{'point':18s} " + " ".join(f"{k:>20s}" for k in keys))
    for f in sorted((tmp / "serial" / "points").glob("*/summary.json")):
        t = json.loads(f.read_text())["timing_s"]
        print(f"{f.parent.name:18s} " + " ".join(f"{t[k]:20.2f}" for k in keys))
    cold = sorted((tmp / "warm" / "points").glob("*/summary.json"))
    if cold:
        t = json.loads(cold[0].read_text())["timing_s"]
        print("\nfirst point of the cold run (meshing and form compilation included): "
              + ", ".join(f"{k} {t[k]:.2f}" for k in keys))


if __name__ == "__main__":
    main()
