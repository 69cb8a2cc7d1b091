"""The app shell: header with the Marketu name, navigation, language and theme switches."""

from __future__ import annotations

import reflex as rx

from marketu_app import routes
from marketu_app.i18n.texts import LOCALE_NAMES, LOCALES
from marketu_app.settings import get_settings
from marketu_app.state.base import LocaleState


def language_switch() -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label=LocaleState.t["language"], variant="ghost", min_height="44px"),
        rx.select.content(*[rx.select.item(LOCALE_NAMES[code], value=code) for code in LOCALES]),
        value=LocaleState.lang,
        on_change=LocaleState.set_locale,
        size="2",
    )


def theme_toggle() -> rx.Component:
    return rx.icon_button(
        rx.color_mode.icon(),
        on_click=rx.toggle_color_mode,
        variant="ghost",
        size="3",
        aria_label=LocaleState.t["theme_toggle"],
        min_width="44px",
        min_height="44px",
    )


def nav_link(label, href: str, icon: str) -> rx.Component:
    return rx.link(
        rx.hstack(rx.icon(icon, size=18), rx.text(label), align="center", spacing="1"),
        href=href,
        underline="none",
        color=rx.color("gray", 12),
        padding_x="0.5em",
        min_height="44px",
        display="flex",
        align_items="center",
    )


def header(extra_nav: rx.Component | None = None) -> rx.Component:
    return rx.el.header(
        rx.hstack(
            rx.link(
                rx.hstack(
                    rx.image(src="/icon-192.png", width="32px", height="32px", alt="", border_radius="8px"),
                    rx.text("Marketu", weight="bold", size="5"),
                    align="center",
                    spacing="2",
                ),
                href=routes.PARCELS,
                underline="none",
                color=rx.color("gray", 12),
                aria_label="Marketu",
            ),
            rx.spacer(),
            rx.hstack(
                nav_link(LocaleState.t["nav_statuses"], routes.STATUSES, "list-checks"),
                rx.link(
                    rx.hstack(rx.icon("life-buoy", size=18), rx.text(LocaleState.t["nav_support"]),
                              align="center", spacing="1"),
                    href=get_settings().support_url,
                    is_external=True,
                    underline="none",
                    color=rx.color("gray", 12),
                    padding_x="0.5em",
                    min_height="44px",
                    display=["none", "none", "flex"],
                    align_items="center",
                ),
                extra_nav if extra_nav is not None else rx.fragment(),
                language_switch(),
                theme_toggle(),
                align="center",
                spacing="1",
            ),
            align="center",
            width="100%",
            max_width="1200px",
            margin_x="auto",
            padding_x=["0.75em", "1em", "1.5em"],
            padding_y="0.5em",
        ),
        style={
            "position": "sticky", "top": "0", "z_index": "10",
            "background": rx.color("gray", 1), "border_bottom": f"1px solid {rx.color('gray', 5)}",
        },
    )


def shell(*children: rx.Component, extra_nav: rx.Component | None = None) -> rx.Component:
    """A page inside the shell: header, main content, footer."""
    return rx.box(
        header(extra_nav),
        rx.el.main(
            *children,
            width="100%",
            max_width="1200px",
            margin_x="auto",
            padding_x=["0.75em", "1em", "1.5em"],
            padding_y="1em",
            min_height="70vh",
        ),
        rx.el.footer(
            rx.text(LocaleState.t["footer"], size="1", color=rx.color("gray", 11)),
            padding="1.5em",
            text_align="center",
        ),
        lang=LocaleState.lang,
    )
