"""Failure is never a result: Newton that cannot converge at the smallest increment raises a
one-line SolverError (exit 3, nothing written), and an inverted element (det F <= 0) is an error."""

from __future__ import annotations

import pytest

from swellfem.case import load_case

from conftest import CASES, swellfem_cli

LAME = CASES / "verification" / "lame_3layer.toml"
COARSE = ['mesh.size="15 nm"', 'mesh.interface_size="5 nm"', "mesh.min_elements_across_layer=1"]


def test_newton_failure_at_the_smallest_increment_is_an_error():
    from swellfem.physics import NewtonOptions, SolverError
    from swellfem.studies.run import build_problem

    case = load_case(LAME, ["model.kinematics=finite", *COARSE])
    problem = build_problem(case)
    problem.newton_options = NewtonOptions(max_iterations=1, min_step=0.25)  # cannot converge in one step
    problem.theta.x.array[:] = 1.0
    with pytest.raises(SolverError, match="smallest load increment"):
        problem.solve()
    problem.destroy()


def test_inverted_elements_are_an_error_not_a_result():
    from swellfem.physics import SolverError
    from swellfem.results.measures import StageEvaluator
    from swellfem.studies.run import build_problem

    case = load_case(LAME, COARSE)
    problem = build_problem(case)
    evaluator = StageEvaluator(problem)
    problem.u.interpolate(lambda x: -2.0 * x[:2])  # u = -2 x: F = -I in the meridian, det F < 0
    with pytest.raises(SolverError, match="inverted elements"):
        evaluator.evaluate()
    problem.destroy()


def test_a_failed_newton_solve_exits_3_and_writes_nothing(tmp_path):
    """Every linear solve fails (one Krylov iteration allowed): Newton cuts the increment down
    to the smallest one, then the run stops with one line on stderr, exit 3, no OUTDIR."""
    out = tmp_path / "run"
    settings = ["model.kinematics=finite", 'model.solver="iterative"', "output.fields=false", *COARSE]
    res = swellfem_cli("run", str(LAME), "-o", str(out), *sum((["--set", c] for c in settings), []),
                       env={"PETSC_OPTIONS": "-swellfem_elasticity_ksp_max_it 1"})
    assert res.returncode == 3, res.stderr
    assert "smallest load increment" in res.stderr and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert not out.exists()


def _scalar_newton(x0: float, options):
    """newton() on r(x) = arctan(x) (root 0) with its exact derivative: from |x0| > 1.39 plain
    Newton overshoots further at every step (the cycle a stiffening law makes in the FE solve)."""
    import math

    from swellfem.physics.newton import newton

    state = {"x": x0, "dx": 0.0}

    def correct():
        x = state["x"]
        state["dx"] = math.atan(x) * (1.0 + x * x)
        state["x"] = x - state["dx"]

    def backtrack(fraction):
        state["x"] += fraction * state["dx"]

    iterations, history = newton(lambda: None, lambda: abs(math.atan(state["x"])), correct, options,
                                 load_scale=1.0, backtrack=backtrack)
    return iterations, state["x"]


def test_the_line_search_converges_where_plain_newton_diverges():
    """A correction that does not lower the residual is halved (Armijo, up to 4 times): arctan
    from x0 = 3 converges to 1e-8 in a few iterations; without the line search it diverges. The
    ZnSe@i-NMC@o-rGO headline failed at SOC 0.97 without it (docs in physics/newton.py)."""
    from swellfem.physics.newton import NewtonFailure, NewtonOptions

    iterations, x = _scalar_newton(3.0, NewtonOptions(max_iterations=12))
    assert abs(x) < 1e-8 and iterations <= 8
    with pytest.raises(NewtonFailure):
        _scalar_newton(3.0, NewtonOptions(max_iterations=12, line_search=0))



COARSE_HEADLINE = ['mesh.size="10 nm"', 'mesh.interface_size="2.5 nm"', "stages.soc=[0.4, 1.0]"]


def _headline(*extra: str) -> dict:
    """ZnSe@i-NMC@o-rGO under the ZnSe comparison's headline variant (cases/znse/comparison.toml),
    with ``extra`` overrides, solved."""
    from swellfem.studies.comparison import load_variants
    from swellfem.studies.run import solve_case

    _, variants = load_variants(CASES / "znse" / "comparison.toml", list(extra))
    case = dict(variants[0].models)["ZnSe@i-NMC@o-rGO"]  # the headline variant comes first
    return solve_case(case, field_dir=None, log=lambda *a, **k: None)


def _per_increment(summary: dict) -> float:
    stages = summary["stages"]
    return sum(st["newton_iterations"] for st in stages) / sum(st["load_increments"] for st in stages)


def test_the_znse_headline_runs_through_within_5_newton_iterations_per_increment():
    """The main job's hardest model as `./run.sh znse` solves it: ZnSe@i-NMC@o-rGO under the
    headline variant (finite strain, J2 ZnSe, porous i-NMC, transverse rGO) on its default mesh
    (52 k dofs), all five stages, about 100 s. It failed at SOC 0.97 before Newton's line search
    (the comparison's CI test runs a coarse mesh, where it did not fail). Each increment starts
    from the last one's displacement, extrapolated (NewtonOptions.predictor), so Newton takes at
    most 5 iterations per increment on average (issue 14's target): measured 4.2, 6.0 without
    the predictor."""
    summary = _headline()
    assert [st["soc"] for st in summary["stages"]] == [0.2, 0.4, 0.6, 0.8, 1.0]
    assert _per_increment(summary) <= 5.0


@pytest.mark.slow
def test_the_znse_headline_load_path_is_converged():
    """The headline on a coarse mesh (10 nm, 2.5 nm at the interfaces, SOC 0.4 and 1), and again
    with a fifth of the plastic strain per increment (0.01 instead of 0.05, 124 increments
    instead of 28, about 90 s): the largest von Mises stresses of ZnSe and the rGO wrap at SOC 1
    agree within 1 % (measured 0.00 % and 0.08 %)."""
    default = _headline(*COARSE_HEADLINE)
    fine = _headline(*COARSE_HEADLINE, "model.max_plastic_strain_increment=0.01")
    for name in ("ZnSe", "o-rGO"):
        assert default["stages"][-1]["regions"][name]["von_mises_max_MPa"] == pytest.approx(
            fine["stages"][-1]["regions"][name]["von_mises_max_MPa"], rel=0.01)
