"""Start-up work done once per process: migrations, then demo data in demo mode."""

from __future__ import annotations

import logging

from marketu_app.db.engine import get_engine, migrate, session_scope
from marketu_app.settings import get_settings

log = logging.getLogger("marketu")


def prepare_database() -> None:
    engine = get_engine()
    migrate(engine)
    if get_settings().demo:
        from marketu_app.demo.seed import load_demo
        from marketu_app.notify.demo import link_demo_chat

        with session_scope(engine) as session:
            load_demo(session)
        if get_settings().telegram_enabled:
            with session_scope(engine) as session:
                link_demo_chat(session)
    # Prod servers fork their workers after importing the app: no pooled connection may cross a fork.
    engine.dispose()
