"""``ecosim calibrate``: the calibration file, the moments and objective, recovery of a known
truth, resuming, refusals, and the output files.

Most tests use a stand-in model (``tests/calibration_stand_in.py``: daily metrics that are
simple functions of two parameters and the seed), so a trial costs milliseconds; the recovery test
runs the real model, shrunk to 300 households, 20 stores and 10 days.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest
import yaml
from optuna.trial import TrialState

from ecosim.calibration.moments import moment, objective
from ecosim.calibration.outputs import calibrated_document
from ecosim.calibration.runner import open_study, run_calibration
from ecosim.calibration.spec import TargetSpec, load_calibration_file, parse_calibration
from ecosim.cli import main
from ecosim.config import ConfigError, config_hash, load_config, set_dotted
from ecosim.simulate import run_simulation
from ecosim.sweep.design import run_seeds
from ecosim.sweep.store import FolderLock

BASELINE = "configs/baseline.yaml"
STAND_IN = "tests.calibration_stand_in:linear_simulation"


def _spec(**changes) -> dict:
    spec = {
        "scenario": "baseline.yaml",
        "steps": 20,
        "replications": 2,
        "seed": 3,
        "trials": 4,
        "startup_trials": 2,
        "parameters": {
            "consumers.offline_preference": {"low": 1.0, "high": 5.0},
            "platforms.0.marketplace.payment_fee": {"low": 0.0, "high": 0.05},
        },
        "targets": {
            "gmv_level": {
                "metric": "gmv",
                "days": [-10, -1],
                "value": 315.0,
                "tolerance": 10.0,
                "source": "made up for the test",
            },
            "fee": {"metric": "take_rate", "value": 0.02, "weight": 2.0, "source": "test"},
            "share": {
                "metric": "online_share",
                "statistic": "quantile",
                "q": 0.5,
                "value": 0.12,
                "fit": False,
                "source": "001 @4295",
            },
        },
    }
    spec.update(changes)
    return spec


def _write(folder, spec: dict, name: str = "cal.yaml"):
    (folder / "baseline.yaml").write_text(Path(BASELINE).read_text())
    path = folder / name
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


# --------------------------------------------------------------------------- moments
def _target(tmp_path, **target):
    spec = _spec(targets={"t": {"value": 1.0, "source": "s", **target}})
    return parse_calibration(spec, _write(tmp_path, spec)).targets[0]


def test_moments_are_exact_on_a_known_series(tmp_path):
    frame = pd.DataFrame({"gmv": np.arange(1.0, 21.0)}, index=pd.RangeIndex(1, 21, name="day"))
    assert moment(frame, _target(tmp_path, metric="gmv")) == pytest.approx(np.mean(range(1, 21)))
    last5 = _target(tmp_path, metric="gmv", days=[-5, -1])
    assert moment(frame, last5) == pytest.approx(18.0)
    q = _target(tmp_path, metric="gmv", statistic="quantile", q=1.0, days=[1, 10])
    assert moment(frame, q) == 10.0
    ratio = _target(tmp_path, metric="gmv", statistic="ratio", days=[20, 20])
    assert moment(frame, ratio) == pytest.approx(20.0 / 210.0)
    part = _target(tmp_path, metric="gmv", statistic="ratio", days=[1, 2], of_days=[1, 4])
    assert moment(frame, part) == pytest.approx(3.0 / 10.0)
    frame["orders"] = 2.0 * frame["gmv"]
    both = _target(tmp_path, metric=["gmv", "orders"], days=[1, 2])
    assert moment(frame, both) == pytest.approx(4.5)
    per = _target(tmp_path, metric="gmv", statistic="ratio", of_metric=["gmv", "orders"])
    assert moment(frame, per) == pytest.approx(1.0 / 3.0)  # same window (last 20 days)


def test_objective_is_the_weighted_sum_of_squared_relative_deviations(tmp_path):
    cal = load_calibration_file(_write(tmp_path, _spec()))
    # gmv 10% high (weight 1), take rate 50% low (weight 2), the unfitted share way off.
    value = objective([346.5, 0.01, 0.9], cal.targets)
    assert value == pytest.approx(0.1**2 + 2 * 0.5**2)
    assert objective([315.0, 0.02, 0.0], cal.targets) == 0.0
    assert objective([math.nan, 0.02, 0.1], cal.targets) == math.inf


# --------------------------------------------------------------------------- recovery
def test_recovers_a_known_payment_fee_from_its_moments(tmp_path):
    """Simulate at a known fee, then fit the fee to those runs' mean take rate."""
    overrides = {
        "consumers.n": 300,
        "merchants.n_initial": 20,
        "consumers.offline_preference": 2.0,
    }
    truth, steps, seed, replications = 0.02, 10, 5, 2
    config = load_config(
        BASELINE, [f"{k}={v}" for k, v in overrides.items()]
        + [f"platforms.0.marketplace.payment_fee={truth}"],
    )  # fmt: skip
    seeds = run_seeds(seed, 1, replications)[0]
    observed = np.mean(
        [run_simulation(config, steps=steps, seed=int(s))["take_rate"].mean() for s in seeds]
    )
    spec = _spec(
        overrides=overrides,
        steps=steps,
        seed=seed,
        replications=replications,
        startup_trials=4,
        parameters={"platforms.0.marketplace.payment_fee": {"low": 0.0, "high": 0.05}},
        targets={
            "take_rate": {
                "metric": "take_rate",
                "days": [1, -1],
                "value": float(observed),
                "tolerance": 0.05 * float(observed),
                "source": "simulated at payment_fee = 0.02",
            }
        },
    )
    # One worker: one trial at a time, so the sampler sees the same history every time.
    summary = run_calibration(_write(tmp_path, spec), tmp_path / "out", trials=12, workers=1,
                              progress=False)  # fmt: skip
    fitted = summary.best_params["platforms.0.marketplace.payment_fee"]
    assert abs(fitted - truth) <= 0.005
    fit = pd.read_csv(tmp_path / "out" / "fit.csv")
    assert bool(fit.loc[0, "within_tolerance"])


