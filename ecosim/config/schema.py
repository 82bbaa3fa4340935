"""The configuration schema: every section of the YAML file as a typed, documented model.

Every field carries a unit, a range and a description (``ecosim params CONFIG`` lists them, and
the parameter tables of ``docs/model.md`` are generated from them). Loading files is
:mod:`ecosim.config.loading`'s job, listing :mod:`ecosim.config.listing`'s.
"""

from __future__ import annotations

import datetime
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from ecosim.config.walk import field_extra, get_dotted, schema_field

__all__ = [
    "EVENT_NAMES",
    "NAME_PATTERN",
    "PANEL_NAMES",
    "BudgetConfig",
    "CalendarConfig",
    "CategoryConfig",
    "ConsumersConfig",
    "ContractsConfig",
    "EcosimConfig",
    "LabourConfig",
    "LogisticsConfig",
    "ManufacturersConfig",
    "MerchantsConfig",
    "OfflineConfig",
    "OutputsConfig",
    "P",
    "PlatformConfig",
    "RankingConfig",
    "RegionsConfig",
    "RuleChange",
    "ServicesConfig",
    "TierConfig",
    "WageLevelsConfig",
    "default_categories",
]


def P(
    default: Any, unit: str, description: str, *, schedulable: bool = False, **bounds: Any
) -> Any:
    """A documented schema field: default value, unit and description, plus pydantic bounds.

    Args:
        default: the default value.
        unit: the unit shown in ``ecosim params`` and the docs.
        description: what the value means (and, for numbers, why its range is what it is).
        schedulable: the model reads the value every day, so a ``schedule:`` entry can change
            it mid-run; start-up-only values (population sizes, initial states) cannot.
        **bounds: pydantic constraints (``ge``, ``le``, ...).
    """
    extra: dict[str, Any] = {"unit": unit}
    if schedulable:
        extra["schedulable"] = True
    return Field(default, description=description, json_schema_extra=extra, **bounds)


#: Names of categories and platforms: they end up in metric names, column names and file names.
NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*$"


def _usable_name(name: str) -> str:
    if not re.fullmatch(NAME_PATTERN, name):
        raise ValueError(
            f"name {name!r} is not usable: it must start with a letter and hold only letters, "
            "digits and underscores (it becomes part of metric and file names)"
        )
    return name


Name = Annotated[str, AfterValidator(_usable_name)]


class _Section(BaseModel):
    # Every number is finite: nan and inf are refused before any range check.
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


# --------------------------------------------------------------------------- sections
class RegionsConfig(_Section):
    n_urban: int = P(2, "regions", "Number of urban regions (cities).", ge=1, le=50)
    n_rural: int = P(3, "regions", "Number of rural regions.", ge=0, le=50)
    urban_population_share: float = P(
        0.6, "share", "Share of households living in urban regions.", ge=0.0, le=1.0
    )
    map_size_km: float = P(
        1500.0, "km", "Side of the square on which region centres are placed.", ge=10, le=10000
    )
    merchant_urban_share: float = P(
        0.85,
        "share",
        "Share of merchants located in urban regions.",
        ge=0.0,
        le=1.0,
        schedulable=True,
    )


class CategoryConfig(_Section):
    name: Name = P(
        "goods",
        "-",
        "Category name (unique): a letter, then letters, digits or underscores.",
    )
    kind: Literal["consumable", "durable"] = P(
        "consumable", "-", "Consumables deplete a home stock; durable needs arrive at random."
    )
    reference_price: float = P(
        100.0,
        "RMB/unit",
        "Typical retail price; sets the money scale of utilities.",
        ge=0.1,
        le=1e6,
        schedulable=True,
    )
    unit_cost: float = P(
        60.0, "RMB/unit", "Manufacturers' production cost per unit.", ge=0.05, le=1e6
    )
    consumption_rate: float = P(
        0.05,
        "units/day",
        "Mean household consumption of a consumable (0: nobody buys it; at least one category "
        "of the config needs a positive rate).",
        ge=0,
        le=10,
    )
    need_rate: float = P(
        0.01,
        "1/day",
        "Mean daily probability a household needs a durable (0: nobody buys it; at least one "
        "category of the config needs a positive rate).",
        ge=0,
        le=1,
        schedulable=True,
    )
    quality_mean: float = P(
        0.7, "quality (0..1)", "Mean true product quality.", ge=0, le=1, schedulable=True
    )
    quality_sd: float = P(
        0.1, "quality (0..1)", "Spread of product quality.", ge=0, le=0.5, schedulable=True
    )
    iot_eligible: bool = P(
        False, "-", "A smart device (washer, purifier, coffee machine) can reorder it."
    )


def default_categories() -> list[CategoryConfig]:
    """The built-in product categories, used when a config has no ``categories`` list."""
    return [
        CategoryConfig(
            name="detergent",
            kind="consumable",
            reference_price=40,
            unit_cost=22,
            consumption_rate=1 / 20,
            iot_eligible=True,
        ),
        CategoryConfig(
            name="air_filter",
            kind="consumable",
            reference_price=120,
            unit_cost=60,
            consumption_rate=1 / 60,
            iot_eligible=True,
        ),
        CategoryConfig(
            name="coffee_pods",
            kind="consumable",
            reference_price=60,
            unit_cost=30,
            consumption_rate=1 / 15,
            iot_eligible=True,
        ),
        CategoryConfig(
            name="apparel", kind="durable", reference_price=150, unit_cost=70, need_rate=1 / 30
        ),
        CategoryConfig(
            name="electronics",
            kind="durable",
            reference_price=800,
            unit_cost=560,
            need_rate=1 / 200,
            quality_mean=0.75,
        ),
    ]


