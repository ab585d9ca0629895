"""Rigid motions of free bodies that frictionless contact does not hold, removed exactly (full 3D).

A free particle in a cage (:attr:`~swellfem.geometry.shape.Body.free`) is held only by its
contacts once it touches. Frictionless contact pushes along the surface normals, and on a
sphere they all pass through its centre: no contact resists the particle's spin. Particles in a
spherical cavity can also turn together about its centre keeping every contact (two on a
diameter roll round the cage). And just after it touches, a particle's contacts, pressed by a
tiny force, hardly resist its sideways translation. These are mechanisms, or nearly so: the
Jacobian is singular or nearly singular along them, the weak springs of the free bodies
(1e-6 E L) only made it regular, and Newton's corrections moved the particles by large amounts
in each iteration; two particles in a cage did not converge in full 3D (docs/contact.md).

Each held motion (:class:`~swellfem.geometry.shape.HeldMotion`: bodies, a rotation centre c,
translation directions t) is removed by constraints on the mean motion of its bodies,

    g_k(u) = int m_k . u dV0 = 0,    m_k = e_k x (X - c)  (rotations),  m = t  (translations),

with a Lagrange multiplier each: a body force -lambda_k m_k in the residual, the force or moment
that would hold the motion. Their unknowns and equations join the bordered Newton step of the
holding forces (:meth:`~.holding.RigidHolding.solve`). Modes that coincide (two particles on the
z axis turn about it together as they spin about it) are made independent once, by an eigen-
decomposition of the modes' Gram matrix (modes below :data:`DEPENDENT_MODE_RATIO` of the largest
eigenvalue are dependent).

The exact solution needs none of these forces: a sphere's spin is unloaded, so is a rotation
about the cavity's centre, and the translations held are those the arrangement's symmetry
excludes (a particle set evenly moves only along its direction from the cage's centre). What
the multipliers carry is the discretised contact's stray force: reported per free body
(:meth:`HeldMotions.measures`) as the resultant force and moment of their body force, to be
compared with its contact force.

Units: lengths nm, body force MPa / nm; reported in nN and nN nm (MPa nm^2 = 1e-3 nN).
"""

from __future__ import annotations

import numpy as np

from .._backend import MPI, PETSc

from dolfinx import fem  # noqa: E402
from dolfinx.fem import petsc as fem_petsc  # noqa: E402

#: modes whose Gram eigenvalue is below this fraction of the largest are dependent on the others
DEPENDENT_MODE_RATIO = 1e-9
#: a free body whose held motions carry more than this fraction of the contact force on it has
#: no valid result (:func:`unresolved_holds`)
HELD_FORCE_LIMIT = 0.1
#: held forces below this (nN) are round-off (a body that touches nothing)
HELD_FORCE_FLOOR_NN = 1e-6


def unresolved_holds(free_bodies: dict[str, dict], contact: dict[str, dict]) -> str | None:
    """Why the held motions of free bodies invalidate a solved stage, in one line (None: they do not).

    ``free_bodies``: :meth:`HeldMotions.measures`; ``contact``: per pair ``"<slave>|<master>"``
    its ``contact_force_nN``. The exact solution needs no force to hold these motions; where
    their force exceeds :data:`HELD_FORCE_LIMIT` of the contact force that presses a body (summed
    over the pairs it belongs to), the discrete contact is lopsided (e.g. only some of a particle's
    neighbours touch it) and the hold, not the contact, sets the result."""
    bodies, forces, shares = [], [], []
    for body, held in sorted(free_bodies.items()):
        force = held["constraint_force_nN"]
        pressed = sum(values.get("contact_force_nN", 0.0) for pair, values in contact.items()
                      if body in pair.split("|"))
        if force > HELD_FORCE_LIMIT * pressed + HELD_FORCE_FLOOR_NN:
            bodies.append(body)
            forces.append(force)
            shares.append(force / pressed if pressed > 0 else float("inf"))
    if not bodies:
        return None

    def span(values, fmt):
        low, high = fmt(min(values)), fmt(max(values))
        return low if low == high else f"{low}-{high}"

    share = span(shares, lambda x: f"{x:.0%}") if max(shares) < float("inf") else "unbounded"
    return (f"free particle{'s' if len(bodies) > 1 else ''} {', '.join(bodies)} held by "
            f"{span(forces, lambda x: f'{x:.3g}')} nN against motions that contact leaves free, {share} of the "
            f"contact force on {'them' if len(bodies) > 1 else 'it'} (at most {HELD_FORCE_LIMIT:.0%}): the mesh does "
            f"not resolve the contacts evenly (refine mesh.interface_size)")


