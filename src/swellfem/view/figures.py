"""Publication figures (matplotlib, PNG and SVG) of comparisons and sweeps. Axes carry units.

They take plain rows and summaries (as the studies write them), not study objects."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from ..formatting import soc_text

_STYLES = ["-", "--", "-.", ":"]
_MARKERS = ["o", "s", "^", "D", "v"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path_stem: Path) -> list[Path]:
    out = []
    for ext in ("png", "svg"):
        p = path_stem.with_suffix(f".{ext}")
        fig.savefig(p, dpi=160, bbox_inches="tight")
        out.append(p)
    _pyplot().close(fig)
    return out


def axial_stress_figure(title: str, summaries: dict[str, dict], path_stem: Path) -> list[Path]:
    """sigma_zz along the symmetry axis, centre to outer surface, one panel per stage."""
    plt = _pyplot()
    first = next(iter(summaries.values()))
    n = len(first["stages"])
    cols = min(n, 3)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), squeeze=False, sharey=False)
    for k in range(rows * cols):
        ax = axes.flat[k]
        if k >= n:
            ax.axis("off")
            continue
        for i, (label, s) in enumerate(summaries.items()):
            st = s["stages"][k]
            prof = st["axial_profile"]
            z = np.array(prof["z_nm"], float)
            v = np.array([np.nan if x is None else x for x in prof["sigma_zz_MPa"]], float)
            ax.plot(z, v, _STYLES[i % 4], label=label, lw=1.6)
        for s in summaries.values():
            for layer in s["case"]["layers"][:-1]:
                ax.axvline(layer["outer_radius_nm"], color="0.8", lw=0.8, zorder=0)
        ax.axhline(0, color="0.5", lw=0.6)
        st0 = first["stages"][k]
        panel = f"SOC = {soc_text(st0['soc'])}"
        if st0.get("front_radius_nm") is not None:
            panel += f", front at {st0['front_radius_nm']:.1f} nm"
        ax.set_title(panel, fontsize=10)
        ax.set_xlabel("z along the axis (nm)")
        ax.set_ylabel(r"axial stress $\sigma_{zz}$ (MPa)")
    axes.flat[0].legend(fontsize=8)
    fig.suptitle(f"{title}: axial stress distribution (tension positive)", fontsize=11)
    fig.tight_layout()
    return _save(fig, path_stem)


def probe_line_figure(title: str, summaries: dict[str, dict], path_stem: Path, stage: int = -1) -> list[Path]:
    """Von Mises and normal stress along each model's probe lines at one stage (the last by
    default), against the distance from the line's start: where corners and particles
    concentrate stress. Empty when no model has probe lines."""
    curves = [(label, name, prof) for label, s in summaries.items()
              for name, prof in (s["stages"][stage].get("profiles") or {}).items()]
    if not curves:
        return []
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), squeeze=False)
    for i, (label, name, prof) in enumerate(curves):
        s_nm = np.array(prof["s_nm"], float)
        for ax, key in zip(axes.flat, ("von_mises_MPa", "sigma_tt_MPa")):
            v = np.array([np.nan if x is None else x for x in prof[key]], float)
            ax.plot(s_nm, v, _STYLES[i % 4], lw=1.5, label=f"{label}: {name}")
    for ax, text in zip(axes.flat, ("von Mises stress (MPa)", "normal stress along the line (MPa)")):
        ax.set_xlabel("distance along the line (nm)")
        ax.set_ylabel(text)
        ax.axhline(0, color="0.5", lw=0.6)
    axes.flat[0].legend(fontsize=7)
    soc = next(iter(summaries.values()))["stages"][stage]["soc"]
    fig.suptitle(f"{title}: stresses along the probe lines, SOC = {soc_text(soc)} (tension positive)", fontsize=11)
    fig.tight_layout()
    return _save(fig, path_stem)


def max_stress_figure(title: str, particle_region: str, rows: list[dict], path_stem: Path) -> list[Path]:
    """Particle maxima vs SOC per model: von Mises, max principal, max hydrostatic, max |sigma_zz| on axis."""
    plt = _pyplot()
    p = particle_region
    panels = [
        (f"{p}.von_mises_max_MPa", "max von Mises (MPa)"),
        (f"{p}.principal_max_MPa", "max principal stress (MPa)"),
        (f"{p}.hydrostatic_max_MPa", "max hydrostatic stress (MPa)"),
        (f"{p}.axial_sigma_zz_absmax_MPa", r"max $|\sigma_{zz}|$ on axis (MPa)"),
    ]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.0 * len(panels), 3.4))
    models = list(dict.fromkeys(r["model"] for r in rows))
    for ax, (col, ylabel) in zip(axes, panels):
        for i, m in enumerate(models):
            pts = [(r["soc"], r[col]) for r in rows if r["model"] == m and r[col] is not None]
            if pts:
                x, y = zip(*pts)
                ax.plot(x, y, _STYLES[i % 4], marker=_MARKERS[i % 5], label=m)
        ax.axhline(0, color="0.5", lw=0.6)
        ax.set_xlabel("state of charge (SOC)")
        ax.set_ylabel(ylabel)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"{title}: stresses in {p} (tension positive)", fontsize=11)
    fig.tight_layout()
    return _save(fig, path_stem)


def shell_hoop_figure(title: str, particle_region: str, rows: list[dict], path_stem: Path) -> list[Path]:
    """Maximum hoop stress of each carbon shell vs SOC per model."""
    plt = _pyplot()
    cols = [c for c in rows[0] if c.endswith(".hoop_max_MPa") and not c.startswith(particle_region + ".")]
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    models = list(dict.fromkeys(r["model"] for r in rows))
    k = 0
    for i, m in enumerate(models):
        for j, col in enumerate(cols):
            pts = [(r["soc"], r[col]) for r in rows if r["model"] == m and r[col] is not None]
            if pts:
                x, y = zip(*pts)
                ax.plot(x, y, _STYLES[j % 4], marker=_MARKERS[i % 5], label=f"{col.split('.')[0]} in {m}")
                k += 1
    ax.axhline(0, color="0.5", lw=0.6)
    ax.set_xlabel("state of charge (SOC)")
    ax.set_ylabel("max hoop stress in shell (MPa)")
    ax.set_title(f"{title}: shell hoop tension", fontsize=11)
    if k:
        ax.legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, path_stem)


#: A column of the plot rows of a design map (not of results.csv): the largest failure ratio of
#: a stage over the sweep's failure metrics (dimensionless; >= 1: some layer is predicted to fail).
DESIGN_METRIC = "design.failure_ratio_max"
_METRIC_LABELS = {DESIGN_METRIC: "largest failure ratio (all failure metrics)"}


def default_sweep_metrics(rows: list[dict]) -> list[str]:
    """The metrics a sweep plots when it names none: von Mises, max principal and max
    hydrostatic stress of the first region, hoop stress of the others (MPa)."""
    ok = [r for r in rows if r.get("status") == "ok"]
    if not ok:
        return []
    regions = list(dict.fromkeys(k.split(".")[0] for k in ok[0] if k.endswith("_MPa") and "|" not in k))
    regions = [r for r in regions if r != "particle"]
    metrics = []
    if regions:
        metrics += [f"{regions[0]}.{m}" for m in ("von_mises_max_MPa", "principal_max_MPa", "hydrostatic_max_MPa")]
        metrics += [f"{r}.hoop_max_MPa" for r in regions[1:]]
    return metrics


def _metric_label(metric: str) -> str:
    """Axis text of a metric column, its unit in brackets (``... (MPa)``)."""
    return _METRIC_LABELS.get(metric, metric.replace("_MPa", " (MPa)"))


def _is_min_metric(metric: str) -> bool:
    """A minimum, whose worst value is the smallest: its name (after the region) contains ``_min``."""
    return "_min" in metric.rpartition(".")[2]


def metric_value(row: dict, metric: str) -> float | None:
    """The value of a metric in a row as a float; None where it is missing, empty or not finite."""
    v = row.get(metric)
    if v is None or v == "":
        return None
    v = float(v)
    return v if np.isfinite(v) else None


#: A stress whose magnitude is below this fraction of the largest stress magnitude of the same
#: result (row) is the round-off of a zero, e.g. the von Mises stress of a uniformly potassiated,
#: hydrostatic core in spherical-1d (1e-8 MPa against GPa). The figures draw it as 0; the
#: tables keep it as computed.
ROUND_OFF = 1e-9


def _without_round_off(rows: list[dict], metric: str) -> list[dict]:
    """``rows`` with the round-off (:data:`ROUND_OFF`) of ``metric`` (a stress, ``..._MPa``)
    taken out: a value that is the round-off of a zero becomes 0, and values that all differ by
    round-off only (the same stress in every design) become their median, so that a figure
    shows neither as a pattern."""
    if not metric.endswith("_MPa"):
        return rows

    def stress(row: dict, key: str) -> float | None:
        try:
            return metric_value(row, key)
        except (TypeError, ValueError):
            return None

    scales = [max((abs(x) for k in r if k.endswith("_MPa") and (x := stress(r, k)) is not None), default=0.0)
              for r in rows]
    out = [{**r, metric: 0.0} if (v := metric_value(r, metric)) is not None and abs(v) <= ROUND_OFF * scale else r
           for r, scale in zip(rows, scales)]
    values = [v for r in out if (v := metric_value(r, metric)) is not None]
    if len(values) > 1 and max(values) - min(values) <= ROUND_OFF * max(scales):
        same = float(np.median(values))
        out = [{**r, metric: same} if metric_value(r, metric) is not None else r for r in out]
    return out


def _worst_rows(ok: list[dict], metric: str) -> list[dict]:
    """One row per point with the worst value of ``metric`` over its stages (the smallest of a
    minimum, i.e. a name with ``_min``, else the largest); points without a value are left out."""
    pick = min if _is_min_metric(metric) else max
    by_point: dict = {}
    for r in ok:
        if metric_value(r, metric) is not None:
            by_point.setdefault(r["point"], []).append(r)
    return [pick(rs, key=lambda r: metric_value(r, metric)) for rs in by_point.values()]


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def sweep_figures(name: str, plot_metrics: list[str], columns: list[tuple], rows: list[dict], out,
                  stage: str = "last", safe: dict[str, bool] | None = None,
                  map_: Callable[[Callable, Iterable], Iterable] = map) -> list[Path]:
    """Metric vs parameter at the last stage (or the worst stage of each point): lines (one per
    value of the other parameters) or, for two or three numeric parameters, a heat map (three:
    one panel per value of the third, one colour scale). ``safe`` (a design map: point -> no
    layer is predicted to fail) marks the safe designs. PNG and SVG files in ``out``, one
    figure per metric, drawn by ``map_`` (a process pool's ``map`` draws them side by side)."""
    ok = [r for r in rows if r.get("status") == "ok"]
    if not ok:
        return []
    last_soc = max(r["soc"] for r in ok)
    names = [n for _, n, _ in columns]
    numeric = [n for n in names if all(_is_number(r[n]) for r in rows if n in r)]
    heat_map = len(names) in (2, 3) and len(numeric) == len(names)
    figures = []
    for metric in list(plot_metrics) or default_sweep_metrics(rows):
        final = _worst_rows(ok, metric) if stage == "worst" else [r for r in ok if r["soc"] == last_soc]
        if not any(metric_value(r, metric) is not None for r in final):
            continue
        final = _without_round_off(final, metric)
        if stage != "worst":
            when = f"SOC = {last_soc:g}"
        else:
            when = "its worst stage in each design" if safe is not None else "worst stage of each point"
        title = f"{name}: {_METRIC_LABELS.get(metric, metric)} at {when}"
        stem = Path(out) / metric.replace("|", "-").replace(".", "__")
        if heat_map:
            figures.append((stem, heat_map_figure, (title, metric, columns, final, rows),
                            {"safe": safe, "show_soc": stage == "worst"}))
        else:
            figures.append((stem, _line_figure, (title, metric, names, numeric, final, safe), {}))
    return [path for files in map_(_draw, figures) for path in files]


def _draw(figure: tuple) -> list[Path]:
    """Draw and save one figure of :func:`sweep_figures`: (path stem, builder, args, kwargs)."""
    stem, builder, args, kwargs = figure
    return _save(builder(*args, **kwargs), stem)


def _line_figure(title: str, metric: str, names: list[str], numeric: list[str], final: list[dict],
                 safe: dict[str, bool] | None):
    """Metric vs the first numeric parameter, one line per value of the other parameters; safe
    designs ringed, and the failure threshold 1 drawn for a ratio."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.6, 4.0))
    final = [r for r in final if metric_value(r, metric) is not None]
    x_name = numeric[0] if numeric else names[0]
    others = [n for n in names if n != x_name]
    groups: dict = {}
    for r in final:
        groups.setdefault(tuple(r[o] for o in others), []).append(r)
    for i, (g, rs) in enumerate(sorted(groups.items(), key=lambda kv: str(kv[0]))):
        rs = sorted(rs, key=lambda r: r[x_name])
        label = ", ".join(f"{o} = {v}" for o, v in zip(others, g)) or None
        ax.plot([r[x_name] for r in rs], [r[metric] for r in rs], _STYLES[i % 4], marker=_MARKERS[i % 5],
                label=label)
    if safe is not None:
        good = [r for r in final if safe.get(r["point"])]
        ax.scatter([r[x_name] for r in good], [r[metric] for r in good], s=160, facecolors="none",
                   edgecolors="k", linewidths=1.6, zorder=5, label="no layer fails")
    if "ratio" in metric:
        ax.axhline(1, color="tab:red", ls=":", lw=1.0, label="fails at 1")
    if others or safe is not None or "ratio" in metric:
        ax.legend(fontsize=7)
    ax.set_xlabel(x_name)
    ax.set_ylabel(_metric_label(metric))
    ax.axhline(0, color="0.5", lw=0.6)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def _point_rows(rows: list[dict]) -> dict[str, dict]:
    """The first row of every point (its parameter values and status), by point key."""
    out: dict[str, dict] = {}
    for r in rows:
        out.setdefault(r["point"], r)
    return out


def heat_map_figure(title: str, metric: str, columns: list[tuple], final: list[dict], rows: list[dict] | None = None,
                    safe: dict[str, bool] | None = None, show_soc: bool = False):
    """A heat map of ``metric`` (one row per point in ``final``) over the first two parameters;
    with a third, one panel per value of it side by side ("name = value"), one colour scale.
    ``rows`` (all rows, failed points included) fix the cells; ``safe`` outlines the cells of
    designs in which no layer fails; ``show_soc`` writes the SOC of each cell's stage under its
    value. Returns the matplotlib Figure."""
    plt = _pyplot()
    names = [c[1] for c in columns]
    points = _point_rows(rows if rows is not None else final)
    xs = sorted({p[names[0]] for p in points.values()})
    ys = sorted({p[names[1]] for p in points.values()})
    facets = sorted({p[names[2]] for p in points.values()}) if len(names) == 3 else [None]
    grids = {f: _grid(final, metric, names, xs, ys, f) for f in facets}
    values = np.concatenate([g[0].ravel() for g in grids.values()])
    norm = _norm(values)
    ncols = min(len(facets), 4)
    nrows = int(np.ceil(len(facets) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.2 + 4.0 * ncols, 0.9 + 3.3 * nrows), squeeze=False,
                             sharex=True, sharey=True, layout="constrained")
    mesh = None
    for k, ax in enumerate(axes.flat):
        if k >= len(facets):
            ax.axis("off")
            continue
        f = facets[k]
        grid, socs = grids[f]
        mesh = ax.pcolormesh(_edges(xs), _edges(ys), grid, cmap="viridis", norm=norm, shading="flat")
        _annotate(ax, mesh, grid, socs, xs, ys, show_soc)
        panel = {n: p for n, p in points.items() if f is None or p[names[2]] == f}
        _mark_failed(ax, panel, names)
        if safe is not None:
            _mark_safe(ax, [p for n, p in panel.items() if safe.get(n)], names, xs, ys)
        if f is not None:
            ax.set_title(parameter_text(columns[2], f), fontsize=9)
        if k // ncols == nrows - 1 or k + ncols >= len(facets):
            ax.set_xlabel(names[0])
        if k % ncols == 0:
            ax.set_ylabel(names[1])
        ax.set_xticks(xs if len(xs) <= 12 else ax.get_xticks())
        ax.set_yticks(ys if len(ys) <= 12 else ax.get_yticks())
    fig.colorbar(mesh, ax=axes.ravel().tolist(), label=_metric_label(metric))
    if safe is not None:
        fig.legend(handles=[_safe_handle()], labels=["no layer fails"], loc="outside lower center", fontsize=8,
                   frameon=False)
    fig.suptitle(title + (" (SOC of that stage per cell)" if show_soc else ""), fontsize=10)
    return fig


def parameter_text(column: tuple, value) -> str:
    """``name = value unit`` of a parameter column (key, name, unit): "o-rGO thickness = 5 nm"."""
    _, name, unit = column
    suffix = f" [{unit}]"
    base = name[: -len(suffix)] if unit and name.endswith(suffix) else name
    text = f"{value:g}" if _is_number(value) else str(value)
    return f"{base} = {text} {unit}" if unit else f"{base} = {text}"


def _grid(final: list[dict], metric: str, names: list[str], xs: list, ys: list, facet) -> tuple[np.ndarray, np.ndarray]:
    """(values, SOC of each value's stage) on the (y, x) cells of one panel; NaN where none."""
    grid = np.full((len(ys), len(xs)), np.nan)
    socs = np.full((len(ys), len(xs)), np.nan)
    for r in final:
        v = metric_value(r, metric)
        if v is None or (facet is not None and r[names[2]] != facet):
            continue
        j, i = ys.index(r[names[1]]), xs.index(r[names[0]])
        grid[j, i], socs[j, i] = v, r.get("soc", np.nan)
    return grid, socs


def _norm(values: np.ndarray):
    """One colour scale for all panels (a constant metric gets a small span around its value)."""
    from matplotlib.colors import Normalize

    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if hi == lo:
        lo, hi = lo - 0.5 * (abs(lo) or 1.0), hi + 0.5 * (abs(hi) or 1.0)
    return Normalize(lo, hi)


def _cell_text(v: float) -> str:
    return f"{v:.0f}" if abs(v) >= 100 else f"{v:.3g}"


def _annotate(ax, mesh, grid: np.ndarray, socs: np.ndarray, xs: list, ys: list, show_soc: bool) -> None:
    """The value of every cell (dark text on light colours), and its SOC small below it."""
    for j, y in enumerate(ys):
        for i, x in enumerate(xs):
            v = grid[j, i]
            if not np.isfinite(v):
                continue
            color = "k" if mesh.norm(v) > 0.6 else "w"
            ax.text(x, y, _cell_text(v), ha="center", va="bottom" if show_soc else "center", fontsize=7, color=color)
            if show_soc and np.isfinite(socs[j, i]):
                ax.text(x, y, f"SOC {soc_text(socs[j, i])}", ha="center", va="top", fontsize=5, color=color)


def _mark_failed(ax, panel: dict[str, dict], names: list[str]) -> None:
    """Write the status ("failed", "not run") in the cells of points without a result."""
    for p in panel.values():
        if p.get("status") != "ok":
            ax.text(p[names[0]], p[names[1]], p.get("status") or "failed", ha="center", va="center", fontsize=6,
                    color="0.35")


def _mark_safe(ax, safe_points: list[dict], names: list[str], xs: list, ys: list) -> None:
    """A thick white-and-black outline round the cells of safe designs (visible on any colour)."""
    from matplotlib.patches import Rectangle

    xe, ye = _edges(xs), _edges(ys)
    for p in safe_points:
        i, j = xs.index(p[names[0]]), ys.index(p[names[1]])
        w, h = xe[i + 1] - xe[i], ye[j + 1] - ye[j]
        corner, size = (xe[i] + 0.06 * w, ye[j] + 0.06 * h), (0.88 * w, 0.88 * h)
        for color, lw in (("white", 3.4), ("black", 1.5)):
            ax.add_patch(Rectangle(corner, *size, fill=False, edgecolor=color, lw=lw, zorder=4))


def _safe_handle():
    """The legend entry of the safe-cell outline (white under black, as drawn)."""
    from matplotlib.patches import Rectangle

    return (Rectangle((0, 0), 1, 1, fill=False, edgecolor="white", lw=3.4),
            Rectangle((0, 0), 1, 1, fill=False, edgecolor="black", lw=1.5))


def _edges(v: list[float]) -> np.ndarray:
    v = np.asarray(v, float)
    if len(v) == 1:
        return np.array([v[0] - 0.5, v[0] + 0.5])
    mid = 0.5 * (v[1:] + v[:-1])
    return np.concatenate([[v[0] - (mid[0] - v[0])], mid, [v[-1] + (v[-1] - mid[-1])]])
