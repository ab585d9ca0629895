"""``swellfem compare``: run every model of a comparison file (under every model variant) at
every stage and write the table, figures, field pictures and a report, all or nothing into OUTDIR.

Without variants OUTDIR holds ``report.md``, ``comparison.csv``/``.md``/``.json``,
``figures/``, ``pictures/`` and ``models/<model>/``. With variants, OUTDIR holds the report
of all variants (the headline first), one table with a ``variant`` column and
``comparison.json``; each variant has a folder ``<variant>/`` laid out like a comparison
without variants (its own report, table, figures, pictures and ``models/<model>/``).

The models run one after the other (each on all MPI ranks under ``mpiexec``), or with
``jobs > 1`` in that many worker processes, each model solved serially.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import shutil
import time
from pathlib import Path

from .. import __version__
from ..formatting import soc_text
from .comparison import (Variant, claim_checks, load_variants, slug, solve_key, table_rows, to_csv, to_markdown,
                         variant_table)
from ..results import atomic_directory, write_json


def run_comparison(path: Path, outdir: Path, overrides: list[str] | None = None, log=print,
                   pictures: bool = True, overwrite: bool = False, jobs: int = 1,
                   variants: list[str] | None = None) -> dict:
    """Solve all models of the comparison file ``path`` under each of its variants (or only
    those named in ``variants``); returns the comparison record (that of ``comparison.json``).
    With ``jobs > 1`` the models are solved, and each variant's outputs written as soon as its
    models are done, in that many worker processes."""
    from .._backend import MPI

    comm = MPI.COMM_WORLD
    path = Path(path)
    overrides = list(overrides or [])
    spec, runs = load_variants(path, overrides, select=variants)
    quiet = lambda *a, **k: None  # noqa: E731
    t0 = time.perf_counter()
    with atomic_directory(outdir, comm, kind="compare", overwrite=overwrite) as tmp:
        ctx = _Context(spec, path, overrides, tmp, pictures,
                       {m.label: str((path.parent / m.case).resolve()) for m in spec.models})
        workers = jobs if comm.size == 1 else 1
        if jobs > 1 and comm.size > 1 and comm.rank == 0:
            log(f"--jobs {jobs} is ignored under mpiexec: every model runs on all {comm.size} ranks")
        n_models = sum(len(v.models) for v in runs)
        if workers > 1 and n_models > 1:
            summaries, records = _run_in_workers(ctx, runs, log, workers)
        else:
            summaries, records = _run_serially(ctx, runs, comm, log if comm.rank == 0 else quiet)
        record = {}
        if comm.rank == 0:
            records = [records[v.label] for v in runs]
            if spec.variants:
                record = write_variants(spec, runs, records, summaries, tmp, path, overrides)
            else:
                record = records[0]
            record["timing_s"] = {"total_s": time.perf_counter() - t0, "workers": min(workers, n_models),
                                  "per_model_s": ({r["variant"]: r["timing_s"]["per_model_s"] for r in records}
                                                  if spec.variants else records[0]["timing_s"]["per_model_s"])}
            write_json(tmp / "comparison.json", record)
    return record


@dataclasses.dataclass
class _Context:
    """What solving and writing a variant need (picklable, for worker processes)."""

    spec: object
    source: Path
    overrides: list[str]
    tmp: Path
    pictures: bool
    case_files: dict  # model label -> case file


# --- solving -------------------------------------------------------------------------


def _cost(case) -> float:
    """A rough relative cost of solving ``case`` (to start the slowest first in workers)."""
    mats = case.resolved_materials()
    plastic = any(m.yield_strength_MPa is not None for m in mats.values())
    kin = 6.0 if plastic else (3.0 if case.model.kinematics == "finite" else 1.0)
    return kin * len(case.geometry.region_names) * len(case.stages.soc)


def _model_dir(ctx: _Context, v: Variant, label: str) -> Path:
    return ctx.tmp / v.directory / "models" / slug(label)


def _run_serially(ctx: _Context, runs: list[Variant], comm, log) -> tuple[dict, dict]:
    """Every model of every variant on all ranks (a case solved once: see :func:`_same_solves`),
    then each variant's outputs (rank 0)."""
    from .run import solve_case

    solved = {}
    same = _same_solves(runs)
    for v in runs:
        if v.label is not None:
            log(f"variant {v.label}{' (headline)' if v.headline else ''}: {v.description or ', '.join(v.set)}")
        for label, case in v.models:
            d = _model_dir(ctx, v, label)
            if comm.rank == 0:
                d.mkdir(parents=True, exist_ok=True)
            if (v.label, label) in same:
                original = same[(v.label, label)]
                if comm.rank == 0:
                    solved[(v.label, label)] = _copy_solution(ctx, runs, original, solved[original], v, label)
                log(f"{label}: the same case as {_name(*original)}; its result is copied")
                continue
            solved[(v.label, label)] = solve_case(case, field_dir=d / "fields", comm=comm, log=log)
    summaries, records = {}, {}
    if comm.rank == 0:
        for v in runs:
            summaries[v.label] = _keep_summaries(ctx, v, {label: solved[(v.label, label)] for label, _ in v.models})
            records[v.label] = _write_variant(ctx, _light(v), summaries[v.label], log)
    return summaries, records


