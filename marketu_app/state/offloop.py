"""How a page's state loads data without blocking the worker's event loop.

Reflex runs a plain event handler on the event loop, and a foreground one holds the tab's state lock
until it returns. A page load here is a background event: the lock is taken only to read what the
load needs and again to apply its result; the database and the view building run in a thread.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, Callable

log = logging.getLogger("marketu")

# Page work is Python (SQLAlchemy, view building) more than waiting: every busy thread competes with the
# event loop for the GIL. Two threads keep the database's waits overlapped without crowding the loop out;
# more loads queue here, not on the loop.
_PAGE_WORK = ThreadPoolExecutor(max_workers=2, thread_name_prefix="marketu-page")

# When the event loop wants the GIL back (after each socket read or write), a thread running Python keeps it
# for up to this long: CPython's default is 5 ms, paid again at every wait of a small event. 1 ms keeps
# the loop's waits short; the threads' own work barely slows down.
SWITCH_INTERVAL = 0.001
sys.setswitchinterval(SWITCH_INTERVAL)

SIGNED_OUT = object()  # what `work` returns when nobody is signed in with the token it was given
FAILED = object()


async def run_blocking(work: Callable[..., Any], *args) -> Any:
    """`work(*args)` in the page-work threads, off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(_PAGE_WORK, partial(work, *args))


async def load_off_loop(state, read: Callable[[], tuple], work: Callable[..., Any],
                        apply: Callable[[Any], Any], what: str):
    """Under the lock, `read()` the inputs; in a thread, `work(*inputs)`; under the lock, `apply` its result,
    unless a newer load of the same state started meanwhile (another filter, another search: dropped).

    SIGNED_OUT sends the tab to sign-in; an exception in `work` shows the page's "failed to load" state.
    The state needs `_load_seq`, `loading` and `load_failed`; returns the events to send back, if any.
    """
    async with state:
        state._load_seq += 1
        seq = state._load_seq
        inputs = read()
    try:
        result = await run_blocking(work, *inputs)
    except Exception:
        log.exception("%s failed to load", what)
        result = FAILED
    async with state:
        if seq != state._load_seq:
            return None
        if result is SIGNED_OUT:
            return state._to_sign_in()
        if result is FAILED:
            state.load_failed, state.loading = True, False
            return None
        return apply(result)
