"""Parameter sweeps: designs, seeds, identical results across executors, resume, kills.

Real model runs are tiny (300 households, 20 stores, 20 days). Functions named ``*_simulation``
below are stand-ins for ``ecosim.simulate.run_simulation`` that pool processes import by
name (``tests.test_sweep:...``) to inject failures or known answers.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecosim.analysis import load_sweep
from ecosim.cli import main
from ecosim.config import ConfigError
from ecosim.report import write_report
from ecosim.simulate import run_simulation
from ecosim.sweep import (
    build_design,
    load_sweep_file,
    plan_runs,
    run_seeds,
    run_sweep,
    scaled_sweep_file,
)
from ecosim.sweep.runner import BOOKKEEPING

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "configs" / "baseline.yaml"
TIMEOUT = 90.0  # bound on every wait for a subprocess (s)

GRID = f"""\
scenario: {BASELINE}
steps: 20
replications: 3
seed: 20261121
design: grid
overrides:
  consumers.n: 300
  merchants.n_initial: 20
parameters:
  platforms.0.mall.commission_rate: [0.0, 0.05]
  platforms.0.reputation_rule: [average, none]
outputs: [gmv, hhi, employment_total]
"""
N_POINTS = 2 * 2
N_RUNS = N_POINTS * 3


def _env() -> dict[str, str]:
    """Environment for subprocesses: this checkout importable, no stray warnings config."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def _write(folder: Path, text: str = GRID, name: str = "grid.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def _values(out: Path) -> pd.DataFrame:
    """runs.parquet without the columns that describe how (not what) a run computed."""
    return pd.read_parquet(out / "runs.parquet").drop(columns=list(BOOKKEEPING))


def _assert_same_results(out: Path, reference: Path) -> None:
    got, want = _values(out), _values(reference)
    pd.testing.assert_frame_equal(got, want)
    for run_id in want["run_id"]:
        pd.testing.assert_frame_equal(
            pd.read_parquet(out / "timeseries" / f"{run_id}.parquet"),
            pd.read_parquet(reference / "timeseries" / f"{run_id}.parquet"),
        )


def _no_partial_files(out: Path) -> None:
    """Every file in a sweep folder is complete: parses, and no temporary is left."""
    for path in out.rglob("*"):
        if path.is_dir() or path.name == ".lock":
            continue
        assert not path.name.endswith(".tmp"), f"temporary file left: {path}"
        if path.suffix == ".json":
            json.loads(path.read_text())
        elif path.suffix == ".parquet":
            pd.read_parquet(path)


def _wait_for_records(out: Path, n: int, proc: subprocess.Popen) -> int:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        count = len(list((out / "records").glob("*.json"))) if (out / "records").is_dir() else 0
        if count >= n:
            return count
        if proc.poll() is not None:
            pytest.fail(f"sweep ended early with status {proc.returncode}")
        time.sleep(0.02)
    proc.kill()
    pytest.fail(f"no {n} records within {TIMEOUT} s")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is dead for our purpose.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


# --------------------------------------------------------------------------- stand-ins
def _frame(steps: int, **columns: float) -> pd.DataFrame:
    index = pd.RangeIndex(1, steps + 1, name="day")
    return pd.DataFrame(
        {k: np.full(steps, v, dtype=float) for k, v in columns.items()}, index=index
    )


def flaky_simulation(config, steps=None, seed=None) -> pd.DataFrame:
    """Raises for one design point (reputation 'none' with a 5% commission)."""
    platform = config.platforms[0]
    if platform.reputation_rule == "none" and platform.mall.commission_rate == 0.05:
        raise RuntimeError("model blew up")
    return _frame(steps, gmv=float(seed % 1000), hhi=0.5, employment_total=1.0)


def suicidal_simulation(config, steps=None, seed=None) -> pd.DataFrame:
    """The real model, except the first call for one point kills its own process (SIGKILL)."""
    marker = Path(os.environ["ECOSIM_TEST_KILL_MARKER"])
    platform = config.platforms[0]
    if platform.reputation_rule == "none" and platform.mall.commission_rate == 0.05:
        try:
            marker.touch(exist_ok=False)
        except FileExistsError:
            pass
        else:
            os.kill(os.getpid(), signal.SIGKILL)
    return run_simulation(config, steps=steps, seed=seed)


