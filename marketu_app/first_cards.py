"""The first real cards in the HTML itself (issue 13, item 18: the first card within 4 s on a slow line).

On a 400 kbit/s line the scripts alone take ~4 s, and only then does the websocket ask for the cards.
So the document answering a signed-in customer's `/` already holds their first page of parcel cards, and
`/parcel/<number>` the parcel's header card (only the customer's own parcel; a foreign or missing number
shows the same not-found block). Without a valid `marketu_session` cookie nothing changes: the static
page with its skeleton. Such answers are `Cache-Control: private, no-store` and `Vary: Cookie`, and the
service worker keeps none of them (assets/sw.js).

How React takes over without a hydration mismatch: the pages render, while loading, a `div.first-cards`
whose content is `dangerouslySetInnerHTML` (`first_cards_slot`): React neither hydrates nor checks what is
inside such an element, and leaves it alone while its props stay the same. The prerendered page holds the
skeleton there; this module swaps in the cards. When the page's state arrives, React replaces the slot by
its own cards (same markup, built here from the same view models and texts), so there is one set of cards
at any moment and no skeleton in between.

Icons are lucide's, read from the build's own lucide-react package (the same paths as React draws).
"""

from __future__ import annotations

import functools
import html
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import reflex as rx

from marketu_app import routes
from marketu_app.i18n.texts import LOCALES, TEXTS
from marketu_app.views import ParcelCardView, ParcelDetailView
from marketu_app.web.cookies import SESSION_COOKIE, parse_cookie_header

log = logging.getLogger("marketu")

LANG_COOKIE = "marketu_lang"  # the interface language, written by the page (components/document.py)
SLOT_CLASS = "first-cards"
_SKELETON = ('<div class="pc-skeleton" aria-hidden="true"><div class="sk sk-title"></div>'
             '<div class="sk sk-line"></div><div class="sk sk-bar"></div><div class="sk sk-line short"></div></div>')
# What the prerendered pages hold in the slot (and what a page shows while its state is on the way).
PARCELS_SKELETON = '<div class="card-grid" aria-busy="true">' + _SKELETON * 6 + "</div>"
PARCEL_SKELETON = '<div class="page-stack" aria-busy="true">' + _SKELETON * 2 + "</div>"
LINK = "rt-Text rt-reset rt-Link rt-underline-auto"


def first_cards_slot(skeleton: str) -> rx.Component:
    """The element the server fills with real cards (see the module's docstring); `display: contents`."""
    return rx.el.div(class_name=SLOT_CLASS,
                     custom_attrs={"dangerouslySetInnerHTML": {"__html": skeleton}, "suppressHydrationWarning": True})


# Icons -------------------------------------------------------------------------------------------------------
_NODE = re.compile(r'\[\s*"(\w+)",\s*\{([^}]*)\}\s*\]')
_ATTR = re.compile(r'(\w+):\s*"([^"]*)"')


def _icon_dir() -> Path:
    from reflex.utils import prerequisites

    return prerequisites.get_web_dir() / "node_modules" / "lucide-react" / "dist" / "esm" / "icons"


@functools.lru_cache(maxsize=64)
def _icon_nodes(name: str) -> str:
    try:
        source = (_icon_dir() / f"{name}.mjs").read_text()
    except OSError:
        log.warning("first cards: no lucide icon %r in the build", name)
        return ""
    out = []
    for tag, attrs in _NODE.findall(source):
        pairs = "".join(f' {k}="{html.escape(v)}"' for k, v in _ATTR.findall(attrs) if k != "key")
        out.append(f"<{tag}{pairs}></{tag}>")
    return "".join(out)


def icon(name: str, size: int = 16) -> str:
    """lucide-react's <svg> for `name`, as React renders it (decorative: aria-hidden)."""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 24 24" '
            'fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" '
            f'class="lucide lucide-{name}" aria-hidden="true">{_icon_nodes(name)}</svg>')


