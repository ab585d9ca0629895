"""Running a sweep: serially, with ``--jobs N`` worker processes, or shared out among the
ranks of ``mpiexec -n N`` (one point per rank at a time, each solved serially).

Resumable: every point is written all or nothing into ``points/<hash>/`` (``summary.json``
or ``error.json``); a rerun skips points that have a ``summary.json``. The table
``results.csv`` and the plots are rewritten (atomically) at the end of every run.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sys
import time
import traceback
from pathlib import Path

from ..results.files import atomic_directory, check_output_dir_on, write_json, write_marker
from ..results.tables import flatten_stage
from .sweep import Point, load_sweep, sweep_identity

EXIT_SOME_FAILED = 4


def solve_point(case_data: dict, point_dir: str) -> dict:
    """Solve one point serially (MPI.COMM_SELF) into ``point_dir``; returns a status dict."""
    from .._backend import MPI
    from ..case import case_from_data
    from .run import solve_case

    t0 = time.perf_counter()
    point_dir = Path(point_dir)
    try:
        case = case_from_data(case_data)
        with atomic_directory(point_dir) as tmp:
            summary = solve_case(case, field_dir=tmp / "fields" if case.output.fields else None,
                                 comm=MPI.COMM_SELF, log=lambda *a, **k: None)
            write_json(tmp / "summary.json", summary)
        return {"status": "ok", "seconds": time.perf_counter() - t0}
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}".splitlines()[0]
        with atomic_directory(point_dir) as tmp:
            write_json(tmp / "error.json", {"error": message, "traceback": traceback.format_exc()})
        return {"status": "failed", "error": message, "seconds": time.perf_counter() - t0}


def _die_with_parent() -> None:
    """A worker ends when the sweep process ends, even by SIGKILL (Linux: PR_SET_PDEATHSIG)."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGTERM), 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):  # not Linux: the pool's own clean-up applies
        pass
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def _point_status(outdir: Path, p: Point) -> str:
    d = outdir / "points" / p.key
    if (d / "summary.json").exists():
        return "done"
    return "todo"


class Progress:
    """A progress bar with an ETA on a terminal (tqdm), plain log lines otherwise."""

    def __init__(self, total: int, done: int, enabled: bool = True):
        self.total, self.done, self.enabled = total, done, enabled
        self.t0 = time.perf_counter()
        self.new = 0
        self.bar = None
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=done, unit="point", dynamic_ncols=True)

    def update(self, label: str, status: dict) -> None:
        self.done += 1
        self.new += 1
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix_str(f"{label} {status['status']}")
            return
        if not self.enabled:
            return
        rate = (time.perf_counter() - self.t0) / self.new
        eta = rate * (self.total - self.done)
        extra = f": {status['error']}" if status["status"] == "failed" else ""
        print(f"[{self.done}/{self.total}] point {label} {status['status']} in {status['seconds']:.1f} s, "
              f"ETA {eta:.0f} s{extra}", flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_sweep(path: Path, outdir: Path, jobs: int = 1, overrides: list[str] | None = None,
              log=print, progress: bool = True, overwrite: bool = False) -> dict:
    """Run (or resume) the sweep ``path`` into ``outdir``; returns counts of points.

    ``outdir`` is resumed only if it holds this same sweep (its marker names the sweep's
    identity); another sweep's directory is replaced only with ``overwrite``, and a directory
    swellfem did not write never (:func:`swellfem.results.files.check_output_dir`)."""
    from .._backend import MPI

    comm = MPI.COMM_WORLD
    spec, points, columns = load_sweep(path, overrides)
    outdir = Path(outdir)
    identity = sweep_identity(points, columns)
    state = check_output_dir_on(comm, outdir, "sweep", overwrite, identity)
    if comm.rank == 0:
        if state == "replace":
            shutil.rmtree(outdir)
        if state != "resume":
            outdir.mkdir(parents=True, exist_ok=True)
            write_marker(outdir, "sweep", identity)
        (outdir / "points").mkdir(parents=True, exist_ok=True)
        write_json(outdir / "sweep.json", {"sweep_file": str(path), "spec": spec.model_dump(),
                                            "overrides": overrides or [],
                                            "points": [{"index": p.index, "key": p.key, "values": p.values}
                                                       for p in points]})
    comm.barrier()
    valid = [p for p in points if p.case is not None]
    todo = [p for p in valid if _point_status(outdir, p) != "done"]
    if comm.rank == 0:
        log(f"{spec.name}: {len(points)} points ({len(points) - len(valid)} invalid), "
            f"{len(valid) - len(todo)} already done, {len(todo)} to run"
            + (f" on {comm.size} MPI ranks" if comm.size > 1 else f" with {jobs} job(s)"))
    bar = Progress(len(valid), len(valid) - len(todo), enabled=progress and comm.rank == 0)
    try:
        if comm.size > 1:
            for p in todo[comm.rank::comm.size]:
                status = solve_point(p.data, str(outdir / "points" / p.key))
                bar.update(p.key, status)
            comm.barrier()
        elif jobs > 1 and len(todo) > 1:
            import multiprocessing

            ctx = multiprocessing.get_context("spawn")
            with ctx.Pool(processes=jobs, maxtasksperchild=None, initializer=_die_with_parent) as pool:
                results = [(p, pool.apply_async(solve_point, (p.data,
                                                              str(outdir / "points" / p.key)))) for p in todo]
                for p, r in results:
                    bar.update(p.key, r.get())
        else:
            for p in todo:
                bar.update(p.key, solve_point(p.data, str(outdir / "points" / p.key)))
    finally:
        bar.close()
    counts = {}
    if comm.rank == 0:
        counts = write_results(spec, points, columns, outdir)
        log(f"{counts['ok']} points done, {counts['failed']} failed; wrote {outdir}/results.csv")
    counts = comm.bcast(counts, root=0)
    return counts


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def collect_rows(points: list[Point], columns: list[tuple], outdir: Path) -> tuple[list[str], list[dict]]:
    """One row per point and stage (a failed point: one row with its error)."""
    rows, metric_cols = [], []
    for p in points:
        head = {"point": p.key}
        for key, name, unit in columns:
            from .sweep import column_value

            head[name] = column_value(p.values[key], unit)
        d = outdir / "points" / p.key
        if p.error is not None:
            rows.append({**head, "status": "failed", "error": p.error})
            continue
        if (d / "summary.json").exists():
            summary = json.loads((d / "summary.json").read_text())
            for st in summary["stages"]:
                flat = flatten_stage(st)
                for c in flat:
                    if c not in metric_cols:
                        metric_cols.append(c)
                rows.append({**head, "status": "ok", "error": "", **flat})
        elif (d / "error.json").exists():
            rows.append({**head, "status": "failed", "error": json.loads((d / "error.json").read_text())["error"]})
        else:
            rows.append({**head, "status": "not run", "error": ""})
    cols = ["point", *[name for _, name, _ in columns], "status", "error", *metric_cols]
    return cols, rows


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)
    return str(v)


def write_results(spec, points: list[Point], columns: list[tuple], outdir: Path) -> dict:
    cols, rows = collect_rows(points, columns, outdir)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow([_fmt(r.get(c)) for c in cols])
    _atomic_write(outdir / "results.csv", buf.getvalue())
    from ..view.figures import sweep_figures

    with atomic_directory(outdir / "plots") as tmp:
        sweep_figures(spec.name, list(spec.plot_metrics), columns, rows, tmp, stage=spec.plot_stage)
    ok = sum(1 for p in points if p.error is None and (outdir / "points" / p.key / "summary.json").exists())
    return {"points": len(points), "ok": ok, "failed": len(points) - ok}
