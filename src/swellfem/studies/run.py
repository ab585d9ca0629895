"""One case end to end: validated case -> mesh -> physics -> stages -> results -> OUTDIR."""

from __future__ import annotations

import platform
import time
from pathlib import Path

from .. import __version__, interrupt
from ..case import Case, mesh_interface_size
from ..case.schema import applied_defaults, mesh_front_size
from ..case.shapes import SPHERICAL_1D
from ..formatting import soc_text
from ..geometry import mesh_request
from ..potassiation import planned_fronts
from ..results import atomic_directory, format_region_table, write_json


#: Swelling strain above which small-strain results are flagged (a linear stretch of 5 %).
SMALL_STRAIN_LIMIT = 0.05


def swelling_strain_max(case: Case) -> float:
    """The largest isotropic swelling strain e(theta) any region reaches in the case's stages."""
    from ..physics.eigenstrain import eigenstrain_numpy

    mats = case.resolved_materials()
    soc = max(case.stages.soc)
    return max(abs(float(eigenstrain_numpy(soc, mats[m].volumetric_expansion, case.model.eigenstrain_convention)))
               for m in case.geometry.region_materials.values())


def mesh_spec(case: Case):
    """The mesh request of ``case``; shrinking-core fronts get their own refinement."""
    fronts = planned_fronts(case)
    front_size = 0.0
    if fronts:
        front_size = min(mesh_front_size(case)[0], mesh_interface_size(case))
    return mesh_request(case, front_radii_nm=tuple(sorted(set(fronts))), front_size_nm=front_size)


def region_materials(case: Case) -> dict:
    """What the physics needs of each region's material (:class:`~swellfem.physics.RegionMaterial`)."""
    from ..physics import RegionMaterial

    mats = case.resolved_materials()
    return {
        region: RegionMaterial(
            E_MPa=mats[material].E_MPa,
            nu=mats[material].nu,
            volumetric_expansion=mats[material].volumetric_expansion,
            active=mats[material].role == "active",
            law=mats[material].law,
            yield_strength_MPa=mats[material].yield_strength_MPa,
            hardening_modulus_MPa=mats[material].hardening_modulus_MPa,
            E_potassiated_MPa=mats[material].E_potassiated_MPa,
            yield_strength_potassiated_MPa=mats[material].yield_strength_potassiated_MPa,
            parameters=dict(mats[material].parameters),
        )
        for region, material in case.geometry.region_materials.items()
    }


def contact_summary(problem, soc_before: float, soc: float) -> dict:
    """Per contact pair of the solved stage: the problem's measures, and where a void closed
    in this stage the SOC of the onset (estimate and the bracket of the closing increment)."""
    out = problem.contact_measures()
    for name, (opened, closed, estimate) in problem.contact_onset.items():
        at = [soc_before + a * (soc - soc_before) for a in (opened, closed, estimate)]
        out[name]["onset_soc"] = at[2]
        out[name]["onset_bracket_soc"] = at[:2]
    return out


def build_problem(case: Case, comm=None, timing: dict | None = None):
    """The mesh of ``case`` (meshed or from the cache) and its mechanics problem; the seconds
    each took go into ``timing`` (``mesh_s``, ``setup_s``)."""
    from .._backend import MPI
    from ..physics import MechanicsProblem, NewtonOptions, load_mesh

    comm = comm if comm is not None else MPI.COMM_WORLD
    timing = timing if timing is not None else {}
    t0 = time.perf_counter()
    loaded = load_mesh(mesh_spec(case), comm)
    timing["mesh_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    problem = MechanicsProblem(
        loaded, region_materials(case), case.model.eigenstrain_convention, case.model.element_degree,
        case.model.solver, kinematics=case.model.kinematics, stress_tolerance=case.model.stress_tolerance,
        newton_options=NewtonOptions(initial_increments=case.model.load_increments,
                                     max_plastic_increment=case.model.max_plastic_strain_increment),
    )
    timing["setup_s"] = time.perf_counter() - t0
    return problem


def _evaluator_inputs(case: Case) -> dict:
    """The failure data and probe lines every stage evaluator takes (see
    :class:`~swellfem.results.measures.StageEvaluator`)."""
    mats = case.resolved_materials()
    strengths = {region: (mats[m].tensile_strength_MPa, mats[m].fracture_strain)
                 for region, m in case.geometry.region_materials.items()}
    radii = case.geometry.region_radii
    toughness = {region: (mats[m].fracture_toughness_MPa_sqrt_m, radii[region])
                 for region, m in case.geometry.region_materials.items()
                 if mats[m].role == "active" and mats[m].fracture_toughness_MPa_sqrt_m and region in radii}
    return dict(axial_points_per_layer=case.output.axial_points_per_layer, strengths=strengths,
                adhesion=dict(case.adhesion_strength), toughness=toughness,
                lines=case.output.probe_lines(case.geometry), line_points=case.output.line_points)


