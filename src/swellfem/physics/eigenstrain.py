"""The isotropic potassiation eigenstrain e(theta) of a region that swells by beta = dV/V0.

``linear``: e = beta theta / 3 (COMSOL's intercalation strain); ``cube-root``:
e = (1 + beta theta)^(1/3) - 1 (the stretch of the swollen volume). Dimensionless.
"""

from __future__ import annotations

import numpy as np


def eigenstrain(theta, beta, convention: str):
    """e(theta) for UFL expressions (or numbers): the two conventions above."""
    if convention == "linear":
        return beta * theta / 3.0
    if convention == "cube-root":
        return (1.0 + beta * theta) ** (1.0 / 3.0) - 1.0
    raise ValueError(f"unknown eigenstrain convention {convention!r}")


def eigenstrain_numpy(theta: np.ndarray | float, beta: np.ndarray | float, convention: str):
    """:func:`eigenstrain` on numpy arrays (the same two conventions)."""
    if convention == "linear":
        return np.asarray(beta) * theta / 3.0
    return np.cbrt(1.0 + np.asarray(beta) * theta) - 1.0