class ConsumersConfig(_Section):
    n: int = P(
        10_000, "households", "Number of households (each also one worker).", ge=1, le=10_000_000
    )
    logit_scale: float = P(
        0.15,
        "share of reference price",
        "Logit scale mu of the taste shock, as a share of the category's reference price "
        "(the price coefficient is 1/mu). At least 0.02: below it choice is all but "
        "deterministic and one store takes a whole market.",
        ge=0.02,
        le=5,
        schedulable=True,
    )
    price_sensitivity_sd: float = P(
        0.3, "log-sd", "Household heterogeneity of price sensitivity (lognormal sigma).", ge=0, le=2
    )
    quality_weight: float = P(
        1.0,
        "share of reference price per quality unit",
        "Willingness to pay for one unit of expected quality.",
        ge=0,
        le=10,
        schedulable=True,
    )
    delivery_weight: float = P(
        0.03,
        "share of reference price per day",
        "Disutility of one day of delivery wait.",
        ge=0,
        le=1,
        schedulable=True,
    )
    trust_weight: float = P(
        1.0,
        "-",
        "Weight on the expected loss from fraud (1 = risk neutral).",
        ge=0,
        le=10,
        schedulable=True,
    )
    initial_trust: float = P(
        0.99,
        "probability",
        "Initial trust in online sellers. Assumption: where trust settles when the trust rules "
        "keep fraud out (the baseline's households reach 0.98-0.995 within a year from any "
        "start; docs/model.md, section 5.1), so a run does not open with a year of learning.",
        ge=0,
        le=1,
    )
    trust_learning_rate: float = P(
        0.05,
        "1/order",
        "Weight of the latest online experience in trust.",
        ge=0,
        le=1,
        schedulable=True,
    )
    offline_preference: float = P(
        1.0,
        "logit units (mu)",
        "Utility of buying offline relative to a neutral online listing (touch, no wait).",
        ge=-20,
        le=20,
        schedulable=True,
    )
    consideration_set: int = P(
        8, "listings", "Listings a shopper considers.", ge=1, le=100, schedulable=True
    )
    consideration_pool: int = P(
        40,
        "ranks",
        "Top ranks from which the considered listings are drawn.",
        ge=1,
        le=1000,
        schedulable=True,
    )
    position_decay: float = P(
        0.08,
        "1/rank",
        "Decay of the chance to look at a listing with its rank.",
        ge=0,
        le=5,
        schedulable=True,
    )
    multihoming_share: float = P(
        0.3, "share", "Share of households that shop on every platform.", ge=0, le=1
    )
    platform_switch_rate: float = P(
        0.1,
        "probability per search",
        "Chance a single-homing household reconsiders its platform when it shops, picking by "
        "logit over the platforms' offers (so platforms can win or lose households). "
        "Assumption: at ~0.17 needs per household-day, about once every two months.",
        ge=0,
        le=1,
        schedulable=True,
    )
    reorder_point_days: float = P(
        3.0,
        "days",
        "A consumable is reordered when home stock covers this many days.",
        ge=0,
        le=60,
        schedulable=True,
    )
    pack_days_sd: float = P(
        0.2,
        "log-sd",
        "Household heterogeneity in consumption rates (lognormal sigma).",
        ge=0,
        le=2,
    )
    rating_prob: float = P(
        0.3, "probability", "Chance a buyer leaves a rating.", ge=0, le=1, schedulable=True
    )
    dispute_prob: float = P(
        0.6,
        "probability",
        "Chance a dissatisfied buyer opens a dispute.",
        ge=0,
        le=1,
        schedulable=True,
    )
    satisfaction_tolerance: float = P(
        0.1,
        "quality units",
        "Shortfall of true below listed quality a buyer tolerates.",
        ge=0,
        le=1,
        schedulable=True,
    )
    initial_cash_days: float = P(
        30.0, "days of income", "Initial household cash holdings.", ge=0, le=3650
    )
    income_spending_elasticity: float = P(
        1.0,
        "-",
        "Elasticity of durable purchases to household income.",
        ge=0,
        le=3,
        schedulable=True,
    )
    iot_adoption: float = P(
        0.0,
        "share",
        "Share of households owning a smart device for each IoT-eligible category.",
        ge=0,
        le=1,
    )
    iot_threshold_days: float = P(
        5.0,
        "days",
        "A device reorders when its consumable covers this many days.",
        ge=0,
        le=60,
        schedulable=True,
    )
    iot_opt_out_prob: float = P(
        0.3,
        "probability",
        "Chance an owner switches auto-reorder off after a bad delivery.",
        ge=0,
        le=1,
        schedulable=True,
    )
    iot_price_tolerance: float = P(
        1.5,
        "x offline price",
        "A device order is not placed (the owner shops for that refill) when the device "
        "maker's channel asks more than this multiple of the category's offline price "
        "(docs/model.md, IoT reordering). Assumption: online prices settle near 1.2 x offline "
        "in the baseline; owners pay about a quarter more than that for not having to search.",
        ge=0.1,
        le=10,
        schedulable=True,
    )
    social_learning_weight: float = P(
        0.02,
        "1/day",
        "Weight of the public signal (the share of recent deliveries on a household's "
        "platforms that went well, heard through word of mouth, reviews read and news) in every "
        "household's trust each day: DeGroot-style social learning (DeGroot 1974; assumption: "
        "a half-life of about a month, below a parcel's own weight trust_learning_rate).",
        ge=0,
        le=1,
        schedulable=True,
    )
    public_signal_window: int = P(
        30,
        "days",
        "Days of deliveries the public signal about a platform summarises.",
        ge=1,
        le=120,
        schedulable=True,
    )
    platform_variety_weight: float = P(
        1.0,
        "logit units per log listing",
        "Weight of log(listings / page length) of a category in a platform's attractiveness to "
        "households (1 = the logit's love of variety: twice the listings, twice the chance of a "
        "good match; assumption).",
        ge=0,
        le=3,
        schedulable=True,
    )
    income_sd: float = P(
        0.5,
        "log-sd",
        "Spread of households' base incomes: labour.wage x LogNormal(-sd^2 / 2, sd), mean one "
        "(assumption: sigma 0.5 gives a Gini coefficient of 0.28).",
        ge=0,
        le=2,
    )
    income_saturation: float = P(
        3.0,
        "x mean base income",
        "Relative income above which durable purchases rise no further: a durable need "
        "arrives at need_rate x min(income / mean base income, this)^income_spending_elasticity "
        "(assumption). At most 10: durable needs are drawn by thinning from need_rate x "
        "this^elasticity candidates per household and day, so the work grows with it.",
        ge=1,
        le=10,
        schedulable=True,
    )
    prior_ratings: float = P(
        5.0,
        "ratings",
        "Weight, in ratings, a shopper gives its own prior about a listing (its trust times "
        "the listed quality) against the displayed rating when it forms the quality it "
        "expects (docs/model.md, section 7.4; assumption: with a handful of ratings the "
        "rating starts to dominate). Above 0, so that a listing without ratings has a value.",
        ge=0.1,
        le=1000,
        schedulable=True,
    )
    rating_noise: float = P(
        0.1,
        "quality units",
        "Standard deviation of a buyer's rating around the true quality it received (assumption).",
        ge=0,
        le=1,
        schedulable=True,
    )
    refunded_outcome: float = P(
        0.5,
        "0..1",
        "How a refunded dispute counts in trust, own and public (1: as a good delivery, 0: as "
        "a fraud). Assumption: halfway, the money came back but the seller cheated.",
        ge=0,
        le=1,
        schedulable=True,
    )
    click_through: float = P(
        0.2,
        "clicks per look",
        "Expected clicks per shopper who considers a sponsored listing; its store pays the "
        "slot's price per click for them (docs/model.md, section 7.4). Assumption.",
        ge=0,
        le=1,
        schedulable=True,
    )


