#!/usr/bin/env python3
"""Open every page of the built book in headless Chromium, offline, and check what a reader sees.

Each page is opened from disk (file://) with the network cut: any request that is not for a
local file fails the page. Checks on every page:

- console: no console error and no uncaught JavaScript exception;
- offline: no request leaves the disk, and every local file a page asks for exists;
- math: every formula is typeset by MathJax (no MathJax error), and no raw TeX (\\( \\[ $$ or $x^2$)
  is left in the visible text;
- widgets: where a page has saved widget state, every widget view renders;
- images: every image loads (naturalWidth > 0);
- links: every link to a local file points to an existing file, and its #anchor exists.

The search page must return results for "C-RASP". A screenshot of each page goes to
`_build/screenshots/<page>.png`. The last line reads `N passed, N failed` (pages and the search).

Uses Debian's Chromium (`apt-get install chromium`) through Playwright; it never downloads a
browser. Without Chromium it says so and exits 0 without checking anything.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "chromium-headless-shell", "google-chrome")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    # no name resolves: nothing can leave the machine even if a request slipped past the router
    "--host-resolver-rules=MAP * ~NOTFOUND",
]
LOCAL_SCHEMES = ("file", "data", "blob", "about")
# Output folders of the build that hold assets, not pages.
NON_PAGE_DIRS = {"_static", "_sources", "_images", "_vendor", "reports", "_downloads"}
SEARCH_TERM = "C-RASP"
TIMEOUT_MS = 30_000

# Raw TeX in visible text: \( \[ $$ \begin{, or $...$ around something TeX-like.
RAW_TEX = re.compile(r"\\\(|\\\[|\$\$|\\begin\{|\$(?=[^$\s])[^$\n]*?[\\^_{][^$\n]*?\$")


def raw_tex(text: str) -> list[str]:
    """Snippets of `text` that look like TeX a MathJax pass should have typeset."""
    found = []
    for match in RAW_TEX.finditer(text):
        start, end = max(0, match.start() - 30), min(len(text), match.end() + 30)
        found.append(" ".join(text[start:end].split()))
    return found


def find_chromium(explicit: str | None = None) -> str | None:
    """Path of a Chromium executable: `explicit`, $CHROMIUM, or the first one on PATH."""
    for candidate in (explicit, os.environ.get("CHROMIUM")):
        if candidate:
            return candidate if Path(candidate).is_file() else shutil.which(candidate)
    for name in CHROMIUM_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def site_pages(html_dir: Path) -> list[Path]:
    """Every HTML page of the built site (not the assets), sorted."""
    pages = []
    for path in sorted(html_dir.rglob("*.html")):
        rel = path.relative_to(html_dir)
        if not (set(rel.parts[:-1]) & NON_PAGE_DIRS):
            pages.append(path)
    return pages


def local_path(url: str) -> Path | None:
    """The file a file:// URL points to (query and fragment dropped); None for other schemes."""
    parts = urlsplit(url)
    if parts.scheme != "file":
        return None
    return Path(url2pathname(unquote(parts.path)))


REDIRECT = re.compile(r'<meta\s+http-equiv="refresh"\s+content="\d+;\s*url=([^"]+)"', re.IGNORECASE)


def redirect_target(path: Path) -> str | None:
    """Where a redirect-only page (such as the root index.html) sends the reader, else None."""
    if path.stat().st_size > 2048:
        return None
    match = REDIRECT.search(path.read_text(encoding="utf-8", errors="replace"))
    return match.group(1) if match else None


def is_local(url: str) -> bool:
    return urlsplit(url).scheme in LOCAL_SCHEMES


@dataclass
class PageResult:
    page: str
    problems: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)  # what was checked: formulas, widgets, ...

    def add(self, check: str, message: str) -> None:
        messages = self.problems.setdefault(check, [])
        if message not in messages:
            messages.append(message)

    @property
    def ok(self) -> bool:
        return not self.problems