# Markup (components/parcel_card.py and pages/parcel.py, element for element) ---------------------------------
def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _link(href: str, inner: str, class_name: str, **attrs: str) -> str:
    """components/ui.link: a React Router <Link> (data-discover), Radix's accent attribute on rt-Link."""
    accent = ' data-accent-color=""' if "rt-Link" in class_name else ""
    extra = "".join(f' {k.replace("_", "-")}="{_e(v)}"' for k, v in attrs.items())
    return f'<a{extra} class="{class_name}"{accent} href="{_e(href)}" data-discover="true">{inner}</a>'


def _status_badge(label: str, color: str, size: str = "2") -> str:
    badge = (f'<span class="rt-reset rt-Badge rt-r-size-{size} rt-variant-soft" data-accent-color="{_e(color)}" '
             f'data-radius="full">{_e(label)}</span>')
    return _link(routes.STATUSES, badge, "badge-link")


def _eta_line(text: str, kind: str) -> str:
    return f'<p class="eta eta-{_e(kind)}">{icon("calendar-clock")}<span>{_e(text)}</span></p>'


def _door_line(text: str, kind: str) -> str:
    return f'<p class="door door-{_e(kind)}">{icon("house")}<span>{_e(text)}</span></p>' if text else ""


_METHOD_ICONS = {"pickup": "store", "almaty": "bike"}


def parcel_card_html(card: ParcelCardView, t: dict[str, str]) -> str:
    head = _link(card.url, f"<h2>{_e(card.number)}</h2>", LINK + " parcel-number",
                 aria_label=f"{t['open_parcel']} {card.number}")
    if card.stage_label:
        head += _status_badge(card.stage_label, card.stage_color)
    meta = f'<span class="pc-method">{icon(_METHOD_ICONS.get(card.method_code, "truck"))}{_e(card.method)}</span>'
    if card.city:
        meta += f"<span>{_e('· ' + card.city)}</span>"
    meta += f"<span>{_e(chr(0xB7) + chr(0xA0) + card.orders_count)}</span>"
    tracking = (f'<p class="tracking">{icon("map-pin")}<span>{_e(card.tracking)}</span></p>'
                if card.tracking else "")
    details = _link(card.url, f'{_e(t["details"])}<span class="sr-only">{_e(" " + card.number)}</span>'
                    f'{icon("chevron-right")}', "details")
    return (f'<article class="parcel-card"><div class="pc-head">{head}</div>'
            f'<p class="pc-meta">{meta}</p>'
            f'<progress aria-label="{_e(card.progress)}" class="pc-progress" max="100" '
            f'value="{int(card.progress_pct)}"></progress><p class="progress-text">{_e(card.progress)}</p>'
            f"{_eta_line(card.eta, card.eta_kind)}{_door_line(card.door, card.door_kind)}{tracking}"
            f'<div class="pc-foot"><span class="pc-updated">{_e(card.updated)}</span>{details}</div></article>')


def parcels_html(cards: list[ParcelCardView], t: dict[str, str]) -> str | None:
    """The slot's content on `/`: the first page of cards (None: nothing to show, the skeleton stays)."""
    if not cards:
        return None
    return '<div class="card-grid parcel-grid">' + "".join(parcel_card_html(c, t) for c in cards) + "</div>"


def _fact(label: str, value_html: str, class_name: str = "") -> str:
    cls = f"fact-value {class_name}".strip()
    return (f'<div class="fact"><span class="fact-label">{_e(label)}</span>'
            f'<span class="{cls}">{value_html}</span></div>')


