"""Reflex configuration. Every setting can be overridden as REFLEX_<FIELD> (e.g. REFLEX_DB_URL)."""

import reflex as rx
from reflex.constants import StateManagerMode
from reflex_base.constants.installer import PackageJson

from marketu_app import css_purge, first_paint, stable_build
from marketu_app.settings import get_settings

# The dev server listens on every interface by default; keep it on loopback.
PackageJson.Commands.DEV = "react-router dev --host 127.0.0.1"

_settings = get_settings()
stable_build.install()  # a restart keeps the JS file names, so open tabs keep working
first_paint.install()  # the parcel route's shell is prerendered too


# Theme (orange on sand), the status badges (domain/statuses.py), callouts and toasts; slate: Reflex's own banner.
RADIX_COLORS = ("orange", "sand", "gray", "amber", "blue", "cyan", "grass", "indigo", "jade", "red", "slate", "teal",
                "violet")


class RadixThemes(rx.plugins.RadixThemesPlugin):
    """Radix Themes, without also exposing its whole library on `window.__reflex`.

    That exposure exists for dynamic (eval'd) components, which this app does not use; it imports
    every Radix Themes component into the first load of every page. Without it each page loads only
    the components it renders. (The package is still installed: the components name it.)
    """

    def get_frontend_dependencies(self, **context):
        return ()

    def get_stylesheet_paths(self, **context):
        # Radix's styles.css is tokens + components + utilities; its tokens define all 30 colour
        # scales (light, dark, P3). Render-blocking CSS and the style work before the first paint
        # shrink with only the scales the app uses.
        return ("@radix-ui/themes/tokens/base.css",
                *(f"@radix-ui/themes/tokens/colors/{name}.css" for name in RADIX_COLORS),
                "@radix-ui/themes/components.css", "@radix-ui/themes/utilities.css")


config = rx.Config(
    app_name="marketu_app",
    db_url=_settings.db_url,
    redis_url=_settings.redis_url,
    backend_host="127.0.0.1",
    telemetry_enabled=False,
    # No other site may call the backend from a browser: no CORS headers for any origin (Reflex's default
    # "*" reflected every Origin with credentials). Pages and their websocket are same-origin; the
    # websocket's Origin is checked in marketu_app/web/sockets.py.
    cors_allowed_origins=[],
    show_built_with_reflex=False,
    plugins=[
        RadixThemes(
            theme=rx.theme(accent_color="orange", gray_color="sand", radius="large", has_background=True),
        ),
        first_paint.FirstPaint(),  # a slow line paints the page before its scripts arrive
        css_purge.PurgeRadixCss(),  # ...sooner without the CSS of Radix components the app never renders
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
    # Without Redis there is one worker, and its tabs' states live in its memory. Reflex's default there, the
    # disk manager, checks and reads a file per state ON THE EVENT LOOP for every new tab and pickles every
    # changed state; nothing needs that copy: a tab's states come from the database at its page load (a tab
    # of a restarted backend reconnects and loads again, tests/e2e/test_restart.py). With Redis: Redis.
    **({} if _settings.redis_url else {"state_manager_mode": StateManagerMode.MEMORY}),
    # Brotli first (about 15 % smaller than gzip on the JS), gzip for clients without it.
    frontend_compression_formats=["brotli", "gzip"],
)
