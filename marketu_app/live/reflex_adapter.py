"""The one use of a private part of Reflex (0.10.1): which tabs have a socket on any worker.

Reflex has no public call for it; `App.modify_state` (public) is all the rest of live/ uses.
tests/integration/test_reflex_adapter.py fails if Reflex changes what this relies on.

With Redis, Reflex's token manager keeps one record per connected tab in Redis
(`token_manager_socket_record_<token>`, removed at disconnect), whichever worker holds the socket, so
the worker leading a push knows every connected tab; without Redis there is one worker, and its own
map of tokens to sockets is the whole truth.

The database knows a tab only by the hash of its client token (live/tabs.py). A push asks about the
hashes of its tabs (`connected_by_hash`): the tokens seen connected are remembered here, in the
process, by hash, and a push whose tabs are all known checks just their records (one round trip);
only a tab never seen yet (a new tab) makes it SCAN the keyspace for every record again.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable

from marketu_app.live.tabs import by_hash

SCAN_COUNT = 1000  # keys Redis looks at per SCAN step: a few round trips for thousands of tabs
KNOWN_LIMIT = 100_000  # tokens remembered per token manager; past it, the next SCAN starts afresh

# token manager -> {tab hash: client token} of the tabs seen connected at its last SCAN (or since)
_known: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _token_manager(app):
    """Reflex's token manager of this process (the one private use), or None without a socket server."""
    namespace = app.event_namespace
    return None if namespace is None else namespace._token_manager


async def connected_tokens(app) -> list[str] | None:
    """The client tokens of every tab connected to some worker; None when this process has no
    socket server (nothing can be said about tabs from here)."""
    manager = _token_manager(app)
    if manager is None:
        return None
    if getattr(manager, "redis", None) is None:  # LocalTokenManager: one worker, its own sockets
        return list(manager.token_to_socket)
    prefix = manager._token_socket_record_prefix
    keys = [key async for key in manager.redis.scan_iter(match=f"{prefix}*", count=SCAN_COUNT)]
    return [(key.decode() if isinstance(key, bytes) else key)[len(prefix):] for key in keys]


async def connected_by_hash(app, tab_hashes: Iterable[str]) -> dict[str, str] | None:
    """Of the tabs with these token hashes, those connected to some worker now: hash -> client token.
    None when this process has no socket server."""
    manager = _token_manager(app)
    if manager is None:
        return None
    wanted = set(tab_hashes)
    redis = getattr(manager, "redis", None)
    known: dict[str, str] = _known.get(manager, {}) if redis is not None else {}
    if redis is None or not wanted <= known.keys():  # one worker's own sockets, or a tab not seen yet: all
        known = by_hash(await connected_tokens(app))
        if redis is not None:
            _known[manager] = known if len(known) <= KNOWN_LIMIT else {}
        return {h: known[h] for h in wanted if h in known}
    hashes = sorted(wanted)
    prefix = manager._token_socket_record_prefix
    pipe = redis.pipeline(transaction=False)
    for h in hashes:
        pipe.exists(f"{prefix}{known[h]}")
    alive = await pipe.execute()
    connected = {}
    for h, there in zip(hashes, alive, strict=True):
        if there:
            connected[h] = known[h]
        else:  # disconnected since: forgotten here (the push forgets its row)
            known.pop(h, None)
    return connected
