"""The page's `<html lang>`: the customer's language, for screen readers and the browser's own messages.

The prerendered pages say `ru` (App(html_lang=...)); `lang_head_script` puts the remembered language
there before the first paint, and `document_lang` keeps it in step when the customer changes it.
"""

from __future__ import annotations

import reflex as rx

from marketu_app.i18n.texts import LOCALES

# LocaleState.locale is rx.LocalStorage(name="marketu_locale"): Reflex keeps the raw value there.
# The language also goes to a cookie, so that the server writes a signed-in page's first cards in it
# (marketu_app/first_cards.py); it names a language, nothing else.
_COOKIE = "document.cookie='marketu_lang='+%s+';path=/;max-age=31536000;samesite=lax'"
_LANG_SCRIPT = ("try{var l=localStorage.getItem('marketu_locale');if(%s.indexOf(l)>=0){"
                "document.documentElement.lang=l;%s}}catch(e){}") % (repr(list(LOCALES)).replace(" ", ""),
                                                                     _COOKIE % "l")


def lang_head_script() -> rx.Component:
    # Raw HTML: as a text child React would escape the quotes.
    return rx.el.script(custom_attrs={"dangerouslySetInnerHTML": {"__html": _LANG_SCRIPT}})


class DocumentLang(rx.Fragment):
    """Renders nothing; sets document.documentElement.lang whenever `lang` changes."""

    lang: rx.Var[str]

    def _exclude_props(self) -> list[str]:
        return ["lang"]

    def add_imports(self):
        return {"react": [rx.ImportVar(tag="useEffect")]}

    def add_hooks(self):
        lang = self.lang
        if lang is None:
            return []
        cookie = _COOKIE % lang
        code = f"useEffect(() => {{ if ({lang}) {{ document.documentElement.lang = {lang}; {cookie}; }} }}, [{lang}]);"
        return [rx.Var(_js_expr=code, _var_data=lang._get_all_var_data())]


document_lang = DocumentLang.create