class MerchantsConfig(_Section):
    n_initial: int = P(
        0,
        "merchants",
        "Merchants at the start. 0 (the default): as many as free entry supports in each "
        "market, which grows in proportion to the households (docs/model.md, section 5, "
        "starting near the steady state); a positive number is spread over categories in "
        "proportion to their expected sales value. At most 10^5, the largest size that runs at a "
        "practical speed: with the default 10^4 households, 5 days take about 3.5 s at 10^5 "
        "stores and 0.6 s at 2x10^4 (one core; 31 s at 3x10^5, 133 s at 10^6).",
        ge=0,
        le=100_000,
    )
    mall_share: float = P(
        0.3, "share", "Share of merchants in the mall (B2C) tier.", ge=0, le=1, schedulable=True
    )
    opportunistic_share: float = P(
        0.1,
        "share",
        "Share of merchants (and entrants) that are opportunistic.",
        ge=0,
        le=1,
        schedulable=True,
    )
    multihoming_share: float = P(
        0.2,
        "share",
        "Share of merchants listed on every platform (with two or more).",
        ge=0,
        le=1,
    )
    quality_gap: float = P(
        0.3,
        "quality units",
        "Opportunists ship this much below the quality they list.",
        ge=0,
        le=1,
        schedulable=True,
    )
    cost_saving_per_quality: float = P(
        1.5,
        "share of unit cost per quality unit",
        "Cost an opportunist saves per unit of quality it withholds (capped at 90% of the cost).",
        ge=0,
        le=10,
        schedulable=True,
    )
    fake_reviews_per_day: float = P(
        0.5,
        "reviews/day",
        "Fake five-star reviews an opportunist buys per day.",
        ge=0,
        le=100,
        schedulable=True,
    )
    fake_review_cost: float = P(
        3.0, "RMB/review", "Price of one fake review.", ge=0, le=1000, schedulable=True
    )
    initial_markup: float = P(
        0.3, "share of cost", "Initial markup over wholesale price.", ge=0, le=10
    )
    pricing: Literal["fixed", "best_response", "adaptive"] = P(
        "best_response",
        "-",
        "fixed: keep the initial markup; best_response: logit best response to rivals' prices "
        "(damped); adaptive: hill-climb on realised profit.",
        schedulable=True,
    )
    price_adjust_rate: float = P(
        0.3,
        "share",
        "Damping of price updates towards the target price.",
        ge=0.001,
        le=1,
        schedulable=True,
    )
    price_update_interval: int = P(
        7, "days", "Days between price reviews.", ge=1, le=365, schedulable=True
    )
    ad_bid_share: float = P(
        0.5,
        "share of the value of a click",
        "Bid per click as a share of what a click is worth to the store: its unit margin "
        "times the chance that a click ends in an order (docs/model.md 7.14; 0 = no ads). "
        "Assumption: half, as bidders in a generalised second-price auction shade their "
        "bids below their value (Edelman, Ostrovsky & Schwarz 2007).",
        ge=0,
        le=1,
        schedulable=True,
    )
    fixed_cost: float = P(
        30.0, "RMB/day", "Non-staff operating cost of a store.", ge=0, le=1e6, schedulable=True
    )
    initial_cash: float = P(
        20_000.0, "RMB", "Cash a merchant starts with.", ge=0, le=1e9, schedulable=True
    )
    collateral_share: float = P(
        1.0,
        "share of book value",
        "Share of a store's stock and goods on order (at its wholesale price) and of its "
        "sales held in escrow that counts against negative cash when the exit rule asks whether "
        "it can pay its way: a store closes at once when its cash plus this share of those "
        "assets is negative (docs/model.md 7.14). 1: solvency at book value, so stock bought "
        "ahead of a festival does not close the store that bought it; 0: cash alone, as if "
        "nobody lent against stock or receivables (assumption: the platforms' lenders lend "
        "to sellers against their orders and stock, docs/model.md 7.14).",
        ge=0,
        le=1,
        schedulable=True,
    )
    outside_option: float = P(
        20.0,
        "RMB/day",
        "Daily profit a potential merchant forgoes by opening a store.",
        ge=0,
        le=1e6,
        schedulable=True,
    )
    entry_rate: float = P(
        0.2,
        "entrants/day per 10,000 households",
        "Potential entrants per day per platform and category, in proportion to the population "
        "(a market ten times as large draws ten times as many).",
        ge=0,
        le=100,
        schedulable=True,
    )
    exit_window: int = P(
        60,
        "days",
        "Window over which sustained losses lead to exit.",
        ge=1,
        le=120,
        schedulable=True,
    )
    forecast_window: int = P(
        14,
        "days",
        "p: moving-average window of the demand forecast (Chen et al. 2000).",
        ge=1,
        le=120,
        schedulable=True,
    )
    review_period: int = P(
        3,
        "days",
        "R: days between inventory reviews (order-up-to policy).",
        ge=1,
        le=365,
        schedulable=True,
    )
    safety_factor: float = P(
        1.65,
        "sd of demand",
        "z: safety stock is z x sd of daily demand x sqrt(L + R) units (1.65: about 95% of "
        "review cycles without a stockout under normal demand; assumption: textbook default).",
        ge=0,
        le=10,
        schedulable=True,
    )
    safety_window: int = P(
        56,
        "days",
        "Window over which a store (and a manufacturer) estimates the sd of its daily demand "
        "for safety stock.",
        ge=2,
        le=120,
        schedulable=True,
    )
    forecast_error: float = P(
        0.2,
        "log-sd",
        "Log-sd of a store's error on its daily demand forecast without analytics "
        "(mean-preserving lognormal; assumption).",
        ge=0,
        le=2,
        schedulable=True,
    )
    holding_cost_rate: float = P(
        0.0005,
        "share of unit cost per day",
        "Cost of holding one unit in stock.",
        ge=0,
        le=1,
        schedulable=True,
    )
    initial_stock_days: float = P(
        14.0, "days of demand", "Initial inventory of a merchant.", ge=0, le=365, schedulable=True
    )
    listing_review_period: int = P(
        30,
        "days",
        "Days between a store's reviews of where it lists (staggered across stores): stay, "
        "multi-home or switch by expected profit on each platform (assumption: monthly).",
        ge=1,
        le=365,
        schedulable=True,
    )
    listing_cost: float = P(
        200.0,
        "RMB",
        "One-off cost of listing on another platform (catalogue, photos, set-up): a switching "
        "cost (assumption: a few days of a small store's margin).",
        ge=0,
        le=1e7,
        schedulable=True,
    )
    storefront_cost: float = P(
        25.0,
        "RMB/day per extra platform",
        "Running cost of each storefront beyond a store's first (a second catalogue to keep, "
        "stock to sync, shoppers' messages to answer), paid daily to the world: stores that "
        "earn little on a second platform list on one only (assumption: an hour of a "
        "worker's day at the default wage, 200 RMB over 8 hours).",
        ge=0,
        le=1e6,
        schedulable=True,
    )
    min_quality: float = P(
        0.05,
        "quality (0..1)",
        "Lowest listed quality a store's goods are drawn with (the draw from the category's "
        "quality distribution is clipped to [this, 1]). Assumption.",
        ge=0,
        le=1,
        schedulable=True,
    )
    min_cost_factor: float = P(
        0.1,
        "share of unit cost",
        "Lowest cost of an opportunist's cheap version as a share of the real goods' cost "
        "(the factor 1 - cost_saving_per_quality x quality_gap is at least this). Assumption.",
        ge=0.01,
        le=1,
        schedulable=True,
    )
    adaptive_step: float = P(
        0.03,
        "share of price per review",
        "Relative price change per review under pricing: adaptive (hill-climbing on profit). "
        "Assumption.",
        ge=0,
        le=0.5,
        schedulable=True,
    )
    exit_review_period: int = P(
        30,
        "days",
        "Days between a store's reviews of whether its losses over exit_window close it "
        "(staggered across stores; assumption: a monthly look at the accounts).",
        ge=1,
        le=365,
        schedulable=True,
    )
    entry_window: int = P(
        30,
        "days",
        "Days of incumbents' profits (at most exit_window) a potential entrant averages to "
        "judge a market (assumption: a month).",
        ge=1,
        le=120,
        schedulable=True,
    )
    max_locked_share: float = P(
        0.99,
        "share of orders",
        "Cap on the share of a store's orders placed by smart devices that its best-response "
        "price counts as locked in (the margin mu' / ((1 - s)(1 - L)) diverges as L -> 1).",
        ge=0,
        le=0.999,
        schedulable=True,
    )
    listing_demand_window: int = P(
        30,
        "days",
        "Days of a market's online orders a store averages to expect a listing's orders when "
        "it reviews where to list, and an entrant when it picks its platform (assumption: a "
        "month).",
        ge=1,
        le=120,
        schedulable=True,
    )