def additive_simulation(config, steps=None, seed=None) -> pd.DataFrame:
    """gmv = 2a + b with a, b ~ U(0, 1): S1 = ST = 0.8 for a and 0.2 for b; hhi = a."""
    a = config.platforms[0].mall.commission_rate / 0.5
    b = config.consumers.iot_adoption
    return _frame(steps, gmv=2 * a + b, hhi=a)


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """The grid sweep run uninterrupted on one local worker."""
    folder = tmp_path_factory.mktemp("reference")
    summary = run_sweep(_write(folder), folder / "out", workers=1, progress=False)
    assert (summary.done, summary.failed, summary.skipped) == (N_RUNS, 0, 0)
    return folder / "out"


# --------------------------------------------------------------------------- designs
def test_grid_design_is_the_full_product_in_file_order(tmp_path):
    sweep = load_sweep_file(_write(tmp_path))
    design = build_design(sweep)
    keys = ["platforms.0.mall.commission_rate", "platforms.0.reputation_rule"]
    assert [tuple(p[k] for k in keys) for p in design.points] == [
        (0.0, "average"), (0.0, "none"), (0.05, "average"), (0.05, "none"),
    ]  # fmt: skip
    runs = plan_runs(design, 3, 20261121)
    assert len(runs) == N_RUNS == len({r.run_id for r in runs})
    assert [(r.point, r.replication) for r in runs[:4]] == [(0, 0), (0, 1), (0, 2), (1, 0)]


def test_seeds_are_spawned_per_point_then_replication():
    root = 20261121
    seeds = run_seeds(root, 4, 3)
    children = np.random.SeedSequence(root).spawn(4)
    expected = [[int(c.generate_state(1)[0]) for c in child.spawn(3)] for child in children]
    assert seeds.tolist() == expected
    assert len(np.unique(seeds)) == seeds.size
    # A run's seed depends only on its (point, replication), not on the sweep's size.
    assert np.array_equal(run_seeds(root, 9, 7)[:4, :3], seeds)
    assert not np.array_equal(run_seeds(root + 1, 4, 3), seeds)


def test_lhs_design_is_latin_and_typed(tmp_path):
    text = f"""\
scenario: {BASELINE}
design: lhs
samples: 10
seed: 3
parameters:
  consumers.iot_adoption: {{low: 0.0, high: 0.8}}
  merchants.n_initial: {{low: 20, high: 200}}
  platforms.0.reputation_rule: [average, bayesian, none]
  platforms.0.escrow: [true, false]
outputs: [gmv]
"""
    sweep = load_sweep_file(_write(tmp_path, text))
    design = build_design(sweep)
    assert len(design) == 10
    iot = np.array([p["consumers.iot_adoption"] for p in design.points])
    # Latin: exactly one point in each of the 10 equal strata of the range.
    assert sorted(np.floor(iot / 0.08).astype(int).tolist()) == list(range(10))
    assert all(type(p["merchants.n_initial"]) is int for p in design.points)
    assert all(20 <= p["merchants.n_initial"] <= 200 for p in design.points)
    rules = [p["platforms.0.reputation_rule"] for p in design.points]
    assert sorted(set(rules)) == ["average", "bayesian", "none"]
    assert {p["platforms.0.escrow"] for p in design.points} == {True, False}
    # Deterministic: the same file gives the same points.
    assert build_design(load_sweep_file(tmp_path / "grid.yaml")).points == design.points


def test_sobol_design_has_saltelli_structure(tmp_path):
    text = f"""\
scenario: {BASELINE}
design: sobol
samples: 8
parameters:
  platforms.0.mall.commission_rate: {{low: 0.0, high: 0.2}}
  consumers.iot_adoption: {{low: 0.0, high: 1.0}}
outputs: [gmv]
"""
    design = build_design(load_sweep_file(_write(tmp_path, text)))
    d = 2
    assert len(design) == 8 * (d + 2)
    x = np.array([[p[k] for k in design.problem["names"]] for p in design.points])
    blocks = x.reshape(8, d + 2, d)
    a, b = blocks[:, 0], blocks[:, -1]
    for j in range(d):  # row j+1 of each block is A with column j taken from B
        expected = a.copy()
        expected[:, j] = b[:, j]
        assert np.array_equal(blocks[:, j + 1], expected)


@pytest.mark.parametrize(
    "path", sorted((REPO / "experiments").glob("*.yaml")), ids=lambda p: p.name
)
def test_example_sweeps_are_valid(path):
    sweep = load_sweep_file(path)
    assert sweep.scenario_path is not None and sweep.scenario_path.is_file()
    assert len(build_design(sweep)) >= 2


