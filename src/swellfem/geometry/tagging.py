"""Conforming regions and their physical groups for any shape built from OCC solids.

A shape lists its *parts* (label, OCC entity) in order; after the optional symmetry cut
(the octant box, or the half plane x >= 0 of an axisymmetric meridian) the parts are fragmented
together (conforming interfaces) and every piece belongs to the region of the *last* part that
contains it (so nested solids are listed from the outside in, inclusions after their host).
Boundaries are classified by what touches them: two regions (an interface, which the shape
must expect), one region on a coordinate plane (a symmetry plane or the axis), one region
elsewhere (the outer surface). A part labelled ``void:<name>`` (a void of the shape) is not
meshed: it is removed after fragmenting, and the facets that bounded it become the walls of the
void (``Shape.contact_surfaces``: one per region that bounds it).
"""

from __future__ import annotations

from .tags import (AXIS_NAME, AXIS_TAG, CELL_TAG_OFFSET, INTERFACE_TAG_OFFSET, SURFACE_NAME, SURFACE_TAG, SYMMETRY_TAGS,
                   VOID_PREFIX, contact_surface_tag)


def symmetry_cut(parts: list[tuple[str, int]], dim: int, extent: float, formulation: str) -> list[tuple[str, int]]:
    """Each part cut to the octant x, y, z >= 0 (``3d-octant``) or to x >= 0 (``axisymmetric``
    meridians in the (x = r, y = z) plane); unchanged in full 3D."""
    import gmsh

    occ = gmsh.model.occ
    if formulation == "3d":
        return parts
    out = []
    big = 1.5 * extent
    for label, tag in parts:
        if formulation == "3d-octant":
            tool = occ.addBox(0, 0, 0, big, big, big)
        else:
            tool = occ.addRectangle(0, -big, 0, big, 2 * big)
        pieces, _ = occ.intersect([(dim, tag)], [(dim, tool)], removeObject=True, removeTool=True)
        out += [(label, t) for _, t in pieces]
    return out


def fragment_regions(parts: list[tuple[str, int]], dim: int, extra: list[tuple[int, int]] = ()) -> dict[str, list[int]]:
    """Fragment the parts (and ``extra`` entities to embed, e.g. an anchor point) into
    conforming pieces; returns the pieces of each region label (the last part containing a
    piece owns it). Synchronises the model."""
    import gmsh

    occ = gmsh.model.occ
    dimtags = [(dim, t) for _, t in parts]
    _, mapping = occ.fragment(dimtags[:1], dimtags[1:] + list(extra))
    occ.synchronize()
    owner: dict[int, str] = {}
    for (label, _), pieces in zip(parts, mapping):
        for d, t in pieces:
            if d == dim:
                owner[t] = label
    regions: dict[str, list[int]] = {}
    for tag, label in owner.items():
        regions.setdefault(label, []).append(tag)
    return regions


def _coordinate_plane(dim: int, entity: int, tol: float) -> list[int]:
    """The coordinate k (0, 1, 2) whose plane x_k = 0 holds the surface or curve ``entity``
    (a one-element list), or []. OCC bounding boxes are loose after fillets, so points of the
    entity itself are tested: for a surface, a plane through its centre of mass whose normal
    is e_k; for a curve, its end points and centre of mass."""
    import gmsh
    import numpy as np

    nodes = gmsh.model.mesh.getNodes(dim, entity, includeBoundary=True)[1]
    if len(nodes):  # a meshed (discrete) entity: all its nodes on the plane
        x = np.asarray(nodes).reshape(-1, 3)
        return [k for k in range(dim + 1) if np.abs(x[:, k]).max() < tol][:1]
    centre = np.asarray(gmsh.model.occ.getCenterOfMass(dim, entity))
    if dim == 2:
        if gmsh.model.getType(2, entity) != "Plane":
            return []
        lo, hi = gmsh.model.getParametrizationBounds(2, entity)
        normal = np.asarray(gmsh.model.getNormal(entity, [0.5 * (lo[0] + hi[0]), 0.5 * (lo[1] + hi[1])]))
        return [k for k in range(3) if abs(centre[k]) < tol and abs(abs(normal[k]) - 1.0) < 1e-6][:1]
    ends = [np.asarray(gmsh.model.getValue(0, p, [])) for _, p in gmsh.model.getBoundary([(1, entity)], oriented=False)]
    return [k for k in range(2) if abs(centre[k]) < tol and all(abs(e[k]) < tol for e in ends)][:1]


