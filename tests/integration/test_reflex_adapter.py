"""The one private use of Reflex in live/ (marketu_app/live/reflex_adapter.py) against the installed Reflex:
which tabs are connected, on this worker alone and, through the real Redis, on any worker."""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace

import pytest
from reflex.app import EventNamespace
from reflex.utils.token_manager import RedisTokenManager

from marketu_app.live.reflex_adapter import connected_tokens


def test_the_connected_tabs_are_exactly_those_reflex_links_a_socket_to():
    async def run():
        app = SimpleNamespace(event_namespace=None, _state=None)
        assert await connected_tokens(app) is None  # no socket server: nothing to say from here
        app.event_namespace = EventNamespace("/_event", app)
        assert await connected_tokens(app) == []
        await app.event_namespace.link_token_to_sid("sid-1", "tab-1", update_state=False)
        await app.event_namespace.link_token_to_sid("sid-2", "tab-2", update_state=False)
        assert sorted(await connected_tokens(app)) == ["tab-1", "tab-2"]
        await app.event_namespace._token_manager.disconnect_token("tab-1", "sid-1")
        assert await connected_tokens(app) == ["tab-2"]

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
