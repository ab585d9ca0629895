"""The ``swellfem`` command line.

Exit codes: 0 success; 2 bad input (case file, options); 3 a solve or mesh failed;
4 some points of a sweep failed (the others are in its table); 130 interrupted. Errors are
one line on stderr, without a traceback (set SWELLFEM_DEBUG=1 to see one).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from . import __version__, interrupt

EXIT_BAD_INPUT = 2
EXIT_FAILED = 3
EXIT_INTERRUPTED = 130


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="swellfem", description="Stress in confined, swelling battery particles (FEniCSx + gmsh)."
    )
    p.add_argument("--version", action="version", version=f"swellfem {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    def add_case_args(sp):
        sp.add_argument("case", type=Path, help="case file (TOML)")
        sp.add_argument(
            "--set",
            dest="overrides",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="override a dotted key of the case with a TOML value, e.g. --set stages.soc=[0.5,1.0]",
        )

    r = sub.add_parser("run", help="solve a case and write OUTDIR")
    add_case_args(r)
    r.add_argument("-o", "--output", type=Path, default=None, help="output directory (default: results/<case name>)")
    r.add_argument("-q", "--quiet", action="store_true", help="no progress lines and no table")
    r.add_argument("--overwrite", action="store_true", help="replace an earlier 'run' result in OUTDIR (never other files)")

    v = sub.add_parser("validate", help="check a case without solving")
    add_case_args(v)

    m = sub.add_parser("mesh", help="mesh a case (cached under meshes/) and optionally export it through meshio")
    add_case_args(m)
    m.add_argument("--export", type=Path, default=None, help="write the mesh in any meshio format (.vtu, .xdmf, ...)")

    c = sub.add_parser("compare", help="run the models of a comparison file and write table, figures, report")
    c.add_argument("comparison", type=Path, help="comparison file (TOML), e.g. cases/znse/comparison.toml")
    c.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a dotted key in every model's case (under every variant, after the variant's own "
                        "overrides), e.g. --set stages.mode=\"diffusion\"")
    c.add_argument("--variant", dest="variants", action="append", default=None, metavar="LABEL",
                   help="run only this model variant of the comparison file (repeatable; default: all)")
    c.add_argument("-j", "--jobs", type=int, default=1,
                   help="worker processes, each solving one model at a time (default 1; ignored under mpiexec)")
    c.add_argument("-o", "--output", type=Path, default=None, help="output directory (default: results/<file stem>)")
    c.add_argument("--no-pictures", action="store_true", help="skip the pyvista field pictures")
    c.add_argument("-q", "--quiet", action="store_true")
    c.add_argument("--overwrite", action="store_true", help="replace an earlier 'compare' result in OUTDIR (never other files)")

    w = sub.add_parser("view", help="look at a run's fields (pyvista; a PNG where there is no display)")
    w.add_argument("outdir", type=Path, help="output directory of 'swellfem run' (or compare's [VARIANT/]models/NAME)")
    w.add_argument("--stage", type=int, default=-1, help="stage index (negative: from the last; default -1)")
    w.add_argument("--field", default="von_mises",
                   choices=["von_mises", "hydrostatic", "principal_max", "sigma_zz", "displacement", "potassiation",
                            "plastic_strain", "J", "porosity", "sheet_strain"])
    w.add_argument("--clip", choices=["x", "y", "z"], default=None,
                   help="cut a 3D result by the plane normal to x, y or z, through the centre unless --clip-at or "
                        "--through place it, and show the half on its negative side (a 3d-octant result is mirrored "
                        "to the whole body first)")
    place = w.add_mutually_exclusive_group()
    place.add_argument("--clip-at", default=None, metavar="X,Y,Z",
                       help="the --clip plane passes through this point (nm), e.g. 0,0,30 (needs --clip; write "
                            "--clip-at=-5,0,0 for a negative first number)")
    place.add_argument("--through", default=None, metavar="REGION",
                       help="the --clip plane passes through the centroid of REGION's cells, e.g. 'Bi[2]' "
                            "(needs --clip)")
    w.add_argument("--warp", type=float, default=None, metavar="SCALE", help="draw the deformed shape")
    w.add_argument("--regions", default=None, help="comma-separated regions to show (default: all)")
    w.add_argument("--hide", default=None, help="comma-separated regions to hide")
    w.add_argument("--screenshot", type=Path, default=None, metavar="FILE.png", help="write a PNG instead of a window")
    w.add_argument("--size", default="1024x768", help="image size WIDTHxHEIGHT (default 1024x768)")

    sw = sub.add_parser("sweep", help="run (or resume) a parametric study; results.csv and plots in OUTDIR")
    sw.add_argument("sweep", type=Path, help="sweep file (TOML), e.g. cases/sweeps/inmc_x_orgo_thickness.toml")
    sw.add_argument("-o", "--output", type=Path, default=None, help="output directory (default: results/<file stem>)")
    sw.add_argument("-j", "--jobs", type=int, default=1, help="worker processes (default 1; under mpiexec: ranks)")
    sw.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                    help="override a dotted key in every point's case")
    sw.add_argument("-q", "--quiet", action="store_true")
    sw.add_argument("--overwrite", action="store_true",
                    help="replace another sweep's result in OUTDIR (the same sweep resumes without it)")
    sw.add_argument("--shard", default=None, metavar="K/N",
                    help="run only shard K of N (1-based; point i of the sweep goes to shard i %% N + 1), e.g. one "
                         "task of a SLURM job array; shards may share OUTDIR; no results.csv: 'swellfem sweep-merge' "
                         "builds it")

    sm = sub.add_parser("sweep-merge", help="collect the points of sweep shards (--shard K/N) into OUTDIR; "
                                            "results.csv and plots as one run of the whole sweep writes them")
    sm.add_argument("sweep", type=Path, help="the sweep file the shards ran")
    sm.add_argument("shards", type=Path, nargs="*", metavar="SHARD_DIR",
                    help="output directories of the shards (none: OUTDIR holds all the points already)")
    sm.add_argument("-o", "--output", type=Path, default=None, help="output directory (default: results/<file stem>)")
    sm.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                    help="the --set overrides the shards ran with")
    sm.add_argument("-q", "--quiet", action="store_true")
    sm.add_argument("--overwrite", action="store_true", help="replace another sweep's result in OUTDIR")

    tr = sub.add_parser("tem-report", help="compare a yolk-shell sweep with the in situ TEM of Bi@N-CNCs "
                                           "(cases/validation/): OUTDIR/tem_report.md")
    tr.add_argument("sweep_output", type=Path, help="the sweep's output directory (with results.csv)")
    tr.add_argument("--particle", default="Bi", help="the particle's region (default Bi)")
    tr.add_argument("--wall", default="cage", help="the cage wall's region (default cage)")

    sub.add_parser("materials", help="list the material library with sources")
    return p


def _rank() -> int:
    """This process's MPI rank (0 without MPI), without starting MPI for it."""
    mpi = sys.modules.get("mpi4py.MPI")
    if mpi is not None and mpi.Is_initialized():
        return mpi.COMM_WORLD.rank
    for var in ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return 0


