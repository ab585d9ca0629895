"""Particles in a cage (issue 13: particles per cage) before any solve: the even arrangement
against its definition, sizing by void fraction, impossible cages as one-line errors, and the
physical groups of the void's walls (one per region) in both formulations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from swellfem.case import CaseError
from swellfem.case.loading import case_from_data

from test_shape_building import physical_names


def cage(formulation="axisymmetric", **geometry):
    particles = {"name": "Bi", "material": "Bi", "radius": "10 nm", "count": 2}
    particles.update(geometry.pop("particles", {}))
    geo = {"type": "particles-in-cage", "name": "cage", "material": "CNF", "thickness": "3 nm",
           "inner_radius": "25 nm", "particles": particles}
    geo.update(geometry)
    return {"name": "c", "geometry": geo, "model": {"formulation": formulation}, "mesh": {"size": "4 nm"},
            "stages": {"mode": "uniform", "soc": [0.1]}}


@pytest.mark.parametrize("count", [2, 3, 4, 6, 8, 12])
def test_an_even_arrangement_touches_its_neighbours_as_it_touches_the_cage(count):
    """Every particle at one distance d from the centre; a particle swollen to radius b - d (it
    touches the cage) also touches its nearest neighbours, and none comes nearer."""
    geo = case_from_data(cage("3d", particles={"count": count, "radius": "4 nm"})).geometry
    c = np.array(geo.centres)
    b = geo.cavity_radius_nm
    d = np.linalg.norm(c, axis=1)
    assert np.allclose(d, d[0], rtol=1e-12)
    reach = b - d[0]  # the free radius at which it touches the cage
    distances = np.linalg.norm(c[:, None] - c[None], axis=2)[~np.eye(count, dtype=bool)]
    assert distances.min() == pytest.approx(2 * reach, rel=1e-12)
    assert geo.region_names == ["cage", *[f"Bi[{k}]" for k in range(count)]]
    assert geo.interfaces == []
    assert geo.voids == {"void": ["cage", *geo.particle_names]}
    assert [p for p, _, master in geo.contact_pairs if master == "cage"] == [f"Bi[{k}]|cage" for k in range(count)]
    # the neighbour pairs: the nearest ones at least, never one particle against itself
    nearest = sum(1 for x in distances if x <= distances.min() * (1 + 1e-9)) // 2
    touching = [p for p, slave, master in geo.contact_pairs if master != "cage"]
    assert len(touching) >= nearest and all(slave != master for _, slave, master in geo.contact_pairs)


def test_the_void_fraction_sizes_the_cage_and_one_particle_sits_at_its_centre():
    geo = case_from_data(cage(inner_radius=None, void_fraction=0.8)).geometry
    assert geo.cavity_radius_nm == pytest.approx(10 * (2 / 0.2) ** (1 / 3), rel=1e-12)
    assert geo.initial_void_fraction == pytest.approx(0.8, rel=1e-12)
    one = case_from_data(cage(particles={"count": 1})).geometry
    assert one.centres == [(0.0, 0.0, 0.0)] and one.formulations == ("axisymmetric", "3d")
    assert one.contact_pairs == [("Bi[0]|cage", "Bi[0]", "cage")]
    assert case_from_data(cage("3d", particles={"count": 3})).geometry.formulations == ("3d",)


@pytest.mark.parametrize("data, key, words", [
    (cage(inner_radius=None, void_fraction=0.7), "geometry", "need a cage of inner radius above 20 nm (void fraction above 0.75)"),
    (cage(particles={"count": None, "positions": [["0 nm", "0 nm", "10 nm"], ["0 nm", "0 nm", "-9 nm"]]}), "geometry",
     "particles 0 and 1 overlap or touch"),
    (cage(void_fraction=0.8), "geometry", "inner_radius or its void_fraction"),
    (cage("3d", particles={"count": 5}), "geometry", "even arrangement is defined for"),
    (cage("3d", particles={"count": None, "volume_fraction": 0.2}), "geometry", "placed by positions or count"),
    (cage(particles={"count": None, "positions": [["0 nm", "0 nm", "16 nm"]]}), "geometry",
     "does not fit in the cage of inner radius 25 nm"),
    (cage(particles={"count": 3}), "model.formulation", "works in: 3d"),
    (cage(name="Bi"), "geometry", "name 'Bi' is used twice"),
])
def test_impossible_cages_are_one_line_validation_errors(data, key, words):
    with pytest.raises(CaseError) as err:
        case_from_data(data, source="case.toml")
    text = str(err.value)
    assert key in text and words in text and "\n" not in text, text


@pytest.mark.parametrize("formulation, count", [("axisymmetric", 2), ("3d", 4)])
def test_the_void_has_one_wall_per_region_and_every_body_its_support(formulation, count, tmp_path):
    from swellfem.geometry import cached_mesh, mesh_request, shape_of

    data = cage(formulation, particles={"count": count, "radius": "8 nm"}, inner_radius="20 nm")
    data["mesh"] = {"size": "4 nm", "interface_size": "2 nm"}
    case = case_from_data(data)
    counts = physical_names(cached_mesh(mesh_request(case), tmp_path))
    names = ["cage", "surface", "contact:void:cage", *[f"Bi[{k}]" for k in range(count)],
             *[f"contact:void:Bi[{k}]" for k in range(count)]]
    for name in names:
        assert counts.get(name, 0) > 0, (name, counts)
    assert not any(name.startswith("interface:") for name in counts)
    shape = shape_of(case.geometry)
    assert [b.regions for b in shape.bodies] == [(f"Bi[{k}]",) for k in range(count)] + [("cage",)]
    assert [b.free for b in shape.bodies] == [True] * count + [False]
    pairs = shape.contact_pair_surfaces
    surfaces = shape.contact_surfaces
    for pair, slave, master in case.geometry.contact_pairs:
        assert (surfaces[pairs[pair][0]].region, surfaces[pairs[pair][1]].region) == (slave, master)
    assert math.isclose(sum(len(shape.voids[v]) for v in shape.voids), count + 1)
