"""What every geometry schema tells before meshing, without gmsh or dolfinx (lengths nm).

Each shape model answers what the rest of swellfem asks of a geometry before meshing: its
regions (cell groups) and their materials, its interfaces, the formulations it supports, the
lengths that drive the mesh (extent, thinnest feature), each region's centre (radial and hoop
stresses are taken about it) and the probe lines sampled by default.
"""

from __future__ import annotations

from typing import ClassVar

from ..base import Strict

#: the formulations solved on a gmsh mesh
FORMULATIONS = ("axisymmetric", "3d-octant", "3d")
#: the radial problem of a spherically symmetric body on 1D elements (no mesh file)
SPHERICAL_1D = "spherical-1d"
STAGE_MODES = ("uniform", "shrinking-core", "diffusion")

Point3 = tuple[float, float, float]


class ShapeSchema(Strict):
    """What every geometry tells before meshing (lengths in nm)."""

    #: formulations the shape can be solved in (a property where it depends on the values)
    formulations: ClassVar[tuple[str, ...]] = FORMULATIONS
    #: potassiation stage modes it supports (fronts and diffusion are radial about a sphere's centre)
    stage_modes: ClassVar[tuple[str, ...]] = ("uniform",)

    @property
    def region_names(self) -> list[str]:
        """Cell regions (physical groups), in tag order."""
        raise NotImplementedError

    @property
    def region_materials(self) -> dict[str, str]:
        """Material name of each region."""
        raise NotImplementedError

    @property
    def material_keys(self) -> dict[str, str]:
        """The dotted case-file key that names each region's material (for error messages)."""
        raise NotImplementedError

    @property
    def interfaces(self) -> list[tuple[str, str]]:
        """(inner, outer) regions of each internal interface."""
        raise NotImplementedError

    @property
    def contact_pairs(self) -> list[tuple[str, str, str]]:
        """(pair name, slave region, master region) of every pair of regions that may come into
        frictionless contact across a void: the slave is the region inside the void (a yolk, a
        particle), the master the void's outer wall or another particle beside it. None by
        default."""
        return []

    @property
    def voids(self) -> dict[str, list[str]]:
        """Every void by name: the regions whose surfaces bound it. By default one void per
        contact pair, named after it, bounded by the pair's two regions."""
        return {pair: [inner, outer] for pair, inner, outer in self.contact_pairs}

    @property
    def pair_voids(self) -> dict[str, str]:
        """The void each contact pair lies across, by pair name (by default its own)."""
        return {pair: pair for pair, _, _ in self.contact_pairs}

    @property
    def extent_nm(self) -> float:
        """Largest distance of the body from its centre, nm."""
        raise NotImplementedError

    @property
    def thinnest_feature_nm(self) -> float:
        """The thinnest region (layer thickness, particle gap), nm: caps the element size at interfaces."""
        raise NotImplementedError

    def mesh_measures(self, formulation: str) -> tuple[float, float]:
        """(domain measure, refined-boundary measure) of the meshed domain of ``formulation``:
        area and curve length (nm^2, nm) of the meridian section in 2D-axisymmetric, volume and
        surface area (nm^3, nm^2) in 3D; they estimate the element count before meshing."""
        raise NotImplementedError

    @property
    def region_centres(self) -> dict[str, Point3]:
        """The point about which each region's radial and hoop stresses are taken, nm
        (a particle's own centre; the body's centre, the origin, by default)."""
        return {name: (0.0, 0.0, 0.0) for name in self.region_names}

    @property
    def region_radii(self) -> dict[str, float]:
        """A radius for the regions that are particles (nm): the size of the size-effect
        fracture indicator. Empty where no region is a particle."""
        return {}

    @property
    def region_groups(self) -> dict[str, list[str]]:
        """Groups of regions summarised together (e.g. every particle of a set), by group name."""
        return {}

    def default_edge_size_nm(self, interface_size_nm: float) -> float:
        """Element size at the shape's edges and corners when ``mesh.edge_size`` is not given,
        nm (0: no edges to refine)."""
        return 0.0

    def default_lines(self) -> list[tuple[str, Point3, Point3]]:
        """Probe lines sampled when the case names none: (name, from, to) in nm."""
        return []

    def describe(self) -> str:
        """One line that says what the geometry is (``swellfem validate``)."""
        raise NotImplementedError

    def summary(self) -> dict:
        """The geometry's own values, with units in the keys (``summary.json``)."""
        return {"type": getattr(self, "type", "")}

    def notes(self) -> list[str]:
        """What a user should know about results of this geometry (e.g. mesh-dependent corner peaks)."""
        return []


