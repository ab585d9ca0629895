"""Running a sweep: serially, with ``--jobs N`` worker processes, or shared out among the
ranks of ``mpiexec -n N`` (one point per rank at a time, each solved serially).

Resumable: every point is written all or nothing into ``points/<hash>/`` (``summary.json``
or ``error.json``); a rerun skips points that have a ``summary.json``. The table
``results.csv`` and the plots are rewritten (atomically) at the end of every run, and for a
sweep with ``[design]`` (a shell design map) also ``design.md``: which designs no layer is
predicted to fail in, and the safe region in one sentence.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..results.files import atomic_directory, check_output_dir_on, write_json, write_marker
from ..results.tables import flatten_stage
from .sweep import Design, Point, SweepSpec, load_sweep, sweep_identity

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
    """Write a text file all or nothing: a temporary file beside it, moved into place (a failed
    write leaves the earlier file and no temporary)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


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


def write_results(spec: SweepSpec, points: list[Point], columns: list[tuple], outdir: Path) -> dict:
    """Write ``results.csv``, ``plots/`` and, for a design map, ``design.md`` (each atomically).
    Returns counts of points."""
    cols, rows = collect_rows(points, columns, outdir)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow([_fmt(r.get(c)) for c in cols])
    _atomic_write(outdir / "results.csv", buf.getvalue())
    from ..view.figures import sweep_figures

    metrics, plot_rows, safe = _write_design(spec, columns, rows, outdir)
    with atomic_directory(outdir / "plots") as tmp:
        sweep_figures(spec.name, metrics, columns, plot_rows, tmp, stage=spec.shown_stage, safe=safe)
    ok = sum(1 for p in points if p.error is None and (outdir / "points" / p.key / "summary.json").exists())
    return {"points": len(points), "ok": ok, "failed": len(points) - ok}


def _write_design(spec: SweepSpec, columns: list[tuple], rows: list[dict],
                  outdir: Path) -> tuple[list[str], list[dict], dict[str, bool] | None]:
    """For a design map: write ``design.md`` (atomically) and return what its plots show (the
    largest failure ratio, the failure metrics, then the plot metrics), the rows with
    :data:`~swellfem.view.figures.DESIGN_METRIC`, and which points are safe. Without
    ``[design]``: remove a ``design.md`` an earlier definition left and return the plain plots."""
    from ..view.figures import DESIGN_METRIC, default_sweep_metrics

    if spec.design is None:
        (outdir / "design.md").unlink(missing_ok=True)
        return list(spec.plot_metrics), rows, None
    verdicts = assess_designs(rows, columns, spec.design.failure_metrics)
    _atomic_write(outdir / "design.md", design_markdown(spec, columns, verdicts))
    metrics = [DESIGN_METRIC, *spec.design.failure_metrics, *(spec.plot_metrics or default_sweep_metrics(rows))]
    return (list(dict.fromkeys(metrics)), with_failure_ratio(rows, spec.design.failure_metrics),
            {v.point: v.safe for v in verdicts})


# --- shell design maps ---------------------------------------------------------------------


def _ratio(row: dict, metric: str) -> float | None:
    """A failure ratio of a row (dimensionless), None where it has no (finite) value."""
    from ..view.figures import metric_value

    return metric_value(row, metric)


@dataclass(frozen=True)
class DesignVerdict:
    """One design (point) of a design map: its parameter values and the largest value of each
    failure metric over its stages, with the SOC of that stage."""

    point: str
    values: dict[str, Any]  # parameter column -> value (in the column's unit)
    status: str  # "ok", "failed" or "not run" (of the point)
    error: str = ""
    worst: dict[str, tuple[float, float]] = field(default_factory=dict)  # metric -> (ratio, SOC); absent: no value

    @property
    def verdict(self) -> str:
        """The verdict: "safe" (no failure metric reaches 1 at any stage), "fails", the point's
        status ("failed", "not run"), or "no data" (no failure metric has a value)."""
        if self.status != "ok":
            return self.status
        if not self.worst:
            return "no data"
        return "fails" if any(ratio >= 1 for ratio, _ in self.worst.values()) else "safe"

    @property
    def safe(self) -> bool:
        return self.verdict == "safe"

    @property
    def governing(self) -> str | None:
        """The failure metric with the largest ratio (the layer closest to failing)."""
        return max(self.worst, key=lambda m: self.worst[m][0]) if self.worst else None


def _worst_of(rows: list[dict], metric: str) -> tuple[float, float] | None:
    """(largest ratio, SOC of its stage) over the stage rows of one point; None without a value."""
    found = [(r, _ratio(r, metric)) for r in rows]
    found = [(value, float(r["soc"])) for r, value in found if value is not None]
    return max(found, key=lambda vs: vs[0]) if found else None


