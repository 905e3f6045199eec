"""What real feeds do to records: invalid ones, late ones, and exact re-deliveries.

Applied to each freshly produced chunk of a source type, with the chunk's own seeded generator:

- **invalid**: an original record made to break the contract in one way (a `fault` code naming
  the source's defect kind); only rows the source marks *eligible* (records nothing else refers
  to), with the probability that makes invalid / originals = `invalid_share`;
- **late**: a valid original delivered `late_days` after its event day (never past the period);
- **duplicate**: a copy of a valid original, delivered again 0-2 days after it (identical JSON),
  so duplicates / originals = `duplicate_share`. Invalid records are never duplicated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from databank.demo.generator.frame import Frame
from databank.demo.generator.world import FAULTS, World

if TYPE_CHECKING:
    from databank.demo.generator.stream import SourceSpec


def inject(world: World, spec: SourceSpec, frame: Frame, chunk: int) -> tuple[Frame, Frame]:
    """Add `deliv`, `dup`, `fault` to `frame`; return it and its re-delivered copies."""
    cfg = world.cfg
    n = len(frame)
    rng = world.rng(FAULTS + spec.code, chunk)
    # one 64-bit draw per row: 20 bits each decide invalid, late and duplicate
    bits = rng.bit_generator.random_raw(n)
    mask = np.uint64(0xFFFFF)
    u_invalid, u_late = bits & mask, (bits >> np.uint64(20)) & mask
    u_dup = (bits >> np.uint64(40)) & mask

    def below(u: np.ndarray, p: float) -> np.ndarray:
        return u < np.uint64(min(1.0, p) * (1 << 20))

    day = frame["day"]
    invalid = np.zeros(n, dtype=bool)
    if spec.faults and n:
        eligible = spec.eligible(frame) if spec.eligible else np.ones(n, dtype=bool)
        n_eligible = int(eligible.sum())
        if n_eligible:
            invalid = eligible & below(u_invalid, cfg.invalid_share * n / n_eligible)
    fault = np.zeros(n, dtype=np.int8)
    rows = np.flatnonzero(invalid)
    fault[rows] = 1 + rng.integers(0, max(1, len(spec.faults)), len(rows))
    deliv = day.astype(np.int32, copy=True)
    rows = np.flatnonzero(~invalid & below(u_late, cfg.late_share))
    lag = rng.integers(cfg.late_days[0], cfg.late_days[1] + 1, len(rows))
    fits = day[rows] + lag <= cfg.days - 1
    deliv[rows[fits]] += lag[fits]
    frame["deliv"] = deliv
    frame["dup"] = np.zeros(n, dtype=bool)
    frame["fault"] = fault
    rows = np.flatnonzero(~invalid & below(u_dup, cfg.duplicate_share / (1.0 - cfg.invalid_share)))
    copies = frame.take(rows)
    copies["dup"] = np.ones(len(rows), dtype=bool)
    last = np.maximum(copies["deliv"], cfg.days - 1)
    shifted = copies["deliv"] + rng.integers(0, 3, len(rows))
    copies["deliv"] = np.minimum(shifted, last).astype(np.int32)
    return frame, copies
