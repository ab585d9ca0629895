"""A user's own geometry: a gmsh ``.msh`` mesh or a STEP file (lengths nm).

``.msh``: used as it is (second-order cells are made if it is first order); its physical
groups of cells are named after the regions (extra groups are ignored), and it must hold its
boundary facets (gmsh's ``Mesh.SaveAll = 1``). A 2D mesh in the
x >= 0 half plane is an axisymmetric meridian (x = r, y = z); a 3D mesh is the full body, or an
octant if it has facet groups named ``symmetry-x``, ``symmetry-y`` and ``symmetry-z``.

STEP: each region names its solids by their number in the file (1 = the first, gmsh's import
order); swellfem fragments and meshes them like its own shapes. Where solids overlap, the
region listed first holds the overlap (list regions from the inside out: a particle, then the
coating drawn as a solid around it).

``length_unit`` is the length of one unit of the file's coordinates ("1 nm", "1 um"). The
regions touch as ``interfaces`` lists (default: each region touches the next); meshing checks
that they do. The path is relative to the case file.
"""

from __future__ import annotations

import hashlib
import math
import re
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from ..base import LengthNm, RegionName, Strict
from .base import ShapeSchema

SUFFIXES = (".msh", ".step", ".stp")
_STEP_POINT = re.compile(r"CARTESIAN_POINT\s*\(\s*'[^']*'\s*,\s*\(([^)]*)\)", re.IGNORECASE)


class MeshFileRegion(Strict):
    """A region of the file: its physical group (``.msh``) or solids (STEP), and material."""

    name: RegionName
    material: str
    solids: Annotated[list[Annotated[int, Field(ge=1)]], Field(min_length=1)] | None = None


class MeshFile(ShapeSchema):
    """A geometry read from a file: gmsh .msh or STEP."""

    type: Literal["mesh-file"]
    path: str
    length_unit: LengthNm = "1 nm"  # type: ignore[assignment]
    regions: Annotated[list[MeshFileRegion], Field(min_length=1)]
    interface_list: list[tuple[RegionName, RegionName]] | None = Field(default=None, alias="interfaces")

    @model_validator(mode="after")
    def _consistent(self) -> "MeshFile":
        path = Path(self.path)
        if path.suffix.lower() not in SUFFIXES:
            raise ValueError(f"{self.path}: not a gmsh .msh or STEP (.step, .stp) file")
        if not path.is_file():
            raise ValueError(f"{self.path}: no such file")
        names = [r.name for r in self.regions]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"region name '{name}' is used twice")
        step = self.is_step
        for r in self.regions:
            if step and r.solids is None:
                raise ValueError(f"region '{r.name}' of a STEP file needs solids = [numbers of its solids]")
            if not step and r.solids is not None:
                raise ValueError(f"region '{r.name}': solids are for STEP files; a .msh names regions by physical group")
        for a, b in self.interface_list or []:
            for n in (a, b):
                if n not in names:
                    raise ValueError(f"interface {a}|{b}: no region '{n}'")
        _ = self.file_facts  # reads the file: a broken one fails here
        return self

    @property
    def is_step(self) -> bool:
        return Path(self.path).suffix.lower() in (".step", ".stp")

    @cached_property
    def file_facts(self) -> dict:
        """What validation needs from the file: its sha256, dimension, extent (nm) and groups."""
        raw = Path(self.path).read_bytes()
        facts = {"sha256": hashlib.sha256(raw).hexdigest()}
        if self.is_step:
            text = raw.decode("latin-1")
            points = [[float(v) for v in m.group(1).split(",")] for m in _STEP_POINT.finditer(text)]
            if not points:
                raise ValueError(f"{self.path}: no geometry found (not a STEP file?)")
            facts.update(dim=3, extent=max(math.sqrt(sum(c * c for c in p)) for p in points) * self.length_unit,
                         groups=[], symmetric=False)
            return facts
        try:
            msh = read_msh_facts(raw)
        except (ValueError, IndexError) as exc:
            raise ValueError(f"{self.path}: cannot be read as a gmsh mesh (MSH 4.1 ASCII): {exc}") from None
        dim = msh["dim"]
        if dim not in (2, 3):
            raise ValueError(f"{self.path}: has no triangles or tetrahedra")
        if not msh["has_facets"]:
            raise ValueError(f"{self.path}: the mesh has no boundary facets; save it with gmsh's Mesh.SaveAll = 1 "
                             "(or with physical groups on its interfaces and surface)")
        groups = msh["groups"]
        cell_groups = [n for n, d in groups.items() if d == dim]
        missing = [r.name for r in self.regions if r.name not in cell_groups]
        if missing:
            raise ValueError(f"{self.path}: has no physical group of cells named {', '.join(missing)}; "
                             f"its groups: {', '.join(cell_groups) or 'none'}")
        if dim == 2 and msh["min_x"] < -1e-9 * msh["extent"]:
            raise ValueError(f"{self.path}: a 2D mesh is an axisymmetric meridian and must lie in x >= 0")
        symmetric = dim == 3 and all(f"symmetry-{a}" in groups for a in "xyz")
        facts.update(dim=dim, extent=msh["extent"] * self.length_unit, groups=list(groups), symmetric=symmetric)
        return facts

    @property
    def formulations(self) -> tuple[str, ...]:  # type: ignore[override]
        facts = self.file_facts
        if facts["dim"] == 2:
            return ("axisymmetric",)
        return ("3d-octant",) if facts["symmetric"] else ("3d",)

    @property
    def region_names(self) -> list[str]:
        return [r.name for r in self.regions]

    @property
    def region_materials(self) -> dict[str, str]:
        return {r.name: r.material for r in self.regions}

    @property
    def material_keys(self) -> dict[str, str]:
        return {r.name: f"geometry.regions[{i}].material" for i, r in enumerate(self.regions)}

    @property
    def interfaces(self) -> list[tuple[str, str]]:
        if self.interface_list is not None:
            return [tuple(p) for p in self.interface_list]
        names = self.region_names
        return list(zip(names[:-1], names[1:]))

    @property
    def extent_nm(self) -> float:
        return float(self.file_facts["extent"])

    @property
    def thinnest_feature_nm(self) -> float:
        """Unknown for a file: the element sizes are what ``[mesh]`` asks."""
        return self.extent_nm

    def mesh_measures(self, formulation: str) -> tuple[float, float]:
        R = self.extent_nm
        if formulation == "axisymmetric":
            return math.pi * R**2 / 2, math.pi * R * len(self.regions)
        part = 8.0 if formulation == "3d-octant" else 1.0
        return 4 / 3 * math.pi * R**3 / part, 4 * math.pi * R**2 * len(self.regions) / part

    def describe(self) -> str:
        kind = "STEP geometry" if self.is_step else f"{self.file_facts['dim']}D gmsh mesh"
        return (f"{kind} {Path(self.path).name} (1 unit = {self.length_unit:g} nm, extent {self.extent_nm:.4g} nm) "
                f"with regions {', '.join(self.region_names)}")

    def summary(self) -> dict:
        return {"type": self.type, "path": str(self.path), "sha256": self.file_facts["sha256"],
                "length_unit_nm": self.length_unit, "extent_nm": self.extent_nm}