# Runs in the page once it has loaded: waits for MathJax and the widgets, then reports.
SETTLE_JS = """
async (timeoutMs) => {
  const deadline = Date.now() + timeoutMs;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const mathNodes = () => [...document.querySelectorAll('span.math, div.math')];
  // MathJax (deferred script) typesets once the DOM is ready.
  const within = (promise) => Promise.race([promise, sleep(Math.max(0, deadline - Date.now()))]);
  if (mathNodes().length) {
    while (!(window.MathJax && MathJax.startup && MathJax.startup.promise) && Date.now() < deadline) await sleep(50);
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      try { await within(MathJax.startup.promise); } catch (e) {}
    }
  }
  // The HTML manager puts a rendered view right before each widget-view script.
  const views = () => [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')];
  const rendered = (s) => {
    const prev = s.previousElementSibling;
    return !!(prev && prev.classList.contains('widget-subarea') && prev.querySelector('.jupyter-widgets, .lm-Widget'));
  };
  const broken = () => [...document.querySelectorAll('.jupyter-widgets-error-widget')];
  const hasState = !!document.querySelector('script[type="application/vnd.jupyter.widget-state+json"]');
  if (hasState) {
    while (views().some((s) => !rendered(s)) && Date.now() < deadline) await sleep(100);
  }
  // Images: lazy ones are asked for now; wait until every image has finished.
  for (const img of document.images) if (img.loading === 'lazy') img.loading = 'eager';
  while ([...document.images].some((i) => !i.complete) && Date.now() < deadline) await sleep(50);
  // widget labels are typeset after the widgets render
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    try { await within(MathJax.startup.promise); } catch (e) {}
  }

  const skip = new Set(['SCRIPT', 'STYLE', 'PRE', 'CODE', 'TEXTAREA', 'NOSCRIPT', 'MJX-CONTAINER', 'MJX-ASSISTIVE-MML', 'svg']);
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode(node) {
      for (let el = node.parentElement; el; el = el.parentElement) {
        if (skip.has(el.tagName) || el.classList.contains('highlight')) return NodeFilter.FILTER_REJECT;
      }
      return NodeFilter.FILTER_ACCEPT;
    },
  });
  // Text is joined per block so that a formula split over several text nodes is still seen.
  let node, last = null, buf = '';
  while ((node = walker.nextNode())) {
    const block = node.parentElement.closest('p, li, td, th, dd, dt, h1, h2, h3, h4, h5, h6, div, span');
    if (block !== last && buf) { texts.push(buf); buf = ''; }
    last = block; buf += node.textContent;
  }
  if (buf) texts.push(buf);

  const describe = (el) => (el.id ? '#' + el.id : '') + ' ' + el.textContent.trim().slice(0, 60);
  return {
    mathjax: !!(window.MathJax && MathJax.startup),
    math: mathNodes().length,
    untypeset: mathNodes().filter((m) => !m.querySelector('mjx-container')).map(describe),
    mathErrors: [...document.querySelectorAll('mjx-merror')].map((e) => e.getAttribute('data-mjx-error') || e.textContent.slice(0, 80)),
    texts,
    hasState,
    views: views().length,
    unrendered: views().filter((s) => !rendered(s)).map((s) => s.textContent.trim().slice(0, 80)),
    widgetErrors: broken().map((e) => e.textContent.trim().slice(0, 120)),
    images: [...document.images].map((i) => ({ src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0 })),
    links: [...document.querySelectorAll('a[href], link[href], area[href]')].map((a) => a.href),
    sources: [...document.querySelectorAll('script[src], img[src], iframe[src], source[src], video[src], audio[src]')].map((e) => e.src),
    ids: [...document.querySelectorAll('[id], a[name]')].map((e) => e.id || e.getAttribute('name')),
  };
}
"""


