"""A fresh, migrated schema in the real PostgreSQL, for tests and benchmarks."""

from __future__ import annotations

import contextlib
import os
import uuid
from typing import Iterator

from sqlalchemy import text
from sqlalchemy.engine import Engine

from marketu_app.db.engine import make_engine, migrate

POSTGRES_URL = os.environ.get("MARKETU_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextlib.contextmanager
def fresh_pg_schema(prefix: str = "t") -> Iterator[Engine]:
    """An engine whose search_path is a new schema at the migrations' head; dropped afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    engine = make_engine(f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}")
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