def tag_physical_groups(shape, dim: int, regions: dict[str, list[int]], formulation: str,
                        symmetry_groups: dict[str, list[int]] | None = None) -> dict[str, list[int]]:
    """Add the cell groups of ``shape.region_names`` and the facet groups (interfaces in the
    order of ``shape.interfaces``, the outer surface, symmetry planes or axis). Returns the
    facets of each group name. ``symmetry_groups``: facets known to be symmetry planes (a
    user's mesh names them); otherwise they are found as facets on coordinate planes."""
    import gmsh

    void_side = _remove_voids(dim, regions)
    names = list(shape.region_names)
    for i, name in enumerate(names):
        if not regions.get(name):
            raise RuntimeError(f"gmsh produced no cells for region {name}")
        gmsh.model.addPhysicalGroup(dim, sorted(regions[name]), CELL_TAG_OFFSET + i, name=name)
    region_of = {t: name for name, tags in regions.items() for t in tags}
    pair_index = {frozenset(pair): k for k, pair in enumerate(shape.interfaces)}
    interfaces: dict[int, list[int]] = {k: [] for k in range(len(pair_index))}
    groups: dict[str, list[int]] = {SURFACE_NAME: []}
    walls = {(surface.void, surface.region): surface.name for surface in shape.contact_surfaces}
    symmetric = formulation != "3d"
    tol = 1e-6 * shape.extent_nm
    for _, facet in gmsh.model.getEntities(dim - 1):
        up, _ = gmsh.model.getAdjacencies(dim - 1, facet)
        touching = sorted({region_of[t] for t in up if t in region_of})
        if len(touching) == 2:
            k = pair_index.get(frozenset(touching))
            if k is None:
                raise RuntimeError(f"regions {touching[0]} and {touching[1]} touch, which the geometry does not expect "
                                   "(overlapping parts?)")
            interfaces[k].append(facet)
        elif len(touching) == 1 and facet in void_side:
            void = void_side[facet]
            wall = walls.get((void, touching[0]))
            if wall is None:
                raise RuntimeError(f"region {touching[0]} touches the void {void}, which the geometry does not expect")
            groups.setdefault(wall, []).append(facet)
        elif len(touching) == 1:
            if symmetry_groups is not None and formulation != "axisymmetric":
                named = [k for k, a in enumerate("xyz") if facet in symmetry_groups.get(f"symmetry-{a}", [])]
                plane = named[:1]
            else:
                plane = _coordinate_plane(dim - 1, facet, tol) if symmetric else []
            if plane and formulation == "axisymmetric":
                groups.setdefault(AXIS_NAME, []).append(facet)
            elif plane:
                groups.setdefault("symmetry-" + "xyz"[plane[0]], []).append(facet)
            else:
                groups[SURFACE_NAME].append(facet)
    for k, name in enumerate(shape.interface_names()):
        if not interfaces[k]:
            raise RuntimeError(f"gmsh produced no facets for the interface {name}")
        gmsh.model.addPhysicalGroup(dim - 1, interfaces[k], INTERFACE_TAG_OFFSET + k, name=name)
        groups[name] = interfaces[k]
    gmsh.model.addPhysicalGroup(dim - 1, groups[SURFACE_NAME], SURFACE_TAG, name=SURFACE_NAME)
    for k, surface in enumerate(shape.contact_surfaces):
        if not groups.get(surface.name):
            raise RuntimeError(f"gmsh produced no surface of {surface.region} on the void {surface.void}")
        gmsh.model.addPhysicalGroup(dim - 1, groups[surface.name], contact_surface_tag(k), name=surface.name)
    if formulation == "axisymmetric":
        gmsh.model.addPhysicalGroup(dim - 1, groups.get(AXIS_NAME, []), AXIS_TAG, name=AXIS_NAME)
    elif formulation == "3d-octant":
        for name, tag in SYMMETRY_TAGS.items():
            gmsh.model.addPhysicalGroup(dim - 1, groups.get(name, []), tag, name=name)
    if formulation == "3d" and shape.contact_pairs:
        _embed_support_points(shape, regions)
    return groups


def _embed_support_points(shape, regions: dict[str, list[int]]) -> None:
    """A mesh vertex at each point support of each body (full 3D with contact): the supports
    then fix where the body's centre sits (a yolk swells about it, as about its centre), not a
    vertex up to half an element away, which would move the yolk by its swelling strain times
    that distance towards or away from its cage (physics/problem.py holds the nearest vertex)."""
    import gmsh

    occ = gmsh.model.occ
    wanted = []
    for body in shape.bodies:
        volumes = [t for name in body.regions for t in regions.get(name, [])]
        for point, _ in body.support:
            inside = [t for t in volumes if gmsh.model.isInside(3, t, list(point))]
            if inside:
                wanted.append((occ.addPoint(*point), inside[0]))
    occ.synchronize()
    for point, volume in wanted:
        gmsh.model.mesh.embed(0, [point], 3, volume)


def _remove_voids(dim: int, regions: dict[str, list[int]]) -> dict[int, str]:
    """Remove the pieces of ``void:<name>`` parts (from the model and from ``regions``);
    returns the void each of their boundary facets bounded."""
    import gmsh

    voids = {label: regions.pop(label) for label in list(regions) if label.startswith(VOID_PREFIX)}
    side: dict[int, str] = {}
    for label, pieces in voids.items():
        for piece in pieces:
            for _, facet in gmsh.model.getBoundary([(dim, piece)], combined=False, oriented=False):
                side[abs(facet)] = label[len(VOID_PREFIX):]
    if voids:
        gmsh.model.occ.remove([(dim, t) for pieces in voids.values() for t in pieces], recursive=True)
        gmsh.model.occ.synchronize()
    return side
