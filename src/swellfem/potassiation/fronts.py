"""Shrinking-core reaction fronts in a spherical layer (pure numpy, no dolfinx).

One front: theta(r) = H(r - r_f) with the smooth step H(s) = 1/2 (1 + tanh(s / w)): reacted
(theta = 1) outside the front radius r_f, pristine inside, over a width w. r_f is placed so
that the volume mean of theta over the layer equals the state of charge. Lengths in nm.

Potassiation and depotassiation (a SOC list that goes up and down) make a *history of nested
fronts* (:class:`FrontProfile`). A layer starts uniform at theta = 0 (its ``base``). Each
front k has the value v_k of its direction (1 potassiating, 0 depotassiating) outside its
radius r_k; inside, the profile before it applies:

    theta_k(r) = v_k H(r - r_k) + theta_{k-1}(r) (1 - H(r - r_k)).

Charging grows a potassiated outer layer inward around a pristine core; discharging grows a
depotassiated outer layer inward around what is still potassiated (e.g. SOC 0.5 then 0.2: a
depleted outer zone, a potassiated band, a pristine core). Consecutive stages in the same
direction move the current (outermost) front inward; a reversal pushes a new front at the
surface; a repeated SOC changes nothing. Each front radius is found by bisection so that the
layer's volume mean of theta equals the stage SOC. SOC 1 (charging) and SOC 0 (discharging)
are uniform and clear the history. A front that a newer one has swept past (it lies more
than 20 widths outside the newer front, where the newer front's value holds to e^-40) is
dropped.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np

#: Brackets of the bisection, in front widths beyond the layer: mean(r_in - 40 w) = v to e^-80.
_BRACKET_WIDTHS = 40.0
#: An older front more than this many widths outside a newer front no longer shows.
_MASKED_WIDTHS = 20.0


def front_profile(r: np.ndarray, front_radius: float, width: float) -> np.ndarray:
    """theta(r) of a front at ``front_radius`` with width ``width`` (nm)."""
    return 0.5 * (1.0 + np.tanh((np.asarray(r) - front_radius) / width))


@functools.cache
def _gauss_legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(n)


def _panels(width: float, r_in: float, r_out: float, panels: int | None) -> int:
    """Default quadrature panels: at least 40, and no panel wider than half a front width."""
    if panels is not None:
        return panels
    return int(min(4000, max(40, math.ceil(2.0 * (r_out - r_in) / width))))


def _volume_mean(theta, r_in: float, r_out: float, panels: int) -> float:
    """Volume mean of theta(r) over the spherical layer (composite 32-point Gauss-Legendre)."""
    x, w = _gauss_legendre(32)
    edges = np.linspace(r_in, r_out, panels + 1)
    a, b = edges[:-1, None], edges[1:, None]
    r = 0.5 * (b - a) * x + 0.5 * (b + a)
    total = np.sum(0.5 * (b - a) * w * theta(r) * r**2)
    return 3.0 * float(total) / (r_out**3 - r_in**3)


def layer_mean(front_radius: float, width: float, r_in: float, r_out: float, panels: int | None = None) -> float:
    """Volume mean of the front profile over the spherical layer r_in < r < r_out
    (composite 32-point Gauss-Legendre over ``panels`` panels, by default at least 40 and no
    wider than half the front: exact to ~1e-12)."""
    panels = _panels(width, r_in, r_out, panels)
    return _volume_mean(lambda r: front_profile(r, front_radius, width), r_in, r_out, panels)


def front_radius_for_soc(soc: float, width: float, r_in: float, r_out: float) -> float | None:
    """The front radius whose profile has mean ``soc`` over a pristine layer (bisection).

    Returns None at soc = 0 (nothing reacted) and soc = 1 (fully reacted): theta is then
    uniform and there is no front.
    """
    return next_profile(FrontProfile(width=width), 0.0, soc, r_in, r_out).front_radius


def sharp_front_radius(soc: float, r_in: float, r_out: float) -> float:
    """Front radius of an infinitely sharp front: r_f^3 = r_out^3 - soc (r_out^3 - r_in^3)."""
    return float(np.cbrt(r_out**3 - soc * (r_out**3 - r_in**3)))


# --- histories of fronts (potassiation and depotassiation) ----------------------------


@dataclasses.dataclass(frozen=True)
class Front:
    """theta = ``value`` outside ``radius`` (nm): 1 a potassiation front, 0 a depotassiation front."""

    value: float
    radius: float


@dataclasses.dataclass(frozen=True)
class FrontProfile:
    """theta(r) of a layer after a history of fronts: ``base`` inside every front, then the
    fronts from oldest (innermost in effect) to newest (outermost zone), each with the same
    tanh width (nm)."""

    base: float = 0.0
    fronts: tuple[Front, ...] = ()
    width: float = 2.0

    @property
    def front_radius(self) -> float | None:
        """The current (newest) front radius, None where theta is uniform."""
        return self.fronts[-1].radius if self.fronts else None

    @property
    def radii(self) -> tuple[float, ...]:
        return tuple(f.radius for f in self.fronts)

    def theta(self, r: np.ndarray) -> np.ndarray:
        r = np.asarray(r, float)
        theta = np.full(r.shape, float(self.base))
        for f in self.fronts:
            h = front_profile(r, f.radius, self.width)
            theta = f.value * h + theta * (1.0 - h)
        return theta

    def mean(self, r_in: float, r_out: float, panels: int | None = None) -> float:
        """Volume mean of theta over the spherical layer r_in < r < r_out."""
        return _volume_mean(self.theta, r_in, r_out, _panels(self.width, r_in, r_out, panels))


def _pruned(profile: FrontProfile) -> FrontProfile:
    """Drop fronts the newest one has swept past, and a first front that repeats the base."""
    fronts = list(profile.fronts)
    if fronts:
        newest = fronts[-1]
        fronts = [f for f in fronts[:-1] if f.radius <= newest.radius + _MASKED_WIDTHS * profile.width] + [newest]
    base = profile.base
    while fronts and fronts[0].value == base:  # v H + base (1 - H) = base
        fronts.pop(0)
    return FrontProfile(base=base, fronts=tuple(fronts), width=profile.width)


def next_profile(profile: FrontProfile, previous_soc: float, soc: float, r_in: float, r_out: float) -> FrontProfile:
    """The profile at ``soc`` reached from ``profile`` (whose mean is ``previous_soc``).

    Same SOC: unchanged. SOC 1 or 0: uniform. Otherwise the direction's value v (1 up, 0 down)
    grows from the surface: the newest front moves if it already has value v, else a new
    front is pushed; its radius by bisection so that the layer mean equals ``soc``.
    """
    if soc == previous_soc:
        return profile
    if soc >= 1.0 or soc <= 0.0:
        return FrontProfile(base=1.0 if soc >= 1.0 else 0.0, width=profile.width)
    value = 1.0 if soc > previous_soc else 0.0
    inner = profile.fronts[:-1] if profile.fronts and profile.fronts[-1].value == value else profile.fronts
    width = profile.width
    lo, hi = r_in - _BRACKET_WIDTHS * width, r_out + _BRACKET_WIDTHS * width  # mean(lo) ~ value
    panels = _panels(width, r_in, r_out, None)

    def trial(radius: float) -> FrontProfile:
        return FrontProfile(base=profile.base, fronts=(*inner, Front(value, radius)), width=width)

    for _ in range(200):
        mid = 0.5 * (lo + hi)
        m = trial(mid).mean(r_in, r_out, panels)
        if (m - soc) * (value - soc) > 0:  # on the side of lo (mean nearer the value)
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-10 * r_out:
            break
    return _pruned(trial(0.5 * (lo + hi)))


@functools.lru_cache(maxsize=256)
def _history(soc: tuple[float, ...], width: float, r_in: float, r_out: float) -> tuple[FrontProfile, ...]:
    profile, previous, out = FrontProfile(width=width), 0.0, []
    for s in soc:
        profile = next_profile(profile, previous, s, r_in, r_out)
        previous = s
        out.append(profile)
    return tuple(out)


def front_history(soc, width: float, r_in: float, r_out: float) -> list[FrontProfile]:
    """The profile of each stage of a SOC list (any order: up, down, repeated) in the layer
    r_in < r < r_out, starting from a pristine layer (theta = 0)."""
    return list(_history(tuple(float(s) for s in soc), float(width), float(r_in), float(r_out)))
