"""The one private use of Reflex in live/ (marketu_app/live/reflex_adapter.py) against the installed Reflex:
which tabs are connected, on this worker alone and, through the real Redis, on any worker."""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace

import pytest
from reflex.app import EventNamespace
from reflex.utils.token_manager import RedisTokenManager

from marketu_app.live.reflex_adapter import connected_by_hash, connected_tokens
from marketu_app.live.tabs import tab_hash


def test_the_connected_tabs_are_exactly_those_reflex_links_a_socket_to():
    async def run():
        app = SimpleNamespace(event_namespace=None, _state=None)
        assert await connected_tokens(app) is None  # no socket server: nothing to say from here
        app.event_namespace = EventNamespace("/_event", app)
        assert await connected_tokens(app) == []
        await app.event_namespace.link_token_to_sid("sid-1", "tab-1", update_state=False)
        await app.event_namespace.link_token_to_sid("sid-2", "tab-2", update_state=False)
        assert sorted(await connected_tokens(app)) == ["tab-1", "tab-2"]
        assert await connected_by_hash(app, [tab_hash("tab-1"), tab_hash("tab-9")]) == {tab_hash("tab-1"): "tab-1"}
        await app.event_namespace._token_manager.disconnect_token("tab-1", "sid-1")
        assert await connected_tokens(app) == ["tab-2"]
        assert await connected_by_hash(app, [tab_hash("tab-1"), tab_hash("tab-2")]) == {tab_hash("tab-2"): "tab-2"}

    asyncio.run(run())


@pytest.mark.services
def test_with_redis_the_leader_knows_the_tabs_connected_to_other_workers(redis_url):
    import redis.asyncio as aioredis

    async def run():
        holder = RedisTokenManager(aioredis.Redis.from_url(redis_url))  # the worker holding the socket
        leader = RedisTokenManager(aioredis.Redis.from_url(redis_url))  # the worker that pushes
        app = SimpleNamespace(event_namespace=SimpleNamespace(_token_manager=leader))
        mine, other = f"sec-tab-{uuid.uuid4()}", f"sec-tab-{uuid.uuid4()}"
        try:
            await holder.link_token_to_sid(mine, "sid-1")
            tokens = await connected_tokens(app)
            assert mine in tokens and other not in tokens
            await holder.disconnect_token(mine, "sid-1")
            assert mine not in await connected_tokens(app)
        finally:
            await holder.disconnect_token(mine, "sid-1")
            await holder.close()
            await leader.close()

    asyncio.run(run())


@pytest.mark.services
def test_a_push_whose_tabs_are_known_checks_their_records_instead_of_scanning_every_key(redis_url):
    """The leader remembers the tokens it found by hash: a push to tabs it knows asks Redis about those
    records only; a tab it has not seen yet (or one gone since) is still answered right."""
    import redis.asyncio as aioredis

    async def run():
        holder = RedisTokenManager(aioredis.Redis.from_url(redis_url))
        leader = RedisTokenManager(aioredis.Redis.from_url(redis_url))
        app = SimpleNamespace(event_namespace=SimpleNamespace(_token_manager=leader))
        scans = []
        scan_iter = leader.redis.scan_iter
        leader.redis.scan_iter = lambda *a, **k: (scans.append(1), scan_iter(*a, **k))[1]
        one, two, never = (f"sec-tab-{uuid.uuid4()}" for _ in range(3))
        try:
            await holder.link_token_to_sid(one, "sid-1")
            assert await connected_by_hash(app, [tab_hash(one), tab_hash(never)]) == {tab_hash(one): one}
            assert len(scans) == 1  # one not seen before: every record
            assert await connected_by_hash(app, [tab_hash(one)]) == {tab_hash(one): one}
            assert len(scans) == 1  # known: its record only
            await holder.link_token_to_sid(two, "sid-2")  # a new tab
            assert await connected_by_hash(app, [tab_hash(one), tab_hash(two)]) == {
                tab_hash(one): one, tab_hash(two): two}
            assert len(scans) == 2
            await holder.disconnect_token(one, "sid-1")
            assert await connected_by_hash(app, [tab_hash(one), tab_hash(two)]) == {tab_hash(two): two}
            assert len(scans) == 2  # both known: the gone one found gone without a scan
            assert await connected_by_hash(app, [tab_hash(one)]) == {}
        finally:
            await holder.disconnect_token(one, "sid-1")
            await holder.disconnect_token(two, "sid-2")
            await holder.close()
            await leader.close()

    asyncio.run(run())
