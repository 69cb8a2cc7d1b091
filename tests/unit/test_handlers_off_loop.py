"""Reflex runs a plain (non-async) event handler on the worker's event loop: none of ours may reach the
database, argon2 or the estimator from one. An async handler must hand that work to a thread.

Read from the sources (ast): a handler counts as touching the database when it, or a method of the
states it calls through `self.`, names one of BLOCKING.
"""

from __future__ import annotations

import ast
from pathlib import Path

STATES = Path(__file__).resolve().parents[2] / "marketu_app" / "state"
BLOCKING = {"session_scope", "resolve_session", "resolve_session_hash", "sign_in", "verify_password", "hash_password",
            "change_password", "queries", "tracking", "estimate", "end_session", "remember_tab"}
# The sign-in and password pages' on_load reads the session once (issue 12 moved their writes and argon2
# to HTTP endpoints). Listed so that anything else is caught.
ALLOWED = {("login.py", "on_load"), ("password.py", "on_load")}


def _is_event(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[bool, bool]:
    """(is an rx.event, is a background one)."""
    for d in node.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        if isinstance(target, ast.Attribute) and target.attr == "event":
            background = isinstance(d, ast.Call) and any(
                k.arg == "background" and isinstance(k.value, ast.Constant) and k.value.value for k in d.keywords)
            return True, background
    return False, False


def _methods() -> dict[str, list[tuple[str, ast.AST]]]:
    found: dict[str, list[tuple[str, ast.AST]]] = {}
    for path in sorted(STATES.glob("*.py")):
        for cls in ast.walk(ast.parse(path.read_text())):
            if isinstance(cls, ast.ClassDef):
                for fn in cls.body:
                    if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                        found.setdefault(fn.name, []).append((path.name, fn))
    return found


def _names(fn: ast.AST) -> tuple[set[str], set[str]]:
    """(every bare or attribute name used, the self.<method> names called)."""
    names, calls = set(), set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
            if isinstance(node.value, ast.Name) and node.value.id == "self":
                calls.add(node.attr)
    return names, calls


def _touches(fn: ast.AST, methods, seen: set[str]) -> set[str]:
    names, calls = _names(fn)
    hit = names & BLOCKING
    for name in calls - seen:
        seen.add(name)
        for _, other in methods.get(name, []):
            if isinstance(other, ast.FunctionDef):  # an async helper runs its blocking part in a thread
                hit |= _touches(other, methods, seen)
    return hit


def _offenders() -> list[str]:
    methods = _methods()
    bad = []
    for name, defs in methods.items():
        for file, fn in defs:
            event, _ = _is_event(fn)
            if not event or (file, name) in ALLOWED:
                continue
            if isinstance(fn, ast.FunctionDef):
                hit = _touches(fn, methods, {name})
                if hit:
                    bad.append(f"{file}:{name} (plain handler) reaches {sorted(hit)}")
    return bad


def test_no_plain_handler_reaches_the_database():
    assert _offenders() == []


def test_the_check_sees_a_plain_handler_that_queries():
    """The check itself: a plain handler calling a method that opens a session is reported."""
    source = '''
class S(rx.State):
    def _load(self):
        with session_scope() as db:
            return db
    @rx.event
    def on_load(self):
        return self._load()
'''
    tree = ast.parse(source)
    cls = tree.body[0]
    methods = {fn.name: [("x.py", fn)] for fn in cls.body}
    assert _touches(methods["on_load"][0][1], methods, {"on_load"}) == {"session_scope"}
