"""The material-law interface: one law per region, from the registry in ``laws/__init__``.

A law owns the regions that use it. From the problem it gets a :class:`LawContext` (mesh,
kinematics, the potassiation field theta, the eigenstrain convention, the cell tags) and the
:class:`RegionMaterial` of each of its regions; it gives the Cauchy stress of a displacement
and its stored-energy density as UFL. The problem assembles the virtual work of all laws,
each over its own cells (``dx(tags)``); nothing else in the solver loop knows about laws.
Stresses in MPa, tension positive.
"""

from __future__ import annotations

import abc
import dataclasses
from typing import Any, ClassVar


@dataclasses.dataclass(frozen=True)
class RegionMaterial:
    """What a region's law is given: elastic constants (E in MPa), swelling beta = dV/V0 at
    full potassiation, whether it is an active (potassium-storing) phase, and the law's name."""

    E_MPa: float
    nu: float
    volumetric_expansion: float
    active: bool
    law: str = "isotropic"
    #: J2 plasticity (None: elastic); linear isotropic hardening
    yield_strength_MPa: float | None = None
    hardening_modulus_MPa: float = 0.0
    #: values at full potassiation (theta = 1), linear in theta between (None: as pristine)
    E_potassiated_MPa: float | None = None
    yield_strength_potassiated_MPa: float | None = None
    #: the law's own parameters (swellfem.case.laws.LAW_PARAMETERS; pressures MPa)
    parameters: dict[str, float] = dataclasses.field(default_factory=dict)

    @property
    def plastic(self) -> bool:
        return self.yield_strength_MPa is not None

    @property
    def effective_E_MPa(self) -> float:
        """The Young's modulus of the region as a body (a porous carbon: E (1 - porosity)^2;
        a transversely isotropic shell: its in-plane E)."""
        if self.law == "porous":
            return self.E_MPa * (1.0 - self.parameters["porosity"]) ** 2
        return self.E_MPa

    @property
    def softens(self) -> bool:
        """Whether a property changes with potassiation."""
        return self.E_potassiated_MPa is not None or self.yield_strength_potassiated_MPa is not None


@dataclasses.dataclass
class LawContext:
    """What the problem shares with its laws."""

    mesh: Any  # dolfinx.mesh.Mesh
    kinematics: Any  # swellfem.physics.kinematics.SmallStrain
    theta: Any  # dolfinx.fem.Function: local potassiation in [0, 1]
    convention: str  # eigenstrain convention
    cell_tags: Any  # dolfinx.mesh.MeshTags
    region_tags: dict[str, int]
    degree: int  # polynomial degree of the displacement
    weight: Any  # UFL: the volume weight of integrals (2 pi r in 2D-axisymmetric, else 1)
    kinematics_kind: str = "small"  # "small" | "finite"
    displacement: Any = None  # dolfinx.fem.Function: the problem's unknown u (nm)
    quadrature_degree: int = 4  # of the problem's integrals (and of quadrature-point laws)
    #: unit normals of shell surfaces at reference points, X (n, 3) -> (n, 3) in the tensor
    #: components ((r, theta, z) axisymmetric); the shape's (geometry.Shape.shell_normal); None: radial
    shell_normal: Any = None


class MaterialLaw(abc.ABC):
    """A constitutive law for a set of regions."""

    #: name in case files and the registry
    name: ClassVar[str]
    #: True if the stress is affine in the displacement (solved by one linear solve per stage)
    linear: ClassVar[bool] = True

    def __init__(self, context: LawContext, regions: dict[str, RegionMaterial]):
        self.context = context
        self.regions = dict(regions)

    @property
    def tags(self) -> tuple[int, ...]:
        """Cell tags of this law's regions (for ``dx(tags)``)."""
        return tuple(self.context.region_tags[name] for name in self.regions)

    def cells(self, name: str):
        """Local cells of region ``name``."""
        return self.context.cell_tags.find(self.context.region_tags[name])

    @abc.abstractmethod
    def stress(self, w, evaluation: bool = True):
        """Cauchy stress (MPa, 3x3) of displacement ``w`` at the current theta.

        ``evaluation=False``: the stress of the weak form (integrated at interior quadrature
        points). ``evaluation=True``: the stress to evaluate at points (cell vertices, probe
        points), which may use recovered quantities of :meth:`update` and limits on the axis."""

    @abc.abstractmethod
    def energy_density(self, w):
        """Stored elastic energy per unit volume (MPa = 1e-21 J/nm^3) of displacement ``w``."""

    def update(self) -> None:
        """Called after every solve, before stresses are evaluated (state, recovered fields)."""

    def measure(self):
        """dx over this law's cells at the problem's quadrature degree."""
        import ufl

        ctx = self.context
        dx = ufl.Measure("dx", domain=ctx.mesh, subdomain_data=ctx.cell_tags,
                         metadata={"quadrature_degree": ctx.quadrature_degree, "quadrature_scheme": "default"})
        return dx(self.tags)

    def residual(self, v):
        """This law's share of the virtual work at the problem's displacement (UFL), for the
        Newton solver: sigma(u) : eps(v) (small strain laws)."""
        import ufl

        ctx = self.context
        return ufl.inner(self.stress(ctx.displacement, evaluation=False), ctx.kinematics.strain(v, False)) \
            * ctx.weight * self.measure()

    def jacobian(self, du, v):
        """The derivative of :meth:`residual` in the direction ``du`` (UFL)."""
        import ufl

        return ufl.derivative(self.residual(v), self.context.displacement, du)

    def commit(self) -> None:
        """Accept the state of the last evaluation (a converged load increment)."""

    def destroy(self) -> None:
        """Free PETSc objects."""
