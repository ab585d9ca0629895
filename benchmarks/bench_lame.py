"""Benchmark: the Lame verification case in each formulation at two refinements.

Prints dofs, wall time (mesh / setup / solve), peak memory and the largest relative error of
the per-region extrema against the exact solution. Run by hand (not in CI):

    .venv/bin/python benchmarks/bench_lame.py            # all
    .venv/bin/python benchmarks/bench_lame.py 3d-octant  # one formulation
    .venv/bin/python benchmarks/bench_lame.py axisymmetric spherical-1d
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CASE = REPO / "cases" / "verification" / "lame_3layer.toml"

# (formulation, size, interface size, min elements across the thinnest layer)
LEVELS = {
    "axisymmetric": [("5 nm", "1.5 nm", 4), ("2.5 nm", "0.75 nm", 4)],
    "3d-octant": [("10 nm", "3 nm", 4), ("5 nm", "1.5 nm", 4)],
    "3d": [("20 nm", "5 nm", 2), ("10 nm", "2.5 nm", 4)],
    "spherical-1d": [("5 nm", "1.5 nm", 4), ("2.5 nm", "0.75 nm", 4)],  # the radius alone, 4x finer elements
}


def one(formulation: str, size: str, iface: str, nmin: int) -> dict:
    sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "physics")]
    from test_lame import STRICT, exact_for, relative_errors

    from swellfem.case import load_case
    from swellfem.studies.run import solve_case

    overrides = [f'model.formulation="{formulation}"', f'mesh.size="{size}"', f'mesh.interface_size="{iface}"',
                 f"mesh.min_elements_across_layer={nmin}", "stages.soc=[1.0]"]
    t0 = time.perf_counter()
    summary = solve_case(load_case(CASE, overrides), log=lambda *a: None)
    wall = time.perf_counter() - t0
    errs = relative_errors(summary, exact_for(CASE, overrides, 1.0))
    strict = max(v for k, v in errs.items() if k.split(".")[-1] in STRICT)
    return {
        "formulation": formulation, "size": size, "interface_size": iface,
        "cells": summary["mesh"]["cells"], "dofs": summary["mesh"]["dofs"], "solver": summary["mesh"]["solver"],
        "wall_s": wall, "mesh_s": summary["timing_s"]["mesh_s"], "setup_s": summary["timing_s"]["setup_s"],
        "solve_s": summary["timing_s"]["solve_s"],
        "peak_rss_MiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "max_rel_error_extrema": strict, "rel_error_axis_sigma_zz": errs["axis.sigma_zz"],
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        print(json.dumps(one(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))))
        return
    wanted = sys.argv[1:] or list(LEVELS)
    head = f"{'formulation':13s} {'size':>7s} {'iface':>7s} {'cells':>8s} {'dofs':>9s} {'solver':>13s} " \
           f"{'wall s':>7s} {'mesh s':>7s} {'solve s':>7s} {'RSS MiB':>8s} {'err extrema':>11s} {'err axis':>9s}"
    print(head)
    for formulation in wanted:
        for size, iface, nmin in LEVELS[formulation]:
            out = subprocess.run([sys.executable, __file__, "--one", formulation, size, iface, str(nmin)],
                                 capture_output=True, text=True, cwd=REPO)
            if out.returncode:
                print(f"{formulation} {size} failed: {out.stderr.strip().splitlines()[-1]}")
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{r['formulation']:13s} {r['size']:>7s} {r['interface_size']:>7s} {r['cells']:8d} {r['dofs']:9d} "
                  f"{r['solver']:>13s} {r['wall_s']:7.2f} {r['mesh_s']:7.2f} {r['solve_s']:7.3f} "
                  f"{r['peak_rss_MiB']:8.0f} {r['max_rel_error_extrema']:11.4%} {r['rel_error_axis_sigma_zz']:9.4%}",
                  flush=True)


if __name__ == "__main__":
    main()
