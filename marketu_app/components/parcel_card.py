"""A parcel as a card: wide with more detail on desktop, compact on a phone."""

from __future__ import annotations

import reflex as rx

from marketu_app.components.status_badge import status_badge

ETA_COLORS = {"late": "amber", "arrived": "grass", "expected": "gray", "none": "gray"}
METHOD_ICONS = {"pickup": "store", "almaty": "bike", "kazakhstan": "truck"}


def eta_line(text, kind) -> rx.Component:
    return rx.hstack(
        rx.icon("calendar-clock", size=16, aria_hidden="true"),
        rx.text(text, size="2", weight="medium"),
        color=rx.match(kind, ("late", rx.color("amber", 11)), ("arrived", rx.color("grass", 11)),
                       rx.color("gray", 12)),
        align="center",
        spacing="2",
        class_name="eta",
    )


def method_icon(code) -> rx.Component:
    return rx.match(
        code,
        ("pickup", rx.icon("store", size=16, aria_hidden="true")),
        ("almaty", rx.icon("bike", size=16, aria_hidden="true")),
        rx.icon("truck", size=16, aria_hidden="true"),
    )


def parcel_card(card, details_label, open_label) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.link(
                    rx.heading(card.number, as_="h2", size="4"),
                    href=card.url,
                    aria_label=open_label + " " + card.number,
                    class_name="parcel-number",
                    min_height="44px",
                    display="flex",
                    align_items="center",
                ),
                rx.spacer(),
                rx.cond(card.stage_label != "", status_badge(card.stage_label, card.stage_color)),
                width="100%",
                align="center",
                wrap="wrap",
            ),
            rx.hstack(
                method_icon(card.method_code),
                rx.text(card.method, size="2"),
                rx.cond(card.city != "", rx.text("· " + card.city, size="2")),
                rx.text("· " + card.orders_count, size="2"),
                color=rx.color("gray", 11),
                align="center",
                spacing="1",
                wrap="wrap",
            ),
            rx.progress(value=card.progress_pct, size="2", width="100%", aria_label=card.progress),
            rx.text(card.progress, size="2", class_name="progress-text"),
            eta_line(card.eta, card.eta_kind),
            rx.cond(
                card.tracking != "",
                rx.hstack(
                    rx.icon("map-pin", size=16, aria_hidden="true", flex_shrink="0"),
                    rx.text(card.tracking, size="2", class_name="tracking"),
                    color=rx.color("gray", 11),
                    align="start",
                    spacing="2",
                ),
            ),
            rx.hstack(
                rx.text(card.updated, size="1", color=rx.color("gray", 11)),
                rx.spacer(),
                rx.link(
                    rx.button(details_label, rx.el.span(" " + card.number, class_name="sr-only"),
                              rx.icon("chevron-right", size=16, aria_hidden="true"),
                              variant="soft", size="3", min_height="44px", tab_index=-1),
                    href=card.url,
                    class_name="details",
                    underline="none",
                ),
                width="100%",
                align="center",
                wrap="wrap",
            ),
            spacing="2",
            width="100%",
        ),
        size=rx.breakpoints(initial="1", md="2"),
        width="100%",
        class_name="parcel-card",
    )


def card_skeleton() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.skeleton(rx.box(height="1.5em", width="40%")),
            rx.skeleton(rx.box(height="1em", width="70%")),
            rx.skeleton(rx.box(height="0.5em", width="100%")),
            rx.skeleton(rx.box(height="1em", width="60%")),
            spacing="3",
            width="100%",
        ),
        width="100%",
        aria_hidden="true",
    )
