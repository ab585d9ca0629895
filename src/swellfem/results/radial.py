"""The measures of a solved ``spherical-1d`` stage, with the keys of the mesh formulations'
:class:`~swellfem.results.measures.StageEvaluator` (``summary.json`` is the same).

In spherical symmetry the Cauchy stress at a point is sigma_r n n + sigma_t (I - n n), n the
radial direction, so every measure follows from the two components at the material points
(per element its two end points and 3 Gauss points: an interface has one value from each side,
and the centre, the cavity wall and the outer surface are points themselves):
von Mises |sigma_r - sigma_t|, principal values max/min(sigma_r, sigma_t), hydrostatic
(sigma_r + 2 sigma_t) / 3, radial sigma_r, hoop sigma_t, the normal stress of an interface
sigma_r there (the mean of its two sides, as the mesh formulations take it). Volumes are
those of the deformed radii: 4 pi / 3 (r_out^3 - r_in^3). Stresses MPa, lengths nm, volumes
nm^3 (the whole particle).
"""

from __future__ import annotations

import math

import numpy as np

from ..exact import spherical_extrema
from ..physics.radial import RadialProblem
from ..physics.solver import SolverError
from .indicators import PLASTIC_THRESHOLD, failure_indicators, group_summaries, principal_strain, size_effect


def _listed(values: np.ndarray) -> list:
    return [None if np.isnan(x) else float(x) for x in values]


