#!/usr/bin/env python3
"""Vendor the JavaScript that the book's pages load, so the built site works without internet.

MathJax (formulas), RequireJS and the ipywidgets HTML manager (widgets) come from the npm
registry at the versions pinned in PACKAGES (the only place they are pinned). `npm pack`
fetches each tarball into a cache, its sha512 is checked against the pin, and the files the
pages need are unpacked into `_build/vendor/site/_vendor/<name>/`, with a small set-up script
for the widget manager (WIDGETS_SETUP_JS). In `_config.yml`,
`html_extra_path` copies that tree into the HTML output (`_build/html/_vendor/`), and
`mathjax_path` and `nb_ipywidgets_js` point the pages at it (see `config_paths`).

`make book` runs this script before every build (once the files are in place it does nothing
and needs no network) and, with `--into _build/html`, after it: a build that writes no page
copies no extra files, so a changed pin would otherwise leave the old files in the output.
`--check` only reports whether the files are in place.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR_DIR = Path("_build") / "vendor"  # relative to the repository root
SITE_SUBDIR = "site"  # VENDOR_DIR/site is html_extra_path: its contents land in _build/html/
CACHE_SUBDIR = "npm"  # VENDOR_DIR/npm holds the checked tarballs
URL_PREFIX = "_vendor"  # where the files appear in the built site
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Package:
    """One npm package: what to fetch, what to keep, and the file the pages load."""

    name: str  # directory under _vendor/
    spec: str  # npm name@version, exact
    integrity: str  # the registry's sha512 of the tarball
    keep: tuple[str, ...]  # paths inside the package (files or directories) to copy
    entry: str  # the file the pages load, relative to the package
    drop_suffixes: tuple[str, ...] = ()


PACKAGES: tuple[Package, ...] = (
    Package(
        name="mathjax",
        spec="mathjax@3.2.2",
        integrity="sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
        keep=("es5",),
        entry="es5/tex-mml-chtml.js",
    ),
    Package(
        name="requirejs",
        spec="requirejs@2.3.8",
        integrity="sha512-7/cTSLOdYkNBNJcDMWf+luFvMriVm7eYxp4BcFCsAX0wF421Vyce5SXP17c+Jd5otXKGNehIonFlyQXSowL6Mw==",
        keep=("require.js",),
        entry="require.js",
    ),
    Package(
        # 1.0.x is the manager of ipywidgets 8 (widget protocol 2.0)
        name="html-manager",
        spec="@jupyter-widgets/html-manager@1.0.15",
        integrity="sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA==",
        keep=("dist",),
        entry="dist/embed-amd.js",
        # source maps (6 MB) and the non-AMD bundle are not loaded by the pages
        drop_suffixes=(".map", "dist/embed.js"),
    ),
)


# Written next to the HTML manager and loaded between RequireJS and it (see config_paths). Two
# fixes that the default CDN set-up lacks as well:
# 1. the manager's modules locate their fonts from their RequireJS address, which by default is
#    relative to the page (notebooks/@jupyter-widgets/...); the paths below point it at dist/;
# 2. ipywidgets 8 typesets widget labels through MathJax 2's MathJax.Hub.Queue, which MathJax 3
#    lacks (every widget label then throws); the call is handed to MathJax 3's typesetPromise.
WIDGETS_SETUP_NAME = "html-manager/offline-setup.js"
WIDGETS_SETUP_JS = """\
/* Written by scripts/vendor_js.py: lets the ipywidgets HTML manager run from this offline copy. */
(function () {
  var here = document.currentScript && document.currentScript.src;
  if (here) {
    var dist = here.replace(/[?#].*$/, "").replace(/[^/]*$/, "") + "dist";
    if (window.require && window.require.config) {
      window.require.config({
        paths: { "@jupyter-widgets": dist, "@jupyter-widgets/html-manager/dist": dist },
      });
    }
    window.__jupyter_widgets_assets_path__ = dist + "/";
  }
  function bridge() {
    var mj = window.MathJax;
    if (!mj || mj.Hub || !mj.startup) return;
    mj.Hub = {
      Queue: function (job) {
        var element = Array.isArray(job) ? job[2] : undefined;
        Promise.resolve(mj.startup.promise)
          .then(function () { return mj.typesetPromise(element ? [element] : undefined); })
          .catch(function (err) { console.warn("MathJax could not typeset a widget", err); });
      },
    };
  }
  bridge();
  document.addEventListener("DOMContentLoaded", bridge);
})();
"""


def site_url(package: Package) -> str:
    """Path of a package's entry file in the built site, relative to the site root."""
    return f"{URL_PREFIX}/{package.name}/{package.entry}"


def config_paths() -> dict[str, object]:
    """The `_config.yml` values (under sphinx.config) that point the pages at the vendored files.

    Sphinx resolves a local script path against `_static/`, hence the leading `../`.
    """
    by_name = {p.name: p for p in PACKAGES}
    return {
        "html_extra_path": [(VENDOR_DIR / SITE_SUBDIR).as_posix()],
        "mathjax_path": "../" + site_url(by_name["mathjax"]),
        "nb_ipywidgets_js": [
            "../" + site_url(by_name["requirejs"]),
            f"../{URL_PREFIX}/{WIDGETS_SETUP_NAME}",
            "../" + site_url(by_name["html-manager"]),
        ],
    }


def sri(path: Path) -> str:
    """Subresource-integrity string (`sha512-<base64>`) of a file, as npm records it."""
    digest = hashlib.sha512()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return "sha512-" + base64.b64encode(digest.digest()).decode("ascii")


def expected_manifest() -> dict[str, str]:
    manifest = {p.name: f"{p.spec} {p.integrity}" for p in PACKAGES}
    manifest[WIDGETS_SETUP_NAME] = hashlib.sha256(WIDGETS_SETUP_JS.encode("utf-8")).hexdigest()
    return manifest


def is_current(root: Path = ROOT) -> bool:
    """True when every pinned package is unpacked at its pinned version (no network needed)."""
    return _in_place(root / VENDOR_DIR / SITE_SUBDIR / URL_PREFIX)


def _in_place(site: Path) -> bool:
    """True when the `_vendor` folder `site` holds the pinned files."""
    try:
        manifest = json.loads((site / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    files = [site / p.name / p.entry for p in PACKAGES] + [site / WIDGETS_SETUP_NAME]
    return manifest == expected_manifest() and all(f.is_file() for f in files)


def fetch(package: Package, cache: Path) -> Path:
    """The package's tarball in `cache`, fetched with `npm pack` unless a checked copy is there."""
    cache.mkdir(parents=True, exist_ok=True)
    name, _, version = package.spec.rpartition("@")
    tarball = cache / f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"
    if not (tarball.is_file() and sri(tarball) == package.integrity):
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit(
                "vendor_js: npm is needed once to fetch the book's JavaScript from the npm registry "
                "(Debian: apt-get install npm)"
            )
        with tempfile.TemporaryDirectory(dir=cache) as tmp:
            result = subprocess.run(
                [npm, "pack", package.spec, "--pack-destination", tmp, "--json", "--prefer-offline",
                 "--ignore-scripts", "--loglevel=error"],
                capture_output=True, text=True, cwd=tmp,
            )  # fmt: skip
            if result.returncode != 0:
                raise SystemExit(f"vendor_js: npm pack {package.spec} failed:\n{result.stderr.strip()}")
            (packed,) = json.loads(result.stdout)
            os.replace(Path(tmp) / packed["filename"], tarball)
    got = sri(tarball)
    if got != package.integrity:
        tarball.unlink()
        raise SystemExit(f"vendor_js: {package.spec}: checksum {got} differs from the pinned {package.integrity}")
    return tarball


def _wanted(package: Package, rel: str) -> bool:
    if rel == "package.json" or rel.upper().startswith("LICENSE"):
        return True
    if any(rel.endswith(suffix) for suffix in package.drop_suffixes):
        return False
    return any(rel == k or rel.startswith(k.rstrip("/") + "/") for k in package.keep)


def unpack(package: Package, tarball: Path, dest: Path) -> list[str]:
    """Copy the kept files of an npm tarball (rooted at `package/`) into `dest`; return them."""
    written = []
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive.getmembers():
            top, _, rel = member.name.partition("/")
            parts = Path(rel).parts
            if not member.isfile() or not rel or ".." in parts or Path(rel).is_absolute():
                continue
            if top != "package" or not _wanted(package, rel):
                continue
            target = dest.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.extractfile(member) as src, target.open("wb") as out:
                shutil.copyfileobj(src, out)
            written.append(rel)
    if package.entry not in written:
        raise SystemExit(f"vendor_js: {package.spec} has no {package.entry}")
    return sorted(written)


def vendor(root: Path = ROOT) -> bool:
    """Make `_build/vendor/site/_vendor/` hold the pinned packages. True if anything changed."""
    if is_current(root):
        return False
    vendor_dir = root / VENDOR_DIR
    site = vendor_dir / SITE_SUBDIR / URL_PREFIX
    tarballs = {p.name: fetch(p, vendor_dir / CACHE_SUBDIR) for p in PACKAGES}
    site.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".vendor-", dir=site.parent))
    try:
        for package in PACKAGES:
            unpack(package, tarballs[package.name], staging / package.name)
        (staging / WIDGETS_SETUP_NAME).parent.mkdir(parents=True, exist_ok=True)
        (staging / WIDGETS_SETUP_NAME).write_text(WIDGETS_SETUP_JS, encoding="utf-8")
        (staging / MANIFEST).write_text(json.dumps(expected_manifest(), indent=2) + "\n", encoding="utf-8")
        if site.exists():
            shutil.rmtree(site)
        os.replace(staging, site)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return True


def install_into(html_dir: Path, root: Path = ROOT) -> bool:
    """Make `html_dir/_vendor` match the vendored files. True if it had to copy them.

    `html_extra_path` copies them whenever Sphinx writes pages, but an incremental build with
    nothing to write copies nothing, so a changed pin would otherwise leave the old files there.
    """
    if not is_current(root):
        raise SystemExit("vendor_js: the JavaScript is not vendored yet (run make book)")
    target = html_dir / URL_PREFIX
    if _in_place(target):
        return False
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(root / VENDOR_DIR / SITE_SUBDIR / URL_PREFIX, target)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report whether the files are in place")
    parser.add_argument("--into", type=Path, metavar="HTML_DIR", help="after a build: make HTML_DIR/_vendor current")
    args = parser.parse_args(argv)
    if args.into is not None:
        if install_into(args.into):
            print(f"vendored JavaScript: copied into {args.into / URL_PREFIX}")
        return 0
    if args.check:
        ok = is_current()
        print("vendored JavaScript: " + ("in place" if ok else "missing or outdated (run make book)"))
        return 0 if ok else 1
    changed = vendor()
    specs = ", ".join(p.spec for p in PACKAGES)
    print(f"vendored JavaScript ({specs}): " + ("unpacked" if changed else "up to date"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
