"""The parcels page (the signed-in home)."""

from __future__ import annotations

import reflex as rx

from marketu_app.components.account_nav import account_mobile_items, account_nav
from marketu_app.components.layout import shell
from marketu_app.components.live import live_toast, session_ended_notice
from marketu_app.components.parcel_card import card_skeleton, parcel_card
from marketu_app.state.parcels import ParcelsState


FILTER_KEYS = (("all", "filter_all"), ("active", "filter_active"), ("delivered", "filter_delivered"),
               ("cancelled", "filter_cancelled"))


def _filters() -> rx.Component:
    """Tabs-like buttons from tablet width; a compact select on phones, where four labels do not fit."""
    t = ParcelsState.t
    return rx.fragment(
        rx.segmented_control.root(
            *[rx.segmented_control.item(t[key], value=value) for value, key in FILTER_KEYS],
            value=ParcelsState.filter_value,
            on_change=ParcelsState.set_filter,
            aria_label=t["filter_label"],
            size="2",
            display=["none", "none", "inline-grid"],
            class_name="filters",
        ),
        rx.box(
            rx.select.root(
                rx.select.trigger(aria_label=t["filter_label"], width="100%", min_height="44px"),
                rx.select.content(*[rx.select.item(t[key], value=value) for value, key in FILTER_KEYS]),
                value=ParcelsState.filter_value,
                on_change=ParcelsState.set_filter,
                size="3",
            ),
            display=["block", "block", "none"],
            width="100%",
            class_name="filters-mobile",
        ),
    )


def _search() -> rx.Component:
    t = ParcelsState.t
    return rx.input(
        rx.input.slot(rx.icon("search", size=16, aria_hidden="true")),
        placeholder=t["search_placeholder"],
        aria_label=t["search_label"],
        value=ParcelsState.search,
        on_change=ParcelsState.set_search.debounce(300),
        type="search",
        size="3",
        width=["100%", "100%", "22em"],
        class_name="search",
    )


def _message(icon: str, title, hint, action=None) -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon(icon, size=40, color=rx.color("gray", 9), aria_hidden="true"),
            rx.heading(title, as_="h2", size="4"),
            rx.text(hint, color=rx.color("gray", 11), text_align="center"),
            action if action is not None else rx.fragment(),
            align="center",
            spacing="2",
        ),
        padding_y="3em",
        width="100%",
    )


def parcels_page() -> rx.Component:
    t = ParcelsState.t
    grid = dict(columns=rx.breakpoints(initial="1", md="2"), spacing=rx.breakpoints(initial="3", md="4"),
                width="100%")
    return shell(
        rx.vstack(
            session_ended_notice(ParcelsState),
            rx.heading(t["parcels_title"], as_="h1", size="7"),
            rx.flex(_filters(), rx.spacer(display=["none", "none", "block"]), _search(),
                    direction=rx.breakpoints(initial="column", md="row"), gap="3", width="100%"),
            rx.cond(
                ParcelsState.loading,
                rx.grid(*[card_skeleton() for _ in range(4)], **grid, aria_busy="true"),
                rx.cond(
                    ParcelsState.load_failed,
                    _message("cloud-off", t["load_failed"], "",
                             rx.button(t["retry"], on_click=ParcelsState.retry, size="3", min_height="44px")),
                    rx.cond(
                        ParcelsState.empty_account,
                        _message("package-open", t["empty_account"], t["empty_account_hint"]),
                        rx.cond(
                            ParcelsState.nothing_found,
                            _message("search-x", t["nothing_found"], t["nothing_found_hint"]),
                            rx.grid(rx.foreach(ParcelsState.cards,
                                               lambda c: parcel_card(c, t["details"], t["open_parcel"])),
                                    **grid, class_name="parcel-grid"),
                        ),
                    ),
                ),
            ),
            rx.cond(
                ParcelsState.has_more,
                rx.center(rx.button(t["load_more"], on_click=ParcelsState.load_more, variant="outline", size="3",
                                    min_height="44px"), width="100%"),
            ),
            live_toast(ParcelsState),
            spacing="4",
            width="100%",
        ),
        extra_nav=account_nav(), mobile_items=account_mobile_items(), relocalize=ParcelsState.reload,
    )
