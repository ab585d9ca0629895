"""Stress measures of a solved stage: per-region extrema, interface normal stress, the
axial profile, apparent expansion and strain energy, plastic strain and failure indicators.
Stresses are Cauchy stresses in MPa (in the deformed body with finite kinematics: radial and
hoop directions are taken at the deformed positions about the centre), lengths in nm.

Peaks are taken per region from the stress of that region's own cells only, so nothing is
smoothed across material interfaces (GUIDE 2): the stress of each cell is evaluated at its
vertices (where the piecewise-linear stress of a P2 displacement has its extrema) and
averaged at each vertex over the cells *of the same region* around it (per-region nodal
averaging; across MPI ranks through the geometry index map). A vertex on an interface so
gets one value from each side.
"""

from __future__ import annotations

import basix
import numpy as np

from .._backend import MPI, dolfinx
from ..physics import ElasticityProblem
from .indicators import PLASTIC_THRESHOLD, failure_indicators, group_summaries, principal_strain, size_effect

from dolfinx import fem  # noqa: E402

#: cells per evaluation of an expression over many cells: DOLFINx packs the coefficients of all
#: the cells it is given at once (30 values per P2 tetrahedron), so a whole 1 M-dof mesh in one
#: call held 60-80 MiB more at the stage's peak of memory
EVAL_CHUNK_CELLS = 32768

def stress_measures(S: np.ndarray, P: np.ndarray, centre_tol: float) -> dict[str, np.ndarray]:
    """Point-wise measures of stress tensors ``S`` (m, 3, 3) at positions ``P`` (m, 3).

    radial = n.S.n with n the unit vector from the centre; hoop = the largest normal stress in
    the plane normal to n. Points within ``centre_tol`` of the centre have no radial or hoop value.
    """
    eig = np.linalg.eigvalsh(S)
    out = {
        "von_mises": np.sqrt(0.5 * ((eig[:, 0] - eig[:, 1]) ** 2 + (eig[:, 1] - eig[:, 2]) ** 2 + (eig[:, 2] - eig[:, 0]) ** 2)),
        "principal_max": eig[:, 2],
        "principal_min": eig[:, 0],
        "hydrostatic": np.trace(S, axis1=1, axis2=2) / 3.0,
    }
    dist = np.linalg.norm(P, axis=1)
    ok = dist > centre_tol
    n = P[ok] / dist[ok, None]
    Sok = S[ok]
    helper = np.where(np.abs(n[:, 2:3]) < 0.9, [[0.0, 0.0, 1.0]], [[1.0, 0.0, 0.0]])
    t1 = np.cross(n, helper)
    t1 /= np.linalg.norm(t1, axis=1)[:, None]
    t2 = np.cross(n, t1)

    def quad(a, b):
        return np.einsum("mi,mij,mj->m", a, Sok, b)

    a11, a22, a12 = quad(t1, t1), quad(t2, t2), quad(t1, t2)
    out["radial"] = quad(n, n)
    out["hoop"] = 0.5 * (a11 + a22) + np.sqrt(0.25 * (a11 - a22) ** 2 + a12**2)
    return out


