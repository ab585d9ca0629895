"""Publication figures (matplotlib, PNG and SVG) of comparisons and sweeps. Axes carry units.

They take plain rows and summaries (as the studies write them), not study objects."""

from __future__ import annotations

from pathlib import Path

import numpy as np

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
        panel = f"SOC = {st0['soc']:.2f}"
        if st0.get("front_radius_nm") is not None:
            panel += f", front at {st0['front_radius_nm']:.1f} nm"
        ax.set_title(panel, fontsize=10)
        ax.set_xlabel("z along the axis (nm)")
        ax.set_ylabel(r"axial stress $\sigma_{zz}$ (MPa)")
    axes.flat[0].legend(fontsize=8)
    fig.suptitle(f"{title}: axial stress distribution (tension positive)", fontsize=11)
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


def _default_sweep_metrics(rows: list[dict]) -> list[str]:
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


def _worst_rows(ok: list[dict], metric: str) -> list[dict]:
    """One row per point with the worst value of ``metric`` over its stages (the smallest of a
    minimum, else the largest)."""
    pick = min if metric.endswith("_min_MPa") else max
    by_point: dict = {}
    for r in ok:
        if r.get(metric) is not None:
            by_point.setdefault(r["point"], []).append(r)
    return [pick(rs, key=lambda r: r[metric]) for rs in by_point.values()]


def sweep_figures(name: str, plot_metrics: list[str], columns: list[tuple], rows: list[dict], out,
                  stage: str = "last") -> list:
    """Metric vs parameter at the last stage (or the worst stage of each point): lines (one per
    value of the other parameters) or, for two parameters, a heat map. PNG and SVG."""
    plt = _pyplot()
    ok = [r for r in rows if r.get("status") == "ok"]
    files = []
    if not ok:
        return files
    last_soc = max(r["soc"] for r in ok)
    names = [name for _, name, _ in columns]
    metrics = list(plot_metrics) or _default_sweep_metrics(rows)
    for metric in metrics:
        final = _worst_rows(ok, metric) if stage == "worst" else [r for r in ok if r["soc"] == last_soc]
        numeric = [n for n in names if all(isinstance(r[n], (int, float)) for r in final)]
        if not any(metric in r and r[metric] is not None for r in final):
            continue
        fig, ax = plt.subplots(figsize=(5.6, 4.0))
        if len(numeric) == 2 and len(names) == 2:
            xs = sorted({r[numeric[0]] for r in final})
            ys = sorted({r[numeric[1]] for r in final})
            grid = np.full((len(ys), len(xs)), np.nan)
            for r in final:
                if r.get(metric) is not None:
                    grid[ys.index(r[numeric[1]]), xs.index(r[numeric[0]])] = r[metric]
            mesh = ax.pcolormesh(_edges(xs), _edges(ys), grid, cmap="viridis", shading="flat")
            fig.colorbar(mesh, ax=ax, label=metric)
            for j, y in enumerate(ys):
                for i, x in enumerate(xs):
                    if np.isfinite(grid[j, i]):
                        ax.text(x, y, f"{grid[j, i]:.0f}", ha="center", va="center", fontsize=7, color="w")
            ax.set_xlabel(numeric[0])
            ax.set_ylabel(numeric[1])
        else:
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
            if others:
                ax.legend(fontsize=7)
            ax.set_xlabel(x_name)
            ax.set_ylabel(metric.replace("_MPa", " (MPa)"))
            ax.axhline(0, color="0.5", lw=0.6)
        when = "worst stage of each point" if stage == "worst" else f"SOC = {last_soc:g}"
        ax.set_title(f"{name}: {metric} at {when}", fontsize=9)
        fig.tight_layout()
        files += _save(fig, out / metric.replace("|", "-").replace(".", "__"))
    return files


def _edges(v: list[float]) -> np.ndarray:
    v = np.asarray(v, float)
    if len(v) == 1:
        return np.array([v[0] - 0.5, v[0] + 0.5])
    mid = 0.5 * (v[1:] + v[:-1])
    return np.concatenate([[v[0] - (mid[0] - v[0])], mid, [v[-1] + (v[-1] - mid[-1])]])
