"""A fresh database upgraded to head matches the SQLModel tables exactly."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import marketu_app.db.models  # noqa: F401
from marketu_app.db.engine import migrate


def test_fresh_database_at_head_matches_the_models(any_engine):
    with any_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_migrating_twice_is_harmless(any_engine):
    migrate(any_engine)
    tables = set(inspect(any_engine).get_table_names())
    assert {"customer", "parcel", "order_item", "order_status_event", "courier_event", "ems_event",
            "ems_track", "customer_session", "login_attempt", "change_log", "alembic_version"} <= tables