def assess_designs(rows: list[dict], columns: list[tuple], failure_metrics: list[str]) -> list[DesignVerdict]:
    """One verdict per point of the results rows (one row per point and stage, as
    :func:`collect_rows` makes them), in sweep order. A point fails where any failure metric is
    >= 1 at any stage; a metric without a value for a point does not count."""
    by_point: dict[str, list[dict]] = {}
    for r in rows:
        by_point.setdefault(r["point"], []).append(r)
    verdicts = []
    for key, rs in by_point.items():
        ok = [r for r in rs if r.get("status") == "ok"]
        worst = {m: w for m in failure_metrics if (w := _worst_of(ok, m)) is not None}
        verdicts.append(DesignVerdict(point=key, values={name: rs[0][name] for _, name, _ in columns},
                                      status="ok" if ok else rs[0].get("status", "not run"),
                                      error=str(rs[0].get("error") or ""), worst=worst))
    return verdicts


def with_failure_ratio(rows: list[dict], failure_metrics: list[str]) -> list[dict]:
    """Copies of the rows with :data:`swellfem.view.figures.DESIGN_METRIC` (a plot column): the
    largest failure ratio of each stage row (None where no failure metric has a value)."""
    from ..view.figures import DESIGN_METRIC

    out = []
    for r in rows:
        values = [v for m in failure_metrics if (v := _ratio(r, m)) is not None]
        out.append({**r, DESIGN_METRIC: max(values) if values else None} if r.get("status") == "ok" else dict(r))
    return out


def _name_unit(column: tuple) -> tuple[str, str | None]:
    """(parameter name without its unit, unit) of a parameter column (key, name, unit)."""
    _, name, unit = column
    suffix = f" [{unit}]"
    return (name[: -len(suffix)] if unit and name.endswith(suffix) else name), unit


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def _swept(values: list[Any]) -> list[Any]:
    """The distinct values, sorted where all are numbers (else in sweep order)."""
    distinct = list(dict.fromkeys(values))
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in distinct)
    return sorted(distinct) if numeric else distinct


def describe_values(column: tuple, swept: list[Any], subset: list[Any]) -> str:
    """A subset of the swept values of a parameter in words: ``i-NMC thickness >= 15 nm``,
    ``<= 10 nm``, ``2–5 nm``, ``= 5, 20 nm`` or ``any i-NMC thickness swept (5–25 nm)``."""
    name, unit = _name_unit(column)
    swept = _swept(swept)
    idx = sorted(swept.index(v) for v in dict.fromkeys(subset))
    tail = f" {unit}" if unit else ""
    lo, hi = _num(swept[idx[0]]), _num(swept[idx[-1]])
    ordered = all(isinstance(v, (int, float)) for v in swept)
    if len(idx) == len(swept) and len(swept) > 1:
        return f"any {name} swept ({lo}–{hi}{tail})" if ordered else f"any {name} swept"
    if len(idx) == 1 or not ordered or idx != list(range(idx[0], idx[-1] + 1)):
        return f"{name} = {', '.join(_num(swept[i]) for i in idx)}{tail}"
    if idx[-1] == len(swept) - 1:
        return f"{name} >= {lo}{tail}"
    if idx[0] == 0:
        return f"{name} <= {hi}{tail}"
    return f"{name} {lo}–{hi}{tail}"


def safe_region_sentence(verdicts: list[DesignVerdict], columns: list[tuple]) -> str:
    """The safe region in one sentence: per value of the other parameters, the values of the
    first parameter at which no layer fails (values with the same safe range merged; with
    three or more parameters, one clause per combination of the third and further), or that
    no design in the swept range is safe."""
    if not any(v.safe for v in verdicts):
        judged = any(v.verdict == "fails" for v in verdicts)
        why = "in every design with a result some layer is predicted to fail" if judged else \
            "no design has a result to judge"
        return f"No safe design in the swept range: {why}."
    if len(columns) <= 2:
        return f"No layer fails for {_safe_clauses(verdicts, columns)} (within the swept values)."
    outer: dict[tuple, list[DesignVerdict]] = {}
    for v in verdicts:
        outer.setdefault(tuple(v.values[c[1]] for c in columns[2:]), []).append(v)
    where = {key: ", ".join(_value_text(c, x) for c, x in zip(columns[2:], key)) for key in outer}
    safe = [f"at {where[k]} for {_safe_clauses(vs, columns[:2])}" for k, vs in outer.items() if any(v.safe for v in vs)]
    none = [where[k] for k, vs in outer.items() if not any(v.safe for v in vs)]
    return (f"Within the swept values, no layer fails {'; '.join(safe)}"
            + (f"; no design is safe at {' or '.join(none)}" if none else "") + ".")