# --------------------------------------------------------------------------- resume
def test_more_trials_continue_the_study_without_redoing_finished_ones(tmp_path):
    path = _write(tmp_path, _spec())
    out = tmp_path / "out"
    first = run_calibration(path, out, trials=3, workers=1, progress=False, simulate=STAND_IN)
    assert (first.finished, first.new) == (3, 3)
    before = pd.read_parquet(out / "trials.parquet")
    second = run_calibration(path, out, trials=6, workers=1, progress=False, simulate=STAND_IN)
    assert (second.finished, second.new, second.failed) == (6, 3, 0)
    after = pd.read_parquet(out / "trials.parquet")
    assert list(after["trial"]) == list(range(6))
    pd.testing.assert_frame_equal(after.iloc[:3].drop(columns=["wall_s"]),
                                  before.drop(columns=["wall_s"]))  # fmt: skip
    # The resumed sampler does not draw the first invocation's points again.
    keys = ["consumers.offline_preference", "platforms.0.marketplace.payment_fee"]
    assert not after[keys].iloc[3:].apply(tuple, axis=1).isin(
        before[keys].apply(tuple, axis=1)
    ).any()  # fmt: skip
    # Enough trials already: nothing runs, the outputs are rewritten the same.
    third = run_calibration(path, out, trials=5, workers=1, progress=False, simulate=STAND_IN)
    assert (third.finished, third.new, third.executor) == (6, 0, "nothing to run")
    manifest = json.loads((out / "calibration.json").read_text())
    assert [i["new_trials"] for i in manifest["invocations"]] == [3, 3, 0]


def test_a_trial_left_running_by_a_kill_is_run_again(tmp_path):
    path = _write(tmp_path, _spec())
    out = tmp_path / "out"
    run_calibration(path, out, trials=2, workers=1, progress=False, simulate=STAND_IN)
    # What a kill mid-trial leaves in the journal: a trial asked for and never told.
    study = open_study(out, optuna.samplers.RandomSampler(seed=1))
    killed = study.ask()
    point = {
        "consumers.offline_preference": killed.suggest_float("consumers.offline_preference", 1, 5),
        "platforms.0.marketplace.payment_fee": killed.suggest_float(
            "platforms.0.marketplace.payment_fee", 0.0, 0.05
        ),
    }
    summary = run_calibration(path, out, trials=3, workers=1, progress=False, simulate=STAND_IN)
    assert (summary.finished, summary.new) == (3, 1)
    trials = open_study(out).get_trials(deepcopy=False)
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 2 + [
        TrialState.FAIL,
        TrialState.COMPLETE,
    ]
    assert trials[3].params == point  # the killed trial's point, run first


