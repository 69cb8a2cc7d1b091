"""Secrets out of the logs, and a cap on what a client can make the server log.

Every log record of the process passes `redact` (a log record factory, so no logger or handler is
missed): cookies, authorization headers, session tokens, passwords and event payloads are replaced by
"[redacted]", and a line is cut at MAX_LINE characters. A filter on the handlers then lets at most
BURST lines of the same template through per WINDOW seconds (an unknown event name sent 2,000 times
makes a few lines, then one line saying how many were dropped).
"""

from __future__ import annotations

import logging
import re
import threading
import time

MAX_LINE = 2000
BURST = 20
WINDOW = 60.0
REDACTED = "[redacted]"

# 'cookie': '…' / "authorization": "…" in reprs and JSON; Cookie: … in raw headers.
_QUOTED = re.compile(
    r"""(?P<key>['"](?:cookie|set-cookie|authorization|proxy-authorization|x-api-key|password|current_password|"""
    r"""new_password|repeat_password|token|session_token|payload|vars|auth)['"]\s*[:=]\s*)"""
    r"""(?P<value>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}|\[[^\[\]]*\]|[^,\s}\]]+)""",
    re.I)
_HEADER = re.compile(r"(?P<key>\b(?:cookie|set-cookie|authorization)\s*[:=]\s*)(?P<value>[^\n]+)", re.I)
_KEYED = re.compile(r"(?P<key>\b(?:payload|router_data|headers)\s*=\s*)(?P<value>\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\})",
                    re.I)
_SESSION = re.compile(r"(marketu_session=)[A-Za-z0-9_\-]+")
_BEARER = re.compile(r"(\bBearer\s+)[A-Za-z0-9._~+/=\-]+", re.I)


def redact_text(text: str) -> str:
    text = _QUOTED.sub(lambda m: m.group("key") + f"'{REDACTED}'", text)
    text = _KEYED.sub(lambda m: m.group("key") + REDACTED, text)
    text = _HEADER.sub(lambda m: m.group("key") + REDACTED, text)
    text = _SESSION.sub(r"\g<1>" + REDACTED, text)
    text = _BEARER.sub(r"\g<1>" + REDACTED, text)
    if len(text) > MAX_LINE:
        text = text[:MAX_LINE] + f"… [{len(text) - MAX_LINE} characters cut]"
    return text


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: keep what can be shown
        message = str(record.msg)
    record.msg, record.args = redact_text(message), ()
    if record.exc_info and record.exc_info[0] is not None:
        # The traceback's text, redacted; the exception object itself (with its message) is dropped.
        text = logging.Formatter().formatException(record.exc_info)
        record.exc_info, record.exc_text = None, redact_text(text) if len(text) <= 20 * MAX_LINE else \
            redact_text(text[-20 * MAX_LINE:])
    elif record.exc_text:
        record.exc_text = redact_text(record.exc_text)
    return record


class Throttle(logging.Filter):
    """At most BURST records per (logger, level, template) per WINDOW; then one line on what was dropped."""

    def __init__(self):
        super().__init__("marketu-throttle")
        self._lock = threading.Lock()
        self._seen: dict[tuple, list] = {}  # key -> [window start, count]

    def filter(self, record: logging.LogRecord) -> bool:
        template = getattr(record, "marketu_template", record.msg)
        key = (record.name, record.levelno, str(template)[:120])
        now = time.monotonic()
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen.clear()
            start, count = self._seen.get(key, (now, 0))
            if now - start > WINDOW:
                if count > BURST:
                    record.msg = f"{record.msg} (and {count - BURST} more like it in the last {WINDOW:.0f} s)"
                start, count = now, 0
            self._seen[key] = [start, count + 1]
        return count < BURST


_throttle = Throttle()
_installed = threading.Lock()
_old_factory = None


def install() -> None:
    """Redacts every record of this process from now on; throttles at every handler known now.
    Called at app start and again from a lifespan task (servers add their handlers late)."""
    global _old_factory
    with _installed:
        if _old_factory is None:
            _old_factory = logging.getLogRecordFactory()
            previous = _old_factory

            def factory(*args, **kwargs):
                record = previous(*args, **kwargs)
                record.marketu_template = record.msg  # before redaction: the throttle counts by template
                return redact_record(record)

            logging.setLogRecordFactory(factory)
    loggers = [logging.getLogger()] + [lg for lg in logging.Logger.manager.loggerDict.values()
                                       if isinstance(lg, logging.Logger)]
    for logger in loggers:
        for handler in logger.handlers:
            if _throttle not in handler.filters:
                handler.addFilter(_throttle)


async def keep_installed(app=None) -> None:
    """Lifespan task: the server's workers set their logging up after importing the app."""
    install()
