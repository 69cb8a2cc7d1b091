"""The one use of a private part of Reflex (0.10.1): whether a tab still has a socket on any worker.

Reflex has no public call for it; `App.modify_state` (public) is all the rest of live/ uses.
tests/integration/test_reflex_adapter.py fails if Reflex changes what this relies on.
"""

from __future__ import annotations


async def tab_connected(app, client_token: str) -> bool:
    """True while the tab's socket is connected to some worker (through Redis with several)."""
    namespace = app.event_namespace
    if namespace is None:  # no socket server in this process: leave it to modify_state
        return True
    return await namespace._token_manager.is_token_connected(client_token)
