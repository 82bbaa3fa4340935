"""``ecosim bench``: time and memory of the baseline by scale, against the targets.

Without a scale it runs the standard ladder (10^4, 10^5 and 10^6 consumers, merchants scaled
with them, 365 days), the merchant check (10^5 consumers with 10x the merchants) and the
reference comparison (the plain-Mesa consumer path against the columnar one at 10^5
consumers over ``--reference-days``). Every run is a fresh process (see ``ecosim.bench``).
"""

from __future__ import annotations

import argparse
import json
import sys

from ecosim.bench import (
    LADDER,
    Scale,
    bench,
    bench_panels,
    default_config,
    format_panels_report,
    format_report,
    scaled_merchants,
)
from ecosim.commands import MAX_STEPS, ExitCode, add_set_option, int_option
from ecosim.config import ConfigError, load_config, validate_value

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``bench`` subcommand."""
    p = sub.add_parser(
        "bench",
        help="time the model by scale (wall, per day, build, peak memory) and check targets",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--consumers", type=int_option(1), help="households (default: the 10^4..10^6 ladder)"
    )
    p.add_argument(
        "--merchants", type=int_option(1), help="initial stores (default: consumers / 50)"
    )
    p.add_argument(
        "--days",
        type=int_option(1, MAX_STEPS),
        default=365,
        help=f"simulated days, 1 to {MAX_STEPS} (default 365)",
    )
    p.add_argument("--repeat", type=int_option(1), default=3, help="runs per scale (default 3)")
    p.add_argument("--json", action="store_true", help="print the full report as JSON")
    p.add_argument("--config", help="YAML config to scale (default configs/baseline.yaml)")
    p.add_argument("--seed", type=int_option(0), help="model seed, >= 0 (the config's by default)")
    add_set_option(p, "merchants.entry_rate=5")
    p.add_argument(
        "--reference-days",
        type=int_option(0, MAX_STEPS),
        default=10,
        help="days of the reference comparison (default 10; 0 skips it)",
    )
    p.add_argument(
        "--reference-consumers",
        type=int_option(1),
        help="consumers of the reference comparison (default 10^5, or --consumers if given)",
    )
    p.add_argument(
        "--panels",
        action="store_true",
        help="instead: the cost of every panel (daily) and log written to Parquet against "
        "none, and the files' sizes, at each scale (docs/outputs.md)",
    )
    p.add_argument(
        "--no-merchant-check",
        action="store_true",
        help="skip the 10x-merchants run of the ladder",
    )
    p.set_defaults(func=run)


def _check_scale(config: str | None, overrides: list[str], scale: Scale, options: str) -> None:
    """Refuse, before any run, a scale the config schema does not allow (e.g. too many)."""
    try:
        load_config(
            config,
            [
                *overrides,
                f"consumers.n={scale.consumers}",
                f"merchants.n_initial={scale.merchants}",
            ],
        )
    except ConfigError as exc:
        raise ConfigError(f"{options}: {exc}") from None


def run(args: argparse.Namespace) -> int:
    """Run the benchmark and print the table (or the JSON report)."""
    config = args.config or default_config()
    # A bad file, key or seed is refused before any run (exit 2).
    loaded = load_config(config, args.set)
    for option, key, value in (("--seed", "seed", args.seed), ("--days", "steps", args.days)):
        if value is not None:
            validate_value(loaded, key, value, option)
    if args.consumers is None:
        consumers = list(LADDER)
        merchants = [args.merchants or scaled_merchants(n) for n in consumers]
        merchant_check = not args.no_merchant_check and args.merchants is None
        ref_consumers = args.reference_consumers or 100_000
    else:
        consumers = [args.consumers]
        merchants = [args.merchants or scaled_merchants(args.consumers)]
        merchant_check = False
        ref_consumers = args.reference_consumers or args.consumers
    scales = [Scale(n, m, args.days) for n, m in zip(consumers, merchants, strict=True)]
    for scale in scales:
        _check_scale(config, args.set, scale, "--consumers/--merchants")
    reference = None
    if args.reference_days:
        ref_merchants = args.merchants or scaled_merchants(ref_consumers)
        reference = Scale(ref_consumers, ref_merchants, args.reference_days)
        _check_scale(config, args.set, reference, "--reference-consumers")

    def progress(message: str) -> None:
        print(f"bench: {message}", file=sys.stderr, flush=True)

    if args.panels:
        report = bench_panels(
            scales,
            args.repeat,
            config=config,
            seed=args.seed,
            progress=progress,
            overrides=args.set,
        )
        print(json.dumps(report, indent=1) if args.json else format_panels_report(report))
        return ExitCode.OK

    report = bench(
        scales,
        args.repeat,
        config=config,
        seed=args.seed,
        merchant_check=merchant_check,
        reference=reference,
        progress=progress,
        overrides=args.set,
    )
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print(format_report(report))
    return ExitCode.OK
