"""The one use of a private part of Reflex (0.10.1): which tabs have a socket on any worker.

Reflex has no public call for it; `App.modify_state` (public) is all the rest of live/ uses.
tests/integration/test_reflex_adapter.py fails if Reflex changes what this relies on.

With Redis, Reflex's token manager keeps one record per connected tab in Redis
(`token_manager_socket_record_<token>`, removed at disconnect), whichever worker holds the socket, so
the worker leading a push knows every connected tab; without Redis there is one worker, and its own
map of tokens to sockets is the whole truth.
"""

from __future__ import annotations

SCAN_COUNT = 1000  # keys Redis looks at per SCAN step: a few round trips for thousands of tabs


async def connected_tokens(app) -> list[str] | None:
    """The client tokens of every tab connected to some worker; None when this process has no
    socket server (nothing can be said about tabs from here)."""
    namespace = app.event_namespace
    if namespace is None:
        return None
    manager = namespace._token_manager
    redis = getattr(manager, "redis", None)
    if redis is None:  # LocalTokenManager: one worker, its own sockets
        return list(manager.token_to_socket)
    prefix = manager._token_socket_record_prefix
    keys = [key async for key in redis.scan_iter(match=f"{prefix}*", count=SCAN_COUNT)]
    return [(key.decode() if isinstance(key, bytes) else key)[len(prefix):] for key in keys]
