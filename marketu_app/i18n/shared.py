"""Constants that state vars hand out (a language's texts, the status table's rows), pickled by name.

Reflex keeps a computed var's value in the state, and with Redis pickles it with every save of the state
and unpickles it with every load, for every tab and every event or live push: a language's texts are
about 11 KB of the 18 KB a push loaded per tab. The same constant for every tab needs no copy there: one
of these pickles as a reference to its name (a few bytes) and unpickles as the very object of this
process. Nothing may change one after start-up (the states only read them).
"""

from __future__ import annotations

from typing import Any

_BY_NAME: dict[str, Any] = {}


def _named(name: str) -> Any:
    return _BY_NAME[name]


class SharedDict(dict):
    __slots__ = ("_name",)

    def __reduce__(self):
        return _named, (self._name,)


class SharedList(list):
    __slots__ = ("_name",)

    def __reduce__(self):
        return _named, (self._name,)


def shared(name: str, value: dict | list) -> SharedDict | SharedList:
    """`value` as the process-wide constant `name`: pickled as its name, unpickled as this object."""
    if name in _BY_NAME:
        raise ValueError(f"shared value {name!r} already defined")
    obj = SharedDict(value) if isinstance(value, dict) else SharedList(value)
    obj._name = name
    _BY_NAME[name] = obj
    return obj
