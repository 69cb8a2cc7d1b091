"""A colour-coded status badge that links to the statuses page."""

from __future__ import annotations

import reflex as rx

from marketu_app import routes


def status_badge(label, color, size: str = "2") -> rx.Component:
    return rx.link(
        rx.badge(label, color_scheme=color, size=size, variant="soft", radius="full"),
        href=routes.STATUSES,
        # The badge stays small; the link around it is a full touch target (styles.css).
        class_name="badge-link",
    )