def _mesh_setup(case: Case, comm, timing: dict, field_dir: Path | None):
    """Problem, stage driver, evaluator, field writer and the summary's ``mesh`` entry of a
    case solved on a gmsh mesh (axisymmetric, 3d-octant, 3d)."""
    from ..potassiation.stages import StageDriver
    from ..results.measures import StageEvaluator

    spec = mesh_spec(case)
    problem = build_problem(case, comm, timing)
    loaded = problem.loaded
    t0 = time.perf_counter()
    evaluator = StageEvaluator(problem, **_evaluator_inputs(case))
    driver = StageDriver(problem, case)
    writer = None
    if field_dir is not None and case.output.fields:
        from ..results.fields import FieldWriter

        writer = FieldWriter(problem, field_dir)
    timing["setup_s"] += time.perf_counter() - t0
    mesh = {
        "formulation": case.model.formulation,
        "cells": loaded.num_cells_global(),
        "dofs": problem.num_dofs(),
        "element_degree": case.model.element_degree,
        "geometry_order": spec.geometry_order,
        "interface_size_nm": spec.interface_size_nm,
        "size_nm": spec.size_nm,
        "front_size_nm": spec.front_size_nm or None,
        "solver": problem.solver_kind,
        "linear_solver_rtol": problem.linear_solver.ksp_rtol if problem.solver_kind == "iterative" else None,
        "kinematics": case.model.kinematics,
        "path": "nonlinear (Newton, load increments)" if problem.nonlinear else "linear",
        "quadrature_degree": problem.quadrature_degree,
        "mpi_ranks": comm.size,
    }
    return problem, driver, evaluator, writer, mesh


def _radial_setup(case: Case, comm, timing: dict, field_dir: Path | None):
    """The same for ``spherical-1d``: the radial problem on 1D elements (no gmsh mesh)."""
    from ..case.feasibility import radial_element_counts
    from ..physics import NewtonOptions
    from ..physics.radial import RadialLayer, RadialProblem
    from ..potassiation.radial import RadialStageDriver
    from ..results.radial import RadialEvaluator

    t0 = time.perf_counter()
    timing["mesh_s"] = 0.0
    geo = case.geometry
    materials = region_materials(case)
    layers = [RadialLayer(layer.name, r_in, r_out, materials[layer.name])
              for layer, r_in, r_out in zip(geo.layers, geo.inner_radii_nm, geo.outer_radii_nm) if not layer.void]
    counts = radial_element_counts(case)
    options = NewtonOptions(initial_increments=case.model.load_increments,
                            max_plastic_increment=case.model.max_plastic_strain_increment)
    problem = RadialProblem(layers, counts, kinematics=case.model.kinematics,
                            convention=case.model.eigenstrain_convention, options=options)
    evaluator = RadialEvaluator(problem, groups=dict(geo.region_groups), **_evaluator_inputs(case))
    driver = RadialStageDriver(problem, case)
    writer = None
    if field_dir is not None and case.output.fields and comm.rank == 0:  # every rank solves the same 1D problem
        from ..results.radial_fields import RadialFieldWriter

        writer = RadialFieldWriter(problem, field_dir)
    timing["setup_s"] = time.perf_counter() - t0
    mesh = {
        "formulation": case.model.formulation,
        "cells": problem.num_cells,
        "dofs": problem.num_dofs(),
        "element_degree": 2,
        "elements_per_layer": dict(zip(problem.region_names, counts)),
        "interface_size_nm": mesh_interface_size(case),
        "front_size_nm": mesh_front_size(case)[0] if case.stages.mode == "shrinking-core" else None,
        "solver": "banded direct",
        "linear_solver_rtol": None,
        "kinematics": case.model.kinematics,
        "path": "nonlinear (Newton, load increments)",
        "quadrature_degree": problem.quadrature_degree,
        "mpi_ranks": comm.size,
    }
    return problem, driver, evaluator, writer, mesh


