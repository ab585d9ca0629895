"""Frictionless contact across a void: a yolk's surface against the wall of its cage, or a
particle's against its cage or a neighbour's (one :class:`ContactPair` each).

Method: augmented Lagrangian (Uzawa) on a penalty, slave points against a master surface,
finite kinematics (the closest point is searched on the *deformed* master surface at every
Newton iterate, so the yolk may slide and the cage deform).

* **Slave** (the region inside the void): quadrature points of its void-facing facets,
  reference area weights dA0 (times 2 pi R in axisymmetry).
* **Master** (the void's outer wall): its curved (P2) facets, current position
  x(xi) = X(xi) + u(xi). For every slave point x_s the closest point x_m is found by a k-d
  tree over points sampled on the master facets, then Gauss-Newton projection onto the
  candidate facets (clipped to each facet).
* **Gap** g = (x_s - x_m) . n_m at each slave point, n_m the master's outward unit normal
  (into the void); g < 0 is penetration. Only a part of the master that faces the slave point
  counts (its outward normal against the slave's): with several bodies in one void (particles
  in a cage) a particle's normal line can meet the far wall of the cage behind it, or the far
  side of a neighbour, where the two cannot touch. A point whose normal line meets no facing
  part of the master near it has the distance to the master as its gap (it cannot touch there). The constraint is imposed on *weighted gaps* at the
  slave surface's vertices (a mortar-type projection onto the piecewise-linear functions N_i
  of the slave facets): g_i = int N_i g dA0 / int N_i dA0. Pointwise constraints at every
  quadrature point over-constrain the surface (more constraints than surface dofs) and make
  the pressure oscillate from point to point; the weighted gaps do not.
* **Contact traction** (per reference area) t_i = <lambda_i - eps g_i> at each vertex,
  interpolated t = sum_i N_i t_i between them; lambda_i >= 0 the Uzawa multiplier, ``eps``
  the penalty (MPa/nm). Residual: int -t n . (v_s - v_m) dA0 (delta g = n . (delta u_s -
  delta u_m) at a closest point). The tangent is the exact derivative of that residual: the
  penalty part (the weighted gaps' derivatives, which include the closest point's sliding) and
  the geometric part, -int t dB/du dA0, from the slave normal turning and the closest point
  sliding along the master (:meth:`ContactPair._linearisation`). Without the geometric part
  Newton converges only linearly, at a rate that grows with the contact pressure: under GPa
  pressures (a Bi yolk in a thin cage) it needed more than the 12 iterations Newton has and
  the load steps were cut to nothing.
* After Newton converges, lambda_i <- t_i and Newton runs again until the largest weighted
  penetration is below ``penetration_tolerance_nm``; the penalty alone would leave a
  penetration t / eps, which shifts the contact pressure by about (t / eps) / (compliance of
  the pair).

A penetration larger than ``max_penetration_nm`` (a surface passing through the other) is an
error, never a result. Lengths nm, stresses MPa; works in parallel (the master surface is
shared among the ranks at every search; each rank owns the slave points of its cells).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .._backend import MPI, PETSc


class ContactError(RuntimeError):
    """Surfaces passed through each other (the penetration is beyond what contact allows)."""


@dataclasses.dataclass
class ContactState:
    """The pair's state at the current displacement (slave points of this rank)."""

    gap: np.ndarray  # (n,) nm
    normal: np.ndarray  # (n, gdim) master normal at the closest point
    master_facet: np.ndarray  # (n,) index into the shared master facets
    master_xi: np.ndarray  # (n, tdim) reference-cell coordinates of the closest point
    area_ratio: np.ndarray  # (n,) dA0 / da (reference over current area of the slave point)
    position: np.ndarray  # (n, gdim) current slave positions
    tangent: np.ndarray  # (n, gdim, fdim) current slave tangents dx/dp along the facet's parameters


def _facet_parametrisation(cell_type, lf: int):
    """(origin, edges (fdim, tdim)) of local facet ``lf`` of the reference cell."""
    import basix

    tdim = len(basix.geometry(cell_type)[0])
    verts = basix.geometry(cell_type)[basix.topology(cell_type)[tdim - 1][lf]]
    return verts[0], verts[1:] - verts[0]


def _clip_to_facet(p: np.ndarray) -> np.ndarray:
    """Facet parameters clipped to the reference interval [0, 1] or triangle s, t >= 0, s + t <= 1."""
    p = np.clip(p, 0.0, 1.0)
    if p.shape[1] == 2:
        over = p.sum(axis=1) > 1.0
        if np.any(over):
            excess = 0.5 * (p[over].sum(axis=1) - 1.0)
            q = p[over] - excess[:, None]
            q = np.clip(q, 0.0, 1.0)
            q /= np.maximum(q.sum(axis=1), 1.0)[:, None]
            p[over] = q
    return p


def _contract(tab: np.ndarray, values: np.ndarray):
    """Values (n, gdim) and their reference derivatives (n, gdim, tdim) at points from a
    tabulation ``tab`` (1 + tdim, n, nb) and nodal values (n, nb, gdim) (batched matmul: numpy's
    einsum is several times slower here)."""
    x = (tab[0][:, None, :] @ values)[:, 0, :]
    dx = np.stack([(tab[d][:, None, :] @ values)[:, 0, :] for d in range(1, tab.shape[0])], axis=2)
    return x, dx


