"""Case files: units, schema, overrides, material library; no dolfinx involved."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from swellfem.case import CaseError, load_case, mesh_interface_size, parse_override
from swellfem.case.materials import library
from swellfem.case.units import UnitError, to_internal

from conftest import CASES


def test_case_model_does_not_import_dolfinx():
    code = "import sys, swellfem.case, swellfem.case.materials, swellfem.geometry, swellfem.potassiation, swellfem.results, swellfem.studies.sweep, swellfem.studies.comparison; print('dolfinx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    "text, kind, expected",
    [("50 nm", "length", 50.0), ("0.05 um", "length", 50.0), ("5e-8 m", "length", 50.0),
     ("67.2 GPa", "pressure", 67200.0), ("1e-18 m^2/s", "diffusivity", 1.0), ("1 h", "time", 3600.0)],
)
def test_units_convert_to_internal(text, kind, expected):
    assert to_internal(text, kind) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("value", ["50", 50, "50 GPa", "50 parsecs per fortnight", "nm nm nm ("])
def test_units_refuse_missing_or_wrong_units(value):
    with pytest.raises(UnitError):
        to_internal(value, "length")


def test_verification_case_resolves(lame_case):
    case = load_case(lame_case)
    assert case.geometry.outer_radii_nm == [50.0, 65.0, 75.0]
    mats = case.resolved_materials()
    assert mats["ZnSe"].E_GPa == pytest.approx(67.2)
    assert mats["outer-swelling"].volumetric_expansion == pytest.approx(0.05)
    # at least two layers carry eigenstrain, with different moduli everywhere
    betas = [mats[layer.material].volumetric_expansion for layer in case.geometry.layers]
    assert sum(b > 0 for b in betas) >= 2
    assert len({mats[layer.material].E_MPa for layer in case.geometry.layers}) == 3
    summary = case.summary()
    assert summary["eigenstrain_convention"] == "cube-root"
    assert [layer["outer_radius_nm"] for layer in summary["layers"]] == [50.0, 65.0, 75.0]
    assert set(summary["layers"][0]) >= {"name", "material", "outer_radius_nm", "E_GPa", "nu", "volumetric_expansion"}


def test_overrides_use_toml_values_and_list_indices(lame_case):
    case = load_case(
        lame_case,
        ["stages.soc=[0.25, 0.75]", 'geometry.layers.1.thickness="20 nm"', 'model.formulation="3d-octant"',
         'materials.ZnSe.E="70 GPa"'],
    )
    assert case.stages.soc == [0.25, 0.75]
    assert case.geometry.outer_radii_nm == [50.0, 70.0, 80.0]
    assert case.model.formulation == "3d-octant"
    zn = case.resolved_materials()["ZnSe"]
    assert zn.E_GPa == pytest.approx(70.0)
    assert zn.label("E") == "set in case file"


def test_override_without_equals_is_an_error(lame_case):
    with pytest.raises(CaseError, match="dotted.key=value"):
        load_case(lame_case, ["stages.soc"])
    assert parse_override("a.b=not toml at all") == (["a", "b"], "not toml at all")


def test_interface_size_respects_thinnest_layer(lame_case):
    case = load_case(lame_case, ['geometry.layers.2.thickness="2 nm"', "mesh.min_elements_across_layer=4"])
    assert mesh_interface_size(case) == pytest.approx(0.5)


def test_3d_with_direct_solver_is_refused(lame_case):
    with pytest.raises(CaseError, match="null space"):
        load_case(lame_case, ['model.formulation="3d"', 'model.solver="direct"'])
    # Newton's method (finite strain, plasticity, a void's contact) holds each body by a 3-2-1
    # support: a direct solve is possible there
    case = load_case(lame_case, ['model.formulation="3d"', 'model.solver="direct"', 'model.kinematics="finite"'])
    assert case.model.solver == "direct" and not case.solved_linearly()
    plastic = load_case(lame_case, ['model.formulation="3d"', 'model.solver="direct"',
                                    'materials.ZnSe.yield_strength="1 GPa"'])
    assert not plastic.solved_linearly()
    yolk = CASES / "verification" / "yolk_shell.toml"
    assert not load_case(yolk, ['model.formulation="3d"', 'model.solver="direct"']).solved_linearly()


def test_library_has_a_source_for_every_number():
    for m in library().values():
        for prop in ("E", "nu", "volumetric_expansion"):
            assert m.label(prop), (m.name, prop)
        assert m.E_MPa > 0 and -1 < m.nu < 0.5
    assert "assumption" in library()["i-NMC"].label("E")


def test_shipped_cases_validate():
    files = sorted(CASES.rglob("*.toml"))
    assert files
    import tomllib

    from swellfem.studies.comparison import load_variants

    for f in files:
        if f.parent.name in ("sweeps",):
            continue
        data = tomllib.loads(f.read_text())
        if "models" in data:  # a comparison: its spec and every model's case
            load_variants(f, [])
            continue
        if "parameters" in data:  # a sweep: its spec and every point's case
            from swellfem.studies.sweep import load_sweep

            load_sweep(f, [])
            continue
        load_case(f)


# --- law parameters (swellfem.case.laws) ------------------------------------------------------

_ORGO_CASE = Path(__file__).resolve().parents[2] / "cases" / "znse" / "znse_inmc_orgo.toml"
_SHELLS = ['materials.i-NMC.law="porous"', 'materials.o-rGO.law="transverse"']


@pytest.mark.parametrize("override, needle", [
    ("materials.i-NMC.slack_strain=0.1", "materials.i-NMC.slack_strain is a parameter of law 'transverse', not of 'porous'"),
    ("materials.i-NMC.porosity=0.95", "materials.i-NMC.porosity = 0.95 is out of range (> 0 and < 0.9)"),
    ('materials.i-NMC.compaction_strength="10 MPa"', "compaction_strength = 10 MPa must exceed yield_strength / 3"),
    ("materials.o-rGO.slack_stiffness_ratio=1.5", "slack_stiffness_ratio = 1.5 is out of range (> 0 and <= 1)"),
    ('materials.o-rGO.yield_strength="1 GPa"', "materials.o-rGO.yield_strength is not used by law 'transverse'"),
    ("materials.o-rGO.volumetric_expansion=0.1", "law 'transverse' swells by expansion_normal"),
    ("materials.o-rGO.nu_normal=0.45", "give no positive definite stiffness"),
])
def test_law_parameters_are_checked_with_the_key_named(override, needle):
    with pytest.raises(CaseError) as err:
        load_case(_ORGO_CASE, [*_SHELLS, override])
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_switching_the_law_drops_the_library_parameters_of_the_old_one():
    shells = load_case(_ORGO_CASE, _SHELLS).resolved_materials()
    assert shells["i-NMC"].parameters["porosity"] == 0.5 and shells["i-NMC"].yield_strength_MPa == 62.0
    assert shells["i-NMC"].parameters["densification_strength"] == 62.0  # default: the yield strength
    assert shells["o-rGO"].parameters["slack_stiffness_ratio"] == 1e-4
    dense = load_case(_ORGO_CASE).resolved_materials()  # the model file sets law = "isotropic"
    assert dense["i-NMC"].parameters == {} and dense["i-NMC"].yield_strength_MPa is None
    assert dense["o-rGO"].parameters == {}
