"""Import order for the FEniCSx stack.

The ``dolfinx-solver-real`` wheel must be imported before ``dolfinx``/``petsc4py`` (it
orders MPI ahead of the compiled bindings). On an official DOLFINx install (conda, the
FEniCS images) that module does not exist and nothing needs doing.

The form kernels that DOLFINx compiles are built with :data:`KERNEL_COMPILE_ARGS`: its own
``-O2 -g0`` plus the floating-point licences that let the C compiler reorder a kernel's sums and
so vectorise them. The octant's P2 stiffness kernel then takes half the time (docs/solvers.md).
A ``dolfinx_jit_options.json`` of the user's (``~/.config/dolfinx/`` or the working directory)
still takes priority.

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

#: C compiler flags of the form kernels. Not ``-ffast-math``: its finite-math-only would let
#: the compiler drop NaN and Inf (a diverged solve must still show them), and GCC < 13 links
#: crtfastmath.o into the kernel's library, which flushes subnormals to zero in the whole
#: process. These allow reassociation only; the kernels' values change in the last bits.
KERNEL_COMPILE_ARGS = ["-O2", "-g0", "-fno-math-errno", "-fno-trapping-math", "-fno-signed-zeros",
                       "-fassociative-math"]

_defaults = getattr(getattr(dolfinx, "jit", None), "DOLFINX_DEFAULT_JIT_OPTIONS", None)
if isinstance(_defaults, dict) and sys.platform != "win32" and "cffi_extra_compile_args" in _defaults:
    _defaults["cffi_extra_compile_args"] = (KERNEL_COMPILE_ARGS, _defaults["cffi_extra_compile_args"][1])
