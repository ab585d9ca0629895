"""What a stage was (recorded per stage in ``summary.json``)."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass
class StageInfo:
    """What a stage was: recorded per stage in ``summary.json``."""

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
