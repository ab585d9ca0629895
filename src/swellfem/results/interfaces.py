"""Normal stress on interfaces from the consistent (variational) traction.

The traction that region B (the outer side of an interface Gamma) receives from region A is
recovered from B's own equilibrium: for every displacement shape function phi_i on Gamma,

    R_i = int_B sigma(u) : eps(phi_i) dV  =  int_Gamma t_B . phi_i dA,

so the traction field t_B (in the trace of the displacement space) solves M t = R with the
mass matrix M of Gamma. This is the reaction-force method of structural codes; it converges
faster than the stress at the vertices (Babuska & Miller's extraction theorem), where a steep
eigenstrain next to the interface scatters the point values. The normal stress is
sigma_nn = -t_B . n with n the unit normal from A to B. On symmetry planes (octant) and the
axis (axisymmetric) the traction component normal to the plane is zero by symmetry and is
imposed as such (the residual there also holds the symmetry reaction).
Stresses in MPa.
"""

from __future__ import annotations

import numpy as np
import ufl

from .._backend import MPI, PETSc, dolfinx
from ..physics import ElasticityProblem

from dolfinx import fem  # noqa: E402
from dolfinx.fem import petsc as fem_petsc  # noqa: E402


class InterfaceTractions:
    """Recovers sigma_nn on every interface of ``problem``'s mesh after each solve."""

    def __init__(self, problem: ElasticityProblem):
        self.problem = problem
        mesh, loaded = problem.mesh, problem.loaded
        self.comm = mesh.comm
        tdim = mesh.topology.dim
        fdim = tdim - 1
        self.gdim = mesh.geometry.dim
        V = problem.V
        self.maps = []
        W = None
        for k in range(self.gdim):
            Wk, map_k = V.sub(k).collapse()
            W = W or Wk
            self.maps.append(np.asarray(map_k, dtype=np.int32))
        self.W = W
        n_owned = W.dofmap.index_map.size_local
        x_dofs = W.tabulate_dof_coordinates()
        dS = ufl.Measure("dS", domain=mesh, subdomain_data=loaded.facet_tags,
                         metadata={"quadrature_degree": 2 * problem.degree + 1})
        t, q = ufl.TrialFunction(W), ufl.TestFunction(W)
        v = ufl.TestFunction(V)
        kin = problem.kinematics
        # symmetry: which traction component vanishes on which facets
        sym_facets = {}
        if problem.axisymmetric:
            sym_facets[0] = loaded.facet_tags.find(loaded.axis_tag)
        elif problem.formulation == "3d-octant":
            for k, name in enumerate(("symmetry-x", "symmetry-y", "symmetry-z")):
                sym_facets[k] = loaded.facet_tags.find(loaded.symmetry_tags[name])
        self.items = []
        for (inner, outer), tag in loaded.interface_tags.items():
            facets = loaded.facet_tags.find(tag)
            law = problem.law_of[outer]
            residual = fem.form(ufl.inner(law.stress(problem.u, evaluation=False), kin.strain(v, False))
                                * problem.weight * problem.dx(loaded.layer_tags[outer]))
            mass = fem.form(ufl.avg(t) * ufl.avg(q) * ufl.avg(problem.weight) * dS(tag))
            M = fem_petsc.assemble_matrix(mass)
            M.assemble()
            dofs = fem.locate_dofs_topological(W, fdim, facets)
            owned = np.sort(dofs[dofs < n_owned]).astype(np.int32)
            global_owned = W.dofmap.index_map.local_to_global(owned).astype(PETSc.IntType)
            iset = PETSc.IS().createGeneral(global_owned, comm=self.comm)
            Msub = M.getSubMatrix(iset, iset) if hasattr(M, "getSubMatrix") else M.createSubMatrix(iset, iset)
            M.destroy()
            offset = self.comm.exscan(len(owned)) or 0
            # Dirichlet zero for the symmetry component on the symmetry facets
            zero_rows = {}
            for k, sfacets in sym_facets.items():
                sdofs = fem.locate_dofs_topological(W, fdim, sfacets)
                pos = np.flatnonzero(np.isin(owned, sdofs))
                zero_rows[k] = (offset + pos).astype(PETSc.IntType)
            solvers = []
            for k in range(self.gdim):
                A = Msub.copy()
                if k in zero_rows:
                    A.zeroRowsColumns(zero_rows[k], diag=1.0)
                ksp = PETSc.KSP().create(self.comm)
                ksp.setOperators(A)
                ksp.setType("cg")
                ksp.getPC().setType("jacobi")
                ksp.setTolerances(rtol=1e-12, atol=1e-30, max_it=2000)
                solvers.append((A, ksp))
            Msub.destroy()
            normals = self._vertex_normals(facets, inner, owned, x_dofs)
            b, x = solvers[0][0].createVecs()
            self.items.append({
                "key": f"{inner}|{outer}", "residual": residual, "owned": owned, "solvers": solvers,
                "zero_rows": zero_rows, "offset": offset, "normals": normals, "b": b, "x": x,
                "R": fem_petsc.create_vector(V),
            })

    def _vertex_normals(self, facets, inner: str, owned: np.ndarray, x_dofs: np.ndarray):
        """Unit normal (from the inner region outwards) at each owned interface dof that is a
        mesh vertex: the normalised sum of the normals of the interface facets around it.
        Returns (positions in ``owned``, normals (m, 3))."""
        problem = self.problem
        mesh, loaded = problem.mesh, problem.loaded
        tdim = mesh.topology.dim
        geom_nodes = dolfinx.mesh.entities_to_geometry(mesh, tdim - 1, facets)[:, :tdim]
        X = mesh.geometry.x
        P = X[geom_nodes]  # (f, tdim, 3)
        if tdim == 2:  # meridian edge (x = r, y = z)
            tvec = P[:, 1] - P[:, 0]
            n = np.stack([tvec[:, 1], -tvec[:, 0], np.zeros(len(tvec))], axis=1)
        else:
            n = np.cross(P[:, 1] - P[:, 0], P[:, 2] - P[:, 0])
        # orient away from the inner region: from the inner cell's midpoint to the facet
        mesh.topology.create_connectivity(tdim - 1, tdim)
        f2c = mesh.topology.connectivity(tdim - 1, tdim)
        inner_cells = set(loaded.cell_tags.find(loaded.layer_tags[inner]).tolist())
        cells = np.array([next((c for c in f2c.links(f) if c in inner_cells), f2c.links(f)[0]) for f in facets],
                         dtype=np.int32)
        mids = dolfinx.mesh.compute_midpoints(mesh, tdim, cells) if len(cells) else np.zeros((0, 3))
        sign = np.sign(np.einsum("fi,fi->f", n, P.mean(axis=1) - mids))
        n *= sign[:, None]
        if len(n):
            n /= np.linalg.norm(n, axis=1)[:, None]
        acc: dict[tuple, np.ndarray] = {}
        for f in range(len(facets)):
            for node in geom_nodes[f]:
                key = tuple(np.round(X[node], 9))
                acc[key] = acc.get(key, 0.0) + n[f]
        positions, normals = [], []
        for i, d in enumerate(owned):
            key = tuple(np.round(x_dofs[d], 9))
            if key in acc:
                positions.append(i)
                normals.append(acc[key] / np.linalg.norm(acc[key]))
        return np.asarray(positions, dtype=np.int32), np.asarray(normals).reshape(-1, 3)

    def evaluate(self) -> dict[str, dict[str, float]]:
        """sigma_nn max/min (MPa) over the vertices of each interface, for the current solution."""
        out = {}
        for item in self.items:
            R = item["R"]
            with R.localForm() as loc:
                loc.set(0.0)
            fem_petsc.assemble_vector(R, item["residual"])
            R.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
            R.ghostUpdate(addv=PETSc.InsertMode.INSERT, mode=PETSc.ScatterMode.FORWARD)
            with R.localForm() as loc:
                r_local = loc.getArray(readonly=True).copy()
            owned = item["owned"]
            traction = np.zeros((len(owned), 3))
            b, x = item["b"], item["x"]
            for k, (A, ksp) in enumerate(item["solvers"]):
                values = r_local[self.maps[k][owned]]
                if k in item["zero_rows"]:
                    values[item["zero_rows"][k] - item["offset"]] = 0.0
                b.getArray()[:] = values
                ksp.solve(b, x)
                if ksp.getConvergedReason() < 0:
                    from ..physics import SolverError

                    raise SolverError(f"interface traction on {item['key']} did not converge")
                traction[:, k] = x.getArray(readonly=True)
            if self.problem.axisymmetric:  # components (r, z) -> (r, 0, z)
                traction = np.stack([traction[:, 0], np.zeros(len(traction)), traction[:, 1]], axis=1)
            positions, normals = item["normals"]
            if self.problem.axisymmetric and len(normals):
                normals = np.stack([normals[:, 0], np.zeros(len(normals)), normals[:, 1]], axis=1)
            snn = -np.einsum("mi,mi->m", traction[positions], normals) if len(positions) else np.zeros(0)
            local_max = float(snn.max()) if snn.size else -np.inf
            local_min = float(snn.min()) if snn.size else np.inf
            out[item["key"]] = {
                "normal_stress_max_MPa": self.comm.allreduce(local_max, op=MPI.MAX),
                "normal_stress_min_MPa": self.comm.allreduce(local_min, op=MPI.MIN),
            }
        return out
