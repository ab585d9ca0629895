"""Physical-group tags and names shared by every shape (gmsh writes them, physics reads them).

Cell regions: ``CELL_TAG_OFFSET + i`` named after region i. Interfaces:
``INTERFACE_TAG_OFFSET + k`` named ``interface:<inner>|<outer>``. The outer surface:
``surface``; a hollow core's inner surface: ``cavity``. Symmetry: ``axis`` (2D-axisymmetric) or ``symmetry-x``/``-y``/``-z`` (octant). Contact pair k
(a void between two regions): ``contact:<pair>:inner`` (the surface of the region inside the
void, ``CONTACT_TAG_OFFSET + 2k``) and ``contact:<pair>:outer`` (the void's outer wall, + 1).
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


def contact_surface_name(pair: str, side: str) -> str:
    """Physical name of the ``inner`` or ``outer`` surface of contact pair ``pair``."""
    return f"contact:{pair}:{side}"


def contact_surface_tag(k: int, side: str) -> int:
    return CONTACT_TAG_OFFSET + 2 * k + (0 if side == "inner" else 1)