def _error(message: str, code: int) -> int:
    """One line on stderr (from rank 0 only under mpiexec) and the exit code."""
    if _rank() == 0:
        print(f"swellfem: error: {message}", file=sys.stderr)
    return code


def _progress_log(quiet: bool):
    """Where progress lines go: stdout, flushed, or nowhere with --quiet. A closed stdout
    (``swellfem run ... | head``) silences them instead of ending the run."""
    if quiet:
        return lambda *a, **k: None
    state = {"open": True}

    def log(msg):
        if state["open"]:
            try:
                print(msg, flush=True)
            except (BrokenPipeError, ValueError):
                state["open"] = False
                try:
                    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the rest of the process
                except OSError:
                    pass

    return log


def _terminate(signum, frame):  # SIGINT and SIGTERM: a clean stop, temporaries removed
    interrupt.request()
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    try:
        parser = _parser()
        args, extra = parser.parse_known_args(argv)
        if extra and args.command == "sweep-merge" and not any(e.startswith("-") for e in extra):
            args.shards += [Path(e) for e in extra]  # SHARD_DIR... after -o OUTDIR
        elif extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        from .case import CaseError
        from .geometry.meshing import ExportError
        from .results.files import OutputError
    except KeyboardInterrupt:
        return _error("interrupted; no output was written", EXIT_INTERRUPTED)
    try:
        return _dispatch(args)
    except (CaseError, OutputError, ExportError) as exc:
        return _error(str(exc), EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        return _error("interrupted; no output was written", EXIT_INTERRUPTED)
    except Exception as exc:  # solver or mesher failure: one line unless debugging
        if os.environ.get("SWELLFEM_DEBUG"):
            raise
        from .physics.solver import SolverError  # noqa: PLC0415 - only when dolfinx is importable

        kind = "solver" if isinstance(exc, SolverError) else type(exc).__name__
        return _error(f"{kind}: {exc} (SWELLFEM_DEBUG=1 shows the traceback)", EXIT_FAILED)


def _dispatch(args) -> int:
    if args.command == "materials":
        from .case import format_library

        print(format_library())
        return 0
    if args.command == "sweep":
        from .studies.sweep import load_sweep, parse_shard
        from .studies.sweep_run import EXIT_SOME_FAILED, run_sweep

        if args.jobs < 1:
            return _error(f"--jobs {args.jobs}: must be at least 1", EXIT_BAD_INPUT)
        shard = None
        if args.shard is not None:
            try:
                shard = parse_shard(args.shard)
            except ValueError as exc:
                return _error(str(exc), EXIT_BAD_INPUT)
        loaded = load_sweep(args.sweep, args.overrides)  # bad input fails before anything runs
        outdir = args.output or Path("results") / args.sweep.stem
        counts = run_sweep(args.sweep, outdir, jobs=args.jobs, overrides=args.overrides, log=_progress_log(args.quiet),
                           progress=not args.quiet, overwrite=args.overwrite, shard=shard, loaded=loaded)
        return EXIT_SOME_FAILED if counts["failed"] else 0
    if args.command == "sweep-merge":
        from .studies.sweep import load_sweep
        from .studies.sweep_run import EXIT_SOME_FAILED, merge_sweep

        loaded = load_sweep(args.sweep, args.overrides)
        outdir = args.output or Path("results") / args.sweep.stem
        counts = merge_sweep(args.sweep, outdir, args.shards, overrides=args.overrides, log=_progress_log(args.quiet),
                             overwrite=args.overwrite, loaded=loaded)
        return EXIT_SOME_FAILED if counts["failed"] else 0
    if args.command == "tem-report":
        from .studies.tem import TemReportError, write_tem_report

        try:
            path = write_tem_report(args.sweep_output, args.particle, args.wall)
        except TemReportError as exc:
            return _error(str(exc), EXIT_BAD_INPUT)
        print(f"wrote {path}")
        return 0
    if args.command == "view":
        from .view import ViewError, view

        try:
            width, height = (int(v) for v in args.size.lower().split("x"))
        except ValueError:
            return _error(f"--size {args.size!r}: expected WIDTHxHEIGHT, e.g. 1024x768", EXIT_BAD_INPUT)
        split = lambda text: [t.strip() for t in text.split(",") if t.strip()] if text else None  # noqa: E731
        clip_at = None
        if args.clip_at is not None:
            try:
                clip_at = tuple(float(v) for v in args.clip_at.split(","))
            except ValueError:
                clip_at = ()
            if len(clip_at) != 3:
                return _error(f"--clip-at {args.clip_at!r}: expected X,Y,Z in nm, e.g. 0,0,30", EXIT_BAD_INPUT)
        try:
            path = view(args.outdir, screenshot=args.screenshot, stage=args.stage, field=args.field, clip=args.clip,
                        warp=args.warp, regions=split(args.regions), hide=split(args.hide),
                        window_size=(width, height), clip_origin=clip_at, through=args.through)
        except ViewError as exc:
            return _error(str(exc), EXIT_BAD_INPUT)
        if path is not None:
            print(path)
        return 0
    if args.command == "compare":
        from ._backend import MPI
        from .studies.compare import run_comparison
        from .studies.comparison import load_variants
        from .studies.report import claim_statements, variant_heading

        if args.jobs < 1:
            return _error(f"--jobs {args.jobs}: must be at least 1", EXIT_BAD_INPUT)
        spec, _ = load_variants(args.comparison, args.overrides, select=args.variants)  # bad input fails first
        outdir = args.output or Path("results") / args.comparison.stem
        record = run_comparison(args.comparison, outdir, args.overrides, log=_progress_log(args.quiet),
                                pictures=not args.no_pictures, overwrite=args.overwrite, jobs=args.jobs,
                                variants=args.variants)
        if MPI.COMM_WORLD.rank == 0 and not args.quiet:
            if "variants" in record:
                for v in record["variants"]:
                    print(f"\n{variant_heading(v)}: {v['description'] or ', '.join(v['set']) or 'no overrides'}")
                    print("\n".join(claim_statements(spec, v["claims"])))
                written = ["report.md", "comparison.csv"] + [f"{v['directory']}/" for v in record["variants"]]
                print()
            else:
                print("\n".join(claim_statements(spec, record["claims"])))
                written = ["report.md", "comparison.csv", "figures/"] + (["pictures/"] if record["pictures"] else [])
            print(f"wrote {outdir}/: {', '.join(written)}")
        return 0
    from .case import load_case

    case = load_case(args.case, args.overrides)
    if args.command == "validate":
        radii = case.geometry.describe()
        mats = case.resolved_materials().values()
        plastic = [f"{m.name} (yield {m.yield_strength_MPa:g} MPa)" for m in mats
                   if m.yield_strength_MPa is not None and m.law == "isotropic"]
        carbons = [f"{m.name} {m.law}" + (f" (porosity {m.parameters['porosity']:g})" if m.law == "porous" else "")
                   for m in mats if m.law != "isotropic"]
        print(
            f"{args.case}: valid — {case.name}: {radii}; {case.model.formulation}, {case.model.kinematics} strain"
            f"{'; plastic: ' + ', '.join(plastic) if plastic else ''}"
            f"{'; shell laws: ' + ', '.join(carbons) if carbons else ''}; "
            f"stages {case.stages.mode} at SOC {', '.join(f'{s:g}' for s in case.stages.soc)}"
        )
        for note in case.geometry.notes():
            print(f"note: {note}")
        return 0
    if args.command == "mesh":
        from .case import CaseError
        from .case.shapes import SPHERICAL_1D
        from .geometry import cached_mesh, export_mesh
        from .geometry.meshing import check_export_path
        from .studies.run import mesh_spec

        if case.model.formulation == SPHERICAL_1D:
            raise CaseError("has no gmsh mesh (its elements in the radius are made as it is solved); mesh it with "
                            "--set 'model.formulation=\"axisymmetric\"' (or a 3D formulation)", source=args.case,
                            key="model.formulation", value=SPHERICAL_1D)
        if args.export:
            check_export_path(args.export)  # before meshing: an unknown format is bad input
        path = cached_mesh(mesh_spec(case))
        print(path)
        if args.export:
            export_mesh(path, args.export)
            print(args.export)
        return 0
    if args.command == "run":
        from ._backend import MPI
        from .results import format_region_table
        from .studies.run import run_case

        outdir = args.output or Path("results") / case.name
        summary = run_case(case, outdir, source=str(args.case), log=_progress_log(args.quiet), overwrite=args.overwrite)
        if MPI.COMM_WORLD.rank == 0 and not args.quiet:
            print(format_region_table(summary))
            written = ["summary.json", "table.txt"] + (["fields/fields.pvd"] if case.output.fields else [])
            print(f"wrote {outdir}/: {', '.join(written)}")
        return 0
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
