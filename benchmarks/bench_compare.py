"""Benchmark: the full ZnSe comparison (3 models x 5 stages) per stage mode, and the mesh
convergence of the ZnSe maxima (default mesh vs every size halved). Run by hand:

    .venv/bin/python benchmarks/bench_compare.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COMPARISON = REPO / "cases" / "znse" / "comparison.toml"
KEYS = ("ZnSe.von_mises_max_MPa", "ZnSe.principal_max_MPa", "ZnSe.hydrostatic_max_MPa",
        "ZnSe.axial_sigma_zz_max_MPa", "i-NMC.hoop_max_MPa", "o-rGO.hoop_max_MPa")


def compare(out: Path, *sets: str) -> tuple[float, dict]:
    args = [sys.executable, "-m", "swellfem.cli", "compare", str(COMPARISON), "-o", str(out), "-q"]
    for s in sets:
        args += ["--set", s]
    t0 = time.perf_counter()
    subprocess.run(args, check=True, cwd=REPO)
    return time.perf_counter() - t0, json.loads((out / "comparison.json").read_text())


def main() -> None:
    if len(sys.argv) == 3:  # re-tabulate two earlier comparison outputs: COARSE FINE
        convergence(json.loads((Path(sys.argv[1]) / "comparison.json").read_text()),
                    json.loads((Path(sys.argv[2]) / "comparison.json").read_text()))
        return
    tmp = Path(tempfile.mkdtemp(prefix="swellfem-bench-"))
    print("full comparison, 3 models x 5 stages, axisymmetric, pictures included")
    print(f"{'stage mode':16s} {'wall s':>8s} {'dofs (3 models)':>18s}")
    records = {}
    for mode in ("uniform", "shrinking-core", "diffusion"):
        wall, rec = compare(tmp / mode, f'stages.mode="{mode}"')
        records[mode] = rec
        dofs = [json.loads((tmp / mode / "models" / d / "summary.json").read_text())["mesh"]["dofs"]
                for d in ("ZnSe", "ZnSe_i-NMC", "ZnSe_i-NMC_o-rGO")]
        print(f"{mode:16s} {wall:8.1f} {str(dofs):>18s}", flush=True)
    print("\nmesh convergence of the shrinking-core maxima: default mesh vs all sizes halved")
    wall, fine = compare(tmp / "fine", 'mesh.size="2 nm"', 'mesh.interface_size="0.5 nm"', 'stages.front_width="2 nm"')
    print(f"(refined run: {wall:.1f} s)")
    convergence(records["shrinking-core"], fine)


def convergence(coarse: dict, fine: dict) -> None:
    scale = max(abs(v) for r in fine["rows"] for key, v in r.items() if key.endswith("_MPa") and v is not None)
    print(f"{'model':18s} {'SOC':>5s} " + " ".join(f"{k.split('.')[0][:5] + '.' + k.split('.')[1][:12]:>18s}" for k in KEYS))
    worst = 0.0
    for rc, rf in zip(coarse["rows"], fine["rows"]):
        cells = []
        for k in KEYS:
            a, b = rc.get(k), rf.get(k)
            if a is None or b is None:
                cells.append(f"{'-':>18s}")
                continue
            # relative to the value, or to 1 % of the comparison's largest stress where it is ~0
            rel = abs(a - b) / max(abs(b), 0.01 * scale)
            worst = max(worst, rel)
            cells.append(f"{rel:18.2%}")
        print(f"{rc['model']:18s} {rc['soc']:5.2f} " + " ".join(cells))
    print(f"largest relative change default -> refined: {worst:.2%}")


if __name__ == "__main__":
    main()