#: gmsh element types by dimension (first and second order lines, triangles, tetrahedra, ...)
_ELEMENT_DIM = {1: 1, 8: 1, 26: 1, 2: 2, 3: 2, 9: 2, 10: 2, 16: 2, 4: 3, 5: 3, 6: 3, 7: 3, 11: 3, 17: 3, 18: 3}


def read_msh_facts(raw: bytes) -> dict:
    """From a gmsh MSH 4.1 ASCII file: its physical names {name: dim}, the dimension of its
    cells, whether it holds facets (elements of one dimension less), its extent (largest node
    distance from the origin) and smallest x, in the file's units."""
    lines = raw.decode("latin-1").splitlines()
    at = {line.strip(): i for i, line in enumerate(lines) if line.startswith("$")}
    if "$MeshFormat" not in at:
        raise ValueError("no $MeshFormat")
    version, binary = lines[at["$MeshFormat"] + 1].split()[:2]
    if not version.startswith("4") or binary != "0":
        raise ValueError(f"format {version}{' binary' if binary != '0' else ''}; save as MSH 4.1 ASCII")
    groups = {}
    if "$PhysicalNames" in at:
        i = at["$PhysicalNames"]
        for line in lines[i + 2: i + 2 + int(lines[i + 1])]:
            dim, _, name = line.split(maxsplit=2)
            groups[name.strip().strip('"')] = int(dim)
    i = at["$Nodes"] + 1
    n_blocks = int(lines[i].split()[0])
    i += 1
    extent, min_x = 0.0, float("inf")
    for _ in range(n_blocks):
        n = int(lines[i].split()[3])
        coords = lines[i + 1 + n: i + 1 + 2 * n]
        for c in coords:
            x, y, z = map(float, c.split()[:3])
            extent = max(extent, (x * x + y * y + z * z) ** 0.5)
            min_x = min(min_x, x)
        i += 1 + 2 * n
    i = at["$Elements"] + 1
    n_blocks = int(lines[i].split()[0])
    i += 1
    counts: dict[int, int] = {}
    for _ in range(n_blocks):
        _, _, etype, n = map(int, lines[i].split()[:4])
        d = _ELEMENT_DIM.get(etype, 0)
        counts[d] = counts.get(d, 0) + n
        i += 1 + n
    dim = max((d for d, n in counts.items() if n), default=0)
    return {"groups": groups, "dim": dim, "has_facets": counts.get(dim - 1, 0) > 0, "extent": extent, "min_x": min_x}
