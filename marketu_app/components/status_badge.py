"""A colour-coded status badge that links to the statuses page."""

from __future__ import annotations

import reflex as rx

from marketu_app import routes
from marketu_app.components.ui import badge, link


def status_badge(label, color, size: str = "2") -> rx.Component:
    # The badge stays small; the link around it is a full touch target (styles.css).
    return link(badge(label, color, size), href=routes.STATUSES, class_name="badge-link")
