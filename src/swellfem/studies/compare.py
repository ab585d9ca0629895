"""``swellfem compare``: run every model of a comparison file at every stage and write the
table, figures, field pictures and a report, all or nothing into OUTDIR."""

from __future__ import annotations

import time
from pathlib import Path

from .. import __version__
from .comparison import claim_checks, load_comparison, slug, table_rows, to_csv, to_markdown
from ..results import atomic_directory, write_json


def run_comparison(path: Path, outdir: Path, overrides: list[str] | None = None, log=print,
                   pictures: bool = True, overwrite: bool = False) -> dict:
    """Solve all models of the comparison file ``path``; returns the comparison record."""
    from .._backend import MPI
    from .run import solve_case

    comm = MPI.COMM_WORLD
    spec, models = load_comparison(path, overrides)
    t0 = time.perf_counter()
    with atomic_directory(outdir, comm, kind="compare", overwrite=overwrite) as tmp:
        summaries = {}
        for label, case in models:
            d = tmp / "models" / slug(label)
            if comm.rank == 0:
                d.mkdir(parents=True, exist_ok=True)
            pictures = pictures and case.output.fields
            summary = solve_case(case, field_dir=d / "fields", comm=comm,
                                 log=log if comm.rank == 0 else (lambda *a, **k: None))
            summary["case"]["source_file"] = str(Path(path).parent / next(m.case for m in spec.models if m.label == label))
            summaries[label] = summary
            if comm.rank == 0:
                write_json(d / "summary.json", summary)
        record = {}
        if comm.rank == 0:
            record = write_comparison(spec, summaries, tmp, Path(path), overrides or [], pictures, log)
            record["timing_s"] = {"total_s": time.perf_counter() - t0,
                                  "per_model_s": {k: s["timing_s"] for k, s in summaries.items()}}
            write_json(tmp / "comparison.json", record)
    return record


def write_comparison(spec, summaries: dict, out: Path, source: Path, overrides: list[str], pictures: bool,
                     log=print) -> dict:
    """Table, claims, figures, pictures and report of solved ``summaries`` into ``out``."""
    from ..view.figures import axial_stress_figure, max_stress_figure, shell_hoop_figure
    from .report import comparison_report

    columns, rows = table_rows(spec, summaries)
    (out / "comparison.csv").write_text(to_csv(columns, rows), encoding="utf-8")
    (out / "comparison.md").write_text(to_markdown(columns, rows), encoding="utf-8")
    claims = claim_checks(spec, rows)
    figs = out / "figures"
    figs.mkdir(exist_ok=True)
    figures = []
    figures += axial_stress_figure(spec.title, summaries, figs / "axial_stress")
    figures += max_stress_figure(spec.title, spec.particle_region, rows, figs / "max_stress_vs_soc")
    figures += shell_hoop_figure(spec.title, spec.particle_region, rows, figs / "shell_hoop_vs_soc")
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
                p = render_panels(panels, field, out / "pictures" / f"{field}_soc{soc:.2f}.png",
                                  title=f"{spec.title}, SOC = {soc:.2f}, section through the centre")
                picture_files.append(p)
    record = {
        "swellfem_version": __version__,
        "comparison_file": str(source),
        "overrides": overrides,
        "title": spec.title,
        "particle_region": spec.particle_region,
        "claim_model": spec.claim_model,
        "models": list(summaries),
        "columns": columns,
        "rows": rows,
        "claims": claims,
        "figures": [str(p.relative_to(out)) for p in figures],
        "pictures": [str(p.relative_to(out)) for p in picture_files],
    }
    (out / "report.md").write_text(comparison_report(spec, summaries, record), encoding="utf-8")
    log(f"compared {len(summaries)} models x {len(next(iter(summaries.values()))['stages'])} stages")
    return record

