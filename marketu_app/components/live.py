"""What a pushed change shows: a short toast, and a notice when the session has ended."""

from __future__ import annotations

import reflex as rx

from marketu_app import routes
from marketu_app.components.ui import icon


def live_toast(state) -> rx.Component:
    """An opaque toast in a status region that is always there (screen readers announce what appears in it)."""
    return rx.el.div(
        rx.cond(
            state.live_toast != "",
            # Keyed by a counter so that each new message replays the CSS fade (no client timer needed).
            rx.el.div(icon("bell", 16), rx.el.span(state.live_toast), key=state.live_toast_seq,
                      class_name="live-toast"),
        ),
        role="status",
        aria_live="polite",
        class_name="live-toast-region",
    )


def session_ended_notice(state) -> rx.Component:
    return rx.cond(
        state.session_ended,
        rx.callout(
            rx.hstack(rx.text(state.t["session_ended"]), rx.link(state.t["sign_in"], href=routes.LOGIN),
                      spacing="2", wrap="wrap"),
            icon="log-out", color_scheme="amber", role="alert", width="100%", class_name="session-ended",
        ),
    )
