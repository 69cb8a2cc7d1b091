"""argon2 runs in low-priority threads of its own (marketu_app/auth/passwords.py): under load the event loop
and the page loads get the cores first, and at most two hashes run at once."""

from __future__ import annotations

import os
import threading
import time

import pytest

from marketu_app.auth import passwords

pytestmark = pytest.mark.skipif(not hasattr(os, "setpriority"), reason="thread priorities are a Linux feature")


def test_hashing_runs_in_a_lower_priority_thread_and_still_verifies(monkeypatch):
    hasher = passwords._hasher()
    seen = []
    real_verify = hasher.verify

    def verify(password, password_hash):
        seen.append((threading.get_native_id(), os.getpriority(os.PRIO_PROCESS, 0)))
        return real_verify(password, password_hash)

    monkeypatch.setattr(hasher, "verify", verify)
    stored = passwords.hash_password("long password 1")
    assert passwords.verify_password("long password 1", stored)
    assert not passwords.verify_password("long password 2", stored)
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    assert len(seen) == 2
    for tid, nice in seen:
        assert tid != threading.get_native_id()
        assert nice >= mine + passwords.NICE or nice == 19


def test_at_most_two_hashes_at_once(monkeypatch):
    hasher = passwords._hasher()
    running, most, lock = [0], [0], threading.Lock()

    def slow_hash(password):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return "$argon2id$fake"

    monkeypatch.setattr(hasher, "hash", slow_hash)
    threads = [threading.Thread(target=passwords.hash_password, args=(f"password {i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == 2


def _hash_in_child(out) -> None:
    out.put(passwords.verify_password("long password 1", passwords.hash_password("long password 1")))


def test_a_forked_worker_hashes_too():
    """Granian forks its workers after the app hashed passwords (the demo data): the child has none of the
    parent's hashing threads and must start its own (it waited forever)."""
    import multiprocessing

    assert passwords.hash_password("warm up the parent's threads")
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    child = ctx.Process(target=_hash_in_child, args=(out,))
    child.start()
    try:
        assert out.get(timeout=60) is True
    finally:
        child.join(5)
        if child.is_alive():
            child.kill()
