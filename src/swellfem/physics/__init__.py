"""physics: the third step — the mechanics of a meshed shape.

Lives here: reading the cached mesh into DOLFINx with its tags (``mesh``), kinematics of the
formulations (``kinematics``), the potassiation eigenstrain (``eigenstrain``), material laws
and their registry (``laws/``: one law per region), the linear solvers (``solver``), Newton with load
increments (``newton``) and the problem that assembles them (``problem``).

May import: :mod:`swellfem.geometry`, :mod:`swellfem.case`, dolfinx (through
``swellfem._backend``). Not the steps after it (potassiation, results, studies, view).
"""

from .eigenstrain import eigenstrain, eigenstrain_numpy
from .laws import LAWS, MaterialLaw, RegionMaterial
from .mesh import LoadedMesh, load_mesh
from .newton import NewtonOptions
from .problem import ElasticityProblem, MechanicsProblem, SolveInfo
from .solver import SolverError

__all__ = [
    "LAWS", "ElasticityProblem", "LoadedMesh", "MechanicsProblem", "NewtonOptions", "MaterialLaw", "RegionMaterial", "SolveInfo", "SolverError",
    "eigenstrain", "eigenstrain_numpy", "load_mesh",
]
