"""Benchmark: wall time, time per simulated day, build time and peak memory by scale.

Every measurement runs in a fresh Python process (``python -m ecosim.bench --worker SPEC``),
so each scale's peak resident memory (``getrusage(RUSAGE_SELF).ru_maxrss``) is its own and no
run warms caches for the next. The parent process only collects the workers' JSON lines and
summarises them: median, minimum and maximum over the repeats.

What one measurement times:
    build_s: ``EcosystemModel(config)`` (s), after imports.
    run_s: ``model.run(days)`` (s).
    wall_s: build_s + run_s (s): what a user waits for once Python is up.
    per_day_s: run_s / days (s/day).
    cpu_s: process CPU time over build and run (s); below wall_s when the machine is shared.
    peak_rss_bytes: the worker's peak resident set size (bytes), interpreter and imports
        included.

:func:`bench` runs a list of scales, optionally the merchant check (the same consumers with
ten times the merchants) and the reference comparison (the plain-Mesa consumer path against
the columnar one at the same scale and days), and checks the performance
targets of docs/performance.md (:data:`TARGETS`) against what it measured.

Example:
    >>> report = bench([Scale(300, 10, 3)], repeat=1, merchant_check=False, reference=None)
    ... # doctest: +SKIP
    >>> print(format_report(report))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "LADDER",
    "PANELS_ALL",
    "PANELS_OFF",
    "PANEL_TARGETS",
    "TARGETS",
    "Scale",
    "bench",
    "bench_panels",
    "default_config",
    "format_panels_report",
    "format_report",
    "machine",
    "measure",
    "run_once",
    "scaled_merchants",
]

CONSUMERS_PER_MERCHANT = 50  # the baseline's ratio: 10^4 households, 200 stores
LADDER = (10_000, 100_000, 1_000_000)  # consumers of the standard ladder
MERCHANT_FACTOR = 10  # the merchant check multiplies the merchants by this
GIB = 2**30

# The performance targets (docs/performance.md, The figures): name -> (limit, comparison,
# what it measures).
TARGETS: dict[str, tuple[float, str, str]] = {
    "baseline_wall_s": (5.0, "<=", "10^4 consumers, 365 days: median wall time (s)"),
    "million_wall_s": (120.0, "<=", "10^6 consumers, 20,000 merchants, 365 days: wall (s)"),
    "million_peak_rss_gib": (4.0, "<=", "10^6 consumers, 20,000 merchants: peak RSS (GiB)"),
    "consumer_scaling_exponent": (
        1.0,
        "<=",
        "b in time/day ~ consumers^b, smallest to largest ladder scale",
    ),
    "merchant_ratio": (1.5, "<", "time/day with 10x merchants over time/day, same consumers"),
    "reference_speedup": (50.0, ">=", "reference time/day over fast time/day at 10^5"),
}

#: The target of ``ecosim bench --panels`` (docs/outputs.md), judged by :func:`bench_panels`.
PANEL_TARGETS: dict[str, tuple[float, str, str]] = {
    "panels_ratio": (
        1.5,
        "<=",
        "10^5 consumers: wall time with every panel (daily) and log written over none",
    ),
}

#: Config overrides of the panel benchmark (docs/outputs.md): nothing recorded...
PANELS_OFF = ["outputs.panels=[]", "outputs.events=[]"]
#: ...and every panel, daily, and every log, written to Parquet files.
PANELS_ALL = [
    "outputs.panels=[stores,manufacturers,couriers,platforms,households]",
    "outputs.events=[orders,deliveries,ratings,entries,exits,contracts,jobs,rules]",
    "outputs.frequency=daily",
]


@dataclass(frozen=True)
class Scale:
    """One benchmark scale.

    Attributes:
        consumers: households.
        merchants: initial stores.
        days: simulated days.
        path: ``vectorized`` (columnar, the default) or ``reference`` (plain Mesa).
    """

    consumers: int
    merchants: int
    days: int = 365
    path: str = "vectorized"

    @property
    def label(self) -> str:
        """Short name, e.g. ``1e6 x 20000 x 365d``."""
        ref = " reference" if self.path == "reference" else ""
        return f"{self.consumers:.0e} x {self.merchants} x {self.days}d{ref}".replace("+0", "")


def scaled_merchants(consumers: int) -> int:
    """Initial stores for a population, at the baseline's ratio (at least 10)."""
    return max(10, consumers // CONSUMERS_PER_MERCHANT)


def default_config() -> str | None:
    """The baseline config file: ``configs/baseline.yaml`` here or beside the package."""
    for candidate in (
        Path("configs/baseline.yaml"),
        Path(__file__).resolve().parent.parent / "configs" / "baseline.yaml",
    ):
        if candidate.is_file():
            return str(candidate)
    return None


def run_once(
    scale: Scale,
    config: str | None,
    seed: int | None = None,
    overrides: list[str] | None = None,
    write_outputs: bool = False,
) -> dict[str, float]:
    """Build and run one model in this process and time it (see the module docstring).

    Args:
        scale: consumers, merchants, days and consumer path.
        config: YAML config the scale overrides (None: built-in defaults).
        seed: model seed (the config's when None).
        overrides: further ``dotted.key=value`` overrides, applied before the scale's.
        write_outputs: write the config's panels and logs to a temporary folder as a run
            with ``--out`` does (their writing is timed in run_s).

    Returns:
        build_s, run_s, wall_s, per_day_s, cpu_s and peak_rss_bytes; with
        ``write_outputs`` also ``bytes_<file>`` for every file written and ``bytes_total``.
    """
    from ecosim import EcosystemModel, load_config

    cfg = load_config(
        config,
        [
            *(overrides or []),
            f"consumers.n={scale.consumers}",
            f"merchants.n_initial={scale.merchants}",
            f"consumer_path={scale.path}",
        ],
    )
    folder = tempfile.TemporaryDirectory(prefix="ecosim-bench-") if write_outputs else None
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    model = EcosystemModel(cfg, rng=seed, output_dir=folder.name if folder else None)
    t1 = time.perf_counter()
    model.run(scale.days)
    files = model.finish_outputs()
    t2 = time.perf_counter()
    cpu = time.process_time() - cpu0
    sizes = {f"bytes_{f.name}": float(f.stat().st_size) for f in files}
    if folder is not None:
        sizes["bytes_total"] = float(sum(sizes.values()))
        folder.cleanup()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # ru_maxrss is in KiB on Linux and in bytes on macOS.
    peak_bytes = peak if sys.platform == "darwin" else peak * 1024
    return {
        "build_s": t1 - t0,
        "run_s": t2 - t1,
        "wall_s": t2 - t0,
        "per_day_s": (t2 - t1) / max(scale.days, 1),
        "cpu_s": cpu,
        "peak_rss_bytes": float(peak_bytes),
        **sizes,
    }


def _worker_command(
    scale: Scale,
    config: str | None,
    seed: int | None,
    overrides: list[str] | None,
    write_outputs: bool = False,
) -> list[str]:
    spec = {
        "scale": asdict(scale),
        "config": config,
        "seed": seed,
        "overrides": overrides,
        "write_outputs": write_outputs,
    }
    return [sys.executable, "-m", "ecosim.bench", "--worker", json.dumps(spec)]


def _summary(values: list[float]) -> dict[str, float]:
    med = statistics.median(values)
    return {
        "median": med,
        "min": min(values),
        "max": max(values),
        "spread": (max(values) - min(values)) / med if med else 0.0,
    }


def measure(
    scale: Scale,
    repeat: int,
    config: str | None,
    seed: int | None = None,
    progress: Any = None,
    overrides: list[str] | None = None,
    write_outputs: bool = False,
) -> dict[str, Any]:
    """Run ``scale`` ``repeat`` times, each in a fresh process, and summarise.

    Args:
        scale: what to run.
        repeat: number of runs.
        config: YAML config the scale overrides.
        seed: model seed (the config's when None); the same for every repeat, so the runs
            differ in timing only.
        progress: called with a one-line message before each run, if given.
        overrides: further ``dotted.key=value`` config overrides for every run.
        write_outputs: write the panels and logs the config asks for (:func:`run_once`).

    Returns:
        The scale, the raw samples, and per quantity its median, min, max and spread
        ((max - min) / median).

    Raises:
        RuntimeError: if a worker fails (its stderr is included).
    """
    samples = []
    for r in range(repeat):
        if progress:
            progress(f"{scale.label}: run {r + 1}/{repeat}")
        done = subprocess.run(
            _worker_command(scale, config, seed, overrides, write_outputs),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"benchmark worker failed for {scale.label}:\n{done.stderr}")
        samples.append(json.loads(done.stdout.strip().splitlines()[-1]))
    keys = samples[0].keys()
    return {
        "scale": asdict(scale),
        "label": scale.label,
        "repeat": repeat,
        "samples": samples,
        **{k: _summary([s[k] for s in samples]) for k in keys},
    }


def machine() -> dict[str, Any]:
    """What the benchmark ran on: CPU, cores, memory, load, Python and library versions."""
    import mesa
    import numpy

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) * 1024
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_bytes": mem,
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "mesa": mesa.__version__,
        "platform": platform.platform(),
    }