def _safe_clauses(verdicts: list[DesignVerdict], columns: list[tuple]) -> str:
    """``i-NMC thickness >= 15 nm with o-rGO thickness 2–5 nm; ...`` for one or two parameters
    (see :func:`safe_region_sentence`)."""
    first, other = columns[0], columns[1:]
    groups: dict[tuple, list[DesignVerdict]] = {}
    for v in verdicts:
        groups.setdefault(tuple(v.values[c[1]] for c in other), []).append(v)
    merged: dict[str, list[tuple]] = {}
    for key, vs in groups.items():
        safe = [v.values[first[1]] for v in vs if v.safe]
        if safe:
            merged.setdefault(describe_values(first, [v.values[first[1]] for v in vs], safe), []).append(key)
    if not other:
        return "; ".join(merged)
    swept = [k[0] for k in groups]
    return "; ".join(f"{text} with {describe_values(other[0], swept, [k[0] for k in keys])}"
                     for text, keys in merged.items())


def _value_text(column: tuple, value: Any) -> str:
    """``o-rGO porosity = 0.3`` or ``o-rGO thickness = 5 nm``."""
    name, unit = _name_unit(column)
    return f"{name} = {_num(value)}" + (f" {unit}" if unit else "")


def _cell(text: str) -> str:
    """Text for a markdown table cell (pipes escaped, one line)."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _ratio_text(ratio: float) -> str:
    """A ratio with 3 significant digits, more where rounding would carry it across 1."""
    for digits in (3, 4, 5, 6):
        text = f"{ratio:.{digits}g}"
        if (float(text) >= 1) == (ratio >= 1):
            return text
    return repr(ratio)


def _ratio_cell(worst: tuple[float, float] | None) -> str:
    if worst is None:
        return "–"
    ratio, soc = worst
    value = _ratio_text(ratio)
    return f"{'**' + value + '**' if ratio >= 1 else value} (SOC {soc:.2f})"


_VERDICT_TEXT = {"safe": "yes", "fails": "no", "failed": "failed", "not run": "not run", "no data": "no data"}


def design_table(columns: list[tuple], design: Design, verdicts: list[DesignVerdict]) -> list[str]:
    """Markdown table lines: one row per design with its parameters, the largest value of each
    failure metric (with the SOC of its stage), safe yes/no and the governing metric."""
    head = [c[1] for c in columns] + [f"{design.label(m)}: max (SOC)" for m in design.failure_metrics]
    head += ["safe", "governs"]
    lines = ["| " + " | ".join(_cell(h) for h in head) + " |", "|" + "---|" * len(head)]
    for v in verdicts:
        cells = [_num(v.values[c[1]]) for c in columns]
        cells += [_ratio_cell(v.worst.get(m)) if v.status == "ok" else "–" for m in design.failure_metrics]
        cells += [_VERDICT_TEXT[v.verdict], design.label(v.governing) if v.governing else "–"]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return lines


def design_markdown(spec: SweepSpec, columns: list[tuple], verdicts: list[DesignVerdict]) -> str:
    """``design.md`` of a design map: the sweep, its parameters, the failure metrics, the
    count of safe designs, the safe region in one sentence and the table of all designs."""
    design = spec.design
    counts = {k: sum(1 for v in verdicts if v.verdict == k) for k in _VERDICT_TEXT}
    params = [f"- {c[1]}: {', '.join(_num(x) for x in _swept([v.values[c[1]] for v in verdicts]))}" for c in columns]
    metrics = [f"- `{m}`" + (f" ({design.labels[m]})" if m in design.labels else "") for m in design.failure_metrics]
    other = ", ".join(f"{n} {k}" for k, n in counts.items() if n and k not in ("safe", "fails"))
    lines = [f"# Design map: {spec.name}", ""]
    lines += [spec.description, ""] if spec.description else []
    lines += ["Parameters (swept values):", *params, "",
              "Failure metrics (a design is predicted to fail where any of them is >= 1 at any stage; "
              "a metric without a value does not count):", *metrics, "",
              f"**{counts['safe']} of {len(verdicts)} designs are safe** (no layer fails)"
              + (f"; not counted as safe: {other}" if other else "") + ".", "",
              safe_region_sentence(verdicts, columns), "",
              *design_table(columns, design, verdicts)]
    failed = [v for v in verdicts if v.status == "failed"]
    if failed:
        lines += ["", "Failed points:", *[f"- {', '.join(_value_text(c, v.values[c[1]]) for c in columns)}: "
                                         f"{_cell(v.error)}" for v in failed]]
    return "\n".join(lines) + "\n"
