"""The simulation's calendar: the date of each day and the shopping festivals' demand.

Day 1 is ``calendar.start_date``. A festival with share ``s`` of a year's online sales
makes its day ``m`` times an ordinary one. Durable needs on the festival day are extra
demand, so with festivals of shares ``s_i`` in a year of ``N`` days, ``F`` of them festivals,
``m_i = s_i (N - F) / (1 - sum_j s_j)`` (one festival: ``m / (m + N - 1) = s``).
Consumables bought ahead on the festival are taken from later days (a household's
consumption fixes its year's purchases), so their multiplier is ``N s_i``: the festival
day's purchases over the year's. See docs/model.md, section 7.19.

Example:
    >>> import datetime
    >>> from ecosim.config import CalendarConfig
    >>> cal = CalendarConfig(start_date=datetime.date(2014, 1, 1), singles_day_share=0.04)
    >>> date_of(cal.start_date, 315)
    datetime.date(2014, 11, 11)
    >>> round(durable_multiplier(cal, datetime.date(2014, 11, 11)), 3)
    15.167
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ecosim.config import CalendarConfig

__all__ = [
    "FESTIVALS",
    "consumable_multiplier",
    "date_of",
    "durable_multiplier",
    "festival_shares",
    "upcoming_extra_days",
]

# Festival: (share field of the calendar config, month, day).
FESTIVALS = (("singles_day_share", 11, 11), ("june_18_share", 6, 18))
_FESTIVAL_DAYS = frozenset((month, day) for _, month, day in FESTIVALS)


def date_of(start: datetime.date, day: int) -> datetime.date:
    """The date of simulated ``day`` (day 1 is ``start``; day 0, the set-up, the day before)."""
    return start + datetime.timedelta(days=day - 1)


def festival_shares(cal: CalendarConfig, year: int) -> dict[datetime.date, float]:
    """The festival days of ``year`` with a positive share of the year's online sales."""
    out: dict[datetime.date, float] = {}
    for field, month, day in FESTIVALS:
        share = getattr(cal, field)
        if share > 0:
            out[datetime.date(year, month, day)] = share
    return out


def _year_days(year: int) -> int:
    return (datetime.date(year + 1, 1, 1) - datetime.date(year, 1, 1)).days


def durable_multiplier(cal: CalendarConfig, date: datetime.date) -> float:
    """Durable need arrivals on ``date`` relative to an ordinary day (1 on ordinary days)."""
    if (date.month, date.day) not in _FESTIVAL_DAYS:  # the common case, kept cheap
        return 1.0
    shares = festival_shares(cal, date.year)
    if date not in shares:
        return 1.0
    ordinary = _year_days(date.year) - len(shares)
    return shares[date] * ordinary / (1.0 - sum(shares.values()))


def consumable_multiplier(cal: CalendarConfig, date: datetime.date) -> float:
    """Consumables bought on ``date`` relative to an ordinary day, when households buy
    ahead (at least 1: a share below one day's never makes households buy less)."""
    if (date.month, date.day) not in _FESTIVAL_DAYS:
        return 1.0
    share = festival_shares(cal, date.year).get(date, 0.0)
    return max(share * _year_days(date.year), 1.0)


def upcoming_extra_days(cal: CalendarConfig, today: datetime.date, horizon: int) -> float:
    """Extra days of demand that festivals after ``today`` and within ``horizon`` days bring:
    the sum of their ``m - 1`` (stores stock up for them)."""
    extra = 0.0
    for year in (today.year, today.year + 1):
        for date in festival_shares(cal, year):
            if 0 < (date - today).days <= horizon:
                extra += durable_multiplier(cal, date) - 1.0
    return extra