class _SurfaceData:
    """The facets of one side: for each facet its cell's geometry nodes (reference), the cell's
    dof blocks (global), which of them lie on the facet, the local facet index; the element
    tabulations come from :class:`ContactPair`."""

    def __init__(self, mesh, V, facets: np.ndarray):
        tdim = mesh.topology.dim
        fdim = tdim - 1
        mesh.topology.create_connectivity(fdim, tdim)
        mesh.topology.create_connectivity(tdim, fdim)
        f2c = mesh.topology.connectivity(fdim, tdim)
        c2f = mesh.topology.connectivity(tdim, fdim)
        n_owned_cells = mesh.topology.index_map(tdim).size_local
        cells, local = [], []
        for f in facets:
            c = f2c.links(f)[0]
            if c >= n_owned_cells:  # the owning rank of the cell handles the facet
                continue
            cells.append(c)
            local.append(int(np.flatnonzero(c2f.links(c) == f)[0]))
        self.cells = np.asarray(cells, dtype=np.int32)
        self.local_facet = np.asarray(local, dtype=np.int32)
        geo_dofs = mesh.geometry.dofmaps[0]
        self.nodes = mesh.geometry.x[geo_dofs[self.cells]] if len(cells) else np.zeros((0, geo_dofs.shape[1], 3))
        dofmap = V.dofmap
        blocks = dofmap.list[self.cells] if len(cells) else np.zeros((0, dofmap.list.shape[1]), dtype=np.int32)
        self.local_blocks = blocks
        self.global_blocks = (V.dofmap.index_map.local_to_global(blocks.ravel()).reshape(blocks.shape)
                              if len(cells) else blocks.astype(np.int64))


