"""The validation suite (docs/validation.md): every case passes with the quick seeds, the
command prints the table and writes it, and a wrong expectation fails a case and the command.

These are the only runs of the cases' simulations in the test suite: the tests that used to
run the same configurations (test_theory, test_ecosystem, test_supply, test_trust,
test_platforms, test_conservation, test_output_analysis) call the cases' cached runs or left
them to this file.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecosim.cli import main
from ecosim.commands.validate import CASE_KEYS
from ecosim.validation import CASES, chen_ratio, nash_split, pass_through_rate, run_case
from ecosim.validation import cases as case_module
from ecosim.validation.cases import growth_around_first_negative


@pytest.mark.parametrize("key", list(CASES))
def test_case_passes(key):
    result = run_case(key, quick=True)
    assert result.passed, f"{key}: " + "; ".join(result.failures)
    assert result.key == key and result.seeds
    assert result.expected and result.measured and result.source and result.configuration


def test_the_command_lists_every_case():
    assert tuple(CASES) == CASE_KEYS


def test_validate_prints_the_table_and_writes_it(tmp_path, capsys):
    out = tmp_path / "validation"
    argv = ["validate", "--quick", "--case", "nash_bargaining", "--case", "fee_pass_through"]
    assert main([*argv, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "nash_bargaining" in printed and "fee_pass_through" in printed
    assert "2 of 2 cases pass" in printed
    assert sorted(p.name for p in out.iterdir()) == ["validation.csv", "validation.md"]
    table = pd.read_csv(out / "validation.csv")
    assert table["case"].tolist() == ["nash_bargaining", "fee_pass_through"]
    assert table["passed"].tolist() == [True, True]
    assert list(table.columns[:6]) == [
        "case",
        "result",
        "configuration",
        "expected",
        "source",
        "measured",
    ]
    text = (out / "validation.md").read_text()
    assert "at commit" in text and "quick suite" in text
    assert "| nash_bargaining |" in text and "FAIL" not in text


def test_a_wrong_expectation_fails_the_case_and_the_command(monkeypatch, tmp_path, capsys):
    # The bargaining weights swapped (the store's weight taken for the maker's), and full
    # pass-through of the fee where the logit theory gives less: both must fail.
    monkeypatch.setattr(case_module, "nash_split", lambda c, a, w: nash_split(c, a, 1 - w))

    def full_pass_through(cost, before, after, *args):
        p0 = pass_through_rate(cost, before, after, *args)[0]
        return p0, p0 + cost / (1 - after) - cost / (1 - before), 1.0

    monkeypatch.setattr(case_module, "pass_through_rate", full_pass_through)
    for key in ("nash_bargaining", "fee_pass_through"):
        result = run_case(key, quick=True)
        assert not result.passed and result.failures
    out = tmp_path / "validation"
    argv = ["validate", "--quick", "--case", "nash_bargaining", "--out", str(out)]
    assert main(argv) == 1
    printed = capsys.readouterr().out
    assert "FAIL" in printed and "0 of 1 cases pass" in printed
    assert pd.read_csv(out / "validation.csv")["passed"].tolist() == [False]
    assert "**FAIL**" in (out / "validation.md").read_text()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["validate", "--case", "nonsense"], "invalid choice: 'nonsense'"),
        (["validate", "--quick", "extra"], "unrecognized arguments: extra"),
    ],
)
def test_bad_arguments_exit_2(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_an_unusable_out_folder_exits_2_before_any_run(tmp_path, capsys, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a case ran")

    monkeypatch.setitem(CASES, "nash_bargaining", refuse)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["validate", "--case", "nash_bargaining", "--out", str(blocker)]) == 2
    assert f"--out {blocker}" in capsys.readouterr().err


def test_theory_figures():
    assert chen_ratio(4, 10) == pytest.approx(2.12)
    assert chen_ratio(2, 10) == pytest.approx(1.48)
    assert nash_split(25.0, 45.0, 0.3) == pytest.approx(28.0)
    p0, p1, rate = pass_through_rate(60.0, 0.0, 0.1, 15.0, 120.0, 0.5, 3)
    assert p1 > p0 and 0 < rate < 1  # logit demand passes a cost on less than one for one


def test_growth_around_first_negative_on_a_made_up_panel():
    """Two stores of one category selling 10 a day; store 1's sales halve from the day after
    its first negative rating on day 40. Its weekly growth is 0 before, the log change of
    the weekly sums spread over 4 weeks after; the control's is 0 throughout."""
    days = np.arange(1, 101)
    orders = np.full((2, days.size), 10.0)
    orders[1, days > 40] = 5.0
    stores = pd.DataFrame(
        {
            "store": np.repeat([0, 1], days.size),
            "day": np.tile(days, 2),
            "category": 0,
            "orders": orders.ravel(),
        }
    )
    ratings = pd.DataFrame(
        {"day": [40, 45], "store": [1, 1], "value": [0.2, 0.1], "fake": [False, False]}
    )
    study = growth_around_first_negative(stores, ratings, threshold=0.5, weeks=4)
    assert study["store"].tolist() == [1] and study["event_day"].tolist() == [40]
    row = study.iloc[0]
    drop = (np.log1p(35.0) - np.log1p(70.0)) / 4
    assert row["before"] == pytest.approx(0.0)
    assert row["after"] == pytest.approx(drop)
    assert row["trend_after"] == pytest.approx(0.0)
    assert row["controls"] == 1 and row["control_after"] == pytest.approx(0.0)
    assert row["effect"] == pytest.approx(drop)
    weekly = stores[stores["day"] % 7 == 0]
    with pytest.raises(ValueError, match="not daily"):
        growth_around_first_negative(weekly, ratings)
