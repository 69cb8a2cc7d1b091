"""A phone on a slow line sees the page before the scripts have arrived (issue 13, item 18).

Measured with bench/slow_line.py (400 kbit/s, 400 ms round trip): the prerendered pages painted only
after ~5 s, because the render-blocking stylesheet shared the line with ~160 KB of modulepreloaded
scripts; and /parcel/P-… (a dynamic route, no prerendered page) stayed blank until React had run.

- CSS first (`FirstPaint.post_build`): the build's `<link rel=modulepreload>` tags are replaced by a
  small classic script placed after the stylesheet. The browser runs such a script only once the
  stylesheet is in, so the stylesheet has the line to itself and the page paints; the scripts follow.
  The script adds them only once the first frame is painted (a timer set from requestAnimationFrame):
  Lighthouse's simulation counted every script that had arrived before the observed paint as needed for
  the largest paint (LCP 2.6 s for text that is in the HTML); after the paint they are not (LCP ~1.3 s).
- The parcel route's shell: React Router also prerenders `/parcel/__NUMBER__` (`install()`), the
  shell with the parcel's number (read from the address, components/ui.route_param) and a skeleton;
  `serve_parcel_shell` answers `/parcel/<number>` with it, the number put in. The browser's React
  Router then hydrates it as the same route with the same number.
- A form posted before the scripts run (or with none): sign-in, "forgot password" and the reset post to
  /auth/..., which answer 303 to the form's page with the answer in the query (`/login/?error=<code>`,
  `/forgot?sent=1`, `/reset?error=<code>`, `/login?reset=1`); `serve_form_answer` answers that with the
  prerendered page and the answer's message in a `<noscript>` block at the top of <body>, in the
  language the browser asks for (Accept-Language; the remembered one lives in localStorage, out of the
  server's reach). With scripts the page shows the message itself (its state) and React passes over the
  block, which a browser running scripts does not render.
"""

from __future__ import annotations

import functools
import gzip
import html
import json
import re
from pathlib import Path
from urllib.parse import parse_qs

import reflex as rx

PLACEHOLDER = "__NUMBER__"
SHELL_FILE = "parcel-shell.html"
# A parcel number as the operator API accepts it (api/schemas.IDENTIFIER_PATTERN): safe in HTML and JS.
_NUMBER = re.compile(r"^[A-Za-z0-9-]{1,40}$")
_PRELOAD = re.compile(r'<link rel="modulepreload" href="(/assets/[^"]+\.js)"/>')
_STYLESHEET = re.compile(r'<link href="/assets/[^"]+\.css" rel="stylesheet"[^>]*/>')
# After the first frame (a timer set from requestAnimationFrame runs once that frame is painted): the page's
# scripts then never share the line, or the main thread, with the first paint.
_LOADER = ('<script>requestAnimationFrame(function(){setTimeout(function(){["%s"].forEach(function(h){'
           'var l=document.createElement("link");l.rel="modulepreload";l.href=h;document.head.appendChild(l)})})})'
           '</script>')


def css_first(html: str) -> str:
    """Moves a page's modulepreloads behind its render-blocking stylesheet (see the module's docstring)."""
    scripts = _PRELOAD.findall(html)
    sheet = _STYLESHEET.search(html)
    if not scripts or sheet is None:
        return html
    html = _PRELOAD.sub("", html)
    sheet = _STYLESHEET.search(html)
    loader = _LOADER % '","'.join(scripts)
    return html[:sheet.end()] + loader + html[sheet.end():]


def _with_parcel_shell(make_config):
    @functools.wraps(make_config)
    def wrapper(config, prerender_routes: bool = False):
        text = make_config(config, prerender_routes=prerender_routes)
        if not prerender_routes:
            return text
        # Reflex writes `export default {...};` with "prerender": true (every static path).
        settings = json.loads(text.removeprefix("export default ").rstrip().rstrip(";"))
        settings.pop("prerender", None)
        return (f"const config = {json.dumps(settings)};\n"
                "// Every static page, and the parcel route's shell (marketu_app/first_paint.py).\n"
                f"config.prerender = async ({{getStaticPaths}}) => [...getStaticPaths(), \"/parcel/{PLACEHOLDER}\"];\n"
                "export default config;\n")

    wrapper.parcel_shell = True
    return wrapper


def install() -> None:
    """Adds the parcel shell to React Router's prerendered paths (called from rxconfig.py)."""
    from reflex.utils import frontend_skeleton

    if not getattr(frontend_skeleton._update_react_router_config, "parcel_shell", False):
        frontend_skeleton._update_react_router_config = _with_parcel_shell(
            frontend_skeleton._update_react_router_config)


