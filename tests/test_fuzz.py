"""Random bytes and random YAML as every command's file argument: a clean exit, never a crash.

Each command that reads a file (``run CONFIG``, ``params CONFIG``, ``sweep FILE``,
``serve CONFIG``, ``bench --config FILE``) gets files drawn by Hypothesis (fixed seed): raw
bytes, YAML documents built from the config's own key names, and the baseline with random
edits. The command must exit with 0 (the file happened to be valid) or 2 (refused with a
message), and never print a traceback. ``serve`` is stopped right after its config loads.
Most examples call :func:`ecosim.cli.main` in-process for speed; a few go through
``python -m ecosim`` to check the real exit status and stderr.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ecosim.commands.serve as serve_command
from ecosim.cli import main

BASELINE = Path(__file__).resolve().parents[1] / "configs" / "baseline.yaml"

#: Key names the config and sweep schemas know, so random documents reach past the top level.
NAMES = [
    "base",
    "steps",
    "seed",
    "consumers",
    "merchants",
    "platforms",
    "categories",
    "schedule",
    "n",
    "n_initial",
    "name",
    "day",
    "key",
    "value",
    "kind",
    "scenario",
    "parameters",
    "design",
    "samples",
    "replications",
    "outputs",
    "overrides",
]
SMALL_RUN = ["--steps", "2", "--set", "consumers.n=50", "--set", "merchants.n_initial=5"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(NAMES),
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(NAMES), st.text(max_size=8)), inner, max_size=5),
    ),
    max_leaves=20,
)


@st.composite
def file_contents(draw: st.DrawFn) -> bytes:
    """Raw bytes, a random YAML document, or the baseline with a few random edits."""
    kind = draw(st.sampled_from(["bytes", "yaml", "edited"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "yaml":
        return yaml.safe_dump(draw(documents), allow_unicode=True).encode()
    text = BASELINE.read_bytes()
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 20))
        text = text[:at] + draw(st.binary(max_size=6)) + text[at + cut :]
    return text


class _Loaded(Exception):
    """Raised in place of serving once ``serve`` has accepted its config."""


def _in_process(argv: list[str]) -> tuple[int, str]:
    """Exit status and stderr of ``ecosim ARGV`` run in this process."""
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse
            code = exc.code if isinstance(exc.code, int) else 2
        except _Loaded:
            code = 0
    return code, err.getvalue()


def _command_lines(path: Path, out: Path) -> dict[str, list[str]]:
    return {
        "run": ["run", str(path), *SMALL_RUN, "--no-figures", "--out", str(out / "run")],
        "params": ["params", str(path)],
        "sweep": ["sweep", str(path), "--out", str(out / "sweep"), "--no-progress"],
        "serve": ["serve", str(path), "--port", "0"],
        "bench": ["bench", "--config", str(path), "--consumers", "50", "--days", "2",
                  "--repeat", "1", "--reference-days", "0", "--json"],
    }  # fmt: skip


@pytest.fixture
def serve_stops_after_loading(monkeypatch):
    """``serve`` raises :class:`_Loaded` instead of starting a server once its config loads."""
    real = serve_command.load_config

    def load_then_stop(*args, **kwargs):
        real(*args, **kwargs)
        raise _Loaded

    monkeypatch.setattr(serve_command, "load_config", load_then_stop)


@pytest.mark.parametrize("command", ["run", "params", "sweep", "serve", "bench"])
@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(content=file_contents())
def test_random_files_exit_cleanly(command, content, serve_stops_after_loading):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input.yaml"
        path.write_bytes(content)
        code, stderr = _in_process(_command_lines(path, Path(tmp))[command])
    assert code in (0, 2), (code, stderr)
    assert "Traceback" not in stderr, stderr
    if code == 2:
        assert "error:" in stderr and str(path) in stderr, stderr


@pytest.mark.parametrize("command", ["run", "sweep", "serve"])
def test_random_bytes_through_the_real_command_line(tmp_path, command):
    """The installed entry point: exit status 2, a message naming the file, no traceback."""
    path = tmp_path / "input.yaml"
    path.write_bytes(b"\x00\xff\xfekey: [\x81\x82\n\t- {")
    argv = _command_lines(path, tmp_path)[command]
    res = subprocess.run(
        [sys.executable, "-m", "ecosim", *argv], capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 2, res.stderr
    assert str(path) in res.stderr and "Traceback" not in res.stderr, res.stderr
    assert not (tmp_path / "run").exists() and not (tmp_path / "sweep").exists()
