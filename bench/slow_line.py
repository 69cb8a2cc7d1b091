"""A phone on a slow line: how soon each page shows something meaningful, and its first real card.

    .venv/bin/python bench/slow_line.py                 # 5 cold loads per page, medians
    .venv/bin/python bench/slow_line.py --runs 7 --label after

The app runs from a COPY of the project (its own .web build) with the demo data. Every load is a new
browser context (empty HTTP cache, no service worker) at 390x844, signed in as the demo customer
through a session created in the copy's database, with Chromium's own network emulation over CDP
(`Network.emulateNetworkConditions`: 400 kbit/s down and up, 400 ms round trip).

Times are from navigation start, taken in the page by a requestAnimationFrame loop installed before
any of the page's scripts (rAF does not run while render-blocking CSS is pending, so a mark means the
browser could paint it):
- meaningful: the shell's header is laid out and visible, and the page's own content: for /parcel/P-…
  the parcel number and a skeleton or the parcel; for / a skeleton or a card; for /statuses/ the table.
- first card: the first real card (`.parcel-card` on /, the parcel's header card on /parcel/P-…).
Goals (issue 13 item 18): meaningful <= 2.0 s on every page, first card <= 4.0 s.

What the line alone allows is printed with each page: two round trips (the document, then its render-blocking
stylesheet) plus the bytes of both at the line's rate, as the load measured them (Resource Timing's
transferSize; nothing else on the line, no CPU time): no paint can come sooner.

`--write-docs` puts this run's figures (and nothing else) into docs/benchmarks.md, in the block between
`<!-- slow_line:begin -->` and `<!-- slow_line:end -->` of "A phone on a slow line".
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.lighthouse import machine, session_cookie  # noqa: E402
from tests.app_process import CHROMIUM, CHROMIUM_ARGS, RunningApp, app_env, project_copy  # noqa: E402

KBIT = 400
RTT_MS = 400
PARCEL = "P-240101"
PAGES = {"parcels (/)": "/", f"parcel (/parcel/{PARCEL})": f"/parcel/{PARCEL}", "statuses (/statuses/)": "/statuses/"}

# Marks performance.now() the first frame each condition holds; `visible` needs a laid-out box.
PROBE = """
(() => {
  const marks = (window.__slowLine = {});
  const visible = (el) => { if (!el) return false; const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden'; };
  const header = () => visible(document.querySelector('header'));
  const hasText = (sel, text) => [...document.querySelectorAll(sel)]
    .some((el) => visible(el) && el.textContent.includes(text));
  const checks = {
    meaningful: () => {
      if (!header()) return false;
      const path = location.pathname;
      if (path.startsWith('/parcel/')) {
        const number = decodeURIComponent(path.split('/')[2] || '');
        return hasText('h1, [data-parcel-number]', number) &&
          visible(document.querySelector('.pc-skeleton, .parcel-header, .order-card'));
      }
      if (path.startsWith('/statuses')) return visible(document.querySelector('table'));
      if (path.startsWith('/login')) return visible(document.querySelector('form'));
      return visible(document.querySelector('.pc-skeleton, .parcel-card'));
    },
    card: () => visible(document.querySelector('.parcel-card, .parcel-header, .order-card')),
  };
  const tick = () => {
    for (const [name, check] of Object.entries(checks)) {
      if (!(name in marks)) { try { if (check()) marks[name] = performance.now(); } catch (e) {} }
    }
    if (Object.keys(marks).length < Object.keys(checks).length) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
"""


def one_load(browser, url: str, path: str, token: str, timeout_s: float) -> dict[str, float | None]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="ru-RU", is_mobile=True,
                                  has_touch=True, service_workers="block")
    try:
        context.add_cookies([{"name": "marketu_session", "value": token, "url": url, "sameSite": "Strict"}])
        context.add_init_script(PROBE)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send("Network.emulateNetworkConditions", {
            "offline": False, "latency": RTT_MS, "downloadThroughput": KBIT * 1000 / 8,
            "uploadThroughput": KBIT * 1000 / 8})
        page.goto(url + path, wait_until="commit", timeout=timeout_s * 1000)
        want_card = not path.startswith("/statuses")
        deadline = time.monotonic() + timeout_s
        marks: dict = {}
        while time.monotonic() < deadline:
            marks = page.evaluate("window.__slowLine || {}")
            if "meaningful" in marks and ("card" in marks or not want_card):
                break
            page.wait_for_timeout(100)  # polling the page's own marks; the times come from the page
        # The paint entry is queued after the frame is shown: give it a moment.
        fcp = page.evaluate("""() => new Promise((done) => {
          const read = () => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime;
          if (read()) return done(read());
          new PerformanceObserver(() => done(read() || null)).observe({type: 'paint', buffered: true});
          setTimeout(() => done(read() || null), 3000); })""")
        sizes = page.evaluate("""() => {
          const nav = performance.getEntriesByType('navigation')[0] || {};
          const css = performance.getEntriesByType('resource').filter((r) => r.renderBlockingStatus === 'blocking');
          return {doc: nav.transferSize || 0, blocking: css.reduce((n, r) => n + (r.transferSize || 0), 0)}; }""")
        return {"meaningful": marks.get("meaningful"), "card": marks.get("card") if want_card else None,
                "fcp": fcp, "final": page.url, **sizes}
    finally:
        context.close()


def line_floor_ms(doc_bytes: int, blocking_bytes: int) -> float:
    """Two round trips and the document's and stylesheet's bytes at the line's rate (see the docstring)."""
    return 2 * RTT_MS + (doc_bytes + blocking_bytes) / (KBIT * 1000 / 8) * 1000


BEGIN, END = "<!-- slow_line:begin -->", "<!-- slow_line:end -->"
SECTION = "## A phone on a slow line"


def write_docs(block: str) -> None:
    """Replaces the marked block of the section (or puts one right under the section's title)."""
    from bench._common import DOCS

    text = DOCS.read_text()
    block = f"{BEGIN}\n{block.rstrip()}\n{END}"
    if BEGIN in text and END in text:
        text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, text, count=1, flags=re.S)
    elif SECTION in text:
        text = text.replace(SECTION + "\n", f"{SECTION}\n\n{block}\n", 1)
    else:
        text = text.rstrip() + f"\n\n{SECTION}\n\n{block}\n"
    DOCS.write_text(text)


def fmt(ms: float | None) -> str:
    return "-" if ms is None else f"{ms / 1000:.2f}"


def median(values: list[float | None]) -> float | None:
    got = [v for v in values if v is not None]
    # A load that never showed the mark counts as worse than any that did.
    return statistics.median([v if v is not None else float("inf") for v in values]) if got else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--label", default="")
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--write-docs", action="store_true", help="this run's figures into docs/benchmarks.md")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="marketu-slow-"))
    copy = project_copy(work / "project")
    db_url = f"sqlite:///{work / 'bench.db'}"
    env = app_env(db_url, copy, MARKETU_DEMO="1", MARKETU_EMS_POLLER="0",
                  MARKETU_EMS_API_URL="http://127.0.0.1:9/api/v2")
    app = RunningApp(env, work / "app.log", cwd=copy).start()
    try:
        token = session_cookie(db_url)
        loads = []
        rows = []
        started = time.strftime("%H:%M", time.gmtime())
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            one_load(browser, app.url, "/", token, args.timeout)  # warm the server (not the browser)
            for name, path in PAGES.items():
                runs = []
                for i in range(args.runs):
                    load_before = os.getloadavg()[0]
                    r = one_load(browser, app.url, path, token, args.timeout)
                    runs.append(r)
                    loads.append(load_before)
                    print(f"{name} run {i + 1}: meaningful {fmt(r['meaningful'])} s, first card {fmt(r['card'])} s, "
                          f"FCP {fmt(r['fcp'])} s (load {load_before:.2f}) -> {r['final']}", flush=True)
                    assert "/login" not in r["final"], "not signed in"
                floor = median([line_floor_ms(r["doc"], r["blocking"]) for r in runs])
                row = (name, fmt(median([r['meaningful'] for r in runs])),
                       fmt(max((r['meaningful'] or float('inf')) for r in runs)),
                       fmt(median([r['card'] for r in runs])), fmt(median([r['fcp'] for r in runs])), fmt(floor),
                       f"{statistics.median(r['doc'] for r in runs) / 1000:.1f} KB + "
                       f"{statistics.median(r['blocking'] for r in runs) / 1000:.1f} KB")
                rows.append(row)
                print(f"== {name}: median meaningful {row[1]} s, first card {row[3]} s, FCP {row[4]} s; "
                      f"max meaningful {row[2]} s; the line alone allows {row[5]} s ({row[6]})", flush=True)
            browser.close()
        info = machine()
        uptime = os.popen('uptime').read().strip()
        print(f"{args.label} {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {info['nproc']} CPUs, "
              f"{info['chromium']}; load average during runs {min(loads):.2f}-{max(loads):.2f}, uptime: {uptime}")
        if args.write_docs:
            label = f" ({args.label})" if args.label else ""
            table = "\n".join(f"| {' | '.join(r)} |" for r in rows)
            write_docs(
                f"Latest run{label}, written by `bench/slow_line.py --runs {args.runs} --write-docs`: "
                f"{time.strftime('%Y-%m-%d', time.gmtime())} {started}-{time.strftime('%H:%M', time.gmtime())} UTC, "
                f"{info['nproc']} CPUs, {info['chromium']}, Python {sys.version.split()[0]}; load average (1 min) "
                f"before each load {min(loads):.2f}-{max(loads):.2f}; `uptime` at the end: {uptime}. "
                f"Median of {args.runs} cold loads per page.\n\n"
                "| page | meaningful, median (goal <= 2.0 s) | max | first card, median (goal <= 4.0 s) | FCP, median "
                "| the line alone allows | document + render-blocking CSS |\n|---|---|---|---|---|---|---|\n"
                + table + "\n")
            print("docs/benchmarks.md: written")
    finally:
        app.stop()
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
