"""Material laws and their registry (:data:`LAWS`, by the name case files use).

A new law: a module here with a :class:`MaterialLaw` subclass, its entry in :data:`LAWS`, and
its name (and parameters) in the case schema (:data:`swellfem.case.LAWS`, ``MaterialSpec``).
"""

from __future__ import annotations

from .base import LawContext, MaterialLaw, RegionMaterial
from .linear_elastic import LinearElastic

#: Law classes by name.
LAWS: dict[str, type[MaterialLaw]] = {
    LinearElastic.name: LinearElastic,
}


def build_laws(context: LawContext, regions: dict[str, RegionMaterial]) -> list[MaterialLaw]:
    """One law instance per law name, owning the regions that use it (in region order)."""
    grouped: dict[str, dict[str, RegionMaterial]] = {}
    for name, mat in regions.items():
        if mat.law not in LAWS:
            raise ValueError(f"region {name}: unknown material law {mat.law!r}; known: {', '.join(LAWS)}")
        grouped.setdefault(mat.law, {})[name] = mat
    return [LAWS[law](context, members) for law, members in grouped.items()]


__all__ = ["LAWS", "LawContext", "LinearElastic", "MaterialLaw", "RegionMaterial", "build_laws"]
