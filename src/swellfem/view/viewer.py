"""Looking at a run's fields with pyvista: ``swellfem view OUTDIR`` and :func:`plot_fields`.

An interactive window where a display exists, an off-screen PNG otherwise. Works on the
output directory of ``swellfem run`` or on a model directory of ``swellfem compare``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from .render import FIELDS, _pyvista, is_planar, read_stage, region_outlines, scalars_of, section


class ViewError(ValueError):
    """A view that cannot be made (missing files, unknown stage, region or field)."""


def _summary(outdir: Path) -> dict:
    path = outdir / "summary.json"
    if not path.exists():
        raise ViewError(f"{outdir}: no summary.json (expected the output directory of 'swellfem run')")
    return json.loads(path.read_text())


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
):
    """A pyvista Plotter showing ``field`` of ``stage`` (negative counts from the last).

    ``clip`` cuts a 3D result by the plane normal to x, y or z through the centre;
    ``warp`` draws the deformed shape (displacement x warp); ``regions``/``hide`` choose the
    layers shown by name. 2D-axisymmetric results are shown as the mirrored meridian section.
    """
    outdir = Path(outdir)
    if field not in FIELDS:
        raise ViewError(f"unknown field '{field}'; choose one of {', '.join(FIELDS)}")
    summary = _summary(outdir)
    pvd = outdir / "fields" / "fields.pvd"
    if not pvd.exists():
        raise ViewError(f"{outdir}: no fields/fields.pvd (was the case run with output.fields = false?)")
    n_stages = len(summary["stages"])
    index = stage + n_stages if stage < 0 else stage
    if not 0 <= index < n_stages:
        raise ViewError(f"stage {stage} does not exist: {outdir} has stages 0..{n_stages - 1}")
    names = [layer["name"] for layer in summary["case"]["layers"]]
    tags = {name: i + 1 for i, name in enumerate(names)}
    shown = list(regions) if regions else list(names)
    for name in shown + list(hide or []):
        if name not in tags:
            raise ViewError(f"unknown region '{name}'; regions: {', '.join(names)}")
    shown = [n for n in shown if n not in (hide or [])]
    if not shown:
        raise ViewError("no region left to show")

    pv = _pyvista()
    grid = read_stage(pvd, index)
    keep = np.isin(grid.cell_data["region"], [tags[n] for n in shown])
    grid = grid.extract_cells(np.flatnonzero(keep))
    if warp:
        disp = np.array(grid.point_data["displacement_nm"])
        if disp.shape[1] == 2:
            disp = np.column_stack([disp, np.zeros(len(disp))])
        grid.points = grid.points + warp * disp
    planar = is_planar(grid)
    if planar:
        shape = section(grid)
    elif clip:
        if clip not in ("x", "y", "z"):
            raise ViewError(f"clip must be x, y or z, not {clip!r}")
        shape = grid.clip(normal=clip, origin=(0.0, 0.0, 0.0), invert=True)
    else:
        shape = grid
    scalars, label = scalars_of(shape, field)
    if off_screen is None:
        off_screen = not os.environ.get("DISPLAY")
    plotter = pv.Plotter(off_screen=off_screen, window_size=list(window_size))
    actor = plotter.add_mesh(shape, scalars=scalars, cmap="viridis" if field in ("von_mises", "potassiation") else "coolwarm",
                     scalar_bar_args={"title": label, "vertical": True, "fmt": "%.4g", "position_x": 0.85})
    outlines = region_outlines(shape) if planar else None
    if outlines is not None:
        plotter.add_mesh(outlines, color="black", line_width=2)
    st = summary["stages"][index]
    title = (f"{summary['case']['name']} - stage {index}: SOC {st['soc']:.2f} ({st['mode']}) - {label}"
             + (f" - deformed x{warp:g}" if warp else ""))
    plotter.add_text(title, font_size=9, name="title")
    if planar:
        plotter.view_xy()
    else:
        plotter.view_isometric()
    plotter._swellfem = {"stage": index, "field": field, "scalars": scalars, "regions": shown, "title": title,
                         "mesh": shape, "actor": actor}
    return plotter


def view(outdir, screenshot: str | Path | None = None, **options) -> Path | None:
    """Show the view interactively, or write it to ``screenshot`` (PNG). Returns the PNG path."""
    interactive = screenshot is None and bool(os.environ.get("DISPLAY"))
    plotter = plot_fields(outdir, off_screen=not interactive, **options)
    if interactive:
        plotter.show()
        return None
    info = plotter._swellfem
    path = Path(screenshot) if screenshot else Path(f"view-stage{info['stage']}-{info['field']}.png")
    path.parent.mkdir(parents=True, exist_ok=True)
    plotter.screenshot(str(path))
    plotter.close()
    return path
