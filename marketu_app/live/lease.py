"""A named lease in the database: one process at a time holds it, and renews it while alive."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from marketu_app.db.models import Lease
from marketu_app.domain.timeutil import utcnow


def hold(engine: Engine, name: str, owner: str, seconds: float) -> bool:
    """Takes or renews the lease; True when `owner` holds it for the next `seconds`."""
    now = utcnow()
    until = now + timedelta(seconds=seconds)
    with Session(engine) as session:
        taken = session.exec(
            update(Lease)
            .where(Lease.name == name, or_(Lease.owner == owner, Lease.until < now))
            .values(owner=owner, until=until)
        ).rowcount
        if taken:
            session.commit()
            return True
        if session.get(Lease, name) is not None:
            return False
        session.add(Lease(name=name, owner=owner, until=until))
        try:
            session.commit()
            return True
        except IntegrityError:  # another process created it first
            return False


def release(engine: Engine, name: str, owner: str) -> None:
    with Session(engine) as session:
        session.exec(update(Lease).where(Lease.name == name, Lease.owner == owner).values(until=utcnow()))
        session.commit()
