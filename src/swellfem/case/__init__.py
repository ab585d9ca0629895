"""case: the first step of the pipeline — case files in, a validated :class:`Case` out.

Lives here: the case schema (``schema``), geometry schemas per shape family (``shapes``),
quantities with units (``units``, ``base``), the material library and its data file
(``materials``, ``data/materials.toml``), ``--set`` overrides (``overrides``), reading files
(``loading``) and one-line errors with did-you-mean hints (``errors``).

May import: nothing of swellfem outside this package, and never dolfinx or gmsh (a test
checks it): validating a case is fast and needs no solver.
"""

from .errors import CaseError, did_you_mean, schema_error
from .loading import case_from_data, load_case, read_case_data
from .materials import LAWS, Material, format_library, library
from .overrides import apply_overrides, parse_override
from .schema import (
    Case,
    DiffusionStages,
    MaterialSpec,
    MeshSpec,
    ModelSpec,
    OutputSpec,
    ShrinkingCoreStages,
    UniformStages,
    mesh_interface_size,
)
from .base import Strict
from .shapes import ConcentricSphere, Layer, ShapeSchema

__all__ = [
    "LAWS", "Case", "CaseError", "ConcentricSphere", "DiffusionStages", "Layer", "Material", "MaterialSpec",
    "MeshSpec", "ModelSpec", "OutputSpec", "ShapeSchema", "ShrinkingCoreStages", "Strict", "UniformStages",
    "apply_overrides", "case_from_data", "did_you_mean", "format_library", "library", "load_case",
    "mesh_interface_size", "parse_override", "read_case_data", "schema_error",
]
