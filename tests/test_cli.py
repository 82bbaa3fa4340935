"""The command line: outputs of `ecosim run`, and clear errors with exit status 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd

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
