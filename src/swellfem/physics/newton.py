"""Newton's method with load increments for the nonlinear displacement problem.

One stage moves theta from the last solved field theta_0 to the new one theta_1 along
theta(a) = theta_0 + a (theta_1 - theta_0), a from 0 to 1, in increments. The first increment
of a stage is 1 / ``initial_increments`` of it, or the increment the previous stage ended with
if that was smaller (stages of one case tend to need alike steps). Each increment is
solved by Newton with the consistent tangent; a correction that would invert elements is
shortened (halved, up to 6 times), and so is one that does not lower the residual norm (a
line search, Armijo's condition, up to 4 halvings: without it Newton cycled between over- and
under-compacted states of a porous carbon near full density and the ZnSe@i-NMC@o-rGO headline
failed at SOC 0.97 even at increments of 3e-4 of a stage); an increment that does not converge
is undone and halved; one that converged in <= 5 iterations lets the next grow by 1.5 (never beyond
1 / ``initial_increments``: that many increments per stage at least), one that took >= 8 halves
the next (Stewart & Anand's rule, GUIDE §7, with bounds that suit a quadratically converging
Newton from 1e-8 relative tolerance). Below ``min_step`` the stage fails with
:class:`~swellfem.physics.solver.SolverError`.

Accuracy of the load path: the plastic laws are integrated by backward Euler per increment,
first order in the increment on non-proportional paths (a porous carbon pushed by a swelling
core: 4 % in its stresses with 10 increments per stage, 1 % with 40). An increment whose largest
equivalent plastic strain increment in a path-sensitive law (the porous carbon; J2's radial
return is exact on proportional paths and its results changed < 0.3 % from 2 to 40 increments
in the ZnSe case) exceeds 1.5 ``max_plastic_increment`` is undone and retaken smaller, and every
next increment is sized so that its plastic strain, extrapolated linearly from the last one's,
stays within ``max_plastic_increment`` (also when the last one stayed below it: growing by 1.5
from just below the limit overshot 1.5 times it, and every other increment was retaken).

Convergence: the residual norm (free dofs, N = MPa nm^2) falls below ``rtol`` times the first
residual of the increment or below ``atol`` times the largest first residual seen (the load
scale of the problem).
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class NewtonOptions:
    """Tolerances and the increment rule."""

    initial_increments: int = 1  # per stage, before cuts and growth
    rtol: float = 1e-8
    atol: float = 1e-10  # relative to the load scale (plastic contact of several bodies stalls near 2e-11)
    max_iterations: int = 12
    min_step: float = 1.0 / 4096  # of a stage
    grow: float = 1.5
    easy_iterations: int = 5
    hard_iterations: int = 8
    backtracks: int = 6  # halvings of a correction that inverts elements
    line_search: int = 4  # halvings of a correction that does not lower the residual
    predictor: bool = True  # an increment starts from the last one's displacement, extrapolated
    #: the largest equivalent plastic strain one increment may add at a point (None: no limit)
    max_plastic_increment: float | None = 0.05


class NewtonFailure(RuntimeError):
    """An increment did not converge."""


@dataclasses.dataclass
class IncrementRecord:
    """One accepted increment: its end point a in [0, 1], Newton iterations, residual norms."""

    end: float
    iterations: int
    residuals: list[float]


@dataclasses.dataclass
class StageSolve:
    """What the increments of one stage took."""

    increments: list[IncrementRecord] = dataclasses.field(default_factory=list)
    cutbacks: int = 0
    linear_iterations: int = 0

    @property
    def newton_iterations(self) -> int:
        return sum(r.iterations for r in self.increments)


def newton(evaluate, residual_norm, correct, options: NewtonOptions, load_scale: float,
           backtrack=None, reference: float = 0.0) -> tuple[int, list[float]]:
    """Iterate ``correct()`` (one linear solve and update) until the residual converges.

    ``evaluate()`` updates the laws at the current displacement (may raise
    :class:`~swellfem.physics.laws.InvertedElementError`); ``residual_norm()`` assembles the
    residual and returns its norm. A correction that inverts elements is shortened by halves
    (``backtrack(fraction)`` takes that fraction of it back), at most ``options.backtracks``
    times; one whose residual norm is not below (1 - 1e-4 length) times the last is halved at
    most ``options.line_search`` times (the shortest is kept). Converged: the residual below
    ``options.rtol`` times the first one (or times ``reference``, when larger: the residual of the load this solve refines) or below
    ``options.atol`` of the load scale. Returns (iterations, residual norms); raises
    :class:`NewtonFailure`."""
    from .laws import InvertedElementError

    history: list[float] = []
    for k in range(options.max_iterations + 1):
        length = 1.0
        while True:
            for _ in range(options.backtracks + 1):
                try:
                    evaluate()
                    break
                except InvertedElementError:
                    if k == 0 or backtrack is None or length < 2.0 ** -options.backtracks:
                        raise
                    backtrack(0.5 * length)
                    length *= 0.5
            else:
                raise NewtonFailure("corrections invert elements even when shortened")
            norm = residual_norm()
            # line search: a correction that does not lower the residual is shortened by halves
            # (Armijo on the residual norm), at most options.line_search times
            if (k == 0 or backtrack is None or length <= 2.0 ** -options.line_search
                    or norm <= (1.0 - 1e-4 * length) * history[-1]):
                break
            backtrack(0.5 * length)
            length *= 0.5
        history.append(norm)
        if not np.isfinite(norm):
            raise NewtonFailure(f"residual is {norm} after {k} iterations")
        first = history[0]
        if norm <= options.rtol * max(first, reference) or norm <= options.atol * max(load_scale, first):
            return k, history
        if k >= 3 and norm > 1e3 * first:
            raise NewtonFailure(f"diverging (residual {norm:.3g} from {first:.3g})")
        if k == options.max_iterations:
            break
        correct()
    raise NewtonFailure(f"no convergence in {options.max_iterations} iterations "
                        f"(residual {history[-1]:.3g} from {history[0]:.3g})")