class ManufacturersConfig(_Section):
    per_category: int = P(4, "firms", "Manufacturers per category.", ge=1, le=1000)
    initial_wholesale_markup: float = P(
        0.15, "share of unit cost", "Wholesale markup before the first negotiation.", ge=0, le=10
    )
    cost_sd: float = P(0.05, "log-sd", "Spread of unit costs across manufacturers.", ge=0, le=1)
    lead_time: int = P(
        3,
        "days",
        "L: selling days between a store's order and the goods' arrival; the goods can be "
        "sold from day t + L + 1 (0: same-day replenishment, on the shelf before the next "
        "sales).",
        ge=0,
        le=120,
        schedulable=True,
    )
    capacity_days: float = P(
        3.0,
        "x expected daily demand",
        "Production capacity relative to expected demand.",
        ge=0.01,
        le=1000,
    )
    bargaining_weight: float = P(
        0.5, "0..1", "Manufacturer's Nash bargaining weight lambda.", ge=0, le=1, schedulable=True
    )
    renegotiation_interval: int = P(
        90, "days", "Days between contract renegotiations.", ge=1, le=3650, schedulable=True
    )
    flagship_store: bool = P(
        False,
        "-",
        "Manufacturers may open a flagship store and sell direct on the platform.",
        schedulable=True,
    )
    direct_threshold: float = P(
        1.2,
        "ratio",
        "Go direct when expected direct margin exceeds wholesale margin by this.",
        ge=0.01,
        le=100,
        schedulable=True,
    )
    iot_lock_in: float = P(
        0.5,
        "0..1",
        "How firmly a maker's smart devices tie their owners' reorders to it: the share of the "
        "device-placed orders of a store the maker keeps if their contract breaks (its "
        "outside option in bargaining); the store loses them either way.",
        ge=0,
        le=1,
        schedulable=True,
    )
    data_service_uptake: float = P(
        0.5,
        "share",
        "Share of manufacturers buying the platform's point-of-sale data service: they plan "
        "production from their stores' consumer demand instead of the stores' orders "
        "(information sharing, Cachon & Fisher 2000).",
        ge=0,
        le=1,
    )
    production_lead_time: int = P(
        2,
        "days",
        "L_m: days from starting production to finished goods a store can be sent (assumption).",
        ge=0,
        le=120,
        schedulable=True,
    )
    festival_prebuild_days: int = P(
        30,
        "days",
        "Manufacturers add a festival's expected extra demand (its m - 1 days of their "
        "forecast, docs/model.md 7.10) to their production target from this many days before "
        "the stores' preparation window (calendar.preparation_days) opens, so the goods are "
        "built within capacity by the time stores stock up; 0 switches the pre-build off "
        "(assumption: makers pre-build for Double 11 about two months ahead of the day).",
        ge=0,
        le=365,
        schedulable=True,
    )
    brand_concentration: float = P(
        1.0,
        "exponent",
        "k in the device makers' market shares s_f = b_f^k / sum of b^k over the category's "
        "makers, b_f a brand strength drawn LogNormal(0, 1) per manufacturer; 0 gives equal "
        "shares, larger k concentrates device sales on the strongest brands (docs/model.md, IoT "
        "reordering). Assumption (no share data in the seeds): with k = 1 and four makers the "
        "top brand sells about half of the devices on average (0.25 at k = 0, 0.69 at k = 2).",
        ge=0,
        le=10,
    )
    planning_window: int = P(
        14,
        "days",
        "Moving-average window of a manufacturer's forecast of what its stores need.",
        ge=1,
        le=120,
        schedulable=True,
    )
    safety_factor: float = P(
        1.65,
        "sd of demand",
        "z_m: finished-goods safety stock is z_m x sd of the daily planning signal x "
        "sqrt(L_m + 1) units (assumption: textbook default).",
        ge=0,
        le=10,
        schedulable=True,
    )
    initial_stock_days: float = P(
        1.0,
        "days of demand",
        "Initial finished-goods stock of a manufacturer, in days of its share of the "
        "category's expected daily demand, offline and online (assumption).",
        ge=0,
        le=365,
    )
    min_quality: float = P(
        0.05,
        "quality (0..1)",
        "Lowest quality a manufacturer's goods are drawn with (the draw from the category's "
        "quality distribution is clipped to [this, 1]). Assumption.",
        ge=0,
        le=1,
    )
    brand_sd: float = P(
        1.0,
        "log-sd",
        "Spread of brand strength: b_f is drawn LogNormal(0, sd) per manufacturer (see "
        "brand_concentration). Assumption.",
        ge=0,
        le=3,
    )
    capacity_demand_factor: float = P(
        1.5,
        "x expected daily units",
        "Daily demand a manufacturer sizes its capacity on, as a multiple of its share of the "
        "households' expected daily units of its category (capacity = capacity_days x this x "
        "expected units / per_category). Assumption: headroom over the mean need.",
        ge=0.01,
        le=100,
    )


class ContractsConfig(_Section):
    """Outside options of wholesale bargaining (docs/model.md, section 7.11)."""

    switch_keep: float = P(
        0.8,
        "share",
        "Share of the profit with another manufacturer's average offer that a store keeps "
        "if it switches supplier (its disagreement payoff; the rest is lost to the switch). "
        "Assumption.",
        ge=0,
        le=1,
        schedulable=True,
    )
    redirect_share: float = P(
        0.5,
        "share",
        "Share of a lost partner's volume a manufacturer re-places with its other partners "
        "(scaled by o / (o + 1), o its other partners). Assumption.",
        ge=0,
        le=1,
        schedulable=True,
    )
    direct_reach: float = P(
        0.3,
        "share",
        "Share of a lost partner's volume a manufacturer's own flagship store wins back "
        "(seed 003 @58920: own channels give suppliers bargaining power). Assumption.",
        ge=0,
        le=1,
        schedulable=True,
    )
    min_units: float = P(
        0.05,
        "units/day",
        "Thinnest demand at which a store's demand is linearised for bargaining (its orders "
        "EMA counts as at least this). Above 0, so that the slope is finite.",
        ge=0.001,
        le=1000,
        schedulable=True,
    )
    max_market_share: float = P(
        0.9,
        "share",
        "Cap on a store's share of its category's market in the linearised demand slope "
        "mu / (q (1 - s)). Below 1, so that the slope is finite.",
        ge=0,
        le=0.99,
        schedulable=True,
    )


