"""Material laws and their registry (:data:`LAWS`, by the name case files use).

A new law: a module here with a :class:`MaterialLaw` subclass (UFL stress, solved linearly) or a
:class:`QuadratureLaw` subclass (stress and tangent at quadrature points, solved by Newton), its
entry in :data:`LAWS`, and its name (and parameters) in the case schema
(:data:`swellfem.case.LAWS`, ``MaterialSpec``).

``porous`` (crushable microporous carbon) and ``transverse`` (wrinkled rGO) are the carbon
shell laws of ``docs/carbon_laws.md``.

``isotropic`` is Hooke's law in small strain and Hencky's in finite strain, with J2 plasticity
where a region has a yield strength. Elastic regions with constant moduli in small strain use
:class:`LinearElastic` (one factorisation for every stage); the others :class:`Isotropic`.
"""

from __future__ import annotations

from .base import LawContext, MaterialLaw, RegionMaterial
from .isotropic import Isotropic
from .linear_elastic import LinearElastic
from .porous import PorousCarbon
from .quadrature import InvertedElementError, QuadratureLaw
from .transverse import TransverselyIsotropic


def _isotropic(context: LawContext, regions: dict[str, RegionMaterial]) -> list[MaterialLaw]:
    if context.kinematics_kind == "finite":
        return [Isotropic(context, regions)]
    linear = {n: m for n, m in regions.items() if not m.plastic and not m.softens}
    other = {n: m for n, m in regions.items() if n not in linear}
    return ([LinearElastic(context, linear)] if linear else []) + ([Isotropic(context, other)] if other else [])


#: Law factories by name: (context, regions of that law) -> law instances owning those regions.
LAWS = {
    "isotropic": _isotropic,
    "porous": lambda context, regions: [PorousCarbon(context, regions)],
    "transverse": lambda context, regions: [TransverselyIsotropic(context, regions)],
}


def build_laws(context: LawContext, regions: dict[str, RegionMaterial]) -> list[MaterialLaw]:
    """The law instances of ``regions`` (grouped by law name, in region order)."""
    grouped: dict[str, dict[str, RegionMaterial]] = {}
    for name, mat in regions.items():
        if mat.law not in LAWS:
            raise ValueError(f"region {name}: unknown material law {mat.law!r}; known: {', '.join(LAWS)}")
        grouped.setdefault(mat.law, {})[name] = mat
    return [law for name, members in grouped.items() for law in LAWS[name](context, members)]


__all__ = ["LAWS", "InvertedElementError", "Isotropic", "LawContext", "LinearElastic", "MaterialLaw",
           "PorousCarbon", "QuadratureLaw", "RegionMaterial", "TransverselyIsotropic", "build_laws"]