# --------------------------------------------------------------------------- bad files
BAD = [
    ("replication: 3\n", "unknown key 'replication' (did you mean 'replications'?)"),
    ("parameters: {platforms.0.mall.comission_rate: [0.1]}\n",
     "key 'parameters.platforms.0.mall.comission_rate': no such config key"),
    ("parameters: {platforms.0.mall.commission_rate: [0.1, 2.0]}\n",
     "key 'parameters.platforms.0.mall.commission_rate': value 2.0"),
    ("parameters: {platforms.0.reputation_rule: [average, median]}\n",
     "key 'parameters.platforms.0.reputation_rule': value 'median'"),
    ("parameters: {consumers.iot_adoption: {low: 0, high: 0.5}}\n",
     "key 'parameters.consumers.iot_adoption': a grid design needs a list"),
    ("design: lhs\nparameters: {consumers.iot_adoption: {low: 0, high: 0.5}}\n",
     "key 'samples': required"),
    ("design: sobol\nsamples: 100\nparameters: {consumers.iot_adoption: {low: 0, high: 0.5}}\n",
     "key 'samples': must be a power of 2"),
    ("parameters: {seed: [1, 2]}\n", "key 'parameters.seed': cannot be varied"),
    ("parameters: {consumers: [1, 2]}\n", "key 'parameters.consumers': is a section"),
    ("outputs: [gmv, revenue]\n", "key 'outputs.1': 'revenue' is not a daily metric"),
    ("replications: many\n", "key 'replications': Input should be a valid integer"),
    ("scenario: nowhere.yaml\n", "key 'scenario': file not found"),
]  # fmt: skip


@pytest.mark.parametrize(("patch", "message"), BAD)
def test_malformed_sweep_file_names_the_key_and_exits_2(tmp_path, capsys, patch, message):
    data = {
        "scenario": str(BASELINE),
        "replications": 2,
        "parameters": {"platforms.0.mall.commission_rate": [0.0, 0.05]},
        "outputs": ["gmv"],
    }
    import yaml

    patched = yaml.safe_load(patch)
    if "replication" in patched:  # a typo next to the right key
        del data["replications"]
    data.update(patched)
    path = _write(tmp_path, yaml.safe_dump(data))
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: ")
    assert message in err
    assert "Traceback" not in err
    assert not out.exists()  # nothing is written for a bad file


