"""``ecosim bench``: the structure of its report at a tiny scale, and the target logic.

No timing is asserted: the figures themselves are for ``ecosim bench`` on a quiet machine.
"""

from __future__ import annotations

import json

import pytest

from ecosim import bench as B
from ecosim.cli import main

TINY = B.Scale(300, 10, 3)


def test_bench_report_structure():
    report = B.bench([TINY], repeat=2, merchant_check=300, reference=B.Scale(300, 10, 2))
    assert report["machine"]["cores"] >= 1 and report["config"].endswith("baseline.yaml")
    (res,) = report["scales"]
    assert res["scale"] == {"consumers": 300, "merchants": 10, "days": 3, "path": "vectorized"}
    assert len(res["samples"]) == 2
    for key in ("wall_s", "per_day_s", "build_s", "run_s", "cpu_s", "peak_rss_bytes"):
        stats = res[key]
        assert stats["min"] <= stats["median"] <= stats["max"], key
        assert stats["min"] > 0, key
    sample = res["samples"][0]
    assert sample["wall_s"] == pytest.approx(sample["build_s"] + sample["run_s"])
    assert sample["per_day_s"] == pytest.approx(sample["run_s"] / 3)
    assert res["peak_rss_bytes"]["median"] > 10 * 2**20  # a Python process with numpy
    check = report["merchant_check"]
    assert check["base"] is res  # the matching scale is reused, not run again
    assert check["more"]["scale"]["merchants"] == 10 * B.MERCHANT_FACTOR
    ref = report["reference"]
    assert ref["fast"]["scale"]["path"] == "vectorized"
    assert ref["reference"]["scale"]["path"] == "reference"
    targets = {t["name"]: t for t in report["targets"]}
    assert set(targets) == set(B.TARGETS)
    assert targets["baseline_wall_s"]["value"] is None and targets["baseline_wall_s"]["ok"] is None
    assert targets["merchant_ratio"]["value"] > 0
    assert targets["reference_speedup"]["value"] > 0
    assert "performance targets (docs/performance.md)" in B.format_report(report)
    json.dumps(report)  # JSON-ready


def test_bench_command_prints_json(capsys):
    code = main(
        [
            "bench",
            "--consumers",
            "300",
            "--merchants",
            "10",
            "--days",
            "2",
            "--repeat",
            "1",
            "--reference-days",
            "0",
            "--set",
            "merchants.entry_rate=1.5",
            "--json",
        ]
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert [r["label"] for r in report["scales"]] == ["3e2 x 10 x 2d"]
    assert report["overrides"] == ["merchants.entry_rate=1.5"]
    assert "reference" not in report and "merchant_check" not in report


def test_bench_command_refuses_a_bad_override_before_running(capsys):
    assert main(["bench", "--consumers", "300", "--set", "merchants.entry_rat=1"]) == 2
    assert "merchants.entry_rat" in capsys.readouterr().err


@pytest.mark.parametrize("flag", ["--repeat", "--consumers", "--days"])
def test_bench_command_refuses_non_positive_values(flag, capsys):
    assert main(["bench", flag, "0"]) == 2
    assert flag in capsys.readouterr().err


def _result(consumers, merchants, days, wall, per_day, rss=2**30, path="vectorized"):
    scale = B.Scale(consumers, merchants, days, path)
    stat = lambda x: {"median": x, "min": x, "max": x, "spread": 0.0}  # noqa: E731
    return {
        "scale": {"consumers": consumers, "merchants": merchants, "days": days, "path": path},
        "label": scale.label,
        "wall_s": stat(wall),
        "per_day_s": stat(per_day),
        "peak_rss_bytes": stat(rss),
    }


def test_targets_are_judged_from_the_medians():
    report = {
        "scales": [
            _result(10_000, 200, 365, 4.0, 0.010),
            _result(100_000, 2_000, 365, 20.0, 0.050),
            _result(1_000_000, 20_000, 365, 130.0, 0.350, rss=5 * 2**30),
        ],
        "merchant_check": {
            "base": _result(100_000, 2_000, 365, 20.0, 0.050),
            "more": _result(100_000, 20_000, 365, 30.0, 0.070),
        },
        "reference": {
            "fast": _result(100_000, 2_000, 10, 1.0, 0.020),
            "reference": _result(100_000, 2_000, 10, 30.0, 2.0, path="reference"),
        },
    }
    got = {t["name"]: (t["value"], t["ok"]) for t in B.check_targets(report)}
    assert got["baseline_wall_s"] == (4.0, True)
    assert got["million_wall_s"] == (130.0, False)
    assert got["million_peak_rss_gib"] == (5.0, False)
    assert got["consumer_scaling_exponent"][0] == pytest.approx(0.77, abs=0.01)  # 35x for 100x
    assert got["consumer_scaling_exponent"][1] is True
    assert got["merchant_ratio"] == (pytest.approx(1.4), True)
    assert got["reference_speedup"] == (pytest.approx(100.0), True)


def test_scaled_merchants_follow_the_baseline_ratio():
    assert [B.scaled_merchants(n) for n in B.LADDER] == [200, 2_000, 20_000]
    assert B.scaled_merchants(100) == 10


def test_bench_panels_report_structure(capsys):
    tiny = ["--consumers", "300", "--merchants", "10", "--days", "8", "--repeat", "1"]
    code = main(["bench", "--panels", *tiny, "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    (res,) = report["panels"]
    assert res["off"]["scale"] == res["all"]["scale"]
    assert res["ratio"] == pytest.approx(
        res["all"]["wall_s"]["median"] / res["off"]["wall_s"]["median"]
    )
    sizes = {k for k in res["all"] if k.startswith("bytes_")}
    # every panel and log is written, and nothing when nothing is recorded
    assert len(sizes) == 1 + 5 + 8 and res["all"]["bytes_total"]["median"] > 0
    assert not any(k.startswith("bytes_") for k in res["off"])
    (target,) = report["targets"]
    assert target["name"] == "panels_ratio" and target["value"] is None  # needs 10^5
    assert "panels_ratio" in B.format_panels_report(report)
