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


def test_clip_mirrors_an_octant_to_the_whole_body(runs):
    """--clip on a 3d-octant result cuts the whole (mirrored) body: a clean half, the cut at the plane."""
    from swellfem.view import ViewError, plot_fields

    mesh = lambda p: p._swellfem["mesh"]  # noqa: E731
    octant = plot_fields(runs["3d-octant"], field="von_mises", off_screen=True)
    n_octant, radius = mesh(octant).n_cells, mesh(octant).bounds[1]  # unclipped: drawn as the octant
    assert octant._swellfem["octant"] and min(mesh(octant).bounds[::2]) > -1e-6 and radius == pytest.approx(70.0)
    tol = 1e-6 * radius

    half = mesh(plot_fields(runs["3d-octant"], field="von_mises", clip="z", off_screen=True))
    assert half.bounds == pytest.approx((-radius, radius, -radius, radius, -radius, 0.0), abs=tol)
    assert np.asarray(half.points)[:, 2].max() <= tol  # nothing on the wrong side
    assert np.asarray(half.cell_centers().points)[:, 2].max() < 0.0
    # z = 0 is a symmetry plane: the four mirror copies below it whole, no cell cut, no sliver
    assert half.n_cells == 4 * n_octant
    assert np.abs(np.asarray(half.compute_cell_sizes(length=False, area=False).cell_data["Volume"])).sum() \
        == pytest.approx(2.0 / 3.0 * np.pi * radius**3, rel=0.01)

    moved = plot_fields(runs["3d-octant"], clip="z", clip_origin=(0, 0, 30), off_screen=True)  # the plane moves up
    assert moved._swellfem["clip_origin"] == (0.0, 0.0, 30.0) and "cut at z = 30 nm" in moved._swellfem["title"]
    assert mesh(moved).bounds == pytest.approx((-radius, radius, -radius, radius, -radius, 30.0), abs=1e-3)
    assert mesh(moved).n_cells > 4 * n_octant
    y_cut = mesh(plot_fields(runs["3d-octant"], clip="y", clip_origin=(5, -20, 5), off_screen=True))
    assert y_cut.bounds[2:4] == pytest.approx((-radius, -20.0), abs=1e-3)
    assert y_cut.bounds[0] == pytest.approx(-y_cut.bounds[1]) and y_cut.bounds[1] < radius  # a chord of the ball
    assert y_cut.n_cells < 4 * n_octant

    warped = mesh(plot_fields(runs["3d-octant"], field="displacement", clip="z", warp=1.0, off_screen=True))
    assert warped.bounds[0] < -radius - 1.0 and warped.bounds[4] < -radius - 1.0  # mirrored copies grow too
    points, disp = np.asarray(warped.points), np.asarray(warped.point_data["displacement_nm"])
    assert np.all(np.sum(points * disp, axis=1) > -1e-6)  # the displacement points outward on every copy

    core = plot_fields(runs["3d-octant"], clip="y", through="ZnSe", regions=["ZnSe"], off_screen=True)
    assert core._swellfem["clip_origin"] == pytest.approx((0.0, 0.0, 0.0), abs=1e-6)  # the whole core's centroid
    assert mesh(core).bounds == pytest.approx((-50.0, 50.0, -50.0, 0.0, -50.0, 50.0), abs=1e-3)
    with pytest.raises(ViewError, match=r"unknown region 'Bi\[9\]'; regions: ZnSe, i-NMC, o-rGO$"):
        plot_fields(runs["3d-octant"], clip="y", through="Bi[9]", off_screen=True)
    with pytest.raises(ViewError, match="give one of them"):
        plot_fields(runs["3d-octant"], clip="y", through="ZnSe", clip_origin=(0, 0, 0), off_screen=True)
    with pytest.raises(ViewError, match="give --clip"):
        plot_fields(runs["3d-octant"], through="ZnSe", off_screen=True)
    with pytest.raises(ViewError, match="nothing of the shown regions"):
        plot_fields(runs["3d-octant"], clip="x", clip_origin=(-80, 0, 0), off_screen=True)