# --------------------------------------------------------------------------- local runs
def test_one_and_two_local_workers_give_identical_results(tmp_path, reference):
    summary = run_sweep(_write(tmp_path), tmp_path / "out", workers=2, progress=False)
    assert (summary.done, summary.failed, summary.skipped, summary.missing) == (N_RUNS, 0, 0, 0)
    _assert_same_results(tmp_path / "out", reference)

    runs = _values(reference)
    assert runs["run_id"].is_unique and len(runs) == N_RUNS
    assert (runs["status"] == "done").all()
    plan = plan_runs(build_design(load_sweep_file(tmp_path / "grid.yaml")), 3, 20261121)
    assert runs["seed"].tolist() == [r.seed for r in plan]
    # The summaries are those of the time series, and differ between replications.
    ts = pd.read_parquet(reference / "timeseries" / "p00001-r002.parquet")
    row = runs.set_index("run_id").loc["p00001-r002"]
    assert row["gmv_final"] == ts["gmv"].iloc[-1]
    assert row["gmv_mean"] == ts["gmv"].mean()
    assert runs.groupby("point")["gmv_mean"].nunique().gt(1).all()

    manifest = json.loads((reference / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["summary"] == {"runs": N_RUNS, "done": N_RUNS, "failed": 0}
    assert manifest["versions"]["mesa"] and manifest["versions"]["numpy"]
    assert "commit" in manifest["git"] and manifest["sweep_text"] == GRID
    _no_partial_files(reference)


def test_rerun_runs_only_what_is_missing(tmp_path, reference):
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    for run_id in ["p00000-r000", "p00002-r001", "p00003-r002"]:
        (out / "records" / f"{run_id}.json").unlink()
    # Killed between writing a time series and its record: the run must be redone.
    (out / "timeseries" / "p00002-r001.parquet").write_bytes(b"garbage")
    (out / "timeseries" / ".p00000-r000.parquet.abc.tmp").write_bytes(b"half")
    summary = run_sweep(_write(tmp_path), out, workers=1, progress=False)
    assert (summary.done, summary.failed, summary.skipped) == (3, 0, N_RUNS - 3)
    _assert_same_results(out, reference)
    _no_partial_files(out)
    again = run_sweep(tmp_path / "grid.yaml", out, workers=1, progress=False)
    assert (again.done, again.failed, again.skipped) == (0, 0, N_RUNS)
    invocations = json.loads((out / "manifest.json").read_text())["invocations"]
    assert [(i["done"], i["skipped"]) for i in invocations] == [
        (N_RUNS, 0),
        (3, N_RUNS - 3),
        (0, N_RUNS),
    ]
    assert all("commit" in i["git"] and i["versions"]["numpy"] for i in invocations)


def test_changed_sweep_file_is_refused(tmp_path, reference, capsys):
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    path = _write(tmp_path, GRID.replace("replications: 3", "replications: 4"))
    with pytest.raises(ConfigError, match=r"differs from the sweep file .*changed: replications"):
        run_sweep(path, out, workers=1, progress=False)
    assert main(["sweep", str(path), "--out", str(out), "--no-progress"]) == 2
    assert "use another --out folder" in capsys.readouterr().err
    # Reordering parameters changes the design's point numbering: refused too.
    lines = GRID.splitlines()
    i = lines.index("parameters:")
    lines[i + 1], lines[i + 2] = lines[i + 2], lines[i + 1]
    with pytest.raises(ConfigError, match="changed: parameters"):
        run_sweep(_write(tmp_path, "\n".join(lines) + "\n"), out, workers=1, progress=False)
    _assert_same_results(out, reference)  # nothing was touched


def test_failing_runs_are_recorded_and_the_sweep_goes_on(tmp_path):
    path = _write(tmp_path)
    out = tmp_path / "out"
    summary = run_sweep(
        path, out, workers=1, progress=False, simulate=f"{__name__}:flaky_simulation"
    )
    assert (summary.done, summary.failed, summary.skipped) == (N_RUNS - 3, 3, 0)
    runs = pd.read_parquet(out / "runs.parquet")
    failed = runs[runs["status"] == "failed"]
    assert failed["run_id"].tolist() == ["p00003-r000", "p00003-r001", "p00003-r002"]
    assert (failed["error"] == "RuntimeError: model blew up").all()
    assert failed["gmv_final"].isna().all()
    assert not (out / "timeseries" / "p00003-r000.parquet").exists()
    record = json.loads((out / "records" / "p00003-r000.json").read_text())
    assert "model blew up" in record["traceback"]
    # A rerun skips failures, unless asked to retry them.
    rerun = run_sweep(path, out, workers=1, progress=False, simulate=f"{__name__}:flaky_simulation")
    assert (rerun.done, rerun.failed, rerun.skipped) == (0, 0, N_RUNS)
    retry = run_sweep(
        path, out, workers=1, progress=False, retry_failed=True,
        simulate=f"{__name__}:flaky_simulation",
    )  # fmt: skip
    assert (retry.done, retry.failed, retry.skipped) == (0, 3, N_RUNS - 3)


def test_pool_process_killed_mid_run_is_retried(tmp_path, reference, monkeypatch):
    marker = tmp_path / "killed-once"
    monkeypatch.setenv("ECOSIM_TEST_KILL_MARKER", str(marker))
    out = tmp_path / "out"
    summary = run_sweep(
        _write(tmp_path), out, workers=1, progress=False,
        simulate=f"{__name__}:suicidal_simulation",
    )  # fmt: skip
    assert marker.exists()  # a pool process really died
    assert (summary.done, summary.failed, summary.missing) == (N_RUNS, 0, 0)
    _assert_same_results(out, reference)
    attempts = pd.read_parquet(out / "runs.parquet").set_index("run_id")["attempts"]
    assert attempts.max() >= 2


def test_sweep_killed_with_sigkill_resumes_to_the_same_result(tmp_path, reference, capsys):
    path = _write(tmp_path)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "ecosim", "sweep", str(path), "--out", str(out),
           "--workers", "2", "--no-progress"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip
    _wait_for_records(out, 3, proc)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=TIMEOUT)
    _no_partial_files_but_temporaries_allowed(out)
    before = set(p.stem for p in (out / "records").glob("*.json"))
    assert 3 <= len(before) < N_RUNS, "the kill did not land mid-sweep"
    # The pool processes die with their parent (no orphans computing unrecorded runs).
    workers = _record_pids(out)
    deadline = time.monotonic() + 10
    while any(_pid_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_pid_alive(pid) for pid in workers)

    # The same command again (in-process, to save an interpreter start; one worker: the
    # worker count must not matter).
    assert main([*cmd[3:-3], "--workers", "1", "--no-progress"]) == 0
    assert (
        f"{N_RUNS - len(before)} done, 0 failed, {len(before)} skipped" in capsys.readouterr().out
    )
    runs = pd.read_parquet(out / "runs.parquet")
    assert runs["run_id"].is_unique and len(runs) == N_RUNS
    _assert_same_results(out, reference)
    _no_partial_files(out)


def _no_partial_files_but_temporaries_allowed(out: Path) -> None:
    """After SIGKILL a temporary may remain, but every file under its final name is whole."""
    for path in out.rglob("*"):
        if path.is_dir() or path.name == ".lock" or path.name.endswith(".tmp"):
            continue
        if path.suffix == ".json":
            json.loads(path.read_text())
        elif path.suffix == ".parquet":
            pd.read_parquet(path)


# --------------------------------------------------------------------------- analysis
def test_load_sweep_gives_tidy_frames_and_report(tmp_path, reference):
    sweep = load_sweep(reference)
    assert sweep.counts() == {"runs": N_RUNS, "done": N_RUNS, "failed": 0, "missing": 0}
    outcomes = sweep.outcomes
    assert len(outcomes) == N_RUNS * 3 * 2
    assert set(outcomes["stat"]) == {"final", "mean"}
    hhi = outcomes.query("output == 'hhi' and stat == 'mean'").set_index("run_id")["value"]
    assert hhi.equals(sweep.runs.set_index("run_id")["hhi_mean"].rename("value"))
    summary = sweep.point_summary()
    assert len(summary) == N_POINTS * 3 * 2 and (summary["n"] == 3).all()
    series = sweep.timeseries(["gmv"])
    assert len(series) == N_RUNS * 20
    one = series[series["run_id"] == "p00002-r001"].set_index("day")["value"]
    ts = pd.read_parquet(reference / "timeseries" / "p00002-r001.parquet")["gmv"]
    assert one.to_numpy().tolist() == ts.to_numpy().tolist()

    assert main(["report", str(reference), "--out", str(tmp_path / "report")]) == 0
    text = (tmp_path / "report" / "report.md").read_text()
    assert f"{N_RUNS} done, 0 failed, 0 missing" in text
    for name in ["outcomes_gmv.png", "outcomes_hhi.png", "timeseries.png"]:
        assert (tmp_path / "report" / name).stat().st_size > 1000
        assert f"]({name})" in text


def test_sobol_indices_recover_a_known_additive_model(tmp_path):
    text = f"""\
scenario: {BASELINE}
steps: 2
replications: 1
seed: 5
design: sobol
samples: 32
parameters:
  platforms.0.mall.commission_rate: {{low: 0.0, high: 0.5}}
  consumers.iot_adoption: {{low: 0.0, high: 1.0}}
outputs: [gmv, hhi]
"""
    out = tmp_path / "out"
    summary = run_sweep(
        _write(tmp_path, text), out, workers=1, progress=False,
        simulate=f"{__name__}:additive_simulation",
    )  # fmt: skip
    assert summary.done == 32 * 4
    indices = load_sweep(out).sobol().set_index(["output", "stat", "parameter"])
    gmv = indices.loc[("gmv", "final")]
    assert gmv.loc["platforms.0.mall.commission_rate", "S1"] == pytest.approx(0.8, abs=0.1)
    assert gmv.loc["consumers.iot_adoption", "S1"] == pytest.approx(0.2, abs=0.1)
    assert gmv.loc["platforms.0.mall.commission_rate", "ST"] == pytest.approx(0.8, abs=0.1)
    assert gmv.loc["consumers.iot_adoption", "ST"] == pytest.approx(0.2, abs=0.1)
    assert (gmv["S1_conf"] > 0).all()
    hhi = indices.loc[("hhi", "mean")]
    assert hhi.loc["consumers.iot_adoption", "ST"] == pytest.approx(0.0, abs=0.02)
    assert write_report(out).is_file()
    assert (out / "report" / "sobol_gmv.png").is_file()


# --------------------------------------------------------------------------- dask
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LoopbackCluster:
    """A Dask scheduler and workers as real processes on 127.0.0.1."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.bin = Path(sys.executable).parent
        self.scheduler = self._spawn("scheduler", "scheduler", "--host", "127.0.0.1",
                                     "--port", str(self.port), "--no-dashboard")  # fmt: skip
        self.workers: list[subprocess.Popen] = []

    def _spawn(self, log: str, *args: str) -> subprocess.Popen:
        with open(self.folder / f"{log}.log", "ab") as fh:
            return subprocess.Popen(
                [str(self.bin / "dask"), *args], env=_env(), cwd=self.folder,
                stdout=fh, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def add_worker(self) -> subprocess.Popen:
        # --no-nanny: the process we may kill is the worker itself, not a supervisor.
        worker = self._spawn(f"worker{len(self.workers)}", "worker", self.address,
                             "--nthreads", "1", "--no-nanny", "--no-dashboard")  # fmt: skip
        self.workers.append(worker)
        return worker

    def wait_for_workers(self, n: int) -> None:
        from distributed import Client

        with Client(self.address, timeout=TIMEOUT) as client:
            client.wait_for_workers(n, timeout=TIMEOUT)
            # A killed worker may linger in the scheduler's view for a moment: wait exactly n.
            deadline = time.monotonic() + TIMEOUT
            while len(client.scheduler_info(n_workers=-1)["workers"]) != n:
                assert time.monotonic() < deadline, "cluster did not settle"
                time.sleep(0.1)

    def close(self) -> None:
        for proc in [*self.workers, self.scheduler]:
            if proc.poll() is None:
                proc.terminate()
        for proc in [*self.workers, self.scheduler]:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    pytest.importorskip("distributed")
    loop = LoopbackCluster(tmp_path_factory.mktemp("dask"))
    try:
        loop.add_worker()
        loop.add_worker()
        loop.wait_for_workers(2)
        yield loop
    finally:
        loop.close()


def test_dask_cluster_gives_identical_results(tmp_path, reference, cluster):
    summary = run_sweep(_write(tmp_path), tmp_path / "out", scheduler=cluster.address,
                        progress=False)  # fmt: skip
    assert (summary.done, summary.failed, summary.missing) == (N_RUNS, 0, 0)
    assert "dask" in summary.executor
    _assert_same_results(tmp_path / "out", reference)
    workers = pd.read_parquet(tmp_path / "out" / "runs.parquet")["worker"]
    pids = {int(w.split(":")[1]) for w in workers}
    assert pids <= {w.pid for w in cluster.workers}  # really ran on the cluster's workers


def test_dask_cluster_keeps_each_runs_panels_as_a_local_sweep_does(tmp_path, cluster):
    """keep_panels on a cluster: each run's panel and log files equal, byte for byte, those
    of the same sweep on local processes (the loopback workers share this file system)."""
    sweep = tmp_path / "keep.yaml"
    sweep.write_text(
        "scenario: configs/baseline.yaml\n"
        "steps: 10\nreplications: 2\nseed: 5\nkeep_panels: true\n"
        "overrides:\n  consumers.n: 300\n  merchants.n_initial: 20\n"
        "  outputs.frequency: daily\n"
        "parameters:\n  platforms.0.mall.commission_rate: [0.0, 0.05]\n"
        "outputs: [gmv]\n"
    )
    local, remote = tmp_path / "local", tmp_path / "remote"
    assert run_sweep(sweep, local, workers=1, progress=False).done == 4
    summary = run_sweep(sweep, remote, scheduler=cluster.address, progress=False)
    assert (summary.done, summary.failed) == (4, 0)
    kept = sorted(p.relative_to(local) for p in (local / "panels").rglob("*.parquet"))
    assert len(kept) == 4  # the store panel of each run
    assert kept == sorted(p.relative_to(remote) for p in (remote / "panels").rglob("*.parquet"))
    for rel in kept:
        assert (local / rel).read_bytes() == (remote / rel).read_bytes(), rel


def test_dask_worker_killed_mid_sweep_gives_the_same_result(tmp_path, reference, cluster):
    path = _write(tmp_path)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "ecosim", "sweep", str(path), "--out", str(out),
           "--scheduler", cluster.address, "--no-progress"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    victim = cluster.workers[0]
    try:
        # Kill the victim once it has finished a run, i.e. while it is busy mid-sweep.
        deadline = time.monotonic() + TIMEOUT
        while victim.pid not in _record_pids(out):
            _wait_for_records(out, 1, proc)
            assert time.monotonic() < deadline, "the victim never ran anything"
            time.sleep(0.02)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=TIMEOUT)
        stdout, stderr = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=TIMEOUT)
        cluster.workers.remove(victim)
        cluster.add_worker()  # back to two workers for whatever runs next
    assert proc.returncode == 0, stderr
    assert f"{N_RUNS} done, 0 failed, 0 skipped" in stdout
    runs = pd.read_parquet(out / "runs.parquet")
    assert runs["run_id"].is_unique and len(runs) == N_RUNS
    assert len(_record_pids(out) - {victim.pid}) >= 1  # the survivor finished the sweep
    _assert_same_results(out, reference)
    cluster.wait_for_workers(2)


def _record_pids(out: Path) -> set[int]:
    """Process ids of the workers that ran the recorded runs."""
    pids = set()
    for path in (out / "records").glob("*.json") if (out / "records").is_dir() else []:
        pids.add(int(json.loads(path.read_text())["worker"].rsplit(":", 1)[1]))
    return pids


# --------------------------------------------------------------------------- refusals
def deadly_simulation(config, steps=None, seed=None) -> pd.DataFrame:
    """The real model, except that one point kills its own process (SIGKILL) every time."""
    platform = config.platforms[0]
    if platform.reputation_rule == "none" and platform.mall.commission_rate == 0.05:
        os.kill(os.getpid(), signal.SIGKILL)
    return run_simulation(config, steps=steps, seed=seed)


def gmv_only_simulation(config, steps=None, seed=None) -> pd.DataFrame:
    """A model that reports gmv but none of the sweep's other outputs."""
    return _frame(steps, gmv=1.0)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ecosim", *args],
        capture_output=True, text=True, env=_env(), timeout=TIMEOUT,
    )  # fmt: skip


