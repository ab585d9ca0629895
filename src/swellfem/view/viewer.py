"""Looking at a run's fields with pyvista: ``swellfem view OUTDIR`` and :func:`plot_fields`.

An interactive window where a display exists, an off-screen PNG otherwise. Works on the
output directory of ``swellfem run`` or on a model directory of ``swellfem compare``.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from ..formatting import soc_text

from .render import (FIELDS, _pyvista, clip_half, color_range, is_octant, is_planar, mirror_octant, read_stage,
                     region_centroid, region_outlines, scalars_of, section)

#: Largest image side (pixels) and warp factor a view accepts.
MAX_IMAGE_SIDE = 8192
MAX_WARP = 1.0e4


class ViewError(ValueError):
    """A view that cannot be made (missing files, unknown stage, region or field)."""


def _not_a_result(outdir: Path, why: str) -> ViewError:
    return ViewError(f"not a swellfem result: {outdir}: {why} (expected the output directory of 'swellfem run' "
                     "or a models/NAME directory of 'swellfem compare')")


def region_names(summary: dict) -> list[str]:
    """Region names in cell-tag order (tag = index + 1): ``case.regions`` (every geometry), or
    ``case.layers`` in results written before regions were recorded (concentric spheres)."""
    case = summary["case"]
    entries = case["regions"] if "regions" in case else case["layers"]
    return [str(entry["name"]) for entry in entries]


def _summary(outdir: Path) -> dict:
    path = outdir / "summary.json"
    if not outdir.is_dir():
        raise _not_a_result(outdir, "no such directory")
    if not path.is_file():
        raise _not_a_result(outdir, "no summary.json")
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
        stages = summary["stages"]
        names = region_names(summary)
        for st in stages:
            float(st["soc"]), str(st["mode"])
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        raise _not_a_result(outdir, "summary.json is broken or not swellfem's") from None
    if not stages or not names:
        raise _not_a_result(outdir, "summary.json has no stages")
    return summary


def _check_fields(outdir: Path, pvd: Path, n_stages: int) -> None:
    """The .pvd parses, names one existing .vtu (or .pvtu) per stage."""
    try:
        datasets = ET.parse(pvd).getroot().findall("./Collection/DataSet")
    except (OSError, ET.ParseError):
        raise _not_a_result(outdir, "fields/fields.pvd is broken") from None
    files = [d.get("file") for d in datasets]
    if len({d.get("timestep") for d in datasets}) != n_stages or any(not f for f in files):
        raise _not_a_result(outdir, f"fields/fields.pvd does not hold the {n_stages} stages of summary.json")
    missing = [f for f in files if not (pvd.parent / f).is_file()]
    for f in files:  # a parallel file (.pvtu) names its pieces
        if f.endswith(".pvtu") and (pvd.parent / f).is_file():
            try:
                pieces = [p.get("Source") for p in ET.parse(pvd.parent / f).getroot().iter("Piece")]
            except (OSError, ET.ParseError):
                raise _not_a_result(outdir, f"fields/{f} is broken") from None
            missing += [p for p in pieces if not p or not (pvd.parent / p).is_file()]
    if missing:
        raise _not_a_result(outdir, f"fields/{missing[0]} is missing")


def check_view_options(warp: float | None, window_size: tuple[int, int]) -> None:
    """Refuse a warp factor or an image size that cannot be drawn."""
    if warp is not None and (not math.isfinite(warp) or abs(warp) > MAX_WARP):
        raise ViewError(f"--warp {warp:g}: must be a finite number of magnitude at most {MAX_WARP:g}")
    w, h = window_size
    if not (16 <= w <= MAX_IMAGE_SIDE and 16 <= h <= MAX_IMAGE_SIDE):
        raise ViewError(f"--size {w}x{h}: each side must be 16 to {MAX_IMAGE_SIDE} pixels")


def _clip_origin(clip_origin) -> tuple[float, float, float]:
    try:
        point = tuple(float(v) for v in clip_origin)
    except (TypeError, ValueError):
        point = ()
    if len(point) != 3 or not all(math.isfinite(v) for v in point):
        raise ViewError(f"--clip-at {clip_origin!r}: give three finite numbers X,Y,Z (nm)")
    return point


def plot_fields(
    outdir: str | Path,
    stage: int = -1,
    field: str = "von_mises",
    clip: str | None = None,
    warp: float | None = None,
    regions: list[str] | None = None,
    hide: list[str] | None = None,
    off_screen: bool | None = None,
    window_size: tuple[int, int] = (1024, 768),
    clip_origin: tuple[float, float, float] | None = None,
    through: str | None = None,
):
    """A pyvista Plotter showing ``field`` of ``stage`` (negative counts from the last).

    ``clip`` cuts a 3D result by the plane normal to x, y or z and keeps the half on its
    negative side (cells on that side whole, cells across the plane cut by it). The plane passes
    through the centre (0, 0, 0), through the point ``clip_origin`` (x, y, z in nm) or through
    the centroid of the cells of the region named ``through`` (one of ``clip_origin`` and
    ``through``, each with ``clip``). A ``3d-octant`` result (x, y, z >= 0) is mirrored across the
    three symmetry planes to the whole body before it is clipped; unclipped it is drawn as the
    octant. ``warp`` draws the deformed shape (displacement x warp, mirrored copies included);
    ``regions``/``hide`` choose the regions shown by name (``summary.json``'s ``case.regions``,
    or ``case.layers`` of older results). 2D-axisymmetric results are shown as the mirrored
    meridian section.
    """
    outdir = Path(outdir)
    if field not in FIELDS:
        raise ViewError(f"unknown field '{field}'; choose one of {', '.join(FIELDS)}")
    check_view_options(warp, window_size)
    if clip is not None and clip not in ("x", "y", "z"):
        raise ViewError(f"clip must be x, y or z, not {clip!r}")
    if clip_origin is not None and through is not None:
        raise ViewError("--clip-at and --through both place the clip plane: give one of them")
    if (clip_origin is not None or through is not None) and not clip:
        raise ViewError(f"{'--clip-at' if clip_origin is not None else '--through'} places the plane of --clip: "
                        "give --clip x|y|z too")
    if clip_origin is not None:
        clip_origin = _clip_origin(clip_origin)
    summary = _summary(outdir)
    pvd = outdir / "fields" / "fields.pvd"
    if not pvd.exists():
        raise ViewError(f"{outdir}: no fields/fields.pvd (was the case run with output.fields = false?)")
    n_stages = len(summary["stages"])
    _check_fields(outdir, pvd, n_stages)
    index = stage + n_stages if stage < 0 else stage
    if not 0 <= index < n_stages:
        raise ViewError(f"stage {stage} does not exist: {outdir} has stages 0..{n_stages - 1}")
    names = region_names(summary)
    tags = {name: i + 1 for i, name in enumerate(names)}
    shown = list(regions) if regions else list(names)
    for name in shown + list(hide or []) + ([through] if through is not None else []):
        if name not in tags:
            raise ViewError(f"unknown region '{name}'; regions: {', '.join(names)}")
    shown = [n for n in shown if n not in (hide or [])]
    if not shown:
        raise ViewError("no region left to show")

    pv = _pyvista()
    try:
        grid = read_stage(pvd, index)
    except Exception as exc:  # VTK could not read what the .pvd names
        raise _not_a_result(outdir, f"fields of stage {index} cannot be read ({type(exc).__name__})") from None
    for array in ("region", "displacement_nm", FIELDS[field][0]):
        if array not in grid.cell_data and array not in grid.point_data:
            raise _not_a_result(outdir, f"fields of stage {index} have no '{array}'")
    planar = is_planar(grid)
    if planar and clip:
        raise ViewError(f"--clip {clip}: this result is axisymmetric and is drawn as its meridian section "
                        "already; --clip cuts 3D results")
    # an octant (formulation '3d-octant'; bounds from ~0 in x, y, z) is known by the whole grid
    octant = summary["case"].get("formulation") != "3d" and is_octant(grid)
    if warp:
        disp = np.array(grid.point_data["displacement_nm"])
        if disp.shape[1] == 2:
            disp = np.column_stack([disp, np.zeros(len(disp))])
        grid.points = grid.points + warp * disp
    origin = (0.0, 0.0, 0.0) if clip_origin is None else clip_origin
    if through is not None:
        centroid = region_centroid(grid, tags[through], octant=octant)
        if centroid is None:
            raise ViewError(f"--through {through}: region '{through}' has no cells in stage {index}")
        origin = tuple(float(v) for v in centroid)
    keep = np.isin(grid.cell_data["region"], [tags[n] for n in shown])
    grid = grid.extract_cells(np.flatnonzero(keep))
    if planar:
        shape = section(grid)
    elif clip:
        body = mirror_octant(grid) if octant else grid
        shape = clip_half(body, clip, origin)
        if shape.n_cells == 0:
            raise ViewError(f"--clip {clip}: nothing of the shown regions lies at {clip} <= "
                            f"{origin['xyz'.index(clip)]:g} nm")
    else:
        shape = grid
    scalars, label = scalars_of(shape, field)
    if off_screen is None:
        off_screen = not os.environ.get("DISPLAY")
    plotter = pv.Plotter(off_screen=off_screen, window_size=list(window_size))
    cmap, clim = color_range(field, [np.asarray(shape.point_data[scalars] if scalars in shape.point_data
                                                 else shape.cell_data[scalars])])
    actor = plotter.add_mesh(shape, scalars=scalars, cmap=cmap, clim=clim, nan_color="lightgray",
                             scalar_bar_args={"title": label, "vertical": True, "fmt": "%.4g", "position_x": 0.85})
    outlines = region_outlines(shape) if planar else None
    if outlines is not None:
        plotter.add_mesh(outlines, color="black", line_width=2)
    st = summary["stages"][index]
    title = (f"{summary['case']['name']} - stage {index}: SOC {soc_text(st['soc'])} ({st['mode']}) - {label}"
             + (f" - deformed x{warp:g}" if warp else ""))
    if clip:
        title += f" - cut at {clip} = {origin['xyz'.index(clip)]:.4g} nm" + (f" ({through})" if through else "")
    elif octant and not planar:
        title += " - octant"
    plotter.add_text(title, font_size=9, name="title")
    if planar:
        plotter.view_xy()
    else:
        plotter.view_isometric()
    plotter._swellfem = {"stage": index, "field": field, "scalars": scalars, "regions": shown, "title": title,
                         "mesh": shape, "actor": actor, "octant": octant,
                         "clip_origin": origin if clip else None}
    return plotter


def view(outdir, screenshot: str | Path | None = None, **options) -> Path | None:
    """Show the view interactively, or write it to ``screenshot`` (PNG). Returns the PNG path."""
    interactive = screenshot is None and bool(os.environ.get("DISPLAY"))
    if screenshot is not None:
        _check_png_path(Path(screenshot))  # before drawing anything
    plotter = plot_fields(outdir, off_screen=not interactive, **options)
    if interactive:
        plotter.show()
        return None
    info = plotter._swellfem
    path = Path(screenshot) if screenshot else Path(f"view-stage{info['stage']}-{info['field']}.png")
    try:
        _write_png(plotter, path)
    finally:
        plotter.close()
    return path


def _check_png_path(path: Path) -> None:
    """Refuse a screenshot path that is not a writable .png file name."""
    if path.suffix.lower() != ".png":
        raise ViewError(f"--screenshot {path}: give a .png file name")
    if path.is_dir():
        raise ViewError(f"--screenshot {path}: is a directory; give a .png file name")
    if path.exists() and not path.is_file():
        raise ViewError(f"--screenshot {path}: is not a regular file")
    if not path.parent.is_dir():
        raise ViewError(f"--screenshot {path}: no such directory {path.parent}")


def _write_png(plotter, path: Path) -> None:
    """Write the picture to ``path`` all or nothing (a temporary beside it, then renamed)."""
    _check_png_path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".png", dir=path.parent)
    os.close(fd)
    try:
        plotter.screenshot(tmp)
        if os.path.getsize(tmp) == 0:
            raise ViewError(f"--screenshot {path}: nothing was written (disk full?)")
        os.replace(tmp, path)
    except OSError as exc:
        raise ViewError(f"--screenshot {path}: cannot write ({exc.strerror})") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
