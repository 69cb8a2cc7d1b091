"""What one push computes once for all the tabs it updates: who is signed in, and the pages they show."""

from __future__ import annotations

import threading
from typing import Callable, Hashable, Sequence, TypeVar

T = TypeVar("T")


class PushBatch:
    def __init__(self, session_owners: dict[str, int], changes: Sequence = ()):
        self._owners = session_owners  # token hash -> customer id, live sessions only
        self.changes = tuple(changes)  # everything this push delivers, to every customer
        self._pages: dict[Hashable, object] = {}
        self._lock = threading.Lock()  # tabs are updated in worker threads

    def customer_of(self, session_hash: str) -> int | None:
        """The customer of the session with this token hash, or None when it ended or expired."""
        return self._owners.get(session_hash) if session_hash else None

    def page(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()` once per key for the whole batch, even when tabs ask at the same moment."""
        if key not in self._pages:
            with self._lock:
                if key not in self._pages:
                    self._pages[key] = compute()
        return self._pages[key]  # type: ignore[return-value]
