"""Lighthouse (mobile, simulated throttling) on the prod build: statuses page and the signed-in parcels page.

    npm i -E --prefix .tools/lighthouse lighthouse@12.8.2     # once; .tools/ is not committed
    .venv/bin/python bench/lighthouse.py                       # median of 3 runs per page
    .venv/bin/python bench/lighthouse.py --runs 5 --write-docs # update docs/benchmarks.md

The app runs from a COPY of the project (its own .web build) with the demo data, so the shared
/work/main/.web is untouched. The signed-in page needs the session cookie in `document.cookie`
(Reflex reads rx.Cookie in the browser, so an `--extra-headers` Cookie is not enough): the script
starts Chromium itself, puts the cookie in via CDP and lets Lighthouse drive it with `--port`.
Lighthouse clears cache, service workers and Cache Storage before each run, but keeps cookies.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.app_process import CHROMIUM, CHROMIUM_ARGS, RunningApp, app_env, free_port, project_copy  # noqa: E402
from tests.e2e.conftest import DEMO_PHONE  # noqa: E402

LIGHTHOUSE = ROOT / ".tools" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
DOCS = ROOT / "docs" / "benchmarks.md"
SECTION = "## PWA and Lighthouse"
COPY_ITEMS = ("marketu_app", "assets", "rxconfig.py", "alembic.ini", "pyproject.toml")
CATEGORIES = ("performance", "accessibility", "best-practices")
AUDITS = ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift",
          "speed-index")


def session_cookie(db_url: str) -> str:
    """A session for the demo customer, created directly in the copy's database."""
    from sqlmodel import Session, create_engine, select

    from marketu_app.auth.sessions import create_session
    from marketu_app.db.models import Customer

    engine = create_engine(db_url)
    with Session(engine) as db:
        customer = db.exec(select(Customer).where(Customer.phone == DEMO_PHONE)).one()
        token = create_session(db, customer.id)
        db.commit()
    engine.dispose()
    return token


