"""pyvista views of run fields, rendered off-screen."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import swellfem_cli


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("view")
    out = {}
    # 3D: uniform stages (a shrinking-core front would refine the 3D mesh a lot)
    for formulation, mode in (("axisymmetric", "shrinking-core"), ("3d-octant", "uniform")):
        d = base / formulation
        res = swellfem_cli("run", "cases/znse/znse_inmc_orgo.toml", "-o", str(d), "-q",
                           "--set", f'model.formulation="{formulation}"', "--set", "stages.soc=[0.4, 1.0]",
                           "--set", f'stages.mode="{mode}"',
                           "--set", 'mesh.size="12 nm"', "--set", 'mesh.interface_size="2.5 nm"',
                           "--set", "mesh.min_elements_across_layer=2")
        assert res.returncode == 0, res.stderr
        out[formulation] = d
    d = base / "plastic"  # finite strain, a yielding core, the carbons as they are: plastic strain, J, porosity
    res = swellfem_cli("run", "cases/znse/znse_inmc_orgo.toml", "-o", str(d), "-q", "--set", "model.kinematics=finite",
                       "--set", 'materials.ZnSe.yield_strength="1 GPa"', "--set", "stages.soc=[0.5]",
                       "--set", 'materials.i-NMC.law="porous"', "--set", 'materials.i-NMC.tensile_strength="62 MPa"',
                       "--set", 'materials.o-rGO.law="transverse"',
                       "--set", 'mesh.size="12 nm"', "--set", 'mesh.interface_size="2.5 nm"',
                       "--set", "mesh.min_elements_across_layer=2")
    assert res.returncode == 0, res.stderr
    out["plastic"] = d
    return out


def _image(path):
    import matplotlib.image as mpimg

    return mpimg.imread(path)[..., :3]


def _assert_not_blank(img):
    assert np.mean(np.any(img < 0.95, axis=-1)) > 0.05
    assert img.std() > 0.05


@pytest.mark.parametrize("field", ["von_mises", "hydrostatic", "principal_max", "sigma_zz", "displacement",
                                   "potassiation"])
def test_cli_writes_png_of_asked_size(runs, tmp_path, field):
    png = tmp_path / f"{field}.png"
    res = swellfem_cli("view", str(runs["axisymmetric"]), "--field", field, "--stage", "0", "--screenshot", str(png),
                       "--size", "640x480", env={"DISPLAY": ""})
    assert res.returncode == 0, res.stderr
    img = _image(png)
    assert img.shape[:2] == (480, 640)
    _assert_not_blank(img)


@pytest.mark.parametrize("field", ["plastic_strain", "J", "porosity", "sheet_strain"])
def test_plastic_strain_volume_ratio_and_carbon_fields(runs, tmp_path, field):
    import pyvista as pv

    grid = pv.get_reader(str(runs["plastic"] / "fields" / "fields.pvd")).read()[0]
    epbar = np.asarray(grid["equivalent_plastic_strain"])
    assert epbar.max() > 0.01 and epbar.min() >= 0.0  # the front region of the core flows
    assert np.asarray(grid["J"]).max() > 1.5  # the potassiated shell of the core has swollen
    porosity, sheet = np.asarray(grid["porosity"]), np.asarray(grid["sheet_strain"])
    inmc = np.isfinite(porosity)  # only the porous carbon has a porosity
    assert 0.05 < inmc.mean() < 0.95 and porosity[inmc].min() < 0.49 and porosity[inmc].max() < 1.0
    assert np.nanmax(sheet) > 0.01 and np.isnan(sheet).any()
    png = tmp_path / f"{field}.png"
    res = swellfem_cli("view", str(runs["plastic"]), "--field", field, "--warp", "1", "--screenshot", str(png),
                       "--size", "480x360", env={"DISPLAY": ""})
    assert res.returncode == 0, res.stderr
    _assert_not_blank(_image(png))


def test_stage_and_field_drawn_are_the_asked_ones(runs):
    import pyvista as pv

    from swellfem.view import plot_fields

    reader = pv.get_reader(str(runs["axisymmetric"] / "fields" / "fields.pvd"))
    for stage in (0, 1):
        for field, array in (("hydrostatic", "hydrostatic_MPa"), ("sigma_zz", "sigma_zz_MPa")):
            plotter = plot_fields(runs["axisymmetric"], stage=stage, field=field, off_screen=True)
            reader.set_active_time_value(reader.time_values[stage])
            data = np.asarray(reader.read()[0].point_data[array])
            drawn = plotter._swellfem["mesh"]
            assert plotter._swellfem["scalars"] == array
            assert np.asarray(drawn.point_data[array]).min() == pytest.approx(data.min())
            assert np.asarray(drawn.point_data[array]).max() == pytest.approx(data.max())
            m = np.abs(data).max()  # stresses diverge about zero
            assert tuple(plotter._swellfem["actor"].mapper.scalar_range) == pytest.approx((-m, m))
            assert f"stage {stage}: SOC {[0.4, 1.0][stage]:.2f}" in plotter._swellfem["title"]
            plotter.close()
    a = plot_fields(runs["axisymmetric"], stage=0, field="hydrostatic", off_screen=True).screenshot(None)
    b = plot_fields(runs["axisymmetric"], stage=1, field="hydrostatic", off_screen=True).screenshot(None)
    assert np.abs(a.astype(float) - b.astype(float)).mean() > 1.0


def test_regions_clip_and_warp_in_3d(runs, tmp_path):
    from swellfem.view import plot_fields

    full = plot_fields(runs["3d-octant"], field="von_mises", off_screen=True)
    only_core = plot_fields(runs["3d-octant"], field="von_mises", regions=["ZnSe"], off_screen=True)
    mesh = lambda p: p._swellfem["mesh"]  # noqa: E731
    assert mesh(only_core).n_cells < mesh(full).n_cells
    assert mesh(only_core).bounds[1] <= 50.0 + 1e-6
    clipped = plot_fields(runs["3d-octant"], field="von_mises", clip="z", off_screen=True)
    assert mesh(clipped).n_cells != mesh(full).n_cells
    warped = plot_fields(runs["3d-octant"], field="displacement", warp=1.0, off_screen=True)
    assert mesh(warped).bounds[1] > mesh(full).bounds[1] + 1.0  # the particle grows
    png = tmp_path / "w.png"
    res = swellfem_cli("view", str(runs["3d-octant"]), "--field", "displacement", "--warp", "1", "--hide", "o-rGO",
                       "--screenshot", str(png), env={"DISPLAY": ""})
    assert res.returncode == 0, res.stderr
    _assert_not_blank(_image(png))


def test_view_errors_are_one_line(runs, tmp_path):
    res = swellfem_cli("view", str(runs["axisymmetric"]), "--stage", "7")
    assert res.returncode == 2 and "stage 7 does not exist" in res.stderr and "Traceback" not in res.stderr
    res = swellfem_cli("view", str(runs["axisymmetric"]), "--regions", "ZnS")
    assert res.returncode == 2 and "unknown region 'ZnS'" in res.stderr
    res = swellfem_cli("view", str(tmp_path))
    assert res.returncode == 2 and "not a swellfem result" in res.stderr and "no summary.json" in res.stderr