def test_region_centroid_of_an_octant_region_clear_of_a_symmetry_plane():
    """A region that reaches a symmetry plane is centred on it (it joins its mirror image);
    one clear of the plane keeps its own side (a particle of a rod away from the centre)."""
    import pyvista as pv

    from swellfem.view.render import clip_half, is_octant, mirror_octant, region_centroid

    grid = pv.ImageData(dimensions=(7, 5, 5)).cast_to_unstructured_grid().triangulate()  # [0,6]x[0,4]x[0,4]
    centres = np.asarray(grid.cell_centers().points)
    grid.cell_data["region"] = np.where(centres[:, 0] > 4.0, 2, 1)  # region 2: 4 <= x <= 6
    grid.point_data["displacement_nm"] = np.asarray(grid.points) * 0.1
    assert is_octant(grid)
    assert region_centroid(grid, 2, octant=True) == pytest.approx((5.0, 0.0, 0.0))
    assert region_centroid(grid, 2, octant=False) == pytest.approx((5.0, 2.0, 2.0))
    assert region_centroid(grid, 1, octant=True) == pytest.approx((0.0, 0.0, 0.0))
    assert region_centroid(grid, 3) is None
    whole = mirror_octant(grid)
    assert whole.n_cells == 8 * grid.n_cells and whole.bounds == pytest.approx((-6, 6, -4, 4, -4, 4))
    volumes = np.asarray(whole.compute_cell_sizes(length=False, area=False).cell_data["Volume"])
    assert volumes.min() > 0 and volumes.sum() == pytest.approx(12 * 8 * 8)  # mirrored cells right side out
    disp = np.asarray(whole.point_data["displacement_nm"])
    assert disp == pytest.approx(np.asarray(whole.points) * 0.1)  # the mirrored components flipped
    cut = clip_half(whole, "x", (5.0, 0.0, 0.0))  # through region 2's cells: whole cells and cut ones
    assert cut.bounds == pytest.approx((-6, 5, -4, 4, -4, 4))
    assert np.abs(np.asarray(cut.compute_cell_sizes(length=False, area=False).cell_data["Volume"])).sum() \
        == pytest.approx(11 * 8 * 8)


def test_cli_clip_at_and_through(runs, tmp_path):
    for name, options in (("at", ["--clip", "z", "--clip-at", "0,0,30"]), ("through", ["--clip", "y", "--through",
                                                                                       "ZnSe", "--warp", "1"])):
        png = tmp_path / f"{name}.png"
        res = swellfem_cli("view", str(runs["3d-octant"]), *options, "--screenshot", str(png), "--size", "480x360",
                           env={"DISPLAY": ""})
        assert res.returncode == 0, res.stderr
        img = _image(png)
        assert img.shape[:2] == (360, 480)
        _assert_not_blank(img)
    for options, message in ((["--clip", "y", "--through", "Bi[9]"], "unknown region 'Bi[9]'; regions: ZnSe"),
                             (["--clip", "z", "--clip-at", "0,30"], "--clip-at '0,30': expected X,Y,Z"),
                             (["--through", "ZnSe"], "give --clip x|y|z too")):
        res = swellfem_cli("view", str(runs["3d-octant"]), *options, env={"DISPLAY": ""})
        assert res.returncode == 2 and message in res.stderr, res.stderr
        assert len(res.stderr.strip().splitlines()) == 1
    res = swellfem_cli("view", str(runs["3d-octant"]), "--clip", "y", "--through", "ZnSe", "--clip-at", "0,0,0")
    assert res.returncode == 2 and "Traceback" not in res.stderr  # argparse: the usage, then the error
    assert "--clip-at: not allowed with argument --through" in res.stderr.strip().splitlines()[-1]


def test_region_names_come_from_case_regions(runs, tmp_path):
    """Results that record case.regions (every geometry) are read by it; case.layers is the fallback."""
    import json
    import shutil

    from swellfem.view import ViewError, plot_fields

    run = tmp_path / "run"
    shutil.copytree(runs["3d-octant"], run)
    summary = json.loads((run / "summary.json").read_text())
    del summary["case"]["layers"]
    summary["case"]["regions"] = [{"name": "Bi[0]", "material": "ZnSe", "role": "particle"},
                                  {"name": "coat", "material": "i-NMC", "role": "shell"},
                                  {"name": "wrap", "material": "o-rGO", "role": "shell"}]
    (run / "summary.json").write_text(json.dumps(summary))
    core = plot_fields(run, regions=["Bi[0]"], clip="x", through="Bi[0]", off_screen=True)
    assert core._swellfem["regions"] == ["Bi[0]"]
    assert core._swellfem["mesh"].bounds == pytest.approx((-50.0, 0.0, -50.0, 50.0, -50.0, 50.0), abs=1e-3)
    assert plot_fields(run, hide=["coat", "wrap"], off_screen=True)._swellfem["mesh"].n_cells \
        == plot_fields(runs["3d-octant"], regions=["ZnSe"], off_screen=True)._swellfem["mesh"].n_cells
    with pytest.raises(ViewError, match=r"unknown region 'ZnSe'; regions: Bi\[0\], coat, wrap$"):
        plot_fields(run, regions=["ZnSe"], off_screen=True)
    del summary["case"]["regions"]  # neither regions nor layers: not swellfem's
    (run / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(ViewError, match="not a swellfem result"):
        plot_fields(run, off_screen=True)