def _same_solves(runs: list[Variant]) -> dict[tuple, tuple]:
    """(variant, model) -> the (variant, model) solved before it whose case is the same
    (:func:`~swellfem.studies.comparison.solve_key`): e.g. the bare particle under variants that
    differ only in its shells. Each such model is solved once and its result copied."""
    first: dict[str, tuple] = {}
    same = {}
    for v in runs:
        for label, case in v.models:
            key = solve_key(case)
            if key in first:
                same[(v.label, label)] = first[key]
            else:
                first[key] = (v.label, label)
    return same


def _name(variant: str | None, label: str) -> str:
    return f"{variant} / {label}" if variant is not None else label


def _copy_solution(ctx: _Context, runs: list[Variant], original: tuple, summary: dict, v: Variant,
                   label: str) -> dict:
    """The solved model ``original`` (its ``summary``), as the result of ``label`` under ``v``
    (the same case): its fields are copied into that model's folder and the summary says
    whose solve it is (``same_solution_as``)."""
    source = next(w for w in runs if w.label == original[0])
    fields = _model_dir(ctx, source, original[1]) / "fields"
    if fields.is_dir():
        shutil.copytree(fields, _model_dir(ctx, v, label) / "fields", dirs_exist_ok=True)
    out = copy.deepcopy(summary)
    out["same_solution_as"] = {"variant": original[0], "model": original[1]}
    return out


def _keep_summaries(ctx: _Context, v: Variant, summaries: dict) -> dict:
    """Record each model's case file and write its ``summary.json``."""
    for label, summary in summaries.items():
        summary["case"]["source_file"] = str(ctx.source.parent / next(m.case for m in ctx.spec.models
                                                                      if m.label == label))
        write_json(_model_dir(ctx, v, label) / "summary.json", summary)
    return summaries


def _light(v: Variant) -> Variant:
    """The variant without its cases (what writing needs; cheap to send to a worker)."""
    return dataclasses.replace(v, models=[(label, None) for label, _ in v.models])


def _write_variant(ctx: _Context, v: Variant, summaries: dict, log) -> dict:
    """Table, figures, pictures and report of one variant into its folder (OUTDIR itself
    without variants); a named variant also gets its own ``comparison.json``."""
    out = ctx.tmp / v.directory
    pictures = ctx.pictures and all((_model_dir(ctx, v, label) / "fields" / "fields.pvd").exists()
                                    for label in summaries)  # fields are written unless output.fields = false
    rec = write_comparison(ctx.spec, summaries, out, ctx.source, ctx.overrides, pictures, log, variant=v)
    rec["timing_s"] = {"per_model_s": {k: s["timing_s"] for k, s in summaries.items()}}
    if v.label is not None:
        write_json(out / "comparison.json", rec)
    return rec