def _refused(res: subprocess.CompletedProcess, *words: str) -> None:
    """Exit status 2, a message naming every word, and no traceback."""
    assert res.returncode == 2, res.stdout + res.stderr
    assert "Traceback" not in res.stdout + res.stderr
    for word in words:
        assert word in res.stderr, (word, res.stderr)


def _contents(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    "damage",
    ['{"format": 1, "sweep": {"scenario"', "[1, 2, 3]\n", '{"format": 1}\n'],
    ids=["truncated", "a-list", "keys-missing"],
)
def test_damaged_manifest_is_refused_naming_it(tmp_path, reference, damage):
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    manifest = out / "manifest.json"
    manifest.write_text(damage)
    before = _contents(out)
    res = _cli("sweep", str(_write(tmp_path)), "--out", str(out), "--no-progress")
    _refused(res, f"error: {manifest}: damaged (", "delete it")
    report = tmp_path / "report"
    res = _cli("report", str(out), "--out", str(report))
    _refused(res, f"error: {manifest}: damaged (")
    with pytest.raises(ConfigError, match=r"manifest\.json: damaged"):
        load_sweep(out)
    assert _contents(out) == before and not report.exists()  # nothing written anywhere


def test_damaged_time_series_is_reported_then_redone_on_resume(tmp_path, reference):
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    victim = out / "timeseries" / "p00001-r002.parquet"
    victim.write_bytes(b"garbage")  # beside an intact record
    with pytest.raises(ConfigError, match=r"p00001-r002\.parquet: time series of a done run"):
        load_sweep(out)
    report = tmp_path / "report"
    res = _cli("report", str(out), "--out", str(report))
    _refused(res, f"error: {victim}: time series of a done run damaged", "ecosim sweep")
    assert not report.exists()
    # Resuming treats the run as not done: it runs again, and only it.
    summary = run_sweep(_write(tmp_path), out, workers=1, progress=False)
    assert (summary.done, summary.failed, summary.skipped) == (1, 0, N_RUNS - 1)
    _assert_same_results(out, reference)
    assert load_sweep(out).counts()["done"] == N_RUNS