class StageEvaluator:
    """Evaluates the measures of :data:`~swellfem.results.indicators.METRICS` (and more) for each solved stage."""

    def __init__(self, problem: ElasticityProblem, axial_points_per_layer: int = 41,
                 strengths: dict[str, tuple[float | None, float | None]] | None = None,
                 adhesion: dict[str, float] | None = None,
                 toughness: dict[str, tuple[float, float]] | None = None,
                 lines: list[tuple[str, tuple, tuple]] | None = None, line_points: int = 101):
        """``strengths``: (tensile strength MPa, fracture strain) per region; ``adhesion``:
        adhesion strength MPa per interface "inner|outer"; ``toughness``: (fracture toughness
        MPa m^1/2, particle radius nm) of the active regions that have one (failure
        indicators; None: no data); ``lines``: probe lines (name, from, to) in nm (None: the
        shape's own), sampled at ``line_points`` points each."""
        self.problem = problem
        self.strengths = strengths or {}
        self.toughness = toughness or {}
        self.adhesion = adhesion or {}
        self.output_forms: dict = {}  # (region, law output) -> form of its integral
        mesh = problem.mesh
        self.mesh = mesh
        self.comm = mesh.comm
        loaded = problem.loaded
        self.layer_names = list(loaded.region_names)
        self.R = loaded.shape.extent_nm
        tdim = mesh.topology.dim
        self.n_owned = mesh.topology.index_map(tdim).size_local
        cell_type = mesh.topology.cell_type.name
        self.ref_vertices = basix.geometry(getattr(basix.CellType, cell_type))
        self.nv = self.ref_vertices.shape[0]
        # The stress of each region's law at the cell vertices (one expression per law).
        by_law = {id(law): fem.Expression(law.stress(problem.u), self.ref_vertices) for law in problem.laws}
        self.sigma_expr = {name: by_law[id(problem.law_of[name])] for name in self.layer_names}
        self.region_cells = {}
        for name in self.layer_names:
            cells = loaded.cell_tags.find(loaded.layer_tags[name])
            self.region_cells[name] = cells[cells < self.n_owned]
        geo = mesh.geometry
        dofmap = geo.dofmaps[0] if hasattr(type(geo), "dofmaps") else geo.dofmap
        self.geom_dofs = dofmap[:, : self.nv]  # vertex nodes (curved cells add edge nodes after them)
        self._setup_interfaces()
        self._setup_sampled_stress()
        self._setup_axis(axial_points_per_layer)
        schema = loaded.shape.schema
        self.centres = {name: np.asarray(c, float) for name, c in schema.region_centres.items()}
        self.groups = dict(schema.region_groups)
        if lines is None:
            lines = [(line.name, line.start, line.end) for line in loaded.shape.probe_lines()]
        self._setup_lines(lines, line_points)
        self._restrict_sampled_stress()
        self._volumes: dict[str | None, float] = {}  # reference volumes (nm^3), once: they do not change
        self.volume_form = fem.form(1.0 * problem.weight * problem.dx)
        self._det_form = None  # the whole body's deformed volume, compiled only where its regions do not fill it
        self.energy_form = fem.form(problem.strain_energy())
        tags = loaded.layer_tags
        self.region_volume_forms = {n: fem.form(1.0 * problem.weight * problem.dx(tags[n])) for n in self.layer_names}
        self.region_det_forms = {n: fem.form(problem.deformation_gradient_det() * problem.weight * problem.dx(tags[n]))
                                 for n in self.layer_names}
        # plastic zones: volume where the equivalent plastic strain exceeds PLASTIC_THRESHOLD
        import ufl

        self.plastic_forms = {}
        for name in self.layer_names:
            law = problem.law_of[name]
            epbar = getattr(law, "epbar_q", None)
            if epbar is not None:
                indicator = ufl.conditional(ufl.gt(epbar, PLASTIC_THRESHOLD), 1.0, 0.0)
                self.plastic_forms[name] = fem.form(indicator * problem.weight * problem.dx(tags[name]))
        self.u_expr = fem.Expression(problem.u, self.ref_vertices)
        self.det_expr = fem.Expression(problem.deformation_gradient_det(), self.ref_vertices)

    # --- helpers ---------------------------------------------------------------------

    def _positions3(self, geom_nodes: np.ndarray) -> np.ndarray:
        x = self.mesh.geometry.x[geom_nodes]
        if self.problem.axisymmetric:  # meridian (r, z) -> (r, 0, z)
            return np.stack([x[..., 0], np.zeros_like(x[..., 0]), x[..., 1]], axis=-1)
        return x

    def _evaluated(self, expr, cells: np.ndarray):
        """``expr`` at the reference points of ``cells``, :data:`EVAL_CHUNK_CELLS` cells at a
        time: (the cells, their values (c, points, value size))."""
        for start in range(0, len(cells), EVAL_CHUNK_CELLS):
            chunk = cells[start:start + EVAL_CHUNK_CELLS]
            yield chunk, np.asarray(expr.eval(self.mesh, chunk)).reshape(len(chunk), self.nv, -1)

    def _reduce(self, values: np.ndarray, op: str) -> float:
        if op == "max":
            local = float(values.max()) if values.size else -np.inf
            return float(self.comm.allreduce(local, op=MPI.MAX))
        local = float(values.min()) if values.size else np.inf
        return float(self.comm.allreduce(local, op=MPI.MIN))

    # --- interfaces ------------------------------------------------------------------

    def _setup_interfaces(self) -> None:
        """Vertex nodes and unit normals of the facets of each interface."""
        loaded, mesh = self.problem.loaded, self.mesh
        tdim = mesh.topology.dim
        fdim = tdim - 1
        self.interfaces = {}
        for (inner, outer), tag in loaded.interface_tags.items():
            facets = loaded.facet_tags.find(tag)
            if len(facets):
                nodes = dolfinx.mesh.entities_to_geometry(mesh, fdim, facets)[:, :tdim]  # facet vertices
            else:
                nodes = np.zeros((0, tdim), dtype=np.int32)
            P = self._positions3(nodes)
            if tdim == 2:  # meridian edge (r, z): normal (t_z, -t_r)
                t = P[:, 1] - P[:, 0]
                normals = np.stack([t[:, 2], np.zeros(len(t)), -t[:, 0]], axis=1)
            else:
                normals = np.cross(P[:, 1] - P[:, 0], P[:, 2] - P[:, 0])
            if len(normals):
                normals /= np.linalg.norm(normals, axis=1)[:, None]
            self.interfaces[f"{inner}|{outer}"] = (inner, outer, nodes, normals)

    def _interface_normal_stress(self, sides: dict) -> dict[str, dict[str, float]]:
        """sigma_nn of each interface facet: the mean over its vertices of the two one-sided
        values (each the per-region vertex average of its side); extremes over the facets.
        Traction is continuous, so both sides estimate the same number and their mean cancels
        most of the one-sided error; the facet mean is the normal stress of that piece of
        interface (a front 3.6 nm from the interface: spread 0.4 % axisymmetric, 1.2 % octant on
        the default meshes; 8 % before the consistent eigenstrain). ``sides``: per (interface,
        region) that region's vertex-averaged stress at the interface's facet vertices
        (f, v, 3, 3)."""
        out = {}
        for key, (inner, outer, nodes, normals) in self.interfaces.items():
            normal = [np.einsum("fi,fvij,fj->fv", normals, sides[key, side], normals) for side in (inner, outer)]
            values = (0.5 * (normal[0] + normal[1])).mean(axis=1) if len(nodes) else np.zeros(0)
            out[key] = {
                "normal_stress_max_MPa": self._reduce(values, "max"),
                "normal_stress_min_MPa": self._reduce(values, "min"),
            }
        return out

    # --- sampled stress: the axis and probe lines --------------------------------------

    def _setup_sampled_stress(self) -> None:
        """The stress tensor of every law interpolated into one discontinuous field (each law
        on its own cells), which the axial profile and the probe lines are sampled from: on
        the cells that hold a sample point only (:meth:`_restrict_sampled_stress`)."""
        mesh, problem = self.mesh, self.problem
        degree = max(problem.degree - 1, 1) if not problem.axisymmetric else problem.degree
        self.sigma_h = fem.Function(fem.functionspace(mesh, ("DG", degree, (3, 3))))
        points = self.sigma_h.function_space.element.interpolation_points
        self.sigma_h_exprs = [
            (fem.Expression(law.stress(problem.u), points),
             np.concatenate([problem.loaded.cell_tags.find(t) for t in law.tags]).astype(np.int32))
            for law in problem.laws
        ]

    def _restrict_sampled_stress(self) -> None:
        """Keep of each law's cells those that hold a point of the axis or a probe line (a few
        hundred of them; the full 3D default mesh has 258 k cells)."""
        found = [f for *_, f in self.axis_points] + [line[6] for line in self.lines]
        sampled = np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int32)
        sampled = sampled[sampled >= 0]
        self.sigma_h_exprs = [(expr, np.intersect1d(cells, sampled).astype(np.int32))
                              for expr, cells in self.sigma_h_exprs]

    def _interpolate_stress(self) -> None:
        for expr, cells in self.sigma_h_exprs:
            if len(cells):
                self.sigma_h.interpolate(expr, cells0=cells)

    def _meridian(self, xyz: np.ndarray) -> np.ndarray:
        """Mesh coordinates of the points xyz (n, 3): (r, z, 0) in 2D-axisymmetric, else xyz."""
        if not self.problem.axisymmetric:
            return xyz.copy()
        pts = np.zeros_like(xyz)
        pts[:, 0], pts[:, 1] = np.hypot(xyz[:, 0], xyz[:, 1]), xyz[:, 2]
        return pts

    def _cells_at(self, tree, pts: np.ndarray) -> np.ndarray:
        """The first cell of ``tree`` holding each point (-1: none on this process)."""
        coll = dolfinx.geometry.compute_collisions_points(tree, pts)
        colliding = dolfinx.geometry.compute_colliding_cells(self.mesh, coll, pts)
        found = np.full(len(pts), -1, dtype=np.int32)
        for k in range(len(pts)):
            links = colliding.links(k)
            if len(links):
                found[k] = links[0]
        return found

    def _sampled(self, pts: np.ndarray, found: np.ndarray) -> np.ndarray:
        """The sampled stress (n, 3, 3) at the points, each from the process whose cell holds it
        (NaN where none does)."""
        mine = found >= 0
        local = np.full((len(pts), 9), np.nan)
        if mine.any():
            local[mine] = self.sigma_h.eval(pts[mine], found[mine]).reshape(-1, 9)
        S = np.full((len(pts), 9), np.nan)
        for g in self.comm.allgather(local):
            S = np.where(np.isnan(S), g, S)
        return S.reshape(-1, 3, 3)

    def _setup_axis(self, n_per_layer: int) -> None:
        """Sample points of the shape's ``axis`` probe line, region by region."""
        mesh, problem = self.mesh, self.problem
        lines = {line.name: line for line in problem.loaded.shape.probe_lines()}
        self.axis_points = []
        for seg in lines["axis"].segments if "axis" in lines else ():
            t = np.linspace(0.0, 1.0, n_per_layer)[:, None]
            xyz = (1 - t) * np.asarray(seg.start) + t * np.asarray(seg.end)
            pts = self._meridian(xyz)
            cells = self.region_cells[seg.region]
            tree = dolfinx.geometry.bb_tree(mesh, mesh.topology.dim, entities=cells, padding=1e-9 * self.R)
            self.axis_points.append((seg.region, xyz[:, 2], pts, self._cells_at(tree, pts)))

    def _axial_profile(self) -> dict:
        z_all, s_all, reg_all = [], [], []
        for name, z, pts, found in self.axis_points:
            z_all += list(z)
            s_all += list(self._sampled(pts, found)[:, 2, 2])
            reg_all += [name] * len(z)
        return {
            "z_nm": [float(v) for v in z_all],
            "sigma_zz_MPa": [None if np.isnan(v) else float(v) for v in s_all],
            "region": reg_all,
        }

    def _setup_lines(self, lines, n_points: int) -> None:
        """Sample points of each probe line and the owned cell that holds each (-1: none here)."""
        mesh, problem = self.mesh, self.problem
        self.lines = []
        owned = np.arange(self.n_owned, dtype=np.int32)
        tree = dolfinx.geometry.bb_tree(mesh, mesh.topology.dim, entities=owned, padding=1e-9 * self.R)
        tag_of = np.zeros(self.n_owned + mesh.topology.index_map(mesh.topology.dim).num_ghosts, dtype=np.int32)
        tag_of[problem.loaded.cell_tags.indices] = problem.loaded.cell_tags.values
        name_of = {tag: name for name, tag in problem.loaded.layer_tags.items()}
        for name, start, end in lines:
            a, b = np.asarray(start, float), np.asarray(end, float)
            # end points just inside: a point on a curved boundary can miss the curved P2 cells
            t = np.linspace(1e-4, 1.0 - 1e-4, n_points)[:, None]
            xyz = (1 - t) * a + t * b
            pts = self._meridian(xyz)
            found = self._cells_at(tree, pts)
            # a point on a curved boundary can miss the curved cells: step it inward (up to 1 %)
            length = float(np.linalg.norm(b - a))
            mid = 0.5 * (a + b)
            for inset in (1e-3, 3e-3, 1e-2):
                anywhere = np.empty_like(found)
                self.comm.Allreduce(found, anywhere, op=MPI.MAX)
                missing = np.flatnonzero(anywhere < 0)
                if not len(missing):
                    break
                towards = mid - xyz[missing]
                norm = np.linalg.norm(towards, axis=1)[:, None]
                xyz[missing] += inset * length * np.divide(towards, norm, out=np.zeros_like(towards), where=norm > 0)
                pts[missing] = self._meridian(xyz[missing])
                found[missing] = self._cells_at(tree, pts[missing])
            local = [name_of.get(int(tag_of[c]), "") if c >= 0 else "" for c in found]
            regions = [next((r for r in col if r), None) for col in zip(*self.comm.allgather(local))]
            self.lines.append((name, a, b, (b - a) / length, xyz, pts, found, regions))

    def _line_profiles(self) -> dict:
        """Stresses along each probe line: the normal stress along the line (sigma_tt), von
        Mises, hydrostatic and max principal stress (MPa) at distance s_nm from its start;
        None where the point lies outside the body."""
        out = {}
        for name, a, b, direction, xyz, pts, found, regions in self.lines:
            S = self._sampled(pts, found)
            t = np.broadcast_to(direction, (len(pts), 3)).copy()
            if self.problem.axisymmetric:  # components in the local (r, theta, z) basis
                phi = np.arctan2(xyz[:, 1], xyz[:, 0])
                c, s_ = np.cos(phi), np.sin(phi)
                t = np.stack([direction[0] * c + direction[1] * s_, -direction[0] * s_ + direction[1] * c,
                              np.full(len(pts), direction[2])], axis=1)
            ok = ~np.isnan(S).any(axis=(1, 2))
            values = {k: np.full(len(pts), np.nan) for k in ("sigma_tt", "von_mises", "hydrostatic", "principal_max")}
            if ok.any():
                m = stress_measures(S[ok], np.ones((int(ok.sum()), 3)), centre_tol=0.0)
                values["sigma_tt"][ok] = np.einsum("mi,mij,mj->m", t[ok], S[ok], t[ok])
                for key in ("von_mises", "hydrostatic", "principal_max"):
                    values[key][ok] = m[key]

            def listed(v):
                return [None if np.isnan(x) else float(x) for x in v]

            out[name] = {
                "from_nm": [float(x) for x in a], "to_nm": [float(x) for x in b],
                "s_nm": [float(x) for x in np.linalg.norm(xyz - a, axis=1)],
                "region": regions,
                "sigma_tt_MPa": listed(values["sigma_tt"]),
                "von_mises_MPa": listed(values["von_mises"]),
                "hydrostatic_MPa": listed(values["hydrostatic"]),
                "principal_max_MPa": listed(values["principal_max"]),
            }
        return out

    # --- per-region vertex values ----------------------------------------------------

    def _region_nodal_stress(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Stress averaged over the region's cells at each geometry node of this process
        (n, 3, 3), and which owned nodes belong to the region (n_owned,) bool."""
        imap = self.mesh.geometry.index_map()
        acc = dolfinx.la.vector(imap, bs=10)
        arr = acc.array.reshape(-1, 10)
        n = arr.shape[0]
        for cells, S in self._evaluated(self.sigma_expr[name], self.region_cells[name]):
            nodes = self.geom_dofs[cells].ravel()
            S = S.reshape(-1, 9)
            for k in range(9):  # sums per node (bincount: half the time of np.add.at on columns)
                arr[:, k] += np.bincount(nodes, weights=S[:, k], minlength=n)
            arr[:, 9] += np.bincount(nodes, minlength=n)
        acc.scatter_reverse(dolfinx.la.InsertMode.add)
        acc.scatter_forward()
        arr = acc.array.reshape(-1, 10)
        count = arr[:, 9:10]
        avg = np.divide(arr[:, :9], count, out=np.zeros_like(arr[:, :9]), where=count > 0)
        return avg.reshape(-1, 3, 3), arr[: imap.size_local, 9] > 0

    # --- failure indicators ------------------------------------------------------------

    def _plastic_strain_max(self, name: str) -> float:
        law = self.problem.law_of[name]
        values = np.zeros(0)
        if getattr(law, "last", None) is not None:
            values = law.region_point_values(name, law.last.equivalent_plastic_strain)
        return max(self._reduce(values, "max"), 0.0)

    def _law_outputs(self, name: str) -> dict:
        """The per-region results of the region's law's own point outputs (porosity, ...)."""
        law = self.problem.law_of[name]
        out = {}
        for output, (key, how) in getattr(law, "output_measures", {}).items():
            if how == "integral":
                form = self.output_forms.get((name, output))
                if form is None:
                    tag = self.problem.loaded.layer_tags[name]
                    form = self.output_forms[(name, output)] = fem.form(
                        law.outputs_q[output] * self.problem.weight * self.problem.dx(tag))
                out[key] = self.problem.symmetry_factor * self.comm.allreduce(fem.assemble_scalar(form), op=MPI.SUM)
                continue
            values = np.zeros(0)
            if getattr(law, "last", None) is not None:
                values = law.region_point_values(name, law.last.outputs[output])
            out[key] = self._reduce(values, how)
        return out

    def _size_effect(self, name: str, principal_max: float) -> dict:
        """:func:`~swellfem.results.indicators.size_effect` of region ``name``."""
        return size_effect(self.toughness.get(name), principal_max)

    def _volume(self, name: str | None) -> float:
        """The reference volume of region ``name`` (None: the whole body), nm^3, whole particle."""
        if name not in self._volumes:
            form = self.volume_form if name is None else self.region_volume_forms[name]
            self._volumes[name] = self.problem.symmetry_factor * self.comm.allreduce(fem.assemble_scalar(form), op=MPI.SUM)
        return self._volumes[name]

    def _failure_indicators(self, name: str, measures: dict, pointwise: dict[str, np.ndarray]) -> dict:
        """:func:`~swellfem.results.indicators.failure_indicators` of region ``name`` (isotropic
        compliance of the region); ``pointwise``: :func:`stress_measures` of its points."""
        mat = self.problem.regions[name]
        strain = principal_strain(mat.effective_E_MPa, mat.nu, pointwise["principal_max"], pointwise["hydrostatic"])
        return failure_indicators(self._reduce(strain, "max"), measures["principal_max_MPa"],
                                  self.strengths.get(name, (None, None)))

    # --- everything ------------------------------------------------------------------

    def _deformed_positions(self) -> np.ndarray:
        """x + u at every geometry vertex node of this process (n, 3), about the centre."""
        mesh = self.mesh
        n_cells = self.n_owned + mesh.topology.index_map(mesh.topology.dim).num_ghosts
        gdim = mesh.geometry.dim
        disp = np.zeros((mesh.geometry.x.shape[0], gdim))
        for cells, u in self._evaluated(self.u_expr, np.arange(n_cells, dtype=np.int32)):
            disp[self.geom_dofs[cells].ravel()] = u.reshape(-1, gdim)  # continuous: any cell gives the value
        x = self.mesh.geometry.x[:, :gdim] + disp
        if self.problem.axisymmetric:
            return np.stack([x[:, 0], np.zeros(len(x)), x[:, 1]], axis=1)
        if self.problem.formulation == "3d":  # the centre may translate (zero net rigid motion)
            centre = self._at_nearest_node(np.zeros(3), disp)
            return np.pad(x, ((0, 0), (0, 3 - x.shape[1]))) - np.pad(centre, (0, 3 - len(centre)))
        return np.pad(x, ((0, 0), (0, 3 - x.shape[1])))

    def _at_nearest_node(self, point: np.ndarray, values: np.ndarray) -> np.ndarray:
        """``values`` (one row per geometry node of this process) at the node nearest ``point``
        (x, y, z in nm; all ranks agree)."""
        d = np.linalg.norm(self._positions3(np.arange(len(values))) - point, axis=1)
        k = int(np.argmin(d)) if len(d) else -1
        local = (float(d[k]) if k >= 0 else np.inf, values[k] if k >= 0 else np.zeros(values.shape[1]))
        return np.asarray(min(self.comm.allgather(local), key=lambda t: t[0])[1])

    def _check_inverted(self) -> None:
        """det F at every cell vertex must be positive: an inverted element is no result."""
        from ..physics import SolverError

        bad, J_min = 0, np.inf
        for _, J in self._evaluated(self.det_expr, np.arange(self.n_owned, dtype=np.int32)):
            bad += int((J <= 0).sum())
            J_min = min(J_min, float(J.min()))
        bad = int(self.comm.allreduce(bad, op=MPI.SUM))
        if bad:
            J_min = float(self.comm.allreduce(J_min, op=MPI.MIN))
            raise SolverError(f"inverted elements: det F <= 0 at {bad} cell vertices (min {J_min:.3g}); "
                              "the displacement is not a possible deformation (use kinematics = \"finite\", "
                              "smaller load steps or a finer mesh)")

    def _enclosed_volume(self, deformed: float, volume: float) -> dict:
        """The volume inside the particle's outer surface, its voids included (what an image
        of its outline measures; nm^3, whole particle), and its change (percent). Without voids
        the solid volume and its apparent expansion."""
        problem = self.problem
        references = problem.void_volume_reference if problem.contacts else {}  # per void, as meshed
        enclosed = deformed + sum(problem.void_volume(void) for void in references)
        enclosed0 = volume + sum(references.values())
        return {"enclosed_volume_nm3": enclosed, "enclosed_volume_expansion_percent": 100.0 * (enclosed / enclosed0 - 1.0)}

    def evaluate(self) -> dict:
        """All measures of the current solution, as ``summary.json`` stores them per stage."""
        problem = self.problem
        self._check_inverted()
        regions = {}
        sides = {}  # (interface, region) -> the region's stress at the interface's facet vertices
        deformed = self._deformed_positions()
        for name in self.layer_names:  # one region's vertex stresses at a time (memory)
            avg, mine = self._region_nodal_stress(name)
            for key, (inner, outer, nodes, _) in self.interfaces.items():
                if name in (inner, outer):
                    sides[key, name] = avg[nodes]
            owned = np.flatnonzero(mine)
            S, P = avg[owned], deformed[owned]
            centre = self.centres.get(name)
            if centre is not None and np.any(centre != 0):  # a particle: about its own (moved) centre
                P = P - self._at_nearest_node(centre, deformed)
            m = stress_measures(S, P, centre_tol=1e-9 * self.R)
            regions[name] = {
                "von_mises_max_MPa": self._reduce(m["von_mises"], "max"),
                "principal_max_MPa": self._reduce(m["principal_max"], "max"),
                "principal_min_MPa": self._reduce(m["principal_min"], "min"),
                "hydrostatic_max_MPa": self._reduce(m["hydrostatic"], "max"),
                "hydrostatic_min_MPa": self._reduce(m["hydrostatic"], "min"),
                "radial_max_MPa": self._reduce(m["radial"], "max"),
                "radial_min_MPa": self._reduce(m["radial"], "min"),
                "hoop_max_MPa": self._reduce(m["hoop"], "max"),
                "hoop_min_MPa": self._reduce(m["hoop"], "min"),
            }
            factor = problem.symmetry_factor
            volume = self._volume(name)
            plastic = 0.0
            if name in self.plastic_forms:
                plastic = factor * self.comm.allreduce(fem.assemble_scalar(self.plastic_forms[name]), op=MPI.SUM)
            region_deformed = factor * self.comm.allreduce(fem.assemble_scalar(self.region_det_forms[name]), op=MPI.SUM)
            regions[name].update(
                equivalent_plastic_strain_max=self._plastic_strain_max(name),
                plastic_volume_fraction=plastic / volume if volume > 0 else 0.0,
                deformed_volume_nm3=region_deformed,
                volume_nm3=volume,
                volume_expansion_percent=100.0 * (region_deformed / volume - 1.0) if volume > 0 else None,
            )
            regions[name].update(self._law_outputs(name))
            regions[name].update(self._failure_indicators(name, regions[name], m))
            regions[name].update(self._size_effect(name, regions[name]["principal_max_MPa"]))
        factor = problem.symmetry_factor
        volume = self._volume(None)
        if abs(sum(self._volume(name) for name in self.layer_names) - volume) <= 1e-10 * volume:
            deformed = sum(r["deformed_volume_nm3"] for r in regions.values())  # the regions fill the body
        else:
            if self._det_form is None:
                self._det_form = fem.form(problem.deformation_gradient_det() * problem.weight * problem.dx)
            deformed = factor * self.comm.allreduce(fem.assemble_scalar(self._det_form), op=MPI.SUM)
        energy = factor * self.comm.allreduce(fem.assemble_scalar(self.energy_form), op=MPI.SUM)
        interfaces = self._interface_normal_stress(sides)
        if self.axis_points or self.lines:
            self._interpolate_stress()
        for key, values in interfaces.items():
            strength = self.adhesion.get(key)
            values["adhesion_ratio_max"] = values["normal_stress_max_MPa"] / strength if strength else None
        return {
            "regions": regions,
            "groups": group_summaries(self.groups, regions),
            "interfaces": interfaces,
            "axial_profile": self._axial_profile(),
            "profiles": self._line_profiles(),
            "apparent_volume_expansion_percent": 100.0 * (deformed / volume - 1.0),
            "deformed_volume_nm3": deformed,  # int det F dV0 over the whole particle
            **self._enclosed_volume(deformed, volume),
            "strain_energy_aJ": energy * 1e-3,  # MPa nm^3 = 1e-21 J
            "volume_nm3": volume,
        }
