"""Run the three studies at a moderate scale and save the key figure of each to docs/img/.

The README shows these figures. Each study's sweep file is copied at a moderate scale
(4,000 households, 100 stores, 240 days; ``--replications`` per point) with
:func:`ecosim.sweep.scaled_sweep_file`, run (or resumed) in ``--out-root/<study>``, and
its key figure drawn with :func:`ecosim.report.effect_figure` (the ecosim figure style)
and saved as a PNG. About 15 minutes on 2 free cores.

Usage:
    .venv/bin/python experiments/study_figures.py                  # all three studies
    .venv/bin/python experiments/study_figures.py --only iot_bargaining --seed 11
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ecosim.analysis import load_sweep  # noqa: E402
from ecosim.io import atomic_write  # noqa: E402
from ecosim.report import effect_figure  # noqa: E402
from ecosim.sweep import run_sweep, scaled_sweep_file  # noqa: E402

MODERATE = {"consumers.n": 4000, "merchants.n_initial": 100}
STEPS = 240
MKT, MALL, FEE = (
    "platforms.0.marketplace.commission_rate",
    "platforms.0.mall.commission_rate",
    "platforms.0.mall.annual_fee",
)
ESC, REP, DET, OPP = (
    "platforms.0.escrow",
    "platforms.0.reputation_rule",
    "platforms.0.fake_review_detection",
    "merchants.opportunistic_share",
)

#: study -> (replications, effect_figure arguments)
FIGURES = {
    "fees_competition_jobs": (
        2,
        {
            "x": MALL,
            "outputs": ["take_rate", "platform_revenue", "active_merchants", "employment_total"],
            "hue": FEE,
            "where": {MKT: 0.0},
            "title": "Study 1: the mall's commission and annual fee (free marketplace)",
        },
    ),
    "trust_reputation": (
        2,
        {
            "x": OPP,
            "outputs": ["fraud_rate", "consumer_trust", "gmv", "new_store_sales_share"],
            "hue": REP,
            "where": {ESC: True, DET: 0.2},
            "title": "Study 2: ratings shown or not, against the share of opportunistic stores",
        },
    ),
    "iot_bargaining": (
        3,
        {
            "x": "consumers.iot_adoption",
            "outputs": [
                "iot_order_share",
                "maker_switch_share",
                "consumables_markup",
                "supplier_bargaining_power",
            ],
            "title": "Study 3: IoT adoption, repeat orders, prices and bargaining power",
        },
    ),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(FIGURES), action="append")
    parser.add_argument("--seed", type=int, default=None, help="root seed (default: the file's)")
    parser.add_argument("--out-root", type=Path, default=ROOT / "results" / "study_figures")
    parser.add_argument("--img-dir", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args(argv)
    for study in args.only or FIGURES:
        replications, spec = FIGURES[study]
        folder = args.out_root / study
        sweep_file = scaled_sweep_file(
            ROOT / "experiments" / f"{study}.yaml",
            folder / f"{study}.yaml",
            overrides=MODERATE,
            steps=STEPS,
            replications=replications,
            seed=args.seed,
        )
        summary = run_sweep(sweep_file, folder / "out", workers=args.workers)
        if summary.failed or summary.missing:
            print(f"{study}: {summary}", file=sys.stderr)
            return 1
        fig = effect_figure(load_sweep(folder / "out"), **spec)
        fig.set_size_inches(12, 3.6)
        path = args.img_dir / f"study_{study}.png"
        atomic_write(path, lambda tmp, fig=fig: fig.savefig(tmp, format="png", dpi=80))
        print(f"{path} ({path.stat().st_size / 1000:.0f} kB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
