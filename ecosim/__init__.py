"""ecosim: an agent-based simulator of e-commerce ecosystems on Mesa.

Example:
    >>> from ecosim import EcosystemModel, load_config
    >>> model = EcosystemModel(load_config("configs/baseline.yaml"), rng=42)  # doctest: +SKIP
    >>> model.run(30)  # doctest: +SKIP
"""

from ecosim.config import ConfigError, EcosimConfig, load_config
from ecosim.model import EcosystemModel

__all__ = ["ConfigError", "EcosimConfig", "EcosystemModel", "load_config"]
__version__ = "0.1.0"
