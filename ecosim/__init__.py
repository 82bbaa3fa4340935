"""ecosim: an agent-based simulator of e-commerce ecosystems on Mesa.

Example:
    >>> from ecosim import EcosystemModel, load_config
    >>> model = EcosystemModel(load_config("configs/baseline.yaml"), rng=42)  # doctest: +SKIP
    >>> model.run(30)  # doctest: +SKIP
"""

from typing import TYPE_CHECKING

from ecosim.config import ConfigError, EcosimConfig, load_config

if TYPE_CHECKING:
    from ecosim.model import EcosystemModel

__all__ = ["ConfigError", "EcosimConfig", "EcosystemModel", "load_config"]
__version__ = "0.1.0"


def __getattr__(name: str):
    # The model pulls in Mesa (about a second); commands that only read configs or results
    # (params, report, the sweep parent process) should not pay for it.
    if name == "EcosystemModel":
        from ecosim.model import EcosystemModel

        return EcosystemModel
    raise AttributeError(f"module 'ecosim' has no attribute {name!r}")