class RadialEvaluator:
    """Evaluates a solved :class:`~swellfem.physics.radial.RadialProblem` stage: the arguments
    are those of :class:`~swellfem.results.measures.StageEvaluator`."""

    def __init__(self, problem: RadialProblem, axial_points_per_layer: int = 41,
                 strengths: dict[str, tuple[float | None, float | None]] | None = None,
                 adhesion: dict[str, float] | None = None,
                 toughness: dict[str, tuple[float, float]] | None = None,
                 lines: list[tuple[str, tuple, tuple]] | None = None, line_points: int = 101,
                 groups: dict[str, list[str]] | None = None):
        self.problem = problem
        self.strengths = strengths or {}
        self.adhesion = adhesion or {}
        self.toughness = toughness or {}
        self.axial_points_per_layer = axial_points_per_layer
        self.lines = lines if lines is not None else [
            ("axis", (0.0, 0.0, problem.layers[0].inner_radius_nm), (0.0, 0.0, problem.layers[-1].outer_radius_nm))]
        self.line_points = line_points
        self.groups = groups or {}
        self.names = problem.region_names
        self.masks = [problem.point_layer == i for i in range(len(self.names))]

    # --- sampling along lines ------------------------------------------------------------

    def _profiles(self, sr: np.ndarray, st: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per layer its radial profile (R, sigma_r, sigma_t) of the stage (what is sampled)."""
        out = []
        for i in range(len(self.names)):
            R, yr = self.problem.layer_profile(i, sr)
            out.append((R, yr, self.problem.layer_profile(i, st)[1]))
        return out

    @staticmethod
    def _sample(R: np.ndarray, regions: list[int | None], profiles) -> tuple[np.ndarray, np.ndarray]:
        """sigma_r and sigma_t at reference radii R, each from its region's profile (NaN outside
        the body)."""
        out_r, out_t = np.full(len(R), np.nan), np.full(len(R), np.nan)
        for i, (x, yr, yt) in enumerate(profiles):
            at = np.array([k == i for k in regions], dtype=bool)
            if at.any():
                out_r[at], out_t[at] = np.interp(R[at], x, yr), np.interp(R[at], x, yt)
        return out_r, out_t

    def _region_at(self, R: np.ndarray) -> list[int | None]:
        """The layer that holds each reference radius (None: the cavity or outside)."""
        inner = np.array([ly.inner_radius_nm for ly in self.problem.layers])
        outer = np.array([ly.outer_radius_nm for ly in self.problem.layers])
        tol = 1e-9 * outer[-1]
        out = []
        for r in R:
            hit = np.flatnonzero((r >= inner - tol) & (r <= outer + tol))
            out.append(int(hit[0]) if len(hit) else None)
        return out

    def _axial_profile(self, profiles) -> dict:
        """sigma_zz on the z axis (= sigma_r there), layer by layer, each from its own layer."""
        z_all, s_all, reg_all = [], [], []
        for i, layer in enumerate(self.problem.layers):
            z = np.linspace(layer.inner_radius_nm, layer.outer_radius_nm, self.axial_points_per_layer)
            s_r, _ = self._sample(z, [i] * len(z), profiles)
            z_all += [float(v) for v in z]
            s_all += _listed(s_r)
            reg_all += [layer.name] * len(z)
        return {"z_nm": z_all, "sigma_zz_MPa": s_all, "region": reg_all}

    def _line_profiles(self, profiles) -> dict:
        """The probe lines of the mesh formulations: the normal stress along the line
        (sigma_tt), von Mises, hydrostatic and max principal stress (MPa) at distance s_nm
        from its start (reference positions); None outside the body."""
        out = {}
        for name, start, end in self.lines:
            a, b = np.asarray(start, float), np.asarray(end, float)
            length = float(np.linalg.norm(b - a))
            t = np.linspace(1e-4, 1.0 - 1e-4, self.line_points)[:, None]
            xyz = (1 - t) * a + t * b
            R = np.linalg.norm(xyz, axis=1)
            regions = self._region_at(R)
            s_r, s_t = self._sample(R, regions, profiles)
            direction = (b - a) / length if length > 0 else np.zeros(3)
            with np.errstate(invalid="ignore", divide="ignore"):
                cos = np.where(R > 0, xyz @ direction / np.where(R > 0, R, 1.0), 1.0)
            out[name] = {
                "from_nm": [float(x) for x in a], "to_nm": [float(x) for x in b],
                "s_nm": [float(x) for x in np.linalg.norm(xyz - a, axis=1)],
                "region": [self.names[k] if k is not None else None for k in regions],
                "sigma_tt_MPa": _listed(s_r * cos**2 + s_t * (1 - cos**2)),
                "von_mises_MPa": _listed(np.abs(s_r - s_t)),
                "hydrostatic_MPa": _listed((s_r + 2 * s_t) / 3),
                "principal_max_MPa": _listed(np.maximum(s_r, s_t)),
            }
        return out

    # --- everything ----------------------------------------------------------------------

    def _check_inverted(self, J: np.ndarray) -> None:
        bad = int((J <= 0).sum())
        if bad:
            raise SolverError(f"inverted elements: det F <= 0 at {bad} material points (min {float(J.min()):.3g}); "
                              "the displacement is not a possible deformation (use kinematics = \"finite\", "
                              "or smaller load steps)")

    def evaluate(self) -> dict:
        """All measures of the current solution, as ``summary.json`` stores them per stage."""
        problem = self.problem
        res = problem.result()
        self._check_inverted(res.J)
        sr, st = res.sigma_r_MPa, res.sigma_t_MPa
        weight = problem.point_weight_nm3
        energy_density = problem.energy_density()
        regions = {}
        for i, (name, m) in enumerate(zip(self.names, self.masks)):
            r_, t_ = sr[m], st[m]
            hydro, pmax = (r_ + 2 * t_) / 3, np.maximum(r_, t_)
            R_in, R_out, r_in, r_out = problem.layer_radii(i)
            volume = 4.0 * math.pi / 3.0 * (R_out**3 - R_in**3)
            deformed = 4.0 * math.pi / 3.0 * (r_out**3 - r_in**3)
            epbar = res.equivalent_plastic_strain[m]
            regions[name] = spherical_extrema(r_, t_) | {
                "equivalent_plastic_strain_max": max(float(epbar.max()), 0.0),
                "plastic_volume_fraction": float((weight[m] * (epbar > PLASTIC_THRESHOLD)).sum() / volume),
                "deformed_volume_nm3": deformed,
                "volume_nm3": volume,
                "volume_expansion_percent": 100.0 * (deformed / volume - 1.0),
            }
            regions[name].update(self._law_outputs(i, m, res))
            mat = problem.regions[name]
            strain = float(principal_strain(mat.effective_E_MPa, mat.nu, pmax, hydro).max())
            regions[name].update(failure_indicators(strain, regions[name]["principal_max_MPa"],
                                                    self.strengths.get(name, (None, None))))
            regions[name].update(size_effect(self.toughness.get(name), regions[name]["principal_max_MPa"]))
        interfaces = {}
        for i in range(len(self.names) - 1):
            inner, outer = self.masks[i], self.masks[i + 1]
            # the inner layer's last point and the outer layer's first: both on the interface
            normal = 0.5 * (sr[np.flatnonzero(inner)[-1]] + sr[np.flatnonzero(outer)[0]])
            key = f"{self.names[i]}|{self.names[i + 1]}"
            strength = self.adhesion.get(key)
            interfaces[key] = {"normal_stress_max_MPa": float(normal), "normal_stress_min_MPa": float(normal),
                               "adhesion_ratio_max": float(normal) / strength if strength else None}
        volume = sum(r["volume_nm3"] for r in regions.values())
        deformed = sum(r["deformed_volume_nm3"] for r in regions.values())
        profiles = self._profiles(sr, st)
        return {
            "regions": regions,
            "groups": group_summaries(self.groups, regions),
            "interfaces": interfaces,
            "axial_profile": self._axial_profile(profiles),
            "profiles": self._line_profiles(profiles),
            "apparent_volume_expansion_percent": 100.0 * (deformed / volume - 1.0),
            "deformed_volume_nm3": deformed,
            "enclosed_volume_nm3": deformed,
            "enclosed_volume_expansion_percent": 100.0 * (deformed / volume - 1.0),
            "strain_energy_aJ": float((weight * energy_density).sum()) * 1e-3,  # MPa nm^3 = 1e-21 J
            "volume_nm3": volume,
        }

    def _law_outputs(self, i: int, m: np.ndarray, res) -> dict:
        """The region's law's own measures, as the mesh formulations' laws name them."""
        law = self.problem.layers[i].material.law
        if law == "porous":
            return {"porosity_min": float(np.nanmin(res.porosity[m])),
                    "pore_volume_lost_nm3": self.problem.pore_volume_lost_nm3(i)}
        if law == "transverse":  # the sheet strain: the (elastic) hoop strain of the wrap
            return {"sheet_strain_max": float(self.problem.mechanical_strains()[1][m].max())}
        return {}
