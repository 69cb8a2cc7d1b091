"""Radix Themes' component CSS without the components the app never renders (issue 13 item 18).

The render-blocking stylesheet is most of what a slow line must carry before the first paint, and Radix's
components.css styles all ~130 of its components; the app renders about 30. A style rule's selector that
names a Radix component class (`rt-` and a capital: `rt-SliderRoot`) appearing in none of the built
scripts and pages can never match anything, so it goes; a rule with no selector left goes too. Everything
else (utilities such as `rt-r-size-2`, which scripts build from parts, tokens, the app's own styles) stays
as it was. The build's CSS is minified: one pass over its braces.

Radix's wide-gamut colours go too: every token is given again as `color(display-p3 ...)` inside
`@supports (color:color(display-p3 1 1 1)) { @media (color-gamut:p3) {...} }` (32 KB raw, 5 KB brotli of the
34 KB the first paint waits for). Without them a wide-gamut screen shows the same tokens' sRGB values, the
colours every other screen shows; nothing else changes (no size, no layout).
"""

from __future__ import annotations

import re
from pathlib import Path

import reflex as rx

_COMPONENT = re.compile(r"\.(rt-[A-Z][A-Za-z0-9]*)")
_GROUPS = ("@media", "@layer", "@supports", "@container")
_WIDE_GAMUT = ("display-p3", "color-gamut")  # a group only for wide-gamut screens (see the docstring)


def _block_end(css: str, start: int) -> int:
    """The index just past the `}` closing the block opened at `css[start] == "{"`."""
    depth, i, n = 0, start, len(css)
    while i < n:
        c = css[i]
        if c in "\"'":
            i = css.index(c, i + 1)
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError("unbalanced CSS")


def _split_selectors(prelude: str) -> list[str]:
    out, depth, last = [], 0, 0
    for i, c in enumerate(prelude):
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "," and depth == 0:
            out.append(prelude[last:i])
            last = i + 1
    out.append(prelude[last:])
    return out


def purge(css: str, corpus: str) -> str:
    """`css` without the selectors of Radix components absent from `corpus` (the built scripts and pages)."""
    present: dict[str, bool] = {}

    def used(selector: str) -> bool:
        for name in _COMPONENT.findall(selector):
            if name not in present:
                present[name] = name in corpus
            if not present[name]:
                return False
        return True

    def walk(text: str) -> str:
        out, i, n = [], 0, len(text)
        while i < n:
            brace = text.find("{", i)
            semi = text.find(";", i)
            if brace < 0 or (0 <= semi < brace and text[i:semi].lstrip().startswith("@")):
                end = n if semi < 0 else semi + 1  # a statement (@import, @charset, @layer a,b;)
                out.append(text[i:end])
                i = end
                continue
            prelude, end = text[i:brace], _block_end(text, brace)
            body = text[brace + 1:end - 1]
            head = prelude.strip()
            if head.startswith(_GROUPS) and any(w in head for w in _WIDE_GAMUT):
                pass
            elif head.startswith(_GROUPS):
                inner = walk(body)
                if inner.strip():
                    out.append(f"{prelude}{{{inner}}}")
            elif head.startswith("@") or "rt-" not in head:
                out.append(text[i:end])
            else:
                kept = [s for s in _split_selectors(prelude) if used(s)]
                if kept:
                    out.append(f"{','.join(kept)}{{{body}}}")
            i = end
        return "".join(out)

    return walk(css)


def purge_build(static_dir: Path, extra_corpus: str = "") -> None:
    """Purges every stylesheet of the build against its scripts and pages (and `extra_corpus`)."""
    corpus = extra_corpus + "".join(p.read_text(errors="replace") for p in static_dir.rglob("*")
                                    if p.suffix in (".js", ".html") and p.is_file())
    for sheet in (static_dir / "assets").glob("*.css"):
        sheet.write_text(purge(sheet.read_text(), corpus))


class PurgeRadixCss(rx.plugins.Plugin):
    """After the build, before Reflex compresses it: see the module's docstring."""

    def post_build(self, **context) -> None:
        # The server's own first-cards markup (marketu_app/first_cards.py) names its classes too.
        own = (Path(__file__).parent / "first_cards.py").read_text()
        purge_build(Path(context["static_dir"]), own)