class TierConfig(_Section):
    commission_rate: float = P(
        0.0, "share of price", "Commission on each sale.", ge=0, le=0.9, schedulable=True
    )
    annual_fee: float = P(
        0.0,
        "RMB/year",
        "Annual listing fee (charged daily pro rata).",
        ge=0,
        le=1e8,
        schedulable=True,
    )
    deposit: float = P(
        0.0,
        "RMB",
        "Deposit held by the platform, forfeited for misconduct.",
        ge=0,
        le=1e8,
        schedulable=True,
    )
    payment_fee: float = P(
        0.006, "share of price", "Payment processing fee.", ge=0, le=0.2, schedulable=True
    )


class RankingConfig(_Section):
    relevance: float = P(
        1.0,
        "-",
        "Weight of listing relevance (a fixed listing trait).",
        ge=0,
        le=100,
        schedulable=True,
    )
    reputation: float = P(
        2.0, "-", "Weight of the displayed rating.", ge=0, le=100, schedulable=True
    )
    sales: float = P(0.5, "-", "Weight of log recent sales.", ge=0, le=100, schedulable=True)
    price: float = P(
        1.0,
        "-",
        "Weight of (negative) price relative to reference.",
        ge=0,
        le=100,
        schedulable=True,
    )
    ad_bid: float = P(
        0.5, "-", "Weight of the ad bid in organic ranking.", ge=0, le=100, schedulable=True
    )
    sponsored_slots: int = P(
        2, "slots", "Top positions sold by GSP auction.", ge=0, le=50, schedulable=True
    )
    sales_window: int = P(
        30,
        "days",
        "Days of a listing's unit sales (up to yesterday) in its sales score (assumption: "
        "a month, as marketplaces show monthly sales).",
        ge=1,
        le=120,
        schedulable=True,
    )


class PlatformConfig(_Section):
    name: Name = P(
        "taobao",
        "-",
        "Platform name (unique; used in metric names and file names, so a letter, then letters, "
        "digits or underscores).",
    )
    initial_share: float = P(
        1.0,
        "weight",
        "Initial share of single-homing households and stores on this platform, as a weight: "
        "the weights are divided by their sum over the platforms (1 each is an equal split; "
        "0.69 and 0.31 are those shares), and all zero also means an equal split.",
        ge=0,
        le=1,
    )
    marketplace: TierConfig = Field(
        default_factory=lambda: TierConfig(commission_rate=0.0, annual_fee=0.0, deposit=0.0),
        description="Fees of the marketplace (C2C) tier.",
    )
    mall: TierConfig = Field(
        default_factory=lambda: TierConfig(commission_rate=0.05, annual_fee=30_000, deposit=10_000),
        description="Fees of the mall (B2C) tier.",
    )
    mall_assurance: float = P(
        0.5,
        "0..1",
        "Share of the gap between a shopper's trust and full trust that the mall tier's "
        "guarantees (deposit, vetting, authenticity promise) close for mall stores.",
        ge=0,
        le=1,
        schedulable=True,
    )
    ad_reserve_price: float = P(
        0.1,
        "RMB/click",
        "Reserve price of the sponsored-slot auction.",
        ge=0,
        le=1e4,
        schedulable=True,
    )
    ranking: RankingConfig = Field(default_factory=RankingConfig, description="Ranking rule.")
    escrow: bool = P(
        True, "-", "Hold payments in escrow until delivery is confirmed.", schedulable=True
    )
    reputation_rule: Literal["average", "bayesian", "none"] = P(
        "bayesian",
        "-",
        "How ratings are shown: plain average, count-weighted Bayesian average, or not at all.",
        schedulable=True,
    )
    bayesian_prior_weight: float = P(
        10.0,
        "ratings",
        "Pseudo-ratings at the platform mean in the Bayesian average (at least one, so a "
        "store without ratings shows the mean; without shrinkage use reputation_rule: average).",
        ge=1,
        le=10_000,
        schedulable=True,
    )
    fake_review_detection: float = P(
        0.2, "probability", "Chance each fake review is detected.", ge=0, le=1, schedulable=True
    )
    fake_review_penalty: float = P(
        500.0,
        "RMB",
        "Fine per detection, taken from the deposit first.",
        ge=0,
        le=1e7,
        schedulable=True,
    )
    strikes_to_delist: int = P(
        3,
        "detections",
        "Detections after which a store is delisted.",
        ge=1,
        le=1000,
        schedulable=True,
    )
    delisting_threshold: float = P(
        0.35,
        "rating (0..1)",
        "Stores rated below this (with enough ratings) are delisted.",
        ge=0,
        le=1,
        schedulable=True,
    )
    delisting_min_ratings: int = P(
        20,
        "ratings",
        "Ratings needed before delisting by rating.",
        ge=1,
        le=100_000,
        schedulable=True,
    )
    dispute_buyer_bias: float = P(
        0.85,
        "probability",
        "Chance a dispute is resolved for the buyer under escrow.",
        ge=0,
        le=1,
        schedulable=True,
    )
    refund_without_escrow: float = P(
        0.2,
        "probability",
        "Chance a dispute ends in a refund without escrow.",
        ge=0,
        le=1,
        schedulable=True,
    )
    data_service_price: float = P(
        10.0,
        "RMB/day",
        "Daily price of the platform's usage-data service to a manufacturer (paid to platform 0).",
        ge=0,
        le=1e6,
        schedulable=True,
    )
    iot_hosting_fee: float = P(
        0.5,
        "RMB/order",
        "Fee per IoT-device order charged to the device maker.",
        ge=0,
        le=1e4,
        schedulable=True,
    )
    ad_quality_floor: float = P(
        0.05,
        "rating (0..1)",
        "Lowest quality score (displayed rating) a bidder has in the sponsored-slot auction "
        "(bids are ranked by bid x score; the floor keeps an unrated or badly rated store's "
        "score positive). Assumption.",
        ge=0.001,
        le=1,
        schedulable=True,
    )


