"""The app shell: header with the Marketu name, navigation, language and theme switches."""

from __future__ import annotations

import reflex as rx

from marketu_app import routes
from marketu_app.i18n.texts import LOCALE_NAMES, LOCALES
from marketu_app.settings import get_settings
from marketu_app.state.base import LocaleState
from marketu_app.state.session import SessionState


def language_switch(relocalize=None) -> rx.Component:
    """`relocalize`: the page's event that rebuilds its data in the new language."""
    on_change = [LocaleState.set_locale, relocalize] if relocalize is not None else LocaleState.set_locale
    return rx.select.root(
        rx.select.trigger(aria_label=LocaleState.t["language"], variant="ghost", min_height="44px"),
        rx.select.content(*[rx.select.item(LOCALE_NAMES[code], value=code) for code in LOCALES]),
        value=LocaleState.lang,
        on_change=on_change,
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


def nav_link(label, href: str, icon: str, external: bool = False) -> rx.Component:
    return rx.link(
        rx.hstack(rx.icon(icon, size=18), rx.text(label), align="center", spacing="1"),
        href=href,
        underline="none",
        **({"is_external": True} if external else {}),
        color=rx.color("gray", 12),
        padding_x="0.5em",
        min_height="44px",
        display="flex",
        align_items="center",
    )


def header(extra_nav: rx.Component | None = None, relocalize=None) -> rx.Component:
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
                # Phones get these in the bottom bar instead.
                rx.hstack(
                    nav_link(LocaleState.t["nav_statuses"], routes.STATUSES, "list-checks"),
                    nav_link(LocaleState.t["nav_support"], get_settings().support_url, "life-buoy", external=True),
                    extra_nav if extra_nav is not None else rx.fragment(),
                    display=["none", "none", "flex"],
                    align="center",
                    spacing="1",
                ),
                language_switch(relocalize),
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


def bottom_item(label, icon: str, href: str | None = None, on_click=None, external: bool = False):
    content = rx.vstack(rx.icon(icon, size=20, aria_hidden="true"), rx.text(label, size="1"),
                        align="center", spacing="0")
    style = dict(flex="1", min_height="52px", display="flex", align_items="center", justify_content="center",
                 color=rx.color("gray", 12), underline="none")
    if on_click is not None:
        return rx.el.button(content, on_click=on_click, class_name="bottom-nav-item",
                            style={**style, "background": "none", "border": "none", "cursor": "pointer"})
    return rx.link(content, href=href, is_external=external, class_name="bottom-nav-item", **style)


def bottom_nav(signed_in_items: list[rx.Component] | None = None) -> rx.Component:
    """Phones: the main destinations within thumb's reach."""
    t = LocaleState.t
    return rx.el.nav(
        rx.hstack(
            *(signed_in_items or []),
            bottom_item(t["nav_statuses"], "list-checks", routes.STATUSES),
            bottom_item(t["nav_support"], "life-buoy", get_settings().support_url, external=True),
            width="100%",
            spacing="0",
        ),
        aria_label="Marketu",
        display=["block", "block", "none"],
        style={
            "position": "fixed", "bottom": "0", "left": "0", "right": "0", "z_index": "20",
            "background": rx.color("gray", 1), "border_top": f"1px solid {rx.color('gray', 5)}",
            "padding_bottom": "env(safe-area-inset-bottom)",
        },
    )


def shell(*children: rx.Component, extra_nav: rx.Component | None = None,
          mobile_items: list[rx.Component] | None = None, relocalize=None) -> rx.Component:
    """A page inside the shell: header, main content, footer, and on phones a bottom bar."""
    return rx.box(
        header(extra_nav, relocalize),
        rx.el.main(
            *children,
            width="100%",
            max_width="1200px",
            margin_x="auto",
            padding_x=["0.75em", "1em", "1.5em"],
            padding_y="1em",
            min_height="70vh",
            custom_attrs={"data-customer": SessionState.customer_key},  # the offline snapshot's owner
        ),
        rx.el.footer(
            rx.text(LocaleState.t["footer"], size="1", color=rx.color("gray", 11)),
            padding="1.5em",
            text_align="center",
        ),
        bottom_nav(mobile_items),
        lang=LocaleState.lang,
    )
