"""Benchmark: mesh convergence of the stress peak at a rounded polyhedron corner.

A cube core (equivalent radius 20 nm, edges and corners rounded to 4 nm) in a 6 nm conformal
carbon shell (octant, small strain, SOC 0.02): the shell's largest von Mises and hoop stress,
which sit at the rounded edges and corners, at edge sizes h = 2, 1, 0.5 nm (interface size
2 h, bulk size 4 h). Prints dofs, wall time and the peaks per level, the observed order of
convergence p = log2(|f(h) - f(h/2)| / |f(h/2) - f(h/4)|), and the Richardson estimate of the
converged peak with the error of each level against it. With rounding 0 (sharp corners,
``--sharp``) the peak does not converge: it grows as h shrinks. Run by hand:

    .venv/bin/python benchmarks/bench_corner.py [--sharp]
"""

from __future__ import annotations

import math
import sys
import time

from swellfem.case.loading import case_from_data
from swellfem.studies.run import solve_case

KEYS = ("von_mises_max_MPa", "hoop_max_MPa")


def case(h: float, rounding: str) -> dict:
    return {
        "name": "corner",
        "geometry": {"type": "polyhedron", "habit": "cube", "equivalent_radius": "20 nm", "rounding_radius": rounding,
                     "layers": [{"name": "ZnSe", "material": "ZnSe"},
                                {"name": "shell", "material": "i-NMC-isotropic", "thickness": "6 nm"}]},
        "model": {"formulation": "3d-octant"},
        "mesh": {"size": f"{4 * h:g} nm", "interface_size": f"{2 * h:g} nm", "edge_size": f"{h:g} nm",
                 "min_elements_across_layer": 1},
        "stages": {"mode": "uniform", "soc": [0.02]},
        "output": {"fields": False},
    }


def main() -> None:
    rounding = "0 nm" if "--sharp" in sys.argv else "4 nm"
    levels = (2.0, 1.0, 0.5)
    peaks = []
    print(f"cube, rounding {rounding}; shell peaks (MPa)")
    print(f"{'edge size':>10} {'dofs':>9} {'wall s':>7} " + " ".join(f"{k:>20}" for k in KEYS))
    for h in levels:
        t0 = time.perf_counter()
        summary = solve_case(case_from_data(case(h, rounding)), field_dir=None, log=lambda *a, **k: None)
        wall = time.perf_counter() - t0
        shell = summary["stages"][-1]["regions"]["shell"]
        peaks.append([shell[k] for k in KEYS])
        print(f"{h:>10g} {summary['mesh']['dofs']:>9d} {wall:>7.1f} " + " ".join(f"{v:>20.2f}" for v in peaks[-1]))
    for i, key in enumerate(KEYS):
        f1, f2, f3 = (p[i] for p in peaks)
        d1, d2 = f1 - f2, f2 - f3
        if d2 == 0 or d1 / d2 <= 0:
            print(f"{key}: not monotone ({f1:.2f}, {f2:.2f}, {f3:.2f}); no order")
            continue
        p = math.log2(abs(d1 / d2))
        if p <= 0:
            print(f"{key}: the peak grows as the mesh is refined (changes {d1:+.2f}, {d2:+.2f} MPa): it does not "
                  "converge (a singular sharp corner)")
            continue
        limit = f3 - d2 / (2**p - 1)
        errors = ", ".join(f"{abs(f - limit) / abs(limit):.2%}" for f in (f1, f2, f3))
        print(f"{key}: observed order {p:.2f}; Richardson limit {limit:.2f} MPa; error per level {errors}")


if __name__ == "__main__":
    main()