class LogisticsConfig(_Section):
    n_firms: int = P(3, "firms", "Courier firms.", ge=1, le=100)
    price_per_parcel: float = P(8.0, "RMB/parcel", "Mean courier price per parcel.", ge=0, le=1000)
    price_sd: float = P(0.1, "log-sd", "Spread of courier prices.", ge=0, le=2)
    parcels_per_courier_day: float = P(
        60.0, "parcels/courier-day", "Courier productivity.", ge=1, le=10_000, schedulable=True
    )
    target_utilisation: float = P(
        0.85, "share", "Utilisation couriers are hired to reach.", ge=0.05, le=1.5, schedulable=True
    )
    base_days: float = P(
        1.0, "days", "Delivery time within a region.", ge=0, le=30, schedulable=True
    )
    days_per_1000km: float = P(
        1.5, "days/1000 km", "Extra delivery time with distance.", ge=0, le=100, schedulable=True
    )
    loss_rate: float = P(
        0.002, "probability", "Chance a parcel is lost.", ge=0, le=1, schedulable=True
    )
    capacity_window: int = P(
        7, "days", "Window of volume used to size the courier force.", ge=1, le=365
    )
    courier_choice_scale: float = P(
        1.0,
        "RMB/parcel",
        "Logit scale of a new store's choice of courier by price: a courier is picked with "
        "chance proportional to exp(-price / scale), so cheaper firms win more stores "
        "(assumption).",
        ge=0.01,
        le=1000,
        schedulable=True,
    )
    delivery_noise_days: float = P(
        0.3,
        "days",
        "Mean of the exponential courier-side noise added to a parcel's delivery time "
        "(assumption: a few hours on average; the delivery time is rounded to whole days).",
        ge=0,
        le=30,
        schedulable=True,
    )
    surge_factor: float = P(
        3.0,
        "x ordinary capacity",
        "Dispatch capacity of a courier firm from a festival day on, as a multiple of its own "
        "staff's (temporary workers, overtime, hired vehicles). China's State Post Bureau "
        "expected 1.5 bn parcels over 11-16 November 2017, daily volumes up to three times a "
        "typical day's (Xinhua via CGTN, 12 Nov 2017); 490 m a day over 11-16 November 2020, "
        "about twice (People's Daily, 12 Nov 2020). 1 switches the surge off.",
        ge=1,
        le=20,
        schedulable=True,
    )
    surge_days: int = P(
        6,
        "days",
        "Days of full surge capacity, from the festival day on (the bureau's peak window, "
        "11-16 November). 0 switches the surge off.",
        ge=0,
        le=60,
        schedulable=True,
    )
    surge_ramp_days: int = P(
        3,
        "days",
        "Days over which surge capacity falls linearly back to ordinary after the full-surge "
        "days (assumption: temporary workers are let go over a few days).",
        ge=0,
        le=30,
        schedulable=True,
    )


class ServicesConfig(_Section):
    providers_per_type: float = P(
        3.0,
        "firms per 10,000 households",
        "Initial service providers of each type, in proportion to the population (rounded, at "
        "least one of each type when positive; 0: none), so that the services' jobs per "
        "household do not depend on how many households are simulated (assumption: 3 per "
        "10,000 households, the former fixed count at the baseline's size).",
        ge=0,
        le=1000,
    )
    marketing_price: float = P(8.0, "RMB/day", "Price of marketing services.", ge=0, le=1e5)
    marketing_visibility: float = P(
        0.5, "ranking score", "Ranking boost from marketing.", ge=0, le=100, schedulable=True
    )
    customer_service_price: float = P(
        6.0, "RMB/day", "Price of outsourced customer service.", ge=0, le=1e5
    )
    customer_service_dispute_cut: float = P(
        0.3,
        "share",
        "Reduction of disputes with outsourced customer service.",
        ge=0,
        le=1,
        schedulable=True,
    )
    customer_service_staff_saving: float = P(
        0.3,
        "share",
        "Share of a merchant's own staff need replaced by the service.",
        ge=0,
        le=1,
        schedulable=True,
    )
    operations_price: float = P(7.0, "RMB/day", "Price of store operations services.", ge=0, le=1e5)
    operations_staff_saving: float = P(
        0.3,
        "share",
        "Share of a merchant's own staff need replaced by store operations.",
        ge=0,
        le=1,
        schedulable=True,
    )
    analytics_price: float = P(5.0, "RMB/day", "Price of data analytics services.", ge=0, le=1e5)
    analytics_forecast_gain: float = P(
        0.5,
        "share",
        "Reduction of demand-forecast noise with analytics.",
        ge=0,
        le=1,
        schedulable=True,
    )
    clients_per_staff: float = P(
        40.0,
        "clients/worker",
        "Clients one provider worker serves.",
        ge=1,
        le=10_000,
        schedulable=True,
    )
    decision_interval: int = P(
        30, "days", "Days between merchants' service decisions.", ge=1, le=365, schedulable=True
    )
    marketing_sales_lift: float = P(
        0.3,
        "share/ranking score",
        "Share more sales a store expects per unit of ranking score bought from marketing "
        "(its expected benefit is marketing_visibility x this x its gross margin per day). "
        "Assumption: no figure in the seeds; of the order of the ranking score's effect on a "
        "listing's logit share near the top of a page.",
        ge=0,
        le=10,
        schedulable=True,
    )
    analytics_margin_at_risk: float = P(
        0.15,
        "share",
        "Share of a store's gross margin lost to demand-forecast error (stockouts and excess "
        "stock) without analytics; analytics save analytics_forecast_gain of it. Assumption: "
        "no figure in the seeds.",
        ge=0,
        le=1,
        schedulable=True,
    )
    max_staff_saving: float = P(
        0.9,
        "share",
        "Cap on the share of a store's own staff need that customer service and operations "
        "together replace (someone must still run the store). Assumption.",
        ge=0,
        le=1,
        schedulable=True,
    )
    price_dispersion: float = P(
        0.1,
        "share",
        "Initial provider prices are the configured price times U(1 - d, 1 + d), d this "
        "share. Assumption: providers start near, not at, the same price.",
        ge=0,
        le=0.99,
    )
    free_tool_strength: float = P(
        0.3,
        "share",
        "Effect of a type's free basic tool (offered by the platform at no charge: the seeds' "
        "software tools, 001 @101024) as a share of the paid service's effect. Assumption: "
        "basic tools do part of what a paid service does.",
        ge=0,
        le=1,
        schedulable=True,
    )
    free_tool_effort: float = P(
        0.2,
        "RMB/day",
        "Owner's time cost of running one free tool: a store uses a free tool when its "
        "expected benefit exceeds this. Assumption.",
        ge=0,
        le=1e4,
        schedulable=True,
    )
    pricing: Literal["fixed", "competitive"] = P(
        "competitive",
        "-",
        "fixed: providers keep their initial prices; competitive: at each review a provider "
        "moves toward its logit best response to the other providers of its type, capped by "
        "the monopoly price against the stores' benefits (docs/model.md, section 7.12).",
        schedulable=True,
    )
    price_scale: float = P(
        2.0,
        "RMB/day",
        "Logit scale of a store's choice among the providers of a type (how differentiated "
        "providers are): the markup over cost is price_scale / (1 - share). Assumption.",
        ge=0.01,
        le=1e4,
        schedulable=True,
    )
    price_adjust_rate: float = P(
        0.3,
        "share",
        "Share of the way to its target price a provider moves at each review.",
        ge=0,
        le=1,
        schedulable=True,
    )
    cost_per_client: float = P(
        1.0,
        "RMB/client-day",
        "Provider's cost of serving a client besides staff (software, data, materials), paid "
        "to the rest of the world. Assumption.",
        ge=0,
        le=1e5,
        schedulable=True,
    )
    fixed_cost: float = P(
        5.0,
        "RMB/day",
        "Provider's non-staff operating cost, paid to the rest of the world. Assumption: of "
        "the order of a small store's (merchants.fixed_cost in the baseline: 2).",
        ge=0,
        le=1e6,
        schedulable=True,
    )
    initial_cash: float = P(
        5_000.0,
        "RMB",
        "Cash a provider starts with (its owner's capital), paid in by the rest of the world.",
        ge=0,
        le=1e9,
        schedulable=True,
    )
    outside_option: float = P(
        20.0,
        "RMB/day",
        "Daily profit a potential provider forgoes by opening (as merchants.outside_option).",
        ge=0,
        le=1e6,
        schedulable=True,
    )
    entry_rate: float = P(
        0.05,
        "entrants/day per 10,000 households",
        "Potential providers per day and service type, in proportion to the population; they "
        "open when an entrant's expected profit beats outside_option.",
        ge=0,
        le=100,
        schedulable=True,
    )
    exit_window: int = P(
        60,
        "days",
        "A provider at least this old whose profit over this window is negative closes at "
        "its review; one without cash closes at once.",
        ge=1,
        le=120,
        schedulable=True,
    )