class ContactPair:
    """Frictionless contact of the facets tagged ``inner_tag`` (slave: the region inside the
    void) with those tagged ``outer_tag`` (master: the void's outer wall). See the module
    docstring. ``constrained``: a boolean per local dof of ``V`` (Dirichlet-held, no contact
    rows or columns there)."""

    #: master facets searched per slave point (nearest sampled points' facets)
    candidates = 6
    #: Uzawa stops when an update changes no traction by more than this fraction of the largest
    #: (the contact pressures are then that accurate; the penetration left is below t / eps)
    traction_tolerance = 1e-4

    def __init__(self, name: str, V, u, facet_tags, inner_tag: int, outer_tag: int, axisymmetric: bool,
                 penalty: float, constrained: np.ndarray, length_scale_nm: float, quadrature_degree: int = 4,
                 finite: bool = True):
        import basix

        self.name = name
        self.V, self.u = V, u
        mesh = V.mesh
        self.mesh, self.comm = mesh, mesh.comm
        self.axisymmetric = axisymmetric
        #: finite kinematics: pressures are Cauchy (per deformed area); small strain: per reference area
        self.finite = finite
        self.gdim = mesh.geometry.dim
        self.tdim = tdim = mesh.topology.dim
        self.bs = V.dofmap.index_map_bs
        self.penalty = float(penalty)
        self.constrained = constrained
        #: penetration accepted after the Uzawa updates, and the one that is an error, nm
        self.penetration_tolerance_nm = 1e-5 * length_scale_nm
        self.max_penetration_nm = 0.05 * length_scale_nm
        cell_type = getattr(basix.CellType, mesh.topology.cell_name())
        self.cell_type = cell_type
        self.element = V.ufl_element().basix_element
        cmap = mesh.geometry.cmaps[0]
        self.geometry_element = basix.create_element(basix.ElementFamily.P, cell_type, cmap.degree,
                                                     basix.LagrangeVariant(cmap.variant))
        probe = np.random.default_rng(0).random((4, tdim)) / tdim
        #: the geometry and the displacement share their basis (P2 on a P2 mesh): positions are nodes + u
        self._geometry_is_element = (self.geometry_element.dim == self.element.dim and np.allclose(
            self.geometry_element.tabulate(1, probe), self.element.tabulate(1, probe)))
        #: per local facet of the cell: the dofs on it, and its origin and edges in the reference cell
        self.closure = np.array(self.element.entity_closure_dofs[tdim - 1], dtype=np.int32)
        frames = [_facet_parametrisation(cell_type, lf) for lf in range(len(self.closure))]
        self.facet_origin = np.stack([origin for origin, _ in frames])  # (n_facets_of_cell, tdim)
        self.facet_edges = np.stack([edges for _, edges in frames])  # (n_facets_of_cell, fdim, tdim)

        self.slave = _SurfaceData(mesh, V, facet_tags.find(inner_tag))
        master = _SurfaceData(mesh, V, facet_tags.find(outer_tag))
        self._master_local = master
        # the master surface, shared: reference nodes, global dof blocks, facet index, constraints
        parts = self.comm.allgather((master.nodes, master.global_blocks, master.local_facet,
                                     self._constrained_of(master)))
        self.m_nodes = np.concatenate([p[0] for p in parts])
        self.m_blocks = np.concatenate([p[1] for p in parts])
        self.m_facet = np.concatenate([p[2] for p in parts])
        self.m_constrained = np.concatenate([p[3] for p in parts])
        self.m_origin, self.m_edges = self.facet_origin[self.m_facet], self.facet_edges[self.m_facet]
        if not self.comm.allreduce(len(self.slave.cells), op=MPI.SUM) or not len(self.m_nodes):
            raise RuntimeError(f"contact pair {name}: the mesh has no facets on one side of the void")
        self.s_constrained = self._constrained_of(self.slave)

        # slave quadrature points: reference coordinates per local facet, weights
        facet_type = basix.cell.sub_entity_type(cell_type, tdim - 1, 0)
        qp, qw = basix.make_quadrature(facet_type, quadrature_degree)
        self.q_weights = qw
        ref = self.facet_origin[:, None, :] + np.einsum("qk,fkt->fqt", qp, self.facet_edges)  # (n_facets_of_cell, nq, tdim)
        nq = len(qw)
        xi = ref[self.slave.local_facet].reshape(-1, tdim)  # (n_slave * nq, tdim)
        self.s_xi = xi
        self.s_cell = np.repeat(np.arange(len(self.slave.cells)), nq)
        X, dX = self._geometry_at(self.slave.nodes[self.s_cell], xi)
        lf = np.repeat(self.slave.local_facet, nq)
        self.s_edges = self.facet_edges[lf]  # (n, fdim, tdim)
        self.s_X = X
        self.s_dX = dX
        area = self._facet_measure(dX, self.s_edges)
        weight = np.tile(qw, len(self.slave.cells)) * area
        if axisymmetric:
            weight = weight * 2.0 * math.pi * X[:, 0]
        self.s_weight = weight  # dA0 of each slave point, nm^2
        tab = self.element.tabulate(1, xi)  # (1 + tdim, n, ndofs, 1)
        self.s_phi = tab[0, :, :, 0]
        self.s_dphi = tab[1:, :, :, 0]  # (tdim, n, ndofs)
        # the slave surface's vertices (numbered alike on every rank) and their linear functions
        mesh.topology.create_connectivity(tdim, 0)
        c2v = mesh.topology.connectivity(tdim, 0)
        facet_vertices = basix.topology(cell_type)[tdim - 1]
        local_v = np.array([[c2v.links(c)[k] for k in facet_vertices[f]]
                            for c, f in zip(self.slave.cells, self.slave.local_facet)], dtype=np.int32)
        local_v = local_v.reshape(len(self.slave.cells), tdim)
        global_v = mesh.topology.index_map(0).local_to_global(local_v.ravel()).reshape(local_v.shape)
        self.vertex_ids = np.unique(np.concatenate(self.comm.allgather(np.unique(global_v))))
        #: for fields: each slave facet's cell-local vertex numbers and their slave-vertex index
        self.facet_cell_vertices = np.array([facet_vertices[f] for f in self.slave.local_facet], dtype=np.int32
                                            ).reshape(len(self.slave.cells), tdim)
        self.facet_vertex_index = np.searchsorted(self.vertex_ids, global_v)
        self.q_vertex = np.searchsorted(self.vertex_ids, np.repeat(global_v, nq, axis=0))  # (n, tdim)
        hat = np.column_stack([1.0 - qp.sum(axis=1), qp])  # P1 functions of the facet at its points
        self.q_hat = np.tile(hat, (len(self.slave.cells), 1))  # (n, tdim)
        self.vertex_area = self._to_vertices(self.q_hat * weight[:, None])  # int N_i dA0, nm^2
        self.multiplier = np.zeros(len(self.vertex_ids))  # Uzawa lambda per vertex, MPa
        self.state: ContactState | None = None
        # master sample points (reference cell coordinates) for the k-d tree search
        if tdim == 2:
            s = np.linspace(0.0, 1.0, 5)[:, None]
        else:
            g = np.linspace(0.0, 1.0, 5)
            s = np.array([(a, b) for a in g for b in g if a + b <= 1.0 + 1e-12])
        self.sample_params = s
        self.total_reference_area = self.comm.allreduce(float(weight.sum()), op=MPI.SUM)

    # --- geometry helpers ----------------------------------------------------------------

    def _constrained_of(self, surface: _SurfaceData) -> np.ndarray:
        """(cells, dofs, bs) booleans: the dof is held by a Dirichlet condition."""
        if not len(surface.cells):
            return np.zeros((0, surface.local_blocks.shape[1], self.bs), dtype=bool)
        idx = surface.local_blocks[:, :, None] * self.bs + np.arange(self.bs)
        return self.constrained[idx]

    def _geometry_at(self, nodes: np.ndarray, xi: np.ndarray):
        """Reference positions X (n, gdim) and dX/dxi (n, gdim, tdim) at cell coordinates xi of
        cells with geometry ``nodes`` (n, ngeom, 3)."""
        tab = self.geometry_element.tabulate(1, xi)[:, :, :, 0]  # (1 + tdim, n, ngeom)
        return _contract(tab, nodes[:, :, :self.gdim])

    @staticmethod
    def _facet_measure(dX: np.ndarray, edges: np.ndarray) -> np.ndarray:
        """|dX/ds| (curves) or |dX/ds x dX/dt| (surfaces) with the facet's reference edges."""
        T = np.einsum("njd,nkd->nkj", dX, edges)  # (n, fdim, gdim) tangents
        if T.shape[1] == 1:
            return np.linalg.norm(T[:, 0], axis=1)
        return np.linalg.norm(np.cross(T[:, 0], T[:, 1]), axis=1)

    def _current(self, nodes, u_cells, xi):
        """Current positions x (n, gdim) and dx/dxi (n, gdim, tdim) at cell coordinates xi of
        cells with geometry ``nodes`` and displacement dofs ``u_cells`` (n, ndofs, gdim)."""
        tab = self.element.tabulate(1, xi)[:, :, :, 0]
        if self._geometry_is_element:  # one basis: contract the current nodes once
            x, dx = _contract(tab, nodes[:, :, :self.gdim] + u_cells)
        else:
            X, dX = self._geometry_at(nodes, xi)
            x, dx = _contract(tab, u_cells)
            x, dx = X + x, dX + dx
        return x, dx, tab[0]

    def _u_of(self, blocks_local: np.ndarray) -> np.ndarray:
        g = self.gdim
        arr = self.u.x.array
        return arr[blocks_local[..., None] * self.bs + np.arange(g)]

    def _to_vertices(self, values: np.ndarray) -> np.ndarray:
        """Sum (n, tdim) values at the slave points onto the slave vertices (all ranks)."""
        local = np.bincount(self.q_vertex.ravel(), weights=values.ravel(), minlength=len(self.vertex_ids))
        return self.comm.allreduce(local, op=MPI.SUM)

    # --- search -------------------------------------------------------------------------------

    def update(self) -> ContactState:
        """The gap, normals and closest points at the current displacement (collective)."""
        from scipy.spatial import cKDTree

        m = self._master_local
        u_master = self.comm.allgather(self._u_of(m.local_blocks) if len(m.cells)
                                       else np.zeros((0, m.local_blocks.shape[1], self.gdim)))
        self.m_u = np.concatenate(u_master)
        tdim, g = self.tdim, self.gdim
        # slave current positions
        s_u = self._u_of(self.slave.local_blocks)[self.s_cell] if len(self.s_cell) else np.zeros((0, 1, g))
        n = len(self.s_xi)
        if n:
            xs = self.s_X + np.einsum("ni,nij->nj", self.s_phi, s_u)
            dxs = self.s_dX + np.einsum("dni,nij->njd", self.s_dphi, s_u)
            n_slave = self._slave_normals(xs, dxs, s_u)
            tangent = np.einsum("njt,nkt->njk", dxs, self.s_edges)
            current_area = self._facet_measure(dxs, self.s_edges)
            ref_area = self._facet_measure(self.s_dX, self.s_edges)
            ratio = ref_area / current_area
            if self.axisymmetric:
                ratio = ratio * self.s_X[:, 0] / np.maximum(xs[:, 0], 1e-300)
            if not self.finite:
                ratio = np.ones(n)
        else:
            xs, ratio, tangent = np.zeros((0, g)), np.zeros(0), np.zeros((0, g, tdim - 1))
        # sample the master facets, nearest samples' facets are the candidates
        nm, ns = len(self.m_nodes), len(self.sample_params)
        xi_samples = (self.m_origin[:, None, :] + np.einsum("sk,fkt->fst", self.sample_params, self.m_edges)).reshape(-1, tdim)
        cell_of = np.repeat(np.arange(nm), ns)
        xm_samples, _, _ = self._current(self.m_nodes[cell_of], self.m_u[cell_of], xi_samples)
        if n:
            k = min(self.candidates * ns, len(xm_samples))
            _, idx = cKDTree(xm_samples).query(xs, k=k)
            idx = np.atleast_2d(idx).reshape(n, -1)
            cand = cell_of[idx]
            # the nearest `candidates` distinct facets per point (in order of distance), padded with the first
            order = np.argsort(cand, axis=1, kind="stable")
            by_facet = np.take_along_axis(cand, order, axis=1)
            first = np.ones_like(by_facet, dtype=bool)
            first[:, 1:] = by_facet[:, 1:] != by_facet[:, :-1]
            is_first = np.zeros_like(first)
            np.put_along_axis(is_first, order, first, axis=1)
            nearest_first = np.argsort(~is_first, axis=1, kind="stable")
            cand = np.take_along_axis(cand, nearest_first, axis=1)[:, :self.candidates]
            counts = np.minimum(is_first.sum(axis=1), self.candidates)
            cand = np.where(np.arange(cand.shape[1])[None, :] < counts[:, None], cand, cand[:, :1])
            gap, normal, facet, xi = self._project(xs, n_slave, cand)
        else:
            gap, normal, facet, xi = np.zeros(0), np.zeros((0, g)), np.zeros(0, dtype=int), np.zeros((0, tdim))
        self.state = ContactState(gap=gap, normal=normal, master_facet=facet, master_xi=xi, area_ratio=ratio,
                                  position=xs, tangent=tangent)
        w = self.s_weight[:, None] * self.q_hat
        self.vertex_gap = self._to_vertices(w * gap[:, None]) / self.vertex_area  # weighted gaps g_i, nm
        self.vertex_ratio = self._to_vertices(w * ratio[:, None]) / self.vertex_area  # dA0 / da at the vertices
        return self.state

    def penetration_nm(self) -> float:
        """The largest penetration of the current state (0 if none), all ranks."""
        return max(0.0, float(-self.vertex_gap.min()))

    def check_penetration(self) -> None:
        """Raise :class:`ContactError` if a converged state leaves the surfaces passed through
        each other by more than :attr:`max_penetration_nm`."""
        worst = self.penetration_nm()
        if worst > self.max_penetration_nm:
            raise ContactError(f"contact {self.name}: a surface passed {worst:.3g} nm into the other "
                               f"(more than the {self.max_penetration_nm:.3g} nm contact may leave)")

    def _slave_normals(self, xs, dxs, s_u) -> np.ndarray:
        """Outward unit normals (n, gdim) of the deformed slave surface at its points."""
        return self._outward_normals(self.slave.nodes[self.s_cell], s_u, xs, dxs, self.s_edges)

    def _outward_normals(self, nodes, u_cells, x, dx, edges) -> np.ndarray:
        """Outward unit normals (n, gdim) of a deformed surface at its points ``x``, away from
        their cells' centroids (cells with geometry ``nodes`` and displacement ``u_cells``),
        from the points' reference derivatives ``dx`` and their facets' ``edges``."""
        T = np.einsum("njt,nkt->njk", dx, edges)
        normal = np.stack([T[:, 1, 0], -T[:, 0, 0]], axis=1) if self.gdim == 2 else np.cross(T[:, :, 0], T[:, :, 1])
        normal /= np.linalg.norm(normal, axis=1)[:, None]
        k = self.tdim + 1  # the cell's vertices come first
        centre = (nodes[:, :k, :self.gdim] + u_cells[:, :k]).mean(axis=1)
        normal[np.einsum("nj,nj->n", normal, x - centre) < 0] *= -1.0
        return normal

    def _project(self, xs: np.ndarray, ns: np.ndarray, cand: np.ndarray):
        """Where the normal lines of the slave points (xs, outward normals ns) meet their
        candidate master facets (n, c): Gauss-Newton on the tangential offset P (x_m(p) - xs),
        P = I - ns ns^T, each facet clipped; the facet with the smallest offset (then the
        smallest |gap|) is taken. gap = (x_m - xs) . ns; the normal returned is -ns (the
        direction of the master's outward normal), continuous from point to point, unlike the
        kinked normals of the master's facets."""
        n, c = cand.shape
        tdim = self.tdim
        fdim = tdim - 1
        facets = cand.ravel()
        target = np.repeat(xs, c, axis=0)
        nrm = np.repeat(ns, c, axis=0)
        P = np.eye(self.gdim)[None] - nrm[:, :, None] * nrm[:, None, :]
        nodes, u_cells = self.m_nodes[facets], self.m_u[facets]
        origin, edges = self.m_origin[facets], self.m_edges[facets]
        p = np.full((len(facets), fdim), 1.0 / (fdim + 1))
        todo = np.arange(len(facets))  # the entries still moving
        for _ in range(10):
            o, e = origin[todo], edges[todo]
            xi = o + (p[todo, None, :] @ e)[:, 0, :]
            x, dx, _ = self._current(nodes[todo], u_cells[todo], xi)
            T = P[todo] @ (dx @ e.transpose(0, 2, 1))  # (n, gdim, fdim)
            r = (P[todo] @ (x - target[todo])[..., None])[..., 0]
            JtJ = T.transpose(0, 2, 1) @ T
            Jtr = (T.transpose(0, 2, 1) @ r[..., None])[..., 0]
            step = np.linalg.solve(JtJ + 1e-30 * np.eye(fdim)[None], -Jtr[..., None])[..., 0]
            new = _clip_to_facet(p[todo] + step)
            moved = np.abs(new - p[todo]).max(axis=1)
            p[todo] = new
            todo = todo[moved > 1e-12]
            if not len(todo):
                break
        xi = origin + np.einsum("nk,nkt->nt", p, edges)
        x, dx, _ = self._current(nodes, u_cells, xi)
        along = np.einsum("nj,nj->n", x - target, nrm)
        offset = np.linalg.norm(x - target - along[:, None] * nrm, axis=1)
        scale = max(float(np.abs(along).max(initial=0.0)), 1e-12)
        score = (offset / scale).reshape(n, c) * 1e6 + np.abs(along).reshape(n, c) / scale
        # an offset below 1e-9 of the gaps counts as a hit; among hits the nearest along the normal
        hit = offset.reshape(n, c) <= 1e-9 * scale + 1e-12
        # where the master faces the slave point (its outward normal against the slave's): the
        # normal line of a particle's point can meet the far wall of the cage behind it, or the
        # far side of a neighbour, where the surfaces cannot touch
        facing = np.einsum("nj,nj->n", self._outward_normals(nodes, u_cells, x, dx, edges), nrm) < 0.0
        hit &= facing.reshape(n, c)
        score = np.where(hit, np.abs(along).reshape(n, c) / scale, 1e6 + score)
        best = np.argmin(score, axis=1)
        pick = np.arange(n) * c + best
        # a point whose normal line meets no facing part of the master near it (a particle's side
        # turned away from its neighbour, or shadowed from the cage by it) cannot touch it: its
        # gap is its distance to the master
        missed = ~hit[np.arange(n), best]
        gap = np.where(missed, np.linalg.norm(x[pick] - xs, axis=1), along[pick])
        return gap, -ns, facets[pick], xi[pick]

    # --- forces ---------------------------------------------------------------------------------

    def vertex_traction(self) -> np.ndarray:
        """t_i per reference area (MPa) at the slave vertices."""
        return np.maximum(self.multiplier - self.penalty * self.vertex_gap, 0.0)

    def traction(self) -> np.ndarray:
        """t per reference area (MPa) at the slave points of this rank, interpolated."""
        return np.einsum("nk,nk->n", self.q_hat, self.vertex_traction()[self.q_vertex])

    def _dof_rows(self, points: np.ndarray, derivatives: bool = False):
        """For the slave ``points`` (indices): global rows (n, nd), the virtual gap B along them
        (n, nd), and whether each row is free (not Dirichlet-held). With ``derivatives`` also
        d gap / d u (n, nd) and dB / du (n, nd, nd) (:meth:`_linearisation`)."""
        st = self.state
        g, bs = self.gdim, self.bs
        lf = np.repeat(self.slave.local_facet, len(self.q_weights))[points]
        closure_s = self.closure[lf]  # (na, nfd)
        cell_s = self.s_cell[points]
        phi_s = np.take_along_axis(self.s_phi[points], closure_s, axis=1)
        blocks_s = np.take_along_axis(self.slave.global_blocks[cell_s], closure_s, axis=1)
        free_s = ~np.take_along_axis(self.s_constrained[cell_s], closure_s[:, :, None], axis=1)
        mf = st.master_facet[points]
        closure_m = self.closure[self.m_facet[mf]]
        tab_m = self.element.tabulate(1 if derivatives else 0, st.master_xi[points])[:, :, :, 0]
        phi_m = np.take_along_axis(tab_m[0], closure_m, axis=1)
        blocks_m = np.take_along_axis(self.m_blocks[mf], closure_m, axis=1)
        free_m = ~np.take_along_axis(self.m_constrained[mf], closure_m[:, :, None], axis=1)
        nrm = st.normal[points]
        # B = virtual gap: +phi_s n on the slave dofs, -phi_m n on the master dofs
        B = np.concatenate([phi_s[:, :, None] * nrm[:, None, :], -phi_m[:, :, None] * nrm[:, None, :]], axis=1)
        rows = np.concatenate([blocks_s, blocks_m], axis=1)[:, :, None] * bs + np.arange(g)
        free = np.concatenate([free_s[..., :g], free_m[..., :g]], axis=1)
        na, width = len(points), rows.shape[1] * rows.shape[2]
        out = (rows.reshape(na, width), B.reshape(na, width), free.reshape(na, width))
        if not derivatives:
            return out
        # derivatives of the shape functions along the facets' parameters p
        edges_s = self.s_edges[points]
        dphi_s = np.einsum("tnd,nkt->nkd", np.take_along_axis(self.s_dphi[:, points], closure_s[None], axis=2), edges_s)
        edges_m = self.m_edges[mf]
        dphi_m = np.einsum("tnd,nkt->nkd", np.take_along_axis(tab_m[1:], closure_m[None], axis=2), edges_m)
        _, dx_m, _ = self._current(self.m_nodes[mf], self.m_u[mf], st.master_xi[points])
        tangent_m = np.einsum("njt,nkt->njk", dx_m, edges_m)  # (na, gdim, fdim)
        dgap, dB = self._linearisation(phi_s, dphi_s, phi_m, dphi_m, st.tangent[points], tangent_m,
                                       -nrm, st.gap[points])
        return out + (dgap, dB)

    def _linearisation(self, phi_s, dphi_s, phi_m, dphi_m, tangent_s, tangent_m, ns, gap):
        """The exact derivatives of the gap and of the virtual gap B at slave points whose normal
        line meets the master at parameters p (:meth:`_project`), over the dofs [slave closure,
        master closure] x gdim:

        * the slave normal ns = sigma v / |v| (v = R T in 2D, T1 x T2 in 3D, T the slave
          tangents): dns = sigma (I - ns ns) dv / |v|;
        * the closest point slides: P (x_m(p) - x_s) = 0, P = I - ns ns, so
          (T_m' P T_m) dp = T_m' (P (dx_s - dx_m) + gap dns);
        * d gap = ns . (dx_m - dx_s) + ns . T_m dp;
        * B = -phi_s ns on the slave dofs, +phi_m ns on the master dofs; dB follows from dns and
          from the master's shape functions moving with dp.

        These are the normal-curvature terms that make Newton quadratic under large contact
        pressures (the penalty term alone converges linearly, at a rate that grows with the
        pressure). Shapes: phi (na, nfd), dphi (na, fdim, nfd), tangents (na, gdim, fdim)."""
        na, nfd_s = phi_s.shape
        nfd_m = phi_m.shape[1]
        g = self.gdim
        eye = np.eye(g)
        # dv / d(u_a)_j = sum_k dphi_a/dp_k C_k[j], C_k[j] the change of v for a unit T_k along e_j
        if g == 2:
            rot = np.array([[0.0, -1.0], [1.0, 0.0]])  # R e_j as rows: R(w) = (w_1, -w_0)
            C = np.broadcast_to(rot, (na, 1, g, g))
            v = np.stack([tangent_s[:, 1, 0], -tangent_s[:, 0, 0]], axis=1)
        else:
            t1, t2 = tangent_s[:, :, 0], tangent_s[:, :, 1]
            C = np.stack([np.cross(eye[None, :, :], t2[:, None, :]),  # e_j x T2
                          np.cross(t1[:, None, :], eye[None, :, :])], axis=1)  # T1 x e_j
            v = np.cross(t1, t2)
        norm_v = np.linalg.norm(v, axis=1)
        sigma = np.sign(np.einsum("nj,nj->n", v, ns))
        proj = eye[None] - ns[:, :, None] * ns[:, None, :]
        dv = np.einsum("nka,nkjl->najl", dphi_s, C)  # (na, nfd_s, g(j), g(l))
        dns_s = (sigma / norm_v)[:, None, None, None] * np.einsum("nlm,najm->najl", proj, dv)
        width = (nfd_s + nfd_m) * g
        dns = np.zeros((na, g, width))  # d ns_l / d U_c
        dns[:, :, :nfd_s * g] = dns_s.reshape(na, nfd_s * g, g).transpose(0, 2, 1)
        # dx_s - dx_m per column: phi_s e_j on the slave columns, -phi_m e_j on the master's
        dxr = np.concatenate([phi_s[:, :, None, None] * eye[None, None], -phi_m[:, :, None, None] * eye[None, None]],
                             axis=1).reshape(na, width, g).transpose(0, 2, 1)  # (na, g, width)
        rhs = np.einsum("nlm,nmc->nlc", proj, dxr) + gap[:, None, None] * dns
        PT = np.einsum("nlm,nmk->nlk", proj, tangent_m)
        M = np.einsum("nlk,nlq->nkq", PT, PT)
        dp = np.linalg.solve(M, np.einsum("nlk,nlc->nkc", tangent_m, rhs))  # (na, fdim, width)
        dgap = -np.einsum("nl,nlc->nc", ns, dxr) + np.einsum("nl,nlk,nkc->nc", ns, tangent_m, dp)
        dB_s = -phi_s[:, :, None, None] * dns[:, None, :, :]  # (na, nfd_s, g, width)
        dphi_m_dU = np.einsum("nkb,nkc->nbc", dphi_m, dp)  # (na, nfd_m, width)
        dB_m = (dphi_m_dU[:, :, None, :] * ns[:, None, :, None]
                + phi_m[:, :, None, None] * dns[:, None, :, :])
        dB = np.concatenate([dB_s, dB_m], axis=1).reshape(na, width, width)
        return dgap, dB

    def add_residual(self, b) -> None:
        """b += dPi_c/du = -int t (d gap / d u) dA0 (global rows, assembled here)."""
        t = self.traction()
        points = np.flatnonzero(t > 0.0)
        if len(points):
            rows, B, free = self._dof_rows(points)
            values = np.where(free, -(self.s_weight[points] * t[points])[:, None] * B, 0.0)
            b.setValues(rows.ravel().astype(PETSc.IntType), values.ravel(), addv=PETSc.InsertMode.ADD_VALUES)
        b.assemblyBegin()
        b.assemblyEnd()

    def add_tangent(self, A) -> None:
        """A += d(contact residual)/du, exact (A assembled): the penalty part
        sum_i (eps / A_i) G_i G'_i^T over the active vertices i, G_i = int N_i B dA0 and
        G'_i = d(A_i g_i)/du = int N_i (d gap / d u) dA0, plus the geometric part
        -int t dB/du dA0 (the normals turn and the closest points slide; see
        :meth:`_linearisation`), on free rows and columns."""
        from scipy import sparse

        active = self.vertex_traction() > 0.0
        points = np.flatnonzero(active[self.q_vertex].any(axis=1))
        index, value = np.zeros(0, np.int64), np.zeros(0)
        penalty = (index, index, value, value)  # (vertex, dof, G value, G' value)
        geometric = (index, index, value)  # (row, column, value)
        if len(points):
            rows, B, free, dgap, dB = self._dof_rows(points, derivatives=True)
            weight = self.s_weight[points][:, None]
            Bf = np.where(free, B, 0.0) * weight
            dgf = np.where(free, dgap, 0.0) * weight
            parts = []
            for k in range(self.q_vertex.shape[1]):
                vertex = self.q_vertex[points, k]
                on = active[vertex]
                coef = self.q_hat[points, k][on]
                parts.append((np.repeat(vertex[on], rows.shape[1]), rows[on].ravel(), (coef[:, None] * Bf[on]).ravel(),
                              (coef[:, None] * dgf[on]).ravel()))
            penalty = tuple(np.concatenate([part[j] for part in parts]) for j in range(4))
            t = self.traction()[points]
            keep = t > 0.0
            Kg = -(self.s_weight[points] * t)[keep, None, None] * dB[keep]
            if not free[keep].all():
                Kg = np.where(free[keep][:, :, None] & free[keep][:, None, :], Kg, 0.0)
            r = rows[keep]
            width = r.shape[1]
            geometric = (np.repeat(r, width, axis=1).ravel(), np.tile(r, (1, width)).ravel(), Kg.ravel())
        # every rank takes the rows it owns from all ranks' contributions (serial: no copy)
        gathered = [(penalty, geometric)] if self.comm.size == 1 else self.comm.allgather((penalty, geometric))

        def joined(part: int, j: int) -> np.ndarray:
            arrays = [t[part][j] for t in gathered]
            return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)

        vertex, dof, value, dvalue = (joined(0, j) for j in range(4))
        g_rows, g_cols, g_values = (joined(1, j) for j in range(3))
        if not len(vertex):
            return
        n_dofs = self.V.dofmap.index_map.size_global * self.bs
        shape = (len(self.vertex_ids), n_dofs)
        G = sparse.csr_matrix((value, (vertex, dof)), shape=shape)
        Gd = sparse.csr_matrix((dvalue, (vertex, dof)), shape=shape)
        D = sparse.diags(np.where(active, self.penalty / self.vertex_area, 0.0))
        lo, hi = A.getOwnershipRange()
        mine = (g_rows >= lo) & (g_rows < hi)
        Kgeo = sparse.csr_matrix((g_values[mine], (g_rows[mine] - lo, g_cols[mine])), shape=(hi - lo, n_dofs))
        K = (G.T.tocsr()[lo:hi] @ D @ Gd + Kgeo).tocsr()
        K.sum_duplicates()
        K.sort_indices()
        # added as a matrix of its own (A's pattern grows by the coupling in one step: inserting
        # new entries one by one into a preallocated AIJ matrix costs a reallocation each)
        (m, _), (n, _) = A.getSizes()
        Kp = PETSc.Mat().createAIJ(size=((m, n_dofs), (n, n_dofs)),
                                   csr=(K.indptr.astype(PETSc.IntType), K.indices.astype(PETSc.IntType), K.data),
                                   comm=self.comm)
        Kp.assemble()
        A.axpy(1.0, Kp, structure=PETSc.Mat.Structure.DIFFERENT_NONZERO_PATTERN)
        Kp.destroy()

    def augment(self) -> bool:
        """Uzawa: lambda <- t. True (on every rank) when Newton must run again: the update
        changes some vertex's traction by more than :attr:`traction_tolerance` of the largest
        one, and the penetration is above :attr:`penetration_tolerance_nm`."""
        t = self.vertex_traction()
        change = float(np.max(np.abs(t - self.multiplier))) if len(t) else 0.0
        if (self.penetration_nm() <= self.penetration_tolerance_nm
                or change <= self.traction_tolerance * max(float(t.max(initial=0.0)), 1e-300)):
            return False
        self.multiplier = t
        return True

    def contact_force(self) -> float:
        """The total normal contact force on the slave surface, MPa nm^2 (1e-3 nN; all ranks)."""
        return self.comm.allreduce(float((self.traction() * self.s_weight).sum()), op=MPI.SUM)

    # --- what is reported -------------------------------------------------------------------------

    def measures(self) -> dict:
        """gap_min_nm (weighted, at the slave vertices), penetration_max_nm, contact_area_fraction
        (of the slave surface's current area), contact_pressure_max_MPa (Cauchy, on the deformed
        surface), contact force (nN, the integral of the traction over the slave surface) and
        its resultant (nN)."""
        t = self.vertex_traction()
        da = self.vertex_area / np.where(self.vertex_ratio > 0, self.vertex_ratio, 1.0)
        active = t > 0
        pressure = t * self.vertex_ratio
        tq = self.traction() * self.s_weight
        force = self.comm.allreduce(float(tq.sum()), op=MPI.SUM)  # contact_force(), from the tq at hand
        moment = self.comm.allreduce((tq[:, None] * self.state.position).sum(axis=0), op=MPI.SUM)
        net = self.comm.allreduce((tq[:, None] * self.state.normal).sum(axis=0), op=MPI.SUM)
        if self.axisymmetric:  # the radial parts cancel round the axis
            net = np.array([0.0, net[1]])
        centre = moment / force if force > 0 else np.full(self.gdim, np.nan)
        if self.axisymmetric:  # (r, z) -> the point on the axis x = y = 0
            centre = np.array([0.0, 0.0, centre[1]])
        return {
            "gap_min_nm": float(self.vertex_gap.min()),
            "penetration_max_nm": max(0.0, float(-self.vertex_gap.min())),
            "contact_area_fraction": float(da[active].sum() / da.sum()),
            "contact_pressure_max_MPa": float(pressure.max()) if len(pressure) else 0.0,
            "contact_force_nN": force * 1e-3,  # MPa nm^2 = 1e-3 nN
            #: the resultant of the contact force on the inner body (0 when it is pressed all round;
            #: what holds it where it is carries this, see physics/holding.py)
            "net_force_nN": float(np.linalg.norm(net)) * 1e-3,
            #: where the contact force acts (the traction-weighted mean of the deformed contact points)
            "contact_centre_nm": [float(c) for c in centre] if force > 0 else None,
            "in_contact": bool(active.any()),
        }

    def vertex_values(self) -> dict[str, np.ndarray]:
        """Weighted gap (nm) and contact pressure (MPa; Cauchy with finite kinematics) at the
        slave surface's vertices (every rank has all of them, in :attr:`vertex_ids` order)."""
        return {"gap_nm": self.vertex_gap, "pressure_MPa": self.vertex_traction() * self.vertex_ratio}
