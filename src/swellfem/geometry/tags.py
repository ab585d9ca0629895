"""Physical-group tags and names shared by every shape (gmsh writes them, physics reads them).

Cell regions: ``CELL_TAG_OFFSET + i`` named after region i. Interfaces:
``INTERFACE_TAG_OFFSET + k`` named ``interface:<inner>|<outer>``. The outer surface:
``surface``; a hollow core's inner surface: ``cavity``. Symmetry: ``axis`` (2D-axisymmetric) or ``symmetry-x``/``-y``/``-z`` (octant). The walls of
the voids (contact surfaces), numbered in the order of ``Shape.contact_surfaces``
(``CONTACT_TAG_OFFSET + k``): a void between two regions (one contact pair, named after the void)
has ``contact:<void>:inner`` (the surface of the region inside it) and ``contact:<void>:outer``
(its outer wall); a void that several regions bound (particles in a cage) has
``contact:<void>:<region>`` for each.
"""

CELL_TAG_OFFSET = 1
INTERFACE_TAG_OFFSET = 100
SURFACE_TAG = 200
SURFACE_NAME = "surface"
CAVITY_TAG = 201  # the inner surface of a hollow core
CAVITY_NAME = "cavity"
AXIS_TAG = 300
AXIS_NAME = "axis"
SYMMETRY_TAGS = {"symmetry-x": 301, "symmetry-y": 302, "symmetry-z": 303}


def interface_name(inner: str, outer: str) -> str:
    """Physical name of the interface between regions ``inner`` and ``outer``."""
    return f"interface:{inner}|{outer}"
CONTACT_TAG_OFFSET = 400
#: gmsh part label of a void (not meshed; its walls become contact surfaces)
VOID_PREFIX = "void:"


def contact_surface_name(void: str, side: str) -> str:
    """Physical name of a wall of ``void``: its ``inner`` or ``outer`` one, or a region's."""
    return f"contact:{void}:{side}"


def contact_surface_tag(k: int) -> int:
    """Facet tag of the k-th contact surface (``Shape.contact_surfaces`` order)."""
    return CONTACT_TAG_OFFSET + k