def _run_in_workers(ctx: _Context, runs: list[Variant], log, workers: int) -> tuple[dict, dict]:
    """Every model of every variant in ``workers`` spawned processes (each solve serial), the
    costliest first; a variant's outputs are written (in a worker too) as soon as its models
    are done. A model's progress lines are printed when it is done; a failure ends it all."""
    import multiprocessing
    import queue

    from .sweep_run import _die_with_parent

    tasks = [(v, label, case) for v in runs for label, case in v.models]
    same = _same_solves(runs)
    index = {(v.label, label): i for i, (v, label, _) in enumerate(tasks)}
    copies: dict[int, list[int]] = {}  # a solved task -> the tasks whose case is the same
    for key, original in same.items():
        copies.setdefault(index[original], []).append(index[key])
    order = sorted((i for i in range(len(tasks)) if (tasks[i][0].label, tasks[i][1]) not in same),
                   key=lambda i: -_cost(tasks[i][2]))
    n = len(tasks)
    log(f"{n} models ({len(runs)} variant{'s' if len(runs) > 1 else ''}) in {min(workers, len(order))} worker processes"
        + (f", {len(order)} solves ({len(same)} the same case as another variant's)" if same else ""))
    done: queue.Queue = queue.Queue()
    solved: dict = {}
    summaries: dict = {}
    records: dict = {}
    t0 = time.perf_counter()
    ctx_pool = multiprocessing.get_context("spawn")
    with ctx_pool.Pool(processes=min(workers, len(order)), initializer=_die_with_parent,
                       initargs=(os.getpid(),)) as pool:

        def submit(fn, args, tag):
            pool.apply_async(fn, args, callback=lambda r: done.put((tag, r, None)),
                             error_callback=lambda e: done.put((tag, None, e)))

        for i in range(n):
            _model_dir(ctx, tasks[i][0], tasks[i][1]).mkdir(parents=True, exist_ok=True)
        for i in order:
            v, label, _ = tasks[i]
            submit(_solve_task, ((ctx.case_files[label], list(v.overrides), str(_model_dir(ctx, v, label))),),
                   ("solve", i))
        outstanding = len(order)
        finished = 0
        while outstanding:
            try:
                tag, result, error = done.get(timeout=1.0)
            except queue.Empty:
                continue
            outstanding -= 1
            if error is not None:
                raise error
            if tag[0] == "solve":
                v, label, _ = tasks[tag[1]]
                summary, lines, seconds = result
                finished += 1
                log(f"[{finished}/{n}] {_name(v.label, label)}: solved in {seconds:.1f} s "
                    f"({time.perf_counter() - t0:.0f} s elapsed)")
                for line in lines:
                    log(line)
                solved[(v.label, label)] = summary
                ready = [v]
                for j in copies.get(tag[1], []):
                    w, other, _ = tasks[j]
                    solved[(w.label, other)] = _copy_solution(ctx, runs, (v.label, label), summary, w, other)
                    finished += 1
                    log(f"[{finished}/{n}] {_name(w.label, other)}: the same case as {_name(v.label, label)}; "
                        "its result is copied")
                    ready.append(w)
                for w in ready:
                    if w.label not in summaries and all((w.label, m) in solved for m, _ in w.models):
                        summaries[w.label] = _keep_summaries(ctx, w, {m: solved[(w.label, m)] for m, _ in w.models})
                        submit(_write_task, (ctx, _light(w), summaries[w.label]), ("write", w.label))
                        outstanding += 1
            else:
                record, lines = result
                for line in lines:
                    log(line)
                records[tag[1]] = record
    return summaries, records


def _solve_task(job: tuple) -> tuple:
    """In a worker: load the model's case with its overrides and solve it serially."""
    from .._backend import MPI
    from ..case import load_case
    from .run import solve_case

    case_file, overrides, model_dir = job
    t0 = time.perf_counter()
    case = load_case(case_file, overrides)
    lines: list[str] = []
    summary = solve_case(case, field_dir=Path(model_dir) / "fields", comm=MPI.COMM_SELF, log=lines.append)
    return summary, lines, time.perf_counter() - t0


def _write_task(ctx: _Context, v: Variant, summaries: dict) -> tuple:
    """In a worker: one variant's outputs; returns its record and the lines it logged."""
    lines: list[str] = []
    return _write_variant(ctx, v, summaries, lines.append), lines


# --- writing -------------------------------------------------------------------------


