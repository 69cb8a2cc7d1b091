"""The parcel page: header, orders as cards, one merged timeline."""

from __future__ import annotations

import reflex as rx

from marketu_app import routes
from marketu_app.components.layout import shell
from marketu_app.components.live import live_toast, session_ended_notice
from marketu_app.components.order_card import order_card
from marketu_app.components.parcel_card import door_line, eta_line
from marketu_app.components.status_badge import status_badge
from marketu_app.components.timeline import timeline
from marketu_app.components.ui import LINK, heading, icon_button, link, route_param
from marketu_app.first_cards import PARCEL_SKELETON, first_cards_slot
from marketu_app.state.parcel import ParcelState


def _fact(label, value) -> rx.Component:
    return rx.cond(
        value != "",
        rx.el.div(rx.el.span(label, class_name="fact-label"), rx.el.span(value, class_name="fact-value"),
                  class_name="fact"),
    )


def _track(detail, t) -> rx.Component:
    return rx.cond(
        detail.track_number != "",
        rx.el.div(
            rx.el.span(t["track_number"], class_name="fact-label"),
            rx.el.div(
                rx.el.code(detail.track_number, class_name="rt-reset rt-Code rt-r-size-3 rt-variant-soft track-number"),
                icon_button(rx.icon("copy", size=16, aria_hidden="true"), label=t["copy"],
                            on_click=[rx.set_clipboard(detail.track_number), rx.toast(t["copied"])]),
                rx.el.a(rx.icon("external-link", size=16, aria_hidden="true"), t["on_kazpost"],
                        href=detail.kazpost_url, target="_blank", rel="noopener noreferrer",
                        class_name=LINK + " ext-link", custom_attrs={"data-accent-color": ""}),
                class_name="fact-track",
            ),
            class_name="fact",
        ),
    )


def _recipient(detail, t) -> rx.Component:
    """The recipient, the phone number a tap-to-call link."""
    return rx.cond(
        (detail.recipient != "") | (detail.recipient_phone != ""),
        rx.el.div(
            rx.el.span(t["recipient"], class_name="fact-label"),
            rx.el.span(
                detail.recipient,
                rx.cond(detail.recipient_phone_href != "",
                        rx.el.a(detail.recipient_phone, href=detail.recipient_phone_href, class_name="tel-link",
                                aria_label=t["call"] + " " + detail.recipient_phone),
                        rx.el.span(detail.recipient_phone)),
                class_name="fact-value recipient",
            ),
            class_name="fact",
        ),
    )


def _ems_summary(detail, t) -> rx.Component:
    """The latest EMS event near the top (phones: the timeline is far below the orders)."""
    return rx.cond(
        detail.ems_title != "",
        rx.el.section(
            rx.el.p(rx.icon("truck", size=16, aria_hidden="true"), rx.el.strong(t["ems"] + ": " + detail.ems_title),
                    class_name="ems-summary-title"),
            rx.el.p(rx.cond(detail.ems_place != "", detail.ems_place + " · ", ""), detail.ems_when,
                    class_name="ems-summary-meta"),
            rx.el.a(t["on_kazpost"], href=detail.kazpost_url, target="_blank", rel="noopener noreferrer",
                    class_name="ems-summary-link"),
            aria_label=t["ems_latest"],
            class_name="ems-summary",
        ),
    )


def _status_summary(detail, t) -> rx.Component:
    """Many orders: how many are at each status, at the top."""
    return rx.cond(
        detail.grouped,
        rx.el.ul(
            rx.foreach(detail.status_summary, lambda c: rx.el.li(
                status_badge(c.text, c.color))),
            aria_label=t["orders_by_status"],
            class_name="status-summary",
        ),
    )


def _header(detail, t) -> rx.Component:
    """Plain elements: the server draws the same card into the first HTML (marketu_app/first_cards.py)."""
    card = detail.card
    return rx.el.section(
        rx.el.div(
            heading(t["parcel"] + " " + card.number, 1, "6"),
            rx.cond(card.stage_label != "", status_badge(card.stage_label, card.stage_color, size="3")),
            class_name="ph-head",
        ),
        rx.el.p(card.method + rx.cond(card.city != "", " · " + card.city, "") + " ·\u00a0" + card.orders_count,
                class_name="ph-meta"),
        rx.el.progress(value=card.progress_pct, max=100, aria_label=card.progress, class_name="pc-progress"),
        rx.el.p(card.progress, class_name="ph-progress"),
        eta_line(card.eta, card.eta_kind),
        door_line(card.door, card.door_kind),
        _status_summary(detail, t),
        _ems_summary(detail, t),
        rx.el.div(_recipient(detail, t), _fact("", detail.address), _fact(t["weight"], detail.weight),
                  _track(detail, t), class_name="ph-facts"),
        class_name="rt-reset rt-BaseCard rt-Card rt-r-size-2 md:rt-r-size-3 rt-variant-surface parcel-header",
    )


