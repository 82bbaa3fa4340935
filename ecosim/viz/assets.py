"""Front-end assets for the Solara app, installed from the npm registry.

Solara serves its browser code (the Vuetify app, RequireJS, Vega for Altair charts, the grid
layout of Mesa's SolaraViz) through a caching proxy that downloads each file from a public CDN
on first use. Where only package registries are reachable that download fails and the page
stays blank, so this module fetches the same npm packages once with the ordinary ``npm``
client and unpacks them where the proxy looks first (``solara.server.settings.assets.
proxy_cache_dir``, by default ``<venv>/share/solara/cdn``).

Run ``python -m ecosim.viz.assets`` (idempotent; ``--check`` only reports what is missing).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

__all__ = ["install_assets", "missing_assets", "proxy_cache_dir", "required_assets"]

# The app's charts (ecosim.viz.vega_view, like solara.FigureAltair) load these from the CDN
# besides what the page template names; the specs are the exact URL prefixes they request.
_WIDGET_ASSETS = ("vega@5", "vega-lite@5", "vega-embed@6")

# ``{{cdn}}/@widgetti/solara-vuetify3-app@5.2.0/dist/...`` in Solara's page template.
_TEMPLATE_SPEC = re.compile(r"\{\{\s*cdn\s*\}\}/((?:@[\w.-]+/)?[\w.-]+@[\w.+-]+)/")


def proxy_cache_dir() -> Path:
    """The directory Solara's CDN proxy serves files from before it tries the network."""
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def required_assets() -> list[str]:
    """Package specs (``name@version``) the served page requests through the CDN proxy.

    The page template's specs are read from the installed Solara, so an upgrade of Solara
    that moves to a new app version is followed without editing this file. The template
    names a Vue 2 and a Vue 3 build of Solara's app; only the one the installed ipyvue
    needs (as Solara's server decides) is kept, which saves 60 MB.
    """
    import ipyvue
    import solara.server

    specs: list[str] = []
    templates = Path(solara.server.__file__).parent / "templates"
    for template in sorted(templates.glob("*.j2")):
        specs += _TEMPLATE_SPEC.findall(template.read_text())
    unused_app = "solara-vuetify-app@" if ipyvue.__version__.startswith("3") else "-vuetify3-app@"
    specs = [s for s in specs if unused_app not in s]
    from solara.server import settings

    if settings.assets.fontawesome_enabled:
        # "/font-awesome@4.5.0/css/font-awesome.min.css" -> "font-awesome@4.5.0"
        specs.append(settings.assets.fontawesome_path.strip("/").split("/")[0])
    specs += _WIDGET_ASSETS
    return list(dict.fromkeys(specs))  # de-duplicated, order kept


def missing_assets(cache_dir: Path | None = None) -> list[str]:
    """Specs from :func:`required_assets` not yet unpacked in the cache directory."""
    root = cache_dir or proxy_cache_dir()
    return [spec for spec in required_assets() if not (root / spec / "package.json").is_file()]


def _npm_pack(spec: str, workdir: Path, npm: str) -> Path:
    """Download one package tarball with ``npm pack`` and return its path."""
    proc = subprocess.run(
        [npm, "pack", spec, "--json", "--silent", "--pack-destination", str(workdir)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"npm pack {spec} failed: {proc.stderr.strip()[-500:]}")
    # npm may print warnings before the JSON; the JSON array starts at the first "[".
    info = json.loads(proc.stdout[proc.stdout.index("[") :])
    return workdir / info[0]["filename"]


def _unpack(tarball: Path, dest: Path) -> None:
    """Unpack an npm tarball (whose files sit under ``package/``) into ``dest``."""
    staging = dest.with_name(dest.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with tarfile.open(tarball) as tar:
        # The "data" filter refuses absolute paths, links out of the tree and device files.
        tar.extractall(staging, filter="data")
    inner = staging / "package"
    src = inner if inner.is_dir() else next(p for p in staging.iterdir() if p.is_dir())
    shutil.rmtree(dest, ignore_errors=True)
    # Rename into place last, so a half-unpacked package never counts as installed.
    src.rename(dest)
    shutil.rmtree(staging, ignore_errors=True)


def install_assets(cache_dir: Path | None = None, *, quiet: bool = False) -> list[str]:
    """Fetch every missing asset package with ``npm pack`` and unpack it for the proxy.

    Args:
        cache_dir: Target directory; defaults to Solara's proxy cache directory.
        quiet: Do not print progress.

    Returns:
        The specs that were installed (empty when nothing was missing).

    Raises:
        RuntimeError: ``npm`` is not installed or a download failed.
    """
    root = cache_dir or proxy_cache_dir()
    todo = missing_assets(root)
    if not todo:
        return []
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "npm not found: install Node.js (apt-get install npm) to fetch the browser assets"
        )
    with tempfile.TemporaryDirectory(prefix="ecosim-assets-") as tmp:
        for spec in todo:
            if not quiet:
                print(f"fetching browser asset {spec} from the npm registry", file=sys.stderr)
            _unpack(_npm_pack(spec, Path(tmp), npm), root / spec)
    return todo


def main(argv: list[str] | None = None) -> int:
    """Command line: install the assets, or with ``--check`` list the missing ones."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report missing assets")
    args = parser.parse_args(argv)
    if args.check:
        missing = missing_assets()
        for spec in missing:
            print(spec)
        return 1 if missing else 0
    installed = install_assets()
    print(f"{len(installed)} asset package(s) installed in {proxy_cache_dir()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
