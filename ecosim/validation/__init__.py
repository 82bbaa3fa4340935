"""The model's validation suite: textbook and empirical results it must reproduce.

Each case (``ecosim.validation.cases``) runs a degenerate configuration from
``configs/validation/`` over several seeds and compares the model with the figure the theory
(``ecosim.validation.theory``) or the source gives; ``ecosim validate`` runs them all and
prints the table (docs/validation.md).

Example:
    >>> from ecosim.validation import run_suite, markdown_table
    >>> results = run_suite(quick=True)  # doctest: +SKIP
    >>> print(markdown_table(results))  # doctest: +SKIP
"""

from __future__ import annotations

from ecosim.validation.cases import CASES, CaseResult, logit_market_values
from ecosim.validation.configs import load_bertrand_config, load_validation_config
from ecosim.validation.suite import (
    markdown_table,
    results_frame,
    run_case,
    run_suite,
    write_results,
)
from ecosim.validation.supply import single_store_chain
from ecosim.validation.theory import chen_ratio, logit_nash_price, nash_split, pass_through_rate

__all__ = [
    "CASES",
    "CaseResult",
    "chen_ratio",
    "load_bertrand_config",
    "load_validation_config",
    "logit_market_values",
    "logit_nash_price",
    "markdown_table",
    "nash_split",
    "pass_through_rate",
    "results_frame",
    "run_case",
    "run_suite",
    "single_store_chain",
    "write_results",
]