def check_page(page, url: str, result: PageResult, budget_ms: int = TIMEOUT_MS) -> dict:
    """Load one page in a fresh tab and record every problem on `result`; returns the page report."""
    page.on("console", lambda msg: msg.type == "error" and result.add("console", msg.text.strip()[:300]))
    page.on("pageerror", lambda err: result.add("console", f"uncaught exception: {str(err)[:300]}"))
    page.on("requestfailed", lambda req: is_local(req.url) and result.add(
        "offline", f"failed to load {req.url} ({req.failure})"))  # fmt: skip
    page.goto(url, wait_until="load", timeout=budget_ms)
    report = page.evaluate(SETTLE_JS, budget_ms)
    # network-idle-ish: let late requests (fonts, lazy modules) show up in the log
    page.wait_for_timeout(200)

    result.counts = {
        "formulas": report["math"],
        "widget views": report["views"],
        "images": len(report["images"]),
        "local links": sum(local_path(u) is not None for u in report["links"]),
    }
    if report["math"]:
        if not report["mathjax"]:
            result.add("math", f"{report['math']} formulas but MathJax did not load")
        for item in report["untypeset"][:5]:
            result.add("math", f"formula not typeset: {item}")
    for err in report["mathErrors"][:5]:
        result.add("math", f"MathJax error: {err}")
    for text in report["texts"]:
        for snippet in raw_tex(text):
            result.add("math", f"raw TeX in text: {snippet!r}")

    if report["views"] and not report["hasState"]:
        result.add("widgets", f"{report['views']} widget views but no saved widget state")
    for view in report["unrendered"]:
        result.add("widgets", f"widget view did not render: {view}")
    for error in report["widgetErrors"]:
        result.add("widgets", f"widget shows an error: {error}")

    for image in report["images"]:
        if not image["ok"]:
            result.add("images", f"image did not load: {image['src'][:200]}")
    return report


def check_links(reports: dict[str, dict], html_dir: Path, results: dict[str, PageResult]) -> None:
    """Every local link and source points to an existing file; anchors into site pages exist."""
    ids = {str(Path(p).resolve()): set(r["ids"]) for p, r in reports.items()}
    for page_path, report in reports.items():
        result = results[page_path]
        for url in sorted(set(report["links"]) | set(report["sources"])):
            target = local_path(url)
            if target is None:
                continue
            if not target.exists():
                result.add("links", f"missing file: {os.path.relpath(target, html_dir)}")
                continue
            fragment = unquote(urlsplit(url).fragment)
            known = ids.get(str(target.resolve()))
            if fragment and known is not None and fragment not in known:
                result.add("links", f"missing anchor: {os.path.relpath(target, html_dir)}#{fragment}")


def check_search(
    context, html_dir: Path, screenshots: Path | None, result: PageResult, budget_ms: int = TIMEOUT_MS
) -> PageResult:
    start = time.perf_counter()
    search = html_dir / "search.html"
    if not search.is_file():
        result.add("search", "the site has no search.html")
        return result
    page = context.new_page()
    try:
        page.on("pageerror", lambda err: result.add("console", f"uncaught exception: {str(err)[:300]}"))
        page.on("console", lambda msg: msg.type == "error" and result.add("console", msg.text.strip()[:300]))
        page.goto(search.as_uri() + f"?q={SEARCH_TERM}", wait_until="load", timeout=budget_ms)
        try:
            # Sphinx adds results one by one and then writes its summary line
            page.wait_for_function(
                "() => { const s = document.querySelector('#search-results .search-summary');"
                " return !!(s && s.textContent.trim()); }",
                timeout=budget_ms,
            )
        except Exception:  # noqa: BLE001 - reported below
            pass
        hits = page.eval_on_selector_all("#search-results li a, ul.search li a", "els => els.map(e => e.href)")
        if not hits:
            result.add("search", f"no results for {SEARCH_TERM!r}")
        result.counts = {"results": len(hits)}
        for url in hits:
            target = local_path(url)
            if target is not None and not target.exists():
                result.add("search", f"result points to a missing file: {url}")
        if screenshots is not None:
            page.screenshot(path=str(screenshots / "search-results.png"), full_page=True)
    finally:
        page.close()
    result.seconds = time.perf_counter() - start
    return result


