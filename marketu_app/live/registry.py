"""What each page does with a pushed change: pages register here, the watcher only looks them up.

A tab is recorded with its page key ("parcels", "parcel:<number>"); the part before ":" names the
registered page. `apply(state, changes, batch)` runs in a worker thread on the tab's own state,
under Reflex's state lock, and must be quick (it may share work through `batch.page`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from marketu_app.live.batch import PushBatch
from marketu_app.stream import Change

Apply = Callable[[object, list[Change], PushBatch], None]


@dataclass(frozen=True)
class LivePage:
    state_cls: type
    apply: Apply


_pages: dict[str, LivePage] = {}


def register(kind: str, state_cls: type, apply: Apply) -> None:
    """`kind` is the page key's part before ":" as recorded by `remember_tab`."""
    _pages[kind] = LivePage(state_cls, apply)


def page_for(page_key: str) -> LivePage | None:
    return _pages.get(page_key.split(":", 1)[0])
