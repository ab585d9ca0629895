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

from .laws import ALL_LAW_KEYS, LAWS
from .units import to_internal

Role = Literal["active", "shell"]

__all__ = ["LAWS", "Material", "format_library", "library", "law_parameters_of"]


@dataclasses.dataclass(frozen=True)
class Material:
    """A material that may swell on potassiation: its elastic constants, swelling and law."""

    name: str
    E_MPa: float
    nu: float
    volumetric_expansion: float
    role: Role
    law: str = "isotropic"  # Hooke (small strain) / Hencky (finite), J2 plastic with a yield strength
    yield_strength_MPa: float | None = None  # None: elastic
    hardening_modulus_MPa: float = 0.0
    yield_strength_potassiated_MPa: float | None = None  # at theta = 1 (None: as pristine)
    E_potassiated_MPa: float | None = None
    tensile_strength_MPa: float | None = None  # failure indicators (None: no data)
    fracture_strain: float | None = None
    fracture_toughness_MPa_sqrt_m: float | None = None  # size-aware fracture of particles
    #: the law's own parameters (swellfem.case.laws.LAW_PARAMETERS), pressures in MPa
    parameters: dict[str, float] = dataclasses.field(default_factory=dict)
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
        props += [p for p, v in (("yield_strength", self.yield_strength_MPa),
                                 ("hardening_modulus", self.hardening_modulus_MPa if self.yield_strength_MPa else None),
                                 ("yield_strength_potassiated", self.yield_strength_potassiated_MPa),
                                 ("E_potassiated", self.E_potassiated_MPa),
                                 ("tensile_strength", self.tensile_strength_MPa),
                                 ("fracture_strain", self.fracture_strain),
                                 ("fracture_toughness", self.fracture_toughness_MPa_sqrt_m)) if v is not None]
        return props + list(self.parameters)

    def to_summary(self) -> dict:
        return {
            "name": self.name,
            "role": self.role,
            "law": self.law,
            "E_GPa": self.E_GPa,
            "nu": self.nu,
            "volumetric_expansion": self.volumetric_expansion,
            "yield_strength_MPa": self.yield_strength_MPa,
            "hardening_modulus_MPa": self.hardening_modulus_MPa if self.yield_strength_MPa is not None else None,
            "yield_strength_potassiated_MPa": self.yield_strength_potassiated_MPa,
            "E_potassiated_GPa": self.E_potassiated_MPa / 1000.0 if self.E_potassiated_MPa else None,
            "tensile_strength_MPa": self.tensile_strength_MPa,
            "fracture_strain": self.fracture_strain,
            "fracture_toughness_MPa_sqrt_m": self.fracture_toughness_MPa_sqrt_m,
            "law_parameters": {ALL_LAW_KEYS[k].summary_key: v for k, v in self.parameters.items()},
            "sources": {p: self.label(p) for p in self.properties()},
            "assumptions": sorted(p for p in self.properties() if p in self.assumptions and p not in self.overridden),
        }


def _pressure(entry: dict, key: str) -> float | None:
    return to_internal(entry[key], "pressure") if key in entry else None


def law_parameters_of(entry: dict) -> dict[str, float]:
    """The law-specific parameters present in a library entry or case-file table (internal units)."""
    out = {}
    for key, value in entry.items():
        p = ALL_LAW_KEYS.get(key)
        if p is not None and value is not None:
            out[key] = to_internal(value, "pressure") if p.kind == "pressure" and isinstance(value, str) else float(value)
    return out


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
            law=entry.get("law", "isotropic"),
            yield_strength_MPa=_pressure(entry, "yield_strength"),
            hardening_modulus_MPa=_pressure(entry, "hardening_modulus") or 0.0,
            yield_strength_potassiated_MPa=_pressure(entry, "yield_strength_potassiated"),
            E_potassiated_MPa=_pressure(entry, "E_potassiated"),
            tensile_strength_MPa=_pressure(entry, "tensile_strength"),
            fracture_strain=float(entry["fracture_strain"]) if "fracture_strain" in entry else None,
            fracture_toughness_MPa_sqrt_m=(float(entry["fracture_toughness"]) if "fracture_toughness" in entry
                                           else None),
            parameters=law_parameters_of(entry),
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
        if m.fracture_toughness_MPa_sqrt_m is not None:
            lines.append(f"    fracture toughness {m.fracture_toughness_MPa_sqrt_m:g} MPa m^1/2")
        if m.yield_strength_MPa is not None:
            lines.append(f"    yield strength {m.yield_strength_MPa:g} MPa, hardening {m.hardening_modulus_MPa:g} MPa")
        if m.law != "isotropic":
            params = ", ".join(f"{k} = {v:g}" + (" MPa" if ALL_LAW_KEYS[k].kind == "pressure" else "")
                               for k, v in m.parameters.items())
            lines.append(f"    law {m.law}: {params}")
        for prop in m.properties():
            lines.append(f"    {prop:21s} {m.label(prop)}")
    return "\n".join(lines)
