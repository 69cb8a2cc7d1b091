"""The frontend bundle must not change between starts of the same sources (see marketu_app/stable_build.py)."""

from __future__ import annotations

import json

from reflex.utils import prerequisites

from marketu_app import stable_build


def test_the_bundler_sees_only_the_version_and_reflex_keeps_its_bookkeeping(tmp_path, monkeypatch):
    full = {"version": "0.10.1", "project_hash": 42, "last_reflex_run_datetime": "2026-11-26 09:50:52"}
    (tmp_path / "reflex.json").write_text(json.dumps(full))
    monkeypatch.setattr(prerequisites, "get_web_dir", lambda: tmp_path)
    seen = []

    def fake_build():
        seen.append(json.loads((tmp_path / "reflex.json").read_text()))
        raise SystemExit(1)  # a failed build must restore the file too

    wrapped = stable_build._with_stable_reflex_json(fake_build)
    try:
        wrapped()
    except SystemExit:
        pass
    assert seen == [{"version": "0.10.1"}]
    assert json.loads((tmp_path / "reflex.json").read_text()) == full


def test_rxconfig_installs_it_once():
    from reflex.utils import build

    import rxconfig  # noqa: F401  (every Reflex command imports it)

    assert build.build.stable_reflex_json
    before = build.build
    stable_build.install()
    assert build.build is before
