"""``ecosim serve [CONFIG]``: the browser app for watching and steering a run (Solara)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import sys
from pathlib import Path

from ecosim.commands import add_set_option
from ecosim.config import load_config

DEFAULT_CONFIG = "configs/baseline.yaml"


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``serve`` subcommand."""
    p = sub.add_parser(
        "serve",
        help="serve the browser app that shows a run and changes its rules while it runs",
        description="Start the SolaraViz app and print its URL; Ctrl-C stops it.",
    )
    p.add_argument(
        "config",
        nargs="?",
        metavar="CONFIG",
        help=f"YAML config file (default {DEFAULT_CONFIG} if present, else built-in defaults)",
    )
    p.add_argument("--port", type=int, default=8765, help="TCP port (default 8765; 0: any free)")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1, this machine only; 0.0.0.0 for all)",
    )
    add_set_option(p)
    p.set_defaults(func=serve)


def _free_port(host: str) -> int:
    """A port the OS reports free on ``host`` (for ``--port 0``, so the URL can be printed)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def url_for(host: str, port: int) -> str:
    """The URL a browser on this machine opens for a server bound to ``host``:``port``."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def serve(args: argparse.Namespace) -> int:
    """Validate the config, then run the Solara server in this process until interrupted."""
    path = args.config
    if path is None and Path(DEFAULT_CONFIG).is_file():
        path = DEFAULT_CONFIG
    load_config(path, args.set)  # a bad config or --set ends here (exit 2), not in the browser
    port = _free_port(args.host) if args.port == 0 else args.port

    # The app reads its config from the environment: Solara imports it in its own way.
    from ecosim.viz.controls import CONFIG_ENV, SET_ENV

    os.environ[CONFIG_ENV] = str(Path(path).resolve()) if path else ""
    os.environ[SET_ENV] = json.dumps(args.set)
    # No usage reports to a third party from a local tool (and none reachable offline).
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")

    from ecosim.viz.assets import install_assets, missing_assets

    if missing_assets():
        try:
            install_assets()
        except RuntimeError as exc:
            print(
                f"warning: {exc}; the page needs these browser assets or a CDN to load",
                file=sys.stderr,
            )

    from solara.__main__ import run as solara_run

    print(
        f"ecosim: serving {path or 'built-in defaults'} at {url_for(args.host, port)}", flush=True
    )
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"ecosim: bound to {args.host}: reachable from other machines", flush=True)
    solara_args = [
        "ecosim.viz.app:Page",
        "--host", args.host,
        "--port", str(port),
        "--production",  # minified front end, no file watcher
        "--no-open",
        "--no-check-version",  # it would block start-up on a network call
    ]  # fmt: skip
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is the normal way to stop
        solara_run.main(args=solara_args, prog_name="ecosim serve", standalone_mode=False)
    return 0
