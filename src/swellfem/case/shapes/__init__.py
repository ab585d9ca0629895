"""Geometry schemas: one pydantic model per shape family, selected by ``geometry.type``.

The gmsh side of a shape lives in :mod:`swellfem.geometry` (one module per family, found
through :data:`swellfem.geometry.SHAPES` by the same ``type``).

A new shape: a model here (a module with a subclass of :class:`ShapeSchema`, added to
:data:`Geometry`), a builder module in ``geometry/`` and its entry in ``geometry.SHAPES``.
"""

from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field

from .base import FORMULATIONS, SPHERICAL_1D, STAGE_MODES, ShapeSchema
from .mesh_file import MeshFile, MeshFileRegion
from .inclusions import Film, ParticleSet, ParticlesInMatrix, Rod
from .cage import ParticlesInCage
from .polyhedron import Polyhedron, PolyhedronLayer
from .sphere import ConcentricSphere, Layer

Geometry = Annotated[Union[ConcentricSphere, Polyhedron, Rod, ParticlesInMatrix, ParticlesInCage, MeshFile], Field(discriminator="type")]

__all__ = ["FORMULATIONS", "SPHERICAL_1D", "STAGE_MODES", "ConcentricSphere", "Film", "Geometry", "Layer", "MeshFile", "MeshFileRegion", "ParticleSet",
           "ParticlesInCage", "ParticlesInMatrix", "Rod", "Polyhedron", "PolyhedronLayer", "ShapeSchema"]
