"""Reflex configuration. Every setting can be overridden as REFLEX_<FIELD> (e.g. REFLEX_DB_URL)."""

import reflex as rx
from reflex_base.constants.installer import PackageJson

from marketu_app.settings import get_settings

# The dev server listens on every interface by default; keep it on loopback.
PackageJson.Commands.DEV = "react-router dev --host 127.0.0.1"

_settings = get_settings()

config = rx.Config(
    app_name="marketu_app",
    db_url=_settings.db_url,
    redis_url=_settings.redis_url,
    backend_host="127.0.0.1",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(accent_color="orange", gray_color="sand", radius="large", has_background=True),
        ),
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
    # No dynamic (eval'd) components here: don't put all of Radix Themes into every page's first load.
    frontend_lazy_bundled_libraries=True,
    # Brotli first (about 15 % smaller than gzip on the JS), gzip for clients without it.
    frontend_compression_formats=["brotli", "gzip"],
)