def write_comparison(spec, summaries: dict, out: Path, source: Path, overrides: list[str], pictures: bool,
                     log=print, variant: Variant | None = None) -> dict:
    """Table, claims, figures, pictures and report of solved ``summaries`` into ``out`` (one
    variant's folder, or OUTDIR without variants)."""
    from ..view.figures import axial_stress_figure, max_stress_figure, probe_line_figure, shell_hoop_figure
    from .report import comparison_report

    named = variant is not None and variant.label is not None
    title = f"{spec.title} ({variant.label})" if named else spec.title
    columns, rows = table_rows(spec, summaries)
    out.mkdir(parents=True, exist_ok=True)
    (out / "comparison.csv").write_text(to_csv(columns, rows), encoding="utf-8")
    (out / "comparison.md").write_text(to_markdown(columns, rows), encoding="utf-8")
    claims = claim_checks(spec, rows)
    figs = out / "figures"
    figs.mkdir(exist_ok=True)
    figures = []
    figures += axial_stress_figure(title, summaries, figs / "axial_stress")
    figures += max_stress_figure(title, spec.particle_region, rows, figs / "max_stress_vs_soc")
    figures += shell_hoop_figure(title, spec.particle_region, rows, figs / "shell_hoop_vs_soc")
    figures += probe_line_figure(title, summaries, figs / "probe_lines")
    picture_files = []
    if pictures:
        from ..view.render import read_stage, render_panels

        first = next(iter(summaries.values()))
        n = len(first["stages"])
        for k in sorted({(n - 1) // 2, n - 1}):
            soc = first["stages"][k]["soc"]
            for field in ("von_mises", "hydrostatic"):
                panels = [(label, read_stage(out / "models" / slug(label) / "fields" / "fields.pvd", k))
                          for label in summaries]
                p = render_panels(panels, field, out / "pictures" / f"{field}_soc{soc_text(soc)}.png",
                                  title=f"{title}, SOC = {soc_text(soc)}, section through the centre")
                picture_files.append(p)
    record = {
        **_record_header(spec, source, overrides),
        "models": list(summaries),
        "columns": columns,
        "rows": rows,
        "claims": claims,
        "figures": [str(p.relative_to(out)) for p in figures],
        "pictures": [str(p.relative_to(out)) for p in picture_files],
    }
    if named:
        record = {**_variant_fields(variant), **record}
    (out / "report.md").write_text(comparison_report(spec, summaries, record), encoding="utf-8")
    log(f"compared {len(summaries)} models x {len(next(iter(summaries.values()))['stages'])} stages"
        + (f" ({variant.label})" if named else ""))
    return record


def _record_header(spec, source: Path, overrides: list[str]) -> dict:
    """What every comparison record starts with: version, file, overrides, title and claim."""
    return {"swellfem_version": __version__, "comparison_file": str(source), "overrides": overrides,
            "title": spec.title, "particle_region": spec.particle_region, "claim_model": spec.claim_model}


def _variant_fields(v: Variant) -> dict:
    return {"variant": v.label, "headline": v.headline, "description": v.description, "set": v.set,
            "variant_assumptions": v.assumptions, "directory": v.directory}


def write_variants(spec, runs: list[Variant], records: list[dict], summaries: dict[str, dict], out: Path,
                   source: Path, overrides: list[str]) -> dict:
    """The table of all variants (a ``variant`` column), ``report.md`` and the record of a
    comparison with variants, into OUTDIR ``out``; ``records`` are the variants' own and
    ``summaries`` their models' summaries, by variant label."""
    from .report import variants_report

    columns, rows = variant_table([(r["variant"], r["columns"], r["rows"]) for r in records])
    (out / "comparison.csv").write_text(to_csv(columns, rows), encoding="utf-8")
    (out / "comparison.md").write_text(to_markdown(columns, rows), encoding="utf-8")
    headline = next(r for r in records if r["headline"])
    record = {
        **_record_header(spec, source, overrides),
        "models": [label for label, _ in runs[0].models],
        "headline": headline["variant"],
        "variants": [
            {**_variant_fields(v), "claims": r["claims"],
             "figures": [f"{v.directory}/{f}" for f in r["figures"]],
             "pictures": [f"{v.directory}/{f}" for f in r["pictures"]],
             "report": f"{v.directory}/report.md"}
            for v, r in zip(runs, records)
        ],
        "columns": columns,
        "rows": rows,
        "claims": headline["claims"],  # those of the headline variant; every variant's under "variants"
    }
    (out / "report.md").write_text(variants_report(spec, record, summaries), encoding="utf-8")
    return record
