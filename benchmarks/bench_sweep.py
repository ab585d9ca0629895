"""Benchmark: points per minute of an axisymmetric thickness sweep (ZnSe@i-NMC@o-rGO, 8 or 32 points)
serially, with --jobs 2 and under mpiexec -n 2, and where the time of a point goes. Run by hand:

    .venv/bin/python benchmarks/bench_sweep.py --formulation spherical-1d   # the same sweep in the radius alone

    .venv/bin/python benchmarks/bench_sweep.py                 # warm caches, every mode once
    .venv/bin/python benchmarks/bench_sweep.py --modes jobs2 --repeat 3
    .venv/bin/python benchmarks/bench_sweep.py --cold          # also a first run: empty mesh and JIT caches
    .venv/bin/python benchmarks/bench_sweep.py --wide --modes jobs2 --repeat 3   # 32 points

"warm": the mesh cache and the form (JIT) cache hold every point's mesh and forms (a warm-up run
fills them), as when a sweep is rerun or extended. "cold" (``--cold``): a new mesh cache and a new
JIT cache directory, as the first run of new geometries: each point then meshes with gmsh and, where
its forms differ from those compiled before, compiles them.

Per mode: wall time, points/min over the wall time, and the steady rate: points/min over the time
from the first to the last finished point (startup, the first point's imports and the plots left
out), and the CPU seconds of all its processes (on a shared machine the wall times say little: compare
CPU s). Per point (mean over the points of the run): ``point_s`` (as the progress line reports it),
the solver's own timing (``mesh_s``, ``setup_s``, ``solve_s``, ``evaluate_and_write_s``) and the rest
(reading the case, writing summary.json).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
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
POINT_LINE = re.compile(r"^\[(\d+)/(\d+)\] point (\S+) (\w+)(?: on rank \d+)? in ([\d.]+) s")
TIMING = ("mesh_s", "setup_s", "solve_s", "evaluate_and_write_s")


def run_mode(cmd: list[str], out: Path, env: dict) -> dict:
    """Run one sweep; wall and CPU time (all its processes), the finish time of each point, and the
    mean per-point timings."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    finished, seconds = [], []
    with subprocess.Popen(cmd + ["-o", str(out)], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True) as proc:
        for line in proc.stdout:
            m = POINT_LINE.match(line)
            if m:
                finished.append(time.perf_counter() - t0)
                seconds.append(float(m.group(5)))
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    summaries = [json.loads(f.read_text()) for f in sorted((out / "points").glob("*/summary.json"))]
    n = len(summaries)
    mean = {k: sum(s["timing_s"][k] for s in summaries) / max(n, 1) for k in TIMING}
    mean["point_s"] = sum(seconds) / max(len(seconds), 1)
    mean["rest_s"] = mean["point_s"] - sum(mean[k] for k in TIMING)
    steady = 60 * (len(finished) - 1) / (finished[-1] - finished[0]) if len(finished) > 1 else float("nan")
    return {"points": n, "wall": wall, "cpu": cpu, "per_min": 60 * n / wall, "steady_per_min": steady, "mean": mean}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--modes", default="serial,jobs2,mpi2", help="comma-separated: serial, jobs2, mpi2")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each mode (the machine may be shared: ranges)")
    ap.add_argument("--cold", action="store_true", help="also run each mode once on empty mesh and JIT caches")
    ap.add_argument("--wide", action="store_true",
                    help="32 points (8 i-NMC x 4 rGO thicknesses) instead of 8: startup and plots weigh less")
    ap.add_argument("--formulation", default="axisymmetric", help="model.formulation of every point (default axisymmetric)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="swellfem-bench-sweep-"))
    sweep = tmp / "bench.toml"
    text = SWEEP.replace('set = ["output.fields=false"]',
                         f"set = ['output.fields=false', 'model.formulation=\"{args.formulation}\"']")
    if args.wide:
        text = text.replace('values = ["5 nm", "10 nm", "15 nm", "20 nm"]',
                            'values = ["4 nm", "6 nm", "8 nm", "10 nm", "12 nm", "15 nm", "18 nm", "22 nm"]')
        text = text.replace('values = ["3 nm", "6 nm"]', 'values = ["2 nm", "3 nm", "5 nm", "7 nm"]')
    sweep.write_text(text)
    exe = [sys.executable, "-m", "swellfem.cli", "sweep", str(sweep)]
    mpiexec = str(Path(sys.executable).parent / "mpiexec")
    if not Path(mpiexec).exists():
        mpiexec = shutil.which("mpiexec") or "mpiexec"
    commands = {"serial": exe, "jobs2": exe + ["--jobs", "2"], "mpi2": [mpiexec, "-n", "2", *exe]}
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    env = dict(os.environ)
    runs = []
    if args.cold:
        for mode in modes:
            cold = tmp / f"cold-{mode}"
            cold_env = {**env, "SWELLFEM_MESH_CACHE": str(cold / "meshes"), "XDG_CACHE_HOME": str(cold / "cache")}
            runs.append((f"{mode} cold", run_mode(commands[mode], cold / "out", cold_env)))
    # warm the mesh cache and the form cache once, so that every warm run sees the same state
    subprocess.run(exe + ["-q", "-o", str(tmp / "warm")], cwd=REPO, env=env, check=False)
    for r in range(args.repeat):
        for mode in modes:
            runs.append((mode, run_mode(commands[mode], tmp / f"{mode}-{r}", env)))
    columns = ("point_s", *TIMING, "rest_s")
    print(f"{'mode':12s} {'points':>6s} {'wall s':>7s} {'CPU s':>7s} {'points/min':>10s} {'steady/min':>10s}  |  "
          "mean per point, s: " + " ".join(c.removesuffix("_s") for c in columns))
    for name, res in runs:
        m = res["mean"]
        print(f"{name:12s} {res['points']:6d} {res['wall']:7.1f} {res['cpu']:7.1f} {res['per_min']:10.1f} "
              f"{res['steady_per_min']:10.1f}  |  " + " ".join(f"{c.removesuffix('_s')}={m[c]:.2f}" for c in columns),
              flush=True)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
