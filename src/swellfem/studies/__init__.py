"""studies: the whole pipeline for a purpose — one run, a comparison of models, a sweep.

Lives here: ``run`` (a case end to end: case -> mesh -> physics -> stages -> results -> OUTDIR),
``comparison`` (comparison files, their model variants, table and claims; no dolfinx),
``compare`` (runs one and writes table, figures, pictures; models in worker processes with
``jobs``), ``report`` (its report.md), ``sweep`` (sweep files and their points; no dolfinx)
and ``sweep_run`` (runs them serially, in workers or under MPI).

May import: every step before it (case, geometry, physics, potassiation, results) and
:mod:`swellfem.view` for figures and pictures. Only :mod:`swellfem.cli` imports it.
"""