# --------------------------------------------------------------------------- refusals
BAD = [
    ({"targets": {"x": {"metric": "gmvv", "value": 1, "source": "s"}}}, "targets.x.metric"),
    ({"targets": {"x": {"metric": "gmv", "value": 1}}}, "targets.x.source"),
    ({"targets": {"x": {"metric": "gmv", "value": 1, "source": "s", "wieght": 2}}},
     "targets.x.wieght"),
    ({"targets": {"x": {"metric": "gmv", "value": 0, "source": "s"}}}, "targets.x.tolerance"),
    ({"targets": {"x": {"metric": "gmv", "statistic": "quantile", "value": 1, "source": "s"}}},
     "targets.x.q"),
    ({"targets": {"x": {"metric": "gmv", "days": [1, 40], "value": 1, "source": "s"}}},
     "targets.x.days"),
    ({"targets": {"x": {"metric": "gmv", "value": 1, "source": "s", "fit": False}}}, "targets"),
    ({"targets": {"x": {"metric": ["gmv", "ordres"], "value": 1, "source": "s"}}},
     "targets.x.metric.1"),
    ({"targets": {"x": {"metric": "gmv", "of_metric": "orders", "value": 1, "source": "s"}}},
     "targets.x.of_metric"),
    ({"parameters": {"consumers.ofline_preference": {"low": 1, "high": 2}}},
     "parameters.consumers.ofline_preference"),
    ({"parameters": {"consumers.offline_preference": [1, 2]}},
     "parameters.consumers.offline_preference"),
    ({"parameters": {"consumers.offline_preference": {"low": 3, "high": 2}}},
     "parameters.consumers.offline_preference"),
    ({"sampler": "bayes"}, "sampler"),
    ({"replications": 0}, "replications"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "key"), BAD)
def test_a_bad_calibration_file_exits_2_naming_the_key_and_writes_nothing(
    tmp_path, capsys, change, key
):
    path = _write(tmp_path, _spec(**change))
    out = tmp_path / "out"
    assert main(["calibrate", str(path), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: ") and f"'{key}'" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_a_folder_made_by_another_calibration_is_refused_untouched(tmp_path, capsys):
    out = tmp_path / "out"
    run_calibration(_write(tmp_path, _spec()), out, trials=1, workers=1, progress=False,
                    simulate=STAND_IN)  # fmt: skip
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.name != ".lock"}
    other = _write(tmp_path, _spec(seed=4), name="other.yaml")
    assert main(["calibrate", str(other), "--out", str(out), "--no-progress"]) == 2
    assert "'seed'" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.name != ".lock"} == before
    with pytest.raises(ConfigError, match="not a calibration folder"):
        run_calibration(other, tmp_path, progress=False)
    with FolderLock(out), pytest.raises(ConfigError, match="another calibration is writing"):
        run_calibration(tmp_path / "cal.yaml", out, trials=2, progress=False, simulate=STAND_IN)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.name != ".lock"} == before


def test_a_failing_output_leaves_no_partial_file(tmp_path, monkeypatch):
    import ecosim.calibration.outputs as outputs

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(outputs, "fit_markdown", broken)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="disk full"):
        run_calibration(_write(tmp_path, _spec()), out, trials=1, workers=1, progress=False,
                        simulate=STAND_IN)  # fmt: skip
    names = {p.name for p in out.iterdir()}
    assert not [n for n in names if n.endswith(".tmp")]
    assert "fit.md" not in names and "fit.png" not in names
    # The study kept the trial: the next run writes every output without running it again.
    monkeypatch.undo()
    summary = run_calibration(_write(tmp_path, _spec()), out, trials=1, workers=1,
                              progress=False, simulate=STAND_IN)  # fmt: skip
    assert summary.new == 0 and (out / "fit.md").is_file()


# --------------------------------------------------------------------------- outputs
@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cal")
    path = _write(folder, _spec(trials=5))
    run_calibration(path, folder / "out", workers=2, progress=False, simulate=STAND_IN)
    return path, folder / "out"


def test_the_outputs_agree_with_each_other_and_with_the_stand_in(finished):
    path, out = finished
    cal = load_calibration_file(path)
    trials = pd.read_parquet(out / "trials.parquet")
    assert len(trials) == 5 and set(trials["state"]) == {"COMPLETE"}
    best = json.loads((out / "best.json").read_text())
    row = trials.loc[trials["objective"].idxmin()]
    assert best["trial"] == row["trial"] and best["objective"] == pytest.approx(row["objective"])
    assert trials["best_so_far"].iloc[-1] == pytest.approx(row["objective"])
    assert trials["best_so_far"].is_monotonic_decreasing
    # The stand-in's moments: gmv over days 11-20 = 100 a + (seed % 10) + 14.5 per seed.
    a = best["parameters"]["consumers.offline_preference"]
    fee = best["parameters"]["platforms.0.marketplace.payment_fee"]
    noise = [int(s) % 10 for s in run_seeds(3, 1, 2)[0]]
    gmv = [100 * a + n + 14.5 for n in noise]
    assert best["targets"]["gmv_level"]["mean"] == pytest.approx(np.mean(gmv))
    assert best["targets"]["gmv_level"]["sd"] == pytest.approx(np.std(gmv, ddof=1))
    assert best["objective"] == pytest.approx(
        ((np.mean(gmv) - 315) / 315) ** 2 + 2 * ((fee - 0.02) / 0.02) ** 2
    )
    fit = pd.read_csv(out / "fit.csv")
    assert list(fit["target"]) == ["gmv_level", "fee", "share"]
    assert list(fit["sample"]) == ["in-sample", "in-sample", "out-of-sample"]
    assert bool(fit.loc[0, "within_tolerance"]) == (abs(np.mean(gmv) - 315) <= 10)
    assert fit["within_tolerance"].isna().tolist()[1:] == [True, True]  # no tolerance given
    assert list(fit["source"]) == ["made up for the test", "test", "001 @4295"]
    markdown = (out / "fit.md").read_text()
    assert all(f"| {name} (`" in markdown for name in fit["target"])
    for figure in ("convergence.png", "fit.png"):
        assert (out / figure).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    # calibrated.yaml is the scenario with the fitted values, nothing else changed.
    calibrated = load_config(out / "calibrated.yaml")
    expected = cal.base.model_dump(mode="json")
    for key, value in best["parameters"].items():
        set_dotted(expected, key, value)
    expected["steps"] = 20
    assert config_hash(calibrated) == config_hash(type(cal.base).model_validate(expected))


