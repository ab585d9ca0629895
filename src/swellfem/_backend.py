"""Import order for the FEniCSx stack.

The ``dolfinx-solver-real`` wheel must be imported before ``dolfinx``/``petsc4py`` (it
orders MPI ahead of the compiled bindings). On an official DOLFINx install (conda, the
FEniCS images) that module does not exist and nothing needs doing.
"""

try:  # pragma: no cover - depends on how DOLFINx was installed
    import dolfinx_solver  # noqa: F401
except ImportError:  # official DOLFINx install
    pass

import dolfinx  # noqa: E402,F401
from mpi4py import MPI  # noqa: E402,F401
from petsc4py import PETSc  # noqa: E402,F401
