"""The configuration schema: every section of the YAML file as a typed, documented model.

Every field carries a unit, a range and a description (``ecosim params CONFIG`` lists them, and
the parameter tables of ``docs/model.md`` are generated from them). Loading files is
:mod:`ecosim.config.loading`'s job, listing :mod:`ecosim.config.listing`'s.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ecosim.config.walk import get_dotted

__all__ = [
    "CategoryConfig",
    "ConsumersConfig",
    "EcosimConfig",
    "LabourConfig",
    "LogisticsConfig",
    "ManufacturersConfig",
    "MerchantsConfig",
    "OfflineConfig",
    "P",
    "PlatformConfig",
    "RankingConfig",
    "RegionsConfig",
    "RuleChange",
    "ServicesConfig",
    "TierConfig",
    "default_categories",
]


def P(default: Any, unit: str, description: str, **bounds: Any) -> Any:
    """A documented schema field: default value, unit and description, plus pydantic bounds."""
    return Field(default, description=description, json_schema_extra={"unit": unit}, **bounds)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


# --------------------------------------------------------------------------- sections
class RegionsConfig(_Section):
    n_urban: int = P(2, "regions", "Number of urban regions (cities).", ge=1, le=50)
    n_rural: int = P(3, "regions", "Number of rural regions.", ge=0, le=50)
    urban_population_share: float = P(
        0.6, "share", "Share of households living in urban regions.", ge=0.0, le=1.0
    )
    map_size_km: float = P(
        1500.0, "km", "Side of the square on which region centres are placed.", gt=0, le=10000
    )
    merchant_urban_share: float = P(
        0.85, "share", "Share of merchants located in urban regions.", ge=0.0, le=1.0
    )


class CategoryConfig(_Section):
    name: str = P("goods", "-", "Category name (unique).")
    kind: Literal["consumable", "durable"] = P(
        "consumable", "-", "Consumables deplete a home stock; durable needs arrive at random."
    )
    reference_price: float = P(
        100.0, "RMB/unit", "Typical retail price; sets the money scale of utilities.", gt=0
    )
    unit_cost: float = P(60.0, "RMB/unit", "Manufacturers' production cost per unit.", gt=0)
    consumption_rate: float = P(
        0.05, "units/day", "Mean household consumption of a consumable.", ge=0, le=10
    )
    need_rate: float = P(
        0.01, "1/day", "Mean daily probability a household needs a durable.", ge=0, le=1
    )
    quality_mean: float = P(0.7, "quality (0..1)", "Mean true product quality.", ge=0, le=1)
    quality_sd: float = P(0.1, "quality (0..1)", "Spread of product quality.", ge=0, le=0.5)
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
        "(the price coefficient is 1/mu).",
        gt=0,
        le=5,
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
    )
    delivery_weight: float = P(
        0.03,
        "share of reference price per day",
        "Disutility of one day of delivery wait.",
        ge=0,
        le=1,
    )
    trust_weight: float = P(
        1.0, "-", "Weight on the expected loss from fraud (1 = risk neutral).", ge=0, le=10
    )
    initial_trust: float = P(0.8, "probability", "Initial trust in online sellers.", ge=0, le=1)
    trust_learning_rate: float = P(
        0.05, "1/order", "Weight of the latest online experience in trust.", ge=0, le=1
    )
    offline_preference: float = P(
        1.0,
        "logit units (mu)",
        "Utility of buying offline relative to a neutral online listing (touch, no wait).",
        ge=-20,
        le=20,
    )
    consideration_set: int = P(8, "listings", "Listings a shopper considers.", ge=1, le=100)
    consideration_pool: int = P(
        40, "ranks", "Top ranks from which the considered listings are drawn.", ge=1, le=1000
    )
    position_decay: float = P(
        0.08, "1/rank", "Decay of the chance to look at a listing with its rank.", ge=0, le=5
    )
    multihoming_share: float = P(
        0.3, "share", "Share of households that shop on every platform.", ge=0, le=1
    )
    platform_switch_rate: float = P(
        0.01,
        "probability per search",
        "Chance a single-homing household reconsiders its platform when it shops, picking by "
        "logit over the platforms' offers (so platforms can win or lose households).",
        ge=0,
        le=1,
    )
    reorder_point_days: float = P(
        3.0,
        "days",
        "A consumable is reordered when home stock covers this many days.",
        ge=0,
        le=60,
    )
    pack_days_sd: float = P(
        0.2,
        "log-sd",
        "Household heterogeneity in consumption rates (lognormal sigma).",
        ge=0,
        le=2,
    )
    rating_prob: float = P(0.3, "probability", "Chance a buyer leaves a rating.", ge=0, le=1)
    dispute_prob: float = P(
        0.6, "probability", "Chance a dissatisfied buyer opens a dispute.", ge=0, le=1
    )
    satisfaction_tolerance: float = P(
        0.1,
        "quality units",
        "Shortfall of true below listed quality a buyer tolerates.",
        ge=0,
        le=1,
    )
    initial_cash_days: float = P(
        30.0, "days of income", "Initial household cash holdings.", ge=0, le=3650
    )
    income_spending_elasticity: float = P(
        1.0, "-", "Elasticity of durable purchases to household income.", ge=0, le=3
    )
    iot_adoption: float = P(
        0.0,
        "share",
        "Share of households owning a smart device for each IoT-eligible category.",
        ge=0,
        le=1,
    )
    iot_threshold_days: float = P(
        5.0, "days", "A device reorders when its consumable covers this many days.", ge=0, le=60
    )
    iot_opt_out_prob: float = P(
        0.3,
        "probability",
        "Chance an owner switches auto-reorder off after a bad delivery.",
        ge=0,
        le=1,
    )


class MerchantsConfig(_Section):
    n_initial: int = P(
        200, "merchants", "Merchants at the start (spread over categories).", ge=1, le=1_000_000
    )
    mall_share: float = P(0.3, "share", "Share of merchants in the mall (B2C) tier.", ge=0, le=1)
    opportunistic_share: float = P(
        0.1, "share", "Share of merchants (and entrants) that are opportunistic.", ge=0, le=1
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
    )
    cost_saving_per_quality: float = P(
        1.5,
        "share of unit cost per quality unit",
        "Cost an opportunist saves per unit of quality it withholds (capped at 90% of the cost).",
        ge=0,
        le=10,
    )
    fake_reviews_per_day: float = P(
        0.5, "reviews/day", "Fake five-star reviews an opportunist buys per day.", ge=0, le=100
    )
    fake_review_cost: float = P(3.0, "RMB/review", "Price of one fake review.", ge=0, le=1000)
    initial_markup: float = P(
        0.3, "share of cost", "Initial markup over wholesale price.", ge=0, le=10
    )
    pricing: Literal["fixed", "best_response", "adaptive"] = P(
        "best_response",
        "-",
        "fixed: keep the initial markup; best_response: logit best response to rivals' prices "
        "(damped); adaptive: hill-climb on realised profit.",
    )
    price_adjust_rate: float = P(
        0.3, "share", "Damping of price updates towards the target price.", gt=0, le=1
    )
    price_update_interval: int = P(7, "days", "Days between price reviews.", ge=1, le=365)
    ad_bid_share: float = P(
        0.05,
        "share of unit margin",
        "Bid per click as a share of the merchant's unit margin (0 = no ads).",
        ge=0,
        le=1,
    )
    fixed_cost: float = P(30.0, "RMB/day", "Non-staff operating cost of a store.", ge=0, le=1e6)
    initial_cash: float = P(20_000.0, "RMB", "Cash a merchant starts with.", ge=0, le=1e9)
    outside_option: float = P(
        20.0,
        "RMB/day",
        "Daily profit a potential merchant forgoes by opening a store.",
        ge=0,
        le=1e6,
    )
    entry_rate: float = P(
        0.2,
        "entrants/day per 10,000 households",
        "Potential entrants per day per platform and category, in proportion to the population "
        "(a market ten times as large draws ten times as many).",
        ge=0,
        le=100,
    )
    exit_window: int = P(
        60, "days", "Window over which sustained losses lead to exit.", ge=1, le=120
    )
    forecast_window: int = P(
        14, "days", "Moving-average window of the demand forecast.", ge=1, le=120
    )
    order_up_to_days: float = P(
        10.0,
        "days of demand",
        "Inventory position targeted on reorder (beyond lead time).",
        ge=0,
        le=365,
    )
    review_period: int = P(3, "days", "Days between inventory reviews.", ge=1, le=365)
    holding_cost_rate: float = P(
        0.0005, "share of unit cost per day", "Cost of holding one unit in stock.", ge=0, le=1
    )
    initial_stock_days: float = P(
        14.0, "days of demand", "Initial inventory of a merchant.", ge=0, le=365
    )


class ManufacturersConfig(_Section):
    per_category: int = P(4, "firms", "Manufacturers per category.", ge=1, le=1000)
    initial_wholesale_markup: float = P(
        0.15, "share of unit cost", "Wholesale markup before the first negotiation.", ge=0, le=10
    )
    cost_sd: float = P(0.05, "log-sd", "Spread of unit costs across manufacturers.", ge=0, le=1)
    lead_time: int = P(3, "days", "Days from a merchant's order to its arrival.", ge=0, le=120)
    capacity_days: float = P(
        3.0,
        "x expected daily demand",
        "Production capacity relative to expected demand.",
        gt=0,
        le=1000,
    )
    bargaining_weight: float = P(
        0.5, "0..1", "Manufacturer's Nash bargaining weight lambda.", ge=0, le=1
    )
    renegotiation_interval: int = P(
        90, "days", "Days between contract renegotiations.", ge=1, le=3650
    )
    flagship_store: bool = P(
        False, "-", "Manufacturers may open a flagship store and sell direct on the platform."
    )
    direct_threshold: float = P(
        1.2,
        "ratio",
        "Go direct when expected direct margin exceeds wholesale margin by this.",
        gt=0,
        le=100,
    )
    iot_lock_in: float = P(
        0.5,
        "0..1",
        "How firmly a maker's smart devices tie their owners' reorders to it: the share of the "
        "device-placed orders of a store the maker keeps if their contract breaks (its "
        "outside option in bargaining); the store loses them either way.",
        ge=0,
        le=1,
    )
    data_service_uptake: float = P(
        0.5, "share", "Share of manufacturers buying the platform's data service.", ge=0, le=1
    )
    forecast_gain_from_data: float = P(
        0.5,
        "0..1",
        "Cut in the demand-forecast noise of stores supplied by a manufacturer that buys the "
        "platform's usage data (half of it, plus half scaled by the store's device-order share).",
        ge=0,
        le=1,
    )


class TierConfig(_Section):
    commission_rate: float = P(0.0, "share of price", "Commission on each sale.", ge=0, le=0.9)
    annual_fee: float = P(
        0.0, "RMB/year", "Annual listing fee (charged daily pro rata).", ge=0, le=1e8
    )
    deposit: float = P(
        0.0, "RMB", "Deposit held by the platform, forfeited for misconduct.", ge=0, le=1e8
    )
    payment_fee: float = P(0.006, "share of price", "Payment processing fee.", ge=0, le=0.2)


class RankingConfig(_Section):
    relevance: float = P(1.0, "-", "Weight of listing relevance (a fixed listing trait).", ge=0)
    reputation: float = P(2.0, "-", "Weight of the displayed rating.", ge=0)
    sales: float = P(0.5, "-", "Weight of log recent sales.", ge=0)
    price: float = P(1.0, "-", "Weight of (negative) price relative to reference.", ge=0)
    ad_bid: float = P(0.5, "-", "Weight of the ad bid in organic ranking.", ge=0)
    sponsored_slots: int = P(2, "slots", "Top positions sold by GSP auction.", ge=0, le=50)


class PlatformConfig(_Section):
    name: str = P("taobao", "-", "Platform name (unique, used in metric names).")
    initial_share: float = P(
        1.0, "share", "Share of single-homing households on this platform.", ge=0, le=1
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
    )
    ad_reserve_price: float = P(
        0.1, "RMB/click", "Reserve price of the sponsored-slot auction.", ge=0, le=1e4
    )
    ranking: RankingConfig = Field(default_factory=RankingConfig, description="Ranking rule.")
    escrow: bool = P(True, "-", "Hold payments in escrow until delivery is confirmed.")
    reputation_rule: Literal["average", "bayesian", "none"] = P(
        "bayesian",
        "-",
        "How ratings are shown: plain average, count-weighted Bayesian average, or not at all.",
    )
    bayesian_prior_weight: float = P(
        10.0, "ratings", "Pseudo-ratings at the platform mean in the Bayesian average.", ge=0
    )
    fake_review_detection: float = P(
        0.2, "probability", "Chance each fake review is detected.", ge=0, le=1
    )
    fake_review_penalty: float = P(
        500.0, "RMB", "Fine per detection, taken from the deposit first.", ge=0, le=1e7
    )
    strikes_to_delist: int = P(
        3, "detections", "Detections after which a store is delisted.", ge=1, le=1000
    )
    delisting_threshold: float = P(
        0.35,
        "rating (0..1)",
        "Stores rated below this (with enough ratings) are delisted.",
        ge=0,
        le=1,
    )
    delisting_min_ratings: int = P(
        20, "ratings", "Ratings needed before delisting by rating.", ge=1
    )
    dispute_buyer_bias: float = P(
        0.85, "probability", "Chance a dispute is resolved for the buyer under escrow.", ge=0, le=1
    )
    refund_without_escrow: float = P(
        0.2, "probability", "Chance a dispute ends in a refund without escrow.", ge=0, le=1
    )
    data_service_price: float = P(
        10.0,
        "RMB/day",
        "Daily price of the platform's usage-data service to a manufacturer (paid to platform 0).",
        ge=0,
        le=1e6,
    )
    iot_hosting_fee: float = P(
        0.5, "RMB/order", "Fee per IoT-device order charged to the device maker.", ge=0, le=1e4
    )


class LogisticsConfig(_Section):
    n_firms: int = P(3, "firms", "Courier firms.", ge=1, le=100)
    price_per_parcel: float = P(8.0, "RMB/parcel", "Mean courier price per parcel.", ge=0)
    price_sd: float = P(0.1, "log-sd", "Spread of courier prices.", ge=0, le=2)
    parcels_per_courier_day: float = P(60.0, "parcels/courier-day", "Courier productivity.", gt=0)
    target_utilisation: float = P(
        0.85, "share", "Utilisation couriers are hired to reach.", gt=0, le=1.5
    )
    base_days: float = P(1.0, "days", "Delivery time within a region.", ge=0, le=30)
    days_per_1000km: float = P(1.5, "days/1000 km", "Extra delivery time with distance.", ge=0)
    congestion_days: float = P(
        3.0, "days per unit overload", "Extra days when volume exceeds capacity.", ge=0, le=100
    )
    loss_rate: float = P(0.002, "probability", "Chance a parcel is lost.", ge=0, le=1)
    capacity_window: int = P(
        7, "days", "Window of volume used to size the courier force.", ge=1, le=365
    )


class ServicesConfig(_Section):
    providers_per_type: int = P(3, "firms", "Service providers of each type.", ge=0, le=1000)
    marketing_price: float = P(8.0, "RMB/day", "Price of marketing services.", ge=0)
    marketing_visibility: float = P(0.5, "ranking score", "Ranking boost from marketing.", ge=0)
    customer_service_price: float = P(6.0, "RMB/day", "Price of outsourced customer service.", ge=0)
    customer_service_dispute_cut: float = P(
        0.3, "share", "Reduction of disputes with outsourced customer service.", ge=0, le=1
    )
    customer_service_staff_saving: float = P(
        0.3, "share", "Share of a merchant's own staff need replaced by the service.", ge=0, le=1
    )
    operations_price: float = P(7.0, "RMB/day", "Price of store operations services.", ge=0)
    operations_staff_saving: float = P(
        0.3,
        "share",
        "Share of a merchant's own staff need replaced by store operations.",
        ge=0,
        le=1,
    )
    analytics_price: float = P(5.0, "RMB/day", "Price of data analytics services.", ge=0)
    analytics_forecast_gain: float = P(
        0.5, "share", "Reduction of demand-forecast noise with analytics.", ge=0, le=1
    )
    clients_per_staff: float = P(
        40.0, "clients/worker", "Clients one provider worker serves.", gt=0
    )
    decision_interval: int = P(30, "days", "Days between merchants' service decisions.", ge=1)


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
        0.3, "share/day", "Daily share of min(vacancies, unemployed) that are filled.", ge=0, le=1
    )
    layoff_lag: int = P(14, "days", "Days of overstaffing before a layoff.", ge=0, le=365)
    wage_rule: Literal["fixed", "unemployment"] = P(
        "fixed", "-", "fixed wages, or wages that fall as unemployment rises."
    )
    wage_unemployment_elasticity: float = P(
        0.5, "-", "Wage response to unemployment above its initial level.", ge=0, le=10
    )
    wage: float = P(200.0, "RMB/day", "Mean daily wage (sector wages scale it).", gt=0)
    benefit: float = P(60.0, "RMB/day", "Daily benefit of an unemployed household.", ge=0)
    merchant_orders_per_worker: float = P(40.0, "orders/worker-day", "Merchant productivity.", gt=0)
    manufacturer_units_per_worker: float = P(
        150.0, "units/worker-day", "Factory productivity.", gt=0
    )
    platform_orders_per_worker: float = P(
        3000.0, "orders/worker-day", "Platform productivity.", gt=0
    )
    offline_sales_per_worker: float = P(
        25.0, "sales/worker-day", "Offline shop productivity.", gt=0
    )


class OfflineConfig(_Section):
    markup: float = P(
        0.45, "share of unit cost", "Offline retail markup (higher operating cost).", ge=0, le=10
    )
    quality: float = P(
        0.0, "quality units", "Offline quality relative to the category mean.", ge=-1, le=1
    )


class RuleChange(_Section):
    day: int = P(180, "day", "Day on which the change takes effect (start of day).", ge=0)
    key: str = P("platforms.0.mall.commission_rate", "-", "Dotted key of the parameter.")
    value: Any = P(None, "-", "New value.")


# --------------------------------------------------------------------------- root
class EcosimConfig(_Section):
    """The whole model configuration (one YAML file, possibly with a ``base``)."""

    steps: int = P(365, "days", "Days simulated by `ecosim run`.", ge=0, le=100_000)
    seed: int = P(0, "-", "Root seed of the model's random generator.", ge=0)
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
    platforms: list[PlatformConfig] = Field(
        default_factory=lambda: [PlatformConfig()], min_length=1
    )
    logistics: LogisticsConfig = Field(default_factory=LogisticsConfig)
    services: ServicesConfig = Field(default_factory=ServicesConfig)
    labour: LabourConfig = Field(default_factory=LabourConfig)
    offline: OfflineConfig = Field(default_factory=OfflineConfig)
    schedule: list[RuleChange] = Field(default_factory=list, description="Scheduled rule changes.")

    @model_validator(mode="after")
    def _check_consistency(self) -> EcosimConfig:
        names = [c.name for c in self.categories]
        if len(set(names)) != len(names):
            raise ValueError(f"category names must be unique, got {names}")
        pnames = [p.name for p in self.platforms]
        if len(set(pnames)) != len(pnames):
            raise ValueError(f"platform names must be unique, got {pnames}")
        for c in self.categories:
            if c.unit_cost >= c.reference_price:
                raise ValueError(
                    f"category {c.name!r}: unit_cost {c.unit_cost} must be below "
                    f"reference_price {c.reference_price}"
                )
        trial = self.model_copy(deep=True) if self.schedule else self
        for change in self.schedule:
            parent_key, _, leaf = change.key.rpartition(".")
            try:
                get_dotted(self, change.key)
                parent = get_dotted(trial, parent_key) if parent_key else trial
            except KeyError as exc:
                raise ValueError(f"schedule: unknown key '{change.key}'") from exc
            if not isinstance(parent, BaseModel):
                raise ValueError(f"schedule: key '{change.key}' is not a single parameter")
            try:  # validated now, so a bad value fails at load time, not mid-run
                setattr(parent, leaf, change.value)
            except ValidationError as exc:
                problem = exc.errors()[0]["msg"]
                raise ValueError(
                    f"schedule: key '{change.key}': {problem} (got {change.value!r})"
                ) from None
        return self
