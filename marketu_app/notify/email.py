"""Email over SMTP (aiosmtplib) to MARKETU_SMTP_URL: text + HTML, RFC 8058 one-click unsubscribe."""

from __future__ import annotations

from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib


class MailTransient(Exception):
    """Try again later (connection refused, 4xx)."""


class MailPermanent(Exception):
    """The address will not take mail (5xx): shown on the settings page, not retried."""


def build_message(sender: str, to: str, subject: str, text_body: str, html_body: str,
                  unsubscribe_url: str, message_key: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    domain = sender.rsplit("@", 1)[-1].strip(" >") or "marketu.kz"
    # The same message id on a retry: a receiving server or client can tell a repeat.
    msg["Message-ID"] = f"<notify-{message_key}@{domain}>"
    msg["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(text_body)
    msg.add_alternative(html_body, subtype="html")
    return msg


def smtp_options(url: str) -> dict:
    """`smtp://user:pass@host:port` (STARTTLS when offered) or `smtps://...` (TLS from the start)."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError("MARKETU_SMTP_URL must be smtp:// or smtps://")
    tls = parts.scheme == "smtps"
    options = {"hostname": parts.hostname or "localhost", "port": parts.port or (465 if tls else 25),
               "use_tls": tls, "start_tls": None if not tls else False, "timeout": 20}
    if parts.username:
        options["username"] = unquote(parts.username)
        options["password"] = unquote(parts.password or "")
    return options


async def send(url: str, message: EmailMessage) -> None:
    try:
        await aiosmtplib.send(message, **smtp_options(url))
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [r.code for r in exc.recipients]
        if codes and all(c >= 500 for c in codes):
            raise MailPermanent(f"{codes[0]} {exc.recipients[0].message}"[:300]) from None
        raise MailTransient(str(exc)[:300]) from None
    except aiosmtplib.SMTPAuthenticationError as exc:  # our settings, not the address: wait for a fix
        raise MailTransient(f"{exc.code} authentication failed") from None
    except aiosmtplib.SMTPResponseException as exc:
        if exc.code >= 500:
            raise MailPermanent(f"{exc.code} {exc.message}"[:300]) from None
        raise MailTransient(f"{exc.code} {exc.message}"[:300]) from None
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise MailTransient(f"{type(exc).__name__}: {exc}"[:300]) from None