class Chromium:
    """Debian Chromium with a DevTools port, for Lighthouse's --port."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.profile = workdir / f"chrome-{self.port}"
        self.proc = subprocess.Popen(
            [CHROMIUM, *CHROMIUM_ARGS, f"--remote-debugging-port={self.port}", f"--user-data-dir={self.profile}",
             "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        import httpx
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/json/version", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("Chromium did not open its DevTools port")

    def set_cookie(self, url: str, name: str, value: str) -> None:
        from playwright.sync_api import sync_playwright
        with sync_playwright() as p:
            browser = p.chromium.connect_over_cdp(f"http://127.0.0.1:{self.port}")
            browser.contexts[0].add_cookies([{"name": name, "value": value, "url": url, "sameSite": "Strict"}])
            browser.close()  # disconnects; the browser keeps running

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def lighthouse_cmd(url: str, port: int, out: Path) -> list[str]:
    return [str(LIGHTHOUSE), url, f"--port={port}", "--form-factor=mobile", "--screenEmulation.mobile",
            "--throttling-method=simulate", f"--only-categories={','.join(CATEGORIES)}", "--output=json",
            f"--output-path={out}", "--quiet"]


def run_lighthouse(url: str, port: int, out: Path, env: dict[str, str]) -> dict:
    subprocess.run(lighthouse_cmd(url, port, out), env=env, check=True, timeout=300)
    report = json.loads(out.read_text())
    scripts = [r for r in report["audits"]["network-requests"]["details"]["items"] if r.get("resourceType") == "Script"]
    result = {c: report["categories"][c]["score"] for c in CATEGORIES}
    result.update({a: report["audits"][a]["numericValue"] for a in AUDITS})
    result["js_transfer_kb"] = sum(r.get("transferSize", 0) for r in scripts) / 1024
    result["js_count"] = len(scripts)
    result["final_url"] = report.get("finalDisplayedUrl") or report.get("finalUrl")
    result["failed"] = sorted(k for k, v in report["audits"].items()
                              if v.get("score") is not None and v["score"] < 0.9
                              and v.get("scoreDisplayMode") in ("binary", "numeric", "metricSavings"))
    result["lighthouse"] = report["lighthouseVersion"]
    result["where"] = where_the_time_goes(report)
    return result


def where_the_time_goes(report: dict) -> str:
    """The long tasks after the first paint (what total blocking time counts) and the shifted elements."""
    audits = report["audits"]
    fcp = audits["first-contentful-paint"]["numericValue"]
    tasks = [f"{t['duration']:.0f} ms {t['url'].rsplit('/', 1)[-1] or t['url']}"
             for t in audits["long-tasks"].get("details", {}).get("items", []) if t["startTime"] + t["duration"] > fcp]
    shifts = [f"{s['score']:.3f} {s['node'].get('selector', '?')}"
              for s in audits["layout-shifts"].get("details", {}).get("items", [])]
    return f"long tasks after FCP: {', '.join(tasks) or '-'}; shifts: {', '.join(shifts) or '-'}"


def first_load_js(build: Path, html: str) -> tuple[int, int, int]:
    """Gzip, brotli (the build's .br sidecars) and raw bytes of the scripts an HTML page loads up front."""
    text = (build / html).read_text()
    # modulepreload links, the module entry, and the list first_paint.css_first moved behind the stylesheet
    files = [build / f.lstrip("/") for f in set(re.findall(r'"(/assets/[^"]+\.js)"', text))]
    gz = sum(len(gzip.compress(f.read_bytes(), 9)) for f in files)
    br = sum(f.with_name(f.name + ".br").stat().st_size if f.with_name(f.name + ".br").exists() else 0
             for f in files)
    raw = sum(f.stat().st_size for f in files)
    return gz, br, raw


def median_of(runs: list[dict]) -> dict:
    out = {}
    for key in runs[0]:
        values = [r[key] for r in runs]
        out[key] = statistics.median(values) if isinstance(values[0], (int, float)) else values[len(values) // 2]
    return out


def machine() -> dict[str, str]:
    mem = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout.split("\n")[1].split()[1]
    chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    return {"nproc": str(os.cpu_count()), "mem_gb": mem, "python": platform.python_version(),
            "chromium": chromium.split(" built")[0], "node": subprocess.run(
                ["node", "--version"], capture_output=True, text=True).stdout.strip()}


BEGIN, END = "<!-- lighthouse:begin -->", "<!-- lighthouse:end -->"


def write_docs(results: dict[str, dict], js: dict[str, tuple[int, int, int]], info: dict[str, str], runs: int,
               version: str) -> None:
    """This run's figures, and nothing else, into the marked block of the section (the prose around it, the
    history and the reading of the figures, is written by hand)."""
    rows = ["| page | performance | accessibility | best practices | FCP | LCP | TBT | CLS | JS transferred |",
            "|---|---|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        rows.append(f"| {name} | {r['performance']:.2f} | {r['accessibility']:.2f} | {r['best-practices']:.2f} | "
                    f"{r['first-contentful-paint'] / 1000:.1f} s | {r['largest-contentful-paint'] / 1000:.1f} s | "
                    f"{r['total-blocking-time']:.0f} ms | {r['cumulative-layout-shift']:.3f} | "
                    f"{r['js_transfer_kb']:.0f} KB ({r['js_count']} scripts) |")
    js_rows = [f"| {page} | {gz / 1024:.0f} KB | {br / 1024:.0f} KB | {raw / 1024:.0f} KB |"
               for page, (gz, br, raw) in js.items()]
    block = f"""{BEGIN}
Latest run, written by `.venv/bin/python bench/lighthouse.py --runs {runs} --write-docs`: Lighthouse {version},
median of {runs} runs per page; {info['date']}; {info['nproc']} CPUs, {info['mem_gb']} GB RAM, Python {info['python']},
{info['chromium']}, Node {info['node']}; load average (1 min): {info['load']}; `uptime` at the end: {info['uptime']}.

{chr(10).join(rows)}

First-load JavaScript of the built pages (modulepreloads + entry; gzip -9; brotli: the build's sidecars):

| page | gzip | brotli | raw |
|---|---|---|---|
{chr(10).join(js_rows)}
{END}"""
    text = DOCS.read_text()
    if BEGIN in text and END in text:
        text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, text, count=1, flags=re.S)
    elif SECTION in text:
        text = text.replace(SECTION + "\n", f"{SECTION}\n\n{block}\n", 1)
    else:
        text = text.rstrip("\n") + f"\n\n{SECTION}\n\n{block}\n"
    DOCS.write_text(text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--write-docs", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the work folder (reports, app log)")
    args = ap.parse_args()
    if not LIGHTHOUSE.exists():
        sys.exit(f"missing {LIGHTHOUSE}: npm i -E --prefix .tools/lighthouse lighthouse@12.8.2")

    work = Path(tempfile.mkdtemp(prefix="marketu-lh-"))
    copy = project_copy(work / "project")
    db_url = f"sqlite:///{work / 'bench.db'}"
    env = app_env(db_url, copy, MARKETU_DEMO="1", MARKETU_EMS_POLLER="0", MARKETU_EMS_API_URL="http://127.0.0.1:9/api/v2")
    lh_env = dict(os.environ, CHROME_PATH=CHROMIUM, XDG_CONFIG_HOME=str(work / "xdg"),
                  XDG_CACHE_HOME=str(work / "xdg-cache"))
    started, load = time.monotonic(), os.getloadavg()
    app = RunningApp(env, work / "app.log", cwd=copy).start()
    print(f"app up in {time.monotonic() - started:.0f} s at {app.url} (copy {copy})", flush=True)
    chrome = None
    try:
        token = session_cookie(db_url)
        chrome = Chromium(work)
        chrome.set_cookie(app.url, "marketu_session", token)
        # /statuses answers with a redirect to /statuses/ (the static export layout): measure the page itself.
        pages = {"statuses (/statuses/)": "/statuses/", "parcels, signed in (/)": "/"}
        results = {}
        for name, path in pages.items():
            runs = []
            for i in range(args.runs):
                r = run_lighthouse(app.url + path, chrome.port, work / f"lh-{path.strip('/') or 'root'}-{i}.json",
                                   lh_env)
                print(f"{name} run {i + 1}: perf {r['performance']:.2f} a11y {r['accessibility']:.2f} "
                      f"bp {r['best-practices']:.2f} FCP {r['first-contentful-paint']:.0f} ms "
                      f"LCP {r['largest-contentful-paint']:.0f} ms JS {r['js_transfer_kb']:.0f} KB "
                      f"-> {r['final_url']}; below 0.9: {', '.join(r['failed']) or '-'}\n    {r['where']}", flush=True)
                runs.append(r)
            results[name] = median_of(runs)
        assert results["parcels, signed in (/)"]["final_url"].rstrip("/") == app.url, "not signed in"
        build = copy / ".web" / "build" / "client"
        js = {p: first_load_js(build, p) for p in ("index.html", "statuses.html", "parcel-shell.html",
                                                       "__spa-fallback.html") if (build / p).exists()}
        for page, (gz, br, raw) in js.items():
            print(f"first-load JS {page}: {gz / 1024:.0f} KB gzip, {br / 1024:.0f} KB brotli, {raw / 1024:.0f} KB raw")
        version = results["statuses (/statuses/)"]["lighthouse"]
        print(json.dumps(results, indent=1, default=str))
        if args.write_docs:
            write_docs(results, js, dict(machine(), load=f"{load[0]:.1f} at start, {os.getloadavg()[0]:.1f} at end",
                                         date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                                         uptime=os.popen("uptime").read().strip()), args.runs, version)
    finally:
        if chrome:
            chrome.stop()
        app.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")


if __name__ == "__main__":
    main()