def test_a_key_inside_a_list_is_written_with_its_whole_list(finished, tmp_path):
    path, _ = finished
    cal = load_calibration_file(path)
    doc = calibrated_document(cal, {"platforms.0.marketplace.payment_fee": 0.01}, tmp_path)
    platforms = doc["platforms"]
    assert platforms[0]["marketplace"]["payment_fee"] == 0.01
    assert platforms[0]["mall"]["commission_rate"] == cal.base.platforms[0].mall.commission_rate


@pytest.mark.parametrize("name", ["seeds", "seeds_quick"])
def test_the_shipped_calibration_files_are_valid_and_cite_their_sources(name):
    cal = load_calibration_file(f"configs/calibration/{name}.yaml")
    assert cal.fitted and len(cal.fitted) < len(cal.targets)  # some out-of-sample checks
    assert all("@" in t.spec.source or "(" in t.spec.source for t in cal.targets)
    assert cal.scenario_path is not None and cal.scenario_path.name == "baseline.yaml"


def test_a_dask_cluster_runs_the_trials(tmp_path):
    """On a loopback Dask cluster, with the CMA-ES sampler (the other tests use TPE)."""
    pytest.importorskip("distributed")
    from tests.test_sweep import LoopbackCluster

    path = _write(tmp_path, _spec(sampler="cmaes", startup_trials=1))
    (tmp_path / "dask").mkdir()
    cluster = LoopbackCluster(tmp_path / "dask")
    try:
        cluster.add_worker()
        cluster.wait_for_workers(1)
        summary = run_calibration(path, tmp_path / "out", trials=3, progress=False,
                                  scheduler=cluster.address, simulate=STAND_IN)  # fmt: skip
    finally:
        cluster.close()
    assert "dask" in summary.executor and (summary.new, summary.failed) == (3, 0)
    trials = pd.read_parquet(tmp_path / "out" / "trials.parquet")
    noise = np.mean([int(s) % 10 for s in run_seeds(3, 1, 2)[0]])
    expected = 100 * trials["consumers.offline_preference"] + noise + 14.5
    np.testing.assert_allclose(trials["gmv_level_mean"], expected)


def test_model_md_calibration_table_is_generated_from_the_fit_table(finished, tmp_path):
    from ecosim.docs import CALIBRATION_MARKERS, generated_block, update_calibration_table

    _, out = finished
    doc = tmp_path / "model.md"
    doc.write_text(f"# 11\n{CALIBRATION_MARKERS[0]}\nold table\n{CALIBRATION_MARKERS[1]}\nafter\n")
    assert update_calibration_table(out / "fit.csv", doc)
    block = generated_block(doc.read_text(), CALIBRATION_MARKERS) or ""
    fit = pd.read_csv(out / "fit.csv")
    assert "old table" not in block and doc.read_text().endswith("after\n")
    rows = [line for line in block.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == 1 + len(fit)
    assert rows[1].startswith("| gmv_level: made up for the test | 315 ± 10 |")
    assert "| out-of-sample |" in rows[3]
    assert not update_calibration_table(out / "fit.csv", doc)  # already current
    with pytest.raises(ValueError, match="markers"):
        update_calibration_table(out / "fit.csv", out / "fit.md")


def test_source_and_note_become_one_line_for_the_fit_table():
    # a folded YAML block (note: >) ends in a newline, which would split a Markdown row
    spec = TargetSpec(metric="gmv", value=1.0, source="001 @4295:\n  a fact", note="a note\n")
    assert spec.source == "001 @4295: a fact" and spec.note == "a note"
