"""What each constitutive law takes from a material (no dolfinx): its own parameters, the
common keys it uses, and the checks of a resolved material against them.

The mathematics of the laws is in ``docs/carbon_laws.md`` (``porous``, ``transverse``) and
:mod:`swellfem.physics.laws`. Units: pressures MPa internally ("GPa"/"MPa" in files, the
unit in the summary key), other parameters dimensionless.
"""

from __future__ import annotations

import dataclasses
from typing import Literal


@dataclasses.dataclass(frozen=True)
class LawParameter:
    """A law-specific material parameter: its case-file key, kind and admissible range."""

    key: str
    kind: Literal["pressure", "number"]
    description: str
    low: float | None = None  # exclusive bounds (None: unbounded)
    high: float | None = None
    default: float | None = None  # None: required
    high_inclusive: bool = False  # the value may equal ``high``

    @property
    def summary_key(self) -> str:
        return f"{self.key}_MPa" if self.kind == "pressure" else self.key


#: Law-specific parameters by law name (the common keys E, nu, yield_strength, ... are not here).
LAW_PARAMETERS: dict[str, tuple[LawParameter, ...]] = {
    "isotropic": (),
    "porous": (
        LawParameter("porosity", "number", "initial porosity phi0 of the carbon", 0.0, 0.9),
        LawParameter("compaction_strength", "pressure",
                     "hydrostatic pressure at which the pores start to collapse (> yield_strength / 3)", 0.0),
        LawParameter("densification_strength", "pressure",
                     "strength gained per unit of phi0 / phi - 1 as the pores close (default: yield_strength)",
                     0.0, None, default=float("nan")),
    ),
    "transverse": (
        LawParameter("E_normal", "pressure", "Young's modulus along the shell normal", 0.0),
        LawParameter("G_normal", "pressure", "shear modulus in planes that contain the normal", 0.0),
        LawParameter("nu_normal", "number", "in-plane contraction per normal strain (eps_t = -nu_normal sigma_n / E_n)",
                     -1.0, 0.5, default=0.0),
        LawParameter("expansion_normal", "number", "linear swelling strain along the normal at full potassiation",
                     -0.5, 3.0, default=0.0),
        LawParameter("expansion_tangential", "number", "linear swelling strain in the shell plane at full potassiation",
                     -0.5, 3.0, default=0.0),
        LawParameter("slack_strain", "number", "in-plane strain the wrinkles take up before the sheet is stretched",
                     None, 2.0, default=0.0),
        LawParameter("slack_stiffness_ratio", "number", "in-plane stiffness of the wrinkled sheet / of the flat one",
                     0.0, 1.0, default=1e-4, high_inclusive=True),
    ),
}

#: The common keys each law uses besides E and nu (a key outside these is an error for that law).
LAW_COMMON_KEYS: dict[str, tuple[str, ...]] = {
    "isotropic": ("volumetric_expansion", "yield_strength", "hardening_modulus", "yield_strength_potassiated",
                  "E_potassiated"),
    "porous": ("volumetric_expansion", "yield_strength", "hardening_modulus"),
    "transverse": (),
}

#: Common keys a law cannot do without.
LAW_REQUIRED_COMMON: dict[str, tuple[str, ...]] = {"porous": ("yield_strength",)}

#: What E and nu mean under each law (for tables and the summary).
LAW_ELASTIC_MEANING = {
    "isotropic": "E, nu of the solid",
    "porous": "E, nu of the dense matrix (the porous body has E (1 - porosity)^2)",
    "transverse": "in-plane E, nu of the sheet",
}

LAWS = tuple(LAW_PARAMETERS)

ALL_LAW_KEYS = {p.key: p for params in LAW_PARAMETERS.values() for p in params}


def law_of_key(key: str) -> str:
    """The law whose parameter ``key`` is."""
    return next(name for name, params in LAW_PARAMETERS.items() if any(p.key == key for p in params))