class WageLevelsConfig(_Section):
    """Each sector's wage relative to labour.wage (docs/model.md, section 7.13)."""

    merchants: float = P(
        0.9, "x labour.wage", "Store staff (assumption).", ge=0.1, le=10, schedulable=True
    )
    manufacturers: float = P(
        1.0, "x labour.wage", "Factory workers (assumption).", ge=0.1, le=10, schedulable=True
    )
    logistics: float = P(
        0.95, "x labour.wage", "Couriers (assumption).", ge=0.1, le=10, schedulable=True
    )
    services: float = P(
        1.1,
        "x labour.wage",
        "Service providers' staff (assumption).",
        ge=0.1,
        le=10,
        schedulable=True,
    )
    platform: float = P(
        1.6,
        "x labour.wage",
        "Platform staff (engineers, operations; assumption).",
        ge=0.1,
        le=10,
        schedulable=True,
    )
    offline_retail: float = P(
        0.8, "x labour.wage", "Offline shop staff (assumption).", ge=0.1, le=10, schedulable=True
    )
    other: float = P(
        1.0,
        "x labour.wage",
        "The rest of the economy (the fixed other sector).",
        ge=0.1,
        le=10,
        schedulable=True,
    )


class LabourConfig(_Section):
    enabled: bool = P(True, "-", "Households work for firms; when off income is exogenous.")
    initial_employment_rate: float = P(
        0.95,
        "share",
        "Share of the labour force employed at the start; jobs outside the e-commerce "
        "ecosystem (a fixed other sector) make up the difference.",
        ge=0,
        le=1,
    )
    matching_efficiency: float = P(
        0.3,
        "share/day",
        "Daily share of min(vacancies, unemployed) that are filled.",
        ge=0,
        le=1,
        schedulable=True,
    )
    layoff_lag: int = P(
        14, "days", "Days of overstaffing before a layoff.", ge=0, le=365, schedulable=True
    )
    wage_rule: Literal["fixed", "unemployment"] = P(
        "fixed", "-", "fixed wages, or wages that fall as unemployment rises.", schedulable=True
    )
    wage_unemployment_elasticity: float = P(
        0.5,
        "-",
        "Wage response to unemployment above its initial level.",
        ge=0,
        le=10,
        schedulable=True,
    )
    wage: float = P(
        200.0, "RMB/day", "Mean daily wage (sector wages scale it).", ge=1, le=1e5, schedulable=True
    )
    benefit: float = P(
        60.0, "RMB/day", "Daily benefit of an unemployed household.", ge=0, le=1e5, schedulable=True
    )
    merchant_orders_per_worker: float = P(
        40.0, "orders/worker-day", "Merchant productivity.", ge=1, le=10_000, schedulable=True
    )
    manufacturer_units_per_worker: float = P(
        150.0, "units/worker-day", "Factory productivity.", ge=1, le=100_000, schedulable=True
    )
    platform_orders_per_worker: float = P(
        3000.0, "orders/worker-day", "Platform productivity.", ge=1, le=1e6, schedulable=True
    )
    offline_sales_per_worker: float = P(
        25.0, "sales/worker-day", "Offline shop productivity.", ge=1, le=10_000, schedulable=True
    )
    workload_smoothing: float = P(
        0.1,
        "1/day",
        "Weight of today in the moving averages of firms' workloads (stores' and platforms' "
        "orders, factories' output, offline sales; about a 10-day memory at 0.1). Stores' "
        "orders EMA also feeds their bargaining, pricing and device channels. Assumption.",
        ge=0.01,
        le=1,
        schedulable=True,
    )
    wage_floor: float = P(
        0.5,
        "share of wage",
        "Under wage_rule: unemployment, wages fall with unemployment to at least this share "
        "of their level (assumption).",
        ge=0,
        le=1,
        schedulable=True,
    )
    wage_levels: WageLevelsConfig = Field(
        default_factory=lambda: WageLevelsConfig(),
        description="Relative wages of the labour sectors.",
    )


class OfflineConfig(_Section):
    markup: float = P(
        0.45,
        "share of unit cost",
        "Offline retail markup (higher operating cost). At most 3 (a price four times the unit "
        "cost): above it offline retail stops being an outside option, a lone online store "
        "holds its whole market and its logit best-response price diverges.",
        ge=0,
        le=3,
    )
    quality: float = P(
        0.0,
        "quality units",
        "Offline quality relative to the category mean.",
        ge=-1,
        le=1,
        schedulable=True,
    )


class BudgetConfig(_Section):
    """Households' consumption function (docs/model.md, section 7.18)."""

    enabled: bool = P(
        True,
        "-",
        "Households spend their consumption budget; what the modelled categories leave of it "
        "buys other goods and services from the rest of the economy (the world account). "
        "Off: income not spent on the modelled categories piles up as cash.",
        schedulable=True,
    )
    income_propensity: float = P(
        0.7,
        "share of income",
        "c_y in C = c_y Y + c_w W (Godley & Lavoie 2007, model SIM): consumption out of "
        "today's income. Source: China's households spent about 70% of disposable income "
        "(NBS household survey, 2019: 21,559 of 30,733 RMB per capita).",
        ge=0,
        le=1,
        schedulable=True,
    )
    wealth_propensity: float = P(
        0.01,
        "1/day",
        "c_w in C = c_y Y + c_w W: consumption out of yesterday's cash. Cash settles at "
        "W* = (1 - c_y) Y / c_w, 30 days of income with the defaults (as "
        "consumers.initial_cash_days), and closes 1% of the gap a day. At least 1e-4 (a gap "
        "closing in decades); at most 1 (all cash spent each day). Assumption.",
        ge=1e-4,
        le=1,
        schedulable=True,
    )


class CalendarConfig(_Section):
    """Dates and shopping festivals (docs/model.md, section 7.19)."""

    start_date: datetime.date = P(
        datetime.date(2014, 1, 1), "date", "Date of day 1 (ISO, e.g. 2014-01-01)."
    )
    singles_day_share: float = P(
        0.04,
        "share of a year's sales",
        "Share of a year's online sales made on Singles' Day (11 November). Alibaba's "
        "Double 11 GMV of 268.4 bn RMB in 2019 was about 4% of its China retail "
        "marketplaces' 6,589 bn RMB for the year to March 2020; seed 003 @92666 claims about "
        "40%, which would need a day 243 times an ordinary one. 0 switches the festival off; "
        "at most 0.45, so that two festivals leave the other days some sales.",
        ge=0,
        le=0.45,
        schedulable=True,
    )
    june_18_share: float = P(
        0.0,
        "share of a year's sales",
        "Share of a year's online sales made on 18 June (JD's 618 festival); off by default "
        "(assumption: the baseline's platform is Alibaba-like). At most 0.45.",
        ge=0,
        le=0.45,
        schedulable=True,
    )
    preparation_days: int = P(
        30,
        "days",
        "Stores add the festival's expected extra demand to their order-up-to target this many "
        "days before it (assumption: merchants stock up about a month ahead).",
        ge=0,
        le=365,
        schedulable=True,
    )


