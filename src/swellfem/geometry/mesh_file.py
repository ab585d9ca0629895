"""A user's own geometry (schema: :class:`swellfem.case.shapes.MeshFile`): :class:`MeshFileShape`.

STEP: the solids are imported (OCC), scaled to nm, fragmented and meshed like swellfem's own
shapes. ``.msh``: merged as it is, scaled to nm, and its physical groups replaced by
swellfem's (regions from the groups named after them; interfaces, surface and symmetry planes
from what touches what); it is not meshed again.
"""

from __future__ import annotations

from .shape import Shape
from .tagging import fragment_regions, tag_physical_groups


class MeshFileShape(Shape):
    type = "mesh-file"

    @property
    def premeshed(self) -> bool:
        """A .msh brings its own mesh (not meshed again)."""
        return not self.schema.is_step

    def parameters(self) -> dict:
        s = self.schema
        return {"sha256": s.file_facts["sha256"], "length_unit_nm": s.length_unit,
                "regions": [[r.name, r.solids] for r in s.regions], "interfaces": [list(p) for p in self.interfaces]}

    def build(self, formulation: str) -> None:
        if formulation not in self.schema.formulations:
            raise ValueError(f"this file is solved in {', '.join(self.schema.formulations)}, not {formulation!r}")
        if self.schema.is_step:
            self._step(formulation)
        else:
            self._msh(formulation)

    def _step(self, formulation: str) -> None:
        import gmsh

        s = self.schema
        occ = gmsh.model.occ
        solids = [t for d, t in occ.importShapes(str(s.path), highestDimOnly=True) if d == 3]
        if s.length_unit != 1.0:
            occ.dilate([(3, t) for t in solids], 0, 0, 0, s.length_unit, s.length_unit, s.length_unit)
        parts = []
        for region in reversed(s.regions):  # the region listed first holds overlaps: its parts come last
            for k in region.solids:
                if k > len(solids):
                    raise ValueError(f"geometry.regions: region '{region.name}' names solid {k}, but "
                                     f"{s.path} has {len(solids)} solids")
                parts.append((region.name, solids[k - 1]))
        regions = fragment_regions(parts, 3)
        tag_physical_groups(self, 3, regions, formulation)

    def _msh(self, formulation: str) -> None:
        import gmsh

        s = self.schema
        gmsh.merge(str(s.path))
        dim = s.file_facts["dim"]
        if s.length_unit != 1.0:
            k = s.length_unit
            gmsh.model.mesh.affineTransform([k, 0, 0, 0, 0, k, 0, 0, 0, 0, k, 0])
        regions: dict[str, list[int]] = {}
        for d, tag in gmsh.model.getPhysicalGroups(dim):
            name = gmsh.model.getPhysicalName(d, tag)
            if name in self.region_names:
                regions.setdefault(name, []).extend(int(e) for e in gmsh.model.getEntitiesForPhysicalGroup(d, tag))
        symmetry = {}
        for d, tag in gmsh.model.getPhysicalGroups(dim - 1):
            name = gmsh.model.getPhysicalName(d, tag)
            if name.startswith("symmetry-"):
                symmetry[name] = list(gmsh.model.getEntitiesForPhysicalGroup(d, tag))
        gmsh.model.removePhysicalGroups()
        tag_physical_groups(self, dim, regions, formulation, symmetry_groups=symmetry)
