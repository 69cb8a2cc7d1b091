"""An order inside a parcel: picture, title, status badge and description, journey stepper, history."""

from __future__ import annotations

import reflex as rx

from marketu_app.components.parcel_card import eta_line
from marketu_app.components.status_badge import status_badge


def _step(step) -> rx.Component:
    return rx.box(
        title=step.label,
        aria_label=step.label,
        height="8px",
        flex="1",
        border_radius="4px",
        background=rx.match(step.state, ("done", rx.color("accent", 9)), ("current", rx.color("accent", 11)),
                            rx.color("gray", 5)),
        outline=rx.cond(step.state == "current", f"2px solid {rx.color('accent', 7)}", "none"),
        role="listitem",
    )


def stepper(order, label) -> rx.Component:
    return rx.hstack(
        rx.foreach(order.steps, _step),
        spacing="1",
        width="100%",
        role="list",
        aria_label=label,
        opacity=rx.cond(order.cancelled, "0.45", "1"),
    )


def _history_item(item) -> rx.Component:
    return rx.hstack(
        rx.text(item.when, size="1", color=rx.color("gray", 11), min_width="9em"),
        rx.vstack(
            rx.text(item.label, size="2", weight="medium"),
            rx.cond(item.note != "", rx.text(item.note, size="1", color=rx.color("gray", 11))),
            spacing="0",
        ),
        align="start",
        spacing="3",
        width="100%",
    )


def thumbnail(order, alt_prefix) -> rx.Component:
    return rx.cond(
        order.image_url != "",
        rx.image(src=order.image_url, alt=alt_prefix + ": " + order.title, loading="lazy", width="72px",
                 height="72px", object_fit="cover", border_radius="8px", flex_shrink="0"),
        rx.center(
            rx.icon("package", size=28, aria_hidden="true"),
            width="72px", height="72px", border_radius="8px", flex_shrink="0",
            background=rx.color("accent", 3), color=rx.color("accent", 11),
        ),
    )


# Longer than this, a title may need more than the three lines it is clamped to (styles.css .order-title).
LONG_TITLE = 80


def _title(order, t) -> rx.Component:
    """The product's title, wrapped inside the card and clamped; a long one gets a switch to show it all.

    The switch is a checkbox styled as a link (styles.css): the whole title is in the page for screen
    readers either way, and showing it needs no round trip.
    """
    return rx.el.div(
        rx.el.h3(order.title, class_name="rt-Heading rt-r-size-3 order-title"),
        rx.cond(
            order.title.length() > LONG_TITLE,
            rx.el.label(rx.el.input(type="checkbox", class_name="title-toggle-input"),
                        rx.el.span(t["show_full_title"]), class_name="title-toggle"),
        ),
        class_name="order-title-wrap",
    )


def order_card(order, t, is_open, on_toggle) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                thumbnail(order, t["image_of"]),
                rx.vstack(
                    _title(order, t),
                    rx.hstack(
                        rx.badge(order.marketplace, variant="outline", color_scheme="gray"),
                        rx.text(order.quantity, size="2"),
                        rx.cond(order.price != "", rx.text("· " + order.price, size="2")),
                        rx.text("· " + order.number, size="1", color=rx.color("gray", 11)),
                        align="center", spacing="2", wrap="wrap",
                    ),
                    spacing="1",
                    min_width="0",
                    flex="1",
                ),
                spacing="3",
                align="start",
                width="100%",
            ),
            rx.hstack(status_badge(order.status_label, order.status_color, size="3"),
                      rx.text(order.status_when, size="1", color=rx.color("gray", 11)),
                      align="center", wrap="wrap", class_name="order-status"),
            rx.text(order.status_description, size="2", color=rx.color("gray", 11)),
            stepper(order, t["status_stepper"]),
            rx.cond(order.eta_kind != "none", eta_line(order.eta, order.eta_kind)),
            rx.button(
                rx.cond(is_open, t["hide_history"], t["history"]),
                # Two static icons: a computed icon name would ship the whole icon library.
                rx.cond(is_open, rx.icon("chevron-up", size=16, aria_hidden="true"),
                        rx.icon("chevron-down", size=16, aria_hidden="true")),
                on_click=on_toggle,
                variant="ghost",
                size="2",
                min_height="44px",
                aria_expanded=rx.cond(is_open, "true", "false"),
            ),
            rx.cond(is_open, rx.vstack(rx.foreach(order.history, _history_item), spacing="2", width="100%")),
            spacing="2",
            width="100%",
        ),
        width="100%",
        class_name="order-card",
    )
