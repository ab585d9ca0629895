"""Publication figures (matplotlib, PNG and SVG) of a comparison. Axes carry units."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .comparison import ComparisonSpec

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


def axial_stress_figure(spec: ComparisonSpec, summaries: dict[str, dict], path_stem: Path) -> list[Path]:
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
        layers = first["case"]["layers"]
        for s in summaries.values():
            for layer in s["case"]["layers"][:-1]:
                ax.axvline(layer["outer_radius_nm"], color="0.8", lw=0.8, zorder=0)
        ax.axhline(0, color="0.5", lw=0.6)
        st0 = first["stages"][k]
        title = f"SOC = {st0['soc']:.2f}"
        if st0.get("front_radius_nm") is not None:
            title += f", front at {st0['front_radius_nm']:.1f} nm"
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("z along the axis (nm)")
        ax.set_ylabel(r"axial stress $\sigma_{zz}$ (MPa)")
        del layers
    axes.flat[0].legend(fontsize=8)
    fig.suptitle(f"{spec.title}: axial stress distribution (tension positive)", fontsize=11)
    fig.tight_layout()
    return _save(fig, path_stem)


def max_stress_figure(spec: ComparisonSpec, rows: list[dict], path_stem: Path) -> list[Path]:
    """Particle maxima vs SOC per model: von Mises, max principal, max hydrostatic, max |sigma_zz| on axis."""
    plt = _pyplot()
    p = spec.particle_region
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
    fig.suptitle(f"{spec.title}: stresses in {p} (tension positive)", fontsize=11)
    fig.tight_layout()
    return _save(fig, path_stem)


def shell_hoop_figure(spec: ComparisonSpec, rows: list[dict], path_stem: Path) -> list[Path]:
    """Maximum hoop stress of each carbon shell vs SOC per model."""
    plt = _pyplot()
    cols = [c for c in rows[0] if c.endswith(".hoop_max_MPa") and not c.startswith(spec.particle_region + ".")]
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
    ax.set_title(f"{spec.title}: shell hoop tension", fontsize=11)
    if k:
        ax.legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, path_stem)