def _target(name: str, value: float | None, detail: str) -> dict[str, Any]:
    limit, op, what = {**TARGETS, **PANEL_TARGETS}[name]
    ok = None
    if value is not None:
        ok = {"<=": value <= limit, "<": value < limit, ">=": value >= limit}[op]
    return {
        "name": name,
        "what": what,
        "value": value,
        "limit": limit,
        "op": op,
        "ok": ok,
        "detail": detail,
    }


def _find(results: list[dict], consumers: int, merchants: int | None, days: int | None):
    for res in results:
        s = res["scale"]
        if (
            s["consumers"] == consumers
            and (merchants is None or s["merchants"] == merchants)
            and (days is None or s["days"] == days)
            and s["path"] == "vectorized"
        ):
            return res
    return None


def check_targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The performance targets, each with the measured value (None when not measured) and ok."""
    scales = report["scales"]
    out = []
    base = _find(scales, 10_000, None, 365)
    out.append(
        _target(
            "baseline_wall_s",
            base["wall_s"]["median"] if base else None,
            base["label"] if base else "not run (needs 10^4 consumers, 365 days)",
        )
    )
    big = _find(scales, 1_000_000, 20_000, 365)
    out.append(
        _target(
            "million_wall_s",
            big["wall_s"]["median"] if big else None,
            big["label"] if big else "not run (needs 10^6 x 20,000 x 365 days)",
        )
    )
    out.append(
        _target(
            "million_peak_rss_gib",
            big["peak_rss_bytes"]["median"] / GIB if big else None,
            big["label"] if big else "not run",
        )
    )
    fast = [r for r in scales if r["scale"]["path"] == "vectorized"]
    exponent, detail = None, "needs two scales with the same days and merchant ratio"
    if len(fast) >= 2:
        lo = min(fast, key=lambda r: r["scale"]["consumers"])
        hi = max(fast, key=lambda r: r["scale"]["consumers"])
        if hi["scale"]["consumers"] > lo["scale"]["consumers"]:
            import math

            ratio = hi["per_day_s"]["median"] / lo["per_day_s"]["median"]
            growth = hi["scale"]["consumers"] / lo["scale"]["consumers"]
            exponent = math.log(ratio) / math.log(growth)
            detail = (
                f"time/day x{ratio:.1f} for consumers x{growth:.0f} "
                f"({lo['label']} -> {hi['label']})"
            )
    out.append(_target("consumer_scaling_exponent", exponent, detail))
    check = report.get("merchant_check")
    if check:
        ratio = check["more"]["per_day_s"]["median"] / check["base"]["per_day_s"]["median"]
        detail = f"{check['base']['label']} -> {check['more']['label']}"
    else:
        ratio, detail = None, "not run"
    out.append(_target("merchant_ratio", ratio, detail))
    ref = report.get("reference")
    if ref:
        speed = ref["reference"]["per_day_s"]["median"] / ref["fast"]["per_day_s"]["median"]
        detail = f"{ref['reference']['label']} vs {ref['fast']['label']}"
        if ref["fast"]["scale"]["consumers"] != 100_000:
            detail += " (target is stated at 10^5 consumers)"
    else:
        speed, detail = None, "not run"
    out.append(_target("reference_speedup", speed, detail))
    return out


def _report_header(
    config: str | None, seed: int | None, overrides: list[str] | None, repeat: int
) -> dict[str, Any]:
    """What every bench report starts with: the machine and what was run."""
    return {
        "machine": machine(),
        "config": config,
        "seed": seed,
        "overrides": list(overrides or []),
        "repeat": repeat,
    }


def bench(
    scales: list[Scale],
    repeat: int = 3,
    *,
    config: str | None = None,
    seed: int | None = None,
    merchant_check: bool | int = False,
    reference: Scale | None = None,
    progress: Any = None,
    overrides: list[str] | None = None,
) -> dict[str, Any]:
    """Measure every scale, then the merchant check and the reference comparison.

    Args:
        scales: scales to measure (columnar path).
        repeat: runs per scale.
        config: YAML config the scales override (``default_config()`` when None).
        seed: model seed (the config's when None).
        merchant_check: False, or the consumers at which to compare ``scaled_merchants``
            stores with ``MERCHANT_FACTOR`` times as many (365 days, or the scales' days);
            True means 10^5. A matching scale already measured is reused.
        reference: a scale to run on both consumer paths (``path`` is ignored), or None.
        progress: called with a one-line message before each run, if given.
        overrides: further ``dotted.key=value`` config overrides for every run.

    Returns:
        A JSON-ready report: machine, scales, merchant_check, reference and targets.
    """
    config = config if config is not None else default_config()
    started = time.perf_counter()
    report = _report_header(config, seed, overrides, repeat)
    report["scales"] = []

    def run(scale: Scale) -> dict[str, Any]:
        return measure(scale, repeat, config, seed, progress, overrides)

    for scale in scales:
        report["scales"].append(run(scale))
    if merchant_check:
        consumers = 100_000 if merchant_check is True else int(merchant_check)
        days = scales[0].days if scales else 365
        merchants = scaled_merchants(consumers)
        base = _find(report["scales"], consumers, merchants, days)
        if base is None:
            base = run(Scale(consumers, merchants, days))
        more = Scale(consumers, merchants * MERCHANT_FACTOR, days)
        report["merchant_check"] = {"base": base, "more": run(more)}
    if reference is not None:
        fast = Scale(reference.consumers, reference.merchants, reference.days, "vectorized")
        slow = Scale(reference.consumers, reference.merchants, reference.days, "reference")
        report["reference"] = {"fast": run(fast), "reference": run(slow)}
    report["targets"] = check_targets(report)
    report["elapsed_s"] = time.perf_counter() - started
    return report


def bench_panels(
    scales: list[Scale],
    repeat: int = 3,
    *,
    config: str | None = None,
    seed: int | None = None,
    progress: Any = None,
    overrides: list[str] | None = None,
) -> dict[str, Any]:
    """The cost of panels and logs: each scale with nothing recorded (:data:`PANELS_OFF`)
    and with every panel (daily) and log written to Parquet (:data:`PANELS_ALL`).

    Returns:
        A JSON-ready report: machine, and per scale ``off`` and ``all`` measurements (with
        file sizes), their wall-time ``ratio``, and the ``panels_ratio`` target at 10^5.
    """
    config = config if config is not None else default_config()
    started = time.perf_counter()
    report = _report_header(config, seed, overrides, repeat)
    report["panels"] = []
    for scale in scales:
        off = measure(scale, repeat, config, seed, progress, [*(overrides or []), *PANELS_OFF])
        on = measure(scale, repeat, config, seed, progress, [*(overrides or []), *PANELS_ALL], True)
        ratio = on["wall_s"]["median"] / off["wall_s"]["median"]
        report["panels"].append({"off": off, "all": on, "ratio": ratio})
    at = [p for p in report["panels"] if p["off"]["scale"]["consumers"] == 100_000]
    report["targets"] = [
        _target(
            "panels_ratio",
            at[0]["ratio"] if at else None,
            at[0]["off"]["label"] if at else "not run (needs 10^5 consumers)",
        )
    ]
    report["elapsed_s"] = time.perf_counter() - started
    return report


def format_panels_report(report: dict[str, Any]) -> str:
    """The panel benchmark as plain text: wall times off and on, ratio, file sizes."""
    m = report["machine"]
    load = ", ".join(f"{x:.2f}" for x in m["load_average"]) if m.get("load_average") else "?"
    lines = [
        f"machine: {m['cpu']}, {m['cores']} cores; load average at start {load}",
        f"medians of {report['repeat']} runs, each in a fresh process; all = every panel "
        "(daily) and every log written to Parquet",
        "",
        f"{'scale':<30} {'off s':>9} {'all s':>9} {'ratio':>7} {'files MB':>9} "
        f"{'RSS off':>10} {'RSS all':>10}",
    ]
    for res in report["panels"]:
        off, on = res["off"], res["all"]
        lines.append(
            f"{off['label']:<30} {off['wall_s']['median']:>9.2f} {on['wall_s']['median']:>9.2f} "
            f"{res['ratio']:>7.2f} {on['bytes_total']['median'] / 1e6:>9.1f} "
            f"{_gib(off['peak_rss_bytes']['median']):>10} "
            f"{_gib(on['peak_rss_bytes']['median']):>10}"
        )
        sizes = [
            f"{k.removeprefix('bytes_')} {v['median'] / 1e6:.1f} MB"
            for k, v in on.items()
            if k.startswith("bytes_") and k != "bytes_total"
        ]
        lines.append("  files: " + ", ".join(sizes))
    lines += ["", "performance targets (docs/performance.md):"]
    for t in report["targets"]:
        value = "not measured" if t["value"] is None else f"{t['value']:.3g}"
        mark = {True: "ok", False: "MISSED", None: "-"}[t["ok"]]
        lines.append(
            f"  {mark:<6} {t['name']:<26} {value:>12} {t['op']} {t['limit']:<6g} {t['detail']}"
        )
    return "\n".join(lines)


def _gib(x: float) -> str:
    return f"{x / GIB:.2f} GiB"


def format_report(report: dict[str, Any]) -> str:
    """The report as a plain-text table (what ``ecosim bench`` prints without ``--json``)."""
    m = report["machine"]
    mem = _gib(m["memory_bytes"]) if m.get("memory_bytes") else "?"
    load = ", ".join(f"{x:.2f}" for x in m["load_average"]) if m.get("load_average") else "?"
    lines = [
        f"machine: {m['cpu']}, {m['cores']} cores, {mem}; load average at start {load}",
        f"python {m['python']}, numpy {m['numpy']}, mesa {m['mesa']}; config {report['config']}"
        + (f" with {' '.join(report['overrides'])}" if report.get("overrides") else ""),
        f"medians of {report['repeat']} runs, each in a fresh process; spread = (max-min)/median",
        "",
        f"{'scale':<30} {'wall s':>9} {'spread':>7} {'ms/day':>9} {'build s':>8} "
        f"{'cpu s':>8} {'peak RSS':>10}",
    ]

    def row(res: dict[str, Any], label: str | None = None) -> str:
        return (
            f"{label or res['label']:<30} {res['wall_s']['median']:>9.2f} "
            f"{res['wall_s']['spread']:>6.0%} {1e3 * res['per_day_s']['median']:>9.1f} "
            f"{res['build_s']['median']:>8.2f} {res['cpu_s']['median']:>8.2f} "
            f"{_gib(res['peak_rss_bytes']['median']):>10}"
        )

    lines += [row(r) for r in report["scales"]]
    if report.get("merchant_check"):
        lines.append("merchant check:")
        lines += [row(report["merchant_check"][k]) for k in ("base", "more")]
    if report.get("reference"):
        lines.append("reference comparison:")
        lines += [row(report["reference"][k]) for k in ("fast", "reference")]
    lines += ["", "performance targets (docs/performance.md):"]
    for t in report["targets"]:
        value = "not measured" if t["value"] is None else f"{t['value']:.3g}"
        mark = {True: "ok", False: "MISSED", None: "-"}[t["ok"]]
        lines.append(
            f"  {mark:<6} {t['name']:<26} {value:>12} {t['op']} {t['limit']:<6g} {t['detail']}"
        )
    return "\n".join(lines)


def _worker(spec_json: str) -> int:
    spec = json.loads(spec_json)
    result = run_once(
        Scale(**spec["scale"]),
        spec["config"],
        spec["seed"],
        spec.get("overrides"),
        bool(spec.get("write_outputs")),
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        sys.exit(_worker(sys.argv[2]))
    sys.exit("usage: python -m ecosim.bench --worker SPEC_JSON (use `ecosim bench`)")
