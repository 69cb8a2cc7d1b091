"""ETA for orders and parcels from the database (interim: documented defaults only).

Replaced by the learned estimator of issue 6 (marketu_app.domain.eta).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Eta:
    expected: date
    earliest: date
    latest: date
    late: bool


def order_eta(session, order, history) -> Eta | None:
    return None


def parcel_eta(etas: list[Eta | None]) -> Eta | None:
    known = [e for e in etas if e is not None]
    return max(known, key=lambda e: e.expected) if known else None
