"""Benchmark: the iterative 3D solve, its preconditioner and its tolerance.

For the octant Lame case on its default mesh (320 k dofs, one stage at full charge) this prints,
for each preconditioner and each relative residual tolerance (``ksp_rtol``), the wall time of
the solve, the Krylov iterations and how far the per-region stress extrema moved from a solve
to 1e-10 (the reference), plus their error against the exact solution. The ratio of the two
(stress change per unit residual) is where swellfem's rule ``ksp_rtol = 0.1 x stress
tolerance`` (swellfem.physics.solver.krylov_rtol) comes from. Run by hand (not in CI):

    .venv/bin/python benchmarks/bench_solver.py              # p-multigrid (default) and plain GAMG
    .venv/bin/python benchmarks/bench_solver.py pmg          # one preconditioner
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CASE = REPO / "cases" / "verification" / "lame_3layer.toml"
OVERRIDES = ['model.formulation="3d-octant"', "stages.soc=[1.0]"]
RTOLS = (1e-10, 1e-8, 1e-6, 1e-5, 1e-4, 1e-3)
PREFIX = "-swellfem_elasticity_"
#: plain GAMG on the P2 matrix (the solver before the p-multigrid), as PETSc options
GAMG = ("pc_type gamg", "pc_gamg_type agg", "pc_gamg_coarse_eq_limit 1000", "mg_levels_ksp_type chebyshev",
        "mg_levels_pc_type jacobi", "mg_levels_esteig_ksp_type cg", "mg_levels_ksp_max_it 2")


def one() -> None:
    sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "physics")]
    from test_lame import exact_for, relative_errors

    from swellfem.case import load_case
    from swellfem.studies.run import solve_case

    t0 = time.perf_counter()
    summary = solve_case(load_case(CASE, OVERRIDES), log=lambda *a, **k: None)
    wall = time.perf_counter() - t0
    stage = summary["stages"][0]
    extrema = {f"{r}.{k}": v for r, vals in stage["regions"].items() for k, v in vals.items()
               if isinstance(v, float) and k.endswith("_MPa")}
    errors = relative_errors(summary, exact_for(CASE, OVERRIDES, 1.0))
    print(json.dumps({"wall_s": wall, "solve_s": summary["timing_s"]["solve_s"], "dofs": summary["mesh"]["dofs"],
                      "iterations": stage["solver_iterations"], "extrema": extrema,
                      "exact_error": max(errors.values())}))


def run(pc: str, rtol: float) -> dict:
    options = [f"{PREFIX}ksp_rtol {rtol:g}"] + ([PREFIX + o for o in GAMG] if pc == "gamg" else [])
    env = {**os.environ, "PETSC_OPTIONS": " ".join(options)}
    out = subprocess.run([sys.executable, __file__, "--one"], capture_output=True, text=True, cwd=REPO, env=env)
    if out.returncode:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    if sys.argv[1:] == ["--one"]:
        one()
        return
    for pc in sys.argv[1:] or ("pmg", "gamg"):
        print(f"\n{pc}: octant Lame, default mesh, SOC 1")
        print(f"{'ksp_rtol':>9s} {'dofs':>8s} {'its':>4s} {'solve s':>8s} {'wall s':>7s} "
              f"{'max change':>11s} {'change/rtol':>11s} {'exact err':>9s}")
        ref = None
        for rtol in RTOLS:
            r = run(pc, rtol)
            ref = ref or r
            change = max(abs(r["extrema"][k] - v) / max(abs(v), 1e-12) for k, v in ref["extrema"].items()
                         if abs(v) > 1e-3 * max(abs(x) for x in ref["extrema"].values()))
            print(f"{rtol:9.0e} {r['dofs']:8d} {r['iterations']:4d} {r['solve_s']:8.1f} {r['wall_s']:7.1f} "
                  f"{change:11.2e} {change / rtol:11.2f} {r['exact_error']:9.2%}", flush=True)


if __name__ == "__main__":
    main()