def test_design_too_large_is_refused_before_it_is_built(tmp_path):
    huge = f"""\
scenario: {BASELINE}
design: lhs
samples: 10000000
replications: 100000
parameters:
  consumers.iot_adoption: {{low: 0.0, high: 1.0}}
outputs: [gmv]
"""
    out = tmp_path / "out"
    res = _cli("sweep", str(_write(tmp_path, huge)), "--out", str(out), "--no-progress")
    _refused(
        res,
        "keys 'samples' x 'replications': 10,000,000 points x 100,000 replications",
        "more than the maximum of 100,000 runs",
    )
    assert not out.exists()
    grid = GRID.replace("replications: 3", "replications: 25001")  # 4 points: 100,004 runs
    too_many = r"keys 'parameters' \(values multiply\) x 'replications'"
    with pytest.raises(ConfigError, match=too_many):
        load_sweep_file(_write(tmp_path, grid))
    assert len(plan_runs(build_design(load_sweep_file(_write(tmp_path, GRID))), 3, 1)) == N_RUNS


def test_outputs_are_checked_against_the_models_metrics(tmp_path):
    two = REPO / "configs" / "scenarios" / "two_platforms.yaml"
    text = GRID.replace(str(BASELINE), str(two)).replace(
        "outputs: [gmv, hhi, employment_total]", "outputs: [gmv, platform_share_jd]"
    )
    assert load_sweep_file(_write(tmp_path, text)).spec.outputs == ["gmv", "platform_share_jd"]
    out = tmp_path / "out"
    res = _cli("sweep", str(_write(tmp_path, text.replace("_jd", "_jdd"))), "--out", str(out))
    _refused(res, "key 'outputs.1': 'platform_share_jdd' is not a daily metric (did you mean")
    one = GRID.replace("outputs: [gmv, hhi, employment_total]", "outputs: [platform_share_x]")
    res = _cli("sweep", str(_write(tmp_path, one)), "--out", str(out))
    _refused(res, "'platform_share_x' is not a daily metric (per-platform shares exist only")
    assert not out.exists()


