"""``ecosim serve [CONFIG]``: the browser app for watching and steering a run (Solara)."""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import socket
import sys
from pathlib import Path

from ecosim.commands import ExitCode, add_set_option, int_option
from ecosim.config import ConfigError, load_config

__all__ = ["DEFAULT_CONFIG", "check_listen", "register", "serve", "url_for"]

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
    p.add_argument(
        "--port",
        type=int_option(0, 65535),
        default=8765,
        help="TCP port, 0 to 65535 (default 8765; 0: any free port)",
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1, this machine only; 0.0.0.0 for all)",
    )
    add_set_option(p)
    p.set_defaults(func=serve)


def check_listen(host: str, port: int) -> int:
    """Resolve ``host`` and bind ``port`` on it once, so a bad address fails before start-up.

    Args:
        host: name or address to listen on.
        port: TCP port (0: any free port).

    Returns:
        The port (the one the OS chose, for 0).

    Raises:
        ConfigError: the host cannot be resolved, is not an address of this machine, or the
            port is in use or not allowed; the message names the option.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ConfigError(f"--host {host}: cannot be resolved ({reason})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        # The server sets SO_REUSEADDR too: a port left in TIME_WAIT is usable, not "in use".
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                problem = "is already in use; choose another --port (0: any free port)"
                raise ConfigError(f"--port {port}: {host}:{port} {problem}") from None
            if exc.errno == errno.EADDRNOTAVAIL:
                raise ConfigError(f"--host {host}: not an address of this machine") from None
            if exc.errno == errno.EACCES:
                problem = "permission denied (ports below 1024 need privileges)"
                raise ConfigError(f"--port {port}: {problem}") from None
            raise ConfigError(f"--host {host} --port {port}: cannot listen ({exc})") from None
        return int(sock.getsockname()[1])


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
    port = check_listen(args.host, args.port)  # before the URL is printed

    # Solara and the app are imported only now (they are optional and slow to import). The
    # app reads its config from the environment: Solara imports it in its own way.
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
    try:
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is the normal way to stop
            solara_run.main(args=solara_args, prog_name="ecosim serve", standalone_mode=False)
    except SystemExit as exc:  # uvicorn exits with its own codes (3: could not start)
        if exc.code not in (None, 0):
            print(f"error: the server stopped (status {exc.code})", file=sys.stderr)
            return ExitCode.FAILED
    return ExitCode.OK
