"""Benchmark: finite-strain plasticity against small-strain elasticity, per formulation.

For the Lame verification case (ZnSe core, beta 1.84, in two shells; the inner shell yields at
300 MPa in the plastic variants) and the ZnSe@i-NMC@o-rGO case (shrinking core, 5 stages; the
potassiated ZnSe yields at 1 GPa), each model variant prints dofs, Newton iterations, load
increments and cutbacks per stage, wall time per stage, peak memory and, for the Lame case in
axisymmetry, the largest error of the per-region extrema against the 1D spherically
symmetric solution (swellfem.sphere1d). Run by hand (not in CI), on a quiet machine, twice:

    .venv/bin/python benchmarks/bench_finite.py             # all
    .venv/bin/python benchmarks/bench_finite.py lame        # one case
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CASES = {
    "lame": REPO / "cases" / "verification" / "lame_3layer.toml",
    "znse": REPO / "cases" / "znse" / "znse_inmc_orgo.toml",
}
YIELD = {"lame": ['materials.i-NMC-isotropic.yield_strength="300 MPa"', 'materials.i-NMC-isotropic.hardening_modulus="2 GPa"'],
         "znse": ['materials.ZnSe.yield_strength="1 GPa"']}
VARIANTS = {
    "small elastic": [],
    "finite elastic": ["model.kinematics=finite"],
    "finite plastic": ["model.kinematics=finite", "PLASTIC"],
}
FORMULATIONS = {
    "lame": {"axisymmetric": [], "3d-octant": ['model.formulation="3d-octant"', 'mesh.size="10 nm"',
                                                'mesh.interface_size="3 nm"']},
    "znse": {"axisymmetric": []},
}


def one(case_key: str, formulation: str, variant: str) -> dict:
    from swellfem.case import load_case
    from swellfem.studies.run import solve_case

    overrides = list(FORMULATIONS[case_key][formulation])
    for item in VARIANTS[variant]:
        overrides += YIELD[case_key] if item == "PLASTIC" else [item]
    t0 = time.perf_counter()
    case = load_case(CASES[case_key], overrides)
    summary = solve_case(case, log=lambda *a: None)
    wall = time.perf_counter() - t0
    error = None
    if case_key == "lame" and formulation == "axisymmetric" and variant != "small elastic":
        sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "physics")]
        from reference import compare, sphere1d_for, stage_thetas

        ref = sphere1d_for(case)
        names = [layer.name for layer in case.geometry.layers]
        error = max(max(compare(st["regions"], ref.step(th, increments=40), names).values())
                    for th, st in zip(stage_thetas(case), summary["stages"]))
    stages = summary["stages"]
    return {
        "case": case_key, "formulation": formulation, "variant": variant, "dofs": summary["mesh"]["dofs"],
        "stages": len(stages), "newton": [st["newton_iterations"] for st in stages],
        "increments": [st["load_increments"] for st in stages], "cutbacks": sum(st["load_cutbacks"] for st in stages),
        "solve_s": summary["timing_s"]["solve_s"], "wall_s": wall,
        "peak_rss_MiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "error_vs_1d": error,
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        print(json.dumps(one(sys.argv[2], sys.argv[3], sys.argv[4])))
        return
    wanted = sys.argv[1:] or list(CASES)
    print(f"{'case':5s} {'formulation':12s} {'variant':15s} {'dofs':>7s} {'Newton its per stage':>22s} "
          f"{'incr.':>12s} {'cuts':>4s} {'solve s':>8s} {'s/stage':>7s} {'RSS MiB':>8s} {'err vs 1D':>9s}")
    for case_key in wanted:
        for formulation in FORMULATIONS[case_key]:
            for variant in VARIANTS:
                out = subprocess.run([sys.executable, __file__, "--one", case_key, formulation, variant],
                                     capture_output=True, text=True, cwd=REPO)
                if out.returncode:
                    print(f"{case_key} {formulation} {variant} failed: {out.stderr.strip().splitlines()[-1]}")
                    continue
                r = json.loads(out.stdout.strip().splitlines()[-1])
                err = f"{r['error_vs_1d']:9.2%}" if r["error_vs_1d"] is not None else f"{'-':>9s}"
                print(f"{r['case']:5s} {r['formulation']:12s} {r['variant']:15s} {r['dofs']:7d} "
                      f"{','.join(map(str, r['newton'])):>22s} {','.join(map(str, r['increments'])):>12s} "
                      f"{r['cutbacks']:4d} {r['solve_s']:8.1f} {r['solve_s'] / r['stages']:7.2f} "
                      f"{r['peak_rss_MiB']:8.0f} {err}", flush=True)


if __name__ == "__main__":
    main()
