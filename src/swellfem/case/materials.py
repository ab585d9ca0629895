"""The built-in material library (``data/materials.toml``) and per-case overrides.

Units: Young's modulus E in MPa internally (GPa in files and outputs); Poisson's ratio and
volumetric expansion beta = dV/V0 at full potassiation are dimensionless.
"""

from __future__ import annotations

import dataclasses
import functools
import tomllib
from importlib import resources
from typing import Literal

from .units import to_internal

Role = Literal["active", "shell"]

#: Names of the constitutive laws a material may use (implemented in swellfem.physics.laws).
LAWS = ("linear-elastic",)


@dataclasses.dataclass(frozen=True)
class Material:
    """A material that may swell on potassiation: its elastic constants, swelling and law."""

    name: str
    E_MPa: float
    nu: float
    volumetric_expansion: float
    role: Role
    law: str = "linear-elastic"
    tensile_strength_MPa: float | None = None  # failure indicators (None: no data)
    fracture_strain: float | None = None
    description: str = ""
    sources: dict[str, str] = dataclasses.field(default_factory=dict)
    assumptions: frozenset[str] = frozenset()
    overridden: frozenset[str] = frozenset()

    @property
    def E_GPa(self) -> float:
        return self.E_MPa / 1000.0

    def label(self, prop: str) -> str:
        """Where ``prop`` comes from: the library source, 'assumption', or 'case file'."""
        if prop in self.overridden:
            return "set in case file"
        text = self.sources.get(prop, "")
        if prop in self.assumptions and "assumption" not in text.lower():
            text = f"{text} (assumption)" if text else "assumption"
        return text

    def properties(self) -> list[str]:
        """The properties this material has a value for (each with a source)."""
        props = ["E", "nu", "volumetric_expansion"]
        props += [p for p, v in (("tensile_strength", self.tensile_strength_MPa),
                                 ("fracture_strain", self.fracture_strain)) if v is not None]
        return props

    def to_summary(self) -> dict:
        return {
            "name": self.name,
            "role": self.role,
            "law": self.law,
            "E_GPa": self.E_GPa,
            "nu": self.nu,
            "volumetric_expansion": self.volumetric_expansion,
            "tensile_strength_MPa": self.tensile_strength_MPa,
            "fracture_strain": self.fracture_strain,
            "sources": {p: self.label(p) for p in self.properties()},
            "assumptions": sorted(p for p in self.properties() if p in self.assumptions and p not in self.overridden),
        }


@functools.cache
def library() -> dict[str, Material]:
    """The shipped material library, keyed by material name."""
    text = resources.files(__package__).joinpath("data/materials.toml").read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    out = {}
    for name, entry in raw.items():
        out[name] = Material(
            name=name,
            E_MPa=to_internal(entry["E"], "pressure"),
            nu=float(entry["nu"]),
            volumetric_expansion=float(entry["volumetric_expansion"]),
            role=entry["role"],
            law=entry.get("law", "linear-elastic"),
            tensile_strength_MPa=to_internal(entry["tensile_strength"], "pressure") if "tensile_strength" in entry else None,
            fracture_strain=float(entry["fracture_strain"]) if "fracture_strain" in entry else None,
            description=entry.get("description", ""),
            sources=dict(entry.get("sources", {})),
            assumptions=frozenset(entry.get("assumptions", [])),
        )
    return out


def format_library() -> str:
    """A plain-text table of the library with the source of every number."""
    lines = []
    for m in library().values():
        lines.append(
            f"{m.name:8s} {m.role:6s}  E = {m.E_GPa:g} GPa  nu = {m.nu:g}  "
            f"beta = dV/V0 = {m.volumetric_expansion:g}   {m.description}"
        )
        if m.tensile_strength_MPa is not None:
            lines.append(f"    tensile strength {m.tensile_strength_MPa:g} MPa"
                         + (f", fracture strain {m.fracture_strain:g}" if m.fracture_strain is not None else ""))
        for prop in m.properties():
            lines.append(f"    {prop:21s} {m.label(prop)}")
    return "\n".join(lines)
