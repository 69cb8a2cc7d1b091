"""The app shell: header with the Marketu name, navigation, language and theme switches.

Plain elements styled in assets/styles.css (see components/ui.py): the shell is on every page
and is rendered again when the page's state arrives.
"""

from __future__ import annotations

import reflex as rx

from marketu_app import routes
from marketu_app.components.account_nav import account_menu
from marketu_app.components.document import document_lang
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


def main_places() -> list[tuple[str, str, str]]:
    """The customer's main places, (text key, icon, address): header on wide screens, bottom bar on phones.

    Four fit the bar at 360 px in every language (tests/e2e/test_page_details.py).
    """
    return [
        ("nav_parcels", "package", routes.PARCELS),
        ("nav_statuses", "list-checks", routes.STATUSES),
        ("nav_notifications", "bell", routes.NOTIFICATIONS),
        ("nav_support", "life-buoy", get_settings().support_url),
    ]


def skip_link() -> rx.Component:
    # The first stop of the Tab key. A fragment link before the scripts load; then it focuses <main> itself
    # (no change of address, which the router would take for a navigation).
    return rx.el.a(LocaleState.t["skip_to_content"], href="#content", class_name="skip-link",
                   on_click=[rx.prevent_default, rx.set_focus("content")])


def header(relocalize=None) -> rx.Component:
    t = LocaleState.t
    return rx.el.header(
        rx.el.div(
            link(rx.el.img(src="/icon-192.png", alt="", width="32", height="32", class_name="brand-icon"),
                 rx.el.span("Marketu"), href=routes.PARCELS, aria_label="Marketu", class_name="brand"),
            rx.el.div(
                # Phones get these in the bottom bar instead.
                rx.el.nav(*[nav_link(t[key], href, name) for key, name, href in main_places()],
                          aria_label=t["nav_main"], class_name="header-nav"),
                language_switch(relocalize),
                theme_toggle(),
                account_menu(),
                class_name="header-actions",
            ),
            class_name="header-inner",
        ),
        class_name="site-header",
    )


def bottom_item(label, icon_name: str, href: str) -> rx.Component:
    return link(icon(icon_name, 20), rx.el.span(label), href=href, class_name="bottom-nav-item")


def bottom_nav() -> rx.Component:
    """Phones: the main places within thumb's reach (the account menu stays in the header)."""
    t = LocaleState.t
    return rx.el.nav(
        *[bottom_item(t[key], name, href) for key, name, href in main_places()],
        aria_label=t["nav_main"],
        class_name="bottom-nav",
    )


def shell(*children: rx.Component, relocalize=None) -> rx.Component:
    """A page inside the shell: header, main content, footer, and on phones a bottom bar."""
    return rx.el.div(
        skip_link(),
        header(relocalize),
        rx.el.main(
            *children,
            id="content",
            tab_index=-1,  # the skip link's target takes the focus
            class_name="page-main",
            custom_attrs={"data-customer": SessionState.customer_key},  # the offline snapshot's owner
        ),
        rx.el.footer(rx.el.p(LocaleState.t["footer"]), class_name="site-footer"),
        bottom_nav(),
        document_lang(lang=LocaleState.lang),
        lang=LocaleState.lang,
    )