class FirstPaint(rx.plugins.Plugin):
    """Rewrites the built pages (before Reflex compresses them) as the module's docstring says."""

    def post_build(self, **context) -> None:
        static_dir = Path(context["static_dir"])
        for page in static_dir.rglob("*.html"):
            page.write_text(css_first(page.read_text()))
        shell_dir = static_dir / "parcel" / PLACEHOLDER
        for candidate in (shell_dir / "index.html", static_dir / "parcel" / f"{PLACEHOLDER}.html"):
            if candidate.exists():
                (static_dir / SHELL_FILE).write_text(candidate.read_text())
                break
        # Not a page of its own.
        for leftover in (shell_dir / "index.html", static_dir / "parcel" / f"{PLACEHOLDER}.html"):
            leftover.unlink(missing_ok=True)
        if shell_dir.exists() and not any(shell_dir.iterdir()):
            shell_dir.rmdir()


@functools.lru_cache(maxsize=4)
def _shell(path: Path, mtime: float) -> str | None:
    return path.read_text() if path.exists() else None


def _static_text(*names: str) -> str | None:
    """The first of these built files (under the static dir) that exists."""
    from reflex.utils import prerequisites
    from reflex_base import constants

    for name in names:
        path = prerequisites.get_web_dir() / constants.Dirs.STATIC / name
        try:
            return _shell(path, path.stat().st_mtime)
        except OSError:
            continue
    return None


def _shell_text() -> str | None:
    return _static_text(SHELL_FILE)


_BODY = re.compile(r"<body[^>]*>")


def preferred_locale(accept_language: str | None) -> str:
    """The first of our languages the browser asks for (Accept-Language, by q), else Russian."""
    from marketu_app.i18n.texts import LOCALES

    ranked = []
    for i, part in enumerate((accept_language or "")[:500].split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        ranked.append((-q, i, tag.strip().lower().split("-")[0]))
    return next((lang for _, _, lang in sorted(ranked) if lang in LOCALES), "ru")


def with_noscript_message(page: str, message: str, lang: str, *, error: bool = True) -> str:
    """The page with `message` shown where no script runs (see the module's docstring)."""
    body = _BODY.search(page)
    if body is None or not message:
        return page
    kind, role = ("nojs-alert", "alert") if error else ("nojs-alert nojs-notice", "status")
    block = (f'<noscript><div class="{kind}" role="{role}" lang="{lang}">'
             f"{html.escape(message)}</div></noscript>")
    return page[:body.end()] + block + page[body.end():]


def _form_pages() -> dict:
    """path -> (the prerendered page's file names, the function telling its query's (notice, error))."""
    from marketu_app import routes
    from marketu_app.state.login import login_answer
    from marketu_app.state.reset import forgot_answer, reset_answer

    return {routes.LOGIN: (("login/index.html", "login.html"), login_answer),
            routes.FORGOT: (("forgot/index.html", "forgot.html"), forgot_answer),
            routes.RESET: (("reset/index.html", "reset.html"), reset_answer)}


def serve_form_answer(app):
    """ASGI wrapper: GET of a form's page with an answer in its query gets the message in its HTML."""
    pages = None

    async def asgi(scope, receive, send):
        nonlocal pages
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and scope.get("query_string"):
            pages = pages or _form_pages()
            found = pages.get(scope["path"].rstrip("/"))
            if found is not None:
                names, answer = found
                query = {k: v[0] for k, v in parse_qs(scope["query_string"].decode("latin-1")).items()}
                headers = dict(scope.get("headers") or [])
                lang = preferred_locale(headers.get(b"accept-language", b"").decode("latin-1"))
                notice, error = answer(query, lang)
                page = _static_text(*names)
                if (notice or error) and page is not None:
                    await _send_html(scope, send, with_noscript_message(page, error or notice, lang, error=bool(error)))
                    return
        await app(scope, receive, send)

    return asgi


def serve_parcel_shell(app):
    """ASGI wrapper: GET /parcel/<number> gets the prerendered shell with its number; the rest goes on."""

    async def asgi(scope, receive, send):
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            parts = scope["path"].strip("/").split("/")
            if len(parts) == 2 and parts[0] == "parcel" and _NUMBER.match(parts[1]):
                shell = _shell_text()
                if shell is not None:
                    await _send_html(scope, send, shell.replace(PLACEHOLDER, parts[1]))
                    return
        await app(scope, receive, send)

    return asgi


async def _send_html(scope, send, html: str) -> None:
    body = html.encode()
    headers = [(b"content-type", b"text/html; charset=utf-8"), (b"cache-control", b"no-cache"),
               (b"vary", b"Accept-Encoding")]
    accept = dict(scope.get("headers") or []).get(b"accept-encoding", b"")
    if b"gzip" in accept:
        body = gzip.compress(body, 6)
        headers.append((b"content-encoding", b"gzip"))
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
