"""How numbers are written for people (ground floor: any step may import it, view included).

A state of charge (SOC) is written with two decimals where that is exact (0.4 -> "0.40", so
names such as ``von_mises_soc0.40.png`` keep their form) and otherwise in the shortest form
that reads back as the same number (0.005 -> "0.005", 0.0025 -> "0.0025"): two decimals alone
would show 0.005 as "0.01" and 0.0025 as "0.00".
"""

from __future__ import annotations

import math


def soc_text(soc: float) -> str:
    """A state of charge as text: ``f"{soc:.2f}"`` where that is exact, else the shortest
    ``:g`` form that reads back as ``soc`` (e.g. 0.4 -> "0.40", 1 -> "1.00", 0.005 -> "0.005",
    0.0025 -> "0.0025", 0.125 -> "0.125")."""
    soc = float(soc)
    if not math.isfinite(soc):
        return f"{soc:g}"
    text = f"{soc:.2f}"
    if float(text) == soc:
        return text
    for digits in range(1, 18):
        text = f"{soc:.{digits}g}"
        if float(text) == soc:
            return text
    return repr(soc)
