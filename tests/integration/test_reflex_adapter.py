"""The one private use of Reflex in live/ (marketu_app/live/reflex_adapter.py) against the installed Reflex."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from reflex.app import EventNamespace

from marketu_app.live.reflex_adapter import tab_connected


def test_a_tab_counts_as_connected_exactly_while_reflex_links_its_socket():
    async def run():
        app = SimpleNamespace(event_namespace=None, _state=None)
        assert await tab_connected(app, "tab-1")  # no socket server: modify_state decides
        app.event_namespace = EventNamespace("/_event", app)
        assert not await tab_connected(app, "tab-1")
        await app.event_namespace.link_token_to_sid("sid-1", "tab-1", update_state=False)
        assert await tab_connected(app, "tab-1")
        assert not await tab_connected(app, "tab-2")

    asyncio.run(run())