def parcel_header_html(detail: ParcelDetailView, t: dict[str, str]) -> str:
    """pages/parcel._header as HTML: the parcel's header card."""
    card = detail.card
    head = f'<h1 class="rt-Heading rt-r-size-6">{_e(t["parcel"] + " " + card.number)}</h1>'
    if card.stage_label:
        head += _status_badge(card.stage_label, card.stage_color, "3")
    meta = card.method + (" · " + card.city if card.city else "") + " ·\u00a0" + card.orders_count
    parts = [f'<div class="ph-head">{head}</div>', f'<p class="ph-meta">{_e(meta)}</p>',
             f'<progress aria-label="{_e(card.progress)}" class="pc-progress" max="100" '
             f'value="{int(card.progress_pct)}"></progress>', f'<p class="ph-progress">{_e(card.progress)}</p>',
             _eta_line(card.eta, card.eta_kind), _door_line(card.door, card.door_kind)]
    if detail.grouped:
        items = "".join(f"<li>{_status_badge(c.text, c.color)}</li>" for c in detail.status_summary)
        parts.append(f'<ul aria-label="{_e(t["orders_by_status"])}" class="status-summary">{items}</ul>')
    if detail.ems_title:
        place = detail.ems_place + " · " if detail.ems_place else ""
        parts.append(
            f'<section aria-label="{_e(t["ems_latest"])}" class="ems-summary">'
            f'<p class="ems-summary-title">{icon("truck")}<strong>{_e(t["ems"] + ": " + detail.ems_title)}</strong></p>'
            f'<p class="ems-summary-meta">{_e(place)}{_e(detail.ems_when)}</p>'
            f'<a href="{_e(detail.kazpost_url)}" target="_blank" rel="noopener noreferrer" '
            f'class="ems-summary-link">{_e(t["on_kazpost"])}</a></section>')
    facts = []
    if detail.recipient or detail.recipient_phone:
        phone = (f'<a href="{_e(detail.recipient_phone_href)}" class="tel-link" '
                 f'aria-label="{_e(t["call"] + " " + detail.recipient_phone)}">{_e(detail.recipient_phone)}</a>'
                 if detail.recipient_phone_href else f"<span>{_e(detail.recipient_phone)}</span>")
        facts.append(_fact(t["recipient"], _e(detail.recipient) + phone, "recipient"))
    if detail.address:
        facts.append(_fact("", _e(detail.address)))
    if detail.weight:
        facts.append(_fact(t["weight"], _e(detail.weight)))
    if detail.track_number:
        facts.append(
            f'<div class="fact"><span class="fact-label">{_e(t["track_number"])}</span><div class="fact-track">'
            f'<code class="rt-reset rt-Code rt-r-size-3 rt-variant-soft track-number">{_e(detail.track_number)}</code>'
            f'<button type="button" aria-label="{_e(t["copy"])}" title="{_e(t["copy"])}" class="icon-button">'
            f'{icon("copy")}</button>'
            f'<a href="{_e(detail.kazpost_url)}" target="_blank" rel="noopener noreferrer" '
            f'class="{LINK} ext-link" data-accent-color="">{icon("external-link")}{_e(t["on_kazpost"])}</a>'
            "</div></div>")
    parts.append(f'<div class="ph-facts">{"".join(facts)}</div>')
    return ('<div class="page-stack"><section class="rt-reset rt-BaseCard rt-Card rt-r-size-2 md:rt-r-size-3 '
            f'rt-variant-surface parcel-header">{"".join(parts)}</section></div>')


def not_found_html(t: dict[str, str]) -> str:
    """A missing parcel and another customer's read the same."""
    return (f'<div class="not-found">{icon("package-x", 40)}'
            f'<h1 class="rt-Heading rt-r-size-5">{_e(t["not_found_title"])}</h1>'
            f'<p>{_e(t["not_found_hint"])}</p>'
            f'{_link(routes.PARCELS, _e(t["back_to_parcels"]), LINK)}</div>')


# What a document request gets --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Request:
    token: str
    lang: str


def request_of(cookie_header: str | None) -> Request | None:
    """The session token and the language from the Cookie header; None without a session cookie."""
    cookies = parse_cookie_header(cookie_header)
    token = cookies.get(SESSION_COOKIE, "")
    if not token:
        return None
    lang = cookies.get(LANG_COOKIE, "")
    return Request(token, lang if lang in LOCALES else "")


def texts(lang: str) -> dict[str, str]:
    return TEXTS[lang if lang in LOCALES else "ru"]


def fill_slot(page: str, skeleton: str, content: str) -> str | None:
    """The page with `content` in its first-cards slot instead of `skeleton`; None when the page has no slot."""
    return page.replace(skeleton, content, 1) if skeleton in page else None
