"""Import order for the FEniCSx stack.

The ``dolfinx-solver-real`` wheel must be imported before ``dolfinx``/``petsc4py`` (it
orders MPI ahead of the compiled bindings). On an official DOLFINx install (conda, the
FEniCS images) that module does not exist and nothing needs doing.

PETSc is initialised without its own signal handlers: swellfem turns SIGINT and SIGTERM into
a clean stop (temporaries removed, one line, exit 130), which PETSc's handler would replace
with its abort text.
"""

import sys

try:  # pragma: no cover - depends on how DOLFINx was installed
    import dolfinx_solver  # noqa: F401
except ImportError:  # official DOLFINx install
    pass

import petsc4py  # noqa: E402

if "petsc4py.PETSc" not in sys.modules:  # options of PETSC_OPTIONS still apply
    petsc4py.init(["swellfem", "-no_signal_handler"])

import dolfinx  # noqa: E402,F401
from mpi4py import MPI  # noqa: E402,F401
from petsc4py import PETSc  # noqa: E402,F401
