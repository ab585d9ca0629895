"""view: pictures of results — pyvista views of a run's fields, field pictures and figures.

Lives here: ``swellfem view`` and :func:`plot_fields` (``viewer``), off-screen pyvista sections
and panels (``render``), matplotlib figures of comparisons and sweeps (``figures``).

May import: nothing of swellfem outside this package; it reads what the results step wrote
(``summary.json``, ``fields/fields.pvd``) and the rows the studies pass in. No dolfinx.
"""

from .viewer import ViewError, plot_fields, view

__all__ = ["ViewError", "plot_fields", "view"]
