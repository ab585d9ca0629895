"""What a stage was (recorded per stage in ``summary.json``)."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass
class StageInfo:
    """What a stage was: recorded per stage in ``summary.json``.

    ``time_s`` (diffusion): time since the start, or since the last stage reached only as
    t -> infinity (SOC at the boundary value, e.g. 1 charging or 0 discharging), whose own
    time is None. ``front_radius_nm`` (shrinking-core): the current, outermost front of the
    front history (a potassiation front while charging, a depotassiation front while
    discharging); None where theta is uniform.
    """

    index: int
    soc: float
    mode: str
    time_s: float | None = None
    front_radius_nm: float | None = None
    mean_potassiation: float | None = None
    max_potassiation: float | None = None

    def to_summary(self) -> dict:
        return {
            "index": self.index,
            "soc": self.soc,
            "mode": self.mode,
            "time_s": self.time_s,
            "front_radius_nm": self.front_radius_nm,
            "mean_potassiation_active": self.mean_potassiation,
            "max_potassiation_active": self.max_potassiation,
        }