def test_outputs_the_model_lacks_leave_no_folder_behind(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(ConfigError, match="key 'outputs': output 'hhi' is not a daily metric"):
        run_sweep(_write(tmp_path), out, workers=1, progress=False,
                  simulate=f"{__name__}:gmv_only_simulation")  # fmt: skip
    assert not out.exists()
    # So the same folder takes the sweep once the model reports every output.
    summary = run_sweep(tmp_path / "grid.yaml", out, workers=1, progress=False,
                        simulate=f"{__name__}:flaky_simulation")  # fmt: skip
    assert (summary.done, summary.failed) == (N_RUNS - 3, 3)


def test_unreachable_scheduler_leaves_nothing_behind(tmp_path):
    pytest.importorskip("distributed")
    address = f"tcp://127.0.0.1:{_free_port()}"  # nothing listens there
    out = tmp_path / "out"
    res = _cli("sweep", str(_write(tmp_path)), "--out", str(out), "--scheduler", address,
               "--no-progress")  # fmt: skip
    _refused(res, f"cannot reach the Dask scheduler at {address}")
    assert not out.exists()


def test_worker_deaths_are_charged_only_to_the_run_that_caused_them(tmp_path, reference):
    out = tmp_path / "out"
    summary = run_sweep(_write(tmp_path), out, workers=2, progress=False, max_retries=1,
                        simulate=f"{__name__}:deadly_simulation")  # fmt: skip
    assert (summary.done, summary.failed, summary.missing) == (N_RUNS - 3, 3, 0)
    runs = pd.read_parquet(out / "runs.parquet").set_index("run_id")
    failed = runs[runs["status"] == "failed"]
    assert failed.index.tolist() == ["p00003-r000", "p00003-r001", "p00003-r002"]
    assert failed["error"].str.startswith("WorkerLost: ").all()
    # Lost once with others (not charged), then twice alone: max_retries=1 is exceeded.
    assert (failed["attempts"] == 4).all()
    # Every healthy run that shared a pool with the killer is done, with the same result.
    done = _values(out).query("status == 'done'").reset_index(drop=True)
    want = _values(reference)
    want = want[want["run_id"].isin(done["run_id"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(done, want)


class _FailedFuture:
    """What a Dask future looks like once its task errored."""

    status = "error"

    def __init__(self, exc: BaseException) -> None:
        self._exc = exc

    def exception(self) -> BaseException:
        return self._exc


def test_dask_killed_worker_is_a_worker_loss_not_a_failed_run():
    distributed = pytest.importorskip("distributed")
    from ecosim.sweep.executors import DaskExecutor, WorkerLost

    executor = DaskExecutor.__new__(DaskExecutor)  # no scheduler needed to read a result
    last = type("Worker", (), {"address": "tcp://127.0.0.1:1"})()
    killed = distributed.KilledWorker("ecosim-run-p00003-r000-x", last, 3)
    with pytest.raises(WorkerLost, match="Dask workers died"):
        executor.result(_FailedFuture(killed))
    with pytest.raises(ValueError, match="other"):  # any other error is passed on as it is
        executor.result(_FailedFuture(ValueError("other")))


STUDIES = ["fees_competition_jobs", "trust_reputation", "iot_bargaining"]


@pytest.mark.parametrize("study", STUDIES)
def test_scaled_copy_of_a_study_keeps_its_design_and_changes_only_the_scale(study, tmp_path):
    """The notebooks' small versions: same points and outputs, another population, horizon,
    replication count and seed; written elsewhere, its scenario still found."""
    original = load_sweep_file(f"experiments/{study}.yaml")
    dest = scaled_sweep_file(
        f"experiments/{study}.yaml",
        tmp_path / "deep" / "copy.yaml",
        overrides={"consumers.n": 500},
        steps=20,
        replications=1,
        seed=3,
    )
    copy = load_sweep_file(dest)
    assert build_design(copy).points == build_design(original).points
    assert copy.spec.outputs == original.spec.outputs
    assert copy.scenario_path == original.scenario_path.resolve()
    assert (copy.spec.steps, copy.spec.replications, copy.spec.seed) == (20, 1, 3)
    assert copy.spec.overrides == {**original.spec.overrides, "consumers.n": 500}
    assert copy.base.consumers.n == 500


def test_scaled_copy_with_a_bad_override_is_refused_and_not_written(tmp_path):
    with pytest.raises(ConfigError, match=r"consumers\.n"):
        scaled_sweep_file(
            "experiments/smoke.yaml", tmp_path / "copy.yaml", overrides={"consumers.n": -5}
        )
    assert not (tmp_path / "copy.yaml").exists()