class HeldMotions:
    """The constraints of a shape's held rigid motions (see the module docstring)."""

    def __init__(self, problem, motions: list, bcs: list):
        """``motions``: :class:`~swellfem.geometry.shape.HeldMotion` of the shape; ``bcs``: the
        Dirichlet conditions, whose rows the constraints' load vectors leave out."""
        import ufl

        mesh = problem.mesh
        self.comm = mesh.comm
        tags = problem.loaded.layer_tags
        X = problem.kinematics.x
        v = ufl.TestFunction(problem.V)
        e = np.eye(3)
        # every mode: (field, regions), then an orthonormal, independent combination of them
        raw = []
        for motion in motions:
            regions = set(motion.regions)
            if motion.rotation_centre is not None:
                rel = X - ufl.as_vector(motion.rotation_centre)
                raw += [(ufl.cross(ufl.as_vector(e[k]), rel), regions) for k in range(3)]
            raw += [(ufl.as_vector(direction), regions) for direction in motion.translations]

        def dx(regions):
            return problem.dx(tuple(tags[name] for name in sorted(regions)))

        gram = np.zeros((len(raw), len(raw)))
        for i, (mi, ri) in enumerate(raw):
            for j, (mj, rj) in enumerate(raw[:i + 1]):
                if ri & rj:
                    gram[i, j] = gram[j, i] = self._integral(ufl.dot(mi, mj) * dx(ri & rj))
        values, vectors = np.linalg.eigh(gram)
        keep = values > DEPENDENT_MODE_RATIO * values.max(initial=0.0)
        #: raw mode i enters independent mode j with weight T[i, j] (orthonormal in L2)
        self.transform = vectors[:, keep] / np.sqrt(values[keep])
        self.n_modes = int(keep.sum())
        self.multipliers = [fem.Constant(mesh, PETSc.ScalarType(0.0)) for _ in range(self.n_modes)]
        # per raw mode the amplitude of its body force, and its load vector int m_i . v dV0
        amplitudes = [sum(float(self.transform[i, j]) * lam for j, lam in enumerate(self.multipliers))
                      for i in range(len(raw))]
        self.work = 0
        raw_vectors = []
        for (m, regions), amplitude in zip(raw, amplitudes):
            self.work = self.work - amplitude * ufl.dot(m, v) * dx(regions)
            vec = fem_petsc.create_vector(problem.V)
            vec.set(0.0)
            fem_petsc.assemble_vector(vec, fem.form(ufl.dot(m, v) * dx(regions)))
            vec.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
            fem_petsc.set_bc(vec, bcs)
            raw_vectors.append(vec)
        #: the independent modes' load vectors M_j (with the Dirichlet rows zero)
        self.load_vectors = []
        for j in range(self.n_modes):
            vec = raw_vectors[0].duplicate()
            vec.set(0.0)
            vec.maxpy(self.transform[:, j], raw_vectors)
            self.load_vectors.append(vec)
        for vec in raw_vectors:
            vec.destroy()
        self._step = np.zeros(self.n_modes)
        self._u = problem.u
        # what is reported: per body the resultant force and moment about its centroid of the
        # constraints' body force on it
        self._measure_forms = {}
        one = fem.Constant(mesh, PETSc.ScalarType(1.0))
        for name in sorted(set().union(*(regions for _, regions in raw)) if raw else ()):
            force = sum(amplitude * m for (m, regions), amplitude in zip(raw, amplitudes) if name in regions)
            body = dx({name})
            volume = self._integral(one * body)
            centre = [self._integral(X[k] * body) / volume for k in range(3)]
            moment = ufl.cross(X - ufl.as_vector(centre), force)
            self._measure_forms[name] = ([fem.form(force[k] * body) for k in range(3)],
                                         [fem.form(moment[k] * body) for k in range(3)])

    def _integral(self, form) -> float:
        return self.comm.allreduce(fem.assemble_scalar(fem.form(form)), op=MPI.SUM)

    def _assemble(self, form) -> float:
        return self.comm.allreduce(fem.assemble_scalar(form), op=MPI.SUM)

    def constraint_values(self) -> np.ndarray:
        """g_j = M_j . u of the current displacement (all ranks; 0 once a correction is taken)."""
        u = self._u.x.petsc_vec
        return np.array([vec.dot(u) for vec in self.load_vectors])

    def apply(self, fraction: float = 1.0) -> None:
        """lambda <- lambda - fraction dlambda (the last correction)."""
        for lam, dlam in zip(self.multipliers, self._step):
            lam.value = float(lam.value) - fraction * dlam

    def set_step(self, step: np.ndarray) -> None:
        self._step = np.asarray(step, dtype=float)

    def state(self) -> np.ndarray:
        return np.array([float(lam.value) for lam in self.multipliers])

    def restore(self, saved: np.ndarray) -> None:
        for lam, value in zip(self.multipliers, saved):
            lam.value = value

    def measures(self) -> dict[str, dict]:
        """Per free body: the resultant force (nN) and moment about its centre (nN nm) of the
        body force with which the constraints hold it (the stray force of the discretised
        contact; zero for the exact solution)."""
        out = {}
        for name, (force_forms, moment_forms) in self._measure_forms.items():
            force = np.array([self._assemble(f) for f in force_forms])
            moment = np.array([self._assemble(f) for f in moment_forms])
            out[name] = {"constraint_force_nN": float(np.linalg.norm(force)) * 1e-3,
                         "constraint_moment_nN_nm": float(np.linalg.norm(moment)) * 1e-3}
        return out

    def destroy(self) -> None:
        for vec in self.load_vectors:
            vec.destroy()
