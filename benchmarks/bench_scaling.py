"""Benchmark: time per dof of the 3D linear solve from 10^4 to 2 x 10^6 dofs, and MPI.

The Lame verification case (one stage, SOC 1; SOC 0.2 with --finite) in the octant (and full 3D) on meshes from coarse
to fine. Each run is a separate process and prints dofs, wall time (whole solve_case: mesh read,
setup, solve, evaluation), the Krylov iterations, the peak memory of the process and the largest
error of the stress extrema against the exact solution. Writes ``scaling.csv`` and
``scaling.png`` (time per dof against dofs) next to this file. Run by hand on a quiet machine
(not in CI); the meshes are built first and cached ($SWELLFEM_MESH_CACHE):

    .venv/bin/python benchmarks/bench_scaling.py            # octant sizes, then full 3D at ~1 M dofs
    .venv/bin/python benchmarks/bench_scaling.py --mpi 2    # the same under mpiexec -n 2
    .venv/bin/python benchmarks/bench_scaling.py --finite [--mpi 2]  # finite strain, octant default
    .venv/bin/python benchmarks/bench_mpi.py             # serial and 2 ranks in turn, repeated (see there)
"""

from __future__ import annotations

import csv
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
CASE = REPO / "cases" / "verification" / "lame_3layer.toml"
# (formulation, size, interface size, min elements across the thinnest layer)
LEVELS = [
    ("3d-octant", "20 nm", "6 nm", 1),
    ("3d-octant", "10 nm", "3 nm", 2),
    ("3d-octant", "7 nm", "2 nm", 3),
    ("3d-octant", "5 nm", "1.5 nm", 4),  # the case's default mesh
    ("3d-octant", "3.5 nm", "1 nm", 4),
    ("3d-octant", "2.5 nm", "0.75 nm", 4),
    ("3d", "8.5 nm", "2 nm", 4),  # about 1 M dofs
]
#: --finite: the octant default mesh with finite kinematics (Newton, elastic Hencky), one stage to SOC 0.2
FINITE_LEVELS = [("3d-octant", "5 nm", "1.5 nm", 4)]


def one(formulation: str, size: str, iface: str, nmin: int, finite: bool, mesh_only: bool = False,
        case_stages: bool = False) -> None:
    """One run of the Lamé case; ``case_stages``: the case's own stages (SOC 0.5 and 1) instead of one."""
    sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "physics")]
    from test_lame import exact_for, relative_errors

    from swellfem._backend import MPI
    from swellfem.case import load_case
    from swellfem.studies.run import solve_case

    overrides = [f'model.formulation="{formulation}"', f'mesh.size="{size}"', f'mesh.interface_size="{iface}"',
                 f"mesh.min_elements_across_layer={nmin}", "output.fields=false", 'model.solver="iterative"']
    overrides += ['model.kinematics="finite"'] if finite else []
    overrides += [] if case_stages else [f"stages.soc=[{0.2 if finite else 1.0}]"]
    if mesh_only:  # build the mesh into the cache (not timed)
        from swellfem.physics import load_mesh
        from swellfem.studies.run import mesh_spec

        load_mesh(mesh_spec(load_case(CASE, overrides)), MPI.COMM_WORLD)
        return
    case = load_case(CASE, overrides)
    MPI.COMM_WORLD.barrier()
    t0 = time.perf_counter()
    summary = solve_case(case, log=lambda *a, **k: None)
    wall = time.perf_counter() - t0
    rss = MPI.COMM_WORLD.allreduce(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if MPI.COMM_WORLD.rank:
        return
    # the exact solution is the small-strain one: no error column for finite strain
    errors = {"-": float("nan")} if finite else relative_errors(summary, exact_for(CASE, overrides, 1.0),
                                                                 interfaces_by_scale=formulation == "3d")
    print(json.dumps({"formulation": formulation, "size": size, "dofs": summary["mesh"]["dofs"], "wall_s": wall,
                      "solve_s": summary["timing_s"]["solve_s"], "setup_s": summary["timing_s"]["setup_s"],
                      "mesh_s": summary["timing_s"]["mesh_s"], "stages": len(summary["stages"]),
                      "iterations": sum(st["solver_iterations"] for st in summary["stages"]),
                      "newton": sum(st.get("newton_iterations", 0) for st in summary["stages"]),
                      "rss_MiB": rss, "error": max(errors.values()), "ranks": MPI.COMM_WORLD.size}))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        one(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6] == "finite", "--mesh-only" in sys.argv,
            "--case-stages" in sys.argv)
        return
    finite = "--finite" in sys.argv
    ranks = int(sys.argv[sys.argv.index("--mpi") + 1]) if "--mpi" in sys.argv else 1
    prefix = [shutil.which("mpiexec") or str(Path(sys.executable).parent / "mpiexec"), "-n", str(ranks)] if ranks > 1 else []
    rows = []
    print(f"{'formulation':11s} {'size':>7s} {'dofs':>9s} {'ranks':>5s} {'its':>4s} {'newton':>6s} {'mesh s':>7s} {'setup s':>7s} "
          f"{'solve s':>7s} {'wall s':>7s} {'us/dof':>7s} {'RSS MiB':>8s} {'error':>7s}")
    for formulation, size, iface, nmin in FINITE_LEVELS if finite else LEVELS:
        args = [sys.executable, __file__, "--one", formulation, size, iface, str(nmin), "finite" if finite else "small"]
        subprocess.run(args + ["--mesh-only"], capture_output=True, cwd=REPO)  # mesh into the cache (not timed)
        out = subprocess.run(prefix + args, capture_output=True, text=True, cwd=REPO)
        if out.returncode:
            print(f"{formulation} {size} failed: {(out.stderr.strip().splitlines() or ['?'])[-1]}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        r["us_per_dof"] = 1e6 * r["wall_s"] / r["dofs"]
        rows.append(r)
        print(f"{r['formulation']:11s} {r['size']:>7s} {r['dofs']:9d} {r['ranks']:5d} {r['iterations']:4d} {r['newton']:6d} "
              f"{r['mesh_s']:7.1f} {r['setup_s']:7.1f} {r['solve_s']:7.1f} {r['wall_s']:7.1f} {r['us_per_dof']:7.1f} "
              f"{r['rss_MiB']:8.0f} {r['error']:7.2%}", flush=True)
    if not rows:
        return
    tag = ("_finite" if finite else "") + ("" if ranks == 1 else f"_mpi{ranks}")
    with open(HERE / f"scaling{tag}.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for formulation, marker in (("3d-octant", "o"), ("3d", "s")):
        pts = [r for r in rows if r["formulation"] == formulation]
        if pts:
            ax.loglog([r["dofs"] for r in pts], [r["us_per_dof"] for r in pts], marker=marker, label=formulation)
    ref = sorted(r["us_per_dof"] for r in rows)[len(rows) // 2]
    ax.axhspan(ref / 1.3, ref * 1.3, color="0.9", label="median ±30 %")
    ax.set_xlabel("dofs")
    ax.set_ylabel("wall time per dof, µs")
    ax.set_title(f"Lame case, P2, CG + p-multigrid, {ranks} rank(s)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(HERE / f"scaling{tag}.png", dpi=150)


if __name__ == "__main__":
    main()