class LayeredShape(ShapeSchema):
    """A shape whose regions are its ``layers`` from the core outwards, each touching the next."""

    @property
    def layer_names(self) -> list[str]:
        return [layer.name for layer in self.layers]  # type: ignore[attr-defined]

    @property
    def region_names(self) -> list[str]:
        return self.layer_names

    @property
    def region_materials(self) -> dict[str, str]:
        return {layer.name: layer.material for layer in self.layers}  # type: ignore[attr-defined]

    @property
    def material_keys(self) -> dict[str, str]:
        return {layer.name: f"geometry.layers[{i}].material" for i, layer in enumerate(self.layers)}  # type: ignore[attr-defined]

    @property
    def interfaces(self) -> list[tuple[str, str]]:
        names = self.layer_names
        return list(zip(names[:-1], names[1:]))


def check_void_material(name: str, void: bool, material: str | None) -> None:
    """A layer is a void (no material) or solid (a material); raises ValueError otherwise."""
    if void and material is not None:
        raise ValueError(f"void layer '{name}' has no material (leave material out)")
    if not void and material is None:
        raise ValueError(f"layer '{name}' needs a material (or void = true for a gap)")


class VoidLayers(LayeredShape):
    """A layered shape some of whose layers may be ``void`` (a gap with no material, its name
    the contact pair across it). The regions are the solid layers; a void separates the layers
    on its two sides, which meet by frictionless contact when it closes."""

    def _check_voids(self) -> list[int]:
        """Where the voids are (indices into ``layers``); raises ValueError where one cannot be."""
        layers = self.layers  # type: ignore[attr-defined]
        voids = [i for i, layer in enumerate(layers) if layer.void]
        if voids and (voids[0] == 0 or voids[-1] == len(layers) - 1):
            raise ValueError("a void layer must lie between two solid layers")
        if any(b == a + 1 for a, b in zip(voids, voids[1:])):
            raise ValueError("two void layers follow each other: make them one")
        return voids

    @property
    def solid_layers(self) -> list:
        return [layer for layer in self.layers if not layer.void]  # type: ignore[attr-defined]

    @property
    def layer_names(self) -> list[str]:
        """The solid layers (the regions), from the core outwards."""
        return [layer.name for layer in self.solid_layers]

    @property
    def region_materials(self) -> dict[str, str]:
        return {layer.name: layer.material for layer in self.solid_layers}

    @property
    def material_keys(self) -> dict[str, str]:
        return {layer.name: f"geometry.layers[{i}].material"
                for i, layer in enumerate(self.layers) if not layer.void}  # type: ignore[attr-defined]

    @property
    def interfaces(self) -> list[tuple[str, str]]:
        """Bonded interfaces: neighbouring solid layers (a void separates instead)."""
        layers = self.layers  # type: ignore[attr-defined]
        return [(a.name, b.name) for a, b in zip(layers[:-1], layers[1:]) if not (a.void or b.void)]

    @property
    def contact_pairs(self) -> list[tuple[str, str, str]]:
        """(void name, the solid layer inside it, the solid layer outside it) of every void."""
        layers = self.layers  # type: ignore[attr-defined]
        return [(layer.name, layers[i - 1].name, layers[i + 1].name)
                for i, layer in enumerate(layers) if layer.void]

    @property
    def yolk_layers(self) -> list[str]:
        """The solid layers inside the first void (the yolk)."""
        layers = self.layers  # type: ignore[attr-defined]
        voids = [i for i, layer in enumerate(layers) if layer.void]
        return [layer.name for layer in layers[:voids[0]]] if voids else []

