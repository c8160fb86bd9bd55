"""The built site works offline: vendored JavaScript (scripts/vendor_js.py), the browser checks of
every page (scripts/check_site.py) and the publishing workflow. Nothing here needs the network;
the browser checks run against a small site made in a temporary folder, where Chromium exists."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import json
import re
import shutil
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def _load_script(name: str):
    spec = importlib.util.spec_from_file_location(f"_script_{name}", ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


vendor_js = _load_script("vendor_js")
check_site = _load_script("check_site")


def _sphinx_config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["sphinx"]["config"]


# --- the book's configuration points at the vendored files -----------------------------------


def test_config_points_the_pages_at_the_vendored_javascript():
    config, expected = _sphinx_config(), vendor_js.config_paths()
    assert config["html_extra_path"] == expected["html_extra_path"]
    assert config["mathjax_path"] == expected["mathjax_path"]
    assert list(config["nb_ipywidgets_js"]) == expected["nb_ipywidgets_js"], "RequireJS, set-up, manager, in order"
    for url in [config["mathjax_path"], *config["nb_ipywidgets_js"]]:
        assert "://" not in url and not url.startswith("//"), f"{url} is not a local path"
    for attributes in config["nb_ipywidgets_js"].values():
        assert not any("cdn" in str(v) or "://" in str(v) for v in (attributes or {}).values())


def test_vendored_javascript_stays_out_of_static_folders():
    """Jupyter Book 1 loads every .js file found in a `_static` folder into every page."""
    config = _sphinx_config()
    assert not any("_static" in p for p in config.get("html_static_path", []))
    for folder in config.get("html_static_path", []):  # e.g. the book's stylesheet: CSS only
        assert not list((ROOT / folder).rglob("*.js")), f"{folder} must not hold JavaScript"
    assert "_static" not in vendor_js.VENDOR_DIR.parts
    assert vendor_js.URL_PREFIX != "_static"
    # a build output: never committed
    assert vendor_js.VENDOR_DIR.parts[0] == "_build"
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert "_build/" in ignored or "_build" in ignored


def test_every_package_is_pinned_to_an_exact_version_and_checksum():
    names = [p.name for p in vendor_js.PACKAGES]
    assert len(names) == len(set(names))
    specs = {p.spec.rpartition("@")[0]: p.spec.rpartition("@")[2] for p in vendor_js.PACKAGES}
    assert set(specs) == {"mathjax", "requirejs", "@jupyter-widgets/html-manager"}
    for version in specs.values():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"pin an exact version, not {version!r}"
    assert specs["mathjax"].startswith("3."), "the pages are written for MathJax 3"
    assert specs["@jupyter-widgets/html-manager"].startswith("1."), "ipywidgets 8 needs html-manager 1.x"
    for package in vendor_js.PACKAGES:
        assert re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", package.integrity), package.spec
        assert any(package.entry == k or package.entry.startswith(k + "/") for k in package.keep)


def test_makefile_vendors_the_javascript_before_every_book_build():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    vendor_rule = re.search(r"^vendor:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert vendor_rule and "scripts/vendor_js.py" in vendor_rule.group(1)
    book_rule = re.search(r"^book:(.*)$", makefile, re.MULTILINE)
    assert book_rule and re.search(r"\bvendor\b", book_rule.group(1)), "make book must depend on vendor"


def test_make_test_builds_the_book_and_runs_the_browser_checks():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    test_rule = re.search(r"^test:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE).group(1)
    stages = [test_rule.find(s) for s in ("pytest tests", "scripts/test_notebooks.py", "scripts/check_site.py")]
    assert -1 not in stages and stages == sorted(stages), "package tests, notebook tests, then site checks"
    assert re.search(r"\$\(MAKE\)[^\n]*\bbook\b[^\n]*scripts/check_site\.py", test_rule)


def test_ci_installs_chromium_and_npm_where_missing():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "apt-get install" in ci and "chromium" in ci and "npm" in ci
    assert ci.index("apt-get install") < ci.index("\nmake test")


def test_playwright_is_a_test_dependency():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    test_extra = pyproject["project"]["optional-dependencies"]["test"]
    assert any(re.match(r"playwright\b", r) for r in test_extra)
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert any(r.replace(" ", "").endswith(".[book,test]") for r in pip), "conda gets the test extra"


# --- the vendoring logic, on made-up packages (no network) -----------------------------------


def _tarball(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def _sri(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def test_sri_matches_npm_integrity_format(tmp_path):
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert vendor_js.sri(empty) == _sri(b"")
    assert vendor_js.sri(empty).startswith("sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+D")


def test_unpack_keeps_only_the_files_the_pages_need(tmp_path):
    package = vendor_js.Package(
        name="demo", spec="demo@1.0.0", integrity="", keep=("dist",), entry="dist/main.js", drop_suffixes=(".map",)
    )
    tarball = _tarball(tmp_path / "demo.tgz", {
        "package/package.json": b"{}",
        "package/LICENSE": b"MIT",
        "package/dist/main.js": b"main()",
        "package/dist/font.woff2": b"font",
        "package/dist/main.js.map": b"{}",
        "package/src/main.ts": b"source",
        "package/distractor.js": b"no",
        "package/../escape.js": b"no",
    })  # fmt: skip
    written = vendor_js.unpack(package, tarball, tmp_path / "out")
    assert written == ["LICENSE", "dist/font.woff2", "dist/main.js", "package.json"]
    assert (tmp_path / "out" / "dist" / "main.js").read_bytes() == b"main()"
    assert not (tmp_path / "escape.js").exists()

    missing_entry = vendor_js.Package(name="demo", spec="demo@1.0.0", integrity="", keep=("src",), entry="dist/x.js")
    with pytest.raises(SystemExit, match="has no dist/x.js"):
        vendor_js.unpack(missing_entry, tarball, tmp_path / "out2")


@pytest.fixture
def fake_packages(tmp_path, monkeypatch):
    """Two made-up packages whose checked tarballs are already in the cache; npm is unavailable."""
    cache = tmp_path / vendor_js.VENDOR_DIR / vendor_js.CACHE_SUBDIR
    cache.mkdir(parents=True)
    packages = []
    for name, spec, files, entry in [
        ("alpha", "alpha@1.2.3", {"package/es5/alpha.js": b"alpha", "package/README.md": b"x"}, "es5/alpha.js"),
        ("beta", "@scope/beta@0.1.0", {"package/dist/beta.js": b"beta"}, "dist/beta.js"),
    ]:
        base, _, version = spec.rpartition("@")
        tarball = _tarball(cache / f"{base.lstrip('@').replace('/', '-')}-{version}.tgz", files)
        packages.append(vendor_js.Package(
            name=name, spec=spec, integrity=_sri(tarball.read_bytes()), keep=(entry.split("/")[0],), entry=entry,
        ))  # fmt: skip
    monkeypatch.setattr(vendor_js, "PACKAGES", tuple(packages))
    monkeypatch.setattr(vendor_js.shutil, "which", lambda name: None)  # any attempt to fetch fails
    return tmp_path


def test_vendor_unpacks_from_the_checked_cache_then_does_nothing(fake_packages):
    root = fake_packages
    assert not vendor_js.is_current(root)
    assert vendor_js.vendor(root) is True
    site = root / vendor_js.VENDOR_DIR / vendor_js.SITE_SUBDIR / vendor_js.URL_PREFIX
    assert (site / "alpha" / "es5" / "alpha.js").read_bytes() == b"alpha"
    assert (site / "beta" / "dist" / "beta.js").read_bytes() == b"beta"
    assert not (site / "alpha" / "README.md").exists()
    assert (site / vendor_js.WIDGETS_SETUP_NAME).read_text(encoding="utf-8") == vendor_js.WIDGETS_SETUP_JS
    assert json.loads((site / vendor_js.MANIFEST).read_text(encoding="utf-8")) == vendor_js.expected_manifest()
    assert vendor_js.is_current(root)
    # in place: no fetch, no unpacking (npm is unavailable here, and the cache may even be gone)
    shutil.rmtree(root / vendor_js.VENDOR_DIR / vendor_js.CACHE_SUBDIR)
    assert vendor_js.vendor(root) is False


def test_install_into_refreshes_an_html_output_that_an_incremental_build_left_stale(fake_packages, monkeypatch):
    root, html = fake_packages, fake_packages / "_build" / "html"
    with pytest.raises(SystemExit, match="not vendored yet"):
        vendor_js.install_into(html, root)
    vendor_js.vendor(root)
    assert vendor_js.install_into(html, root) is True
    assert (html / vendor_js.URL_PREFIX / "beta" / "dist" / "beta.js").read_bytes() == b"beta"
    assert vendor_js.install_into(html, root) is False
    (html / vendor_js.URL_PREFIX / vendor_js.MANIFEST).write_text("{}", encoding="utf-8")  # an older pin
    assert vendor_js.install_into(html, root) is True


def test_vendor_redoes_the_files_when_a_pin_changes(fake_packages, monkeypatch):
    root = fake_packages
    vendor_js.vendor(root)
    changed = vendor_js.PACKAGES[0].__class__(**{**vendor_js.PACKAGES[0].__dict__, "spec": "alpha@1.2.4"})
    monkeypatch.setattr(vendor_js, "PACKAGES", (changed, *vendor_js.PACKAGES[1:]))
    assert not vendor_js.is_current(root)
    with pytest.raises(SystemExit, match="npm is needed"):
        vendor_js.vendor(root)  # the new version is not in the cache and npm is unavailable


def test_a_tarball_with_the_wrong_checksum_is_not_used(fake_packages):
    root = fake_packages
    package = vendor_js.PACKAGES[0]
    cache = root / vendor_js.VENDOR_DIR / vendor_js.CACHE_SUBDIR
    tarball = next(cache.glob("alpha-*.tgz"))
    tarball.write_bytes(tarball.read_bytes() + b"tampered")
    with pytest.raises(SystemExit, match="npm is needed"):
        vendor_js.fetch(package, cache)


# --- the browser checks: pure parts ---------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [r"the loss \(L(x)\) is", r"\[ x^2 \]", "$$a+b$$", r"\begin{aligned} x \end{aligned}", "length $n_1$ here",
     "$x^2$", r"$\Sigma$"],
)  # fmt: skip
def test_raw_tex_is_found(text):
    assert check_site.raw_tex(text)


@pytest.mark.parametrize("text", ["costs $5 and $6", "a $ sign", "C-RASP programs", "f(x) = 2", "x_1 and y^2"])
def test_plain_text_is_not_raw_tex(text):
    assert check_site.raw_tex(text) == []


def test_site_pages_skip_assets_and_redirects_are_read(tmp_path):
    for rel in ["index.html", "book/intro.html", "_static/x.html", "_vendor/mathjax/a.html", "_sources/n.html"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("<html></html>")
    pages = [p.relative_to(tmp_path).as_posix() for p in check_site.site_pages(tmp_path)]
    assert pages == ["book/intro.html", "index.html"]
    (tmp_path / "index.html").write_text('<meta http-equiv="Refresh" content="0; url=book/intro.html" />')
    assert check_site.redirect_target(tmp_path / "index.html") == "book/intro.html"
    assert check_site.redirect_target(tmp_path / "book" / "intro.html") is None


def test_local_paths_of_urls(tmp_path):
    page = tmp_path / "a b.html"
    assert check_site.local_path(page.as_uri() + "?v=1#sec") == page
    assert check_site.local_path("https://example.org/x.html") is None
    assert check_site.is_local("data:image/png;base64,AAAA") and not check_site.is_local("https://example.org")


# --- the browser checks: a real browser on a small site --------------------------------------

GOOD_PAGE = """<!DOCTYPE html><html><head><title>good</title></head><body>
<h1 id="top">A good page</h1><p>Prices like $5 and $6 are not TeX.</p>
<img alt="dot" src="dot.png"><a href="bad.html">bad</a> <a href="#top">top</a>
</body></html>"""

BAD_PAGE = """<!DOCTYPE html><html><head><title>bad</title></head><body>
<p>Raw TeX: $x^2$ was never typeset.</p>
<p><span class="math notranslate nohighlight">\\(y\\)</span></p>
<img alt="missing" src="missing.png">
<img alt="remote" src="https://example.invalid/remote.png">
<a href="nowhere.html">broken</a> <a href="good.html#no-such-anchor">anchor</a>
<script type="application/vnd.jupyter.widget-state+json">{"version_major": 2, "version_minor": 0, "state": {}}</script>
<div><script type="application/vnd.jupyter.widget-view+json">{"version_major": 2, "version_minor": 0, "model_id": "abc"}</script></div>
<script>console.error("something broke");</script>
</body></html>"""

PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def _chromium_or_skip() -> str:
    chromium = check_site.find_chromium()
    if chromium is None:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    pytest.importorskip("playwright")
    return chromium


def test_browser_checks_pass_a_good_page_and_catch_every_kind_of_fault(tmp_path, capsys):
    chromium = _chromium_or_skip()
    site = tmp_path / "html"
    site.mkdir()
    (site / "index.html").write_text('<meta http-equiv="Refresh" content="0; url=good.html" />')
    (site / "good.html").write_text(GOOD_PAGE)
    (site / "bad.html").write_text(BAD_PAGE)
    (site / "dot.png").write_bytes(PNG_1X1)

    results = {r.page: r for r in check_site.run(site, chromium, tmp_path / "shots", budget_ms=3000)}
    assert results["good.html"].ok, results["good.html"].problems
    assert results["index.html"].ok
    bad = results["bad.html"].problems
    assert any("something broke" in m for m in bad["console"])
    assert any("example.invalid" in m for m in bad["offline"])
    assert any("$x^2$" in m for m in bad["math"]) and any("MathJax did not load" in m for m in bad["math"])
    assert any("did not render" in m for m in bad["widgets"])
    assert any("missing.png" in m for m in bad["images"])
    assert any("nowhere.html" in m for m in bad["links"])
    assert any("good.html#no-such-anchor" in m for m in bad["links"])
    search = results[f"search.html?q={check_site.SEARCH_TERM}"]
    assert "search" in search.problems  # this site has no search page
    assert {p.name for p in (tmp_path / "shots").iterdir()} == {"good.png", "bad.png"}

    assert check_site.main(["--html", str(site), "--no-screenshots", "--timeout", "3"]) == 1
    assert capsys.readouterr().out.rstrip().splitlines()[-1] == "2 passed, 2 failed"


# --- publishing ---------------------------------------------------------------------------------


def _readme_build_command() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = re.search(r"^## Quick start\n(.*?)(?=^## )", readme, re.MULTILINE | re.DOTALL)
    assert quick_start, "README has no Quick start section"
    block = re.search(r"```(?:bash|sh|console)?\n(.*?)```", quick_start.group(1), re.DOTALL)
    assert block, "README's Quick start has no command block"
    commands = [line.strip() for line in block.group(1).splitlines() if line.strip()]
    builds = [c for c in commands if re.search(r"\bbook\b", c)]
    assert len(builds) == 1, f"expected one command that builds the book in the Quick start: {commands}"
    return builds[0]


def _workflow() -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / "publish.yml").read_text(encoding="utf-8"))


def test_publish_workflow_builds_with_the_readmes_command():
    workflow = _workflow()
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "push" in triggers and "workflow_dispatch" in triggers
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    runs = [step["run"].strip() for step in steps if "run" in step]
    assert runs == [_readme_build_command()], "the only command the workflow runs is the README's build"


def test_publish_workflow_publishes_the_built_html():
    jobs = _workflow()["jobs"]
    uses = {step.get("uses", "").split("@")[0]: step for job in jobs.values() for step in job["steps"]}
    assert uses["actions/upload-pages-artifact"]["with"]["path"] == "_build/html"
    assert "actions/deploy-pages" in uses
    assert "actions/setup-node" in uses, "make book fetches the JavaScript with npm"
