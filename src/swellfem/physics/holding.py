"""Holding a body that contact pushes off-centre: a distributed body force instead of a point.

The bodies of a yolk–shell are each held against rigid motion by a few point constraints
(u_z at an anchor in axisymmetry, a 3-2-1 support in full 3D). While every force on a body is
balanced (a centred yolk, a shell pressed all round) those points carry nothing. A yolk that
touches its shell on one side only is pushed by a net contact force; a point support would
carry it as a point load, whose stress is singular and whose displacement grows without bound
under mesh refinement, so that the contact force itself does not converge.

Here the net force (and moment) on each body is carried instead by a body force spread over the
body, f(X) = sum_k c_k r_k(X) (the body's rigid modes r_k: the axial translation in
axisymmetry; three translations and three rotations about its centroid in 3D), the inertia
relief of structural mechanics. The point supports still fix the body's position but carry
nothing: after Newton converges, the supports' generalised reactions Q_k = sum R_i r_k(X_i) are
moved onto the body force (M dc = Q, M_jk = int r_j . r_k dV, at first; then by Broyden's
estimate of how they respond) and Newton runs again, until they are below
:attr:`RigidHolding.tolerance` of the contact force. A frictionless yolk that nothing held
would slide back towards the centre; the body force models what keeps it where it
sits (its contact with the electrode, carbon bridges), and the net contact force it carries is
reported (``net_force_nN``).

Units: forces MPa nm^2 (1e-3 nN), body force MPa / nm.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.linalg

from .._backend import MPI, PETSc


@dataclasses.dataclass
class _HeldBody:
    support_dofs: np.ndarray  # local (unrolled) dofs of the point supports, owned
    modes_at_support: np.ndarray  # (n_modes, n_support_dofs): r_k at each support dof, its component
    gram: np.ndarray  # (n_modes, n_modes)
    scale: np.ndarray  # (n_modes,): 1 for translations, 1 / size for rotations (comparable forces)
    coefficients: list  # per mode a dolfinx Constant c_k (MPa / nm per unit mode)


class RigidHolding:
    """The body forces that hold each body in place (see the module docstring)."""

    #: supports carry at most this fraction of the contact force (translations; moments over the body's size)
    tolerance = 1e-5
    #: a move at most this many times the one that ignores the contact force's response
    max_acceleration = 10.0

    def __init__(self, problem, supports: list[list[tuple[np.ndarray, int]]]):
        """``supports``: per body of ``problem.loaded.shape.bodies``, its point supports as
        (local dofs, component)."""
        import dolfinx.fem as fem
        import ufl

        self.problem = problem
        mesh = problem.mesh
        self.comm = mesh.comm
        loaded = problem.loaded
        X = problem.kinematics.x
        gdim = mesh.geometry.dim
        n_owned = problem.V.dofmap.index_map.size_local * problem.V.dofmap.index_map_bs
        dof_x = problem.V.tabulate_dof_coordinates()
        bs = problem.V.dofmap.index_map_bs
        self.bodies: list[_HeldBody] = []
        work = 0
        v = ufl.TestFunction(problem.V)
        one = fem.Constant(mesh, PETSc.ScalarType(1.0))
        for body, body_supports in zip(loaded.shape.bodies, supports):
            dx = problem.dx(tuple(loaded.layer_tags[name] for name in body.regions))
            weight = problem.weight
            volume = self._integral(one * weight * dx)
            if gdim == 2:  # axisymmetric meridian (r, z): the axial translation only
                modes = [ufl.as_vector([0.0, 1.0])]
                point_modes = [lambda x, comp: 1.0 if comp == 1 else 0.0]
                scale = np.ones(1)
            else:
                centre = np.array([self._integral(X[i] * weight * dx) / volume for i in range(3)])
                size = max(volume ** (1.0 / 3.0), 1e-12)
                e = np.eye(3)
                modes = [ufl.as_vector(e[k]) for k in range(3)]
                rel = X - ufl.as_vector(centre)
                modes += [ufl.cross(ufl.as_vector(e[k]), rel) for k in range(3)]
                point_modes = [(lambda k: lambda x, comp: e[k][comp])(k) for k in range(3)]
                point_modes += [(lambda k: lambda x, comp: np.cross(e[k], x - centre)[comp])(k) for k in range(3)]
                scale = np.array([1.0] * 3 + [1.0 / size] * 3)
            gram = np.array([[self._integral(ufl.dot(a, b) * weight * dx) for b in modes] for a in modes])
            coefficients = [fem.Constant(mesh, PETSc.ScalarType(0.0)) for _ in modes]
            force = sum(c * r for c, r in zip(coefficients, modes))
            work = work - ufl.dot(force, v) * weight * dx
            dofs, values = [], []
            for local, comp in body_supports:
                local = np.asarray(local, dtype=np.int64)
                local = local[local < n_owned]
                for dof in local:
                    x = dof_x[dof // bs]
                    dofs.append(dof)
                    values.append([mode(x, comp) for mode in point_modes])
            self.bodies.append(_HeldBody(np.asarray(dofs, dtype=np.int32),
                                         np.asarray(values, dtype=float).reshape(-1, len(modes)).T,
                                         gram, scale, coefficients))
        self.work = work  # to add to the residual form (a dead load on the reference body)
        self.reactions = [np.zeros(len(b.coefficients)) for b in self.bodies]
        self._gram = scipy.linalg.block_diag(*[body.gram for body in self.bodies])  # every body's modes
        self.begin()

    def _integral(self, form) -> float:
        """Over the mesh as meshed (no symmetry factor: the reactions are read from the same
        mesh's residual)."""
        import dolfinx.fem as fem

        return self.comm.allreduce(fem.assemble_scalar(fem.form(form)), op=MPI.SUM)

    def record(self, b) -> None:
        """Read the supports' generalised reactions from the residual ``b`` (assembled, before
        the Dirichlet rows are set): Q_k = sum_i R_i r_k(X_i) per body."""
        array = b.array_r
        for k, body in enumerate(self.bodies):
            local = body.modes_at_support @ array[body.support_dofs]  # zeros where this rank holds none
            self.reactions[k] = self.comm.allreduce(local, op=MPI.SUM)

    def state(self) -> list[np.ndarray]:
        return [np.array([float(c.value) for c in body.coefficients]) for body in self.bodies]

    def restore(self, saved: list[np.ndarray]) -> None:
        for body, values in zip(self.bodies, saved):
            for c, value in zip(body.coefficients, values):
                c.value = value

    def update(self, force_scale: float) -> bool:
        """Move the supports' reactions onto the body forces; True (on every rank) when some
        support carried more than :attr:`tolerance` of ``force_scale`` (MPa nm^2, the contact
        force; or of the force a body force carries, once contact is lost) and Newton must run
        again. Without either, nothing is moved (the supports' reactions are round-off)."""
        unsettled = False
        for body, Q, held in zip(self.bodies, self.reactions, self.net_forces()):
            scale = max(force_scale, float(np.linalg.norm(held)))  # a body force left from a contact since lost
            if scale > 0.0 and np.max(np.abs(Q * body.scale)) > self.tolerance * scale:
                unsettled = True
        if not unsettled:
            self._previous = None  # settled: a next move starts a new secant
            return False
        # Broyden, over the modes of every body together (moving one body's force moves the
        # contact on the other): the reactions respond to the body forces directly (-M dc) and
        # through the contact force, which grows as the point load is taken off (by a third to a
        # half of it in a yolk-shell). The response J = dQ/dc starts at -M and is corrected from
        # each move, in the metric of M (translations and rotations weigh alike).
        Q = np.concatenate(self.reactions)
        if self._previous is not None:
            dc, dQ = self._last_move, Q - self._previous
            Mdc = self._gram @ dc
            self._response += np.outer(dQ - self._response @ dc, Mdc) / float(dc @ Mdc)
        self._previous = Q
        try:
            change = -np.linalg.solve(self._response, Q)
        except np.linalg.LinAlgError:
            change = np.full_like(Q, np.nan)
        plain = np.linalg.solve(self._gram, Q)  # the move that would leave the contact force as it is
        ratio = np.sqrt(float(change @ self._gram @ change) / max(float(plain @ self._gram @ plain), 1e-300))
        if not np.isfinite(ratio):  # a singular secant: the plain move
            change = plain
        elif ratio > self.max_acceleration:  # a nearly singular one: no further than this
            change *= self.max_acceleration / ratio
        self._last_move = change
        coefficients = [c for body in self.bodies for c in body.coefficients]
        for c, dc in zip(coefficients, change):
            c.value = float(c.value) + dc
        return True

    def begin(self) -> None:
        """A new load: forget the reactions of the last one and their response (Broyden's memory)."""
        self._response = -self._gram.copy()
        self._previous: np.ndarray | None = None
        self._last_move: np.ndarray | None = None

    def net_forces(self) -> list[np.ndarray]:
        """Per body, the net force its body force carries (MPa nm^2; the translational modes)."""
        out = []
        for body in self.bodies:
            c = np.array([float(x.value) for x in body.coefficients])
            n_t = 1 if body.gram.shape[0] == 1 else 3
            out.append(body.gram[:n_t] @ c)
        return out
