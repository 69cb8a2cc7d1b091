"""A parcel as a card: wide with more detail on desktop, compact on a phone.

Plain elements styled by classes in assets/styles.css: a page renders many cards, and style
props would each go through CSS-in-JS at render time (the main cost on a slow phone).
"""

from __future__ import annotations

import reflex as rx

from marketu_app.components.status_badge import status_badge
from marketu_app.components.ui import LINK, link


def eta_line(text, kind) -> rx.Component:
    return rx.el.p(
        rx.icon("calendar-clock", size=16, aria_hidden="true"),
        rx.el.span(text),
        class_name="eta eta-" + kind,
    )


def door_line(text, kind) -> rx.Component:
    """Delivery to the recipient (marketu_app.i18n.door); nothing once delivered."""
    return rx.cond(
        text != "",
        rx.el.p(rx.icon("house", size=16, aria_hidden="true"), rx.el.span(text), class_name="door door-" + kind),
    )


def method_icon(code) -> rx.Component:
    return rx.match(
        code,
        ("pickup", rx.icon("store", size=16, aria_hidden="true")),
        ("almaty", rx.icon("bike", size=16, aria_hidden="true")),
        rx.icon("truck", size=16, aria_hidden="true"),
    )


def parcel_card(card, details_label, open_label) -> rx.Component:
    return rx.el.article(
        rx.el.div(
            link(rx.el.h2(card.number), href=card.url, aria_label=open_label + " " + card.number,
                 class_name=LINK + " parcel-number"),
            rx.cond(card.stage_label != "", status_badge(card.stage_label, card.stage_color)),
            class_name="pc-head",
        ),
        rx.el.p(
            rx.el.span(method_icon(card.method_code), card.method, class_name="pc-method"),
            # No-break spaces: a "·" or a number never ends a line apart from what follows.
            rx.cond(card.city != "", rx.el.span("· " + card.city)),
            rx.el.span("·\u00a0" + card.orders_count),
            class_name="pc-meta",
        ),
        rx.el.progress(value=card.progress_pct, max=100, aria_label=card.progress, class_name="pc-progress"),
        rx.el.p(card.progress, class_name="progress-text"),
        eta_line(card.eta, card.eta_kind),
        door_line(card.door, card.door_kind),
        rx.cond(
            card.tracking != "",
            rx.el.p(rx.icon("map-pin", size=16, aria_hidden="true"), rx.el.span(card.tracking),
                    class_name="tracking"),
        ),
        rx.el.div(
            rx.el.span(card.updated, class_name="pc-updated"),
            link(details_label, rx.el.span(" " + card.number, class_name="sr-only"),
                 rx.icon("chevron-right", size=16, aria_hidden="true"),
                 href=card.url, class_name="details"),
            class_name="pc-foot",
        ),
        class_name="parcel-card",
    )
