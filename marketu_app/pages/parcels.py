"""The parcels page (the signed-in home).

Plain elements and classes (assets/styles.css) wherever no Radix behaviour is needed: see
components/ui.py for why.
"""

from __future__ import annotations

import reflex as rx

from marketu_app.components.layout import shell
from marketu_app.components.live import live_toast, session_ended_notice
from marketu_app.components.parcel_card import parcel_card
from marketu_app.components.ui import heading, icon, native_select
from marketu_app.first_cards import PARCELS_SKELETON, first_cards_slot
from marketu_app.state.parcels import ParcelsState

FILTER_KEYS = (("all", "filter_all"), ("active", "filter_active"), ("delivered", "filter_delivered"),
               ("cancelled", "filter_cancelled"))


def _filter_option(value: str, key: str) -> rx.Component:
    # A native radio under a segment-like label: arrow keys and screen readers work as for any radio group.
    t = ParcelsState.t
    return rx.el.label(
        rx.el.input(type="radio", name="parcel-filter", value=value, checked=ParcelsState.filter_value == value,
                    on_change=ParcelsState.set_filter),
        rx.el.span(t[key]),
        class_name="seg-item",
    )


def _filters() -> rx.Component:
    """Tabs-like buttons from tablet width; a compact select on phones, where four labels do not fit."""
    t = ParcelsState.t
    return rx.fragment(
        rx.el.div(
            *[_filter_option(value, key) for value, key in FILTER_KEYS],
            role="radiogroup",
            aria_label=t["filter_label"],
            class_name="filters seg",
        ),
        native_select([(value, t[key]) for value, key in FILTER_KEYS], value=ParcelsState.filter_value,
                      on_change=ParcelsState.set_filter, label=t["filter_label"], class_name="filters-mobile"),
    )


def _search() -> rx.Component:
    # A short hint that fits every width; what can be searched is said in full below the field.
    t = ParcelsState.t
    return rx.el.div(
        rx.input(
            rx.input.slot(icon("search")),
            placeholder=t["search_placeholder"],
            aria_label=t["search_label"],
            aria_describedby="search-help",
            value=ParcelsState.search,
            on_change=ParcelsState.set_search.debounce(300),
            type="search",
            size="3",
            class_name="search-input",
        ),
        rx.el.p(t["search_help"], id="search-help", class_name="search-help"),
        class_name="search",
    )


def _message(icon_name: str, title, hint, action=None) -> rx.Component:
    return rx.el.div(
        rx.icon(icon_name, size=40, aria_hidden="true", class_name="message-icon"),
        heading(title, 2, "4"),
        rx.el.p(hint),
        action if action is not None else rx.fragment(),
        class_name="page-message",
    )


def _button(label, on_click, class_name: str = "") -> rx.Component:
    """Radix's solid or outline button, size 3, as a plain element."""
    return rx.el.button(label, type="button", on_click=on_click,
                        class_name=f"rt-reset rt-BaseButton rt-r-size-3 rt-Button {class_name}".strip())


def _cards(t) -> rx.Component:
    return rx.cond(
        ParcelsState.load_failed,
        _message("cloud-off", t["load_failed"], "", _button(t["retry"], ParcelsState.retry, "rt-variant-solid")),
        rx.cond(
            ParcelsState.empty_account,
            _message("package-open", t["empty_account"], t["empty_account_hint"]),
            rx.cond(
                ParcelsState.nothing_found,
                _message("search-x", t["nothing_found"], t["nothing_found_hint"]),
                rx.el.div(rx.foreach(ParcelsState.cards, lambda c: parcel_card(c, t["details"], t["open_parcel"])),
                          class_name="card-grid parcel-grid"),
            ),
        ),
    )


def parcels_page() -> rx.Component:
    t = ParcelsState.t
    return shell(
        rx.cond(
            ParcelsState.session_ended,
            # Only the news and the way back in: the cards are gone, the account is not empty.
            session_ended_notice(ParcelsState),
            rx.el.div(
                heading(t["parcels_title"], 1, "7"),
                rx.el.div(_filters(), _search(), class_name="toolbar"),
                rx.cond(
                    ParcelsState.loading,
                    # The skeleton, or the first cards the server put in (marketu_app/first_cards.py).
                    first_cards_slot(PARCELS_SKELETON),
                    _cards(t),
                ),
                rx.cond(
                    ParcelsState.has_more,
                    rx.el.div(_button(t["load_more"], ParcelsState.load_more, "rt-variant-outline"),
                              class_name="load-more"),
                ),
                class_name="page-stack",
            ),
        ),
        live_toast(ParcelsState),
        relocalize=ParcelsState.reload,
    )
