"""Where the validation cases' configurations live: ``configs/validation/*.yaml``."""

from __future__ import annotations

from pathlib import Path

from ecosim.config import ConfigError, EcosimConfig, load_config

__all__ = [
    "VALIDATION_DIR",
    "load_bertrand_config",
    "load_validation_config",
    "validation_config_path",
]

#: The folder of the cases' configurations, relative to the repository.
VALIDATION_DIR = Path("configs") / "validation"


def validation_config_path(name: str) -> Path:
    """The file ``configs/validation/<name>.yaml``, here or beside the package.

    Raises:
        ConfigError: neither exists (the command names the folder it looked in).
    """
    for root in (Path.cwd(), Path(__file__).resolve().parent.parent.parent):
        candidate = root / VALIDATION_DIR / f"{name}.yaml"
        if candidate.is_file():
            return candidate
    raise ConfigError(
        f"{VALIDATION_DIR / f'{name}.yaml'}: validation config not found (run from the "
        "repository's folder, where configs/validation/ is)"
    )


def load_validation_config(name: str, overrides: list[str] | None = None) -> EcosimConfig:
    """Load ``configs/validation/<name>.yaml`` with ``--set``-style overrides."""
    return load_config(validation_config_path(name), list(overrides or []))


def load_bertrand_config(n_stores: int, overrides: list[str] | None = None) -> EcosimConfig:
    """``configs/validation/bertrand.yaml`` with ``n_stores`` stores, each shopper considering
    exactly those stores.

    A page shorter than the consideration pool stands for a full one (each look is an option,
    docs/model.md 7.4), so the textbook logit over ``n`` sellers needs a set and pool of ``n``.

    Example:
        >>> cfg = load_bertrand_config(2)  # doctest: +SKIP
        >>> cfg.consumers.consideration_set, cfg.merchants.n_initial  # doctest: +SKIP
        (2, 2)
    """
    sized = [
        f"merchants.n_initial={n_stores}",
        f"consumers.consideration_set={n_stores}",
        f"consumers.consideration_pool={n_stores}",
    ]
    return load_validation_config("bertrand", [*sized, *(overrides or [])])
