"""Plain-element building blocks: links, badges, headings, icon buttons.

Every Radix Themes component is JavaScript work on each render, and every style prop becomes
CSS-in-JS computed at render time; on a slow phone that was most of the main-thread time of a
page load. These render plain elements with classes instead: Radix Themes' own classes where the
look is theirs (links, badges, headings), assets/styles.css for the rest.
"""

from __future__ import annotations

import reflex as rx
from reflex.vars import VarData
from reflex_components_core.react_router.dom import ReactRouterLink

LINK = "rt-Text rt-reset rt-Link rt-underline-auto"


def link(*children, href, class_name: str = LINK, **props) -> rx.Component:
    """An internal link (client-side navigation); an external URL opens in a new tab."""
    if "rt-Link" in class_name:
        # Radix colours a link through this attribute (accent colour of the theme).
        props.setdefault("custom_attrs", {})["data-accent-color"] = ""
    if isinstance(href, str) and href.startswith(("http://", "https://")):
        return rx.el.a(*children, href=href, target="_blank", rel="noopener noreferrer", class_name=class_name,
                       **props)
    return ReactRouterLink.create(*children, to=href, class_name=class_name, **props)


def badge(label, color, size: str = "2") -> rx.Component:
    """Radix's soft, round badge in `color` (a Radix colour name)."""
    return rx.el.span(label, class_name=f"rt-reset rt-Badge rt-r-size-{size} rt-variant-soft",
                      custom_attrs={"data-accent-color": color, "data-radius": "full"})


def heading(text, level: int, size: str, class_name: str = "") -> rx.Component:
    tag = getattr(rx.el, f"h{level}")
    return tag(text, class_name=f"rt-Heading rt-r-size-{size} {class_name}".strip())


def icon(name: str, size: int = 16) -> rx.Component:
    """A decorative icon (the text next to it names the thing)."""
    return rx.icon(name, size=size, aria_hidden="true")


def icon_button(*children, label, on_click, class_name: str = "") -> rx.Component:
    """A 44 px square ghost button named by `label` (for screen readers and as a tooltip)."""
    return rx.el.button(*children, type="button", on_click=on_click, aria_label=label, title=label,
                        class_name=f"icon-button {class_name}".strip())


def native_select(options: list[tuple[str, rx.Var | str]], *, value, on_change, label,
                  class_name: str = "") -> rx.Component:
    """The browser's own select (the phone's native picker): options are (value, text) pairs."""
    return rx.el.span(
        rx.el.select(*[rx.el.option(text, value=v) for v, text in options], value=value, on_change=on_change,
                     aria_label=label, class_name="native-select"),
        class_name=f"native-select-wrap {class_name}".strip(),
    )


def route_param(name: str) -> rx.Var:
    """A dynamic route's parameter as the browser reads it (React Router): known at the first paint, before
    the page's state arrives, and the same in the prerendered shell (see marketu_app/slow_line.py)."""
    return rx.Var(
        _js_expr=f"(routeParams[{name!r}] ?? '')",
        _var_type=str,
        _var_data=VarData(hooks={"const routeParams = useParams();": None},
                          imports={"react-router": [rx.ImportVar(tag="useParams")]}),
    ).to(str)
