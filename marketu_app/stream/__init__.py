"""The change stream: every change a customer should hear of, recorded by one function and
delivered to each consumer (live pushes, notifications) exactly once, in commit order.

    from marketu_app.stream import Change, consume, follow, record_change
"""

from marketu_app.stream.changes import Change, NewChange, record_change, record_changes
from marketu_app.stream.cursor import (
    consume,
    consume_async,
    drop_cursor,
    ensure_cursor,
    follow,
    forget_delivered,
    position_of,
)

__all__ = ["Change", "NewChange", "record_change", "record_changes",
           "consume", "consume_async", "follow", "ensure_cursor", "position_of",
           "forget_delivered", "drop_cursor"]
