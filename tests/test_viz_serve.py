"""``ecosim serve`` without a browser: argument handling, URL, and the browser-asset installer."""

from __future__ import annotations

import io
import json
import os
import socket
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from ecosim.cli import build_parser, main
from ecosim.commands.serve import check_listen, url_for

pytest.importorskip("solara")

from ecosim.viz import assets


def test_serve_defaults_bind_to_loopback_on_port_8765():
    args = build_parser().parse_args(["serve"])
    assert (args.config, args.host, args.port, args.set) == (None, "127.0.0.1", 8765, [])
    args = build_parser().parse_args(
        ["serve", "cfg.yaml", "--port", "9000", "--host", "0.0.0.0", "--set", "consumers.n=5"]
    )
    assert (args.config, args.host, args.port, args.set) == (
        "cfg.yaml",
        "0.0.0.0",
        9000,
        ["consumers.n=5"],
    )


def test_url_shown_for_each_kind_of_host():
    assert url_for("127.0.0.1", 8765) == "http://127.0.0.1:8765/"
    assert url_for("0.0.0.0", 80) == "http://127.0.0.1:80/"  # all interfaces: open it locally
    assert url_for("::1", 8765) == "http://[::1]:8765/"
    assert url_for("example.org", 1) == "http://example.org:1/"


def test_bad_config_fails_before_any_server_starts(capsys, tmp_path):
    # A server would block this test; exit status 2 proves it never started.
    assert main(["serve", "--set", "consumers.n=-5", "--port", "1"]) == 2
    assert "consumers.n" in capsys.readouterr().err
    assert main(["serve", str(tmp_path / "missing.yaml"), "--port", "1"]) == 2
    assert "file not found" in capsys.readouterr().err


def test_required_assets_follow_solaras_page_template():
    specs = assets.required_assets()
    assert sum(s.startswith("@widgetti/solara-vuetify") for s in specs) == 1  # the one in use
    assert "requirejs@2.3.6" in specs
    assert {"vega@5", "vega-lite@5", "vega-embed@6"} <= set(specs)
    assert len(specs) == len(set(specs))


_FAKE_NPM = r'''#!{python}
"""Stands in for `npm pack SPEC --json --silent --pack-destination DIR`: no network."""
import io, json, sys, tarfile
spec, dest = sys.argv[2], sys.argv[sys.argv.index("--pack-destination") + 1]
name = spec.replace("@", "").replace("/", "-") + ".tgz"
with tarfile.open(f"{{dest}}/{{name}}", "w:gz") as tar:
    for path, text in [("package/package.json", json.dumps({{"name": spec}})),
                       ("package/dist/x.js", "// " + spec)]:
        data = text.encode()
        info = tarfile.TarInfo(path)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
print("npm warn something first")
print(json.dumps([{{"filename": name}}]))
'''


def test_install_assets_unpacks_each_missing_package(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    npm = bin_dir / "npm"
    npm.write_text(_FAKE_NPM.format(python=sys.executable))
    npm.chmod(npm.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    cache = tmp_path / "cdn"
    # One package already there: it is not fetched again.
    (cache / "requirejs@2.3.6").mkdir(parents=True)
    (cache / "requirejs@2.3.6" / "package.json").write_text("{}")
    expected = [s for s in assets.required_assets() if s != "requirejs@2.3.6"]
    assert assets.missing_assets(cache) == expected
    installed = assets.install_assets(cache, quiet=True)
    assert installed == expected
    assert assets.missing_assets(cache) == []
    vega = cache / "vega@5"
    assert json.loads((vega / "package.json").read_text()) == {"name": "vega@5"}
    assert (vega / "dist" / "x.js").read_text() == "// vega@5"
    assert not list(cache.glob("*.partial"))  # no half-unpacked leftovers
    assert assets.install_assets(cache, quiet=True) == []  # idempotent


def test_unpack_refuses_paths_outside_the_target(tmp_path):
    tgz = tmp_path / "evil.tgz"
    with tarfile.open(tgz, "w:gz") as tar:
        info = tarfile.TarInfo("package/../../escaped.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(tarfile.FilterError):
        assets._unpack(tgz, tmp_path / "out" / "pkg@1")
    assert not (tmp_path / "escaped.txt").exists()


def test_missing_npm_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm on PATH
    with pytest.raises(RuntimeError, match="npm not found"):
        assets.install_assets(tmp_path / "cdn", quiet=True)
    assert Path(tmp_path / "cdn").exists() is False


def _serve(*args):
    return subprocess.run(
        [sys.executable, "-m", "ecosim", "serve", *args], capture_output=True, text=True
    )


def test_bad_host_or_busy_port_fail_before_the_url_is_printed():
    res = _serve("--host", "no.such.host.invalid", "--port", "0")
    assert res.returncode == 2, res.stderr
    assert "--host no.such.host.invalid: cannot be resolved" in res.stderr
    assert "serving" not in res.stdout and "Traceback" not in res.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        res = _serve("--port", str(port))
    assert res.returncode == 2, res.stderr
    assert f"--port {port}: 127.0.0.1:{port} is already in use" in res.stderr
    assert "serving" not in res.stdout and "Traceback" not in res.stderr


def test_check_listen_gives_the_free_port_it_found():
    port = check_listen("127.0.0.1", 0)
    assert 0 < port < 65536
    with socket.socket() as sock:  # it was released again
        sock.bind(("127.0.0.1", port))
