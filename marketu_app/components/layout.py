"""The app shell: header with the Marketu name, navigation, language and theme switches.

Plain elements styled in assets/styles.css (see components/ui.py): the shell is on every page
and is rendered again when the page's state arrives.
"""

from __future__ import annotations

import reflex as rx

from marketu_app import routes
from marketu_app.components.ui import icon, icon_button, link, native_select
from marketu_app.i18n.texts import LOCALE_NAMES, LOCALES
from marketu_app.settings import get_settings
from marketu_app.state.base import LocaleState
from marketu_app.state.session import SessionState


def language_switch(relocalize=None) -> rx.Component:
    """`relocalize`: the page's event that rebuilds its data in the new language."""
    on_change = [LocaleState.set_locale, relocalize] if relocalize is not None else LocaleState.set_locale
    return native_select([(code, LOCALE_NAMES[code]) for code in LOCALES], value=LocaleState.lang,
                         on_change=on_change, label=LocaleState.t["language"], class_name="language-select")


def theme_toggle() -> rx.Component:
    # Both icons are rendered; the theme class on <html> shows one (no re-render on a toggle).
    return icon_button(
        rx.icon("sun", size=22, class_name="when-light", aria_hidden="true"),
        rx.icon("moon", size=22, class_name="when-dark", aria_hidden="true"),
        label=LocaleState.t["theme_toggle"],
        on_click=rx.toggle_color_mode,
    )


def nav_link(label, href: str, icon_name: str) -> rx.Component:
    return link(icon(icon_name, 18), rx.el.span(label), href=href, class_name="nav-link")


def header(extra_nav: rx.Component | None = None, relocalize=None) -> rx.Component:
    return rx.el.header(
        rx.el.div(
            link(rx.el.img(src="/icon-192.png", alt="", class_name="brand-icon"),
                 rx.el.span("Marketu"), href=routes.PARCELS, aria_label="Marketu", class_name="brand"),
            rx.el.div(
                # Phones get these in the bottom bar instead.
                rx.el.div(
                    nav_link(LocaleState.t["nav_statuses"], routes.STATUSES, "list-checks"),
                    nav_link(LocaleState.t["nav_support"], get_settings().support_url, "life-buoy"),
                    extra_nav if extra_nav is not None else rx.fragment(),
                    class_name="header-nav",
                ),
                language_switch(relocalize),
                theme_toggle(),
                class_name="header-actions",
            ),
            class_name="header-inner",
        ),
        class_name="site-header",
    )


def bottom_item(label, icon_name: str, href: str | None = None, on_click=None) -> rx.Component:
    content = (icon(icon_name, 20), rx.el.span(label))
    if on_click is not None:
        return rx.el.button(*content, type="button", on_click=on_click, class_name="bottom-nav-item")
    return link(*content, href=href, class_name="bottom-nav-item")


def bottom_nav(signed_in_items: list[rx.Component] | None = None) -> rx.Component:
    """Phones: the main destinations within thumb's reach."""
    t = LocaleState.t
    return rx.el.nav(
        *(signed_in_items or []),
        bottom_item(t["nav_statuses"], "list-checks", routes.STATUSES),
        bottom_item(t["nav_support"], "life-buoy", get_settings().support_url),
        aria_label="Marketu",
        class_name="bottom-nav",
    )


def shell(*children: rx.Component, extra_nav: rx.Component | None = None,
          mobile_items: list[rx.Component] | None = None, relocalize=None) -> rx.Component:
    """A page inside the shell: header, main content, footer, and on phones a bottom bar."""
    return rx.el.div(
        header(extra_nav, relocalize),
        rx.el.main(
            *children,
            class_name="page-main",
            custom_attrs={"data-customer": SessionState.customer_key},  # the offline snapshot's owner
        ),
        rx.el.footer(rx.el.p(LocaleState.t["footer"]), class_name="site-footer"),
        bottom_nav(mobile_items),
        lang=LocaleState.lang,
    )
