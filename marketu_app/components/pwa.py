"""Head entries of the installable app: manifest, icons, theme colour, service worker, offline view."""

from __future__ import annotations

import hashlib
from pathlib import Path

import reflex as rx

THEME_COLOR = "#ea580c"
_ROOT = Path(__file__).resolve().parents[2]


def build_id() -> str:
    """A short hash of the app's sources and assets: a new build registers a new service worker."""
    digest = hashlib.sha256()
    for folder in ("marketu_app", "assets"):
        for path in sorted((_ROOT / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                digest.update(path.relative_to(_ROOT).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


# A plain <script> in the prerendered <head> (rx.script would run only after hydration and miss `load`).
_REGISTER = """if ("serviceWorker" in navigator) window.addEventListener("load", function () {
  navigator.serviceWorker.register("/sw.js?v=%s", {scope: "/"}).then(function (reg) {
    if (window.marketuUpdates) window.marketuUpdates(reg);
  }).catch(function () {});
});"""


def pwa_head() -> list[rx.Component]:
    return [
        rx.el.link(rel="manifest", href="/manifest.json"),
        rx.el.meta(name="theme-color", content=THEME_COLOR),
        rx.el.meta(name="apple-mobile-web-app-capable", content="yes"),
        rx.el.meta(name="apple-mobile-web-app-title", content="Marketu"),
        rx.el.script(src="/offline.js", defer=True),
        rx.el.script(src="/notify.js", defer=True),  # Web Push subscribe (the settings page's button)
        # Raw HTML: as a text child React would escape the quotes.
        rx.el.script(custom_attrs={"dangerouslySetInnerHTML": {"__html": _REGISTER % build_id()}}),
    ]
