"""Same sources, same JS file names: a restart must not break the pages that are already open.

Reflex 0.10.1's frontend imports .web/reflex.json only for the Reflex version, but the bundler
inlines the whole file, with the times of the last run and of the last version check. So every
start built chunks with new names, and a tab opened before a restart got a 404 for the next page's
chunk (React Router then reloads the old page instead of opening the one asked for). While the
bundler runs, the file holds only the version; Reflex's bookkeeping is put back afterwards.
"""

from __future__ import annotations

import functools
import json

from reflex.utils import build, prerequisites
from reflex_base import constants


def _with_stable_reflex_json(run_build):
    @functools.wraps(run_build)
    def wrapper(*args, **kwargs):
        path = prerequisites.get_web_dir() / constants.Reflex.JSON
        full = path.read_text() if path.exists() else None
        if full is not None:
            path.write_text(json.dumps({"version": json.loads(full).get("version", "")}))
        try:
            return run_build(*args, **kwargs)
        finally:
            if full is not None:
                path.write_text(full)

    wrapper.stable_reflex_json = True
    return wrapper


def install() -> None:
    """Wraps Reflex's frontend build (called from rxconfig.py, which every Reflex command imports)."""
    if not getattr(build.build, "stable_reflex_json", False):
        build.build = _with_stable_reflex_json(build.build)
