"""Password hashing with argon2 (pwdlib's recommended settings), in low-priority threads of its own.

One argon2 check (64 MiB, 3 passes, 4 lanes) is about 0.3 s of CPU spread over every core: four sign-ins a
second would take more than a core. The hashing releases the GIL, but its threads still compete with the
worker's event loop for the cores. So it runs here, at most two at a time, in threads with a higher nice
value (argon2's own lane threads inherit it): under load a sign-in waits a little longer, the event loop
and the page loads do not. Callers keep calling these functions as before (they block without the GIL).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator

from pwdlib import PasswordHash

NICE = 10  # added to the hashing threads' nice value: the scheduler favours every other thread of the worker
HASHING_THREADS = 2  # argon2 checks at a time per process


def _lower_priority() -> None:
    """Runs in each hashing thread: on Linux the nice value belongs to the thread, and new threads inherit it."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), os.getpriority(os.PRIO_PROCESS, 0) + NICE)
    except (AttributeError, OSError):  # not Linux: same priority, still bounded
        pass


_pools: dict[int, ThreadPoolExecutor] = {}  # by process: a forked worker (Granian) has none of its parent's threads
_pools_lock = threading.Lock()


def _hashing_pool() -> ThreadPoolExecutor:
    pid = os.getpid()
    pool = _pools.get(pid)
    if pool is None:
        with _pools_lock:
            pool = _pools.get(pid)
            if pool is None:
                pool = _pools[pid] = ThreadPoolExecutor(
                    max_workers=HASHING_THREADS, thread_name_prefix="marketu-argon2", initializer=_lower_priority)
    return pool


# Turns to hash: a request that hashes inside a database transaction takes its turn BEFORE opening it. Waiting
# for the hashing threads inside the transaction held a pooled connection (and the sign-in's row locks) for as
# long as the queue was: under a burst of sign-ins they held the whole pool, and page loads, the session checks
# of new tabs and the live watcher waited seconds for a connection.
_turns = threading.BoundedSemaphore(HASHING_THREADS)


@contextmanager
def hashing_turn() -> Iterator[None]:
    """Wait here (holding nothing) until a hashing thread is free for this request's argon2 work."""
    with _turns:
        yield


def _in_hashing_thread(fn, *args):
    if threading.current_thread().name.startswith("marketu-argon2"):
        return fn(*args)
    return _hashing_pool().submit(fn, *args).result()


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


def hash_password(password: str) -> str:
    return _in_hashing_thread(lambda: _hasher().hash(password))


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return _in_hashing_thread(lambda: _hasher().verify(password, password_hash))
    except Exception:  # a malformed stored hash must read as "wrong", never crash sign-in
        return False


# Verified when an account does not exist, so that both answers take as long.
_DUMMY_HASH: str | None = None


def burn_verify(password: str) -> None:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password("not-a-real-password-0")
    verify_password(password, _DUMMY_HASH)
