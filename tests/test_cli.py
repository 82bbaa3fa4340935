"""The command line: outputs of `ecosim run`, and clear errors with exit status 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from ecosim.cli import main


def test_run_writes_outputs(tmp_path, capsys):
    out = tmp_path / "res"
    code = main(
        [
            "run",
            "configs/baseline.yaml",
            "--steps",
            "15",
            "--seed",
            "3",
            "--set",
            "consumers.n=500",
            "--set",
            "merchants.n_initial=30",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    frame = pd.read_parquet(out / "timeseries.parquet")
    assert len(frame) == 15 and "gmv" in frame.columns
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 3 and summary["steps"] == 15
    assert summary["metrics"]["gmv"]["final"] == frame["gmv"].iloc[-1]
    from ecosim.plots import FIGURES

    assert sorted(p.name for p in out.glob("*.png")) == sorted(f"{k}.png" for k in FIGURES)
    assert not list(out.glob(".*tmp"))  # no temporary files left behind
    assert "gmv" in capsys.readouterr().out


def _cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "ecosim", *args], capture_output=True, text=True, cwd=cwd
    )


def test_unknown_key_suggests_and_exits_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "base: {}\nconsumers:\n  logit_scal: 0.2\n".format("/work/main/configs/baseline.yaml")
    )
    out = tmp_path / "out"
    res = _cli("run", str(bad), "--out", str(out))
    assert res.returncode == 2
    assert (
        "consumers.logit_scal" in res.stderr
        and "did you mean 'consumers.logit_scale'" in res.stderr
    )
    assert str(bad) in res.stderr and "Traceback" not in res.stderr
    assert not out.exists()


def test_out_of_range_and_wrong_type_name_the_key(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("merchants:\n  opportunistic_share: 1.5\nconsumers:\n  n: many\n")
    res = _cli("run", str(bad), "--out", str(tmp_path / "o"))
    assert res.returncode == 2
    assert "merchants.opportunistic_share" in res.stderr and "consumers.n" in res.stderr
    res = _cli(
        "run",
        "configs/baseline.yaml",
        "--set",
        "platforms.0.escrow=maybe",
        "--out",
        str(tmp_path / "o"),
    )
    assert res.returncode == 2 and "platforms.0.escrow" in res.stderr
    assert not (tmp_path / "o").exists()


def test_missing_file_exits_2(tmp_path):
    res = _cli("run", str(tmp_path / "nope.yaml"))
    assert res.returncode == 2 and "file not found" in res.stderr


def test_params_lists_every_parameter_with_units():
    res = _cli("params", "configs/baseline.yaml", "--json")
    assert res.returncode == 0
    params = {p["key"]: p for p in json.loads(res.stdout)}
    assert params["consumers.n"]["value"] == 10000
    assert params["platforms.0.mall.commission_rate"]["unit"] == "share of price"
    assert all(p["description"] for p in params.values())


@pytest.mark.parametrize("width", [80, 120])
def test_params_table_fits_the_terminal_with_bounds_and_rounded_values(width):
    env = {**os.environ, "COLUMNS": str(width)}
    res = subprocess.run(
        [sys.executable, "-m", "ecosim", "params"], capture_output=True, text=True, env=env
    )
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert max(len(line) for line in lines) <= width
    header = next(line for line in lines if line.strip().startswith("key"))
    assert header.split()[-1] == "bounds"
    # Every key is shown whole, on a line of its own start, with its value and bounds.
    row = next(line for line in lines if line.split()[:1] == ["categories.1.consumption_rate"])
    assert row.split()[1] == "0.01667"
    commission = next(
        line for line in lines if line.split()[:1] == ["platforms.0.mall.commission_rate"]
    )
    assert "[0, 0.9]" in commission
    assert "0.016666" not in res.stdout and "0.06666666" not in res.stdout
    # Each description is there, wrapped but not cut (words run on in its column).
    text = " ".join(res.stdout.split())
    assert "Commission on each sale." in text


# --------------------------------------------------------------------------- bad numbers
def _refused(res, *words):
    """Exit status 2, a message naming every word, and no traceback."""
    output = res.stdout + res.stderr
    assert res.returncode == 2, output
    assert "Traceback" not in output
    for word in words:
        assert word in res.stderr, (word, res.stderr)


BAD_NUMBERS = [
    (["run", "configs/baseline.yaml", "--seed", "-1"], "--seed", "must be at least 0, got -1"),
    (["bench", "--seed", "-1"], "--seed", "must be at least 0, got -1"),
    (
        ["run", "configs/baseline.yaml", "--steps", "0"],
        "--steps",
        "must be between 1 and 100000, got 0",
    ),
    (
        ["run", "configs/baseline.yaml", "--steps", "1000000000"],
        "--steps",
        "must be between 1 and 100000, got 1000000000",
    ),
    (["run", "configs/baseline.yaml", "--seed", "x"], "--seed", "expected a whole number"),
    (["bench", "--days", "0"], "--days", "must be between 1 and 100000, got 0"),
    (["bench", "--repeat", "0"], "--repeat", "must be at least 1, got 0"),
    (["bench", "--consumers", "-3"], "--consumers", "must be at least 1, got -3"),
    (["bench", "--reference-days", "-1"], "--reference-days", "must be between 0 and 100000"),
    (["sweep", "experiments/x.yaml", "--workers", "0"], "--workers", "must be at least 1, got 0"),
    (["serve", "--port", "70000"], "--port", "must be between 0 and 65535, got 70000"),
    (["serve", "--port", "-5"], "--port", "must be between 0 and 65535, got -5"),
]


@pytest.mark.parametrize(("argv", "option", "message"), BAD_NUMBERS, ids=lambda a: str(a))
def test_numeric_options_are_checked_at_parsing(tmp_path, argv, option, message):
    out = tmp_path / "out"
    res = _cli(*argv, *(["--out", str(out)] if argv[0] in ("run", "sweep") else []))
    _refused(res, f"argument {option}: {message}")
    assert not out.exists()


def test_bench_scale_beyond_the_schema_is_refused_before_any_run():
    res = _cli("bench", "--consumers", "100000000", "--repeat", "1")
    _refused(res, "--consumers", "consumers.n", "less than or equal to")
    assert "bench: " not in res.stderr  # no run started


# --------------------------------------------------------------------------- --out
SMALL_RUN = ["configs/baseline.yaml", "--steps", "2", "--set", "consumers.n=200",
             "--set", "merchants.n_initial=10", "--no-figures"]  # fmt: skip


def test_run_out_that_is_a_file_is_refused_before_simulating(tmp_path):
    blocker = tmp_path / "results"
    blocker.write_text("mine")
    res = _cli("run", *SMALL_RUN, "--out", str(blocker))
    _refused(res, f"--out {blocker}: exists and is not a folder")
    assert "simulat" not in res.stdout + res.stderr  # refused before the model was built
    assert blocker.read_text() == "mine"
    below = blocker / "run"
    res = _cli("run", *SMALL_RUN, "--out", str(below))
    _refused(res, f"--out {below}: cannot be created: {blocker} is not a folder")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through permission bits")
def test_run_out_in_a_read_only_folder_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        res = _cli("run", *SMALL_RUN, "--out", str(locked / "run"))
        _refused(res, f"--out {locked / 'run'}: cannot be created: {locked} is not writable")
    finally:
        locked.chmod(0o755)


def test_sweep_and_report_out_that_cannot_be_a_folder_are_refused(tmp_path):
    sweep = tmp_path / "s.yaml"
    sweep.write_text(
        "scenario: configs/baseline.yaml\nparameters: {consumers.iot_adoption: [0.1, 0.2]}\n"
        "outputs: [gmv]\n"
    )
    blocker = tmp_path / "blocker"
    blocker.write_text("mine")
    for out in (blocker, blocker / "sweep"):
        res = _cli("sweep", str(sweep), "--out", str(out), "--no-progress")
        _refused(res, f"--out {out}: ")
        assert "not a folder" in res.stderr
    res = _cli("report", str(tmp_path), "--out", str(blocker))
    _refused(res, f"--out {blocker}: exists and is not a folder")
    assert blocker.read_text() == "mine"


# --------------------------------------------------------------------------- exit codes, JSON
def test_exit_codes_are_defined_once_and_listed_in_help():
    from ecosim.commands import ExitCode

    assert [int(c) for c in ExitCode] == [0, 1, 2, 130]
    res = _cli("--help")
    assert res.returncode == 0
    help_text = res.stdout
    assert "exit status" in help_text
    for code in ExitCode:
        assert f"\n  {int(code)} " in help_text
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for code in ExitCode:
        assert f"| {int(code)} |" in readme


def _no_constants(name):
    raise ValueError(f"not strict JSON: {name}")


def test_summary_json_is_strict_json(tmp_path):
    from ecosim.commands.run import strict_json

    assert strict_json({"a": float("nan"), "b": [float("inf"), 1.5], "c": "x"}) == {
        "a": None,
        "b": [None, 1.5],
        "c": "x",
    }
    out = tmp_path / "run"
    assert _cli("run", *SMALL_RUN, "--out", str(out)).returncode == 0
    summary = json.loads((out / "summary.json").read_text(), parse_constant=_no_constants)
    assert summary["steps"] == 2 and "gmv" in summary["metrics"]
