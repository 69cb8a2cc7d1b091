"""A named lease in the database: one process at a time holds it, and renews it while alive.

Also a group's members: each live process renews its own row, and everyone sees who is alive
(`heartbeat`), so that work split in parts can be shared fairly among them (live/watcher.py).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from marketu_app.db.models import Lease
from marketu_app.domain.timeutil import utcnow

FORGET_MEMBERS_AFTER = timedelta(minutes=10)  # a member's row this long past its end is deleted


def hold(engine: Engine, name: str, owner: str, seconds: float, free_for: float = 0) -> bool:
    """Takes or renews the lease; True when `owner` holds it for the next `seconds`.

    Someone else's lease is taken only once it has lapsed for `free_for` seconds (or never existed).
    """
    now = utcnow()
    until = now + timedelta(seconds=seconds)
    with Session(engine) as session:
        taken = session.exec(
            update(Lease)
            .where(Lease.name == name,
                   or_(Lease.owner == owner, Lease.until < now - timedelta(seconds=free_for)))
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


def _member_name(group: str, owner: str) -> str:
    return f"{group}/{hashlib.sha1(owner.encode()).hexdigest()[:16]}"  # fits the 40 characters


def heartbeat(engine: Engine, group: str, owner: str, seconds: float) -> list[str]:
    """`owner` is alive in `group` for the next `seconds`; returns the members alive now, sorted."""
    hold(engine, _member_name(group, owner), owner, seconds)
    now = utcnow()
    with Session(engine) as session:
        alive = session.exec(select(Lease.owner).where(Lease.name.like(f"{group}/%"), Lease.until >= now)).all()
        session.exec(delete(Lease).where(Lease.name.like(f"{group}/%"), Lease.until < now - FORGET_MEMBERS_AFTER))
        session.commit()
    return sorted(set(alive))


def leave(engine: Engine, group: str, owner: str) -> None:
    """`owner` leaves `group` at once (the others see it at their next heartbeat)."""
    release(engine, _member_name(group, owner), owner)
