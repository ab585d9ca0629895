"""results: the fifth step — what a solved stage means, and writing it down.

Lives here: per-region stress measures, interface normal stress, the axial profile, apparent
expansion and strain energy (``measures``), VTK fields (``fields``), the all-or-nothing
output directory and JSON (``files``), tables of stage results (``tables``).

May import: :mod:`swellfem.physics` (the solved problem), dolfinx. ``files`` and ``tables``
import neither dolfinx nor anything of swellfem.
"""

from .files import atomic_directory, write_json
from .tables import flatten_stage, format_region_table

__all__ = ["atomic_directory", "flatten_stage", "format_region_table", "write_json"]
