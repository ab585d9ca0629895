"""Benchmark: ``mpiexec -n 2`` against one process on the octant Lamé default mesh (320 k dofs),
run alternately so that both see the same machine, repeated; optionally the finite-strain solve.

A shared virtual machine's speed changes from minute to minute (other guests take its cores:
the "steal" time of ``/proc/stat``), so single pairs say little. Each run is
``bench_scaling.py --one`` (the whole ``solve_case``: mesh read, setup, solve, evaluation); this
prints every run with the share of the machine's CPU time stolen during it, then per mode the
fastest and the median wall time and their ratios. Run by hand (not in CI):

    .venv/bin/python benchmarks/bench_mpi.py                  # linear, SOC 1, 5 pairs
    .venv/bin/python benchmarks/bench_mpi.py --finite --pairs 2   # finite strain (Hencky), SOC 0.2
    .venv/bin/python benchmarks/bench_mpi.py --case-stages    # the case as it is: two stages
    .venv/bin/python benchmarks/bench_mpi.py --bind           # mpiexec -bind-to core
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
LEVEL = ["3d-octant", "5 nm", "1.5 nm", "4"]  # the Lamé case's default octant mesh
PHASES = ("mesh_s", "setup_s", "solve_s", "wall_s")


def cpu_times() -> tuple[float, float]:
    """(all, stolen) CPU jiffies of the machine so far (``/proc/stat``)."""
    fields = [float(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return sum(fields[:8]), fields[7] if len(fields) > 7 else 0.0


def run(prefix: list[str], finite: bool, case_stages: bool) -> dict:
    args = [sys.executable, str(HERE / "bench_scaling.py"), "--one", *LEVEL, "finite" if finite else "small"]
    args += ["--case-stages"] if case_stages else []
    total0, steal0 = cpu_times()
    t0 = time.perf_counter()
    out = subprocess.run(prefix + args, capture_output=True, text=True, cwd=REPO)
    elapsed = time.perf_counter() - t0
    total1, steal1 = cpu_times()
    if out.returncode:
        sys.exit(f"bench_mpi: {' '.join(prefix + args)} failed: {(out.stderr.strip().splitlines() or ['?'])[-1]}")
    r = json.loads(out.stdout.strip().splitlines()[-1])
    r["process_s"] = elapsed
    r["steal"] = (steal1 - steal0) / max(total1 - total0, 1e-9)
    return r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--finite", action="store_true", help="finite strain (Newton, elastic Hencky), SOC 0.2")
    ap.add_argument("--bind", action="store_true", help="mpiexec -bind-to core")
    ap.add_argument("--case-stages", action="store_true", help="the case's own two stages (SOC 0.5, 1), not one")
    opts = ap.parse_args()
    mpiexec = str(Path(sys.executable).parent / "mpiexec")
    modes = {"1 rank": [], "2 ranks": [mpiexec, "-n", "2"] + (["-bind-to", "core"] if opts.bind else [])}
    subprocess.run([sys.executable, str(HERE / "bench_scaling.py"), "--one", *LEVEL,
                    "finite" if opts.finite else "small", "--mesh-only"], cwd=REPO, check=True)  # the mesh cache
    runs: dict[str, list[dict]] = {m: [] for m in modes}
    print(f"{'mode':8s} {'dofs':>7s} {'its':>4s} {'newton':>6s} {'mesh s':>7s} {'setup s':>7s} {'solve s':>7s} "
          f"{'wall s':>7s} {'steal':>6s}")
    for _ in range(opts.pairs):
        for mode, prefix in modes.items():
            r = run(prefix, opts.finite, opts.case_stages)
            runs[mode].append(r)
            print(f"{mode:8s} {r['dofs']:7d} {r['iterations']:4d} {r['newton']:6d} {r['mesh_s']:7.2f} {r['setup_s']:7.2f} "
                  f"{r['solve_s']:7.2f} {r['wall_s']:7.2f} {r['steal']:6.1%}", flush=True)
    print()
    print(f"{'phase':8s} " + " ".join(f"{m + ' min':>11s} {m + ' median':>14s}" for m in modes)
          + f" {'speed-up (min)':>15s} {'speed-up (median)':>18s}")
    for phase in PHASES:
        mins = [min(r[phase] for r in runs[m]) for m in modes]
        meds = [statistics.median(r[phase] for r in runs[m]) for m in modes]
        print(f"{phase:8s} " + " ".join(f"{a:11.2f} {b:14.2f}" for a, b in zip(mins, meds))
              + f" {mins[0] / mins[1]:15.2f} {meds[0] / meds[1]:18.2f}")


if __name__ == "__main__":
    main()