#: Agent-level panels and event logs a run can write (docs/outputs.md).
PANEL_NAMES = ("stores", "manufacturers", "couriers", "platforms", "households")
EVENT_NAMES = ("orders", "deliveries", "ratings", "entries", "exits", "contracts", "jobs", "rules")
PanelName = Literal["stores", "manufacturers", "couriers", "platforms", "households"]
EventName = Literal[
    "orders", "deliveries", "ratings", "entries", "exits", "contracts", "jobs", "rules"
]


class OutputsConfig(_Section):
    """Agent-level panels and event logs (docs/outputs.md); they never change the run."""

    panels: list[PanelName] = P(
        ["stores"],
        "-",
        "Panels recorded, one row per actor per period: stores, manufacturers, couriers, "
        "platforms, households (a sample). Default: the store panel only.",
    )
    events: list[EventName] = P(
        [],
        "-",
        "Event logs recorded, one row per event: orders, deliveries, ratings, entries, exits, "
        "contracts, jobs (hires and lay-offs), rules (scheduled rule changes). Default: none.",
    )
    frequency: Literal["daily", "weekly"] = P(
        "weekly",
        "-",
        "Panel period: a row per actor every day, or every 7th day with the week's flows "
        "(orders, revenue, profit...) summed.",
    )
    household_share: float = P(
        0.01,
        "share",
        "Share of households in the household panel, a fixed random sample (assumption: 1% "
        "keeps the panel near the store panel's size at the baseline's scale).",
        ge=0,
        le=1,
    )
    household_count: int = P(
        0,
        "households",
        "Households in the household panel; when above 0 it replaces household_share.",
        ge=0,
        le=10_000_000,
    )
    flush_days: int = P(
        30,
        "days",
        "Days between writes of a Parquet row group: memory holds at most this many days of "
        "rows (assumption: a month keeps row groups large and memory flat).",
        ge=1,
        le=3660,
    )


class RuleChange(_Section):
    day: int = P(
        180,
        "day",
        "Day on which the change takes effect (start of day; day 1 is the first simulated day).",
        ge=1,
        le=100_000,
    )
    key: str = P(
        "platforms.0.mall.commission_rate",
        "-",
        "Dotted key of the parameter; only schedulable parameters (read every day) are allowed.",
    )
    value: Any = P(None, "-", "New value.")


# --------------------------------------------------------------------------- root
class EcosimConfig(_Section):
    """The whole model configuration (one YAML file, possibly with a ``base``)."""

    steps: int = P(365, "days", "Days simulated by `ecosim run` (1 to 100,000).", ge=1, le=100_000)
    seed: int = P(
        0,
        "-",
        "Root seed of the model's random generator (0 to 2^32 - 1, the range of a spawned seed).",
        ge=0,
        le=2**32 - 1,
    )
    consumer_path: Literal["vectorized", "reference"] = P(
        "vectorized",
        "-",
        "Consumer phases on columnar arrays (fast) or the Mesa reference path (Consumer.step via "
        "shuffle_do; slow, for checking).",
    )
    regions: RegionsConfig = Field(default_factory=RegionsConfig)
    categories: list[CategoryConfig] = Field(default_factory=default_categories, min_length=1)
    consumers: ConsumersConfig = Field(default_factory=ConsumersConfig)
    merchants: MerchantsConfig = Field(default_factory=MerchantsConfig)
    manufacturers: ManufacturersConfig = Field(default_factory=ManufacturersConfig)
    contracts: ContractsConfig = Field(default_factory=ContractsConfig)
    platforms: list[PlatformConfig] = Field(
        default_factory=lambda: [PlatformConfig()], min_length=1
    )
    logistics: LogisticsConfig = Field(default_factory=LogisticsConfig)
    services: ServicesConfig = Field(default_factory=ServicesConfig)
    labour: LabourConfig = Field(default_factory=LabourConfig)
    offline: OfflineConfig = Field(default_factory=OfflineConfig)
    budget: BudgetConfig = Field(default_factory=BudgetConfig)
    calendar: CalendarConfig = Field(default_factory=CalendarConfig)
    outputs: OutputsConfig = Field(default_factory=OutputsConfig)
    schedule: list[RuleChange] = Field(default_factory=list, description="Scheduled rule changes.")

    @model_validator(mode="after")
    def _check_consistency(self) -> EcosimConfig:
        names = [c.name for c in self.categories]
        if len(set(names)) != len(names):
            raise ValueError(f"key 'categories': category names must be unique, got {names}")
        pnames = [p.name for p in self.platforms]
        if len(set(pnames)) != len(pnames):
            raise ValueError(f"key 'platforms': platform names must be unique, got {pnames}")
        rates = [
            c.consumption_rate if c.kind == "consumable" else c.need_rate for c in self.categories
        ]
        if max(rates) <= 0:
            raise ValueError(
                "key 'categories': no category has any demand (every consumable's "
                "consumption_rate and every durable's need_rate is 0); give at least one a "
                "positive rate"
            )
        for i, c in enumerate(self.categories):
            if c.unit_cost >= c.reference_price:
                raise ValueError(
                    f"key 'categories.{i}.unit_cost': category {c.name!r}: unit_cost "
                    f"{c.unit_cost} must be below reference_price {c.reference_price}"
                )
        mer = self.merchants
        # Adaptive pricing sums profit over a review period from the stores' 128-day profit
        # ring (docs/model.md, section 7.17): a longer period would be cut short unseen.
        if mer.pricing == "adaptive" and mer.price_update_interval > 120:
            raise ValueError(
                "key 'merchants.price_update_interval': with pricing: adaptive it is at most "
                f"120 days (the stores' profit history), got {mer.price_update_interval}"
            )
        self._check_schedule()
        return self

    def _check_schedule(self) -> None:
        """Each scheduled change names a schedulable key and gives a value valid there.

        The changes are applied in day order to a plain copy of the config, which is validated
        with an empty schedule after each, so a bad value (or one that breaks a rule across
        fields) fails at load time, not mid-run.
        """
        if not self.schedule:
            return
        trial = self.model_dump(mode="python")
        trial["schedule"] = []
        for change in sorted(self.schedule, key=lambda c: c.day):
            where = f"schedule: key '{change.key}'"
            try:
                get_dotted(self, change.key)
                field = schema_field(type(self), change.key)
            except KeyError:
                raise ValueError(f"schedule: unknown key '{change.key}'") from None
            if not field_extra(field).get("schedulable"):
                raise ValueError(
                    f"{where}: cannot be scheduled (only parameters the model reads every day "
                    "can change mid-run; `ecosim params --markdown` marks them)"
                )
            parent_key, _, leaf = change.key.rpartition(".")
            get_dotted(trial, parent_key)[leaf] = change.value
            try:
                type(self).model_validate(trial)
            except ValidationError as exc:
                problem = exc.errors()[0]["msg"].removeprefix("Value error, ")
                raise ValueError(f"{where}: {problem} (got {change.value!r})") from None