def _not_found(t) -> rx.Component:
    # Plain elements: the server draws the same block for a missing or foreign number (first_cards.py).
    return rx.el.div(
        rx.icon("package-x", size=40, aria_hidden="true"),
        heading(t["not_found_title"], 1, "5"),
        rx.el.p(t["not_found_hint"]),
        link(t["back_to_parcels"], href=routes.PARCELS),
        class_name="not-found",
    )


def _order(o, t) -> rx.Component:
    return order_card(o, t, ParcelState.open_histories.contains(o.number), ParcelState.toggle_history(o.number))


def _order_group(group, t) -> rx.Component:
    """One status's orders: a few shown, the rest folded in a native disclosure (no state needed)."""
    return rx.el.section(
        rx.el.h3(status_badge(group.label, group.color), rx.el.span(group.count, class_name="order-group-count"),
                 class_name="order-group-title"),
        rx.vstack(rx.foreach(group.shown, lambda o: _order(o, t)), spacing="3", width="100%"),
        rx.cond(
            group.folded.length() > 0,
            rx.el.details(
                rx.el.summary(group.folded_label, class_name="order-group-more"),
                rx.vstack(rx.foreach(group.folded, lambda o: _order(o, t)), spacing="3", width="100%"),
            ),
        ),
        class_name="order-group",
    )


def _body(t) -> rx.Component:
    detail = ParcelState.detail
    return rx.vstack(
        _header(detail, t),
        rx.grid(
            rx.vstack(
                rx.heading(t["orders_in_parcel"], as_="h2", size="5"),
                rx.cond(
                    detail.orders.length() > 0,
                    rx.cond(
                        detail.grouped,
                        rx.vstack(rx.foreach(detail.order_groups, lambda g: _order_group(g, t)), spacing="4",
                                  width="100%"),
                        rx.vstack(rx.foreach(detail.orders, lambda o: _order(o, t)), spacing="3", width="100%"),
                    ),
                    rx.callout(t["no_orders_yet"], icon="info", width="100%"),
                ),
                spacing="3", width="100%", min_width="0",
            ),
            timeline(detail, t, ParcelState),
            columns=rx.breakpoints(initial="1", lg="3fr 2fr"),
            spacing="5",
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


def parcel_page() -> rx.Component:
    t = ParcelState.t
    return shell(
        rx.link(rx.hstack(rx.icon("arrow-left", size=16, aria_hidden="true"), rx.text(t["back_to_parcels"]),
                          align="center", spacing="1"),
                href=routes.PARCELS, min_height="44px", display="flex", align_items="center",
                margin_bottom="0.5em"),
        rx.cond(
            # A state of another parcel (a client-side navigation before on_load's first step): the skeleton.
            ParcelState.loading | (ParcelState.shown_number != route_param("number")),
            # The number comes from the address: the shell says which parcel before its data arrives.
            # Then the skeleton, or the header card the server put in (marketu_app/first_cards.py).
            rx.el.div(heading(t["parcel"] + " " + route_param("number"), 1, "6", "parcel-loading-title"),
                      first_cards_slot(PARCEL_SKELETON), class_name="page-stack parcel-loading"),
            rx.cond(
                ParcelState.session_ended,
                session_ended_notice(ParcelState),
              rx.cond(
                ParcelState.load_failed,
                rx.center(rx.vstack(rx.heading(t["load_failed"], as_="h1", size="5"),
                                    rx.button(t["retry"], on_click=ParcelState.retry, min_height="44px"),
                                    align="center"), padding_y="3em", width="100%"),
                rx.cond(ParcelState.not_found, _not_found(t), _body(t)),
              ),
            ),
        ),
        live_toast(ParcelState),
        relocalize=ParcelState.reload,
    )
