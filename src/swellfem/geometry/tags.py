"""Physical-group tags and names shared by every shape (gmsh writes them, physics reads them).

Cell regions: ``CELL_TAG_OFFSET + i`` named after region i. Interfaces:
``INTERFACE_TAG_OFFSET + k`` named ``interface:<inner>|<outer>``. The outer surface:
``surface``; a hollow core's inner surface: ``cavity``. Symmetry: ``axis`` (2D-axisymmetric) or ``symmetry-x``/``-y``/``-z`` (octant).
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
