"""The consumer phases written the plain Mesa way: the slow reference for the columnar path.

Selected with ``consumer_path: reference``. Every household is a :class:`Consumer` agent
whose ``step`` finds its own needs; the agents are stepped in random order with
``AgentSet.shuffle_do``, and then every need shops on its own, in Python: the household picks
a platform, draws its consideration set from the ranked page and chooses by multinomial logit
against buying offline (:meth:`Consumer.choose_listing`). Nothing is vectorized across
households, so the cost is that of Mesa's per-object stepping: it exists to check the fast
phases (``ecosim.phases.consumption``, ``ecosim.phases.shopping``) on small populations and
to measure how much faster they are (``ecosim bench``).

The two paths use the model's random generator in the same order wherever a draw means the
same thing in both: multi-homers' platform shocks (one row per such need, in need order) and
one choice uniform per search (market by market, in need order within a market). They
differ in how a consideration set smaller than the page is drawn (the fast path looks at
positions with replacement until it has enough distinct ones, the reference calls
``Generator.choice`` without replacement: the same distribution, other draws) and in how
durable needs arrive (one Poisson draw per household and category here, thinning there: the
same distribution again), and in when a shopper's query niche is drawn (markets with more
listings than the consideration pool). With full consideration sets, one niche per market
and no durable needs the two paths give the same results; otherwise they agree
statistically (``tests/test_reference.py``).

Needs are shopped in a canonical order, not the agents' shuffled order, so that a run does
not depend on the shuffle: consumables by (household, category), then durables by
(category, household), matching the fast path's order for consumables.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np

from ecosim.actors.consumers import Consumer
from ecosim.demand import Page, platform_attractiveness
from ecosim.orders import take
from ecosim.phases.shopping import pay_clicks

if TYPE_CHECKING:
    from mesa.agent import AgentSet

    from ecosim.state import State

__all__ = ["AgentModel", "consumer_agents", "needs_today", "shop"]


class AgentModel(Protocol):
    """What the reference path needs of the model (``EcosystemModel``): the world's state,
    and Mesa's registry of agents, in which the households step."""

    state: State
    consumer_agents: list[Consumer]
    needs_found: list[tuple[int, int, int, int]]  # filled by the households' ``step``

    @property
    def agents_by_type(self) -> dict[type, AgentSet]: ...


def consumer_agents(model: AgentModel) -> AgentSet:
    """The households as Mesa agents (created on first use if the model has none yet)."""
    agents = model.agents_by_type.get(Consumer)
    if agents is None or len(agents) != model.state.consumers.n:
        if agents is not None:
            agents.do("remove")
        model.consumer_agents = [Consumer(model, i) for i in range(model.state.consumers.n)]
        agents = model.agents_by_type[Consumer]
    return agents


def _batch(rows: list[tuple[int, int, int, int]]) -> dict[str, np.ndarray]:
    """An order batch from (household, category, slot, device store) tuples."""
    table = np.array(rows, dtype=np.int64).reshape(-1, 4)
    n = table.shape[0]
    return {
        "consumer": table[:, 0].copy(),
        "merchant": table[:, 3].copy(),
        "platform": np.full(n, -1, dtype=np.int64),
        "category": table[:, 1].copy(),
        "slot": table[:, 2].copy(),
        "iot": table[:, 3] >= 0,
    }


def needs_today(model: AgentModel) -> tuple[dict, dict]:
    """Households' needs for the day: every Consumer agent steps, in random order.

    Returns:
        (needs that go shopping, needs a smart device reorders without search), as order
        batches like :func:`ecosim.phases.consumption.needs_today` returns.
    """
    model.needs_found = []
    consumer_agents(model).shuffle_do("step")
    found = model.needs_found
    consumables = sorted(n for n in found if n[2] >= 0)
    durables = sorted((n for n in found if n[2] < 0), key=lambda n: (n[1], n[0]))
    iot = _batch([n for n in consumables if n[3] >= 0])
    return _batch([n for n in consumables if n[3] < 0] + durables), iot


def shop(model: AgentModel, needs: dict, pages: dict[tuple[int, int], Page]):
    """Run the day's searches one need at a time.

    First each need's household picks a platform (need by need); then each platform serves
    its markets in turn, every shopper of a market searching its page on its own.

    Returns:
        (online orders with merchant and platform set, offline purchases) as order batches.
    """
    agents = model.consumer_agents
    n = needs["consumer"].size
    n_categories = len(model.state.config.categories)
    inclusive = platform_attractiveness(model.state, pages)
    platform = np.full(n, -1, dtype=np.int64)
    home = model.state.consumers.home[needs["consumer"]]
    rate = model.state.config.consumers.platform_switch_rate
    click_through = model.state.config.consumers.click_through
    reconsider = np.zeros(n, dtype=bool)
    if len(model.state.config.platforms) > 1 and rate > 0:
        reconsider = (home >= 0) & (model.state.rng.random(n) < rate)
    # multi-homers choose first, then single-homers who reconsider (the fast path's order)
    for j in [*np.flatnonzero(~reconsider), *np.flatnonzero(reconsider)]:
        agent = agents[int(needs["consumer"][j])]
        platform[j] = agent.choose_platform(int(needs["category"][j]), inclusive, reconsider[j])
    market = np.where(platform >= 0, platform * n_categories + needs["category"], -1)
    chosen = np.full(n, -1, dtype=np.int64)
    surplus = 0.0
    for key in sorted({int(m) for m in market if m >= 0}):
        p, c = divmod(key, n_categories)
        page = pages.get((p, c))
        if page is None or page.merchants.size == 0:
            continue  # nothing listed: offline is the only option
        bill = np.zeros(model.state.merchants.n)
        gains = []
        for j in np.flatnonzero(market == key):
            agent = agents[int(needs["consumer"][j])]
            chosen[j], looked, gain = agent.choose_listing(p, c, page)
            gains.append(gain)
            for pos in looked:
                if pos < page.n_sponsored:  # pay-per-click, expected clicks per look
                    bill[page.merchants[0, pos]] += click_through * page.cpc[pos]
        surplus += float(np.sum(gains))
        if page.n_sponsored:
            pay_clicks(model.state, p, bill)
    model.state.today.consumer_surplus += surplus
    needs = dict(needs, platform=platform)
    online = chosen >= 0
    orders = take(needs, online)
    orders["merchant"] = chosen[online]
    return orders, take(needs, ~online)
