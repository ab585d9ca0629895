"""kill -9 at random moments of `run` and `sweep`: the earlier result stays intact (or the new
one is complete), nothing half-written is ever read, and a resumed sweep gives the same table.
A few seeded trials in CI; more with ``-m slow``."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import CASES, swellfem_cli

LAME = CASES / "verification" / "lame_3layer.toml"
QUICK = ["--set", "stages.soc=[0.5, 1.0]", "-q"]


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "swellfem.cli", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=os.environ.copy(), start_new_session=True)


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for t in Path(f"/proc/{pid}/task").iterdir()
                for c in (t / "children").read_text().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _trials(n_ci: int, n_slow: int):
    return range(n_slow if os.environ.get("SWELLFEM_KILL_TRIALS") == "slow" else n_ci)


@pytest.mark.parametrize("trial", _trials(3, 12))
def test_kill_9_during_run_keeps_the_earlier_result(tmp_path, trial):
    rng = random.Random(1000 + trial)
    out = tmp_path / "result"
    first = swellfem_cli("run", str(LAME), "-o", str(out), *QUICK)
    assert first.returncode == 0, first.stderr
    earlier = (out / "summary.json").read_bytes()
    # a longer run over it, killed at a random moment
    proc = _start("run", str(LAME), "-o", str(out), "--overwrite", "-q",
                  "--set", "stages.soc=[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]")
    time.sleep(rng.uniform(0.2, 6.0))
    proc.kill()
    proc.wait(timeout=60)
    summary = (out / "summary.json").read_bytes()
    if summary != earlier:  # the new run finished before the kill: it is complete
        assert len(json.loads(summary)["stages"]) == 10
    assert sorted(p.name for p in (out / "fields").iterdir())  # fields of whichever result is there
    again = swellfem_cli("run", str(LAME), "-o", str(out), "--overwrite", *QUICK)
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result"]  # the killed run's temporary is gone


SWEEP = f"""
name = "kill"
base = "{(CASES / 'znse' / 'znse_inmc_orgo.toml').as_posix()}"
set = ["output.fields=false", 'mesh.size="12 nm"', 'mesh.interface_size="3 nm"', "mesh.min_elements_across_layer=1",
       "stages.soc=[0.5, 1.0]", 'stages.mode="uniform"', "output.axial_points_per_layer=5"]
[[parameters]]
key = "geometry.layers.1.thickness"
values = ["5 nm", "10 nm", "15 nm"]
[[parameters]]
key = "geometry.layers.2.thickness"
values = ["2 nm", "4 nm"]
"""


@pytest.fixture(scope="module")
def kill_sweep(tmp_path_factory):
    d = tmp_path_factory.mktemp("kill")
    path = d / "kill.toml"
    path.write_text(SWEEP)
    ref = d / "reference"
    res = swellfem_cli("sweep", str(path), "-o", str(ref), "-q")
    assert res.returncode == 0, res.stderr
    return path, (ref / "results.csv").read_text()


@pytest.mark.parametrize("trial", _trials(2, 8))
def test_kill_9_during_parallel_sweep_then_resume(kill_sweep, tmp_path, trial):
    path, reference = kill_sweep
    rng = random.Random(2000 + trial)
    out = tmp_path / "out"
    proc = _start("sweep", str(path), "-o", str(out), "--jobs", "2", "-q")
    deadline = time.time() + rng.uniform(1.0, 12.0)
    workers: set[int] = set()
    while time.time() < deadline and proc.poll() is None:
        workers.update(c for c in _children(proc.pid))
        time.sleep(0.05)
    proc.kill()
    proc.wait(timeout=60)
    t0 = time.time()
    while any(_alive(w) for w in workers) and time.time() - t0 < 30:
        time.sleep(0.1)
    assert not [w for w in workers if _alive(w)], "workers outlived the killed sweep"
    res = swellfem_cli("sweep", str(path), "-o", str(out), "-q")
    assert res.returncode == 0, res.stderr
    assert (out / "results.csv").read_text() == reference
    assert not [p for p in (out / "points").iterdir() if p.name.startswith(".")]
