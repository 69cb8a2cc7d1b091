"""What a pushed change shows: a short toast, and a notice when the session has ended."""

from __future__ import annotations

import reflex as rx

from marketu_app import routes


def live_toast(state) -> rx.Component:
    # Keyed by a counter so that each new message replays the CSS fade (no client timer needed).
    return rx.cond(
        state.live_toast != "",
        rx.box(
            rx.callout(state.live_toast, icon="bell", color_scheme="grass", size="1", role="status",
                       class_name="live-toast"),
            key=state.live_toast_seq,
            class_name="live-toast-wrap",
        ),
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