def check_law_parameters(name: str, law: str, parameters: dict[str, float], common: dict[str, object]) -> dict:
    """The complete parameter set of material ``name`` under ``law`` (defaults filled in), or a
    ValueError naming the key: parameters of another law, a missing required value, a value
    out of range, or a common key the law does not use (``common``: key -> value or None)."""
    own = {p.key: p for p in LAW_PARAMETERS[law]}
    for key in parameters:
        if key not in own:
            raise ValueError(f"materials.{name}.{key} is a parameter of law '{law_of_key(key)}', "
                             f"not of '{law}' (set materials.{name}.law = \"{law_of_key(key)}\")")
    for key, value in common.items():
        if key in ("E", "nu") or not value or key in LAW_COMMON_KEYS[law]:
            continue
        if key == "volumetric_expansion":
            raise ValueError(f"materials.{name}.volumetric_expansion: law '{law}' swells by expansion_normal and "
                             "expansion_tangential (set volumetric_expansion = 0)")
        raise ValueError(f"materials.{name}.{key} is not used by law '{law}'")
    for key in LAW_REQUIRED_COMMON.get(law, ()):
        if not common.get(key):
            raise ValueError(f"materials.{name}.{key} is needed by law '{law}'")
    out = {}
    for key, p in own.items():
        value = parameters.get(key, p.default)
        if value is None:
            raise ValueError(f"materials.{name}.{key} is needed by law '{law}' ({p.description})")
        if value == value:  # not NaN (NaN: a default derived from other keys)
            above_high = p.high is not None and not (value <= p.high if p.high_inclusive else value < p.high)
            if (p.low is not None and not value > p.low) or above_high:
                raise ValueError(f"materials.{name}.{key} = {value:g} is out of range "
                                 f"({_range_text(p)})")
        out[key] = float(value)
    if law == "porous":
        sy, pc = float(common["yield_strength"]), out["compaction_strength"]
        if not pc > sy / 3.0:
            raise ValueError(f"materials.{name}.compaction_strength = {pc:g} MPa must exceed yield_strength / 3 = "
                             f"{sy / 3.0:g} MPa (a hydrostatic pressure that yields before uniaxial stress does)")
        if out["densification_strength"] != out["densification_strength"]:
            out["densification_strength"] = sy
    if law == "transverse":
        transverse_stiffness(float(common["E"]), float(common["nu"]), out["E_normal"], out["G_normal"],
                             out["nu_normal"], name=name)
    return out


def _range_text(p: LawParameter) -> str:
    lo = f"> {p.low:g}" if p.low is not None else ""
    hi = f"{'<=' if p.high_inclusive else '<'} {p.high:g}" if p.high is not None else ""
    return " and ".join(t for t in (lo, hi) if t)


def transverse_stiffness(E_t: float, nu_t: float, E_n: float, G_tn: float, nu_nt: float,
                         name: str = "") -> tuple[float, float, float, float, float]:
    """C11, C12, C13, C33, C44 (MPa; 1, 2 in the shell plane, 3 along the normal) of a
    transversely isotropic solid from its engineering constants (docs/carbon_laws.md §2);
    ValueError if they do not give a positive definite stiffness."""
    S = [[1.0 / E_t, -nu_t / E_t, -nu_nt / E_n], [-nu_t / E_t, 1.0 / E_t, -nu_nt / E_n],
         [-nu_nt / E_n, -nu_nt / E_n, 1.0 / E_n]]
    # the compliance block is positive definite iff its leading minors are
    d1 = S[0][0]
    d2 = S[0][0] * S[1][1] - S[0][1] ** 2
    a, b, c = S[0][0], S[0][1], S[0][2]
    d3 = (a - b) * ((a + b) * S[2][2] - 2.0 * c * c)
    if not (d1 > 0 and d2 > 0 and d3 > 0 and G_tn > 0):
        raise ValueError(f"materials.{name}: E = {E_t:g}, nu = {nu_t:g}, E_normal = {E_n:g}, nu_normal = {nu_nt:g} "
                         "give no positive definite stiffness (|nu| < 1 in plane and nu_normal^2 < "
                         "(1 - nu) E_normal / (2 E))")
    # inverse of [[a, b, c], [b, a, c], [c, c, e]]: by the in-plane sum and difference
    e = S[2][2]
    C11_minus_C12 = 1.0 / (a - b)
    det = (a + b) * e - 2.0 * c * c  # of [[a + b, 2c], [c, e]] acting on (x1 + x2)/2, x3
    C11_plus_C12 = e / det
    C13 = -c / det
    C33 = (a + b) / det
    C11 = 0.5 * (C11_plus_C12 + C11_minus_C12)
    C12 = 0.5 * (C11_plus_C12 - C11_minus_C12)
    return C11, C12, C13, C33, G_tn
