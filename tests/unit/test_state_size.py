"""With Redis, Reflex pickles every state a push or an event loads and saves, for every tab: what is the
same for every tab (a language's texts, the status table) must not be stored once per tab."""

from __future__ import annotations

import importlib
import pickle
import pkgutil

from reflex.state import BaseState

import marketu_app.pages
from marketu_app.i18n.texts import TEXTS
from marketu_app.state.base import LocaleState
from marketu_app.state.statuses import STATUS_ROWS, StatusesState

for _page in pkgutil.iter_modules(marketu_app.pages.__path__):  # every page's texts registered, as in the app
    importlib.import_module(f"marketu_app.pages.{_page.name}")


def _tree(locale: str) -> BaseState:
    root = LocaleState.get_root_state()(_reflex_internal_init=True)
    locale_state = root.get_substate(LocaleState.get_full_name().split("."))
    locale_state.locale = locale
    return root


def test_a_tabs_texts_and_status_rows_are_stored_as_their_names_and_load_as_the_shared_ones():
    for lang in ("ru", "kk", "en"):
        root = _tree(lang)
        locale_state = root.get_substate(LocaleState.get_full_name().split("."))
        statuses = root.get_substate(StatusesState.get_full_name().split("."))
        assert locale_state.t == TEXTS[lang] and statuses.status_rows == STATUS_ROWS[lang]
        saved_locale, saved_statuses = locale_state._serialize(), statuses._serialize()
        # The texts alone were about 11 KB, the status rows about 2 KB, in every tab's saved states.
        assert len(pickle.dumps(dict(TEXTS[lang]))) > 5000
        assert len(saved_locale) < 400 and len(saved_statuses) < 400
        loaded = BaseState._deserialize(data=saved_locale)
        assert loaded.t is TEXTS[lang]  # the process's own constant, not a copy
        assert BaseState._deserialize(data=saved_statuses).status_rows is STATUS_ROWS[lang]
        assert pickle.loads(pickle.dumps(TEXTS[lang])) is TEXTS[lang]