def run(
    html_dir: Path, chromium: str, screenshots: Path | None, only: str | None = None, budget_ms: int = TIMEOUT_MS
) -> list[PageResult]:
    """Check every page (or those whose path contains `only`) and the search; one result each."""
    from playwright.sync_api import sync_playwright

    pages = [p for p in site_pages(html_dir) if not only or only in p.relative_to(html_dir).as_posix()]
    if not pages:
        raise SystemExit(f"check_site: no HTML pages under {html_dir}")
    if screenshots is not None:
        screenshots.mkdir(parents=True, exist_ok=True)
    results: dict[str, PageResult] = {}
    reports: dict[str, dict] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
        current: list[PageResult] = []  # the page being checked

        def route(route_, request):
            if is_local(request.url):
                route_.continue_()
            else:
                if current:
                    current[-1].add("offline", f"network request: {request.url[:200]}")
                route_.abort("internetdisconnected")

        context.route("**/*", route)
        for path in pages:
            rel = path.relative_to(html_dir).as_posix()
            result = results[str(path)] = PageResult(page=rel)
            current.append(result)
            start = time.perf_counter()
            target = redirect_target(path)
            if target is not None:  # its target is checked as a page of its own
                if not (path.parent / target.split("#")[0]).is_file():
                    result.add("links", f"redirects to a missing file: {target}")
                print(f"  checked redirect {rel} -> {target}", flush=True)
                continue
            page = context.new_page()
            page.on("request", lambda req, r=result: is_local(req.url) or r.add(
                "offline", f"network request: {req.url[:200]}"))  # fmt: skip
            try:
                reports[str(path)] = check_page(page, path.as_uri(), result, budget_ms)
                if screenshots is not None:
                    name = rel[: -len(".html")].replace("/", "__") + ".png"
                    page.screenshot(path=str(screenshots / name), full_page=True)
            except Exception as err:  # noqa: BLE001 - a page that cannot be checked fails
                result.add("load", f"{type(err).__name__}: {str(err).splitlines()[0][:300]}")
            finally:
                page.close()
            result.seconds = time.perf_counter() - start
            print(f"  opened {rel} ({result.seconds:.1f} s)", flush=True)
        check_links(reports, html_dir, results)
        current.append(PageResult(page=f"search.html?q={SEARCH_TERM}"))
        search = check_search(context, html_dir, screenshots, current[-1], budget_ms)
        browser.close()
    return [*results.values(), search]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html", help="the built site")
    parser.add_argument("--screenshots", type=Path, default=ROOT / "_build" / "screenshots")
    parser.add_argument("--no-screenshots", action="store_true")
    parser.add_argument("--chromium", help="Chromium executable (default: $CHROMIUM or chromium on PATH)")
    parser.add_argument("--page", help="check only pages whose path contains this text")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--timeout", type=float, default=TIMEOUT_MS / 1000, help="seconds to wait per page")
    args = parser.parse_args(argv)

    if not (args.html / "index.html").is_file():
        print(f"check_site: no built book at {args.html} (run make book first)")
        return 1
    chromium = find_chromium(args.chromium)
    if chromium is None:
        print("check_site: SKIPPED, Chromium is not installed (Debian: apt-get install chromium); "
              "the built site was not checked in a browser")  # fmt: skip
        return 0
    try:
        import playwright  # noqa: F401
    except ImportError:
        print("check_site: the Python package playwright is missing (pip install -e '.[test]')")
        return 1

    start = time.perf_counter()
    screenshots = None if args.no_screenshots else args.screenshots
    results = run(args.html, chromium, screenshots, args.page, int(args.timeout * 1000))
    for r in results:
        status = "PASS" if r.ok else "FAIL"
        counted = ", ".join(f"{n} {what}" for what, n in r.counts.items())
        print(f"{status} {r.page} ({r.seconds:.1f} s{'; ' + counted if counted else ''})")
        for check, messages in r.problems.items():
            for message in messages[:10]:
                print(f"    [{check}] {message}")
            if len(messages) > 10:
                print(f"    [{check}] ... and {len(messages) - 10} more")
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in results], indent=2), encoding="utf-8")
    failed = sum(not r.ok for r in results)
    where = f"; screenshots in {screenshots}" if screenshots else ""
    print(f"browser checks of {args.html} with {chromium}: {time.perf_counter() - start:.1f} s{where}")
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