def solve_case(case: Case, field_dir: Path | None = None, comm=None, log=print) -> dict:
    """Solve every stage of ``case``; returns the summary dict. Writes fields to ``field_dir``."""
    from .._backend import MPI
    from ..physics.mechanisms import unresolved_holds
    from ..physics.solver import SolverError

    comm = comm if comm is not None else MPI.COMM_WORLD
    timing = {}
    setup = _radial_setup if case.model.formulation == SPHERICAL_1D else _mesh_setup
    problem, driver, evaluator, writer, mesh = setup(case, comm, timing, field_dir)
    defaults = applied_defaults(case)
    if defaults:
        log(f"{case.name}: defaults applied: {'; '.join(defaults)}")
    strain = swelling_strain_max(case)
    if strain > SMALL_STRAIN_LIMIT and case.model.kinematics == "small":
        log(f"warning: {case.name}: small-strain linear elasticity with swelling strains up to {strain:.0%} "
            f"(above {SMALL_STRAIN_LIMIT:.0%}): the stresses measure the mismatch; no material carries them")
    log(f"{case.name}: {case.model.formulation}, {mesh['cells']} cells, {mesh['dofs']} dofs, {mesh['solver']} solver")
    stages = []
    soc_before = 0.0  # the stages start from the pristine particle
    solve_s = eval_s = 0.0
    t_stage = time.perf_counter()
    for info in driver.stages():
        interrupt.check()
        t0 = time.perf_counter()
        try:
            solved = problem.solve()
        except SolverError as exc:  # which stage did not reach its SOC
            raise SolverError(f"stage {info.index} (SOC {soc_text(soc_before)} -> {soc_text(info.soc)}) "
                              f"not solved: {exc}") from None
        solve_s += time.perf_counter() - t0
        t0 = time.perf_counter()
        result = evaluator.evaluate()
        if writer is not None:
            writer.write(info.index)
        eval_s += time.perf_counter() - t0
        stage = {**info.to_summary(), **result, "solver_iterations": solved.iterations,
                 "newton_iterations": solved.newton_iterations, "load_increments": solved.load_increments,
                 "load_cutbacks": solved.cutbacks}
        if problem.contacts:
            stage["contact"] = contact_summary(problem, soc_before, info.soc)
        if problem.held_motions is not None:  # what holds the free bodies' rigid motions
            stage["free_bodies"] = problem.held_motions.measures()
            unresolved = unresolved_holds(stage["free_bodies"], stage.get("contact", {}))
            if unresolved:  # the hold, not the contact, would set this result
                raise SolverError(f"stage {info.index} (SOC {soc_text(soc_before)} -> {soc_text(info.soc)}) "
                                  f"has no valid result: {unresolved}")
        soc_before = info.soc
        stages.append(stage)
        core = next(iter(result["regions"]))
        log(
            f"  stage {info.index} ({info.mode}, SOC {soc_text(info.soc)}): {core} von Mises max "
            f"{result['regions'][core]['von_mises_max_MPa']:.1f} MPa, principal max "
            f"{result['regions'][core]['principal_max_MPa']:.1f} MPa"
        )
    timing["stages_s"] = time.perf_counter() - t_stage
    timing["solve_s"] = solve_s
    timing["evaluate_and_write_s"] = eval_s
    if writer is not None:
        writer.close()
    summary = {
        "swellfem_version": __version__,
        "case": case.summary(),
        "mesh": mesh,
        "stages": stages,
        "timing_s": timing,
        "platform": {"python": platform.python_version(), "dolfinx": _dolfinx_version()},
    }
    problem.destroy()
    return summary


def _dolfinx_version() -> str:
    import dolfinx

    return dolfinx.__version__


def run_case(case: Case, outdir: Path, source: str | None = None, log=print, overwrite: bool = False) -> dict:
    """Solve ``case`` and write OUTDIR (summary.json, fields/, table.txt) all or nothing;
    an earlier result there is replaced only with ``overwrite`` (see :mod:`swellfem.results.files`)."""
    from .._backend import MPI

    comm = MPI.COMM_WORLD
    t0 = time.perf_counter()
    with atomic_directory(outdir, comm, kind="run", overwrite=overwrite) as tmp:
        summary = solve_case(case, field_dir=tmp / "fields", comm=comm, log=log if comm.rank == 0 else _quiet)
        summary["case"]["source_file"] = str(source) if source else None
        summary["timing_s"]["total_s"] = time.perf_counter() - t0
        if comm.rank == 0:
            write_json(tmp / "summary.json", summary)
            (tmp / "table.txt").write_text(format_region_table(summary) + "\n", encoding="utf-8")
    return summary


def _quiet(*_args, **_kwargs) -> None:
    pass
